// What the map page knows (home, work, the results and their markers and list items), and
// the home and work kept in the URL's hash, so a reload or the language switch keeps them.
import { $ } from "../common.js";

export const state = { home: null, work: null, hits: [], markers: {}, items: {} };

// Write home and work to the hash (and to the language switch's link).
export function saveState() {
  const s = {};
  ["home", "work"].forEach((w) => {
    if (state[w]) s[w] = [state[w].lat.toFixed(6), state[w].lon.toFixed(6), state[w].label].join("|");
  });
  const hash = new URLSearchParams(s).toString();
  history.replaceState(null, "", "#" + hash);
  const sw = $("lang-switch");
  if (sw) sw.href = sw.href.split("#")[0] + "#" + hash;
}

// Read home and work from the hash into the state and their inputs; true when any was there.
export function restoreState() {
  const s = new URLSearchParams(location.hash.slice(1));
  let any = false;
  ["home", "work"].forEach((w) => {
    const v = s.get(w);
    if (!v) return;
    const p = v.split("|");
    const lat = parseFloat(p[0]);
    const lon = parseFloat(p[1]);
    if (!isFinite(lat) || !isFinite(lon)) return;
    state[w] = { lat, lon, label: p.slice(2).join("|") || (lat + ", " + lon) };
    const input = $(w + "-input");
    if (input) input.value = state[w].label;
    any = true;
  });
  return any;
}
