// The planners' page: a sortable table, and scenario editing on the folium map
// (add a centre where you click, close a provider by clicking it), applied through the URL.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var M = cfg.messages;
  function $(id) { return document.getElementById(id); }
  var scenario = cfg.scenario || { add: [], close: [], resize: [] };

  // --- the table: click a header to sort by it (again to reverse) ---------------------------
  var table = $("measures-table");
  if (table) {
    var headers = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(headers, function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
          if (numeric) {
            x = x === "" ? -Infinity : parseFloat(x); y = y === "" ? -Infinity : parseFloat(y);
            return (x - y) * dir;
          }
          return x.localeCompare(y) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  // --- the scenario ---------------------------------------------------------------------------
  var tools = $("scenario-tools");
  var map = window[cfg.map];
  if (!tools || !map) { return; }
  var presets = $("new-hours");
  Object.keys(cfg.hours_presets).forEach(function (k) {
    var o = document.createElement("option"); o.value = k; o.textContent = cfg.hours_presets[k];
    presets.appendChild(o);
  });
  var editLayer = L.layerGroup().addTo(map);
  var providerLayer = L.layerGroup().addTo(map);
  var mode = null;

  function summary() {
    $("scenario-summary").textContent =
      M.scenario_added.split("{n}").join(String(scenario.add.length)) + ", " +
      M.scenario_closed.split("{n}").join(String(scenario.close.length)) + ", " +
      M.scenario_resized.split("{n}").join(String(scenario.resize.length));
  }
  function drawEdits() {
    editLayer.clearLayers();
    scenario.add.forEach(function (a) {
      L.circleMarker([a.lat, a.lon], { radius: 9, color: "#08519c", weight: 3, fillColor: "#6baed6",
        fillOpacity: 0.9, className: "scenario-added" }).addTo(editLayer);
    });
    summary();
  }
  function setMode(m) {
    mode = mode === m ? null : m;
    $("add-mode").setAttribute("aria-pressed", String(mode === "add"));
    $("close-mode").setAttribute("aria-pressed", String(mode === "close"));
    $("resize-mode").setAttribute("aria-pressed", String(mode === "resize"));
    map.getContainer().style.cursor = mode === "add" ? "crosshair" : "";
    if (mode === "close" || mode === "resize") { loadProviders(); }
  }
  $("add-mode").addEventListener("click", function () { setMode("add"); });
  $("close-mode").addEventListener("click", function () { setMode("close"); });
  $("resize-mode").addEventListener("click", function () { setMode("resize"); });
  map.on("click", function (ev) {
    if (mode !== "add") { return; }
    var service = cfg.services[cfg.service] ? cfg.service : "daycare";
    scenario.add.push({ lon: Math.round(ev.latlng.lng * 1e6) / 1e6, lat: Math.round(ev.latlng.lat * 1e6) / 1e6,
      service: service, capacity: parseInt($("new-capacity").value, 10) || 30, hours_preset: presets.value });
    drawEdits();
  });

  // Providers of the chosen service in view, from the public bbox API; click one to close it.
  function loadProviders() {
    var b = map.getBounds();
    var q = "bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(5); }).join(",") + "&fields=compact&limit=5000";
    var kinds = cfg.kinds[cfg.service] || [];
    if (kinds.length) { q += "&kind=" + kinds.join(","); }
    fetch("/api/v1/facilities?" + q).then(function (r) { return r.json(); }).then(function (body) {
      providerLayer.clearLayers();
      (body.results || []).forEach(function (f) {
        var closed = scenario.close.indexOf(f.id) >= 0;
        var mk = L.circleMarker([f.lat, f.lon], { radius: 5, weight: 1, color: "#333",
          fillColor: closed ? "#000" : "#fff", fillOpacity: 1, className: "planner-provider" });
        mk.bindTooltip(document.createTextNode(f.name));  // text, never HTML
        mk.on("click", function () {
          if (mode === "resize") {
            var places = parseInt($("new-capacity").value, 10);
            if (!(places >= 0)) { return; }
            scenario.resize = scenario.resize.filter(function (r) { return r.id !== f.id; });
            scenario.resize.push({ id: f.id, capacity: places });
            mk.setStyle({ fillColor: "#fdae61" });
            summary();
            return;
          }
          if (mode !== "close") { return; }
          var i = scenario.close.indexOf(f.id);
          if (i >= 0) { scenario.close.splice(i, 1); } else { scenario.close.push(f.id); }
          mk.setStyle({ fillColor: i >= 0 ? "#fff" : "#000" });
          summary();
        });
        mk.addTo(providerLayer);
      });
    });
  }
  map.on("moveend", function () { if (mode === "close" || mode === "resize") { loadProviders(); } });

  function submit() {
    var empty = !scenario.add.length && !scenario.close.length && !scenario.resize.length;
    $("scenario-field").value = empty ? "" : JSON.stringify(scenario);
    if (empty) { $("scenario-field").disabled = true; }
    $("planner-query").submit();
  }
  $("apply-scenario").addEventListener("click", submit);
  $("clear-scenario").addEventListener("click", function () {
    scenario = { add: [], close: [], resize: [] }; submit();
  });
  $("planner-query").addEventListener("submit", function () {
    var empty = !scenario.add.length && !scenario.close.length && !scenario.resize.length;
    $("scenario-field").value = empty ? "" : JSON.stringify(scenario);
    $("scenario-field").disabled = empty;
  });
  drawEdits();
}());
