// What the map page knows (home, work, the results and their markers and list items), and
// the home and work kept in the URL's hash, so a reload or the language switch keeps them.
import { $, pageConfig, t } from "../common.js";
import { forgetHome, rememberHome, rememberedHome } from "./home_memory.js";

// window ({start, end} wall clock) and programme: the last search's, for the "Book" links.
// skip: { id, name } of the provider a "see the next providers" link leaves out (the one that
// declined or let its hold lapse), or null; a home with near: true is a point next to that
// provider, searched from when the tab knows no home (main.js), never kept as the family's.
export const state = { home: null, work: null, hits: [], markers: {}, items: {}, window: null, programme: null,
  skip: null };

// Write home and work to the hash (and to the language switch's link); the home is also
// remembered on this device (home_memory.js).
export function saveState() {
  const s = {};
  ["home", "work"].forEach((w) => {
    if (state[w] && !state[w].near) s[w] = [state[w].lat.toFixed(6), state[w].lon.toFixed(6), state[w].label].join("|");
  });
  if (state.skip) s.skip = state.skip.id;  // a reload still leaves it out (and finds its place again)
  const hash = new URLSearchParams(s).toString();
  history.replaceState(null, "", "#" + hash);
  rememberHome(s.home);  // for the family page's "see the next providers" (home_memory.js)
  const sw = $("lang-switch");
  if (sw) sw.href = sw.href.split("#")[0] + "#" + hash;
}

// A number as a link writes it ("37.2636", "-1.5"); NaN for anything else ("x", "10abc", "").
function linkNumber(text) {
  return /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(text || "") ? Number(text) : NaN;
}

// What is wrong with a link's "lat|lon|name" for home or work, as the API would refuse it (a
// number each, inside the registry's area: page-config area, [min_lon, min_lat, max_lon,
// max_lat]); null when nothing is. The message names the fault and the form a link takes.
export function linkProblem(which, value) {
  const p = value.split("|");
  const lat = linkNumber(p[0]);
  const lon = linkNumber(p[1]);
  let problem = null;
  const part = (key, text) => (text === undefined || text.trim() === ""
    ? t("link_missing", { part: t(key) }) : t("link_not_number", { part: t(key), text }));
  if (!isFinite(lat)) problem = part("link_lat", p[0]);
  else if (!isFinite(lon)) problem = part("link_lon", p[1]);
  else {
    const a = pageConfig().area;
    const inside = (y, x) => !a || (a[0] <= x && x <= a[2] && a[1] <= y && y <= a[3]);
    if (!inside(lat, lon)) {
      problem = t("link_outside", { lat, lon, area: pageConfig().area_name, min_lat: a[1], max_lat: a[3],
        min_lon: a[0], max_lon: a[2] });
      if (inside(lon, lat)) problem += "; " + t("link_swapped");
    }
  }
  if (!problem) return null;
  return t("link_place_problem", { which: t("link_" + which), key: which, value, problem });
}

// The hash's parameters; with no home there, the full map starts from the home this tab last
// searched from (home_memory.js), as if the hash carried it: opening the map again in the tab
// shows that home's providers at once. A home in the link, or typed in the field before the map
// was ready, always wins; the widget keeps to its host site's link (its region, not a home from
// another page). A kept home the map would refuse (the area changed) is forgotten rather than
// said as a fault of a link nobody gave.
function linkParams() {
  const s = new URLSearchParams(location.hash.slice(1));
  const typed = $("home-input") && $("home-input").value.trim();
  const kept = s.has("home") || typed || pageConfig().embed ? null : rememberedHome();
  if (kept && linkProblem("home", kept)) forgetHome();
  else if (kept) s.set("home", kept);
  return s;
}

// Read home and work from the hash (or the kept home: linkParams) into the state and their
// inputs. Returns { any: true when a usable one was there, problems: { home|work: message }
// for those the link gets wrong }.
export function restoreState() {
  const s = linkParams();
  let any = false;
  const problems = {};
  ["home", "work"].forEach((w) => {
    const v = s.get(w);
    if (v === null) return;
    const problem = linkProblem(w, v);
    if (problem) { problems[w] = problem; return; }
    const p = v.split("|");
    const lat = linkNumber(p[0]);
    const lon = linkNumber(p[1]);
    state[w] = { lat, lon, label: p.slice(2).join("|") || (lat + ", " + lon) };
    const input = $(w + "-input");
    if (input) input.value = state[w].label;
    any = true;
  });
  restoreCriteria(s);
  return { any, problems };
}

// The window, programme and "only with a free place" a link may carry (#start=…&end=…
// &programme=…&available=1: the family pages' "see the next providers" send the family back
// with the window it tried), set in the form; and the provider it leaves out (#skip=<id>).
function restoreCriteria(s) {
  if (s.get("available") === "1" && $("available")) $("available").checked = true;
  const skip = (s.get("skip") || "").trim();
  state.skip = skip ? { id: skip, name: null } : null;
  const wall = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
  const start = s.get("start");
  const end = s.get("end");
  const custom = document.querySelector("input[name=when][value=custom]");
  if (custom && $("start") && $("end") && wall.test(start || "") && wall.test(end || "")) {
    custom.checked = true;
    $("start").value = start;
    $("end").value = end;
    if ($("custom-window")) $("custom-window").hidden = false;
  }
  const what = $("what");
  const programme = s.get("programme");
  if (what && programme && Array.from(what.options).some((o) => o.value === "programme:" + programme)) {
    what.value = "programme:" + programme;
  }
}
