// What a result says: distance, availability, hours, and the detail block and popup built
// from them (all as text nodes).
import { el, pageConfig, t } from "../common.js";
import { latestRequestStart } from "../family/window.js";
import { state } from "./state.js";

function ageText(minutes) {
  if (minutes === null || minutes === undefined) return "";
  if (minutes < 60) return t("minutes", { n: minutes });
  if (minutes < 48 * 60) return t("hours", { n: Math.round(minutes / 60) });
  return t("days", { n: Math.round(minutes / 1440) });
}

// A figure older than the page's availability_fresh_minutes (page-config) is shown as the
// last report, not as today's fact: a vacancy reported yesterday says little about tonight.
export function isFresh(a) {
  const limit = pageConfig().availability_fresh_minutes;
  return a.age_minutes !== null && a.age_minutes !== undefined && (!limit || a.age_minutes <= limit);
}

// "fresh" or "old": the class that colours an availability line.
export function freshness(a) {
  return a.status === "available" || a.status === "full" ? (isFresh(a) ? "fresh" : "old") : "none";
}

function availabilityText(a) {
  const fresh = isFresh(a);
  if (a.status === "available") return fresh ? t("available", { n: a.places }) : t("available_old", { n: a.places });
  if (a.status === "full") return fresh ? t("full") : t("full_old");
  if (a.status === "closed") return t("closed_status");
  return t("unknown_availability");
}

// Availability, and how long ago it was reported.
export function availabilityLine(a) {
  return availabilityText(a) +
    (a.age_minutes !== null ? " · " + t("reported_ago", { t: ageText(a.age_minutes) }) : "");
}

// Metres as the list says them. Under 1 m is said so: rounded it read "0 m" ("+0 m" for a
// detour, as if none had been measured); from 999.5 m on it is km (rounded it read "1000 m").
export function distanceText(m) {
  if (m < 1) return t("under_1m");
  return Math.round(m) >= 1000 ? (m / 1000).toFixed(1) + " km" : Math.round(m) + " m";
}

// Distance (or, in commute mode, the detour the list is ranked by), and the walk when it is
// within walking distance (page-config walking_max_minutes): 608 minutes on foot is no answer.
export function nearText(hit) {
  if (hit.comes_to_you) return t("comes_to_you");
  const parts = [];
  if (hit.near === "route" && hit.detour_m !== null && hit.detour_m !== undefined) {
    parts.push(hit.detour_m < 1 ? t("detour_under_1m") : t("detour", { d: distanceText(hit.detour_m) }));
    // distance_m of a route result is from the nearer of home and work (the API's rule).
    parts.push(t("from_nearer", { d: distanceText(hit.distance_m) }));
  } else {
    parts.push(distanceText(hit.distance_m));
  }
  const walkMax = pageConfig().walking_max_minutes;
  if (hit.walking_minutes !== null && (!walkMax || hit.walking_minutes <= walkMax)) {
    // (the API rounds: a provider a few metres away is "0" minutes, said as under 1 min)
    parts.push(hit.walking_minutes < 1 ? t("walk_under_1min") : t("walk_min", { n: hit.walking_minutes }));
  }
  if (hit.near === "work") parts.push(t("near_work"));
  if (hit.near === "route") parts.push(t("on_the_way"));
  if (hit.days_label) parts.push(hit.days_label);
  return parts.join(" · ");
}

// "07:30-31:30" (hours past midnight run past 24:00 in the data) as "07:30–다음 날 07:30".
export function intervalText(iv) {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(iv);
  if (!m) return iv;
  const endHour = parseInt(m[3], 10);
  if (endHour < 24 || (endHour === 24 && m[4] === "00")) return m[1] + ":" + m[2] + "–" + m[3] + ":" + m[4];
  const next = String(endHour - 24).padStart(2, "0") + ":" + m[4];
  return t("until_next_day", { start: m[1] + ":" + m[2], end: next });
}

const DAY_INDEX = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };

