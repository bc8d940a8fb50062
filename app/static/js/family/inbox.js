// /provider/inbox: the provider's new bookings, shown within 2 s without a reload (the API is
// asked every second while the page is visible), each opened on demand (the child's first
// name, age and notes: the API logs every opening; one rule for every card, childBlock()),
// accepted or declined with a reason;
// the list of a day (today's, or a coming day's with places open) with check-in, check-out and
// no-show (final: asked first) when the API allows them; places for the days ahead chosen; the
// automatic-confirmation switch. The open offers of emergency care join the same poll through
// `sections`: programme, window, 시군 and the time left to answer (the child's first name and age
// when staff show the child, a logged read)
// (counting down), accepted or declined (a reason optional); an answer the API refuses because
// the offer is gone (another provider accepted first, the time ran out, the family cancelled)
// is said where its card was (until staff tap OK), as is an offer that leaves the list between
// two polls (lapsed, taken by another provider, the request ended: the offer is read once to say
// which); one refused while the offer stays open (no place left in that slot) is said with what
// to do, and the offer kept. The dates of one weekly pattern waiting for an answer are ONE item
// (the child's first name, weekdays, time window, first–last date, how many dates) with accept
// all and decline all (the reason asked once) and the dates to open and answer one by one; the
// answer names what became of each date (one that lapsed or was cancelled meanwhile is said).
import { $, el, pageConfig, registryToday, t } from "../common.js";
import { errorText, getJson, poll, programmeName, send, stateName, wallIso, windowText } from "./api.js";
import { setupNotices } from "./notices.js";
import { everyDay } from "./pattern_days.js";

const cfg = pageConfig();
const fid = encodeURIComponent(cfg.facility_id);

// The status line's announcement of new items, while it shows one: { key, ids } (the section's
// message key, the ids of the items it counts). Every load of that section counts again those
// still listed, so the line never names items that have gone (a lapsed offer, a lapsed hold).
let announced = null;

function say(message) {
  announced = null;
  $("inbox-status").textContent = message;
}

// "1 new booking." / "2 new bookings.": the message key for one (<key>_one), else the key.
function countText(key, n) {
  return t(n === 1 ? key + "_one" : key, { n });
}

// Say (again) how many of the announced items are still listed: `ids` the listed ones (id -> how
// many it counts: a weekly pattern's item counts its dates), `fresh` those first listed now; the
// line is cleared when none of the announced is left.
function announce(key, ids, fresh) {
  const before = announced && announced.key === key ? announced.ids.filter((id) => ids[id]) : [];
  if (!fresh.length && !(announced && announced.key === key)) return;
  const now = before.concat(fresh);
  const n = now.reduce((sum, id) => sum + (Number(ids[id]) || 1), 0);
  if (!fresh.length && now.length === announced.ids.length && n === announced.n) return;
  if (!now.length) { say(""); return; }
  $("inbox-status").textContent = countText(key, n);
  announced = { key, ids: now, n };
}

// A time on the registry's wall clock as HH:MM, as every other time on the pages ("22:42"): a
// deadline ("answer by") is shown at the minute it falls in (never later than it is), a time an
// action opens ("from") at the next whole minute when it has seconds (never earlier than it is).
const MINUTE_MS = 60000;
function clockText(iso, opens) {
  const ms = Date.parse(iso);
  const shown = opens ? Math.ceil(ms / MINUTE_MS) * MINUTE_MS : Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  return wallIso(new Date(shown).toISOString()).slice(11, 16);
}

function ageText(months) {
  const y = Math.floor(months / 12);
  const m = months % 12;
  return y ? t("inbox_age_years_months", { y, m }) : t("inbox_age_months", { m });
}

// THE rule for naming a child on every card (a new booking, a weekly pattern, an offer, the day's
// list), all through this function: before staff tap "Show the child (each view is logged)" a card
// names no child (its heading says 아이 / Child, with the programme or window; the reference and
// the window tell cards apart); after, the heading names the child by first name and the details
// list what the card's API gives (a booking: name, age, care notes, emergency contact; an offer:
// name, age). Nothing else asks the API for a name, so a staff read is logged exactly when a child
// is shown. `url`: the API path of the child (a logged read); `head`: the card's heading element;
// `headText(name)`: its text, name null before showing. One showing is one read: a card redrawn
// by a poll (a new version) keeps it shown from `shownChildren` without asking again; hiding ends
// the showing (showing again is a new read).
const shownChildren = {};  // url -> the child the API gave, while shown

