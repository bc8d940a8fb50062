// The Leaflet map: base tiles (with a notice when they fail), the 시군구 outlines (and the
// widget's region), the widget's scroll and touch gestures, and the legend of kinds.
import { $, el, pageConfig, t } from "../common.js";
import { pinLetter } from "./markers.js";

function addTiles(map, tiles) {
  const layer = L.tileLayer(tiles.url, { maxZoom: tiles.maxZoom, attribution: tiles.attribution });
  let loaded = false;
  let dismissed = false;  // closed by the person: not shown again on this page
  let errors = 0;
  const notice = $("tile-status");
  const close = $("tile-status-close");
  if (close) close.addEventListener("click", () => { dismissed = true; notice.hidden = true; });
  layer.on("tileload", () => { loaded = true; notice.hidden = true; });
  layer.on("tileerror", () => {
    errors += 1;
    if (!loaded && !dismissed && errors >= 2) notice.hidden = false;
  });
  layer.addTo(map);
}

// Work for later: in the browser's idle time (or, without requestIdleCallback, the next task),
// so it never lengthens the task that shows the page.
export function later(fn) {
  if (window.requestIdleCallback) window.requestIdleCallback(fn, { timeout: 500 });
  else setTimeout(fn, 0);
}

// Outlines drawn per task: a few at a time keeps each task short on a slow phone.
const OUTLINES_PER_TASK = 4;

// The outlines, drawn under everything; a widget for one region fits (and may keep) the map
// to it. Resolves once the map is where it stays (the widget's region fitted); the outlines
// themselves are drawn after, a few per idle moment.
function addOutlines(map, embed, viewReady) {
  const outlines = L.geoJSON(null, { interactive: false,
    style: { color: "#5b6b7a", weight: 1, fill: true, fillColor: "#eef2f5", fillOpacity: 0.35 } });
  outlines.addTo(map);
  const loaded = fetch("/geo/gyeonggi-sigungu.geojson").then((r) => r.json());
  return Promise.all([loaded, viewReady]).then(([gj]) => {
    const features = gj.features || [];
    const drawSome = (from) => {
      outlines.addData({ type: "FeatureCollection", features: features.slice(from, from + OUTLINES_PER_TASK) });
      if (from + OUTLINES_PER_TASK < features.length) later(() => drawSome(from + OUTLINES_PER_TASK));
    };
    later(() => drawSome(0));
    if (!embed || !embed.region) return;
    const region = features.filter((f) => f.properties.code === embed.region || f.properties.sigun_code === embed.region);
    if (!region.length) return;
    const bounds = L.geoJSON({ type: "FeatureCollection", features: region }).getBounds();
    map.fitBounds(bounds);
    if (embed.limitToRegion) {
      map.setMaxBounds(bounds.pad(0.2));
      map.setMinZoom(Math.max(map.getZoom() - 1, 7));
    }
  });
}

// Embedded in another page: scrolling over the map scrolls the page; Ctrl/⌘ + wheel zooms,
// and on touch screens one finger scrolls the page while two move the map.
function embedGestures(map, mapEl) {
  const hint = $("gesture-hint");
  let hintTimer = null;
  mapEl.addEventListener("wheel", (ev) => {
    if (ev.ctrlKey || ev.metaKey) {
      ev.preventDefault();
      map.setZoom(map.getZoom() + (ev.deltaY < 0 ? 1 : -1));
    } else if (hint) {
      hint.hidden = false;
      clearTimeout(hintTimer);
      hintTimer = setTimeout(() => { hint.hidden = true; }, 1500);
    }
  }, { passive: false });
  if (L.Browser.touch) {
    map.dragging.disable();
    mapEl.addEventListener("touchstart", (ev) => {
      if (ev.touches.length >= 2) map.dragging.enable(); else map.dragging.disable();
    }, { passive: true });
  }
}

// The legend: one pin per kind the server sends, with its label. Its title is a button that
// folds it; on a phone it starts folded, so it never covers the markers under it.
function drawLegend(kinds) {
  const legend = $("legend");
  if (!legend) return;
  const toggle = el("button", "legend-toggle", t("legend"));
  toggle.type = "button";
  const rows = el("div", "legend-rows");
  rows.id = "legend-rows";
  toggle.setAttribute("aria-controls", rows.id);
  kinds.forEach((k) => {
    const row = el("span", "legend-row");
    row.appendChild(el("span", "pin pin-" + k, pinLetter(k)));
    row.appendChild(document.createTextNode(" " + t("kind_" + k)));
    rows.appendChild(row);
  });
  const setOpen = (open) => {
    rows.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  };
  setOpen(!window.matchMedia("(max-width: 599px)").matches);
  toggle.addEventListener("click", () => setOpen(rows.hidden));
  legend.appendChild(toggle);
  legend.appendChild(rows);
}

// The map in #map; outlinesReady resolves (or rejects) when the outlines have loaded and the
// widget's region is fitted (they are drawn in the idle moments after).
export function createMap() {
  const cfg = pageConfig();
  const embed = cfg.embed;
  const mapEl = $("map");
  // Leaflet's styles come without blocking the first paint (media="print" in the page); they
  // apply from here, before the map is built.
  const css = $("leaflet-css");
  if (css) css.media = "all";
  const map = L.map(mapEl, { scrollWheelZoom: !embed, preferCanvas: false });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener">Leaflet</a>');
  // Building the map, placing it (which lays the page out) and loading the tiles are each a
  // task of their own, so none is long on a slow phone. Until the view is set the map takes
  // no input (Leaflet ignores events before it) and layers added wait for it (whenReady).
  let placed = false;
  map.once("load", () => { placed = true; });  // a place chosen first keeps its view
  const viewReady = new Promise((resolve) => {
    setTimeout(() => {
      if (!placed) map.setView(cfg.center, cfg.zoom);
      resolve();
      setTimeout(() => { addTiles(map, cfg.tiles); }, 0);
    }, 0);
  });
  const outlinesReady = addOutlines(map, embed, viewReady);
  if (embed) embedGestures(map, mapEl);
  setTimeout(() => { drawLegend(cfg.kinds); }, 0);
  return { map, outlinesReady };
}
