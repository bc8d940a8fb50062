// The admin monitoring report: providers not reporting, by 시군구, and over capacity.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var M = cfg.messages;
  function $(id) { return document.getElementById(id); }
  function cell(tag, text) { var e = document.createElement(tag); e.textContent = text; return e; }
  $("report-query").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var hours = $("hours").value || "24";
    fetch("/api/v1/admin/report?hours=" + encodeURIComponent(hours),
      { headers: { Authorization: "Bearer " + $("admin-token").value.trim() } })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (res.status !== 200) { $("report-status").textContent = res.body.error.message; return; }
        $("report-status").textContent = "";
        $("silent-title").textContent = M.not_reported_within.split("{h}").join(hours);
        var rows = $("silent-rows"); rows.textContent = "";
        Object.keys(res.body.not_reported_by_sigungu).forEach(function (area) {
          var tr = document.createElement("tr");
          tr.appendChild(cell("th", area));
          tr.appendChild(cell("td", String(res.body.not_reported_by_sigungu[area].count)));
          rows.appendChild(tr);
        });
        var over = $("over-rows"); over.textContent = "";
        res.body.over_capacity.forEach(function (f) {
          over.appendChild(cell("li", f.name + " (" + (f.sigungu || "") + "): " +
            JSON.stringify(f.vacancies) + " > " + f.capacity));
        });
        $("silent").hidden = false; $("over").hidden = false;
      });
  });
})();
