// Dolbom Map page script: place search, filters, results list and markers kept in step.
// Every text that comes from data is put in the page with textContent, never as HTML.
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var M = cfg.messages;
  var embed = cfg.embed;
  var KIND_LETTER = { daycare: "어", community_child_center: "지", together_care_center: "다",
    home_visit_provider: "방" };
  var DAY_KEYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

  function t(key, values) {
    var s = M[key] || key;
    if (values) {
      Object.keys(values).forEach(function (k) { s = s.split("{" + k + "}").join(String(values[k])); });
    }
    return s;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localIso(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // The wall clock of the registry's zone (cfg.timezone, e.g. Asia/Seoul), as a Date whose
  // fields read that wall-clock time: the times the page sends carry no offset, and the server
  // reads them in the registry's zone, whatever zone this browser is in.
  function registryNow() {
    var now = new Date();
    if (!cfg.timezone || !window.Intl) return now;
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: cfg.timezone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit" }).formatToParts(now).forEach(function (x) { parts[x.type] = x.value; });
    return new Date(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute,
      +parts.second);
  }

  var state = { home: null, work: null, hits: [], markers: {}, items: {} };

  // ---- map ---------------------------------------------------------------------------------
  var mapEl = $("map");
  var map = L.map(mapEl, { scrollWheelZoom: !embed, preferCanvas: false })
    .setView(cfg.center, cfg.zoom);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" target="_blank" rel="noopener">Leaflet</a>');
  var tiles = L.tileLayer(cfg.tiles.url, { maxZoom: cfg.tiles.maxZoom,
    attribution: cfg.tiles.attribution });
  var tileLoaded = false;
  var tileErrors = 0;
  tiles.on("tileload", function () { tileLoaded = true; $("tile-status").hidden = true; });
  tiles.on("tileerror", function () {
    tileErrors += 1;
    if (!tileLoaded && tileErrors >= 2) $("tile-status").hidden = false;
  });
  tiles.addTo(map);

  var outlines = L.geoJSON(null, { interactive: false,
    style: { color: "#5b6b7a", weight: 1, fill: true, fillColor: "#eef2f5", fillOpacity: 0.35 } });
  outlines.addTo(map);
  var outlinesReady = fetch("/geo/gyeonggi-sigungu.geojson").then(function (r) { return r.json(); })
    .then(function (gj) {
      outlines.addData(gj);
      if (embed && embed.region) {
        var layers = [];
        outlines.eachLayer(function (layer) {
          var p = layer.feature.properties;
          if (p.code === embed.region || p.sigun_code === embed.region) layers.push(layer);
        });
        if (layers.length) {
          var bounds = L.featureGroup(layers).getBounds();
          map.fitBounds(bounds);
          if (embed.limitToRegion) {
            map.setMaxBounds(bounds.pad(0.2));
            map.setMinZoom(Math.max(map.getZoom() - 1, 7));
          }
        }
      }
    });

  // Embedded in another page: scrolling over the map scrolls the page; Ctrl/⌘ + wheel zooms,
  // and on touch screens one finger scrolls the page while two move the map.
  if (embed) {
    var hint = $("gesture-hint");
    var hintTimer = null;
    mapEl.addEventListener("wheel", function (ev) {
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        map.setZoom(map.getZoom() + (ev.deltaY < 0 ? 1 : -1));
      } else if (hint) {
        hint.hidden = false;
        clearTimeout(hintTimer);
        hintTimer = setTimeout(function () { hint.hidden = true; }, 1500);
      }
    }, { passive: false });
    if (L.Browser.touch) {
      map.dragging.disable();
      mapEl.addEventListener("touchstart", function (ev) {
        if (ev.touches.length >= 2) map.dragging.enable(); else map.dragging.disable();
      }, { passive: true });
    }
  }

  // Legend
  var legend = $("legend");
  if (legend) {
    legend.appendChild(el("strong", null, t("legend")));
    cfg.kinds.forEach(function (k) {
      var row = el("span", "legend-row");
      row.appendChild(el("span", "pin pin-" + k, KIND_LETTER[k]));
      row.appendChild(document.createTextNode(" " + t("kind_" + k)));
      legend.appendChild(row);
    });
  }

  var resultLayer = L.layerGroup().addTo(map);
  var anchorLayer = L.layerGroup().addTo(map);
  var allLayer = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false });
  var allLoaded = {};

  function anchorIcon(which) {
    return L.divIcon({ className: "anchor anchor-" + which, html: "", iconSize: [28, 28] });
  }

  function drawAnchors() {
    anchorLayer.clearLayers();
    ["home", "work"].forEach(function (which) {
      var a = state[which];
      if (!a) return;
      var m = L.marker([a.lat, a.lon], { icon: anchorIcon(which), keyboard: false,
        title: t(which), zIndexOffset: 1000 });
      m.bindTooltip(el("span", null, t(which) + ": " + a.label));
      anchorLayer.addLayer(m);
    });
    if (state.home && state.work) {
      anchorLayer.addLayer(L.polyline([[state.home.lat, state.home.lon],
        [state.work.lat, state.work.lon]], { color: "#444", dashArray: "6 6", weight: 2,
        interactive: false }));
    }
  }

  // ---- place search (combobox) -----------------------------------------------------------
  function setupPlaceInput(which) {
    var input = $(which + "-input");
    if (!input) return;
    var list = $(which + "-suggestions");
    var status = $(which + "-status");
    var options = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function choose(opt) {
      close();
      input.value = opt.name;
      status.textContent = "";
      setAnchor(which, { lat: opt.lat, lon: opt.lon, label: opt.name }, true);
    }
    function render(results) {
      list.textContent = "";
      options = results;
      results.forEach(function (r, i) {
        var li = el("li", "suggestion", r.name);
        li.id = which + "-opt-" + i;
        li.setAttribute("role", "option");
        if (r.detail) li.appendChild(el("span", "detail", " " + r.detail));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(r); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }
    function highlight(i) {
      var items = list.querySelectorAll("li");
      items.forEach(function (li) { li.classList.remove("active"); li.removeAttribute("aria-selected"); });
      if (i >= 0 && items[i]) {
        items[i].classList.add("active");
        items[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[i].id);
      }
      active = i;
    }
    function lookup(q) {
      var mine = ++seq;
      return fetch("/api/v1/places?" + new URLSearchParams({ q: q, limit: "8" }))
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== seq) return null;
          return body;
        });
    }
    function showUnknown(body) {
      status.textContent = "";
      status.appendChild(document.createTextNode(t("unknown_place") + " "));
      var sugg = (body && body.suggestions) || [];
      if (!sugg.length) { status.appendChild(document.createTextNode(t("no_suggestions"))); return; }
      status.appendChild(document.createTextNode(t("did_you_mean") + " "));
      sugg.forEach(function (name) {
        var b = el("button", "linkish", name);
        b.type = "button";
        b.addEventListener("click", function () {
          input.value = name;
          lookup(name).then(function (res) { if (res && res.results.length) choose(res.results[0]); });
        });
        status.appendChild(b);
      });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        lookup(q).then(function (body) { if (body) render(body.results); });
      }, 150);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && options.length) {
        ev.preventDefault(); list.hidden = false; highlight(Math.min(active + 1, options.length - 1));
      } else if (ev.key === "ArrowUp" && options.length) {
        ev.preventDefault(); highlight(Math.max(active - 1, 0));
      } else if (ev.key === "Escape") {
        close();
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        var q = input.value.trim();
        if (!q) return;
        if (active >= 0 && options[active]) { choose(options[active]); return; }
        clearTimeout(timer);
        lookup(q).then(function (body) {
          if (!body) return;
          if (body.results.length) choose(body.results[0]); else { close(); showUnknown(body); }
        });
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function setAnchor(which, point, search) {
    state[which] = point;
    var input = $(which + "-input");
    if (input && input.value !== point.label) input.value = point.label;
    drawAnchors();
    if (which === "home" || !state.home) map.setView([point.lat, point.lon], Math.max(map.getZoom(), 14));
    if (search) runSearch();
  }

  // Map click sets home or work (the choice next to "click the map sets").
  map.on("click", function (ev) {
    var choice = document.querySelector("input[name=click-target]:checked");
    var which = choice ? choice.value : "home";
    var label = ev.latlng.lat.toFixed(5) + ", " + ev.latlng.lng.toFixed(5);
    setAnchor(which, { lat: ev.latlng.lat, lon: ev.latlng.lng, label: label }, true);
  });

  var locateBtn = $("locate-btn");
  if (locateBtn) {
    locateBtn.addEventListener("click", function () {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (pos) {
        setAnchor("home", { lat: pos.coords.latitude, lon: pos.coords.longitude,
          label: t("use_my_location") }, true);
      }, function () { $("home-status").textContent = t("error"); });
    });
  }

  // ---- filters -----------------------------------------------------------------------------
  function windowParams() {
    var choice = document.querySelector("input[name=when]:checked");
    var when = choice ? choice.value : "anytime";
    var now = registryNow();
    if (when === "now") return { open_now: "true", day: now };
    if (when === "tonight") {
      var s = new Date(now); s.setHours(19, 0, 0, 0);
      var e = new Date(now); e.setHours(23, 0, 0, 0);
      if (now > e) { s.setDate(s.getDate() + 1); e.setDate(e.getDate() + 1); }
      return { start: localIso(s), end: localIso(e), day: s };
    }
    if (when === "weekend") {
      var d = new Date(now);
      var add = d.getDay() === 0 ? 0 : (6 - d.getDay());
      d.setDate(d.getDate() + add);
      var ws = new Date(d); ws.setHours(9, 0, 0, 0);
      var we = new Date(d); we.setHours(18, 0, 0, 0);
      return { start: localIso(ws), end: localIso(we), day: ws };
    }
    if (when === "custom" && $("start").value && $("end").value) {
      return { start: $("start").value, end: $("end").value, day: new Date($("start").value) };
    }
    return { day: now };
  }

  document.querySelectorAll("input[name=when]").forEach(function (r) {
    r.addEventListener("change", function () {
      var custom = document.querySelector("input[name=when]:checked").value === "custom";
      if ($("custom-window")) $("custom-window").hidden = !custom;
      if (state.home) runSearch();
    });
  });
  ["what", "available", "mode", "age-years", "age-months", "birth-date", "start", "end"]
    .forEach(function (id) {
      var e = $(id);
      if (e) e.addEventListener("change", function () { if (state.home) runSearch(); });
    });

  function searchParams() {
    var p = { lat: state.home.lat.toFixed(6), lon: state.home.lon.toFixed(6), limit: "20" };
    if (state.work) {
      p.work_lat = state.work.lat.toFixed(6);
      p.work_lon = state.work.lon.toFixed(6);
      p.mode = $("mode") ? $("mode").value : "either";
    }
    var what = $("what") ? $("what").value : "";
    if (embed && !what) what = embed.programme ? "programme:" + embed.programme
      : (embed.kind ? "kind:" + embed.kind : "");
    if (what) { var parts = what.split(":"); p[parts[0]] = parts[1]; }
    // A widget kept to its region asks the search for that region's providers (the API's
    // region filter), so it always shows the nearest ones of the region, never fewer.
    if (embed && embed.region && embed.limitToRegion) p.region = embed.region;
    var birth = $("birth-date") ? $("birth-date").value : "";
    var years = $("age-years") ? $("age-years").value : "";
    var months = $("age-months") ? $("age-months").value : "";
    if (birth) p.birth_date = birth;
    else if (years || months) p.age_months = String((parseInt(years || "0", 10) * 12) + parseInt(months || "0", 10));
    if ($("available") && $("available").checked) p.available = "true";
    var w = windowParams();
    ["start", "end", "open_now"].forEach(function (k) { if (w[k]) p[k] = w[k]; });
    return { params: p, day: w.day };
  }

  // ---- results -------------------------------------------------------------------------------
  function ageText(minutes) {
    if (minutes === null || minutes === undefined) return "";
    if (minutes < 60) return t("minutes", { n: minutes });
    if (minutes < 48 * 60) return t("hours", { n: Math.round(minutes / 60) });
    return t("days", { n: Math.round(minutes / 1440) });
  }
  function availabilityText(a) {
    if (a.status === "available") return t("available", { n: a.places });
    if (a.status === "full") return t("full");
    if (a.status === "closed") return t("closed_status");
    return t("unknown_availability");
  }
  function nearText(hit) {
    if (hit.comes_to_you) return t("comes_to_you");
    var dist = hit.distance_m >= 1000 ? (hit.distance_m / 1000).toFixed(1) + " km"
      : Math.round(hit.distance_m) + " m";
    var s = dist + " · " + t("walk_min", { n: hit.walking_minutes });
    if (hit.near === "work") s += " · " + t("near_work");
    if (hit.near === "route") s += " · " + t("on_the_way");
    return s;
  }
  function hoursText(f, dayType) {
    if (!f.hours) return t("hours_unknown");
    var ivs = f.hours[dayType] || [];
    if (!ivs.length) return t("closed_that_day");
    return t("hours_on_day") + ": " + ivs.join(", ");
  }
  function directionsUrl(f) {
    return "https://map.kakao.com/link/to/" + encodeURIComponent(f.name) + "," + f.lat + "," + f.lon;
  }

  function detailBlock(hit, dayType) {
    var f = hit.facility;
    var box = el("div", "detail-block");
    box.appendChild(el("p", "hours", hoursText(f, dayType)));
    if (f.address) box.appendChild(el("p", "address", f.address));
    var links = el("p", "links");
    if (f.phone) {
      var tel = el("a", null, t("call") + " " + f.phone);
      tel.href = "tel:" + f.phone.replace(/[^0-9+]/g, "");
      links.appendChild(tel);
    }
    var dir = el("a", null, t("directions"));
    dir.href = directionsUrl(f);
    dir.target = "_blank";
    dir.rel = "noopener";
    links.appendChild(dir);
    box.appendChild(links);
    return box;
  }

  function popupContent(hit, dayType) {
    var f = hit.facility;
    var box = el("div", "popup");
    box.appendChild(el("strong", null, f.name));
    box.appendChild(el("div", "kind", t("kind_" + f.kind)));
    box.appendChild(el("div", null, nearText(hit)));
    var a = hit.availability;
    box.appendChild(el("div", "avail avail-" + a.status, availabilityText(a) +
      (a.age_minutes !== null ? " · " + t("reported_ago", { t: ageText(a.age_minutes) }) : "")));
    box.appendChild(detailBlock(hit, dayType));
    return box;
  }

  function highlight(id, on, scroll) {
    var item = state.items[id];
    var marker = state.markers[id];
    if (item) item.classList.toggle("highlight", on);
    if (marker && marker._icon) marker._icon.classList.toggle("highlight", on);
    if (on && marker) marker.openTooltip();
    if (!on && marker) marker.closeTooltip();
    if (on && scroll && item) item.scrollIntoView({ block: "nearest" });
  }

  function render(body, dayType) {
    var list = $("result-list");
    list.textContent = "";
    resultLayer.clearLayers();
    state.markers = {};
    state.items = {};
    var hits = body.results;
    state.hits = hits;
    if ($("results-count")) $("results-count").textContent = t("results_count", { n: hits.length });
    $("results-status").textContent = hits.length ? "" : t("no_results");
    var bounds = [];
    hits.forEach(function (hit, i) {
      var f = hit.facility;
      var li = el("li", "result kind-" + f.kind);
      li.dataset.id = f.id;
      var head = el("button", "result-head");
      head.type = "button";
      head.setAttribute("aria-expanded", "false");
      head.appendChild(el("span", "pin pin-" + f.kind, KIND_LETTER[f.kind]));
      head.appendChild(el("span", "name", f.name));
      li.appendChild(head);
      li.appendChild(el("span", "kind", t("kind_" + f.kind)));
      li.appendChild(el("span", "near", nearText(hit)));
      var a = hit.availability;
      li.appendChild(el("span", "avail avail-" + a.status, availabilityText(a) +
        (a.age_minutes !== null ? " · " + t("reported_ago", { t: ageText(a.age_minutes) }) : "")));
      var detail = detailBlock(hit, dayType);
      detail.hidden = true;
      li.appendChild(detail);
      head.addEventListener("click", function () {
        var open = detail.hidden;
        detail.hidden = !open;
        head.setAttribute("aria-expanded", open ? "true" : "false");
        if (open && state.markers[f.id] && !hit.comes_to_you) {
          map.panTo(state.markers[f.id].getLatLng());
        }
      });
      li.addEventListener("mouseenter", function () { highlight(f.id, true); });
      li.addEventListener("mouseleave", function () { highlight(f.id, false); });
      head.addEventListener("focus", function () { highlight(f.id, true); });
      head.addEventListener("blur", function () { highlight(f.id, false); });
      list.appendChild(li);
      state.items[f.id] = li;
      if (hit.comes_to_you) return;
      var marker = L.marker([f.lat, f.lon], {
        icon: L.divIcon({ className: "pin pin-" + f.kind + " result-pin", html: "",
          iconSize: [24, 24] }),
        title: f.name, alt: f.name, riseOnHover: true });
      marker.bindTooltip(el("span", null, (i + 1) + ". " + f.name));
      marker.bindPopup(popupContent(hit, dayType));
      marker.on("mouseover", function () { highlight(f.id, true); });
      marker.on("mouseout", function () { highlight(f.id, false); });
      marker.on("click", function () { highlight(f.id, true, true); });
      marker.on("add", function () {
        var icon = marker.getElement();
        if (icon) { icon.dataset.id = f.id; icon.textContent = KIND_LETTER[f.kind]; }
      });
      resultLayer.addLayer(marker);
      state.markers[f.id] = marker;
      bounds.push([f.lat, f.lon]);
    });
    if (state.home && bounds.length && !state.work) {
      var far = hits.reduce(function (m, h) { return Math.max(m, h.distance_m || 0); }, 0);
      resultLayer.addLayer(L.circle([state.home.lat, state.home.lon], { radius: far,
        color: "#2a6f97", weight: 1, fill: false, interactive: false }));
    }
    if (state.home) bounds.push([state.home.lat, state.home.lon]);
    if (state.work) bounds.push([state.work.lat, state.work.lon]);
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    document.body.dataset.results = String(hits.length);
  }

  var searchSeq = 0;
  function runSearch() {
    if (!state.home) { $("results-status").textContent = t("set_home_first"); return; }
    var q = searchParams();
    var mine = ++searchSeq;
    $("results-status").textContent = t("loading");
    saveState();
    fetch("/api/v1/facilities/nearest?" + new URLSearchParams(q.params))
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (mine !== searchSeq) return;
        if (!res.ok) {
          $("results-status").textContent = t("error") + " " + res.body.error.message;
          return;
        }
        var day = q.day || registryNow();
        var dayType = res.body.day_type || DAY_KEYS[day.getDay()];
        render(res.body, dayType);
      })
      .catch(function () { if (mine === searchSeq) $("results-status").textContent = t("error"); });
  }

  $("search-form").addEventListener("submit", function (ev) { ev.preventDefault(); runSearch(); });

  // ---- every provider, clustered, loaded for the viewport ------------------------------------
  var showAll = $("show-all");
  var allTimer = null;
  function loadAll() {
    var b = map.getBounds();
    var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(4); }).join(",");
    fetch("/api/v1/facilities?" + new URLSearchParams({ bbox: box, fields: "compact", limit: "20000" }))
      .then(function (r) { return r.json(); })
      .then(function (body) {
        var add = [];
        body.results.forEach(function (f) {
          if (allLoaded[f.id]) return;
          allLoaded[f.id] = true;
          var m = L.circleMarker([f.lat, f.lon], { radius: 5, weight: 1,
            className: "dot dot-" + f.kind });
          m.bindTooltip(el("span", null, f.name));
          add.push(m);
        });
        allLayer.addLayers(add);
        document.body.dataset.allLoaded = String(Object.keys(allLoaded).length);
      });
  }
  if (showAll) {
    showAll.addEventListener("change", function () {
      if (showAll.checked) { map.addLayer(allLayer); loadAll(); } else { map.removeLayer(allLayer); }
    });
    map.on("moveend", function () {
      if (!showAll.checked) return;
      clearTimeout(allTimer);
      allTimer = setTimeout(loadAll, 200);
    });
  }

  var listOnly = $("list-only");
  if (listOnly) {
    listOnly.addEventListener("click", function () {
      var on = !document.body.classList.contains("list-only");
      document.body.classList.toggle("list-only", on);
      listOnly.setAttribute("aria-pressed", on ? "true" : "false");
      listOnly.textContent = on ? t("show_map") : t("list_only");
      if (!on) setTimeout(function () { map.invalidateSize(); }, 50);
    });
  }

  // ---- state in the URL (kept across the language switch) ------------------------------------
  function saveState() {
    var s = {};
    ["home", "work"].forEach(function (w) {
      if (state[w]) s[w] = [state[w].lat.toFixed(6), state[w].lon.toFixed(6), state[w].label].join("|");
    });
    var hash = new URLSearchParams(s).toString();
    history.replaceState(null, "", "#" + hash);
    var sw = $("lang-switch");
    if (sw) sw.href = sw.href.split("#")[0] + "#" + hash;
  }
  function restoreState() {
    var s = new URLSearchParams(location.hash.slice(1));
    var any = false;
    ["home", "work"].forEach(function (w) {
      var v = s.get(w);
      if (!v) return;
      var p = v.split("|");
      var lat = parseFloat(p[0]);
      var lon = parseFloat(p[1]);
      if (!isFinite(lat) || !isFinite(lon)) return;
      state[w] = { lat: lat, lon: lon, label: p.slice(2).join("|") || (lat + ", " + lon) };
      var input = $(w + "-input");
      if (input) input.value = state[w].label;
      any = true;
    });
    if (any) { drawAnchors(); runSearch(); }
  }

  // On a phone the care criteria start folded, so the map and results come first.
  var criteria = $("criteria");
  if (criteria && window.matchMedia("(max-width: 899px)").matches) criteria.open = false;

  setupPlaceInput("home");
  setupPlaceInput("work");
  outlinesReady.then(restoreState, restoreState);
  window.dolbom = { map: map, state: state };
})();
