// What is drawn on the map besides the base: the kind pins, home and work (and the line
// between them), the result markers, and every provider in view, clustered.
import { el, pageConfig, t } from "../common.js";
import { providersIn } from "./api.js";

// The letter on a kind's pin (the kinds themselves come from the server's page-config; a
// kind without a letter here shows its label's first letter).
const PIN_LETTER = {
  ko: { daycare: "어", community_child_center: "지", together_care_center: "다", home_visit_provider: "방" },
  en: { daycare: "D", community_child_center: "C", together_care_center: "T", home_visit_provider: "H" },
};

export function pinLetter(kind) {
  const letters = PIN_LETTER[pageConfig().lang] || PIN_LETTER.ko;
  return letters[kind] || t("kind_" + kind).charAt(0);
}

function anchorIcon(which) {
  return L.divIcon({ className: "anchor anchor-" + which, html: "", iconSize: [28, 28] });
}

// Home and work on `layer`, joined by a dashed line when both are set.
export function drawAnchors(layer, state) {
  layer.clearLayers();
  ["home", "work"].forEach((which) => {
    const a = state[which];
    if (!a) return;
    const m = L.marker([a.lat, a.lon], { icon: anchorIcon(which), keyboard: false,
      title: t(which), zIndexOffset: -1000 });  // under the results: home never hides the nearest
    m.bindTooltip(el("span", null, t(which) + ": " + a.label));
    layer.addLayer(m);
  });
  if (state.home && state.work) {
    layer.addLayer(L.polyline([[state.home.lat, state.home.lon], [state.work.lat, state.work.lon]],
      { color: "#444", dashArray: "6 6", weight: 2, interactive: false }));
  }
}

// The marker of the i-th result: numbered tooltip, popup, and `on(on, scroll)` called when it
// is pointed at (true) or left (false), or clicked (true, true). The pin starts on the
// provider's point; results.js spreadPins moves it (shiftPin) when it would cover another.
export function resultMarker(f, i, popup, on) {
  const marker = L.marker([f.lat, f.lon], {
    icon: L.divIcon({ className: "pin pin-" + f.kind + " result-pin", html: "", iconSize: [24, 24],
      iconAnchor: [12, 12], popupAnchor: [0, -12], tooltipAnchor: [12, 0] }),
    title: f.name, alt: f.name, riseOnHover: true });
  marker.bindTooltip(el("span", null, (i + 1) + ". " + f.name));
  marker.bindPopup(popup);
  marker.on("mouseover", () => on(true));
  marker.on("mouseout", () => on(false));
  marker.on("click", () => on(true, true));
  marker.on("add", () => {
    const icon = marker.getElement();
    if (icon) { icon.dataset.id = f.id; icon.textContent = pinLetter(f.kind); }
  });
  return marker;
}

// Draw a result pin `dx`, `dy` pixels from its point (so pins that would cover each other can
// each be tapped); the popup and tooltip open at the pin, wherever it is, not at the point.
// Each marker has its own icon options, and Leaflet reads the anchors when it opens them.
export function shiftPin(marker, dx, dy) {
  const o = marker.options.icon.options;
  if (o.iconAnchor[0] === 12 - dx && o.iconAnchor[1] === 12 - dy) return;
  o.iconAnchor = [12 - dx, 12 - dy];
  o.popupAnchor = [dx, dy - 12];
  o.tooltipAnchor = [dx + 12, dy];
  const icon = marker.getElement();
  if (icon) { icon.style.marginLeft = (dx - 12) + "px"; icon.style.marginTop = (dy - 12) + "px"; }
  // an open popup or tooltip moves with its pin (without panning the map: the person zoomed)
  const popup = marker.getPopup();
  if (popup && popup.isOpen()) {
    const pan = popup.options.autoPan;
    popup.options.autoPan = false;
    popup.update();
    popup.options.autoPan = pan;
  }
  if (marker.isTooltipOpen()) marker.getTooltip().update();
}

// The clustering plugin's script and styles, from the page's <template id="cluster-assets">,
// added to the page the first time they are needed (not at the first paint). Resolves once
// the script has run (rejects when it cannot load).
let clusterAssets = null;
function loadClusterAssets() {
  if (clusterAssets) return clusterAssets;
  clusterAssets = new Promise((resolve, reject) => {
    if (L.markerClusterGroup) { resolve(); return; }
    const tpl = document.getElementById("cluster-assets");
    const parts = tpl ? Array.from(tpl.content.children) : [];
    parts.filter((p) => p.tagName === "LINK").forEach((p) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = p.getAttribute("href");
      document.head.appendChild(link);
    });
    const src = parts.filter((p) => p.tagName === "SCRIPT").map((p) => p.getAttribute("src"))[0];
    if (!src) { reject(new Error("no cluster script")); return; }
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => { clusterAssets = null; reject(new Error("cluster script")); });
    document.head.appendChild(script);
  });
  return clusterAssets;
}

// Every provider, clustered, loaded for the viewport while `checkbox` is ticked.
export function setupAllProviders(map, checkbox) {
  let layer = null;
  const loaded = {};
  let timer = null;
  function load() {
    const b = map.getBounds();
    const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(",");
    providersIn(box).then((body) => {
      const add = [];
      body.results.forEach((f) => {
        if (loaded[f.id]) return;
        loaded[f.id] = true;
        const m = L.circleMarker([f.lat, f.lon], { radius: 5, weight: 1, className: "dot dot-" + f.kind });
        m.bindTooltip(el("span", null, f.name));
        add.push(m);
      });
      layer.addLayers(add);
      document.body.dataset.allLoaded = String(Object.keys(loaded).length);
    });
  }
  checkbox.addEventListener("change", () => {
    if (!checkbox.checked) { if (layer) map.removeLayer(layer); return; }
    loadClusterAssets().then(() => {
      if (!checkbox.checked) return;  // unticked while the plugin loaded
      if (!layer) layer = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
      map.addLayer(layer);
      load();
    }, () => {});
  });
  map.on("moveend", () => {
    if (!checkbox.checked || !layer) return;
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
}
