// /family/book: pick the child and the window, see the quote (fee, confirmed at once or
// waiting for the provider, the hold time), book; then follow the booking until the provider
// answers. A booking that cannot be made, is declined or lapses links back to the map's
// search with the same window for the next providers.
import { $, el, localIso, pageConfig, registryNow, t } from "../common.js";
import { cancelledBy, checkSession, declineReason, disableWritesWhenSignedOut, errorText, getJson, mapSearchUrl, poll, send, stateName,
  wallIso, windowText, wonText } from "./api.js";
import { ageInMonths, drawChildPicker, fits } from "./ages.js";
import { askConsent } from "./consent.js";
import { latestRequestStart, sayLinkTimesUnread, windowOf as readWindow } from "./window.js";
import { rememberHome } from "../map/home_memory.js";

const cfg = pageConfig();
const form = $("book-form");
let quoteSeq = 0;
let watcher = null;
let children = [];
// What the parent typed is kept in the page's URL as they edit (keepInUrl), so a reload or
// "sign in again" (api.js signInAgainUrl: back to this very URL) brings it all back: start and
// end (the server reads them), child_id, repeat (weekday names) and until (read here).
const asked = new URLSearchParams(location.search);
let chosenChild = asked.get("child_id");  // the child the parent picked (null: none yet), kept over the picker's own choice

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];  // the API's names (repeat.weekdays)

// The window the fields say, as typed: window.js's (day, from, to; an end before the start is
// the next day), or, with an end date after the day (end_day, 언제나 어린이집's several days),
// from the day's start to the end date's end; { same } or { before } when it cannot be one.
function typedWindow() {
  // the same hours each day: the first day's window, repeated (repeatOf); no end date then
  const endDay = !dailyOn() && form.elements.end_day && form.elements.end_day.value;
  const day = form.elements.day.value;
  if (!endDay || endDay === day || !day) return readWindow(form);
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  if (!from || !to) return null;
  if (endDay < day) return { before: true };
  return { start: day + "T" + from, end: endDay + "T" + to, overnight: false, days: true };
}

// The window the fields say, null while a field is empty or the end is not after the start
// (quote() says so).
function windowOf() {
  const w = typedWindow();
  return w && (w.same || w.before) ? null : w;
}

// The weekly pattern asked for: null when "repeat weekly" is off (or the programme has none),
// { missing: true } while the weekdays or the end date are not chosen, else the API's repeat.
function repeatOf() {
  if (dailyOn()) {
    const day = form.elements.day.value;
    return day ? { every_day: true, until: dailyUntil(day) } : { missing: true };
  }
  if (!cfg.repeat || !form.elements.repeat_on || !form.elements.repeat_on.checked) return null;
  const weekdays = Array.from(form.querySelectorAll("input[name=weekday]:checked")).map((b) => b.value);
  const until = form.elements.until.value;
  return weekdays.length && until ? { weekdays, until } : { missing: true };
}

// "Same hours each day for N days" ticked (언제나 어린이집: cfg.daily_days, the most days).
function dailyOn() {
  return Boolean(cfg.daily_days && form.elements.daily_on && form.elements.daily_on.checked);
}

// The "YYYY-MM-DD" date `days` after `day` (calendar dates: 01-30 + 4 is 02-03).
function addDays(day, days) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// The last day of "the same hours each day" from `day`, for the number of days chosen.
function dailyUntil(day) {
  return addDays(day, Number(form.elements.daily_days.value) - 1);
}

// The day-count choices said with their last day ("3 days (from the first day to …)"), and
// the end date's field hidden while the same hours each day are chosen (one or the other).
function drawDaily() {
  if (!form.elements.daily_on) return;
  const on = dailyOn();
  $("daily-fields").hidden = !on;
  if ($("end-day-box")) $("end-day-box").hidden = on;
  const day = form.elements.day.value;
  Array.from(form.elements.daily_days.options).forEach((o) => {
    o.textContent = day ? t("family_book_daily_option", { days: o.value, until: addDays(day, Number(o.value) - 1) })
      : o.value;
  });
}

// The weekday code of a "YYYY-MM-DD" date.
function weekdayOf(day) {
  return WEEKDAYS[(new Date(day + "T00:00:00Z").getUTCDay() + 6) % 7];
}

