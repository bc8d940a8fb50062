// /family/request: send an emergency care request (긴급돌봄 요청) — the child, the programme,
// the window, the place (home, or work with the home too: who may use a programme depends on
// where the family lives), each place typed and found as the map's place search does
// (/api/v1/places) or carried from the map (`home=lat|lon|label`) — then follow the request
// until a provider accepts, nobody can (passed to people who will call) or it is cancelled.
// A consent the request needs and the family has not given (409 consent_required) is asked for
// with the booking page's control (consent.js), worded for a request; once given, it is sent.
import { $, el, localIso, pageConfig, registryNow, t } from "../common.js";
import { checkSession, disableWritesWhenSignedOut, errorText, getJson, poll, send } from "./api.js";
import { drawChildPicker } from "./ages.js";
import { askConsent } from "./consent.js";
import { requestCard } from "./requests.js";
import { latestRequestStart, sayLinkTimesUnread, windowOf as readWindow } from "./window.js";
import { placeDetail, placeName } from "../place_label.js";
import { sayUnknownPlace } from "../map/places.js";

const cfg = pageConfig();
const form = $("request-form");
const places = { home: null, work: null };  // kind -> { lat, lon, label }
let watcher = null;
let watchedEvery = null;  // the watcher's pace (ms)
let shown = null;  // "status/version" of the request on the page
// A request in one of these states changes no more (app/care/states.py CARE_REQUEST's final
// states); any other is read every poll_ms: it follows its booking (in care, done, no-show,
// cancelled by the provider) without a reload, within about 2 s.
const REQUEST_FINAL = ["completed", "cancelled", "failed"];
let childNames = {};
let children = [];
let chosenChild = cfg.child_id || null;  // the link's ?child_id=, then the child the parent picks

// The window the fields say (window.js): null while a field is empty or the end equals the
// start (submit() says so).
function windowOf() {
  const w = readWindow(form);
  return w && w.same ? null : w;
}

function placeKind() {
  const picked = form.querySelector("input[name=place]:checked");
  return picked ? picked.value : "home";
}

function choose(kind, place) {
  places[kind] = place;
  $("request-error").textContent = "";  // an error of an earlier attempt is about what just changed
  const shown = form.querySelector(".chosen[data-kind=" + kind + "]");
  shown.textContent = place ? t("request_place_chosen", { label: place.label }) : "";
  form.querySelector(".place-results[data-kind=" + kind + "]").textContent = "";
}

// The places matching the typed text, as buttons to choose one, labelled as the map's place
// search labels them (place_label.js: the name, and the 구 or lines that tell alike names apart);
// none: what the map's place search says then (map/places.js sayUnknownPlace: "did you mean"
// its suggestions, each looked up in turn).
let findSeq = 0;
function findPlace(kind) {
  const field = form.elements[kind + "_q"];
  const q = field.value.trim();
  const list = form.querySelector(".place-results[data-kind=" + kind + "]");
  list.textContent = "";
  if (!q) return;
  const mine = ++findSeq;
  getJson("/api/v1/places?" + new URLSearchParams({ q, limit: "6" })).then((res) => {
    if (mine !== findSeq) return;  // a later search's answer is the one shown
    list.textContent = "";
    const found = res.ok ? res.body.results || [] : [];
    if (!res.ok) { list.appendChild(el("li", "hint", errorText(res))); return; }
    if (!found.length) {
      const said = list.appendChild(el("li", "hint unknown-place"));
      sayUnknownPlace(said, res.body, q, (name) => { field.value = name; findPlace(kind); });
      return;
    }
    found.forEach((p) => {
      const label = placeName(p);
      const li = el("li");
      const b = el("button", null, label);
      b.type = "button";
      const detail = placeDetail(p);
      if (detail) b.appendChild(el("span", "hint detail", " " + detail));
      b.addEventListener("click", () => choose(kind, { lat: p.lat, lon: p.lon, label }));
      li.appendChild(b);
      list.appendChild(li);
    });
  });
}

