// /family: the guardian's children (register with the consents shown and recorded first,
// change, delete), bookings and requests with their states (cancel after a confirmation; read
// again every poll_ms, so they follow every state and a session that ended elsewhere shows), and
// the family's data (download, delete after a confirmation).
import { $, el, pageConfig, t } from "../common.js";
import { forgetHome, leaveNotice, rememberedHome } from "../map/home_memory.js";
import { cancelClosedLine, cancelledBy, declineReason, disableWritesWhenSignedOut, errorText, facilityOf, getConsents, getJson,
  mapSearchUrl, poll, programmeName, send, stateName, wallIso, windowText } from "./api.js";
import { apiProblems, formProblems, showProblems } from "./child_checks.js";
import { fullName } from "./names.js";
import { everyDay } from "./pattern_days.js";
import { setupNotices } from "./notices.js";
import { requestCard } from "./requests.js";

const cfg = pageConfig();
const names = {};  // facility id -> name, once read (api.js facilityOf)
let consentState = { texts: [], given: {} };
let editing = null;  // the child being changed, or null when registering

function say(message) {
  $("family-status").textContent = message;
}

function facilityName(id) {
  return facilityOf(id).then((f) => { names[id] = f.name; return f.name; });
}

// -- children ----------------------------------------------------------------------------------

function loadConsents() {
  return getConsents().then((res) => {
    if (!res.ok) { say(errorText(res)); return; }
    const given = {};
    res.body.consents.forEach((c) => { if (c.current) given[c.purpose] = c; });
    consentState = { texts: res.body.texts, given };
  });
}

// The consent texts in the form: each with its own checkbox, ticked and fixed when given.
function drawConsents() {
  const box = $("consents");
  box.querySelectorAll(".consent").forEach((n) => n.remove());
  consentState.texts.forEach((c) => {
    const item = el("div", "consent");
    item.dataset.purpose = c.purpose;
    item.appendChild(el("h5", null, c.title));
    const text = el("p", "consent-text", c.text);
    text.id = "consent-text-" + c.purpose;
    item.appendChild(text);
    const label = el("label", "check");
    const box2 = document.createElement("input");
    box2.type = "checkbox";
    box2.name = "consent";
    box2.value = c.purpose;
    box2.dataset.version = c.version;
    box2.setAttribute("aria-describedby", text.id);
    const given = consentState.given[c.purpose];
    if (given) { box2.checked = true; box2.disabled = true; }
    label.appendChild(box2);
    label.appendChild(document.createTextNode(" " + (given ? t("family_consent_given") : t("family_consent_agree_" + c.purpose))));
    item.appendChild(label);
    box.appendChild(item);
  });
}

const FIELDS = ["given_name", "family_name", "birth_date", "relation", "emergency_contact_name",
  "emergency_contact_phone", "care_notes"];
const REQUIRED = FIELDS.filter((f) => f !== "care_notes");

function openForm(child) {
  editing = child;
  const form = $("child-form");
  form.hidden = false;
  $("add-child").hidden = true;
  $("child-form-title").textContent = child ? t("family_edit_child", { name: child.given_name }) : t("family_add_child");
  $("child-form-error").textContent = "";
  FIELDS.forEach((f) => {
    const input = form.elements[f];
    if (!child) { input.value = ""; return; }  // the relation too: no default, the person chooses
    input.value = f.startsWith("emergency_contact_") ? child.emergency_contact[f.slice(18)] : (child[f] || "");
  });
  drawConsents();
  form.elements.given_name.focus();
}

function closeForm() {
  $("child-form").hidden = true;
  $("add-child").hidden = false;
  editing = null;
}

