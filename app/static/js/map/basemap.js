// The Leaflet map: base tiles (with a notice when they fail), the 시군구 outlines (and the
// widget's region), the widget's scroll and touch gestures, and the legend of kinds.
import { $, el, pageConfig, t } from "../common.js";
import { pinLetter } from "./markers.js";

function addTiles(map, tiles) {
  const layer = L.tileLayer(tiles.url, { maxZoom: tiles.maxZoom, attribution: tiles.attribution });
  let loaded = false;
  let errors = 0;
  layer.on("tileload", () => { loaded = true; $("tile-status").hidden = true; });
  layer.on("tileerror", () => {
    errors += 1;
    if (!loaded && errors >= 2) $("tile-status").hidden = false;
  });
  layer.addTo(map);
}

// The outlines, drawn under everything; a widget for one region fits (and may keep) the map
// to it. Resolves once they are drawn.
function addOutlines(map, embed) {
  const outlines = L.geoJSON(null, { interactive: false,
    style: { color: "#5b6b7a", weight: 1, fill: true, fillColor: "#eef2f5", fillOpacity: 0.35 } });
  outlines.addTo(map);
  return fetch("/geo/gyeonggi-sigungu.geojson").then((r) => r.json()).then((gj) => {
    outlines.addData(gj);
    if (!embed || !embed.region) return;
    const layers = [];
    outlines.eachLayer((layer) => {
      const p = layer.feature.properties;
      if (p.code === embed.region || p.sigun_code === embed.region) layers.push(layer);
    });
    if (!layers.length) return;
    const bounds = L.featureGroup(layers).getBounds();
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

// The map in #map; outlinesReady resolves (or rejects) when the outlines have loaded.
export function createMap() {
  const cfg = pageConfig();
  const embed = cfg.embed;
  const mapEl = $("map");
  const map = L.map(mapEl, { scrollWheelZoom: !embed, preferCanvas: false }).setView(cfg.center, cfg.zoom);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener">Leaflet</a>');
  addTiles(map, cfg.tiles);
  const outlinesReady = addOutlines(map, embed);
  if (embed) embedGestures(map, mapEl);
  drawLegend(cfg.kinds);
  return { map, outlinesReady };
}