// A programme whose carers come to the home takes only the home as the place.
function syncPlace() {
  const homeOnly = (cfg.home_only || []).indexOf(form.elements.programme.value) >= 0;
  const work = form.querySelector("input[name=place][value=work]");
  work.disabled = homeOnly;
  if (homeOnly) form.querySelector("input[name=place][value=home]").checked = true;
  $("home-only").hidden = !homeOnly;
  form.querySelector(".place-pick[data-kind=work]").hidden = placeKind() !== "work";
  $("home-why").hidden = placeKind() !== "work";
  const w = windowOf();
  $("overnight").hidden = !(w && w.overnight);
  if (w && w.overnight) $("overnight").textContent = t("family_overnight", { time: form.elements.to.value });
}

function point(p) {
  return { lat: p.lat, lon: p.lon };
}

function submit(ev) {
  ev.preventDefault();
  const error = $("request-error");
  error.textContent = "";
  $("request-consent").textContent = "";
  const w = windowOf();
  const kind = placeKind();
  const typed = readWindow(form);
  if (typed && typed.same) { error.textContent = t("family_window_same"); return; }
  if (!w) { error.textContent = t("request_need_window"); return; }
  if (!places.home) {
    error.textContent = t(kind === "work" ? "request_need_home_for_work" : "request_need_home");
    form.elements.home_q.focus();
    return;
  }
  if (kind === "work" && !places.work) { error.textContent = t("request_need_work"); form.elements.work_q.focus(); return; }
  if (!form.elements.child.value) { error.textContent = t("family_need_child"); form.elements.child.focus(); return; }
  const body = { child_id: form.elements.child.value, programme: form.elements.programme.value, start: w.start,
    end: w.end, place: kind, point: point(kind === "work" ? places.work : places.home) };
  if (kind === "work") body.home = point(places.home);
  const button = $("request-button");
  button.disabled = true;
  send("POST", "/api/v1/care-requests", body).then((res) => {
    button.disabled = res.status === 401;  // signed out: sending needs a session (api.js says so at the top)
    const code = res.body && res.body.error && res.body.error.code;
    if (code === "consent_required") {
      // The same consent control as the booking page's; once given, the request is sent again.
      askConsent(res.body.error.purpose, $("request-consent"), () => form.requestSubmit(),
        { why: "request_consent_needed", agree: "request_consent_agree_" });
      return;
    }
    if (!res.ok) { error.textContent = errorText(res); return; }
    form.hidden = true;
    follow(res.body);
  });
}

// How often to read the request `r` again: every poll_ms until it is final (REQUEST_FINAL), else
// never (null): then only the session is checked (sessionCheck).
function pollEvery(r) {
  return REQUEST_FINAL.indexOf(r.status) < 0 ? cfg.poll_ms || 2000 : null;
}

// With no request followed (the form) or a final one, a cheap read the page already makes
// (GET /api/v1/children) notices a session that ended elsewhere (api.js checkSession).
let sessionCheck = null;
function checkSessionWhileIdle() {
  if (watcher) { if (sessionCheck) { sessionCheck.stop(); sessionCheck = null; } return; }
  if (!sessionCheck) sessionCheck = checkSession("/api/v1/children");
}

// Read the request `r` again at its pace (pollEvery), showing it when it changed.
function watch(r) {
  const every = pollEvery(r);
  if (watcher && every === watchedEvery) return;
  if (watcher) { watcher.stop(); watcher = null; }
  watchedEvery = every;
  if (!every) { checkSessionWhileIdle(); return; }
  watcher = poll(() => getJson("/api/v1/care-requests/" + encodeURIComponent(r.id)).then((res) => {
    if (!res.ok) return;
    if (res.body.status + "/" + res.body.version === shown) return;  // unchanged: keep the card (and an open cancel question)
    show(res.body);
  }), every);
  checkSessionWhileIdle();
}

// Show the request, and keep reading it while it can change (watch).
function show(r) {
  shown = r.status + "/" + r.version;
  const out = $("request-state");
  out.hidden = false;
  out.textContent = "";
  out.dataset.status = r.status;
  out.appendChild(requestCard(r, show, childNames[r.child_id]));
  const mine = el("a", null, t("request_my_requests"));
  mine.href = "/family?lang=" + cfg.lang;
  out.appendChild(el("p")).appendChild(mine);
  watch(r);
}

