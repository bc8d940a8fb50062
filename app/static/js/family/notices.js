// The "알림 / Notices" block (_notices.html) of /family, /provider/inbox, /account and the admin's
// unmatched requests: the signed-in person's own in-page notices (GET /api/v1/notifications: the
// outbox's in_page channel), newest first, with an unread count badge, "mark read" on each unread
// one (POST /api/v1/notifications/read {"ids": [id]}) and "mark all read" ({"all": true}). The
// page's own poll (main.js, inbox.js; notices_page.js on a page without one) calls the returned
// load() at each tick: no timer of its own here.
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
      const title = el("strong", "notice-title", n.title);
      title.id = "notice-title-" + n.id;
      head.appendChild(title);
      const time = el("time", "notice-time", wallIso(n.created_at).replace("T", " "));
      time.dateTime = n.created_at;
      item.append(head, el("p", "notice-body", n.body), time);
      if (!n.read_at) {  // this one alone: its title says which (aria-describedby)
        const read = el("button", "notice-read", t("notices_mark_one"));
        read.type = "button";
        read.dataset.action = "read";
        read.setAttribute("aria-describedby", title.id);
        item.appendChild(read);
      }
      return item;
    }));
  }

  function load() {
    return getJson(URL).then((res) => { if (res.ok) draw(res.body); });
  }

  // Marks `body` ({"all": true} or {"ids": [...]}) read, then draws the list again; the button
  // pressed waits meanwhile.
  function markRead(body, button) {
    button.disabled = true;
    status.textContent = "";
    return send("POST", "/api/v1/notifications/read", body).then((res) => {
      if (!res.ok) status.textContent = t("notices_mark_failed");
      return load();
    }).finally(() => { button.disabled = false; });
  }

  markAll.addEventListener("click", () => markRead({ all: true }, markAll));
  list.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-action=read]");
    if (button) markRead({ ids: [Number(button.closest("li").dataset.id)] }, button);
  });
  load();
  return load;
}