// Record the ticked consents not yet given, one by one (each its text version), then the
// child; every problem the form can see is said at once before anything is sent
// (child_checks.js), and a refusal says each of its problems.
function saveChild(ev) {
  ev.preventDefault();
  const form = $("child-form");
  const error = $("child-form-error");
  error.textContent = "";
  const ticked = Array.from(form.querySelectorAll("input[name=consent]")).filter((b) => b.checked && !b.disabled);
  const has = (p) => !!consentState.given[p] || ticked.some((b) => b.value === p);
  if (showProblems(form, error, formProblems(form, REQUIRED, has))) return;  // every problem at once
  const body = {};
  FIELDS.forEach((f) => { body[f] = form.elements[f].value.trim(); });
  if (!body.care_notes) body.care_notes = null;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  ticked.reduce((chain, b) => chain.then((ok) => {
    if (!ok) return false;
    return send("POST", "/api/v1/consents", { purpose: b.value, version: b.dataset.version }).then((res) => {
      if (!res.ok) { error.textContent = errorText(res); return false; }
      consentState.given[b.value] = res.body;
      return true;
    });
  }), Promise.resolve(true)).then((ok) => {
    if (!ok) return null;
    return editing ? send("PATCH", "/api/v1/children/" + editing.id, body) : send("POST", "/api/v1/children", body);
  }).then((res) => {
    button.disabled = false;
    if (!res) return;
    if (!res.ok) { showProblems(form, error, apiProblems(res)); return; }
    say(t(editing ? "family_child_saved" : "family_child_added", { name: res.body.given_name }));
    closeForm();
    loadChildren();
  });
}

// A button that asks before it acts: the first tap shows the question and "yes"/"no".
function confirmButton(label, question, yesLabel, action) {
  const box = el("div", "confirm");
  const button = el("button", "danger-outline", label);
  button.type = "button";
  const ask = el("div", "ask");
  ask.hidden = true;
  ask.setAttribute("role", "group");
  ask.appendChild(el("p", null, question));
  const yes = el("button", "danger", yesLabel);
  yes.type = "button";
  const no = el("button", null, t("family_keep"));
  no.type = "button";
  ask.appendChild(yes);
  ask.appendChild(no);
  button.addEventListener("click", () => { ask.hidden = false; button.hidden = true; yes.focus(); });
  no.addEventListener("click", () => { ask.hidden = true; button.hidden = false; button.focus(); });
  yes.addEventListener("click", () => { yes.disabled = true; action().then(() => { yes.disabled = false; }); });
  box.appendChild(button);
  box.appendChild(ask);
  return box;
}

function childItem(child) {
  const li = el("li", "card child");
  li.dataset.id = child.id;
  li.appendChild(el("h4", null, fullName(child)));
  const rel = (cfg.relations || {})[child.relation] || child.relation;
  li.appendChild(el("p", null, t("family_child_line", { birth: child.birth_date, relation: rel })));
  if (child.care_notes) li.appendChild(el("p", "notes", t("family_care_notes") + ": " + child.care_notes));
  const actions = el("div", "actions");
  const edit = el("button", null, t("family_edit"));
  edit.type = "button";
  edit.addEventListener("click", () => openForm(child));
  actions.appendChild(edit);
  actions.appendChild(confirmButton(t("family_delete_child"), t("family_delete_child_question", { name: child.given_name }),
    t("family_delete_child_yes"), () => send("DELETE", "/api/v1/children/" + child.id).then((res) => {
      if (!res.ok) { say(errorText(res)); return; }
      say(t("family_child_deleted", { name: child.given_name, n: res.body.bookings_cancelled }));
      loadChildren();
      loadBookings();
    })));
  li.appendChild(actions);
  return li;
}

let childNames = {};
function loadChildren() {
  return getJson("/api/v1/children").then((res) => {
    if (!res.ok) { say(errorText(res)); return; }
    const list = $("children");
    list.textContent = "";
    childNames = {};
    res.body.children.forEach((c) => { childNames[c.id] = c.given_name; list.appendChild(childItem(c)); });
    $("children-empty").hidden = res.body.children.length > 0;
    document.body.dataset.children = String(res.body.children.length);
  });
}

// -- bookings ----------------------------------------------------------------------------------