function homePoint() {
  if (!cfg.home) return undefined;
  const p = cfg.home.split("|");
  return { lat: Number(p[0]), lon: Number(p[1]) };
}

function body() {
  const w = windowOf();
  if (!w || !form.elements.child.value) return null;
  const b = { child_id: form.elements.child.value, facility_id: cfg.facility_id, programme: cfg.programme,
    start: w.start, end: w.end };
  const home = homePoint();
  if (home) b.home = home;
  const repeat = repeatOf();
  if (repeat && repeat.missing) return null;
  if (repeat) b.repeat = repeat;
  return b;
}

function nextLink(where) {
  const w = windowOf();
  const a = el("a", "button", t("family_next_providers"));
  a.href = mapSearchUrl(cfg.programme, w && w.start, w && w.end, cfg.home);
  a.id = "next-providers";
  where.appendChild(a);
}

// The emergency request the request page would take instead of this booking, as
// { programme }, or why none: { refused: "too_far" | "child" | "same_day" }. It refuses a window
// starting beyond the request horizon (window.js latestRequestStart), a child of an age the
// programme does not take (cfg.request_ages; another provider may take a child this one does
// not), and, as the booking was (`cutoff`), care today after the programme's same-day cutoff:
// then a programme without one that takes the child (cfg.request_same_day: 방문형 긴급돌봄).
function requestInstead(cutoff) {
  const w = windowOf();
  if (w && w.start > latestRequestStart()) return { refused: "too_far" };
  const child = children.find((c) => c.id === form.elements.child.value);
  const takes = (ages) => !w || !child || fits(ages, ageInMonths(child.birth_date, w.start.slice(0, 10)));
  const found = (cutoff ? cfg.request_same_day || [] : [cfg.request_ages]).find(takes);
  if (found) return { programme: found.programme };
  return { refused: cutoff ? "same_day" : "child" };
}

// An emergency request for the same child, window and home, and `programme` (this booking's
// unless the request must ask for another), instead of this booking.
function emergencyLink(where, programme) {
  const w = windowOf();
  const q = new URLSearchParams({ programme, lang: cfg.lang || "ko" });
  if (w) { q.set("start", w.start); q.set("end", w.end); }
  if (cfg.home) q.set("home", cfg.home);
  if (form.elements.child.value) q.set("child_id", form.elements.child.value);
  const a = el("a", "button", programme === cfg.programme ? t("request_instead")
    : t("request_instead_programme", { programme: t("programme_" + programme) }));
  a.href = "/family/request?" + q.toString();
  a.id = "emergency-instead";
  where.appendChild(a);
}

// The start refused although it is later today: the programme's same-day cutoff has passed
// (the API says "invalid_window" on "start" for a start in the past too, which is not offered).
function pastCutoff(err) {
  const w = windowOf();
  if (!w || err.code !== "invalid_window" || err.field !== "start") return false;
  const now = localIso(registryNow()).slice(0, 16);
  return w.start.slice(0, 10) === now.slice(0, 10) && w.start >= now;
}

// This provider does not take a child of this age for this programme (another may).
function tooYoungOrOld(err) {
  return err.code === "not_eligible" && err.field === "child";
}

// A refusal: said in the page's language; with no place or nothing bookable, the map's next
// providers (and, with no place, nothing bookable, the same-day cutoff passed or the child's
// age outside this provider's, an emergency request offered to every provider that can take
// the child); with a consent missing, its text and a button that gives it and asks again.
// A date of a weekly pattern refused, as a parent reads it (errcode_pattern_<code>_<reason>,
// else errcode_pattern_<code>): the child's first name, a provider's name, local times, no
// ids, and no advice meant for one booking (the line above it says what to change).
function refusedDateText(d) {
  const other = d.window_start && d.window_end ? windowText(d.window_start, d.window_end) : "";
  // a provider no longer served has no name to say: the code's own text, without one
  const reason = d.facility_id && !d.provider_name ? null : d.reason;
  return errorText({ status: 409, body: { error: { ...d, code: "pattern_" + d.code, reason, other_window: other } } });
}

