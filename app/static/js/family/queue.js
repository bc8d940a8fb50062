// /admin/care-requests: the unmatched emergency requests, the queue for people who call the
// families back: programme, window, 시군 and how long each has waited (oldest first, as the
// API lists them); nothing about the child or the place. Read again every poll_ms. The family's
// emergency contact is read per request, only when the admin asks (the API logs each read and
// answers only while the request is unmatched); a contact shown stays shown across polls
// without a new read, and goes with its request when that leaves the queue.
import { $, el, pageConfig, t } from "../common.js";
import { errorText, getJson, poll, programmeName, wallIso, windowText } from "./api.js";
import { reachKm } from "./requests.js";

const cfg = pageConfig();

function sigunName(code) {
  return (code && (cfg.siguns || {})[code]) || t("queue_no_sigun");
}

// Why matching gave up (the API's unmatched_reason): what the caller needs to know first.
const REASONS = { no_provider: "queue_reason_no_provider", no_provider_within_reach: "queue_reason_no_provider_within_reach",
  everyone_asked: "queue_reason_everyone_asked", deadline: "queue_reason_deadline",
  booked_elsewhere: "queue_reason_booked_elsewhere" };

function reasonText(r) {
  const key = REASONS[r.unmatched_reason];
  return key ? t(key, { km: r.max_distance_m ? reachKm(r.max_distance_m) : "" }) : "";
}

function waitedText(iso) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
  const h = Math.floor(minutes / 60);
  return h ? t("queue_waited_hours", { h, m: minutes % 60 }) : t("queue_waited_minutes", { m: minutes });
}

const contacts = {};  // request id -> the contact the API gave, while the request is listed

function contactDetail(c) {
  const detail = el("dl", "contact-detail");
  const phone = el("a", null, c.emergency_contact.phone);
  phone.href = "tel:" + c.emergency_contact.phone.replace(/-/g, "");
  [["queue_contact_name", c.emergency_contact.name], ["queue_contact_phone", phone],
    ["queue_contact_relation", (cfg.relations || {})[c.relation] || c.relation]].forEach(([k, v]) => {
    detail.appendChild(el("dt", null, t(k)));
    const dd = el("dd");
    if (typeof v === "string") dd.textContent = v; else dd.appendChild(v);
    detail.appendChild(dd);
  });
  return detail;
}

function contactBlock(r) {
  const box = el("div", "contact");
  if (contacts[r.id]) { box.appendChild(contactDetail(contacts[r.id])); return box; }
  const show = el("button", null, t("queue_show_contact"));
  show.type = "button";
  show.dataset.action = "contact";
  const problem = el("p", "error");
  problem.setAttribute("role", "alert");
  show.addEventListener("click", () => {
    show.disabled = true;
    getJson("/api/v1/care-requests/" + encodeURIComponent(r.id) + "/contact").then((res) => {
      show.disabled = false;
      if (!res.ok) { problem.textContent = errorText(res); return; }
      contacts[r.id] = res.body;
      box.replaceWith(contactBlock(r));
    });
  });
  box.appendChild(show);
  box.appendChild(problem);
  return box;
}

function item(r) {
  const li = el("li", "card request");
  li.dataset.id = r.id;
  li.appendChild(el("h4", null, programmeName(r.programme) + " · " + sigunName(r.sigun_code)));
  li.appendChild(el("p", "window", windowText(r.start, r.end)));
  const since = r.unmatched_at || r.updated_at;
  li.appendChild(el("p", "hint", t("queue_waiting_since", { time: wallIso(since).replace("T", " "),
    waited: waitedText(since) })));
  const why = reasonText(r);
  if (why) li.appendChild(el("p", "reason", why));
  li.appendChild(contactBlock(r));
  return li;
}

function load() {
  return getJson("/api/v1/care-requests?status=unmatched").then((res) => {
    if (!res.ok) { $("queue-status").textContent = errorText(res); return; }
    const rows = res.body.care_requests;
    const list = $("queue");
    list.textContent = "";
    rows.forEach((r) => list.appendChild(item(r)));
    Object.keys(contacts).forEach((id) => { if (!rows.some((r) => r.id === id)) delete contacts[id]; });
    $("queue-empty").hidden = rows.length > 0;
    $("queue-status").textContent = t(rows.length === 1 ? "queue_count_one" : "queue_count", { n: rows.length });
  });
}

load().then(() => {
  document.body.dataset.ready = "1";
  poll(load, cfg.poll_ms || 10000);
});