// What a booking's card says of one booking below its heading: state, window, reference, the
// provider's answer-by time, the next providers after a refusal or a lapse, and its cancel
// (``within``: a date of a weekly pattern's card, whose child, programme and provider the
// pattern's card names once).
function bookingParts(b, li, within) {
  li.id = "booking-" + b.id;  // a matched request's "see the booking" link lands here
  li.dataset.id = b.id;
  li.dataset.status = b.status;
  const state = el("p", "state");
  state.appendChild(el("strong", "badge", stateName(b.status)));
  if (within) state.appendChild(document.createTextNode(" " + windowText(b.start, b.end)));
  li.appendChild(state);
  if (!within) {
    li.appendChild(el("p", null, (childNames[b.child_id] ? childNames[b.child_id] + " · " : "") + programmeName(b.programme)));
    li.appendChild(el("p", null, windowText(b.start, b.end)));
  }
  if (b.reference) li.appendChild(el("p", "hint reference", t("family_booking_reference", { reference: b.reference })));
  if (b.status === "requested" && b.hold_expires_at) {
    li.appendChild(el("p", "hint", t("family_waiting_until", { time: wallIso(b.hold_expires_at).slice(11) })));
  }
  if (b.status === "rejected" || b.status === "expired") li.appendChild(nextProviders(b));
  if (b.status === "rejected") showDeclineReason(b, li);
  if (b.status === "cancelled") showCancelledBy(b, li);
  // A booking the family may no longer cancel says so in one line, with the provider's phone to call.
  if (b.actions_closed && b.actions_closed.cancel) li.appendChild(cancelClosedLine(b.actions_closed.cancel, b.start, b.facility_id));
  if (b.allowed_actions.indexOf("cancel") >= 0) {
    li.appendChild(confirmButton(t(within ? "family_pattern_cancel_date" : "family_cancel_booking"),
      t("family_cancel_question"), t("family_cancel_yes"),
      () => send("POST", "/api/v1/bookings/" + b.id + "/cancel", { version: b.version }).then((res) => {
        say(res.ok ? t("family_cancelled") : errorText(res));
        loadBookings();
      })));
  }
}

function providerTitle(facilityId) {
  const title = el("h4");
  const name = el("span", "provider", names[facilityId] || facilityId);
  title.appendChild(name);
  facilityName(facilityId).then((n) => { name.textContent = n; });
  return title;
}

function bookingItem(b) {
  const li = el("li", "card booking state-" + b.status);
  li.appendChild(providerTitle(b.facility_id));
  bookingParts(b, li, false);
  return li;
}

// -- a weekly pattern's bookings: one card --------------------------------------------------------

const PATTERN_STATES = ["accepted", "in_progress", "requested", "completed", "rejected", "expired", "no_show", "cancelled"];
const openPatterns = new Set();  // the patterns whose dates are shown, kept across redraws

// Its bookings' states counted, in PATTERN_STATES order: "확정됨 6 · 취소됨 1".
function patternCounts(dates) {
  const counts = {};
  dates.forEach((b) => { counts[b.status] = (counts[b.status] || 0) + 1; });
  return PATTERN_STATES.concat(Object.keys(counts).filter((s) => PATTERN_STATES.indexOf(s) < 0))
    .filter((s) => counts[s]).map((s) => t("family_pattern_count", { state: stateName(s), n: counts[s] })).join(" · ");
}

// Cancel each date in turn (the API cancels a booking at a time), then say how many were
// cancelled and how many could not be, with the first refusal.
function cancelDates(dates) {
  let done = 0;
  let refused = null;
  return dates.reduce((chain, b) => chain.then(() => send("POST", "/api/v1/bookings/" + b.id + "/cancel",
    { version: b.version }).then((res) => {
    if (res.ok) done += 1;
    else if (!refused) refused = res;
  })), Promise.resolve()).then(() => {
    const failed = dates.length - done;
    say(t("family_pattern_cancelled", { n: done }) + (failed ? " " + t("family_pattern_cancel_failed",
      { n: failed, why: errorText(refused) }) : ""));
    loadBookings();
  });
}