function childDetails(detail, c) {
  detail.textContent = "";
  const rows = [["inbox_child_name", c.first_name], ["inbox_child_age", ageText(c.age_months)]];
  if ("care_notes" in c) rows.push(["inbox_child_notes", c.care_notes || t("inbox_no_notes")]);
  if (c.emergency_contact) {
    rows.push(["inbox_child_contact", c.emergency_contact.name + " " + c.emergency_contact.phone]);
  }
  rows.forEach(([k, v]) => {
    detail.appendChild(el("dt", null, t(k)));
    detail.appendChild(el("dd", null, v));
  });
}

function childBlock(url, head, headText) {
  head.textContent = headText(shownChildren[url] ? shownChildren[url].first_name : null);
  const box = el("div", "child-detail");
  const open = el("button", null, t("inbox_open_child"));
  open.type = "button";
  open.dataset.child = "show";  // not data-action: the card's actions are the booking's
  const detail = el("dl");
  const show = (c) => {
    const on = !!c;
    if (on) childDetails(detail, c);
    detail.hidden = !on;
    open.setAttribute("aria-expanded", on ? "true" : "false");
    head.textContent = headText(on ? c.first_name : null);
  };
  show(shownChildren[url] || null);
  open.addEventListener("click", () => {
    if (shownChildren[url]) { delete shownChildren[url]; show(null); return; }
    open.disabled = true;
    getJson(url).then((res) => {
      open.disabled = false;
      if (!res.ok) {
        detail.textContent = "";
        detail.appendChild(el("dd", "error", errorText(res)));
        detail.hidden = false;
        return;
      }
      shownChildren[url] = res.body;
      show(res.body);
    });
  });
  box.appendChild(open);
  box.appendChild(detail);
  return box;
}

// The first name a card shows now (null: not shown), for messages about it.
function shownName(url) {
  return shownChildren[url] ? shownChildren[url].first_name : null;
}

function bookingChildUrl(id) {
  return "/api/v1/bookings/" + encodeURIComponent(id) + "/child";
}

// "아이 · 초등 시설형 긴급돌봄" / "서준 · …": a card's heading, `name` null until shown.
function namedHead(name, programme) {
  return t("inbox_offer_head", { name: name || t("inbox_offer_child"), programme: programmeName(programme) });
}

// A decline's reason as the API takes it: a common one by its code ({ reason_code }: stored as
// the code, each reader sees it in their own language), or the words typed ({ reason }).
function reasonBody(reason) {
  if (!reason) return {};
  return typeof reason === "object" ? { ...reason } : { reason };
}

function act(b, action, reason) {
  const payload = { version: b.version, ...reasonBody(reason) };
  return send("POST", "/api/v1/bookings/" + b.id + "/" + action, payload).then((res) => {
    say(res.ok ? t("inbox_done_" + action) : errorText(res));
    if (res.ok && action === "confirm") {
      // A booking of another day leaves 새 예약 for that day's list: say where to find it.
      const day = wallIso(b.start).slice(0, 10);
      if (day !== shownDay()) say(t("inbox_done_confirm") + " " + t("inbox_confirmed_on_day", { date: day }));
    }
    sections.forEach((s) => s.load());
    loadToday();
    loadAllSlots();  // a decline, cancel or check-out gives a place back: the summary says so at once
    return res;
  });
}

// Decline: the common reasons to tap, or one's own words; required unless `optional` (an
// offer's). `decline(reason)`: what sending does (default: decline the booking `b`; a pattern's:
// decline all its dates; an offer's: decline the offer).
// `texts`: the legend's and the send button's keys (a staff cancellation's; default a decline's).
function declineBlock(b, decline, optional, texts) {
  const box = el("div", "decline");
  box.hidden = true;
  const group = el("fieldset");
  const legend = (texts && texts.legend) || (optional ? "inbox_offer_reason" : "inbox_decline_reason");
  group.appendChild(el("legend", null, t(legend)));
  const name = "reason-" + b.id;
  (cfg.decline_reasons || []).concat([null]).forEach((r) => {
    const label = el("label", "choice");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = name;
    radio.value = r ? r.code : "";  // a common reason is sent by its code
    // None is picked before staff pick one: a reason must be chosen (or typed).
    label.appendChild(radio);
    label.appendChild(document.createTextNode(" " + (r ? r.text : t("inbox_reason_other"))));
    group.appendChild(label);
  });
  const other = document.createElement("input");
  other.type = "text";
  other.maxLength = 500;
  other.setAttribute("aria-label", t("inbox_reason_other"));
  other.className = "other-reason";
  group.appendChild(other);
  box.appendChild(group);
  const send2 = el("button", "danger", t((texts && texts.send) || "inbox_decline_send"));
  send2.type = "button";
  send2.dataset.action = (texts && texts.action ? texts.action : "decline") + "-send";
  const problem = el("p", "error");
  problem.setAttribute("role", "alert");
  send2.addEventListener("click", () => {
    const picked = box.querySelector("input[name='" + name + "']:checked");
    const reason = picked && picked.value ? { reason_code: picked.value } : other.value.trim();
    if (!reason && !optional) { problem.textContent = t("inbox_reason_needed"); other.focus(); return; }
    send2.disabled = true;
    (decline ? decline(reason) : act(b, "decline", reason)).then(() => { send2.disabled = false; });
  });
  other.addEventListener("input", () => {
    const own = box.querySelector("input[name='" + name + "'][value='']");
    if (own && other.value) own.checked = true;
  });
  box.appendChild(send2);
  box.appendChild(problem);
  return box;
}

