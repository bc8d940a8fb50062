// The builder's origin check: may the city's site frame the widget now, and if not, exactly
// how the service's operator allows it (GET /api/v1/embed/origins/check).
import { $, apiErrorText, el, fetchJson, t } from "../common.js";
import { refusedOriginText } from "../origin_errors.js";

// A line of text followed by a copyable value in <code>.
function how(text, value) {
  const p = el("p", null, text + " ");
  p.appendChild(el("code", null, value));
  return p;
}

// The origin of what was typed when the browser can read it as an address (a pasted page
// address with a path): a hint for the web team, the server still decides.
// Only an origin a person could type back: a host of letters, digits, hyphens and dots (the
// browser would percent-encode "*" or a space into a host no site has).
const PLAIN_ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d+)?$|^https?:\/\/\[::1\](:\d+)?$/;

// { origin } when one can be suggested; { why } (a message) when the browser reads an address
// the server would refuse too (a name part over 63 letters): never an origin that is invalid.
function suggestion(text) {
  let u;
  try {
    u = new URL(text.includes("://") ? text : "https://" + text);
  } catch (e) {
    return null;
  }
  if (!(u.protocol === "https:" || u.protocol === "http:") || !PLAIN_ORIGIN.test(u.origin)) return null;
  const form = $("origin-form");
  const rule = form && form.dataset.originPattern ? new RegExp(form.dataset.originPattern) : null;
  if (!rule || rule.test(u.origin)) return { origin: u.origin };
  const long = u.hostname.split(".").some((label) => label.length > 63);
  return { why: t(long ? "embed_origin_no_suggestion_label" : "embed_origin_no_suggestion") };
}

// A wildcard ("https://*.suwon.go.kr") is for the operator's list, not a site's address.
function isWildcard(text) {
  return /^\s*(https?:\/\/)?\*\./i.test(text);
}

function show(res, typed) {
  const out = $("origin-result");
  out.textContent = "";
  if (res.status === 400) {
    out.className = "origin-result origin-no";
    // Why, in the page's language (error.reason), naming the origin to type where it can.
    const refused = isWildcard(typed) ? { text: t("embed_origin_wildcard"), named: true }
      : refusedOriginText(res, typed, "embed_origin_invalid");
    out.appendChild(el("p", null, refused.text));
    const hint = suggestion(typed);
    if (!refused.named && hint && hint.why) out.appendChild(el("p", null, hint.why));
    else if (!refused.named && hint && hint.origin !== typed) {
      out.appendChild(el("p", null, t("embed_origin_suggest", { origin: hint.origin })));
    }
    return;
  }
  if (!res.ok) {
    out.className = "origin-result origin-no";
    out.appendChild(el("p", null, apiErrorText(res)));
    return;
  }
  const b = res.body;
  if (b.allowed) {
    out.className = "origin-result origin-ok";
    out.appendChild(el("p", null, t("embed_origin_allowed",
      { origin: b.origin, via: t("embed_origin_via_" + b.allowed_by) })));
    return;
  }
  out.className = "origin-result origin-no";
  out.appendChild(el("p", "origin-verdict", t("embed_origin_refused", { origin: b.origin })));
  const admin = el("p", null, t("embed_origin_how_admin", { s: b.propagation_s }) + " ");
  const link = el("a", null, new URL(b.how.admin_page, window.location.href).href);
  link.href = b.how.admin_page;
  admin.appendChild(link);
  out.appendChild(admin);
  out.appendChild(how(t("embed_origin_how_cli"), b.how.cli));
  out.appendChild(how(t("embed_origin_how_setting"), b.how.environment));
}

export function initOriginCheck() {
  const form = $("origin-form");
  if (!form) return;
  const input = $("origin");
  let asked = 0;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const typed = input.value.trim();
    const mine = ++asked;
    const out = $("origin-result");
    out.className = "origin-result";
    out.textContent = t("embed_origin_checking");
    // Nothing typed: the parameter left out, so the answer says why (error.reason "empty").
    const query = typed ? "?origin=" + encodeURIComponent(typed) : "";
    fetchJson(form.dataset.checkUrl + query).then((res) => {
      if (mine === asked) show(res, typed);  // only the latest answer
    });
  });
}
