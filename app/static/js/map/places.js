// The place search for home or work: a combobox of matching places as you type (arrow keys,
// Enter, Escape), and "did you mean" buttons when nothing matches.
import { $, el, pageConfig, t } from "../common.js";
import { placeDetail, placeName } from "../place_label.js";
import { findPlaces } from "./api.js";
import { state } from "./state.js";

// Wire #<which>-input; `onChoose(point)` gets the chosen place as { lat, lon, label }.
// Returns { resolve }: resolve() settles what the field says before a search — the place kept
// when the text is still its label, none when the field is empty (onChoose(null)), else the
// first match of the typed text — and resolves to false when the text names no place.
export function setupPlaceInput(which, onChoose) {
  const input = $(which + "-input");
  if (!input) return { resolve: () => Promise.resolve(true) };
  const list = $(which + "-suggestions");
  const status = $(which + "-status");
  let options = [];
  let active = -1;
  let timer = null;
  let seq = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function choose(opt) {
    close();
    input.value = placeName(opt);
    // An address placed at the area it names (no geocoding service, or it did not know the
    // address) is said to be approximate, so the family can tap the map to correct it.
    // (English pages: the area's English name, which the API gives an address as name_en.)
    const area = pageConfig().lang === "en" && opt.name_en ? opt.name_en : opt.matched || opt.name;
    status.textContent = opt.approximate ? t("approximate_place", { area }) : "";
    onChoose({ lat: opt.lat, lon: opt.lon, label: placeName(opt) });
  }
  function render(results) {
    list.textContent = "";
    options = results;
    results.forEach((r, i) => {
      const li = el("li", "suggestion", placeName(r));
      li.id = which + "-opt-" + i;
      li.setAttribute("role", "option");
      // English pages: a station's lines or a school's address in English ("Shinbundang Line",
      // "91 Daehak-ro, Yeongtong-gu, …"); Korean text the API has no English for is labelled so.
      const detail = placeDetail(r);
      if (detail) li.appendChild(el("span", "detail", " " + detail));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(r); });
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }
  function highlight(i) {
    const items = list.querySelectorAll("li");
    items.forEach((li) => { li.classList.remove("active"); li.removeAttribute("aria-selected"); });
    if (i >= 0 && items[i]) {
      items[i].classList.add("active");
      items[i].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[i].id);
    }
    active = i;
  }
  // The places for q; null when a later lookup has started since.
  function lookup(q) {
    const mine = ++seq;
    return findPlaces(q, state.view).then((body) => (mine !== seq ? null : body));
  }
  function showUnknown(body) {
    sayUnknownPlace(status, body, input.value.trim(), (name) => {
      input.value = name;
      lookup(name).then((res) => { if (res && res.results.length) choose(res.results[0]); });
    });
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(() => {
      lookup(q).then((body) => { if (body) render(body.results); });
    }, 150);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && options.length) {
      ev.preventDefault(); list.hidden = false; highlight(Math.min(active + 1, options.length - 1));
    } else if (ev.key === "ArrowUp" && options.length) {
      ev.preventDefault(); highlight(Math.max(active - 1, 0));
    } else if (ev.key === "Escape") {
      close();
    } else if (ev.key === "Enter") {
      ev.preventDefault();
      const q = input.value.trim();
      if (!q) { resolve(); return; }  // an emptied field is no place: work is dropped
      if (active >= 0 && options[active]) { choose(options[active]); return; }
      clearTimeout(timer);
      lookup(q).then((body) => {
        if (!body) return;
        if (body.results.length) choose(body.results[0]); else { close(); showUnknown(body); }
      });
    }
  });
  input.addEventListener("blur", () => { setTimeout(close, 150); });

  function resolve() {
    const q = input.value.trim();
    const kept = state[which];
    if (!q) {
      status.textContent = "";
      if (kept) onChoose(null);
      return Promise.resolve(true);
    }
    if (kept && q === kept.label) return Promise.resolve(true);
    clearTimeout(timer);
    return lookup(q).then((body) => {
      if (!body) return false;
      if (body.results.length) { choose(body.results[0]); return true; }
      close();
      showUnknown(body);
      return false;
    });
  }
  return { resolve };
}

// What the place search says when the typed text `typed` names no place, into `status`
// (emptied first), from the body of /api/v1/places: a 법정동 that no longer exists (화성시 동탄구
// 오산동), a road-name address without its area ("판교역로 235"), else "no place matches" and a
// "did you mean" button for each of its suggestions ("연천군청": 경기도 연천군, …), each calling
// `pick(name)`. The map's place search and the request form's (family/request.js) say the same.
export function sayUnknownPlace(status, body, typed, pick) {
  status.textContent = "";
  // A 법정동 that no longer exists (화성시 동탄구 오산동): say so, not "did you mean" others.
  const gone = (body && body.abolished) || [];
  if (gone.length) {
    const en = pageConfig().lang === "en";
    status.textContent = gone.map((a) => t(a.listed ? "abolished_place" : "abolished_place_undated",
      { place: en ? a.label_en : a.label, date: a.listed || "" })).join(" ");
    return;
  }
  // A road-name address without its area ("판교역로 235"): say what to add.
  if (body && body.hint === "road_address_needs_area") {
    status.textContent = t("road_address_needs_area", { address: typed });
    return;
  }
  status.appendChild(document.createTextNode(t("unknown_place") + " "));
  const sugg = (body && body.suggestions) || [];
  if (!sugg.length) { status.appendChild(document.createTextNode(t("no_suggestions"))); return; }
  status.appendChild(document.createTextNode(t("did_you_mean") + " "));
  sugg.forEach((name) => {
    const b = el("button", "linkish", name);
    b.type = "button";
    b.addEventListener("click", () => pick(name));
    status.appendChild(b);
  });
}
