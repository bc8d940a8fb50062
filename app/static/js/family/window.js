// The care window the family forms (booking, emergency request) say: the day and the from/to
// times, as wall-clock "YYYY-MM-DDTHH:MM" in the registry's zone. An end before the start is
// the next day (care across midnight); an end equal to the start is refused, never read as
// 24 hours: a window has a positive length, at most a day less one time step (the fields'
// 15-minute step: 23:45).
import { localIso, registryNow } from "../common.js";

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

// The latest start an emergency request may have, as the API's horizon counts it
// (app/care/matching.py check_horizon): `days` (page-config request_max_days_ahead, from
// app/reference/booking_rules.json) from now, "YYYY-MM-DDTHH:MM" on the registry's wall clock.
export function latestRequestStart(days) {
  const now = registryNow();
  return localIso(new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, now.getHours(), now.getMinutes()));
}
