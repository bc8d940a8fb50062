// The "알림 / Notices" block of /family and /provider/inbox: the signed-in person's own in-page
// notices (GET /api/v1/notifications: the outbox's in_page channel), newest first, with an unread
// count badge and "mark all read" (POST /api/v1/notifications/read {"all": true}). The page's own
// poll (main.js, inbox.js) calls the returned load() at each tick: no timer of its own here.
import { $, el, t } from "../common.js";
import { getJson, send, wallIso } from "./api.js";

const URL = "/api/v1/notifications?limit=10";

// Sets up the block (when the page has one, #notices); returns load(): a Promise, drawing the
// list again only when it changed.
export function setupNotices() {
  const box = $("notices");
  if (!box) return () => Promise.resolve();
  const list = $("notices-list");
  const badge = $("notices-badge");
  const empty = $("notices-empty");
  const markAll = $("notices-mark-all");
  const status = $("notices-status");
  let drawn = "";

  function draw(body) {
    const key = JSON.stringify(body);
    if (key === drawn) return;
    drawn = key;
    const unread = body.unread || 0;
    badge.hidden = unread === 0;
    badge.textContent = t("notices_unread", { n: unread });
    box.dataset.unread = String(unread);
    markAll.hidden = unread === 0;
    empty.hidden = body.notices.length > 0;
    list.replaceChildren(...body.notices.map((n) => {
      const item = el("li", n.read_at ? "notice" : "notice unread");
      item.dataset.id = String(n.id);
      item.dataset.topic = n.topic;
      const head = el("p", "notice-head");
      if (!n.read_at) head.appendChild(el("span", "badge", t("notices_new")));
      head.appendChild(el("strong", "notice-title", n.title));
      const time = el("time", "notice-time", wallIso(n.created_at).replace("T", " "));
      time.dateTime = n.created_at;
      item.append(head, el("p", "notice-body", n.body), time);
      return item;
    }));
  }

  function load() {
    return getJson(URL).then((res) => { if (res.ok) draw(res.body); });
  }

  markAll.addEventListener("click", () => {
    markAll.disabled = true;
    status.textContent = "";
    send("POST", "/api/v1/notifications/read", { all: true }).then((res) => {
      if (!res.ok) status.textContent = t("notices_mark_failed");
      return load();
    }).finally(() => { markAll.disabled = false; });
  });
  load();
  return load;
}
