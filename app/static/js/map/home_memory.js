// The home the family last searched from, kept in this browser tab only (sessionStorage: gone when
// the tab closes, so a shared computer keeps no one's home; never sent to the server but as a
// search's own query, never logged), as the map's hash writes it
// ("lat|lon|label"): the family page's "see the next providers" after a decline or a lapsed
// hold opens the map with it, so the next providers show at once, and the map opened again in
// the tab with no home in its link starts from it (state.js). Forgotten when the home is
// cleared or the family deletes its data. A one-time notice for the next page (the family's
// data deleted) travels in sessionStorage the same way.
const HOME = "dolbom.home";
const NOTICE = "dolbom.notice";

function store(kind) {
  try { return window[kind]; } catch (e) { return null; }  // storage blocked: remember nothing
}

function write(kind, key, value) {
  const s = store(kind);
  if (!s) return;
  try { if (value) s.setItem(key, value); else s.removeItem(key); } catch (e) { /* full or blocked */ }
}

export function rememberHome(value) {
  write("sessionStorage", HOME, value || null);
}

export function rememberedHome() {
  const s = store("sessionStorage");
  return s ? s.getItem(HOME) : null;
}

export function forgetHome() {
  write("sessionStorage", HOME, null);
}

// A message key for the next page to say once (see takeNotice).
export function leaveNotice(key) {
  write("sessionStorage", NOTICE, key);
}

// The message key left by the previous page, once (null when none).
export function takeNotice() {
  const s = store("sessionStorage");
  const key = s ? s.getItem(NOTICE) : null;
  if (key) write("sessionStorage", NOTICE, null);
  return key;
}
