// The care window the family forms (booking, emergency request) say: the day and the from/to
// times, as wall-clock "YYYY-MM-DDTHH:MM" in the registry's zone. An end before the start is
// the next day (care across midnight); an end equal to the start is refused, never read as
// 24 hours: a window has a positive length, at most a day less one time step (the fields'
// 15-minute step: 23:45).
import { localIso, pageConfig, registryNow, t } from "../common.js";

// The window of `form` (fields day, from, to): null while a field is empty; { same: true }
// when the end equals the start; else { start, end, overnight }.
export function windowOf(form) {
  const day = form.elements.day.value;
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  if (!day || !from || !to) return null;
  if (to === from) return { same: true };
  let endDay = day;
  const overnight = to < from;
  if (overnight) {
    const d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    endDay = d.toISOString().slice(0, 10);
  }
  return { start: day + "T" + from, end: endDay + "T" + to, overnight };
}

// The latest start an emergency request may have, computed as the API's horizon computes it
// (app/care/matching.py latest_request_start, which check_horizon refuses by): page-config
// request_horizon { max_days_ahead, step_minutes } (app/reference/booking_rules.json
// request_max_days_ahead and window_step_minutes) from now (`atMs`: from that instant, ms since
// the epoch), on the registry's wall clock, rounded down to the window step, as
// "YYYY-MM-DDTHH:MM". The booking page, the request page and the map's cards all say this one.
export function latestRequestStart(atMs) {
  const horizon = pageConfig().request_horizon || {};
  const now = atMs === undefined ? Date.now() : atMs;
  const latest = registryNow(now + (horizon.max_days_ahead || 0) * 86400000);
  const step = horizon.step_minutes || 1;
  const minutes = latest.getHours() * 60 + latest.getMinutes();
  latest.setMinutes(latest.getMinutes() - (minutes % step), 0, 0);
  return localIso(latest);
}

// Whether an emergency request may ask for care starting at `start` ("YYYY-MM-DDTHH:MM", wall
// clock): not after latestRequestStart (the API refuses it with too_far_ahead).
export function requestReaches(start) {
  return start <= latestRequestStart();
}

// Says, under the window's fields, that the link's times could not be read and the page filled
// its own (cfg.times_unread, from the server): never a window the person did not choose, unsaid.
export function sayLinkTimesUnread(cfg) {
  const note = document.getElementById("link-times");
  if (!note || !cfg.times_unread) return;
  note.textContent = t("family_link_times_unread");
  note.hidden = false;
}
