// /admin/care-requests: the unmatched emergency requests, the queue for people who call the
// families back: programme, window, 시군 and how long each has waited (oldest first, as the
// API lists them); nothing about the child or the place. Read again every poll_ms.
import { $, el, pageConfig, t } from "../common.js";
import { errorText, getJson, poll, programmeName, wallIso, windowText } from "./api.js";

const cfg = pageConfig();

function sigunName(code) {
  return (code && (cfg.siguns || {})[code]) || t("queue_no_sigun");
}

function waitedText(iso) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
  const h = Math.floor(minutes / 60);
  return h ? t("queue_waited_hours", { h, m: minutes % 60 }) : t("queue_waited_minutes", { m: minutes });
}

function item(r) {
  const li = el("li", "card request");
  li.dataset.id = r.id;
  li.appendChild(el("h4", null, programmeName(r.programme) + " · " + sigunName(r.sigun_code)));
  li.appendChild(el("p", "window", windowText(r.start, r.end)));
  const since = r.unmatched_at || r.updated_at;
  li.appendChild(el("p", "hint", t("queue_waiting_since", { time: wallIso(since).replace("T", " "),
    waited: waitedText(since) })));
  return li;
}

function load() {
  return getJson("/api/v1/care-requests?status=unmatched").then((res) => {
    if (!res.ok) { $("queue-status").textContent = errorText(res); return; }
    const rows = res.body.care_requests;
    const list = $("queue");
    list.textContent = "";
    rows.forEach((r) => list.appendChild(item(r)));
    $("queue-empty").hidden = rows.length > 0;
    $("queue-status").textContent = t("queue_count", { n: rows.length });
  });
}

load().then(() => {
  document.body.dataset.ready = "1";
  poll(load, cfg.poll_ms || 10000);
});
