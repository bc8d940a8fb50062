// The planners' page. The page comes at once; the map's areas and the table's rows come from
// /planner/data.json (a progress line shows when that takes over 300 ms), the desert layers of
// the other times of day when they are switched on. Scenario editing and site suggestion work
// on the same map (window.map_planner).
import { $, apiErrorText, el, fetchJson, pageConfig, t } from "../common.js";
import { busy } from "./progress.js";
import { setupScenario } from "./scenario.js";
import { setupSites } from "./sites.js";
import { fillTable, makeSortable, showComparison } from "./table.js";

const cfg = pageConfig();

function showError(message) {
  let p = $("planner-error");
  if (!p) {
    p = el("p", "status error");
    p.id = "planner-error";
    p.setAttribute("role", "alert");
    $("planner-status").after(p);
  }
  p.textContent = message;
}

function errorText(res) {
  return apiErrorText(res);  // the page's language: no English sentence on a Korean page
}

function tooltip(props) {
  const box = el("div");
  box.appendChild(el("strong", null, props.name));
  box.appendChild(el("div", null, t("measure_" + cfg.measure) + ": " + props.value));
  return box;
}

// Hundreds of areas (읍면동, grid cells) are drawn on one canvas, which Leaflet paints far
// faster than as many SVG paths; the 44 시군구 stay SVG.
// One renderer for the areas and the desert outlines, so both answer the pointer (the map's
// own SVG one for 시군구). Markers one clicks (providers, new centres, suggested sites) and the
// scenario's changed areas are in panes above it.
let shared = null;
function renderer(data) {
  if (data.level === "sigungu") return undefined;
  if (!shared) shared = L.canvas({ padding: 0.2 });
  return shared;
}

function drawAreas(map, data) {
  const shapes = {};
  const areas = L.geoJSON(data.areas, {
    renderer: renderer(data),
    style: (f) => ({ fillColor: f.properties.colour, color: "#555", weight: 0.6, fillOpacity: 0.65 }),
    onEachFeature: (f, layer) => {
      shapes[f.properties.key] = f;
      layer.bindTooltip(tooltip(f.properties), { sticky: true });
      layer.on("mouseover", () => layer.setStyle({ weight: 2.5, color: "#000" }));
      layer.on("mouseout", () => areas.resetStyle(layer));
    },
  }).addTo(map);
  return { areas, shapes };
}

function desertLayer(shapes, keys, data) {
  const features = keys.map((k) => shapes[k]).filter(Boolean);
  return L.geoJSON({ type: "FeatureCollection", features }, {
    renderer: renderer(data),
    style: () => ({ color: "#b2182b", weight: 2.5, fill: false, dashArray: "4 3" }),
    interactive: false,
  });
}

// One switchable desert layer per time of day: the page's period drawn now, the others
// fetched the first time they are switched on.
function desertLayers(map, data, shapes, areas) {
  const overlays = {};
  const groups = {};
  overlays[t("measure_" + cfg.measure)] = areas;
  Object.keys(cfg.periods).forEach((period) => {
    const group = L.layerGroup();
    group.period = period;
    groups[period] = group;
    overlays[cfg.desert_layers[period]] = group;
    if (data.deserts[period]) {
      desertLayer(shapes, data.deserts[period], data).addTo(group);
      group.loaded = true;
    }
    if (period === cfg.period) group.addTo(map);
  });
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  map.on("overlayadd", (ev) => {
    const group = ev.layer;
    if (!group.period || group.loaded || group.loading) return;
    group.loading = true;
    const done = busy($("planner-results"), $("planner-status"), t("planner_loading_layer"));
    fetchJson(cfg.data_url + "&deserts=" + encodeURIComponent(group.period)).then((res) => {
      group.loading = false;
      if (res.status !== 200) { done(); showError(errorText(res)); return; }
      group.loaded = true;
      desertLayer(shapes, res.body.deserts, data).addTo(group);
      done();
    });
  });
  return groups;
}

function start() {
  const map = L.map("map_planner", { center: cfg.center, zoom: cfg.zoom });
  window[cfg.map] = map;
  map.createPane("plannerChanges").style.zIndex = "420";
  map.createPane("plannerMarkers").style.zIndex = "450";
  L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution }).addTo(map);
  const table = $("measures-table");
  makeSortable(table);
  setupScenario(map);
  setupSites(map);
  const done = busy($("planner-results"), $("planner-status"), t("planner_loading"));
  fetchJson(cfg.data_url).then((res) => {
    if (res.status !== 200) { done(); showError(errorText(res)); return; }
    const data = res.body;
    const { areas, shapes } = drawAreas(map, data);
    desertLayers(map, data, shapes, areas);
    if (data.areas.features.length) map.fitBounds(areas.getBounds());
    fillTable(table, data.rows, cfg.thresholds);
    if (data.baseline) showComparison(map, data, shapes);
    document.body.dataset.areas = String(data.areas.features.length);
    done(t("planner_loaded", { n: data.areas.features.length }));
    performance.mark("planner-drawn");  // for bench/bench_planner_page.py
  });
}

if (cfg.data_url && $("map_planner")) start();