// One card for the bookings of one pattern (``dates``: window order): the provider,
// child and programme, its weekdays (or "매일" / "every day": pattern_days.js) and hours, its first and last date, how many dates are in
// each state, the dates themselves behind "show the dates" (each cancellable on its own), and
// "cancel the rest" for every date still cancellable.
function patternItem(patternId, dates) {
  const li = el("li", "card booking pattern");
  li.id = "pattern-" + patternId;
  li.dataset.patternId = patternId;
  const first = dates[0];
  const last = dates[dates.length - 1];
  const daily = everyDay(dates);  // consecutive days: "매일" / "every day", not "매주 <weekdays>"
  li.appendChild(providerTitle(first.facility_id));
  li.appendChild(el("p", null, (childNames[first.child_id] ? childNames[first.child_id] + " · " : "")
    + t(daily ? "family_pattern_head_daily" : "family_pattern_head", { programme: programmeName(first.programme) })));
  const dayNames = t("weekday_names").split(",");
  const weekdays = Array.from(new Set(dates.map((b) => (new Date(wallIso(b.start).slice(0, 10) + "T00:00:00Z").getUTCDay() + 6) % 7)))
    .sort().map((d) => dayNames[d]).join(pageConfig().lang === "en" ? ", " : "·");
  const hours = windowText(first.start, first.end).slice(11);
  li.appendChild(el("p", "pattern-every", t(daily ? "family_pattern_every_daily" : "family_pattern_every",
    { weekdays, times: hours })));
  li.appendChild(el("p", "pattern-range", t("family_pattern_range", { first: wallIso(first.start).slice(0, 10),
    last: wallIso(last.start).slice(0, 10), n: dates.length })));
  li.appendChild(el("p", "pattern-counts", patternCounts(dates)));
  const details = document.createElement("details");
  details.className = "pattern-dates";
  details.open = openPatterns.has(patternId);
  details.addEventListener("toggle", () => {
    if (details.open) openPatterns.add(patternId); else openPatterns.delete(patternId);
  });
  details.appendChild(el("summary", null, t("family_pattern_open", { n: dates.length })));
  const list = el("ul", "pattern-dates-list");
  dates.forEach((b) => {
    const item = el("li", "pattern-date state-" + b.status);
    bookingParts(b, item, true);
    list.appendChild(item);
  });
  details.appendChild(list);
  li.appendChild(details);
  const rest = dates.filter((b) => b.allowed_actions.indexOf("cancel") >= 0);
  if (rest.length > 1) {
    const cancelRest = confirmButton(t("family_pattern_cancel_rest", { n: rest.length }),
      t("family_pattern_cancel_rest_question", { n: rest.length }), t("family_cancel_yes"), () => cancelDates(rest));
    cancelRest.classList.add("cancel-rest");
    li.appendChild(cancelRest);
  }
  return li;
}

// The list as cards: a weekly pattern's bookings (two or more listed) as one card, at the
// place of its latest date (the list is newest window first), each other booking its own.
function bookingCards(bookings) {
  const groups = {};
  bookings.forEach((b) => { if (b.pattern_id) (groups[b.pattern_id] = groups[b.pattern_id] || []).push(b); });
  const drawn = new Set();
  const cards = [];
  bookings.forEach((b) => {
    const group = b.pattern_id ? groups[b.pattern_id] : null;
    if (!group || group.length < 2) { cards.push(bookingItem(b)); return; }
    if (drawn.has(b.pattern_id)) return;
    drawn.add(b.pattern_id);
    cards.push(patternItem(b.pattern_id, group.slice().sort((x, y) => Date.parse(x.start) - Date.parse(y.start))));
  });
  return cards;
}

// The next providers from the home this tab last searched from (home_memory.js; without one the
// map searches next to this provider), this one left out: after a refusal, a lapse, or a
// cancellation by the provider.
function nextProviders(b) {
  const next = el("a", "button", t("family_next_providers"));
  next.href = mapSearchUrl(b.programme, wallIso(b.start), wallIso(b.end), rememberedHome(), b.facility_id);
  return next;
}

// Who cancelled a cancelled booking, from its events (the list has none; read once per booking:
// a cancellation is final). Cancelled by the provider's staff or an administrator (tester 30,
// F6), the card says so, with their reason (a preset in the page's language, typed words as
// typed) and the next providers; the family's own cancellation stays "취소됨".
const cancellations = {};
function showCancelledBy(b, li) {
  const known = b.id in cancellations ? Promise.resolve(cancellations[b.id])
    : getJson("/api/v1/bookings/" + encodeURIComponent(b.id)).then((res) => {
      if (!res.ok) return null;
      cancellations[b.id] = cancelledBy(res.body);
      return cancellations[b.id];
    });
  known.then((cancel) => {
    if (!cancel) return;  // the family's own cancellation: 취소됨, as it was
    li.dataset.cancelledBy = cancel.by;
    const badge = li.querySelector(".badge");
    if (badge) badge.textContent = cancel.label;
    const where = li.querySelector("a.button, button");
    if (cancel.reason) li.insertBefore(el("p", "decline-reason", t("family_decline_reason", { reason: cancel.reason })), where);
    li.insertBefore(nextProviders(b), where);
  });
}

// The provider's reason for declining, from the booking's events (the list has none): read
// once per declined booking, shown above the link to the next providers.
const reasons = {};
function showDeclineReason(b, li) {
  const known = reasons[b.id] ? Promise.resolve(reasons[b.id])
    : getJson("/api/v1/bookings/" + encodeURIComponent(b.id)).then((res) => (res.ok ? declineReason(res.body) : null));
  known.then((reason) => {
    if (!reason) return;
    reasons[b.id] = reason;
    const line = el("p", "decline-reason", t("family_decline_reason", { reason }));
    li.insertBefore(line, li.querySelector("a.button"));
  });
}