// The hours on the searched day, or on each of several days ("토 09:00–18:00 · 일 휴무").
function hoursText(f, dayType) {
  if (!f.hours) return t("hours_unknown");
  if (Array.isArray(dayType)) {
    const names = t("weekday_names").split(",");
    return dayType.map((d) => {
      const ivs = f.hours[d] || [];
      return names[DAY_INDEX[d]] + " " + (ivs.length ? ivs.map(intervalText).join(", ") : t("closed_that_day"));
    }).join(" · ");
  }
  const ivs = f.hours[dayType] || [];
  if (!ivs.length) return t("closed_that_day");
  return t("hours_on_day") + ": " + ivs.map(intervalText).join(", ");
}

function directionsUrl(f) {
  return "https://map.kakao.com/link/to/" + encodeURIComponent(f.name) + "," + f.lat + "," + f.lon;
}

// Hours on the searched day, address, phone and directions (none to a home-visit provider:
// its carer comes to the family's home, there is nowhere to go).
export function detailBlock(hit, dayType) {
  const f = hit.facility;
  const box = el("div", "detail-block");
  box.appendChild(el("p", "hours", hoursText(f, dayType)));
  if (f.address) box.appendChild(el("p", "address", f.address));
  const links = el("p", "links");
  if (f.phone) {
    const tel = el("a", null, t("call") + " " + f.phone);
    tel.href = "tel:" + f.phone.replace(/[^0-9+]/g, "");
    links.appendChild(tel);
  }
  if (!comesToYou(hit)) {
    const dir = el("a", null, t("directions"));
    dir.href = directionsUrl(f);
    dir.target = "_blank";
    dir.rel = "noopener";
    links.appendChild(dir);
  }
  if (links.childNodes.length) box.appendChild(links);
  const book = bookLinks(hit);
  if (book) box.appendChild(book);
  return box;
}

const BOOKABLE = ["always_daycare", "elementary_emergency"];
// The programme of care at home, asked for only by an emergency request (never booked online).
const HOME_VISIT = "home_visit_emergency";

function comesToYou(hit) {
  return hit.comes_to_you || hit.facility.kind === "home_visit_provider";
}

function homeParam() {
  return [state.home.lat.toFixed(6), state.home.lon.toFixed(6), state.home.label].join("|");
}

// An emergency request (/family/request) for the last search's window, with the programme
// searched for and the home when known; null without a window. Signed out, that page sends
// the family to sign in and back; in the widget it opens this site in a new tab.
export function requestLink(text) {
  if (!state.window) return null;
  const q = new URLSearchParams({ lang: pageConfig().lang || "ko" });
  if (state.programme) q.set("programme", state.programme);
  q.set("start", state.window.start);
  q.set("end", state.window.end);
  if (state.home) q.set("home", homeParam());
  const a = el("a", "button request-link", text);
  a.href = "/family/request?" + q.toString();
  if (pageConfig().embed) { a.target = "_blank"; a.rel = "noopener"; }
  return a;
}

// Whether the searched window starts later than an emergency request may ask for (the
// request horizon: window.js latestRequestStart, fed by page-config request_horizon from
// app/reference/booking_rules.json, as the API refuses it): then no card offers one.
export function beyondRequests() {
  return !!state.window && state.window.start > latestRequestStart();
}

// Why no emergency request is offered for the searched window (beyondRequests), and the
// provider's phone to call (`f`: the provider; none without one), as the booking page says it.
export function requestTooFar(f) {
  const horizon = pageConfig().request_horizon || {};
  const p = el("span", "hint request-too-far", t("book_request_too_far",
    { latest: latestRequestStart().replace("T", " "), days: horizon.max_days_ahead }));
  if (f && f.phone) {
    const tel = el("a", "call", t("family_book_call", { phone: f.phone }));
    tel.href = "tel:" + f.phone.replace(/[^0-9+]/g, "");
    p.appendChild(document.createTextNode(" "));
    p.appendChild(tel);
  }
  return p;
}

// A provider found without the window or the free place the search asked for (the empty
// list's nearest, hit.bookable false: closed for part of the window, or no place) cannot be
// booked for it: instead of "Book", why, and an emergency request for the window (beyond the
// request horizon: why not, and the phone).
function notBookable(f) {
  const p = el("p", "book not-bookable", t("book_not_for_window"));
  const a = beyondRequests() ? requestTooFar(f) : requestLink(t("empty_request_emergency"));
  if (a) { p.appendChild(document.createTextNode(" ")); p.appendChild(a); }
  return p;
}

