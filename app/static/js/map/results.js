// The results: the list and the markers kept in step (pointing at one highlights the other),
// the search radius, and the map fitted to them.
import { $, el, t } from "../common.js";
import { resultMarker, pinLetter } from "./markers.js";
import { state } from "./state.js";
import { availabilityLine, detailBlock, nearText, popupContent } from "./text.js";

function highlight(id, on, scroll) {
  const item = state.items[id];
  const marker = state.markers[id];
  if (item) item.classList.toggle("highlight", on);
  if (marker && marker._icon) marker._icon.classList.toggle("highlight", on);
  if (on && marker) marker.openTooltip();
  if (!on && marker) marker.closeTooltip();
  if (on && scroll && item) item.scrollIntoView({ block: "nearest" });
}

// One list item: a button that opens the details (and pans to the marker), kind, distance,
// availability.
function listItem(map, hit, dayType) {
  const f = hit.facility;
  const li = el("li", "result kind-" + f.kind);
  li.dataset.id = f.id;
  const head = el("button", "result-head");
  head.type = "button";
  head.setAttribute("aria-expanded", "false");
  head.appendChild(el("span", "pin pin-" + f.kind, pinLetter(f.kind)));
  head.appendChild(el("span", "name", f.name));
  li.appendChild(head);
  li.appendChild(el("span", "kind", t("kind_" + f.kind)));
  li.appendChild(el("span", "near", nearText(hit)));
  li.appendChild(el("span", "avail avail-" + hit.availability.status, availabilityLine(hit.availability)));
  const detail = detailBlock(hit, dayType);
  detail.hidden = true;
  li.appendChild(detail);
  head.addEventListener("click", () => {
    const open = detail.hidden;
    detail.hidden = !open;
    head.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && state.markers[f.id] && !hit.comes_to_you) map.panTo(state.markers[f.id].getLatLng());
  });
  li.addEventListener("mouseenter", () => highlight(f.id, true));
  li.addEventListener("mouseleave", () => highlight(f.id, false));
  head.addEventListener("focus", () => highlight(f.id, true));
  head.addEventListener("blur", () => highlight(f.id, false));
  return li;
}

// Show a search's body (its results for the day type `dayType`) in the list and on `layer`.
export function renderResults(map, layer, body, dayType) {
  const list = $("result-list");
  list.textContent = "";
  layer.clearLayers();
  state.markers = {};
  state.items = {};
  const hits = body.results;
  state.hits = hits;
  if ($("results-count")) $("results-count").textContent = t("results_count", { n: hits.length });
  $("results-status").textContent = hits.length ? "" : t("no_results");
  const bounds = [];
  hits.forEach((hit, i) => {
    const f = hit.facility;
    const li = listItem(map, hit, dayType);
    list.appendChild(li);
    state.items[f.id] = li;
    if (hit.comes_to_you) return;
    const marker = resultMarker(f, i, popupContent(hit, dayType), (on, scroll) => highlight(f.id, on, scroll));
    layer.addLayer(marker);
    state.markers[f.id] = marker;
    bounds.push([f.lat, f.lon]);
  });
  if (state.home && bounds.length && !state.work) {
    const far = hits.reduce((m, h) => Math.max(m, h.distance_m || 0), 0);
    layer.addLayer(L.circle([state.home.lat, state.home.lon], { radius: far,
      color: "#2a6f97", weight: 1, fill: false, interactive: false }));
  }
  if (state.home) bounds.push([state.home.lat, state.home.lon]);
  if (state.work) bounds.push([state.work.lat, state.work.lon]);
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
  document.body.dataset.results = String(hits.length);
}
