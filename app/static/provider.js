// The provider page: a centre's staff see and update their places with their token.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var M = cfg.messages;
  function t(k, v) {
    var s = M[k] || k;
    Object.keys(v || {}).forEach(function (n) { s = s.split("{" + n + "}").join(String(v[n])); });
    return s;
  }
  function $(id) { return document.getElementById(id); }
  var tokenInput = $("token");
  var form = $("report-form");
  var state = { token: sessionStorage.getItem("dolbom-token") || "", facility: null, record: null };

  function api(method, path, body) {
    var opts = { method: method, headers: { Authorization: "Bearer " + state.token } };
    if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; });
    });
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localIso(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // Today's date on the registry's wall clock (cfg.timezone): times typed without an offset
  // (the closed-until field) are read by the server in the registry's zone, whatever zone
  // this phone is set to.
  function registryToday() {
    var now = new Date();
    if (!cfg.timezone || !window.Intl) return new Date(now.getFullYear(), now.getMonth(), now.getDate());
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: cfg.timezone, year: "numeric", month: "2-digit",
      day: "2-digit" }).formatToParts(now).forEach(function (x) { parts[x.type] = x.value; });
    return new Date(+parts.year, +parts.month - 1, +parts.day);
  }

  function show(rec) {
    state.record = rec;
    var f = form.elements;
    f.regular.value = rec.vacancies.regular !== undefined ? rec.vacancies.regular : "";
    cfg.programmes.forEach(function (p) {
      f[p].value = rec.vacancies[p] !== undefined ? rec.vacancies[p] : "";
    });
    var closure = rec.closures.length ? rec.closures[0] : null;
    f.closed.checked = !!closure;
    f.closed_until.value = closure ? closure.end.slice(0, 16) : "";
    f.reason.value = closure ? closure.reason : "";
    $("last-report").textContent = rec.reported_at
      ? t("last_report", { t: new Date(rec.reported_at).toLocaleString(cfg.lang === "ko" ? "ko-KR" : "en-GB",
        cfg.timezone ? { timeZone: cfg.timezone } : undefined) })
      : t("never_reported");
  }

  function load() {
    api("GET", "/api/v1/providers/me").then(function (res) {
      if (res.status !== 200) {
        $("token-status").textContent = res.status === 401 ? t("invalid_token") : t("error");
        form.hidden = true;
        return null;
      }
      sessionStorage.setItem("dolbom-token", state.token);
      state.facility = res.body.facility_id;
      $("facility-name").textContent = res.body.facility_name || res.body.facility_id || "";
      $("token-status").textContent = "";
      return api("GET", "/api/v1/providers/" + encodeURIComponent(state.facility) + "/availability");
    }).then(function (res) {
      if (!res) return;
      form.hidden = false;
      show(res.body);
    });
  }

  $("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    state.token = tokenInput.value.trim();
    load();
  });
  $("forget").addEventListener("click", function () {
    sessionStorage.removeItem("dolbom-token");
    state.token = ""; tokenInput.value = ""; form.hidden = true;
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = form.elements;
    var vacancies = {};
    ["regular"].concat(cfg.programmes).forEach(function (k) {
      if (f[k].value !== "") vacancies[k] = parseInt(f[k].value, 10);
    });
    var closures = [];
    if (f.closed.checked) {
      var today = registryToday();
      var until = f.closed_until.value ||
        localIso(new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1));
      // The start is this instant, sent with its offset (UTC), so no zone is guessed.
      closures.push({ start: new Date().toISOString(), end: until, reason: f.reason.value });
    }
    var rec = state.record;
    var body = { version: rec.version, vacancies: vacancies, slots: rec.slots, hours: rec.hours,
      closures: closures };
    api("PUT", "/api/v1/providers/" + encodeURIComponent(state.facility) + "/availability", body)
      .then(function (res) {
        var status = $("save-status");
        if (res.status === 200) { show(res.body); status.textContent = t("saved", { v: res.body.version }); }
        else if (res.status === 409) { show(res.body.error.current); status.textContent = t("conflict"); }
        else if (res.status === 503) { status.textContent = t("db_unavailable"); }
        else { status.textContent = t("error") + " " + ((res.body.error || {}).message || ""); }
      });
  });

  if (state.token) { tokenInput.value = state.token; load(); }
})();
