// Why the API refused an origin (or its note), in the page's language: the 400's error.reason
// (app/live/embed_origins.py REASONS) picks the message embed_origin_reason_<reason>, with the
// corrected origin where one can be suggested. Shared by the builder and the admin page.
import { pageConfig, t } from "./common.js";

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
// scheme://authority rest, as the server splits it (parse_origin).
const SPLIT = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([\s\S]*)$/;

// The origin to type instead of `typed` for `reason` (https://host for a site on http://, the
// origin without the path), or null.
export function correctedOrigin(reason, typed) {
  const m = SPLIT.exec((typed || "").trim());
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  const authority = m[2].toLowerCase();
  const host = authority.endsWith("]") || !authority.includes(":")
    ? authority : authority.slice(0, authority.lastIndexOf(":"));
  if (!host) return null;
  const insecure = scheme === "http" && !LOOPBACK.includes(host);
  if (reason === "http_not_loopback") return "https://" + host;
  if (reason === "path") return insecure ? "https://" + host : scheme + "://" + authority;
  return null;
}

// Reasons whose message names the corrected origin ({origin}).
const NAMES_ORIGIN = ["http_not_loopback", "path"];

// The message for a refused origin (a 400 with error.reason) in the page's language, and
// whether it already names the corrected origin; null for another error or an unknown reason.
export function originErrorText(res, typed) {
  const err = (res && res.status === 400 && res.body && res.body.error) || {};
  const reason = err.reason;
  if (!reason) return null;
  const key = "embed_origin_reason_" + reason;
  if (t(key) === key) return null;  // a reason this page has no words for
  if (!NAMES_ORIGIN.includes(reason)) return { text: t(key), named: false };
  const origin = correctedOrigin(reason, typed);
  if (!origin) return null;
  return { text: t(key, { origin }), named: true };
}

// The text for a 400 about an origin: the specific message when the reason is known, else
// the server's words on an English page, else `fallback` (a message key).
export function refusedOriginText(res, typed, fallback) {
  const known = originErrorText(res, typed);
  if (known) return known;
  const err = (res && res.body && res.body.error) || {};
  const text = pageConfig().lang === "en" && err.message ? err.message : t(fallback);
  return { text, named: false };
}
