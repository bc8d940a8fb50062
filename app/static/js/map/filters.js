// The care criteria: the "what" choices (programmes and kinds from the server's page-config),
// age, time window, availability and mode, read into the nearest search's parameters.
import { $, el, localIso, pageConfig, registryNow, t } from "../common.js";

// Fill the "what" list's two groups from page-config's programmes and kinds.
export function fillWhatOptions() {
  const cfg = pageConfig();
  [["what-programmes", "programme", cfg.programmes], ["what-kinds", "kind", cfg.kinds]]
    .forEach(([id, field, values]) => {
      const group = $(id);
      if (!group) return;
      values.forEach((v) => {
        const o = el("option", null, t(field + "_" + v));
        o.value = field + ":" + v;
        group.appendChild(o);
      });
    });
}

// The chosen time window: start and end (registry wall-clock, no offset) or open_now, and
// the day whose hours the results show.
function windowParams() {
  const choice = document.querySelector("input[name=when]:checked");
  const when = choice ? choice.value : "anytime";
  const now = registryNow();
  if (when === "now") return { open_now: "true", day: now };
  if (when === "tonight") {
    const s = new Date(now); s.setHours(19, 0, 0, 0);
    const e = new Date(now); e.setHours(23, 0, 0, 0);
    if (now > e) { s.setDate(s.getDate() + 1); e.setDate(e.getDate() + 1); }
    return { start: localIso(s), end: localIso(e), day: s };
  }
  if (when === "weekend") {
    // A weekend is both days: Saturday and Sunday 09-18 (only Sunday when today is Sunday),
    // searched one day at a time and merged (see main.js).
    const d = new Date(now);
    d.setDate(d.getDate() + (d.getDay() === 0 ? 0 : 6 - d.getDay()));
    const days = d.getDay() === 0 ? [d] : [d, new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)];
    const windows = days.map((day) => {
      const ws = new Date(day); ws.setHours(9, 0, 0, 0);
      const we = new Date(day); we.setHours(18, 0, 0, 0);
      return { start: localIso(ws), end: localIso(we), dayKey: day.getDay() === 6 ? "sat" : "sun" };
    });
    return { windows, day: new Date(windows[0].start) };
  }
  if (when === "custom") {
    const start = $("start").value;
    const end = $("end").value;
    if (!start || !end) return { error: "window_incomplete" };
    const refused = windowRefusal(start, end);
    if (refused) return refused;
    return { start, end, day: new Date(start) };
  }
  return { day: now };
}

const MINUTE = 60000;
const DAY = 24 * 60 * MINUTE;

// A wall-clock time (a Date's own fields, or "YYYY-MM-DDTHH:MM[:SS]") as the milliseconds of
// the UTC time with those fields: day arithmetic on the registry's wall clock, as the server's,
// whatever zone this browser is in.
function wallMs(d) {
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(),
    d.getMilliseconds());
}
function parseWall(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)) : NaN;
}
function shown(ms) {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

// The server's checks of a custom window (app/api/params.py window(), its limits from
// page-config search_window), in its order: each end from past_days before now to ahead_days
// after it, the end after the start (not equal to it), at most max_days long. { error, values } or null.
function windowRefusal(start, end) {
  const lim = pageConfig().search_window || {};
  const now = wallMs(registryNow());
  const earliest = now - lim.past_days * DAY;
  const latest = now + lim.ahead_days * DAY;
  const times = { start: parseWall(start), end: parseWall(end) };
  for (const name of ["start", "end"]) {
    const field = t("field_" + name);
    if (times[name] < earliest) {
      return { error: "window_too_early", values: { field, days: lim.past_days,
        earliest: shown(Math.ceil(earliest / MINUTE) * MINUTE) } };
    }
    if (times[name] > latest) {
      return { error: "window_too_late", values: { field, days: lim.ahead_days,
        latest: shown(Math.floor(latest / MINUTE) * MINUTE) } };
    }
  }
  if (end === start) return { error: "window_same", values: { days: lim.max_days } };
  if (end < start) return { error: "window_end_before_start" };
  if (times.end - times.start > lim.max_days * DAY) {
    return { error: "window_too_long", values: { days: lim.max_days,
      latest: shown(Math.floor((times.start + lim.max_days * DAY) / MINUTE) * MINUTE) } };
  }
  return null;
}

// The age fields as whole months, or an error key: "1.5" years is not silently 12 months.
function ageMonths(years, months) {
  const whole = (v, max) => (v === "" ? 0 : (/^[0-9]+$/.test(v.trim()) && +v <= max ? +v : null));
  const y = whole(years, 18);
  if (y === null) return { error: "age_years_whole" };
  const m = whole(months, 11);
  if (m === null) return { error: "age_months_whole" };
  return { value: String(y * 12 + m) };
}

// The nearest search's parameters for home/work in `state` and the criteria, and the day;
// { error: message key } when a criterion cannot be searched as typed; `windows` (weekend)
// when the search is one per day.
export function searchParams(state) {
  const embed = pageConfig().embed;
  const p = { lat: state.home.lat.toFixed(6), lon: state.home.lon.toFixed(6), limit: "20" };
  if (state.work) {
    p.work_lat = state.work.lat.toFixed(6);
    p.work_lon = state.work.lon.toFixed(6);
    p.mode = $("mode") ? $("mode").value : "either";
  }
  let what = $("what") ? $("what").value : "";
  if (embed && !what) what = embed.programme ? "programme:" + embed.programme : (embed.kind ? "kind:" + embed.kind : "");
  if (what) { const parts = what.split(":"); p[parts[0]] = parts[1]; }
  // A widget kept to its region asks the search for that region's providers (the API's
  // region filter), so it always shows the nearest ones of the region, never fewer.
  if (embed && embed.region && embed.limitToRegion) p.region = embed.region;
  const birth = $("birth-date") ? $("birth-date").value : "";
  const years = $("age-years") ? $("age-years").value : "";
  const months = $("age-months") ? $("age-months").value : "";
  if (birth) p.birth_date = birth;
  else if (years || months) {
    const age = ageMonths(years, months);
    if (age.error) return { error: age.error };
    p.age_months = age.value;
  }
  if ($("available") && $("available").checked) p.available = "true";
  const w = windowParams();
  if (w.error) return { error: w.error, values: w.values };
  ["start", "end", "open_now"].forEach((k) => { if (w[k]) p[k] = w[k]; });
  return { params: p, day: w.day, windows: w.windows };
}

// Call `changed()` whenever a criterion changes (and show the custom window's fields when
// it is chosen).
export function onCriteriaChange(changed) {
  document.querySelectorAll("input[name=when]").forEach((r) => {
    r.addEventListener("change", () => {
      const custom = document.querySelector("input[name=when]:checked").value === "custom";
      if ($("custom-window")) $("custom-window").hidden = !custom;
      changed();
    });
  });
  ["what", "available", "mode", "age-years", "age-months", "birth-date", "start", "end"].forEach((id) => {
    const e = $(id);
    if (e) e.addEventListener("change", changed);
  });
}

// On a phone the care criteria start folded, so the map and results come first.
export function foldCriteriaOnPhone() {
  const criteria = $("criteria");
  if (criteria && window.matchMedia("(max-width: 899px)").matches) criteria.open = false;
}
