// What the family pages and the provider inbox share: JSON calls with the page's CSRF token,
// refusals in the page's language, booking states and windows as people read them, and a
// poller that runs only while the page is visible.
import { apiErrorText, fetchJson, pageConfig, t } from "../common.js";

function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.getAttribute("content") : "";
}

// GET a JSON resource: { ok, status, body }, always (common.js fetchJson).
export function getJson(url) {
  return fetchJson(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
}

// A write (POST, PATCH, PUT, DELETE) with a JSON body and the CSRF token.
export function send(method, url, body) {
  const options = { method, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  return fetchJson(url, options);
}

// A refused call's message: the API's own sentence on an English page; on a Korean page the
// message of its code and field (errcode_<code>_<field>), else of its code (errcode_<code>),
// else of the field (family_field_<field>), else of the status (common.js). Signed out (401):
// sign in again.
export function errorText(res) {
  const err = (res.body && res.body.error) || {};
  if (res.status === 401) return t("family_signed_out");
  if (pageConfig().lang === "en" && err.message) return err.message;
  const known = (key) => (t(key) !== key ? t(key) : null);
  const byCode = err.code ? known("errcode_" + err.code + "_" + err.field) || known("errcode_" + err.code) : null;
  if (byCode) return byCode;
  if (err.field) {
    const label = t("family_field_" + err.field);
    if (label !== "family_field_" + err.field) return t("family_field_problem", { field: label });
  }
  return apiErrorText(res);
}

// The consent texts in the page's language, and the guardian's consents.
export function getConsents() {
  return getJson("/api/v1/consents?lang=" + encodeURIComponent(pageConfig().lang || "ko"));
}

// A booking state's name on the pages ("accepted" reads "확정됨").
export function stateName(status) {
  return t("booking_state_" + String(status).replace("-", "_"));
}

export function programmeName(programme) {
  return t("programme_" + programme);
}

// Parts of an instant on the registry's wall clock (page-config timezone).
function wallParts(iso) {
  const parts = {};
  new Intl.DateTimeFormat("en-US", { timeZone: pageConfig().timezone || "Asia/Seoul", hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
    .formatToParts(new Date(iso)).forEach((x) => { parts[x.type] = x.value; });
  return { date: parts.year + "-" + parts.month + "-" + parts.day, time: (parts.hour % 24 + "").padStart(2, "0") + ":" + parts.minute };
}

// "YYYY-MM-DDTHH:MM" on the registry's wall clock of an ISO instant.
export function wallIso(iso) {
  const p = wallParts(iso);
  return p.date + "T" + p.time;
}

// A window as people read it: "2026-12-03 19:00–23:00", "… 22:00–다음 날 07:00", or with both
// dates when it runs longer.
export function windowText(startIso, endIso) {
  const s = wallParts(startIso);
  const e = wallParts(endIso);
  if (s.date === e.date) return s.date + " " + s.time + "–" + e.time;
  const next = new Date(Date.parse(s.date + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);
  if (e.date === next && e.time <= s.time) return s.date + " " + t("until_next_day", { start: s.time, end: e.time });
  return s.date + " " + s.time + " – " + e.date + " " + e.time;
}

export function wonText(krw) {
  if (krw === null || krw === undefined) return t("family_fee_unknown");
  return t("family_fee", { won: Number(krw).toLocaleString(pageConfig().lang === "en" ? "en-US" : "ko-KR") });
}

// Run `tick()` (returning a promise) every `ms` while the page is visible, at once when it
// becomes visible again; never two at a time. Returns { stop }.
export function poll(tick, ms) {
  let timer = null;
  let running = false;
  let stopped = false;
  function schedule() {
    clearTimeout(timer);
    if (!stopped && document.visibilityState === "visible") timer = setTimeout(run, ms);
  }
  function run() {
    if (stopped || running) return;
    running = true;
    Promise.resolve().then(tick).catch(() => {}).then(() => { running = false; schedule(); });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") run();
    else clearTimeout(timer);
  });
  schedule();
  return { stop() { stopped = true; clearTimeout(timer); }, now: run };
}

// The map's search for the next providers: the same programme and window, and the home when
// the booking came from the map (its hash keeps home, start, end and programme).
export function mapSearchUrl(programme, start, end, home) {
  const hash = new URLSearchParams();
  if (home) hash.set("home", home);
  if (start && end) { hash.set("start", start); hash.set("end", end); }
  if (programme) hash.set("programme", programme);
  return "/?lang=" + (pageConfig().lang || "ko") + "#" + hash.toString();
}
