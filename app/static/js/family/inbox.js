// /provider/inbox: the provider's new bookings, shown within 2 s without a reload (the API is
// asked every second while the page is visible), each opened on demand (the child's first
// name, age and notes: the API logs every opening), accepted or declined with a reason;
// today's list with check-in, check-out and no-show; places for the next 7 days; the
// automatic-confirmation switch. The open offers of emergency care join the same poll through
// `sections`: the child's first name, programme, window, 시군 and the time left to answer
// (counting down), accepted or declined (a reason optional); an answer the API refuses because
// the offer is gone (another provider accepted first, the time ran out, the family cancelled)
// is said and the offer dropped; one refused while the offer stays open (no place left in that
// slot) is said with what to do, and the offer kept.
import { $, el, pageConfig, registryToday, t } from "../common.js";
import { errorText, getJson, poll, programmeName, send, stateName, wallIso, windowText } from "./api.js";

const cfg = pageConfig();
const fid = encodeURIComponent(cfg.facility_id);

function say(message) {
  $("inbox-status").textContent = message;
}

function ageText(months) {
  const y = Math.floor(months / 12);
  const m = months % 12;
  return y ? t("inbox_age_years_months", { y, m }) : t("inbox_age_months", { m });
}

// The child of a booking, read only when staff open it (the API logs each read).
function childBlock(b) {
  const box = el("div", "child-detail");
  const open = el("button", null, t("inbox_open_child"));
  open.type = "button";
  open.setAttribute("aria-expanded", "false");
  const detail = el("dl");
  detail.hidden = true;
  open.addEventListener("click", () => {
    if (!detail.hidden) { detail.hidden = true; open.setAttribute("aria-expanded", "false"); return; }
    getJson("/api/v1/bookings/" + b.id + "/child").then((res) => {
      detail.textContent = "";
      if (!res.ok) { detail.appendChild(el("dd", "error", errorText(res))); detail.hidden = false; return; }
      const c = res.body;
      [["inbox_child_name", c.first_name], ["inbox_child_age", ageText(c.age_months)],
        ["inbox_child_notes", c.care_notes || t("inbox_no_notes")],
        ["inbox_child_contact", c.emergency_contact.name + " " + c.emergency_contact.phone]].forEach(([k, v]) => {
        detail.appendChild(el("dt", null, t(k)));
        detail.appendChild(el("dd", null, v));
      });
      detail.hidden = false;
      open.setAttribute("aria-expanded", "true");
    });
  });
  box.appendChild(open);
  box.appendChild(detail);
  return box;
}

function act(b, action, reason) {
  const payload = { version: b.version };
  if (reason) payload.reason = reason;
  return send("POST", "/api/v1/bookings/" + b.id + "/" + action, payload).then((res) => {
    say(res.ok ? t("inbox_done_" + action) : errorText(res));
    sections.forEach((s) => s.load());
    loadToday();
    loadAllSlots();  // a decline, cancel or check-out gives a place back: the summary says so at once
    return res;
  });
}

// Decline: a reason is required; the common ones to tap, or one's own words.
function declineBlock(b) {
  const box = el("div", "decline");
  box.hidden = true;
  const group = el("fieldset");
  group.appendChild(el("legend", null, t("inbox_decline_reason")));
  const name = "reason-" + b.id;
  (cfg.decline_reasons || []).concat([""]).forEach((r) => {
    const label = el("label", "choice");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = name;
    radio.value = r;
    // None is picked before staff pick one: a reason must be chosen (or typed).
    label.appendChild(radio);
    label.appendChild(document.createTextNode(" " + (r || t("inbox_reason_other"))));
    group.appendChild(label);
  });
  const other = document.createElement("input");
  other.type = "text";
  other.maxLength = 500;
  other.setAttribute("aria-label", t("inbox_reason_other"));
  other.className = "other-reason";
  group.appendChild(other);
  box.appendChild(group);
  const send2 = el("button", "danger", t("inbox_decline_send"));
  send2.type = "button";
  const problem = el("p", "error");
  problem.setAttribute("role", "alert");
  send2.addEventListener("click", () => {
    const picked = box.querySelector("input[name='" + name + "']:checked");
    const reason = picked && picked.value ? picked.value : other.value.trim();
    if (!reason) { problem.textContent = t("inbox_reason_needed"); other.focus(); return; }
    send2.disabled = true;
    act(b, "decline", reason).then(() => { send2.disabled = false; });
  });
  other.addEventListener("input", () => {
    const own = box.querySelector("input[name='" + name + "'][value='']");
    if (own && other.value) own.checked = true;
  });
  box.appendChild(send2);
  box.appendChild(problem);
  return box;
}

