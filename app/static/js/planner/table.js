import { $, t } from "../common.js";

// The measures table: click a header to sort by its column (again to reverse).
export function makeSortable(table) {
  const headers = table.querySelectorAll("thead th");
  headers.forEach((th, col) => {
    th.querySelector("button").addEventListener("click", () => {
      const numeric = th.getAttribute("data-type") === "num";
      const dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        let x = a.cells[col].getAttribute("data-v");
        let y = b.cells[col].getAttribute("data-v");
        if (numeric) {
          x = x === "" ? -Infinity : parseFloat(x);
          y = y === "" ? -Infinity : parseFloat(y);
          return (x - y) * dir;
        }
        return x.localeCompare(y) * dir;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
}

const whole = (v) => v.toLocaleString("en-US", { maximumFractionDigits: 0 });

function cell(tag, value, text) {
  const c = document.createElement(tag);
  c.setAttribute("data-v", value === null || value === undefined ? "" : String(value));
  c.textContent = text;
  return c;
}

function num(v, format) {
  return v === null || v === undefined ? "–" : format(v);
}

// The rows of the measures table, from the data request (text only, never HTML).
export function fillTable(table, rows, thresholds) {
  const body = table.tBodies[0];
  const out = document.createDocumentFragment();
  rows.forEach((r) => {
    const tr = document.createElement("tr");
    const th = cell("th", r.name, r.name + " ");
    th.setAttribute("scope", "row");
    const small = document.createElement("small");
    small.textContent = r.key;
    th.appendChild(small);
    tr.appendChild(th);
    tr.appendChild(cell("td", r.children, num(r.children, whole)));
    tr.appendChild(cell("td", r.places, num(r.places, whole)));
    tr.appendChild(cell("td", r.nearest_m, num(r.nearest_m, whole)));
    thresholds.forEach((m) => {
      const v = r["share_" + m];
      tr.appendChild(cell("td", v, num(v, (x) => (x * 100).toFixed(1) + "%")));
    });
    tr.appendChild(cell("td", r.sfca, num(r.sfca, (x) => x.toFixed(3))));
    tr.appendChild(cell("td", r.e2sfca, num(r.e2sfca, (x) => x.toFixed(3))));
    tr.appendChild(cell("td", r.children_per_place, num(r.children_per_place, (x) => x.toFixed(1))));
    const d = cell("td", r.desert ? "y" : "n",
      r.desert ? t("yes") : (r.desert === null || r.desert === undefined ? "–" : t("no")));
    if (r.desert) d.className = "desert";
    tr.appendChild(d);
    out.appendChild(tr);
  });
  body.textContent = "";
  body.appendChild(out);
}

// Baseline and scenario side by side: the counts in a small table, and a layer of the areas
// whose places or measure changed (green: better, red: worse).
export function showComparison(map, data, shapes) {
  const s = data.baseline.summary;
  const rows = $("compare-rows");
  rows.textContent = "";
  const line = (label, before, after, format) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.setAttribute("scope", "row");
    th.textContent = label;
    tr.appendChild(th);
    const change = before === null || after === null ? null : after - before;
    [before, after].forEach((v) => tr.appendChild(cell("td", v, num(v, format))));
    tr.appendChild(cell("td", change, num(change, (x) => (x > 0 ? "+" : "") + format(x))));
    rows.appendChild(tr);
  };
  line(t("compare_deserts"), s.deserts_baseline, s.deserts_scenario, whole);
  line(t("compare_areas_changed"), 0, s.areas_changed, whole);
  (data.rows.length ? Object.keys(s) : []).filter((k) => k.endsWith("_baseline") && k.startsWith("share_"))
    .forEach((k) => {
      const m = k.slice(0, -"_baseline".length);
      line(t("measure_" + m), s[k], s[m + "_scenario"], (x) => (x * 100).toFixed(2) + "%");
    });
  const changed = [];
  data.rows.forEach((r) => {
    const b = data.baseline.rows[r.key];
    if (!b || !shapes[r.key]) return;
    const before = b.places || 0;
    const after = r.places || 0;
    if (Math.abs(after - before) > 1e-9) {
      const f = shapes[r.key];
      changed.push({ type: "Feature", geometry: f.geometry,
        properties: { key: r.key, name: r.name, change: after - before } });
    }
  });
  const layer = L.geoJSON({ type: "FeatureCollection", features: changed }, {
    style: (f) => ({ color: f.properties.change > 0 ? "#1b7837" : "#762a83", weight: 3,
      fillOpacity: 0.15, className: "scenario-changed" }),
    pane: "plannerChanges",
    onEachFeature: (f, l) => {
      const box = document.createElement("div");
      box.textContent = f.properties.name + ": " + t("measure_places") + " " +
        (f.properties.change > 0 ? "+" : "") + whole(f.properties.change);
      l.bindTooltip(box);
    },
  }).addTo(map);
  layer.bringToFront();
  document.body.dataset.changedAreas = String(changed.length);
  $("scenario-compare").hidden = false;
}
