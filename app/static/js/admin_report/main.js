// The admin monitoring report: providers not reporting, by 시군구, and over capacity. An admin
// signed in to the planner is not asked for the token again: the planner's session answers.
import { $, apiErrorText, el, fetchJson, t } from "../common.js";

let signedIn = false;

function show(res, hours) {
  if (res.status !== 200) { $("report-status").textContent = apiErrorText(res); return; }
  $("report-status").textContent = signedIn ? t("report_signed_in") : "";
  $("silent-title").textContent = t("not_reported_within", { h: hours });
  const rows = $("silent-rows");
  rows.textContent = "";
  const silent = res.body.not_reported_by_sigungu;
  Object.keys(silent).forEach((area) => {
    const tr = el("tr");
    tr.appendChild(el("th", null, area));
    tr.appendChild(el("td", null, String(silent[area].count)));
    rows.appendChild(tr);
  });
  const over = $("over-rows");
  over.textContent = "";
  res.body.over_capacity.forEach((f) => {
    const places = Object.keys(f.vacancies).filter((k) => f.vacancies[k] > f.capacity)
      .map((k) => (k === "regular" ? "" : t("programme_" + k) + " ") + f.vacancies[k]).join(", ");
    over.appendChild(el("li", null, t("over_capacity_line",
      { name: f.name, sigungu: f.sigungu || "?", places, capacity: f.capacity })));
  });
  $("silent").hidden = false;
  $("over").hidden = false;
}

function load(hours) {
  const q = "?hours=" + encodeURIComponent(hours);
  if (signedIn) return fetchJson("/planner/report.json" + q);
  return fetchJson("/api/v1/admin/report" + q,
    { headers: { Authorization: "Bearer " + $("admin-token").value.trim() } });
}

$("report-query").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const hours = $("hours").value || "24";
  load(hours).then((res) => show(res, hours));
});

// Signed in to the planner (an admin session)? Then no token field, and the report at once.
const hours = $("hours").value || "24";
fetchJson("/planner/session.json").then((state) => {
  if (state.status !== 200 || !state.body.signed_in) return;  // the token is asked for
  signedIn = true;
  $("admin-token-field").hidden = true;
  return load(hours).then((res) => show(res, hours));
});
