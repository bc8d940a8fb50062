// /family's "동의 관리 / Consents": withdrawing a consent as easy as giving it (개인정보 보호법).
// Each purpose of GET /api/v1/consents with its title and text, and its state: given (the text
// version, the date on the registry's clock), withdrawn, given to an older text, or never given.
// A given one is withdrawn (DELETE /api/v1/consents/<purpose>) after a question saying in plain
// words what withdrawing means for that purpose and, for share_with_provider and care_notes, the
// family's live bookings it will affect (GET /api/v1/consents/<purpose>/withdrawal, read then: a
// child in care now said first); the answer's affected_bookings (provider, child's first name,
// programme, window, state) are listed after it. A
// consent not given (any more) is given again from its card (POST /api/v1/consents with the
// text version shown). child_registration while children are registered is not offered for
// withdrawal (the question says why and links to deleting them); refusals (409 consent_in_use
// should the list be stale) in the page's language. After each change the list is read again, and
// "family:consents-changed" is sent on document for the page's other parts; after the child
// form saves (the children's list redrawn) it is read again too.
import { $, el, t } from "../common.js";
import { errorText, getConsents, getJson, programmeName, send, stateName, wallIso, windowText } from "./api.js";

function onClock(iso) {
  return wallIso(iso).replace("T", " ");
}

// The guardian's standing on `purpose` from their consents (oldest first): "given" (to the
// current text), "outdated" (to an older text, never withdrawn), "withdrawn", or "none".
function standing(purpose, consents) {
  const own = consents.filter((c) => c.purpose === purpose);
  const current = own.find((c) => c.current);
  if (current) return { state: "given", consent: current };
  const latest = own[own.length - 1];
  if (!latest) return { state: "none", consent: null };
  return { state: latest.withdrawn_at ? "withdrawn" : "outdated", consent: latest };
}

function stateLine(s) {
  if (s.state === "given") return t("family_consents_state_given", { date: onClock(s.consent.given_at), version: s.consent.text_version });
  if (s.state === "withdrawn") return t("family_consents_state_withdrawn", { date: onClock(s.consent.withdrawn_at) });
  if (s.state === "outdated") return t("family_consents_state_outdated", { version: s.consent.text_version });
  return t("family_consents_state_none");
}

function button(cls, label) {
  const b = el("button", cls, label);
  b.type = "button";
  return b;
}

// How many children the family has registered: the children's list says so on the page
// (main.js sets body data-children after each read of GET /api/v1/children); null before.
function childrenRegistered() {
  const n = document.body.dataset.children;
  return n === undefined ? null : Number(n);
}

// What the question offers instead of withdrawing while the consent is in use (the children
// registered under child_registration): the children's list (each child's "delete") and
// "delete all my data".
function inUseLinks() {
  const p = el("p", "in-use-links");
  const children = el("a", null, t("family_consents_in_use_children"));
  children.href = "#children-title";
  const all = el("a", null, t("family_consents_in_use_delete_all"));
  all.href = "#delete-all";
  all.addEventListener("click", () => { const b = $("delete-all"); if (b) setTimeout(() => b.focus(), 0); });
  p.append(children, " · ", all);
  return p;
}

// Withdraw behind a question: what withdrawing `text.purpose` means, "withdraw" and "keep".
// child_registration while children are registered: it cannot be withdrawn (the API's 409
// consent_in_use), so the question says why and points to deleting the children or the
// family's data, with no "withdraw" to press. What the withdrawal would do is the API's answer
// (GET /api/v1/consents/<purpose>/withdrawal, read when the question opens): the live bookings
// it affects, and for child_registration the children registered (the children's list on the
// page says so at once; the answer has the last word).
function withdrawControl(text, error) {
  const box = el("div", "confirm");
  const open = button("danger-outline wide withdraw", t("family_consents_withdraw"));
  const ask = el("div", "ask");
  ask.hidden = true;
  ask.setAttribute("role", "group");
  ask.setAttribute("aria-label", t("family_consents_withdraw") + " — " + text.title);
  const means = el("p", "means", t("family_consents_means_" + text.purpose));
  const links = inUseLinks();
  const preview = el("div", "will-affect");
  ask.append(means, preview, links);
  const yes = button("danger withdraw-yes", t("family_consents_withdraw_yes"));
  const no = button(null, t("family_keep"));
  ask.append(yes, no);
  let asking = 0;  // the latest question: an earlier answer arriving later is not drawn
  // The question for `n` children registered (null: not known yet): in use, or to confirm.
  function inUseAs(n) {
    const inUse = text.purpose === "child_registration" && n !== null && n > 0;
    box.dataset.inUse = inUse ? "1" : "";
    means.textContent = inUse ? t("family_consents_in_use", { n }) : t("family_consents_means_" + text.purpose);
    links.hidden = !inUse;
    yes.hidden = inUse;
    no.textContent = inUse ? t("family_consents_in_use_close") : t("family_keep");
    return inUse;
  }
  open.addEventListener("click", () => {
    const mine = ++asking;
    const inUse = inUseAs(childrenRegistered());
    ask.hidden = false;
    open.hidden = true;
    (inUse ? no : yes).focus();
    preview.textContent = "";
    preview.dataset.ready = "";
    getJson("/api/v1/consents/" + encodeURIComponent(text.purpose) + "/withdrawal").then((res) => {
      if (mine !== asking || ask.hidden) return;
      if (!res.ok) { preview.appendChild(el("p", "error", errorText(res))); return; }
      const answer = res.body;
      if (answer.children_registered !== null && answer.in_use !== inUse) {
        const focused = document.activeElement === yes || document.activeElement === no;
        inUseAs(answer.children_registered);
        if (focused) (answer.in_use ? no : yes).focus();
      }
      if (answer.affects_bookings) showWillAffect(preview, answer.affected_bookings);
      preview.dataset.ready = "1";
    });
  });
  no.addEventListener("click", () => { ask.hidden = true; open.hidden = false; open.focus(); });
  yes.addEventListener("click", () => {
    yes.disabled = true;
    error.textContent = "";
    send("DELETE", "/api/v1/consents/" + encodeURIComponent(text.purpose)).then((res) => {
      yes.disabled = false;
      if (!res.ok) { error.textContent = errorText(res); return; }
      showWithdrawn(text, res.body.affected_bookings || []);
      changed();
    });
  });
  box.append(open, ask);
  return box;
}

