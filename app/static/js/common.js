// What every page script shares: the page-config data block, element lookup, messages,
// element building, JSON fetches and the registry's wall clock.
// Every text that comes from data is put in the page with textContent, never as HTML.

let config = null;

// The page's settings and messages, from its JSON data block (parsed once; {} when the page
// has none).
export function pageConfig() {
  if (config === null) {
    const block = document.getElementById("page-config");
    config = block ? JSON.parse(block.textContent) : {};
  }
  return config;
}

export function $(id) {
  return document.getElementById(id);
}

// The message `key` of the page's language, with {name} fields filled from `values`.
// A value that ends a sentence ("…swapped.") put before the template's own full stop keeps one.
export function t(key, values) {
  let s = (pageConfig().messages || {})[key] || key;
  Object.keys(values || {}).forEach((k) => {
    const v = String(values[k]);
    const pieces = s.split("{" + k + "}");
    s = pieces.map((piece, i) => (i < pieces.length - 1 && /^[.。]/.test(pieces[i + 1])
      ? piece + v.replace(/[.。]+$/, "") : (i < pieces.length - 1 ? piece + v : piece))).join("");
  });
  return values ? particles(s) : s;
}

// Korean particle pairs written after a field ("{name}을(를)", "{time}(으)로") as the one form the
// word before takes: after a final consonant 을 은 이 과 으로 (로 after ㄹ), else 를 는 가 와 로;
// a bracketed aside before the pair is skipped; numbers read in Sino-Korean, Latin letters by
// their Korean names; a word that cannot be read keeps the pair (the rules of app/korean.py).
const PARTICLE_PAIRS = { "을(를)": ["을", "를", "을"], "를(을)": ["을", "를", "을"], "은(는)": ["은", "는", "은"],
  "는(은)": ["은", "는", "은"], "이(가)": ["이", "가", "이"], "가(이)": ["이", "가", "이"],
  "과(와)": ["과", "와", "과"], "와(과)": ["과", "와", "과"], "(으)로": ["으로", "로", "로"], "(이)": ["이", "", "이"] };
const DIGIT_FINAL = ["ㅇ", "ㄹ", "", "ㅁ", "", "", "ㄱ", "ㄹ", "ㄹ", ""];

// The final consonant the end of `word` is read with ("" none, "ㄹ", "ㅇ" any other), or null.
export function finalConsonant(word) {
  let text = String(word).trimEnd();
  const closing = { ")": "(", "]": "[", "）": "（" };
  while (text) {
    const last = text[text.length - 1];
    if ("'\"’”」』".includes(last)) { text = text.slice(0, -1).trimEnd(); continue; }
    if (closing[last]) {
      const at = text.lastIndexOf(closing[last]);
      if (at <= 0) return null;
      text = text.slice(0, at).trimEnd();
      continue;
    }
    break;
  }
  if (!text) return null;
  const last = text[text.length - 1];
  const code = last.charCodeAt(0);
  if (code >= 0xac00 && code <= 0xd7a3) {
    const jong = (code - 0xac00) % 28;
    return jong === 0 ? "" : (jong === 8 ? "ㄹ" : "ㅇ");
  }
  if (/[0-9]/.test(last)) {
    const number = text.match(/[0-9]+$/)[0];
    if (/^0+$/.test(number)) return "ㅇ";
    const zeros = number.length - number.replace(/0+$/, "").length;
    if (zeros) return "ㅇ";
    return DIGIT_FINAL[+last];
  }
  if (/[A-Za-z]/.test(last)) return /[lr]/i.test(last) ? "ㄹ" : (/[mn]/i.test(last) ? "ㅇ" : "");
  return null;
}

// `text` with each particle pair replaced by the form the word before it takes.
export function particles(text) {
  return String(text).replace(/을\(를\)|를\(을\)|은\(는\)|는\(은\)|이\(가\)|가\(이\)|과\(와\)|와\(과\)|\(으\)로|\(이\)/g,
    (pair, offset, whole) => {
      const before = whole.slice(0, offset);
      if (!before || /\s$/.test(before)) return pair;
      const final = finalConsonant(before);
      if (final === null) return pair;
      const forms = PARTICLE_PAIRS[pair];
      return final === "" ? forms[1] : (final === "ㄹ" ? forms[2] : forms[0]);
    });
}

// A new element with an optional class and text (set as text, never HTML).
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

// fetch, then the JSON body with the status: resolves to { ok, status, body }, always (a
// network failure, a request the browser refuses to send, e.g. a header with a control
// character, or a body that is not JSON resolve with ok false and an error body too).
export function fetchJson(url, options) {
  let request;
  try {
    request = fetch(url, options);
  } catch (e) {
    request = Promise.reject(e);
  }
  return request.then(
    (r) => r.json().then((body) => ({ ok: r.ok, status: r.status, body }),
      () => ({ ok: false, status: r.status, body: { error: { code: "not_json" } } })),
    () => ({ ok: false, status: 0, body: { error: { code: "network" } } }));
}

const STATUS_MESSAGES = { 0: "err_network", 401: "invalid_token", 403: "err_forbidden", 404: "err_not_found",
  409: "conflict", 413: "err_too_large", 429: "err_rate_limited", 503: "db_unavailable" };

// A refused request's message in the page's language. The API writes its messages in English:
// an English page shows them as they are; a Korean page names the field from its own messages
// (field_<name>) or says what the status means, never an English sentence.
// A field error with a reason (birth_date + after_care_day) reads err_<field>_<reason>, else
// err_reason_<reason> naming the field, in either language.
export function apiErrorText(res) {
  const err = (res.body && res.body.error) || {};
  const label = err.field ? t("field_" + err.field) : "";
  const field = label === "field_" + err.field ? err.field : label;
  if (err.field && err.reason) {
    for (const key of ["err_" + err.field + "_" + err.reason, "err_reason_" + err.reason]) {
      const text = t(key, Object.assign({}, err, { field }));
      if (text !== key) return text;
    }
  }
  if (pageConfig().lang === "en" && err.message) return err.message;
  if (err.field && res.status === 400) return t("field_problem", { field });
  const key = STATUS_MESSAGES[res.status];
  return key ? t(key) : t("error");
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

// "YYYY-MM-DDTHH:MM" of a Date's own fields (no offset).
export function localIso(d) {
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
    pad(d.getHours()) + ":" + pad(d.getMinutes());
}

// The wall clock of the registry's zone (page-config "timezone", e.g. Asia/Seoul), as a Date
// whose fields read that wall-clock time: the times the pages send carry no offset, and the
// server reads them in the registry's zone, whatever zone this browser is in. `atMs`: of that
// instant (milliseconds since the epoch) instead of now.
export function registryNow(atMs) {
  const now = atMs === undefined ? new Date() : new Date(atMs);
  const zone = pageConfig().timezone;
  if (!zone || !window.Intl) return now;
  const parts = {};
  new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit" }).formatToParts(now).forEach((x) => { parts[x.type] = x.value; });
  return new Date(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute,
    +parts.second);
}

// Today's date (midnight) on the registry's wall clock.
export function registryToday() {
  const now = registryNow();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}