// The booking's reference ("예약번호 3F9A-2C7E", app/care/references.py), as the family sees it
// on /family: staff can tell bookings apart by it and the time when no name is shown (the
// family withdrew share_with_provider), and a parent can quote it on the phone.
function referenceLine(b) {
  return b.reference ? el("p", "hint reference", t("family_booking_reference", { reference: b.reference })) : null;
}

function newBookingItem(b) {
  const li = el("li", "card booking");
  li.dataset.id = b.id;
  const head = el("h4");
  li.appendChild(head);
  li.appendChild(el("p", "window", windowText(b.start, b.end)));
  const ref = referenceLine(b);
  if (ref) li.appendChild(ref);
  if (b.hold_expires_at) {
    li.appendChild(el("p", "hint", t("inbox_answer_by", { time: clockText(b.hold_expires_at) })));
  }
  li.appendChild(childBlock(bookingChildUrl(b.id), head, (name) => namedHead(name, b.programme)));
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

// -- weekly patterns ------------------------------------------------------------------------------

const openPatterns = {};  // pattern ids whose dates staff opened (kept open when the item is redrawn)

// The waiting bookings as the list shows them: the dates of one pattern (two or more still
// waiting) as one group { id: "pattern-<id>", pattern_id, version, members (date order) } where
// the first of them was, every other booking as it is.
function groupPatterns(rows) {
  const members = {};
  rows.forEach((b) => { if (b.pattern_id) (members[b.pattern_id] = members[b.pattern_id] || []).push(b); });
  const out = [];
  const placed = {};
  rows.forEach((b) => {
    const group = b.pattern_id && members[b.pattern_id].length > 1 ? members[b.pattern_id] : null;
    if (!group) { out.push(b); return; }
    if (placed[b.pattern_id]) return;
    placed[b.pattern_id] = true;
    const dates = group.slice().sort((x, y) => Date.parse(x.start) - Date.parse(y.start));
    out.push({ id: "pattern-" + b.pattern_id, pattern_id: b.pattern_id, programme: b.programme, members: dates,
      version: dates.map((m) => m.id + ":" + m.version).join(",") });
  });
  return out;
}

// "화·목" / "Tue, Thu": the weekdays the dates fall on (the registry's calendar), Monday first.
function weekdaysText(members) {
  const names = t("weekday_names").split(",");
  const days = {};
  members.forEach((m) => { days[(new Date(wallIso(m.start).slice(0, 10) + "T00:00:00Z").getUTCDay() + 6) % 7] = true; });
  return Object.keys(days).map(Number).sort().map((d) => names[d]).join(cfg.lang === "en" ? ", " : "·");
}

// What became of the dates of a pattern answered as one: how many were done, then each date not
// done named with why (lapsed, cancelled by the family, already answered).
const NOT_DONE = { expired: "inbox_pattern_date_expired", cancelled: "inbox_pattern_date_cancelled",
  accepted: "inbox_pattern_date_accepted", rejected: "inbox_pattern_date_rejected" };
function patternReport(action, body) {
  const lines = [t(action === "confirm" ? "inbox_pattern_done_confirm" : "inbox_pattern_done_decline",
    { n: body.done })];
  body.dates.filter((d) => !d.done).forEach((d) => {
    lines.push(t(NOT_DONE[d.status] || "inbox_pattern_date_other", { date: d.date, state: stateName(d.status) }));
  });
  return lines.join(" ");
}

function answerPattern(g, action, reason) {
  const payload = reasonBody(reason);
  return send("POST", "/api/v1/booking-patterns/" + encodeURIComponent(g.pattern_id) + "/" + action, payload)
    .then((res) => {
      say(res.ok ? patternReport(action, res.body) : errorText(res));
      sections.forEach((s) => s.load());
      loadToday();
      loadAllSlots();
      return res;
    });
}

function patternItem(g) {
  const li = el("li", "card booking pattern");
  li.dataset.id = g.id;
  li.dataset.patternId = g.pattern_id;
  const first = g.members[0];
  const last = g.members[g.members.length - 1];
  const head = el("h4");
  li.appendChild(head);
  // the child of the pattern's first date still waiting: one read for the whole pattern
  const daily = everyDay(g.members);  // consecutive days: "매일" / "every day", not "매주 <weekdays>"
  const child = childBlock(bookingChildUrl(first.id), head, (name) => t(daily ? "inbox_pattern_head_daily"
    : "inbox_pattern_head", { name: name || t("inbox_offer_child"), programme: programmeName(g.programme) }));
  li.appendChild(el("p", "pattern-every", t(daily ? "inbox_pattern_every_daily" : "inbox_pattern_every",
    { weekdays: weekdaysText(g.members),
    times: wallIso(first.start).slice(11, 16) + "–" + wallIso(first.end).slice(11, 16) })));
  li.appendChild(el("p", "window pattern-dates", t("inbox_pattern_dates", { first: wallIso(first.start).slice(0, 10),
    last: wallIso(last.start).slice(0, 10), n: g.members.length })));
  const by = g.members.map((m) => m.hold_expires_at).filter(Boolean).sort()[0];
  if (by) li.appendChild(el("p", "hint", t("inbox_answer_by", { time: clockText(by) })));
  li.appendChild(child);
  const actions = el("div", "actions");
  const accept = el("button", "primary", t("inbox_accept_all"));
  accept.type = "button";
  accept.dataset.action = "confirm-all";
  accept.addEventListener("click", () => {
    accept.disabled = true;
    answerPattern(g, "confirm").then(() => { accept.disabled = false; });
  });
  const decline = el("button", "danger-outline", t("inbox_decline_all"));
  decline.type = "button";
  decline.dataset.action = "decline-all";
  const reasons = declineBlock(g, (reason) => answerPattern(g, "decline", reason));
  decline.addEventListener("click", () => { reasons.hidden = !reasons.hidden; });
  const open = el("button", "secondary", t("inbox_pattern_open", { n: g.members.length }));
  open.type = "button";
  open.dataset.action = "open-dates";
  const dates = el("ul", "pattern-dates-list");
  g.members.forEach((m) => dates.appendChild(newBookingItem(m)));
  const show = (on) => {
    dates.hidden = !on;
    open.setAttribute("aria-expanded", on ? "true" : "false");
    if (on) openPatterns[g.pattern_id] = true; else delete openPatterns[g.pattern_id];
  };
  show(!!openPatterns[g.pattern_id]);
  open.addEventListener("click", () => show(dates.hidden));
  actions.appendChild(accept);
  actions.appendChild(decline);
  actions.appendChild(open);
  li.appendChild(actions);
  li.appendChild(reasons);
  li.appendChild(dates);
  return li;
}

// One inbox section (`key`: the member of the API's answer holding the rows): its list is kept
// (items opened stay open) and only what changed is added or taken away (`leave(node, id)` when
// given: what becomes of an item gone from the list; else it is removed); new items are
// announced, and the announcement follows the list (announce()).
function section(listId, emptyId, url, key, item, announceKey, leave, shape) {
  const seen = {};
  let first = true;
  return {
    load() {
      return getJson(url).then((res) => {
        if (!res.ok) { say(errorText(res)); return; }
        const list = $(listId);
        const rows = shape ? shape(res.body[key]) : res.body[key];
        const ids = {};
        const added = [];
        rows.forEach((b) => {
          ids[b.id] = b.members ? b.members.length : 1;  // a pattern's item counts its dates
          if (seen[b.id] && seen[b.id].version === b.version) return;
          const fresh = item(b);
          if (seen[b.id]) list.replaceChild(fresh, seen[b.id].node);
          else { list.insertBefore(fresh, list.firstChild); added.push(b.id); }
          seen[b.id] = { version: b.version, node: fresh };
        });
        const gone = Object.keys(seen).filter((id) => !ids[id]);
        gone.forEach((id) => {
          if (leave) leave(seen[id].node, id);
          else seen[id].node.remove();
          delete seen[id];
        });
        $(emptyId).hidden = rows.length > 0;
        announce(announceKey, ids, first ? [] : added);
        // A booking or offer come or gone holds or frees places: the summaries count them again.
        if (!first && (added.length || gone.length)) loadAllSlots();
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
  if (res.status === 409 && err.code === "invalid_transition" && err.current_state === "accepted") {
    return "inbox_offer_gone_here";
  }
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
  const payload = reasonBody(reason);
  return send("POST", "/api/v1/offers/" + encodeURIComponent(o.id) + "/" + action, payload).then((res) => {
    if (res.ok) {
      const name = shownName(offerChildUrl(o.id));
      say(action === "accept" ? (name ? t("inbox_offer_accepted", { name }) : t("inbox_offer_accepted_unnamed"))
        : t("inbox_offer_declined"));
      li.remove();
      if (action === "accept") loadToday();  // the acceptance booked the child here: today's list shows it now
    } else if (offerGone(res)) {
      say(t(offerGone(res)));
      endOffer(li, offerGone(res));
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

// The card of an offer that can no longer be answered, kept where it was with why (`key`) and
// an OK that takes it away; its child, programme and window stay so staff know which it was.
function endOffer(li, key) {
  if (li.classList.contains("offer-ended")) return;
  li.className = "card offer-ended";
  Array.from(li.children).forEach((n) => { if (n.tagName !== "H4" && !n.classList.contains("window")) n.remove(); });
  const why = el("p", "ended-why", t(key));
  why.setAttribute("role", "status");
  li.appendChild(why);
  const ok = el("button", "secondary", t("inbox_offer_gone_dismiss"));
  ok.type = "button";
  ok.dataset.action = "dismiss";
  ok.addEventListener("click", () => li.remove());
  const actions = el("div", "actions");
  actions.appendChild(ok);
  li.appendChild(actions);
}

// An offer gone from the list between two polls: read once to say why (lapsed, accepted here
// on another phone, taken by another provider or the request ended); one declined here just
// goes.
function leaveOffer(li, id) {
  if (!li.isConnected || li.classList.contains("offer-ended")) return;
  li.className = "card offer-leaving";  // no longer an open offer, while the API says why
  li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  getJson("/api/v1/offers/" + encodeURIComponent(id)).then((res) => {
    const status = res.ok ? res.body.status : null;
    if (status === "rejected") { li.remove(); return; }
    endOffer(li, status === "expired" ? "inbox_offer_gone_expired"
      : (status === "accepted" ? "inbox_offer_gone_here" : "inbox_offer_gone_taken"));
  });
}

function offerChildUrl(id) {
  return "/api/v1/offers/" + encodeURIComponent(id) + "/child";
}

function offerItem(o) {
  const li = el("li", "card offer");
  li.dataset.id = o.id;
  const head = el("h4");
  li.appendChild(head);
  li.appendChild(el("p", "window", windowText(o.start, o.end)));
  li.appendChild(el("p", null, t("inbox_offer_where", { sigun: sigunName(o.sigun_code) })));
  li.appendChild(childBlock(offerChildUrl(o.id), head, (name) => namedHead(name, o.programme)));
  const left = el("p", "countdown", leftText(o.respond_by));
  left.dataset.respondBy = o.respond_by;
  li.appendChild(left);
  li.appendChild(el("p", "hint", t("inbox_answer_by", { time: clockText(o.respond_by) })));
  const actions = el("div", "actions");
  const accept = el("button", "primary", t("inbox_accept"));
  accept.type = "button";
  accept.dataset.action = "accept";
  accept.addEventListener("click", () => { accept.disabled = true; answerOffer(o, "accept", null, li).then(() => { accept.disabled = false; }); });
  const decline = el("button", "danger-outline", t("inbox_decline"));
  decline.type = "button";
  decline.dataset.action = "decline";
  // The same common reasons as a booking's decline (tester 30), a reason optional here
  const box = declineBlock(o, (reason) => answerOffer(o, "decline", reason, li), true);
  decline.addEventListener("click", () => { box.hidden = !box.hidden; });
  actions.appendChild(accept);
  actions.appendChild(decline);
  li.appendChild(actions);
  li.appendChild(box);
  return li;
}

const offers = section("new-offers", "offers-empty", "/api/v1/offers?facility_id=" + fid, "offers", offerItem,
  "inbox_new_offers", leaveOffer);

// A new booking gone from the list between two polls: read once; one that lapsed unanswered
// (시간 초과) or that the family cancelled is said where its card was until staff tap OK, as an
// offer's is (endOffer); one answered here (or on another phone) just goes.
function leaveBooking(li, id) {
  if (!li.isConnected || li.classList.contains("offer-ended")) return;
  li.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  if (id.startsWith("pattern-")) { leavePattern(li, id.slice("pattern-".length)); return; }
  getJson("/api/v1/bookings/" + encodeURIComponent(id)).then((res) => {
    const status = res.ok ? res.body.status : null;
    if (status === "expired") endOffer(li, "inbox_booking_gone_expired");
    else if (status === "cancelled") endOffer(li, "inbox_booking_gone_cancelled");
    else li.remove();
  });
}

// A pattern's item gone from the list: its dates lapsed unanswered or the family cancelled them
// is said where it was (as a single booking's is); answered, or fewer than two dates left waiting
// (the last one is listed on its own), it just goes.
function leavePattern(li, patternId) {
  getJson("/api/v1/booking-patterns/" + encodeURIComponent(patternId)).then((res) => {
    const states = res.ok ? res.body.bookings.map((b) => b.status) : [];
    const all = (s) => states.length > 0 && states.every((x) => x === s);
    if (all("expired")) endOffer(li, everyDay(res.body.bookings) ? "inbox_pattern_gone_expired_daily"
      : "inbox_pattern_gone_expired");
    else if (all("cancelled")) endOffer(li, "inbox_booking_gone_cancelled");
    else li.remove();
  });
}

const sections = [
  offers,
  section("new-bookings", "new-empty", "/api/v1/bookings?status=requested&facility_id=" + fid, "bookings",
    (b) => (b.members ? patternItem(b) : newBookingItem(b)), "inbox_new_bookings", leaveBooking, groupPatterns),
];

// -- today ---------------------------------------------------------------------------------------

const TODAY_ACTIONS = [["check_in", "inbox_check_in", "primary"], ["check_out", "inbox_check_out", "primary"],
  ["mark_no_show", "inbox_no_show", "danger-outline"]];
const CONFIRM_FIRST = { mark_no_show: ["inbox_no_show_question", "inbox_no_show_send"] };
// Actions that are final (a no-show cannot be undone): asked again, as a decline is, before sent.

// A card of the day's list whose booking was checked out or marked a no-show here keeps the name
// it showed (the child is no longer readable then: no button to show it again).
const NAMED_AFTER = ["no-show", "completed"];

// The question before a final action: what it does, then send or keep as it is.
function confirmBlock(b, action, question, sendKey) {
  const box = el("div", "confirm-final");
  box.hidden = true;
  box.appendChild(el("p", "warning", t(question)));
  const yes = el("button", "danger", t(sendKey));
  yes.type = "button";
  yes.dataset.action = action + "-send";
  yes.addEventListener("click", () => { yes.disabled = true; act(b, action).then(() => { yes.disabled = false; }); });
  const keep = el("button", "secondary", t("inbox_keep_as_is"));
  keep.type = "button";
  keep.dataset.action = action + "-keep";
  box.appendChild(yes);
  box.appendChild(keep);
  return { box, keep };
}

function todayItem(b) {
  const li = el("li", "card booking state-" + b.status);
  li.dataset.id = b.id;
  li.dataset.status = b.status;
  const head = el("h4");
  li.appendChild(head);
  const headText = (name) => (name || t("inbox_offer_child")) + " · " + windowText(b.start, b.end);
  li.appendChild(el("p", null, programmeName(b.programme) + " · " + stateName(b.status)));
  const ref = referenceLine(b);
  if (ref) li.appendChild(ref);
  if (["requested", "accepted", "in-progress"].indexOf(b.status) >= 0) {
    li.appendChild(childBlock(bookingChildUrl(b.id), head, headText));
  } else {
    head.textContent = headText(NAMED_AFTER.indexOf(b.status) >= 0 ? shownName(bookingChildUrl(b.id)) : null);
  }
  const actions = el("div", "actions");
  const asks = [];
  TODAY_ACTIONS.forEach(([action, key, cls]) => {
    if (b.allowed_actions.indexOf(action) < 0) return;
    const button = el("button", cls, t(key));
    button.type = "button";
    button.dataset.action = action;
    if (CONFIRM_FIRST[action]) {
      const ask = confirmBlock(b, action, ...CONFIRM_FIRST[action]);
      button.setAttribute("aria-expanded", "false");
      const show = (on) => { ask.box.hidden = !on; button.setAttribute("aria-expanded", on ? "true" : "false"); };
      button.addEventListener("click", () => show(ask.box.hidden));
      ask.keep.addEventListener("click", () => { show(false); button.focus(); });
      asks.push(ask.box);
    } else {
      button.addEventListener("click", () => { button.disabled = true; act(b, action).then(() => { button.disabled = false; }); });
    }
    actions.appendChild(button);
  });
  // The provider cancels a booking with a reason the family is told (a common one or its own
  // words), e.g. closing for the day (tester 30: staff could cancel through the API only).
  if (b.allowed_actions.indexOf("cancel") >= 0) {
    const cancel = el("button", "danger-outline", t("inbox_cancel"));
    cancel.type = "button";
    cancel.dataset.action = "cancel";
    const why = declineBlock(b, (reason) => act(b, "cancel", reason), false,
      { legend: "inbox_cancel_reason", send: "inbox_cancel_send", action: "cancel" });
    cancel.setAttribute("aria-expanded", "false");
    cancel.addEventListener("click", () => {
      why.hidden = !why.hidden;
      cancel.setAttribute("aria-expanded", why.hidden ? "false" : "true");
    });
    actions.appendChild(cancel);
    asks.push(why);
  }
  li.appendChild(actions);
  asks.forEach((box) => li.appendChild(box));
  // An action the state allows but the time not yet: when it opens, instead of a button.
  TODAY_ACTIONS.forEach(([action, key]) => {
    const from = (b.actions_from || {})[action];
    if (from) li.appendChild(el("p", "hint action-from", t("inbox_action_from", { action: t(key), time: clockText(from, true) })));
  });
  return li;
}

// The list of a day: today's, or a coming day's the staff choose (#day-pick: today and the coming
// days, up to dayListDays() ahead, the provider has places published for), the bookings touching that day with
// their states (those still waiting for an answer are under 새 예약). The actions shown are the
// API's allowed_actions (a check-in opens shortly before the booked start, so a coming day's
// booking has none yet). The list names no child until staff show one (childBlock(): the rule of
// every card), so reading it every few seconds logs nothing.
// How many days ahead the day choice reaches: as far as staff may open places of any of the
// provider's programmes (the page's places_ahead: booking_rules.json's choices, a weekly
// pattern's reach among them), so every day with places published can be chosen.
function dayListDays() {
  return Math.max(0, ...Object.values(cfg.places_ahead || {}).flatMap((p) => p.choices || []));
}
let chosenDay = null;  // "YYYY-MM-DD" the staff chose, null: today (which moves on at midnight)
let todayShown = null;

function dayIso(d) {
  return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
}
function addDays(day, n) {
  return new Date(Date.parse(day + "T00:00:00Z") + n * 86400000).toISOString().slice(0, 10);
}
function shownDay() {
  return chosenDay || dayIso(registryToday());
}
function todayRows(body) {
  return body.bookings.filter((b) => b.status !== "requested").reverse();
}
function todayKey(day, rows) {
  return day + ":" + rows.map((b) => b.id + b.version).join(",");
}
function loadToday() {
  const day = shownDay();
  const url = "/api/v1/bookings?facility_id=" + fid + "&day=" + day;
  return getJson(url).then((res) => {
    if (day !== shownDay()) return null;  // another day was chosen meanwhile: its own load shows it
    if (!res.ok) { say(errorText(res)); return null; }
    const rows = todayRows(res.body);
    if (todayKey(day, rows) === todayShown) return null;
    todayShown = todayKey(day, rows);
    const list = $("today");
    list.textContent = "";
    rows.forEach((b) => list.appendChild(todayItem(b)));
    const empty = $("today-empty");
    empty.textContent = day === dayIso(registryToday()) ? t("inbox_today_empty") : t("inbox_day_empty", { date: day });
    empty.hidden = rows.length > 0;
    return null;
  });
}

function dayLabel(day, today) {
  const weekday = new Date(day + "T00:00:00Z").toLocaleDateString(cfg.lang === "en" ? "en-GB" : "ko-KR",
    { weekday: "short", timeZone: "UTC" });
  return t(day === today ? "inbox_day_today" : "inbox_day_other", { date: day, weekday });
}

// The day choice: today, and each of the next dayListDays() days in `published` (a set of
// "YYYY-MM-DD" with places open) or chosen; a chosen day that has come or passed is today's list.
function offerDays(published) {
  const pick = $("day-pick");
  const today = dayIso(registryToday());
  const last = addDays(today, dayListDays());
  if (chosenDay && chosenDay <= today) { chosenDay = null; loadToday(); }
  if (chosenDay) published[chosenDay] = true;
  const days = [today].concat(Object.keys(published).filter((d) => d > today && d <= last).sort());
  const wanted = days.map((d) => d + "=" + dayLabel(d, today)).join(",");
  if (pick.dataset.days === wanted) return;
  pick.dataset.days = wanted;
  pick.textContent = "";
  days.forEach((d) => {
    const option = el("option", null, dayLabel(d, today));
    option.value = d;
    pick.appendChild(option);
  });
  pick.value = shownDay();
}

function setupDayPick() {
  const pick = $("day-pick");
  offerDays({});
  pick.addEventListener("change", () => {
    chosenDay = pick.value === dayIso(registryToday()) ? null : pick.value;
    todayShown = null;
    $("today").textContent = "";
    $("today-empty").hidden = true;
    loadToday();
  });
}

// -- places and settings -------------------------------------------------------------------------

// "2026-12-18 07:30": until when places are open (the end of the last open hour), on the
// registry's clock — the summary and what opening places said name the same moment (tester 30).
function untilText(iso) {
  return wallIso(iso).slice(0, 16).replace("T", " ");
}

// The places summary of `programme`; resolves to the days ("YYYY-MM-DD" on the registry's
// clock) of its coming slots with places opened or held.
function loadSlots(programme) {
  const out = document.querySelector("[data-slots='" + programme + "']");
  return getJson("/api/v1/providers/" + fid + "/slots?programme=" + programme).then((res) => {
    if (!res.ok) { out.textContent = errorText(res); return []; }
    const now = Date.now();
    const ahead = res.body.slots.filter((s) => Date.parse(s.end) > now);
    const free = ahead.reduce((n, s) => n + s.free, 0);
    const held = ahead.reduce((n, s) => n + s.held, 0);
    const open = ahead.filter((s) => s.places > 0);
    out.textContent = ahead.length ? t("inbox_slots_summary", { n: ahead.length, free, held,
      // as opening places says it (its open_until): an overnight day's hours end the next morning
      until: untilText(open.length ? open[open.length - 1].end : ahead[ahead.length - 1].end) })
      : t("inbox_slots_none");
    return ahead.filter((s) => s.places > 0 || s.held > 0).map((s) => wallIso(s.start).slice(0, 10));
  });
}

// Every programme's places summary, then the day choice from the days they have places on.
function loadAllSlots() {
  const forms = Array.from(document.querySelectorAll("form.derive"));
  return Promise.all(forms.map((form) => loadSlots(form.dataset.programme))).then((lists) => {
    const published = {};
    lists.forEach((days) => days.forEach((d) => { published[d] = true; }));
    offerDays(published);
  });
}

// What opening places did: the hours newly opened (when any, or when nothing else happened), and
// with a number typed the hours already open changed to it, and those whose bookings hold more
// places than it (kept as they were), named with how many are booked.
const KEPT_NAMED = 6;
function slotsResult(body, places) {
  const lines = [];
  const kept = body.not_lowered || [];
  if (body.added || body.changed === undefined) {
    lines.push(t("inbox_slots_added", { added: body.added, planned: body.planned }));
  }
  if (body.changed) {
    lines.push(t(body.changed === 1 ? "inbox_slots_changed_one" : "inbox_slots_changed", { n: body.changed, places }));
  }
  if (kept.length) {
    const hours = kept.slice(0, KEPT_NAMED).map((k) => t("inbox_slots_held_hour",
      { time: wallIso(k.start).slice(5, 16).replace("T", " "), held: k.held })).join(", ");
    lines.push(t(kept.length === 1 ? "inbox_slots_not_lowered_one" : "inbox_slots_not_lowered",
      { m: kept.length, hours: hours + (kept.length > KEPT_NAMED ? ", …" : "") }));
  }
  if (body.changed !== undefined && !body.added && !body.changed && !kept.length) {
    lines.push(t("inbox_slots_already", { places }));
  }
  if (body.open_until) lines.push(t("inbox_slots_until", { date: untilText(body.open_until) }));
  return lines.join(" ");
}

function setupSlots() {
  loadAllSlots();
  document.querySelectorAll("form.derive").forEach((form) => {
    const programme = form.dataset.programme;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      // Sent as typed: the API refuses what is not a whole number (2.5), naming the field,
      // rather than the page quietly publishing another number.
      const field = form.elements.places;
      if (field.validity && field.validity.badInput) {  // "abc" in a number field reads as empty: say so
        form.querySelector(".result").textContent = t("errcode_invalid_parameter_out_of_range",
          { field: t("family_field_places"), minimum: field.min || 0, maximum: field.max || 1000 });
        return;
      }
      const typed = field.value.trim();
      // how far ahead: the staff's choice (7, 14, 28 days, a weekly pattern's reach: the page's select)
      const derive = { days: Number(form.elements.days.value), slot_minutes: 60 };
      if (typed !== "") derive.places = Number(typed);
      const button = form.querySelector("button");
      button.disabled = true;
      send("POST", "/api/v1/providers/" + fid + "/slots", { programme, derive }).then((res) => {
        button.disabled = false;
        form.querySelector(".result").textContent = res.ok ? slotsResult(res.body, derive.places) : errorText(res);
        loadAllSlots();  // new days to choose the list of
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
  setupDayPick();
  setupSlots();
  setupAutoConfirm();
  Promise.all(sections.map((s) => s.load()).concat([loadToday()])).then(() => { document.body.dataset.ready = "1"; });
  setInterval(tickCountdowns, 1000);
  let ticks = 0;
  const loadNotices = setupNotices();  // the notices block follows the same poll
  poll(() => {
    ticks += 1;
    const all = sections.map((s) => s.load()).concat([loadNotices()]);
    if (ticks % 5 === 0) { all.push(loadToday()); loadAllSlots(); }  // new bookings hold places too
    return Promise.all(all);
  }, cfg.poll_ms || 1000);
}
