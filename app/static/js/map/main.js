// Dolbom Map page (the full map and the /embed widget): place search, filters, results list
// and markers kept in step. Leaflet (L) is a classic script loaded before this module (the
// markercluster plugin is added when "all providers" is first ticked: markers.js).
import { $, apiErrorText, el, fetchJson, pageConfig, registryNow, t } from "../common.js";
import { nearest } from "./api.js";
import { createMap } from "./basemap.js";
import { fillWhatOptions, foldCriteriaOnPhone, onCriteriaChange, searchParams } from "./filters.js";
import { drawAnchors, setupAllProviders } from "./markers.js";
import { setupPlaceInput } from "./places.js";
import { renderResults } from "./results.js";
import { takeNotice } from "./home_memory.js";
import { restoreState, saveState, state } from "./state.js";

const DAY_KEYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fillWhatOptions();
const { map, outlinesReady } = createMap();
const resultLayer = L.layerGroup().addTo(map);
const anchorLayer = L.layerGroup().addTo(map);

// The home field's note while the search is from next to a left-out provider (nearSkipped).
let nearNote = null;

// Set (or, with point null, clear) home or work, and search again when `search`.
function setAnchor(which, point, search) {
  if (which === "home" && nearNote && !(point && point.near)) {
    if ($("home-status").textContent === nearNote) $("home-status").textContent = "";
    nearNote = null;
  }
  state[which] = point;
  const input = $(which + "-input");
  if (input && point && input.value !== point.label) input.value = point.label;
  drawAnchors(anchorLayer, state);
  if (point && (which === "home" || !state.home)) map.setView([point.lat, point.lon], Math.max(map.getZoom() || 0, 14));
  if (!point) saveState();
  if (search) runSearch();
}

let searchSeq = 0;

// Say `message` where the results go, and take away the previous search's results: a list
// that stays after a refused search reads as the answer to the new criteria.
function showFailure(message) {
  renderResults(map, resultLayer, { results: [] }, DAY_KEYS[registryNow().getDay()]);
  $("results-status").textContent = message;
  if ($("results-count")) $("results-count").textContent = "";
  if ($("results-word")) $("results-word").hidden = false;
}

// One search per weekend day, merged: each provider once, with the days it can take the
// child (both days first is not implied: the list stays ordered by distance, or detour).
function mergeDays(answers, windows) {
  const byId = new Map();
  answers.forEach((res, i) => {
    res.body.results.forEach((hit) => {
      const seen = byId.get(hit.facility.id);
      if (seen) seen.days.push(windows[i].dayKey);
      else {
        byId.set(hit.facility.id, Object.assign({}, hit, { days: [windows[i].dayKey],
          window: { start: windows[i].start, end: windows[i].end } }));  // the first day it can: "Book"
      }
    });
  });
  const rank = (h) => (h.detour_m !== null && h.detour_m !== undefined ? h.detour_m : (h.distance_m || 0));
  const results = Array.from(byId.values()).sort((a, b) => rank(a) - rank(b)).slice(0, 20);
  if (windows.length > 1) {
    results.forEach((h) => {
      h.days_label = h.days.length > 1 ? t("weekend_days") : t(h.days[0] === "sat" ? "weekend_sat" : "weekend_sun");
    });
  }
  return Object.assign({}, answers[0].body, { results });
}

// A search's body without the provider the link leaves out (state.skip), at most `limit` results.
function withoutSkipped(body, limit) {
  if (!state.skip) return body;
  return Object.assign({}, body, { results: body.results.filter((h) => h.facility.id !== state.skip.id).slice(0, limit) });
}

function runSearch() {
  if (!state.home) { showFailure(t("set_home_first")); return; }
  const q = searchParams(state);
  const mine = ++searchSeq;
  if (q.error) { showFailure(t(q.error, q.values)); return; }
  $("results-status").textContent = t("loading");
  saveState();
  // The window searched (a weekend's first day), for the "Book" and emergency-request links.
  state.window = q.params.start && q.params.end ? { start: q.params.start, end: q.params.end }
    : (q.windows ? { start: q.windows[0].start, end: q.windows[0].end } : null);
  state.programme = q.params.programme || null;
  const limit = Number(q.params.limit);
  if (state.skip) q.params.limit = String(limit + 1);  // one more: the left-out provider may be among them
  const windows = q.windows || [null];
  Promise.all(windows.map((w) => nearest(w ? Object.assign({}, q.params, { start: w.start, end: w.end }) : q.params)))
    .then((answers) => {
      if (mine !== searchSeq) return;
      const refused = answers.find((res) => !res.ok);
      if (refused) { showFailure(apiErrorText(refused)); return; }
      const body = withoutSkipped(q.windows ? mergeDays(answers, q.windows) : answers[0].body, limit);
      const day = q.day || registryNow();
      renderResults(map, resultLayer, body, q.windows ? q.windows.map((w) => w.dayKey)
        : (body.day_type || DAY_KEYS[day.getDay()]));
    });
}