// An affected booking's line, as the question and the answer after withdrawing list it.
function affectedItem(b) {
  const item = el("li", null, t("family_consents_affected_item", {
    provider: b.provider_name || b.facility_id, child: b.first_name, programme: programmeName(b.programme),
    window: windowText(b.start, b.end), state: stateName(b.status),
  }));
  item.dataset.booking = b.id;
  item.dataset.status = b.status;
  return item;
}

// The live bookings the withdrawal would affect (the API's affected_bookings, a child in care
// now first), each as the list after withdrawing shows it; a child in care now said on its own line.
function showWillAffect(box, affected) {
  box.textContent = "";
  if (!affected.length) { box.appendChild(el("p", "hint", t("family_consents_affected_none"))); return; }
  affected.forEach((b) => {
    if (b.status === "in-progress") {
      box.appendChild(el("p", "in-care", t("family_consents_will_affect_in_care", {
        child: b.first_name, provider: b.provider_name || b.facility_id })));
    }
  });
  box.appendChild(el("p", null, t("family_consents_will_affect", { n: affected.length })));
  const list = el("ul", "affected-bookings");
  affected.forEach((b) => list.appendChild(affectedItem(b)));
  box.appendChild(list);
}

// Give (again) the consent to the text shown, its current version.
function giveControl(text, error) {
  const give = button("primary wide give", t("family_consent_agree_" + text.purpose));
  give.addEventListener("click", () => {
    give.disabled = true;
    error.textContent = "";
    send("POST", "/api/v1/consents", { purpose: text.purpose, version: text.version }).then((res) => {
      give.disabled = false;
      if (!res.ok) { error.textContent = errorText(res); return; }
      result(t("family_consents_given_done", { title: text.title }));
      changed();
    });
  });
  return give;
}

function consentItem(text, consents) {
  const s = standing(text.purpose, consents);
  const li = el("li", "card consent-item");
  li.dataset.purpose = text.purpose;
  li.dataset.state = s.state;
  li.appendChild(el("h4", null, text.title));
  li.appendChild(el("p", "consent-state", stateLine(s)));
  const words = el("details", "consent-words");
  words.open = s.state !== "given";  // the text is read before giving it (again)
  words.appendChild(el("summary", null, t("family_consents_read_text")));
  words.appendChild(el("p", "consent-text", text.text));
  li.appendChild(words);
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  li.appendChild(s.state === "given" ? withdrawControl(text, error) : giveControl(text, error));
  li.appendChild(error);
  return li;
}

// What a change said, below the list (read out; brought into view on a phone).
function result(message) {
  const box = $("consent-result");
  box.textContent = "";
  box.appendChild(el("p", null, message));
  box.scrollIntoView({ block: "nearest" });
  return box;
}

function showWithdrawn(text, affected) {
  const box = result(t("family_consents_withdrawn_done", { title: text.title }));
  if (!affected.length) { box.appendChild(el("p", "hint", t("family_consents_affected_none"))); return; }
  box.appendChild(el("p", null, t("family_consents_affected", { n: affected.length })));
  const list = el("ul", "affected-bookings");
  affected.forEach((b) => list.appendChild(affectedItem(b)));
  box.appendChild(list);
}

function changed() {
  document.dispatchEvent(new CustomEvent("family:consents-changed"));
  return showConsents();
}

let asked = 0;  // the latest read: an earlier one answering later is not drawn over it
export function showConsents() {
  const list = $("consent-list");
  if (!list) return Promise.resolve();
  const mine = ++asked;
  return getConsents().then((res) => {
    if (mine !== asked) return;
    list.textContent = "";
    if (!res.ok) { list.appendChild(el("li", "error", errorText(res))); return; }
    res.body.texts.forEach((text) => list.appendChild(consentItem(text, res.body.consents)));
    list.dataset.ready = "1";
  });
}

showConsents();
// The child form (main.js) records consents before it saves a child, then redraws the children:
// read the consents again then, so this list never says "not consented" to what was just given.
const children = $("children");
if (children) new MutationObserver(() => showConsents()).observe(children, { childList: true });