// Dates of a weekly pattern refused because the provider's places end before them: said once,
// plainly (places open until when, so the pattern can run until then; an earlier "repeat until"
// or ask the provider, with its phone when it has one).
const PLACES_END_REASONS = ["published_until", "window_after_places"];
function placesEndBeforePattern(dates, where) {
  const ended = dates.find((d) => d.code === "not_bookable" && PLACES_END_REASONS.includes(d.reason) && d.places_until);
  if (!ended) return;
  const until = wallIso(ended.places_until).slice(0, 16).replace("T", " ");
  const line = where.appendChild(el("p", "hint places-until", t("family_pattern_places_until", { places_until: until })));
  if (!cfg.phone) return;
  line.appendChild(document.createTextNode(" "));
  const call = line.appendChild(el("a", null, t("family_book_call", { phone: cfg.phone })));
  call.href = "tel:" + cfg.phone.replace(/ /g, "");
}

// `quoted`: the refusal of a quote (nothing was tried yet), else of the booking.
function showRefusal(res, where, quoted) {
  where.textContent = "";
  const code = res.body && res.body.error && res.body.error.code;
  if (code === "consent_required") {
    askConsent(res.body.error.purpose, where, quote, { why: "errcode_consent_required", agree: "family_consent_agree_" });
    return;
  }
  const err = (res.body && res.body.error) || {};
  const pattern = code === "occurrences_refused" && Array.isArray(err.dates);
  where.appendChild(el("p", "error", pattern && dailyOn()  // the days lacking a place, named
    ? t("family_daily_quote_refused", { count: err.dates.length, refused_dates: (err.refused_dates || []).join(", ") })
    : pattern && quoted
    ? t("family_pattern_quote_refused", { count: err.dates.length, refused_dates: (err.refused_dates || []).join(", ") })
    : errorText(res)));
  if (pattern) {
    // each date that cannot be booked, with its own reason
    where.appendChild(el("p", null, t("family_book_refused_dates")));
    const list = where.appendChild(el("ul", "occurrences refused-dates"));
    err.dates.forEach((d) => list.appendChild(el("li", null, windowText(d.start, d.end) + " — " + refusedDateText(d))));
    placesEndBeforePattern(err.dates, where);
  }
  const cutoff = pastCutoff(err);
  const offered = code === "no_places" || code === "not_bookable" || cutoff || tooYoungOrOld(err);
  // A request the request page would refuse is not offered; too far ahead, say until when one
  // can be sent, and what to do instead (another day, or the next providers' link).
  const instead = offered ? requestInstead(cutoff) : {};
  if (instead.refused === "too_far") {
    const latest = latestRequestStart().replace("T", " ");
    where.appendChild(el("p", "hint", t("family_request_too_far", { latest, days: cfg.request_horizon.max_days_ahead })));
  }
  if (code === "no_places" || code === "not_bookable" || code === "not_eligible") nextLink(where);
  if (instead.programme) emergencyLink(where, instead.programme);
}

// A window the end time made run past midnight (an end before the start) and longer than this
// is booked only once the parent ticks that they mean it: 19:00 -> 18:00 is 23 hours, most
// likely a slip for 19:00 -> 21:00 (tester 27). A page setting, not a booking rule: the API
// books any window the programme's rules allow; several days typed as an end date are explicit.
const CONFIRM_OVERNIGHT_OVER_HOURS = 12;

// The hours of the typed window when it runs past midnight by its end time and is longer than
// CONFIRM_OVERNIGHT_OVER_HOURS, else 0.
function longOvernightHours() {
  const w = windowOf();
  if (!w || !w.overnight) return 0;
  const hours = (Date.parse(w.end + ":00Z") - Date.parse(w.start + ":00Z")) / 3600000;
  return hours > CONFIRM_OVERNIGHT_OVER_HOURS ? hours : 0;
}

// The question under the times for such a window (a box to tick, unticked for each new window),
// or none; true while it is asked and not ticked (Book stays off).
function needsConfirm() {
  const hours = longOvernightHours();
  let box = $("long-window");
  if (!hours) { if (box) box.remove(); return false; }
  const w = windowOf();
  const key = w.start + "|" + w.end;
  if (!box || box.dataset.window !== key) {
    if (box) box.remove();
    box = el("div", "notice long-window");
    box.id = "long-window";
    box.dataset.window = key;
    box.setAttribute("role", "group");
    box.appendChild(el("p", null, t("family_long_window_ask", { hours })));
    const label = box.appendChild(el("label", "check"));
    const tick = document.createElement("input");
    tick.type = "checkbox";
    tick.name = "long_ok";
    label.appendChild(tick);
    label.appendChild(document.createTextNode(" " + t("family_long_window_confirm",
      { hours, start: form.elements.from.value, end: form.elements.to.value })));
    tick.addEventListener("change", () => {
      if (document.body.dataset.signedOut) return;
      $("book-button").disabled = !tick.checked || !$("quote").querySelector(".fee") || $("quote").classList.contains("stale");
    });
    $("overnight").after(box);
  }
  return !box.querySelector("input").checked;
}

