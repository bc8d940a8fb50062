// Dolbom Map page (the full map and the /embed widget): place search, filters, results list
// and markers kept in step. Leaflet (L) and markercluster are classic scripts loaded before
// this module.
import { $, registryNow, t } from "../common.js";
import { nearest } from "./api.js";
import { createMap } from "./basemap.js";
import { fillWhatOptions, foldCriteriaOnPhone, onCriteriaChange, searchParams } from "./filters.js";
import { drawAnchors, setupAllProviders } from "./markers.js";
import { setupPlaceInput } from "./places.js";
import { renderResults } from "./results.js";
import { restoreState, saveState, state } from "./state.js";

const DAY_KEYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fillWhatOptions();
const { map, outlinesReady } = createMap();
const resultLayer = L.layerGroup().addTo(map);
const anchorLayer = L.layerGroup().addTo(map);

function setAnchor(which, point, search) {
  state[which] = point;
  const input = $(which + "-input");
  if (input && input.value !== point.label) input.value = point.label;
  drawAnchors(anchorLayer, state);
  if (which === "home" || !state.home) map.setView([point.lat, point.lon], Math.max(map.getZoom(), 14));
  if (search) runSearch();
}

let searchSeq = 0;
function runSearch() {
  if (!state.home) { $("results-status").textContent = t("set_home_first"); return; }
  const q = searchParams(state);
  const mine = ++searchSeq;
  $("results-status").textContent = t("loading");
  saveState();
  nearest(q.params)
    .then((res) => {
      if (mine !== searchSeq) return;
      if (!res.ok) {
        $("results-status").textContent = t("error") + " " + res.body.error.message;
        return;
      }
      const day = q.day || registryNow();
      renderResults(map, resultLayer, res.body, res.body.day_type || DAY_KEYS[day.getDay()]);
    })
    .catch(() => { if (mine === searchSeq) $("results-status").textContent = t("error"); });
}

// Map click sets home or work (the choice next to "click the map sets").
map.on("click", (ev) => {
  const choice = document.querySelector("input[name=click-target]:checked");
  const which = choice ? choice.value : "home";
  const label = ev.latlng.lat.toFixed(5) + ", " + ev.latlng.lng.toFixed(5);
  setAnchor(which, { lat: ev.latlng.lat, lon: ev.latlng.lng, label }, true);
});

const locateBtn = $("locate-btn");
if (locateBtn) {
  locateBtn.addEventListener("click", () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => {
      setAnchor("home", { lat: pos.coords.latitude, lon: pos.coords.longitude, label: t("use_my_location") }, true);
    }, () => { $("home-status").textContent = t("error"); });
  });
}

onCriteriaChange(() => { if (state.home) runSearch(); });
$("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); runSearch(); });

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
setupPlaceInput("home", (point) => setAnchor("home", point, true));
setupPlaceInput("work", (point) => setAnchor("work", point, true));

function restore() {
  if (restoreState()) { drawAnchors(anchorLayer, state); runSearch(); }
}
outlinesReady.then(restore, restore);
window.dolbom = { map, state };
