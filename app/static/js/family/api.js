// What the family pages and the provider inbox share: JSON calls with the page's CSRF token,
// refusals in the page's language, booking states and windows as people read them, and a
// poller that runs only while the page is visible.
import { apiErrorText, el, fetchJson, pageConfig, t } from "../common.js";

function csrfToken() {
  const meta = document.querySelector("meta[name=csrf-token]");
  return meta ? meta.getAttribute("content") : "";
}

// GET a JSON resource: { ok, status, body }, always (common.js fetchJson). A 401 (the session
// ended: idle timeout, a password reset or a sign-out elsewhere) tells the page (signedOut).
export function getJson(url) {
  return fetchJson(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(noticeSignedOut);
}

// The texts that promise the page follows a state live ("답이 오면 이 화면에 바로 나옵니다",
// "새 예약은 바로 여기에 나타납니다"): once signed out they say the state shown is the last one seen.
const LIVE_CLAIMS = ["#request-state [data-status=requested] .explain", "#care-requests [data-status=requested] .explain",
  "#booking-state[data-status=requested] > p:not(.badge):not(:last-child)", "#new-empty", "#offers-empty"];
const pollers = new Set();
let signedOutShown = false;
const signedOutHandlers = [];

// Run `fn` once the session ends (at once if it has): a page takes away what needs a session.
export function whenSignedOut(fn) {
  if (signedOutShown) fn();
  else signedOutHandlers.push(fn);
}

// Where "sign in again" goes: the sign-in page in the page's language, then back to this very
// page (its path, query and fragment; the server keeps only a path of this site).
export function signInAgainUrl() {
  const here = location.pathname + location.search + location.hash;
  return "/account/sign-in?lang=" + encodeURIComponent(pageConfig().lang || "ko") + "&next=" + encodeURIComponent(here);
}

// The session ended: every poll of the page stops, the page says so at its top (role=alert,
// kept in view) with a link to sign in again and come back here, and the texts promising live
// updates say the state shown is the last one seen. Once per page; `res` passes through.
export function noticeSignedOut(res) {
  if (!res || res.status !== 401 || signedOutShown) return res;
  signedOutShown = true;
  pollers.forEach((p) => p.stop());
  document.body.dataset.signedOut = "1";
  const box = document.createElement("p");
  box.id = "signed-out";
  box.className = "status error";
  box.setAttribute("role", "alert");
  Object.assign(box.style, { position: "sticky", top: "0", zIndex: "1000", background: "#fff5f5",
    padding: "0.6em 0.8em", margin: "0 0 0.8em" });
  box.appendChild(document.createTextNode(t("live_signed_out") + " "));
  const link = document.createElement("a");
  link.id = "sign-in-again";
  link.href = signInAgainUrl();
  link.textContent = t("live_sign_in_again");
  box.appendChild(link);
  const main = document.querySelector("main") || document.body;
  main.insertBefore(box, main.firstChild);
  LIVE_CLAIMS.forEach((sel) => document.querySelectorAll(sel).forEach((claim) => {
    claim.textContent = t("live_stale");
  }));
  signedOutHandlers.splice(0).forEach((fn) => fn());
  return res;
}

// A write (POST, PATCH, PUT, DELETE) with a JSON body and the CSRF token.
export function send(method, url, body) {
  const options = { method, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  return fetchJson(url, options).then(noticeSignedOut);
}

// An instant the envelope carries ("2026-12-03T13:30:00+00:00", with its offset) as the
// registry's wall clock ("2026-12-03 22:30"); a list as "a, b"; anything else as it is.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
function shownValue(value) {
  if (typeof value === "string" && INSTANT.test(value)) {
    const p = wallParts(value);
    return p.date + " " + p.time;
  }
  return Array.isArray(value) ? value.join(", ") : value;
}

// A field's name on the page: family_field_<field>, else the search's field_<field>, else as sent.
function fieldLabel(field) {
  for (const key of ["family_field_" + field, "field_" + field]) if (t(key) !== key) return t(key);
  return field;
}

// A field's name as `template` puts it: English labels are written as headings ("Emergency
// contact's phone"), so inside a sentence ("Enter the {field} as …") their first letter is
// lower-cased; at the start of the template, in Korean, or an initialism ("ID"), kept.
function fieldInSentence(label, template) {
  if (pageConfig().lang !== "en" || template.indexOf("{field}") <= 0 || /^[A-Z]{2}/.test(label)) return label;
  return label.charAt(0).toLowerCase() + label.slice(1);
}

// A refused call's message in the page's language, the first message that exists of:
// errcode_<code>_<reason>, the reason's own as the map's pages say it (err_<field>_<reason>,
// err_reason_<reason>), errcode_<code>_<field>, errcode_<code>, the field's
// (family_field_problem); the API's English sentence only when none does (common.js). The
// envelope's other fields fill the message ({max_days}, {today}), its instants on the
// registry's wall clock, never UTC. Signed out (401): sign in again.
export function errorText(res) {
  const err = (res.body && res.body.error) || {};
  if (res.status === 401) return t("family_signed_out");
  const values = {};
  Object.keys(err).forEach((k) => { if (err[k] !== null && err[k] !== undefined) values[k] = shownValue(err[k]); });
  values.field = err.field ? fieldLabel(err.field) : "";
  const code = err.code ? "errcode_" + err.code : null;
  const keys = [code && err.reason ? code + "_" + err.reason : null,
    err.field && err.reason ? "err_" + err.field + "_" + err.reason : null,
    err.field && err.reason ? "err_reason_" + err.reason : null,
    code && err.field ? code + "_" + err.field : null, code,
    err.field && t("family_field_" + err.field) !== "family_field_" + err.field ? "family_field_problem" : null];
  for (const key of keys) {
    if (key && t(key) !== key) return t(key, { ...values, field: fieldInSentence(values.field, t(key)) });
  }
  return apiErrorText(res);
}

// The reason the provider gave for declining a booking (read with its events: GET
// /api/v1/bookings/<id>), or null.
export function declineReason(booking) {
  const said = (booking.events || []).filter((e) => e.action === "decline" && e.reason).map((e) => e.reason);
  return said.length ? said[said.length - 1] : null;
}

// A booking's cancellation by the provider's staff or an administrator (read with its events),
// as { by: "provider_staff" | "admin", label, reason }; null when the family cancelled it
// themselves or it is not cancelled (tester 30, F6).
export function cancelledBy(booking) {
  const cancels = (booking.events || []).filter((e) => e.action === "cancel");
  const last = cancels.length ? cancels[cancels.length - 1] : null;
  if (!last || (last.actor_role !== "provider_staff" && last.actor_role !== "admin")) return null;
  return { by: last.actor_role, reason: last.reason || null,
    label: t(last.actor_role === "admin" ? "family_cancelled_by_admin" : "family_cancelled_by_provider") };
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

// A provider's name and phone, read once per page (GET /api/v1/facilities/<id>): a Promise of
// { name, phone } (name: the id when the provider cannot be read; phone: "" when it has none).
const facilities = {};  // facility id -> that Promise
export function facilityOf(id) {
  if (!facilities[id]) {
    facilities[id] = getJson("/api/v1/facilities/" + encodeURIComponent(id)).then((res) => {
      const found = res.ok && res.body && res.body.result;
      return { name: found ? found.name : id, phone: (found && found.phone) || "" };
    });
  }
  return facilities[id];
}

// The line a booking's or a matched request's card says once the family may no longer cancel
// (the API's actions_closed.cancel: its cutoff passed, see app/reference/booking_rules.json):
// why, as of `closedIso` (the cutoff) and `startIso` (the care's start: "has started" when
// they are one instant), with the phone of the provider `facility` (its id, or a Promise of it)
// to call once it is read (none when the provider has none, or the id is null).
export function cancelClosedLine(closedIso, startIso, facility) {
  const line = el("p", "hint cancel-closed", Date.parse(closedIso) === Date.parse(startIso)
    ? t("family_cancel_closed_started") : t("family_cancel_closed", { time: wallIso(closedIso).replace("T", " ") }));
  Promise.resolve(facility).then((id) => {
    if (!id) return;
    facilityOf(id).then((f) => {
      if (!f.phone) return;
      const tel = el("a", "call", t("family_book_call", { phone: f.phone }));
      tel.href = "tel:" + f.phone.replace(/[^0-9+]/g, "");
      line.appendChild(document.createTextNode(" "));
      line.appendChild(tel);
    });
  });
  return line;
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
  const handle = { stop() { stopped = true; clearTimeout(timer); pollers.delete(handle); }, now: run };
  if (signedOutShown) handle.stop();
  else { pollers.add(handle); schedule(); }
  return handle;
}

// A page with nothing else to follow (no booking or request that can change) still notices a
// session that ended elsewhere (a sign-out in another tab, the idle timeout, a password reset):
// the inbox's way, a poll (above) of a cheap GET the page already makes, whose 401 tells the page
// (noticeSignedOut). Returns the poll's { stop }.
export const SESSION_CHECK_MS = 3000;
export function checkSession(url, ms) {
  return poll(() => getJson(url), ms || SESSION_CHECK_MS);
}

// Once the session ended, every write control under `root` (buttons, submit inputs; a
// [data-no-session] one is kept) is disabled, an open question's "yes" and "no" too, and so are
// controls drawn there later: the notice at the top (noticeSignedOut) links to signing in again,
// back to this page.
export function disableWritesWhenSignedOut(root) {
  const target = root || document.querySelector("main") || document.body;
  function off() {
    target.querySelectorAll("button, input[type=submit]").forEach((b) => {
      if (!b.closest("[data-no-session]")) b.disabled = true;
    });
  }
  whenSignedOut(() => {
    off();
    new MutationObserver(off).observe(target, { childList: true, subtree: true });
  });
}

// The map's search for the next providers: the same programme and window, the home when the
// booking came from the map (its hash keeps home, start, end and programme), only those with
// a free place (available=1), and without the provider `skip` (a facility id; by default the
// page's own provider, the booking page's): the one that declined, let its hold lapse or
// cannot take the booking. With no home the map searches next to that provider (map/main.js).
export function mapSearchUrl(programme, start, end, home, skip) {
  const hash = new URLSearchParams();
  if (home) hash.set("home", home);
  if (start && end) { hash.set("start", start); hash.set("end", end); }
  if (programme) hash.set("programme", programme);
  hash.set("available", "1");
  const left = skip === undefined ? pageConfig().facility_id : skip;
  if (left) hash.set("skip", left);
  return "/?lang=" + (pageConfig().lang || "ko") + "#" + hash.toString();
}
