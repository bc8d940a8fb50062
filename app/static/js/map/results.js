// The results: the list and the markers kept in step (pointing at one highlights the other),
// the search radius, and the map fitted to them.
import { $, el, pageConfig, t } from "../common.js";
import { resultMarker, pinLetter, shiftPin } from "./markers.js";
import { state } from "./state.js";
import { availabilityLine, beyondRequests, detailBlock, freshness, nearText, popupContent, requestLink,
  requestTooFar } from "./text.js";

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
  li.appendChild(el("span", "avail avail-" + hit.availability.status + " " + freshness(hit.availability),
    availabilityLine(hit.availability)));
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

// Pins whose centres are nearer than this (pixels, a pin's width) cover each other on screen.
const PIN_PX = 24;

// Where each group of pins goes: members spread on a circle around the group's centre (the
// mean of their points), in result order clockwise from the top (the first result on top, so
// the next ones lie beside or below its popup, not under it), neighbours at least 26 px apart;
// a lone pin stays on its point. `pts`: layer points; returns [dx, dy] per pin.
function spread(pts, groups) {
  const offsets = pts.map(() => [0, 0]);
  groups.forEach((ids) => {
    if (ids.length < 2) return;
    const cx = ids.reduce((s, i) => s + pts[i].x, 0) / ids.length;
    const cy = ids.reduce((s, i) => s + pts[i].y, 0) / ids.length;
    const radius = Math.max(16, 13 / Math.sin(Math.PI / ids.length));
    ids.forEach((i, k) => {
      const angle = (2 * Math.PI * k) / ids.length - Math.PI / 2;
      offsets[i] = [Math.round(cx + radius * Math.cos(angle) - pts[i].x),
        Math.round(cy + radius * Math.sin(angle) - pts[i].y)];
    });
  });
  return offsets;
}

// Spread the result pins that would cover each other at the map's zoom (run after the pins
// are placed and on every zoomend): pins nearer than PIN_PX join one group (single link);
// a spread group that now covers another pin takes it in, until no two pins overlap (at
// most one merge round per pin: <= 21 results, cheap).
function spreadPins(map) {
  const markers = Object.values(state.markers);
  const pts = markers.map((m) => map.latLngToLayerPoint(m.getLatLng()));
  const group = pts.map((_, i) => i);
  const root = (i) => { while (group[i] !== i) i = group[i]; return i; };
  const near = (at) => {
    let joined = false;
    for (let i = 0; i < at.length; i++) {
      for (let j = 0; j < i; j++) {
        if (root(i) !== root(j) && Math.hypot(at[i][0] - at[j][0], at[i][1] - at[j][1]) < PIN_PX) {
          group[root(i)] = root(j);
          joined = true;
        }
      }
    }
    return joined;
  };
  near(pts.map((p) => [p.x, p.y]));
  let offsets;
  for (let round = 0; round <= markers.length; round++) {
    const members = {};
    pts.forEach((_, i) => (members[root(i)] = members[root(i)] || []).push(i));
    offsets = spread(pts, Object.values(members));
    if (!near(pts.map((p, i) => [p.x + offsets[i][0], p.y + offsets[i][1]]))) break;
  }
  markers.forEach((m, i) => shiftPin(m, offsets[i][0], offsets[i][1]));
}

function onZoom(e) {
  spreadPins(e.target);
}

// Why nothing was found and what to do (the API's "empty" member): the programme rules the
// family does not meet, the nearest provider without the condition that failed, the hotline
// and the programmes page.
function showEmpty(map, body, dayType) {
  const box = $("results-empty");
  if (!box) return;
  box.textContent = "";
  const empty = body.empty;
  const request = emergencyOffer(body);
  box.hidden = !empty && !request;
  if (!empty) {
    if (request) box.appendChild(request);
    return;
  }
  empty.reasons.forEach((r) => {
    // the home's 시군 by name where the API knows it (경기도), else the general sentence
    const sigun = pageConfig().lang === "en" ? r.sigun_name_en : r.sigun_name;
    box.appendChild(el("p", "reason", t("empty_" + r.code + (sigun ? "_named" : ""), {
      programme: t("programme_" + r.programme), min: r.age_min_months, max: r.age_max_months, sigun })));
  });
  if (empty.without && empty.nearest) {
    box.appendChild(el("p", "without", t("empty_without_" + empty.without)));
    const list = el("ul", "result-list");
    // Found without the window or without a free place: not bookable for this search.
    const bookable = empty.without !== "window" && empty.without !== "available";
    list.appendChild(listItem(map, Object.assign({}, empty.nearest, { bookable }), dayType));
    box.appendChild(list);
  }
  const help = el("p", "help");
  if (empty.hotline) {
    const tel = el("a", null, t("empty_hotline", { phone: empty.hotline }));
    tel.href = "tel:" + empty.hotline.replace(/[^0-9+]/g, "");
    help.appendChild(tel);
  }
  const more = el("a", null, t("empty_programmes"));
  more.href = pageConfig().programmes_url;
  if (pageConfig().embed) { more.target = "_blank"; more.rel = "noopener"; }
  help.appendChild(more);
  box.appendChild(help);
  if (request) box.appendChild(request);
}

// A search for a care window that found nothing: an emergency request for that window
// (text.js requestLink); beyond the request horizon, why none (text.js requestTooFar). Null for
// a search without a window, a refused one (no "empty" member) or one that found providers.
function emergencyOffer(body) {
  if (body.results.length || !("empty" in body)) return null;
  if (beyondRequests()) return el("p", "request", requestTooFar(null));
  const a = requestLink(t("empty_request_emergency"));
  if (!a) return null;
  a.id = "request-emergency";
  const p = el("p", "request");
  p.appendChild(el("span", "hint", t("empty_request_hint")));
  p.appendChild(document.createTextNode(" "));
  p.appendChild(a);
  return p;
}

// Show a search's body (its results for the day type `dayType`, or each of a list of day
// types) in the list and on `layer`.
export function renderResults(map, layer, body, dayType) {
  const list = $("result-list");
  list.textContent = "";
  layer.clearLayers();
  state.markers = {};
  state.items = {};
  const hits = body.results;
  state.hits = hits;
  // The heading with its count, worded as one phrase ("검색 결과 20곳", "20 results").
  if ($("results-count")) {
    $("results-count").textContent = t(hits.length === 1 ? "results_heading_one" : "results_heading",
      { n: hits.length });
    if ($("results-word")) $("results-word").hidden = true;
  }
  $("results-status").textContent = hits.length ? "" : t("no_results");
  showEmpty(map, body, dayType);
  const outside = $("results-outside");
  if (outside) {
    outside.hidden = !body.outside_coverage;
    outside.textContent = body.outside_coverage ? t("outside_coverage",
      { area: (pageConfig().lang === "en" && body.coverage_name_en) || body.coverage_name || "" }) : "";
  }
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
  // Without the zoom animation: the pins are spread at the final zoom at once, so a pin does
  // not move under a finger at the animation's end.
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16, animate: false });
  spreadPins(map);  // at the zoom the map now has
  map.off("zoomend", onZoom);
  map.on("zoomend", onZoom);
  document.body.dataset.results = String(hits.length);
}