// An emergency request (/family/request) for `programme`, with the search's window and home
// when known: a button; in the widget it opens this site in a new tab.
function programmeRequest(programme) {
  const q = new URLSearchParams({ programme, lang: pageConfig().lang || "ko" });
  if (state.window) { q.set("start", state.window.start); q.set("end", state.window.end); }
  if (state.home) q.set("home", homeParam());
  const a = el("a", "button request-link", t("book_request_link"));
  a.href = "/family/request?" + q.toString();
  a.dataset.programme = programme;
  if (pageConfig().embed) { a.target = "_blank"; a.rel = "noopener"; }
  return a;
}

// A provider that runs a programme booked online but publishes no places for it (the search's
// books_online; with a window, none covering that window): no "Book" that could only be
// refused; why, and an emergency request for `programme` (with the search's window and home
// when known); its phone is in the card's links. Beyond the request horizon: why no request,
// and the phone.
function notOnline(programme, f) {
  const far = beyondRequests();
  const p = el("p", "book not-online", t(far ? "book_not_online_window_only"
    : state.window ? "book_not_online_window" : "book_not_online"));
  p.appendChild(document.createTextNode(" "));
  p.appendChild(far ? requestTooFar(f) : programmeRequest(programme));
  return p;
}

// A home-visit provider running the home-visit emergency programme (when the search named no
// other): that care is had only through an emergency request, so the card offers one.
function homeVisitRequest(hit) {
  const f = hit.facility;
  if (!comesToYou(hit) || (f.programmes || []).indexOf(HOME_VISIT) < 0
    || (state.programme && state.programme !== HOME_VISIT)) return null;
  const p = el("p", "book home-visit", t("book_home_visit"));
  p.appendChild(document.createTextNode(" "));
  p.appendChild(beyondRequests() ? requestTooFar(f) : programmeRequest(HOME_VISIT));
  return p;
}

// "Book" for each programme booked online that the provider runs (only the one searched for,
// when the search named one) and takes bookings for online now (hit.books_online; null: not
// known, offered), to the booking page with the search's window and home; signed out, that
// page sends the family to sign in and back. In the widget it opens this site in a new tab.
// Only where the whole window can be booked (see notBookable); none open online: notOnline.
function bookLinks(hit) {
  const f = hit.facility;
  const homeVisit = homeVisitRequest(hit);
  if (homeVisit) return homeVisit;
  if (hit.bookable === false) return notBookable(f);
  const offered = BOOKABLE.filter((p) => (f.programmes || []).indexOf(p) >= 0
    && (!state.programme || state.programme === p));
  const runs = Array.isArray(hit.books_online) ? offered.filter((p) => hit.books_online.indexOf(p) >= 0) : offered;
  if (!runs.length) return offered.length ? notOnline(offered[0], f) : null;
  const p = el("p", "book");
  runs.forEach((programme) => {
    const q = new URLSearchParams({ facility_id: f.id, programme, lang: pageConfig().lang || "ko" });
    const w = hit.window || state.window;
    if (w) { q.set("start", w.start); q.set("end", w.end); }
    if (state.home) q.set("home", homeParam());
    const a = el("a", "book-link", offered.length > 1 ? t("book_link_programme", { programme: t("programme_" + programme) })
      : t("book_link"));
    a.href = "/family/book?" + q.toString();
    a.dataset.programme = programme;
    if (pageConfig().embed) { a.target = "_blank"; a.rel = "noopener"; }
    p.appendChild(a);
  });
  return p;
}

// A result marker's popup.
export function popupContent(hit, dayType) {
  const f = hit.facility;
  const box = el("div", "popup");
  box.appendChild(el("strong", null, f.name));
  box.appendChild(el("div", "kind", t("kind_" + f.kind)));
  box.appendChild(el("div", null, nearText(hit)));
  box.appendChild(el("div", "avail avail-" + hit.availability.status + " " + freshness(hit.availability),
    availabilityLine(hit.availability)));
  box.appendChild(detailBlock(hit, dayType));
  return box;
}
