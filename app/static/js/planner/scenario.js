// Scenario editing on the folium map: add a centre where you click, close or resize a provider
// by clicking it; the scenario goes to the server in the query form's "scenario" field.
import { $, el, fetchJson, pageConfig, t } from "../common.js";
import { busy } from "./progress.js";

export function setupScenario(map) {
  const cfg = pageConfig();
  let scenario = cfg.scenario || { add: [], close: [], resize: [] };
  const presets = $("new-hours");
  Object.keys(cfg.hours_presets).forEach((k) => {
    const o = document.createElement("option");
    o.value = k;
    o.textContent = cfg.hours_presets[k];
    presets.appendChild(o);
  });
  // A new centre takes hours that cover the chosen service's time of day (editable here).
  presets.value = cfg.preset_for[cfg.service + "/" + cfg.period] || "round_the_clock";
  const editLayer = L.layerGroup().addTo(map);
  const providerLayer = L.layerGroup().addTo(map);
  let mode = null;

  function summary() {
    $("scenario-summary").textContent = t("scenario_added", { n: scenario.add.length }) + ", " +
      t("scenario_closed", { n: scenario.close.length }) + ", " +
      t("scenario_resized", { n: scenario.resize.length });
  }
  function drawEdits() {
    editLayer.clearLayers();
    scenario.add.forEach((a) => {
      L.circleMarker([a.lat, a.lon], { radius: 9, color: "#08519c", weight: 3, fillColor: "#6baed6",
        fillOpacity: 0.9, className: "scenario-added", pane: "plannerMarkers" }).addTo(editLayer);
    });
    summary();
  }
  function setMode(m) {
    mode = mode === m ? null : m;
    $("add-mode").setAttribute("aria-pressed", String(mode === "add"));
    $("close-mode").setAttribute("aria-pressed", String(mode === "close"));
    $("resize-mode").setAttribute("aria-pressed", String(mode === "resize"));
    map.getContainer().style.cursor = mode === "add" ? "crosshair" : "";
    if (mode === "close" || mode === "resize") loadProviders();
  }

  // Providers of the chosen service in view, from the public bbox API; click one to close or
  // resize it.
  function providerMarker(f) {
    const closed = scenario.close.indexOf(f.id) >= 0;
    const mk = L.circleMarker([f.lat, f.lon], { radius: 5, weight: 1, color: "#333",
      fillColor: closed ? "#000" : "#fff", fillOpacity: 1, className: "planner-provider",
      pane: "plannerMarkers" });
    mk.bindTooltip(document.createTextNode(f.name));  // text, never HTML
    mk.on("click", () => {
      if (mode === "resize") {
        const places = parseInt($("new-capacity").value, 10);
        if (!(places >= 0)) return;
        scenario.resize = scenario.resize.filter((r) => r.id !== f.id);
        scenario.resize.push({ id: f.id, capacity: places });
        mk.setStyle({ fillColor: "#fdae61" });
        summary();
        return;
      }
      if (mode !== "close") return;
      const i = scenario.close.indexOf(f.id);
      if (i >= 0) scenario.close.splice(i, 1); else scenario.close.push(f.id);
      mk.setStyle({ fillColor: i >= 0 ? "#fff" : "#000" });
      summary();
    });
    return mk;
  }
  // Every provider of the service in view, page after page (the API pages at most 20,000
  // at a time and says where the next page is); a newer call supersedes an older one.
  let loading = 0;
  function loadProviders() {
    const b = map.getBounds();
    let q = "bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",") +
      "&fields=compact&limit=20000";
    const kinds = cfg.kinds[cfg.service] || [];
    if (kinds.length) q += "&kind=" + kinds.join(",");
    const call = ++loading;
    const found = [];
    const done = busy($("planner-results"), $("planner-status"), t("planner_loading_providers"));
    const page = (url) => fetchJson(url).then((res) => {
      if (call !== loading) { done(); return; }
      if (res.status !== 200) {
        done((res.body.error && res.body.error.message) || t("error"));
        return;
      }
      res.body.results.forEach((f) => found.push(f));
      if (res.body.next) { page(res.body.next); return; }
      providerLayer.clearLayers();
      found.forEach((f) => providerMarker(f).addTo(providerLayer));
      document.body.dataset.providersShown = String(found.length);
      done(t("planner_providers_shown", { n: found.length.toLocaleString("en-US") }));
    });
    page("/api/v1/facilities?" + q);
  }

  function isEmpty() {
    return !scenario.add.length && !scenario.close.length && !scenario.resize.length;
  }
  function submit() {
    const empty = isEmpty();
    $("scenario-field").value = empty ? "" : JSON.stringify(scenario);
    if (empty) $("scenario-field").disabled = true;
    $("planner-query").submit();
  }

  $("add-mode").addEventListener("click", () => setMode("add"));
  $("close-mode").addEventListener("click", () => setMode("close"));
  $("resize-mode").addEventListener("click", () => setMode("resize"));
  // Why a click added no centre, beside the scenario tools (empty: hidden).
  function notice(message) {
    let p = $("scenario-notice");
    if (!p) {
      p = el("p", "status error");
      p.id = "scenario-notice";
      p.setAttribute("role", "alert");
      $("scenario-tools").after(p);
    }
    p.textContent = message;
    p.hidden = !message;
  }
  // A new centre only where "apply" will take it: in 경기도 by the server's own test (the
  // area at the point, /api/v1/places/at, as parse_scenario's admin.locate), so a click
  // outside (서울 inside the ring of 경기도, the sea, another 시도) is refused at once.
  map.on("click", (ev) => {
    if (mode !== "add") return;
    const service = cfg.services[cfg.service] ? cfg.service : "daycare";
    const centre = { lon: Math.round(ev.latlng.lng * 1e6) / 1e6, lat: Math.round(ev.latlng.lat * 1e6) / 1e6,
      service, capacity: parseInt($("new-capacity").value, 10) || 30, hours_preset: presets.value };
    const where = new URLSearchParams({ lat: String(centre.lat), lon: String(centre.lon) });
    fetchJson("/api/v1/places/at?" + where).then((res) => {
      if (res.ok && res.body.sido_code === cfg.scenario_sido_code) {
        notice("");
        scenario.add.push(centre);
        drawEdits();
        return;
      }
      const point = centre.lat + ", " + centre.lon;
      if (res.ok || res.status === 404 || res.status === 400) {
        // where it is instead: "서울특별시 중랑구 망우동" / "Mangu-dong, Jungnang-gu, Seoul"
        const b = res.ok ? res.body : {};
        const place = cfg.lang === "en" ? [b.emd_en, b.sigungu_en, b.sido_en].filter(Boolean).join(", ")
          : [b.sido, b.sigungu, b.emd].filter(Boolean).join(" ");
        notice(t(place ? "planner_click_outside_in" : "planner_click_outside", { point, place }));
      } else {
        notice(t("planner_click_unchecked", { point }));
      }
    });
  });
  map.on("moveend", () => { if (mode === "close" || mode === "resize") loadProviders(); });
  $("apply-scenario").addEventListener("click", submit);
  $("clear-scenario").addEventListener("click", () => {
    scenario = { add: [], close: [], resize: [] };
    submit();
  });
  $("planner-query").addEventListener("submit", () => {
    const empty = isEmpty();
    $("scenario-field").value = empty ? "" : JSON.stringify(scenario);
    $("scenario-field").disabled = empty;
  });
  drawEdits();
}
