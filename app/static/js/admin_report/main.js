// The admin monitoring report: providers not reporting, by 시군구, and over capacity.
import { $, el, fetchJson, t } from "../common.js";

$("report-query").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const hours = $("hours").value || "24";
  fetchJson("/api/v1/admin/report?hours=" + encodeURIComponent(hours),
    { headers: { Authorization: "Bearer " + $("admin-token").value.trim() } })
    .then((res) => {
      if (res.status !== 200) { $("report-status").textContent = res.body.error.message; return; }
      $("report-status").textContent = "";
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
        over.appendChild(el("li", null, f.name + " (" + (f.sigungu || "") + "): " +
          JSON.stringify(f.vacancies) + " > " + f.capacity));
      });
      $("silent").hidden = false;
      $("over").hidden = false;
    });
});