function newBookingItem(b) {
  const li = el("li", "card booking");
  li.dataset.id = b.id;
  li.appendChild(el("h4", null, programmeName(b.programme)));
  li.appendChild(el("p", "window", windowText(b.start, b.end)));
  if (b.hold_expires_at) {
    li.appendChild(el("p", "hint", t("inbox_answer_by", { time: wallIso(b.hold_expires_at).slice(11) })));
  }
  li.appendChild(childBlock(b));
  const actions = el("div", "actions");
  const accept = el("button", "primary", t("inbox_accept"));
  accept.type = "button";
  accept.dataset.action = "confirm";
  accept.addEventListener("click", () => { accept.disabled = true; act(b, "confirm").then(() => { accept.disabled = false; }); });
  const decline = el("button", "danger-outline", t("inbox_decline"));
  decline.type = "button";
  decline.dataset.action = "decline";
  const reasons = declineBlock(b);
  decline.addEventListener("click", () => { reasons.hidden = !reasons.hidden; });
  actions.appendChild(accept);
  actions.appendChild(decline);
  li.appendChild(actions);
  li.appendChild(reasons);
  return li;
}

// One inbox section (`key`: the member of the API's answer holding the rows): its list is kept (items opened stay open) and only what changed is
// added or taken away; new items are announced.
function section(listId, emptyId, url, key, item, announceKey) {
  const seen = {};
  let first = true;
  return {
    load() {
      return getJson(url).then((res) => {
        if (!res.ok) { say(errorText(res)); return; }
        const list = $(listId);
        const rows = res.body[key];
        const ids = {};
        let added = 0;
        rows.forEach((b) => {
          ids[b.id] = true;
          if (seen[b.id] && seen[b.id].version === b.version) return;
          const fresh = item(b);
          if (seen[b.id]) list.replaceChild(fresh, seen[b.id].node);
          else { list.insertBefore(fresh, list.firstChild); added += 1; }
          seen[b.id] = { version: b.version, node: fresh };
        });
        Object.keys(seen).forEach((id) => { if (!ids[id]) { seen[id].node.remove(); delete seen[id]; } });
        $(emptyId).hidden = rows.length > 0;
        if (added && !first) say(t(announceKey, { n: added }));
        first = false;
      });
    },
  };
}

// -- offers of emergency care --------------------------------------------------------------------

function sigunName(code) {
  return (code && (cfg.siguns || {})[code]) || t("inbox_offer_no_sigun");
}

// "4:59 left" until `iso`, "time is up" after it.
function leftText(iso) {
  const seconds = Math.floor((Date.parse(iso) - Date.now()) / 1000);
  if (seconds <= 0) return t("inbox_offer_time_up");
  const m = Math.floor(seconds / 60);
  return t("inbox_offer_left", { time: m + ":" + String(seconds % 60).padStart(2, "0") });
}

function tickCountdowns() {
  document.querySelectorAll("#new-offers [data-respond-by]").forEach((n) => {
    n.textContent = leftText(n.dataset.respondBy);
  });
}

// The message of a refused answer that means the offer is gone (another provider accepted
// first or the family cancelled: the request's or the offer's state says so; the time ran out;
// no such offer any more), or null when the offer is still open.
function offerGone(res) {
  const err = (res.body && res.body.error) || {};
  if (res.status === 404 && err.code === "not_found") return "inbox_offer_gone_taken";
  if (res.status !== 409 || err.code !== "invalid_transition") return null;
  if (err.current_state === "offered") return null;
  return err.current_state === "expired" ? "inbox_offer_gone_expired" : "inbox_offer_gone_taken";
}

// Why an offer still open could not be answered: by the error's code (no place left in that
// slot: free a place or decline), else as the API says it.
function offerRefusal(res) {
  const code = res.body && res.body.error && res.body.error.code;
  return code === "no_places" ? t("inbox_offer_no_places") : errorText(res);
}