// The form as typed, into the page's URL (history.replaceState: no new history entry): the
// window as start/end, the child, the weekly pattern. Only after the parent edits: the URL the
// page came with stays as it was until then.
function keepInUrl() {
  const q = new URLSearchParams(location.search);
  const w = windowOf();
  if (w) { q.set("start", w.start); q.set("end", w.end); }
  const child = form.elements.child.value;
  if (child) q.set("child_id", child);
  else q.delete("child_id");
  const on = form.elements.repeat_on && form.elements.repeat_on.checked;
  const weekdays = Array.from(form.querySelectorAll("input[name=weekday]:checked")).map((b) => b.value);
  if (on && weekdays.length) q.set("repeat", weekdays.join(","));
  else q.delete("repeat");
  if (on && form.elements.until.value) q.set("until", form.elements.until.value);
  else q.delete("until");
  if (dailyOn()) q.set("daily", form.elements.daily_days.value);
  else q.delete("daily");
  history.replaceState(history.state, "", location.pathname + "?" + q.toString() + location.hash);
}

// The weekly pattern the URL carried (?repeat=mon,wed&until=…), ticked again; or the same
// hours each day (?daily=3).
function repeatFromUrl() {
  const daily = asked.get("daily");
  if (form.elements.daily_on && daily && form.querySelector(`select[name=daily_days] option[value="${Number(daily)}"]`)) {
    form.elements.daily_on.checked = true;
    form.elements.daily_days.value = String(Number(daily));
    drawDaily();
  }
  const days = (asked.get("repeat") || "").split(",").filter((d) => WEEKDAYS.indexOf(d) >= 0);
  if (!form.elements.repeat_on || !days.length) return;
  form.elements.repeat_on.checked = true;
  $("repeat-fields").hidden = false;
  days.forEach((d) => { form.querySelector(`input[name=weekday][value=${d}]`).checked = true; });
  const until = asked.get("until") || "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(until)) form.elements.until.value = until;
}

// While the child or the window is being changed (each keystroke or wheel turn, before the
// field's "change"), the estimate shown is for the old window: marked stale and not bookable
// at once, any quote in flight dropped; the new one is asked once typing pauses.
const QUOTE_PAUSE_MS = 400;
let pause = null;
function markStale() {
  quoteSeq += 1;
  $("book-button").disabled = true;
  const out = $("quote");
  out.classList.add("stale");
  out.setAttribute("aria-busy", "true");
  if (out.querySelector(".fee")) out.dataset.note = t("family_quote_stale");
  clearTimeout(pause);
  pause = setTimeout(quote, QUOTE_PAUSE_MS);
}