function follow(r) {
  show(r);
  // The address names the request followed: a reload, or signing in again after the session
  // ended (api.js signInAgainUrl), comes back to it.
  const here = new URL(location.href);
  if (here.searchParams.get("request_id") !== r.id) {
    here.searchParams.set("request_id", r.id);
    history.replaceState(history.state, "", here.pathname + here.search + here.hash);
  }
}

function fill() {
  const now = registryNow();
  let start = cfg.start;
  let end = cfg.end;
  if (!start || !end) {
    const d = new Date(now.getTime() + 3600000);
    d.setMinutes(0);
    start = localIso(d);
    end = localIso(new Date(d.getTime() + 3 * 3600000));
  }
  form.elements.day.value = start.slice(0, 10);
  form.elements.from.value = start.slice(11, 16);
  form.elements.to.value = end.slice(11, 16);
  form.elements.day.min = localIso(now).slice(0, 10);
  form.elements.day.max = latestRequestStart().slice(0, 10);
  sayLinkTimesUnread(cfg);
  if (cfg.programme) form.elements.programme.value = cfg.programme;
  if (cfg.home) {
    const p = cfg.home.split("|");
    choose("home", { lat: Number(p[0]), lon: Number(p[1]), label: p[2] || t("request_home_from_map") });
  }
}

// The children the chosen programme takes on the chosen day (its ages, app/reference): the
// others offered disabled, with why under the picker; the child the link named or the parent
// picked stays picked, or none is when it does not fit (ages.js).
function showChildren() {
  const programme = form.elements.programme.value;
  drawChildPicker(form.elements.child, $("child-note"), children, cfg.ages[programme], programme,
    form.elements.day.value, "request_child_not_eligible", chosenChild);
}

function loadChildren() {
  return getJson("/api/v1/children").then((res) => {
    const select = form.elements.child;
    select.textContent = "";
    if (!res.ok) { $("request-error").textContent = errorText(res); form.hidden = false; return; }
    childNames = {};
    children = res.body.children;
    children.forEach((c) => { childNames[c.id] = c.given_name; });
    showChildren();
    if (cfg.request_id) return;  // following a request: no form
    $("no-children").hidden = res.body.children.length > 0;
    form.hidden = res.body.children.length === 0;
  });
}

// ?request_id=…: follow that request (the server drew its state; the card replaces it).
function followGiven() {
  if (!cfg.request_id) return null;
  return getJson("/api/v1/care-requests/" + encodeURIComponent(cfg.request_id)).then((res) => {
    if (res.ok) follow(res.body);
  });
}

fill();
syncPlace();
["programme", "day", "from", "to"].forEach((n) => form.elements[n].addEventListener("change", syncPlace));
["programme", "day"].forEach((n) => form.elements[n].addEventListener("change", showChildren));
form.elements.child.addEventListener("change", () => { chosenChild = form.elements.child.value || null; });
// An error shown for an earlier attempt goes as soon as any field changes (each field it can be
// about); a place search's answer goes once its text changes.
["input", "change"].forEach((type) => form.addEventListener(type, () => { $("request-error").textContent = ""; }));
["home", "work"].forEach((kind) => form.elements[kind + "_q"].addEventListener("input", () => {
  form.querySelector(".place-results[data-kind=" + kind + "]").textContent = "";
}));
form.querySelectorAll("input[name=place]").forEach((r) => r.addEventListener("change", syncPlace));
form.querySelectorAll("button.find").forEach((b) => b.addEventListener("click", () => findPlace(b.dataset.kind)));
["home", "work"].forEach((kind) => form.elements[kind + "_q"].addEventListener("keydown", (ev) => {
  if (ev.key === "Enter") { ev.preventDefault(); findPlace(kind); }
}));
form.addEventListener("submit", submit);
loadChildren().then(followGiven).then(() => {
  document.body.dataset.ready = "1";
  checkSessionWhileIdle();
});
// Once the session ended no request can be sent or cancelled: the page's buttons are disabled
// (the notice at the top links to signing in again, back here; a cancel becomes that link).
disableWritesWhenSignedOut();