function answerOffer(o, action, reason, li) {
  const payload = {};
  if (reason) payload.reason = reason;
  return send("POST", "/api/v1/offers/" + encodeURIComponent(o.id) + "/" + action, payload).then((res) => {
    if (res.ok) {
      say(t(action === "accept" ? "inbox_offer_accepted" : "inbox_offer_declined", { name: o.first_name || "" }));
      li.remove();
      if (action === "accept") loadToday();  // the acceptance booked the child here: today's list shows it now
    } else if (offerGone(res)) {
      say(t(offerGone(res)));
      li.remove();
    } else {
      // Refused but still open (no place left in that slot, a network failure): say why and
      // keep it listed, to answer again once a place is free, or to decline.
      say(offerRefusal(res));
    }
    offers.load();
    loadAllSlots();
    return res;
  });
}

function offerItem(o) {
  const li = el("li", "card offer");
  li.dataset.id = o.id;
  li.appendChild(el("h4", null, t("inbox_offer_head", { name: o.first_name || t("inbox_offer_child"),
    programme: programmeName(o.programme) })));
  li.appendChild(el("p", "window", windowText(o.start, o.end)));
  li.appendChild(el("p", null, t("inbox_offer_where", { sigun: sigunName(o.sigun_code) })));
  const left = el("p", "countdown", leftText(o.respond_by));
  left.dataset.respondBy = o.respond_by;
  li.appendChild(left);
  li.appendChild(el("p", "hint", t("inbox_answer_by", { time: wallIso(o.respond_by).slice(11) })));
  const actions = el("div", "actions");
  const accept = el("button", "primary", t("inbox_accept"));
  accept.type = "button";
  accept.dataset.action = "accept";
  accept.addEventListener("click", () => { accept.disabled = true; answerOffer(o, "accept", null, li).then(() => { accept.disabled = false; }); });
  const decline = el("button", "danger-outline", t("inbox_decline"));
  decline.type = "button";
  decline.dataset.action = "decline";
  const box = el("div", "decline");
  box.hidden = true;
  const reason = document.createElement("input");
  reason.type = "text";
  reason.maxLength = 500;
  reason.className = "other-reason";
  const label = el("label", null, t("inbox_offer_reason"));
  label.appendChild(reason);
  box.appendChild(label);
  const send2 = el("button", "danger", t("inbox_decline_send"));
  send2.type = "button";
  send2.dataset.action = "decline-send";
  send2.addEventListener("click", () => {
    send2.disabled = true;
    answerOffer(o, "decline", reason.value.trim(), li).then(() => { send2.disabled = false; });
  });
  box.appendChild(send2);
  decline.addEventListener("click", () => { box.hidden = !box.hidden; if (!box.hidden) reason.focus(); });
  actions.appendChild(accept);
  actions.appendChild(decline);
  li.appendChild(actions);
  li.appendChild(box);
  return li;
}

const offers = section("new-offers", "offers-empty", "/api/v1/offers?facility_id=" + fid, "offers", offerItem,
  "inbox_new_offers");

const sections = [
  offers,
  section("new-bookings", "new-empty", "/api/v1/bookings?status=requested&facility_id=" + fid, "bookings", newBookingItem,
    "inbox_new_bookings"),
];

// -- today ---------------------------------------------------------------------------------------

const TODAY_ACTIONS = [["check_in", "inbox_check_in", "primary"], ["check_out", "inbox_check_out", "primary"],
  ["mark_no_show", "inbox_no_show", "danger-outline"]];

function todayItem(b) {
  const li = el("li", "card booking state-" + b.status);
  li.dataset.id = b.id;
  li.dataset.status = b.status;
  li.appendChild(el("h4", null, (b.first_name ? b.first_name + " · " : "") + windowText(b.start, b.end)));
  li.appendChild(el("p", null, programmeName(b.programme) + " · " + stateName(b.status)));
  if (["requested", "accepted", "in-progress"].indexOf(b.status) >= 0) li.appendChild(childBlock(b));
  const actions = el("div", "actions");
  TODAY_ACTIONS.forEach(([action, key, cls]) => {
    if (b.allowed_actions.indexOf(action) < 0) return;
    const button = el("button", cls, t(key));
    button.type = "button";
    button.dataset.action = action;
    button.addEventListener("click", () => { button.disabled = true; act(b, action).then(() => { button.disabled = false; }); });
    actions.appendChild(button);
  });
  li.appendChild(actions);
  return li;
}

