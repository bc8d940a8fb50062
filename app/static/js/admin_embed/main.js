// The admins' list of sites allowed to embed the widget: list, add, remove (admin API). An admin
// signed in to the planner is not asked for the token again: the planner's session answers.
import { $, apiErrorText, el, fetchJson, t } from "../common.js";
import { originErrorText } from "../origin_errors.js";

let API = "/api/v1/admin/embed-origins";
let signedIn = false;
const status = $("embed-status");

function headers(json) {
  const h = signedIn ? {} : { Authorization: "Bearer " + $("admin-token").value.trim() };
  if (json) h["Content-Type"] = "application/json";
  return h;
}

function render(body) {
  const stored = $("stored");
  stored.textContent = "";
  body.stored.forEach((e) => {
    const li = el("li", null, e.origin + " — " + t("embed_admin_by", { at: e.added_at, by: e.added_by }) +
      (e.note ? " — " + e.note : "") + " ");
    const remove = el("button", null, t("embed_admin_remove"));
    remove.type = "button";
    remove.dataset.origin = e.origin;
    remove.setAttribute("aria-label", t("embed_admin_remove") + " " + e.origin);
    li.appendChild(remove);
    stored.appendChild(li);
  });
  if (!body.stored.length) stored.appendChild(el("li", null, t("embed_admin_empty")));
  const configured = $("configured");
  configured.textContent = "";
  body.configured.forEach((o) => configured.appendChild(el("li", null, o)));
  if (!body.configured.length) configured.appendChild(el("li", null, t("embed_admin_empty")));
  $("lists").hidden = false;
}

function load() {
  return fetchJson(API, { headers: headers(false) }).then((res) => {
    if (res.status !== 200) { status.textContent = apiErrorText(res); return false; }
    render(res.body);
    return true;
  });
}

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  status.textContent = "";
  load();
});

$("add-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const body = { origin: $("add-origin").value.trim() };
  const note = $("add-note").value.trim();
  if (note) body.note = note;
  fetchJson(API, { method: "POST", headers: headers(true), body: JSON.stringify(body) }).then((res) => {
    if (res.status !== 200) {
      // A refused origin or note: why, in the page's language (error.reason).
      const refused = originErrorText(res, body.origin);
      status.textContent = refused ? refused.text : apiErrorText(res);
      return;
    }
    const done = t(res.body.changed ? "embed_admin_added" : "embed_admin_exists",
      { origin: res.body.origin, s: res.body.propagation_s });
    load().then(() => { status.textContent = done; });
  });
});

$("stored").addEventListener("click", (ev) => {
  const origin = ev.target.dataset && ev.target.dataset.origin;
  if (!origin) return;
  fetchJson(API + "?origin=" + encodeURIComponent(origin), { method: "DELETE", headers: headers(false) })
    .then((res) => {
      if (res.status !== 200) {
        const refused = originErrorText(res, origin);
        status.textContent = refused ? refused.text : apiErrorText(res);
        return;
      }
      const done = t("embed_admin_removed", { origin: res.body.origin, s: res.body.propagation_s });
      load().then(() => { status.textContent = done; });
    });
});

// The builder links here with ?origin=: the add form starts filled in.
const asked = new URLSearchParams(window.location.search).get("origin");
if (asked) $("add-origin").value = asked;

// Signed in to the planner (an admin session)? Then no token field, and the lists at once.
fetchJson("/planner/session.json").then((state) => {
  if (state.status !== 200 || !state.body.signed_in) return;  // the token is asked for
  signedIn = true;
  API = "/planner/embed-origins";
  $("token-form").hidden = true;
  return load().then((ok) => { if (ok) status.textContent = t("report_signed_in"); });
});
