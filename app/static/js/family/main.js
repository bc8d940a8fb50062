// /family: the guardian's children (register with the consents shown and recorded first,
// change, delete), bookings and requests with their states (cancel after a confirmation; read
// again every poll_ms, so they follow every state and a session that ended elsewhere shows), and
// the family's data (download, delete after a confirmation).
import { $, el, pageConfig, t } from "../common.js";
import { forgetHome, leaveNotice, rememberedHome } from "../map/home_memory.js";
import { cancelClosedLine, declineReason, disableWritesWhenSignedOut, errorText, facilityOf, getConsents, getJson,
  mapSearchUrl, poll, programmeName, send, stateName, wallIso, windowText } from "./api.js";
import { apiProblems, formProblems, showProblems } from "./child_checks.js";
import { fullName } from "./names.js";
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

function bookingItem(b) {
  const li = el("li", "card booking state-" + b.status);
  li.id = "booking-" + b.id;  // a matched request's "see the booking" link lands here
  li.dataset.id = b.id;
  li.dataset.status = b.status;
  const title = el("h4");
  const name = el("span", "provider", names[b.facility_id] || b.facility_id);
  title.appendChild(name);
  facilityName(b.facility_id).then((n) => { name.textContent = n; });
  li.appendChild(title);
  const state = el("p", "state");
  state.appendChild(el("strong", "badge", stateName(b.status)));
  li.appendChild(state);
  li.appendChild(el("p", null, (childNames[b.child_id] ? childNames[b.child_id] + " · " : "") + programmeName(b.programme)));
  li.appendChild(el("p", null, windowText(b.start, b.end)));
  if (b.reference) li.appendChild(el("p", "hint reference", t("family_booking_reference", { reference: b.reference })));
  if (b.status === "requested" && b.hold_expires_at) {
    li.appendChild(el("p", "hint", t("family_waiting_until", { time: wallIso(b.hold_expires_at).slice(11) })));
  }
  if (b.status === "rejected" || b.status === "expired") {
    // The next providers from the home this tab last searched from (home_memory.js; without
    // one the map searches next to this provider), this one left out.
    const next = el("a", "button", t("family_next_providers"));
    next.href = mapSearchUrl(b.programme, wallIso(b.start), wallIso(b.end), rememberedHome(), b.facility_id);
    li.appendChild(next);
  }
  if (b.status === "rejected") showDeclineReason(b, li);
  // A booking the family may no longer cancel says so in one line, with the provider's phone to call.
  if (b.actions_closed && b.actions_closed.cancel) li.appendChild(cancelClosedLine(b.actions_closed.cancel, b.start, b.facility_id));
  if (b.allowed_actions.indexOf("cancel") >= 0) {
    li.appendChild(confirmButton(t("family_cancel_booking"), t("family_cancel_question"), t("family_cancel_yes"),
      () => send("POST", "/api/v1/bookings/" + b.id + "/cancel", { version: b.version }).then((res) => {
        say(res.ok ? t("family_cancelled") : errorText(res));
        loadBookings();
      })));
  }
  return li;
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
    bookings.forEach((b) => list.appendChild(bookingItem(b)));
    $("bookings-empty").hidden = bookings.length > 0;
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