let shown = null;
function loadBookings() {
  return getJson("/api/v1/bookings").then((res) => {
    if (!res.ok) { say(errorText(res)); return; }
    const bookings = res.body.bookings;
    // A booking whose actions changed with the time (its cancel cutoff passed) is drawn again.
    const key = bookings.map((b) => b.id + b.version + b.allowed_actions.join("|")).join(",");
    if (key === shown) return;  // unchanged: keep the list (and any open confirmation) as it is
    shown = key;
    const list = $("bookings");
    list.textContent = "";
    bookingCards(bookings).forEach((card) => list.appendChild(card));
    $("bookings-empty").hidden = bookings.length > 0;
    // A link to one date of a pattern (a matched request's "see the booking") opens its dates.
    const target = location.hash.startsWith("#booking-") ? document.getElementById(location.hash.slice(1)) : null;
    const holder = target && target.closest("details.pattern-dates");
    if (holder && !holder.open) { holder.open = true; target.scrollIntoView(); }
  });
}

// -- emergency care requests -------------------------------------------------------------------

let requestsShown = null;
function loadRequests() {
  return getJson("/api/v1/care-requests").then((res) => {
    if (!res.ok) { say(errorText(res)); return; }
    const rows = res.body.care_requests;
    const key = rows.map((r) => r.id + r.version).join(",");
    if (key === requestsShown) return;  // unchanged: keep the cards (and any open question)
    requestsShown = key;
    const list = $("care-requests");
    list.textContent = "";
    rows.slice().reverse().forEach((r) => {
      const li = el("li");
      li.appendChild(requestCard(r, () => { requestsShown = null; loadRequests(); }, childNames[r.child_id]));
      list.appendChild(li);
    });
  });
}

// -- the family's data ---------------------------------------------------------------------------

function setupDeleteAll() {
  const understood = $("delete-understood");
  const yes = $("delete-all-yes");
  $("delete-all").addEventListener("click", () => { $("delete-confirm").hidden = false; $("delete-all").hidden = true; understood.focus(); });
  $("delete-all-no").addEventListener("click", () => {
    $("delete-confirm").hidden = true; $("delete-all").hidden = false; understood.checked = false; yes.disabled = true;
  });
  understood.addEventListener("change", () => { yes.disabled = !understood.checked; });
  yes.addEventListener("click", () => {
    yes.disabled = true;
    send("DELETE", "/api/v1/me").then((res) => {
      if (!res.ok) { $("delete-status").textContent = errorText(res); yes.disabled = false; return; }
      forgetHome();
      leaveNotice("family_data_deleted");  // the map says it (map/main.js)
      location.assign("/?lang=" + cfg.lang);
    });
  });
}

$("add-child").addEventListener("click", () => openForm(null));
$("child-cancel").addEventListener("click", closeForm);
$("child-form").addEventListener("submit", saveChild);
// A refusal is about what was sent: it goes once the parent changes any field or consent.
["input", "change"].forEach((kind) => $("child-form").addEventListener(kind, () => {
  $("child-form-error").textContent = "";
}));
setupDeleteAll();
// A consent given or withdrawn in the consents section: the child form's boxes follow it.
document.addEventListener("family:consents-changed", () => loadConsents().then(() => {
  if (!$("child-form").hidden) drawConsents();
}));
Promise.all([loadConsents(), loadChildren()]).then(() => Promise.all([loadBookings(), loadRequests()])).then(() => {
  document.body.dataset.ready = "1";
  // The bookings and requests are read again at every poll: each card follows its booking or
  // request through every state (confirmed, in care, completed, no-show, cancelled by the
  // provider), and one made in another tab shows, without a reload (an unchanged list is not
  // drawn again); the same cheap reads notice a session that ended elsewhere (api.js
  // noticeSignedOut) even when nothing waits.
  const loadNotices = setupNotices();  // the notices block follows the same poll
  poll(() => Promise.all([loadBookings(), loadRequests(), loadNotices()]), cfg.poll_ms || 2000);
});
// Once the session ended, no write can succeed: every button on the page is disabled (the notice
// at the top links to signing in again, back here).
disableWritesWhenSignedOut();