// Map click sets home or work (the choice next to "click the map sets").
map.on("click", (ev) => {
  const choice = document.querySelector("input[name=click-target]:checked");
  const which = choice ? choice.value : "home";
  const label = ev.latlng.lat.toFixed(5) + ", " + ev.latlng.lng.toFixed(5);
  setAnchor(which, { lat: ev.latlng.lat, lon: ev.latlng.lng, label }, true);
});

const locateBtn = $("locate-btn");
let locateSeq = 0;
if (locateBtn) {
  locateBtn.addEventListener("click", () => {
    if (!navigator.geolocation) { $("home-status").textContent = t("location_unavailable"); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      const mine = ++locateSeq;
      const before = state.home;
      const lat = pos.coords.latitude;
      const lon = pos.coords.longitude;
      // The field names the place (its 읍면동 and 시군구); the search keeps the exact point.
      fetchJson("/api/v1/places/at?" + new URLSearchParams({ lat: String(lat), lon: String(lon) })).then((res) => {
        if (mine !== locateSeq || state.home !== before) return;  // a later choice won
        const name = res.ok && res.body ? res.body[pageConfig().lang === "en" ? "name_en" : "name"] : null;
        const place = typeof name === "string" ? name : "";
        $("home-status").textContent = place ? t("near_my_location", { place }) : "";
        setAnchor("home", { lat, lon, label: place || t("my_location") }, true);
      });
    }, (err) => {
      $("home-status").textContent = t(err && err.code === 1 ? "location_denied" : "location_unavailable");
    }, { timeout: 15000, maximumAge: 60000 });
  });
}

// The map's bounds, for the place search's ranking (places in view first).
function keepView() {
  const b = map.getBounds();
  state.view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(",");
}
map.on("moveend", keepView);
map.whenReady(keepView);  // once the map has its first view (basemap.js sets it a task later)

onCriteriaChange(() => { if (state.home) runSearch(); });
// 찾기 reads the place fields as they are now: a home or work typed over (and not chosen
// from the list) is looked up first, an emptied work field is no work; a text that names no
// place stops the search, with the old results taken away.
$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  Promise.all([homeInput.resolve(), workInput.resolve()]).then(([homeOk, workOk]) => {
    if (homeOk && workOk) runSearch();
    else showFailure(t("unknown_place"));
  });
});

const showAll = $("show-all");
if (showAll) setupAllProviders(map, showAll);

const listOnly = $("list-only");
if (listOnly) {
  listOnly.addEventListener("click", () => {
    const on = !document.body.classList.contains("list-only");
    document.body.classList.toggle("list-only", on);
    listOnly.setAttribute("aria-pressed", on ? "true" : "false");
    listOnly.textContent = on ? t("show_map") : t("list_only");
    if (!on) setTimeout(() => { map.invalidateSize(); }, 50);
  });
}

foldCriteriaOnPhone();
const homeInput = setupPlaceInput("home", (point) => setAnchor("home", point, true));
const workInput = setupPlaceInput("work", (point) => setAnchor("work", point, true));

// Home and work from the link; a link that gets one wrong says what and how, by that field
// (the page stays usable: the rest of the link is used, nothing is searched without a home).
// Read once the outlines are in: a place chosen and searched before that (내 위치 tapped at
// once) has rewritten the link with itself, and stands: one search per tap, not a second one.
function restore() {
  if (searchSeq > 0) return;
  const { any, problems } = restoreState();
  Object.keys(problems).forEach((w) => {
    const status = $(w + "-status") || $("results-status");
    if (status) status.textContent = problems[w];
  });
  if (problems.home && !state.home) $("results-status").textContent = problems.home;
  if (any) { drawAnchors(anchorLayer, state); runSearch(); }
  if (state.skip) nearSkipped(!state.home && !problems.home);
}

// The provider a "see the next providers" link leaves out (#skip=<id>): named above the list;
// with no home in the link nor in this tab (`searchNear`), the search is from next to it, said
// so in the home field, so the family sees the alternatives at once and can set its home.
function nearSkipped(searchNear) {
  const skip = state.skip;
  fetchJson("/api/v1/facilities/" + encodeURIComponent(skip.id)).then((res) => {
    const f = res.ok && res.body && res.body.result;
    if (!f || state.skip !== skip) return;
    skip.name = f.name;
    const note = $("results-skipped");
    if (note) { note.textContent = t("next_providers_skipped", { name: f.name }); note.hidden = false; }
    if (!searchNear || state.home) return;  // a home chosen meanwhile wins
    nearNote = t("next_providers_near", { name: f.name });
    $("home-status").textContent = nearNote;
    setAnchor("home", { lat: f.lat, lon: f.lon, label: t("next_providers_near_label", { name: f.name }), near: true }, true);
  });
}
outlinesReady.then(restore, restore);

// What the previous page left to say (the family page: the family's data deleted), once, above the form.
const notice = takeNotice();
if (notice && $("search-form")) {
  const said = el("p", "notice", t(notice));
  said.id = "page-notice";
  said.setAttribute("role", "status");
  $("search-form").before(said);
}
window.dolbom = { map, state };