// The quote of the window as typed (the last one asked wins).
function quote() {
  clearTimeout(pause);
  $("quote").classList.remove("stale");
  $("quote").removeAttribute("aria-busy");
  delete $("quote").dataset.note;
  const mine = ++quoteSeq;  // before any early answer: a quote still in flight must not overwrite it
  const b = body();
  const out = $("quote");
  $("book-button").disabled = true;
  const w = windowOf();
  $("overnight").hidden = !(w && w.overnight);
  if (w && w.overnight) $("overnight").textContent = t("family_overnight", { time: form.elements.to.value });
  needsConfirm();
  const typed = typedWindow();
  if (typed && (typed.same || typed.before)) {
    out.textContent = "";
    out.appendChild(el("p", "error", typed.before ? t("family_window_end_before")
      : cfg.max_days > 1 && form.elements.end_day ? t("family_window_same_days", { days: cfg.max_days })
        : t("family_window_same")));
    return;
  }
  const repeat = repeatOf();
  if (!b) { out.textContent = t(!children.length || !w ? "family_quote_fill"
    : !eligibleIds().length ? "family_book_no_eligible_child"
      : !form.elements.child.value ? "family_need_child" : repeat && repeat.missing ? "family_book_repeat_fill"
        : "family_quote_fill"); return; }
  out.textContent = t("loading");
  send("POST", "/api/v1/bookings/quote", b).then((res) => {
    if (mine !== quoteSeq) return;
    if (!res.ok) { showRefusal(res, out, true); return; }
    out.textContent = "";
    out.appendChild(el("p", "fee", wonText(res.body.estimate_krw)));
    if (res.body.occurrences) {
      showOccurrences(res.body.occurrences, out);
      showFee(res.body, out, res.body.occurrences.reduce((h, o) => h + (Date.parse(o.end) - Date.parse(o.start)) / 3600000, 0));
    } else showWhatIsBooked(res.body, out, w && w.days);
    // no places published here: never "the place is held at once" (the notice above says what to do)
    out.appendChild(el("p", null, cfg.online === false ? t("family_book_not_online")
      : res.body.confirms_at_once ? t("family_confirms_at_once")
        : t("family_provider_confirms", { minutes: cfg.hold_minutes })));
    $("book-button").disabled = needsConfirm();  // a long overnight window: once the parent says so
  });
}

// What one window books, before booking: from–to with the dates, its hours, and how the
// estimate is made (hours × the hourly fee); over several dates (`days`), said to be one
// continuous stay, not the same hours each day.
function showWhatIsBooked(q, where, days) {
  const hours = Number(q.hours).toLocaleString(cfg.lang === "en" ? "en-US" : "ko-KR");
  const line = where.appendChild(el("p", "booked-window", t(days ? "family_quote_continuous" : "family_quote_window",
    { window: windowText(q.start, q.end), hours })));
  line.id = "quote-window";
  showFee(q, where, Number(q.hours));
  if (days) {
    const p = where.appendChild(el("p", "hint", t("family_quote_continuous_hint")));
    p.id = "quote-continuous-hint";
  }
}

// How the estimate is made: hours × the hourly fee, the hours charged (`q.billed_hours`: each
// started hour whole, over every date of a pattern) said where they differ from the `hours`
// booked (tester 30, 31).
function showFee(q, where, hours) {
  if (!q.fee_krw_per_hour || q.estimate_krw === null || q.estimate_krw === undefined) return;
  const locale = cfg.lang === "en" ? "en-US" : "ko-KR";
  const billed = q.billed_hours;
  const p = where.appendChild(el("p", "hint", t("family_quote_breakdown", { per_hour: q.fee_krw_per_hour.toLocaleString(locale),
    billed: billed.toLocaleString(locale), won: q.estimate_krw.toLocaleString(locale) })));
  p.id = "quote-breakdown";
  if (Math.abs(billed - hours) > 1e-9) {
    const why = where.appendChild(el("p", "hint", t("family_quote_billed_up", { hours: hours.toLocaleString(locale),
      billed: billed.toLocaleString(locale) })));
    why.id = "quote-billed-up";
  }
}

// The dates a weekly pattern books, as people read them.
function showOccurrences(occurrences, where) {
  where.appendChild(el("p", null, t("family_book_occurrences", { count: occurrences.length })));
  const list = where.appendChild(el("ol", "occurrences"));
  list.id = "occurrences";
  occurrences.forEach((o) => list.appendChild(el("li", null, windowText(o.start, o.end))));
}

// The bookings a weekly pattern made: each with its window and state, and the link to
// "my bookings" (where each can be cancelled on its own).
function showMade(made) {
  const out = $("made-bookings");
  out.hidden = false;
  out.textContent = "";
  out.appendChild(el("p", null, t("family_book_made", { count: made.length })));
  const explain = made.length && made[0].status === "requested"
    ? t("family_held_until", { time: made[0].hold_expires_at ? wallIso(made[0].hold_expires_at).slice(11) : "" })
    : t("family_booking_confirmed");
  out.appendChild(el("p", null, explain));
  const list = out.appendChild(el("ul", "cards"));
  made.forEach((b) => {
    const item = list.appendChild(el("li", "card state-" + b.status));
    item.dataset.bookingId = b.id;
    item.appendChild(el("p", null, windowText(b.start, b.end)));
    item.appendChild(el("p", "badge state-" + b.status, stateName(b.status)));
  });
  const mine = el("a", null, t("family_my_bookings"));
  mine.href = "/family?lang=" + cfg.lang;
  out.appendChild(el("p")).appendChild(mine);
}

