// Site suggestion on the page: service, time of day, number of sites and radius; the sites
// come back at once (a small greedy run) or as a job that is polled (202 + Location) with its
// progress shown; each site is drawn on the map with its 시군/읍면동 and the children it newly
// covers.
import { $, el, fetchJson, pageConfig, t } from "../common.js";
import { busy } from "./progress.js";

const POLL_MS = 1000;
const whole = (v) => Math.round(v).toLocaleString("en-US");

export function setupSites(map) {
  const cfg = pageConfig();
  const form = $("sites-form");
  if (!form) return;
  const layer = L.layerGroup().addTo(map);
  const status = $("sites-status");
  let run = 0;

  function show(result) {
    layer.clearLayers();
    const list = $("sites-list");
    list.textContent = "";
    const bounds = [];
    result.sites.forEach((s) => {
      // Korean order in Korean; English smallest first, romanised ("Pajang-dong, Jangan-gu, Suwon-si")
      const where = (pageConfig().lang === "en"
        ? [s.emd_en || s.emd, s.sigungu_en || s.sigungu].filter(Boolean).join(", ")
        : [s.sigungu, s.emd].filter(Boolean).join(" ")) || t("sites_unnamed");
      const text = t("sites_line", { rank: s.rank, where, n: whole(s.newly_covered) });
      const li = el("li", null, text);
      li.dataset.lon = String(s.lon);
      li.dataset.lat = String(s.lat);
      list.appendChild(li);
      const mk = L.circleMarker([s.lat, s.lon], { radius: 11, color: "#54278f", weight: 3,
        fillColor: "#9e9ac8", fillOpacity: 0.9, className: "suggested-site", pane: "plannerMarkers" });
      mk.bindTooltip(el("span", null, text));
      mk.addTo(layer);
      bounds.push([s.lat, s.lon]);
    });
    const share = (x) => (x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%");
    $("sites-summary").textContent = t("sites_summary", { before: share(result.share_before),
      after: share(result.share_after), n: whole(result.covered_after - result.covered_before) });
    if (bounds.length) map.fitBounds(bounds, { maxZoom: 13, padding: [30, 30] });
  }

  function poll(url, call, done) {
    fetchJson(url).then((res) => {
      if (call !== run) return;
      if (res.status !== 200) { done(errorText(res)); return; }
      const job = res.body;
      if (job.status === "done") { show(job.result); done(t("sites_done", { n: job.result.sites.length })); return; }
      if (job.status === "failed") { done(job.error && job.error.message ? job.error.message : t("error")); return; }
      const share = typeof job.progress === "number" ? Math.round(job.progress * 100) + "%" : "";
      status.hidden = false;
      status.textContent = t("sites_running", { progress: share });
      setTimeout(() => poll(url, call, done), POLL_MS);
    });
  }

  function errorText(res) {
    const err = (res.body && res.body.error) || {};
    return err.message || t("error");
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const call = ++run;
    const body = { service: $("sites-service").value, period: $("sites-period").value,
      p: parseInt($("sites-p").value, 10), radius_m: parseFloat($("sites-radius").value),
      method: $("sites-method").value };
    const area = new URLSearchParams(location.search).get("area");
    if (area) body.area = area;
    if (cfg.scenario && (cfg.scenario.add.length || cfg.scenario.close.length || cfg.scenario.resize.length)) {
      body.scenario = cfg.scenario;
    }
    const done = busy($("sites"), status, t("sites_working"));
    fetchJson("/planner/sites", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) }).then((res) => {
      if (call !== run) return;
      if (res.status === 200) { show(res.body); done(t("sites_done", { n: res.body.sites.length })); return; }
      if (res.status === 202) { poll(res.body.status_url, call, done); return; }
      done(errorText(res));
    });
  });
}
