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
// is pointed at (true) or left (false), or clicked (true, true). `offset` ([dx, dy] pixels)
// draws the pin that far from its point, so providers at one address can each be tapped.
export function resultMarker(f, i, popup, on, offset) {
  const [dx, dy] = offset || [0, 0];
  const marker = L.marker([f.lat, f.lon], {
    icon: L.divIcon({ className: "pin pin-" + f.kind + " result-pin", html: "", iconSize: [24, 24],
      iconAnchor: [12 - dx, 12 - dy] }),
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

// Every provider, clustered, loaded for the viewport while `checkbox` is ticked.
export function setupAllProviders(map, checkbox) {
  const layer = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
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
    if (checkbox.checked) { map.addLayer(layer); load(); } else { map.removeLayer(layer); }
  });
  map.on("moveend", () => {
    if (!checkbox.checked) return;
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  });
}