// The booking's state, and what it means; declined or lapsed: the next providers.
function showBooking(b) {
  const out = $("booking-state");
  out.hidden = false;
  out.textContent = "";
  out.dataset.status = b.status;
  const cancel = b.status === "cancelled" ? cancelledBy(b) : null;  // by the provider: said so
  out.appendChild(el("p", "badge state-" + b.status, cancel ? cancel.label : stateName(b.status)));
  const booked = out.appendChild(el("p", "booked-window", t("family_booked_window", { window: windowText(b.start, b.end) })));
  booked.id = "booked-window";
  const explain = {
    requested: t("family_held_until", { time: b.hold_expires_at ? wallIso(b.hold_expires_at).slice(11) : "" }),
    accepted: t("family_booking_confirmed"),
    rejected: t("family_booking_declined"),
    expired: t("family_booking_expired"),
    cancelled: t("family_booking_cancelled"),
  }[b.status];
  if (explain) out.appendChild(el("p", null, explain));
  const reason = cancel ? cancel.reason : declineReason(b);
  if (reason) out.appendChild(el("p", null, t("family_decline_reason", { reason })));
  if (b.status === "rejected" || b.status === "expired" || cancel) nextLink(out);
  const mine = el("a", null, t("family_my_bookings"));
  mine.href = "/family?lang=" + cfg.lang;
  out.appendChild(el("p")).appendChild(mine);
  if (b.status !== "requested" && watcher) { watcher.stop(); watcher = null; }
}

function book(ev) {
  ev.preventDefault();
  const b = body();
  if (!b || needsConfirm()) return;
  const button = $("book-button");
  button.disabled = true;
  send("POST", "/api/v1/bookings", b).then((res) => {
    if (!res.ok) { button.disabled = needsConfirm(); showRefusal(res, $("quote")); return; }
    form.hidden = true;
    if (res.body.bookings) { showMade(res.body.bookings); return; }
    showBooking(res.body);
    if (res.body.status === "requested") {
      stopSessionCheck();  // the booking's own reads notice a session that ended
      watcher = poll(() => getJson("/api/v1/bookings/" + res.body.id).then((r) => { if (r.ok) showBooking(r.body); }),
        cfg.poll_ms || 2000);
    }
  });
}

function fillWindow() {
  const now = registryNow();
  let start = cfg.start;
  let end = cfg.end;
  if (!start || !end) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0);
    start = localIso(d);
    end = start.slice(0, 11) + "18:00";
  }
  form.elements.day.value = start.slice(0, 10);
  form.elements.from.value = start.slice(11, 16);
  form.elements.to.value = end.slice(11, 16);
  form.elements.day.min = localIso(now).slice(0, 10);
  // A window the map gave that runs past the next morning: its end date where the page takes
  // one (several days), else it keeps its first day here (say so).
  const days = (Date.parse(end.slice(0, 10)) - Date.parse(start.slice(0, 10))) / 86400000;
  if (days > 1 || (days === 1 && end.slice(11, 16) > start.slice(11, 16))) {
    if (form.elements.end_day) form.elements.end_day.value = end.slice(0, 10);
    else $("window-note").textContent = t("family_window_shortened");
  }
  if (form.elements.end_day) form.elements.end_day.min = form.elements.day.min;
  sayLinkTimesUnread(cfg);
}

// The children's ages on the care's first day, against the ages this programme takes here
// (cfg.ages): the ids of those it takes; the picker draws the others disabled, with why
// (ages.js drawChildPicker).
function eligibleIds() {
  const day = form.elements.day.value;
  return children.filter((c) => !day || fits(cfg.ages, ageInMonths(c.birth_date, day))).map((c) => c.id);
}

// The picker redrawn for the day: the child the parent chose stays chosen, or none is when the
// day makes it not fit (ages.js drawChildPicker).
function showChildren() {
  drawChildPicker(form.elements.child, $("child-note"), children, cfg.ages, cfg.programme, form.elements.day.value,
    "family_book_child_not_eligible", chosenChild);
}