// Today's list is polled without the children's first names; only when it changed is it read
// again with them (include=first_name: the API logs each name given as a read of the child's
// record), so an unchanged list read every few seconds logs nothing.
let todayShown = null;
function todayRows(body) {
  return body.bookings.filter((b) => b.status !== "requested").reverse();
}
function todayKey(rows) {
  return rows.map((b) => b.id + b.version).join(",");
}
function loadToday() {
  const d = registryToday();
  const day = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  $("today-date").textContent = day;
  const url = "/api/v1/bookings?facility_id=" + fid + "&day=" + day;
  return getJson(url).then((res) => {
    if (!res.ok) { say(errorText(res)); return null; }
    if (todayKey(todayRows(res.body)) === todayShown) return null;
    return getJson(url + "&include=first_name").then((named) => {
      if (!named.ok) { say(errorText(named)); return; }
      const rows = todayRows(named.body);
      todayShown = todayKey(rows);
      const list = $("today");
      list.textContent = "";
      rows.forEach((b) => list.appendChild(todayItem(b)));
      $("today-empty").hidden = rows.length > 0;
    });
  });
}

// -- places and settings -------------------------------------------------------------------------

function loadSlots(programme) {
  const out = document.querySelector("[data-slots='" + programme + "']");
  return getJson("/api/v1/providers/" + fid + "/slots?programme=" + programme).then((res) => {
    if (!res.ok) { out.textContent = errorText(res); return; }
    const now = Date.now();
    const ahead = res.body.slots.filter((s) => Date.parse(s.end) > now);
    const free = ahead.reduce((n, s) => n + s.free, 0);
    const held = ahead.reduce((n, s) => n + s.held, 0);
    out.textContent = ahead.length ? t("inbox_slots_summary", { n: ahead.length, free, held,
      until: wallIso(ahead[ahead.length - 1].end).slice(0, 10) }) : t("inbox_slots_none");
  });
}

function loadAllSlots() {
  document.querySelectorAll("form.derive").forEach((form) => loadSlots(form.dataset.programme));
}

function setupSlots() {
  document.querySelectorAll("form.derive").forEach((form) => {
    const programme = form.dataset.programme;
    loadSlots(programme);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const places = parseInt(form.elements.places.value, 10);
      const derive = { days: 7, slot_minutes: 60 };
      if (!isNaN(places)) derive.places = places;
      const button = form.querySelector("button");
      button.disabled = true;
      send("POST", "/api/v1/providers/" + fid + "/slots", { programme, derive }).then((res) => {
        button.disabled = false;
        form.querySelector(".result").textContent = res.ok ? t("inbox_slots_added", { added: res.body.added,
          planned: res.body.planned }) : errorText(res);
        loadSlots(programme);
      });
    });
  });
}

function setupAutoConfirm() {
  const box = $("auto-confirm");
  if (!box) return;
  box.checked = !!cfg.auto_confirm;
  box.addEventListener("change", () => {
    const wanted = box.checked;
    box.disabled = true;
    send("PUT", "/api/v1/providers/" + fid + "/booking-settings", { auto_confirm: wanted }).then((res) => {
      box.disabled = false;
      if (!res.ok) { box.checked = !wanted; $("auto-confirm-status").textContent = errorText(res); return; }
      $("auto-confirm-status").textContent = t(wanted ? "inbox_auto_on" : "inbox_auto_off");
    });
  });
}

if (cfg.facility_id) {
  setupSlots();
  setupAutoConfirm();
  Promise.all(sections.map((s) => s.load()).concat([loadToday()])).then(() => { document.body.dataset.ready = "1"; });
  setInterval(tickCountdowns, 1000);
  let ticks = 0;
  poll(() => {
    ticks += 1;
    const all = sections.map((s) => s.load());
    if (ticks % 5 === 0) { all.push(loadToday()); loadAllSlots(); }  // new bookings hold places too
    return Promise.all(all);
  }, cfg.poll_ms || 1000);
}
