// The provider page: a centre's staff see and update their places with their token.
import { $, apiErrorText, fetchJson, localIso, pageConfig, registryToday, t } from "../common.js";

const cfg = pageConfig();
const tokenInput = $("token");
const form = $("report-form");
const state = { token: sessionStorage.getItem("dolbom-token") || "", facility: null, record: null,
  programmes: [] };

function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + state.token } };
  if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  return fetchJson(path, opts);
}

function availabilityPath() {
  return "/api/v1/providers/" + encodeURIComponent(state.facility) + "/availability";
}

function show(rec) {
  state.record = rec;
  const f = form.elements;
  f.regular.value = rec.vacancies.regular !== undefined ? rec.vacancies.regular : "";
  cfg.programmes.forEach((p) => {
    f[p].value = rec.vacancies[p] !== undefined ? rec.vacancies[p] : "";
  });
  // Only the programmes this provider runs: a plain 어린이집 reports ordinary places only.
  form.querySelectorAll("[data-programme]").forEach((label) => {
    label.hidden = state.programmes.indexOf(label.dataset.programme) < 0;
  });
  const closure = rec.closures.length ? rec.closures[0] : null;
  f.closed.checked = !!closure;
  f.closed_until.value = closure ? closure.end.slice(0, 16) : "";
  f.reason.value = closure ? closure.reason : "";
  $("last-report").textContent = rec.reported_at
    ? t("last_report", { t: new Date(rec.reported_at).toLocaleString(cfg.lang === "ko" ? "ko-KR" : "en-GB",
      cfg.timezone ? { timeZone: cfg.timezone } : undefined) })
    : t("never_reported");
}

function refuse(message) {
  $("token-status").textContent = message;
  form.hidden = true;
  return null;
}

function load() {
  // A token is text a person pasted: one with a line break or other control character is no
  // token (the browser would refuse to send it as a header).
  if (!state.token || /[\u0000-\u001f\u007f]/.test(state.token)) {
    refuse(t("invalid_token"));
    return;
  }
  api("GET", "/api/v1/providers/me").then((res) => {
    if (res.status !== 200) return refuse(apiErrorText(res));
    if (!res.body.facility_id) return refuse(t("admin_token_here"));
    sessionStorage.setItem("dolbom-token", state.token);
    state.facility = res.body.facility_id;
    state.programmes = res.body.programmes || [];
    $("facility-name").textContent = res.body.facility_name || res.body.facility_id || "";
    $("token-status").textContent = "";
    return api("GET", availabilityPath());
  }).then((res) => {
    if (!res) return;
    if (res.status !== 200) { refuse(apiErrorText(res)); return; }
    form.hidden = false;
    show(res.body);
  });
}

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = tokenInput.value.trim();
  load();
});
$("forget").addEventListener("click", () => {
  sessionStorage.removeItem("dolbom-token");
  state.token = ""; tokenInput.value = ""; form.hidden = true;
});

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = form.elements;
  const vacancies = {};
  ["regular"].concat(state.programmes).forEach((k) => {
    if (f[k].value !== "") vacancies[k] = parseInt(f[k].value, 10);
  });
  const closures = [];
  if (f.closed.checked) {
    // Times typed without an offset (closed until) are read by the server in the registry's
    // zone, whatever zone this phone is set to: the default is tomorrow 00:00 there.
    const today = registryToday();
    const until = f.closed_until.value ||
      localIso(new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1));
    // The start is this instant, sent with its offset (UTC), so no zone is guessed.
    closures.push({ start: new Date().toISOString(), end: until, reason: f.reason.value });
  }
  const rec = state.record;
  const body = { version: rec.version, vacancies, slots: rec.slots, hours: rec.hours, closures };
  api("PUT", availabilityPath(), body).then((res) => {
    const status = $("save-status");
    if (res.status === 200) { show(res.body); status.textContent = t("saved", { v: res.body.version }); }
    else if (res.status === 409) { show(res.body.error.current); status.textContent = t("conflict"); }
    else { status.textContent = apiErrorText(res); }
  });
});

if (state.token) { tokenInput.value = state.token; load(); }