function loadChildren() {
  return getJson("/api/v1/children").then((res) => {
    if (!res.ok) { $("quote").textContent = errorText(res); return; }
    children = res.body.children;
    showChildren();
    $("no-children").hidden = children.length > 0;
    // No places published here for the programme: no form that could only be refused; the
    // notice's ways (phone, an emergency request, the next providers) instead.
    form.hidden = children.length === 0 || cfg.online === false;
    if (cfg.online === false) carryChild();
  });
}

// The notice's emergency request for a window starting later than a request may (window.js
// latestRequestStart, as the API refuses it): none the request page would refuse; until when
// one may start instead, as after a refused booking (the notice keeps the phone and the map).
function noticeBeyondRequests() {
  const link = $("notice-request");
  if (!link || !cfg.start || cfg.start <= latestRequestStart()) return;
  const why = el("span", "hint", t("family_request_too_far",
    { latest: latestRequestStart().replace("T", " "), days: cfg.request_horizon.max_days_ahead }));
  why.id = "notice-too-far";
  link.replaceWith(why);
}

// The notice's emergency request for the family's child when only one child fits the
// programme's ages on the window's day (the request page asks otherwise).
function carryChild() {
  const link = $("notice-request");
  const day = (cfg.start || "").slice(0, 10) || form.elements.day.value;
  const fit = children.filter((c) => !day || fits(cfg.request_ages, ageInMonths(c.birth_date, day)));
  if (!link || fit.length !== 1) return;
  const url = new URL(link.href, location.href);
  url.searchParams.set("child_id", fit[0].id);
  link.href = url.pathname + url.search;
}

fillWindow();
noticeBeyondRequests();
form.elements.child.addEventListener("change", () => { chosenChild = form.elements.child.value || null; });
form.elements.day.addEventListener("change", showChildren);
// A note about the window the map gave is about those fields as they came: gone once changed.
["day", "from", "to"].forEach((n) => form.elements[n].addEventListener("input", () => { $("window-note").textContent = ""; }));
["child", "day", "from", "to", "end_day", "until"].forEach((n) => {
  if (!form.elements[n]) return;  // end_day, until: only where the programme takes them
  form.elements[n].addEventListener("input", markStale);
  form.elements[n].addEventListener("change", quote);
});
// "Repeat weekly": the weekdays (the day's own at first) and the end date (four weeks on).
if (form.elements.repeat_on) {
  form.elements.repeat_on.addEventListener("change", () => {
    const on = form.elements.repeat_on.checked;
    $("repeat-fields").hidden = !on;
    const day = form.elements.day.value;
    if (on && day && !form.querySelector("input[name=weekday]:checked")) {
      form.querySelector(`input[name=weekday][value=${weekdayOf(day)}]`).checked = true;
    }
    if (on && day && !form.elements.until.value) {
      const d = new Date(day + "T00:00:00Z");
      d.setUTCDate(d.getUTCDate() + 21);
      form.elements.until.value = d.toISOString().slice(0, 10);
    }
    quote();
  });
  form.querySelectorAll("input[name=weekday]").forEach((box) => box.addEventListener("change", quote));
  form.elements.day.addEventListener("change", () => { form.elements.until.min = form.elements.day.value; });
}
// "Same hours each day": the number of days (its last day said in each choice).
if (form.elements.daily_on) {
  form.elements.daily_on.addEventListener("change", () => { drawDaily(); quote(); });
  form.elements.daily_days.addEventListener("change", quote);
  form.elements.day.addEventListener("change", drawDaily);
  drawDaily();
}
if (cfg.home) rememberHome(cfg.home);  // the family's "see the next providers" later starts here
// every edit of a field or box (not the long-window question), into the URL
["input", "change"].forEach((kind) => form.addEventListener(kind, (ev) => { if (ev.target.name !== "long_ok") keepInUrl(); }));
form.addEventListener("submit", book);
// Until a booking is followed, a cheap read the page already makes notices a session that ended
// elsewhere (a sign-out in another tab, the idle timeout): the notice at the top, Book disabled.
let sessionCheck = checkSession("/api/v1/children");
function stopSessionCheck() {
  if (sessionCheck) { sessionCheck.stop(); sessionCheck = null; }
}
disableWritesWhenSignedOut();
repeatFromUrl();
loadChildren().then(() => {
  if (cfg.online !== false) quote();  // nothing published: nothing to quote (the form stays hidden)
  document.body.dataset.ready = "1";
});
