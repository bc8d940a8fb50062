// The widget builder: options -> preview iframe and the snippet to paste.
import { $, t } from "../common.js";
import { initOriginCheck } from "./origin.js";

const form = $("builder");
const preview = $("preview");
const snippet = $("snippet");
// The snippet's address is this page's own origin as the browser sees it; the server never
// builds it from the request's Host header (which a client can set to anything).
const base = new URL(form.dataset.embedUrl, window.location.href).href;

function url() {
  const p = new URLSearchParams();
  const f = form.elements;
  if (f.region.value) p.set("region", f.region.value);
  if (f.limit.checked && f.region.value) p.set("limit", "1");
  if (f.what.value) {
    const parts = f.what.value.split(":");
    p.set(parts[0], parts[1]);
  }
  p.set("lang", f.lang.value);
  p.set("height", String(height()));
  return base + "?" + p.toString();
}

// The height typed, as a whole number of pixels from 240 to 1600, or null: "1e3" or "2000" is
// said to be wrong, never silently made 240 or 1600.
function height() {
  const raw = form.elements.height.value.trim();
  const n = /^[0-9]{3,4}$/.test(raw) ? parseInt(raw, 10) : NaN;
  return n >= 240 && n <= 1600 ? n : null;
}

// An attribute value as HTML serializes it (the snippet is text to paste, never parsed here).
function attr(value) {
  return String(value).replace(/&/g, "&amp;").replace(/\u00a0/g, "&nbsp;").replace(/"/g, "&quot;")
    .replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// The snippet is written as text: an element built here with a style attribute would be a
// CSP (style-src 'self') violation on this page.
function snippetFor(u, h) {
  const attrs = [["src", u], ["width", "100%"], ["height", h], ["title", "돌봄지도 Dolbom Map"],
    ["loading", "lazy"], ["style", "border:0"]];
  return "<iframe " + attrs.map(([k, v]) => k + '="' + attr(v) + '"').join(" ") + "></iframe>";
}

function update() {
  const ok = height() !== null;
  form.elements.height.setAttribute("aria-invalid", ok ? "false" : "true");
  $("height-status").textContent = ok ? "" : t("height_invalid");
  if (!ok) return;  // the preview and snippet keep the last valid height
  const u = url();
  const h = new URL(u).searchParams.get("height");
  preview.src = u;
  preview.height = h;
  snippet.value = snippetFor(u, h);
}

form.addEventListener("change", update);
form.addEventListener("input", update);
$("copy").addEventListener("click", (ev) => {
  snippet.select();
  const done = ev.currentTarget.dataset.done;
  const status = $("copy-status");
  if (navigator.clipboard) {
    navigator.clipboard.writeText(snippet.value).then(() => { status.textContent = done; },
      () => { document.execCommand("copy"); status.textContent = done; });
  } else {
    document.execCommand("copy");
    status.textContent = done;
  }
});
update();
initOriginCheck();
