// /family's "who read my children's records": GET /api/v1/me/access-log (the latest reads,
// newest first, with the words in the page's language) as a list — when (the registry's wall
// clock), whose record (first name), who (the provider's name, or the service's operators, and
// the reader's role) and why; a refused read says so. Read once when the page opens.
import { $, el, pageConfig, t } from "../common.js";
import { errorText, getJson, wallIso } from "./api.js";

function entryItem(entry) {
  const item = el("li", "access-entry");
  item.dataset.outcome = entry.outcome;
  const when = el("time", "access-when", wallIso(entry.at).replace("T", " "));
  when.dateTime = entry.at;
  item.appendChild(when);
  const reader = entry.reader || {};
  item.appendChild(el("span", "access-what", " " + t("family_access_log_entry", {
    child: entry.first_name, who: reader.name || reader.role_label, role: reader.role_label, why: entry.purpose_text,
  })));
  if (entry.outcome === "denied") item.appendChild(el("span", "access-denied", " — " + t("family_access_log_denied")));
  return item;
}

export function showAccessLog() {
  const list = $("access-log");
  if (!list) return Promise.resolve();
  const lang = pageConfig().lang || "ko";
  return getJson("/api/v1/me/access-log?lang=" + encodeURIComponent(lang)).then((res) => {
    list.textContent = "";
    const note = $("access-log-note");
    if (!res.ok) {
      note.textContent = errorText(res);
      note.hidden = false;
      return;
    }
    const entries = res.body.entries || [];
    entries.forEach((entry) => list.appendChild(entryItem(entry)));
    note.hidden = entries.length > 0 && res.body.total <= entries.length;
    note.textContent = entries.length === 0 ? t("family_access_log_empty")
      : t("family_access_log_more", { shown: entries.length, total: res.body.total });
  });
}

showAccessLog();
