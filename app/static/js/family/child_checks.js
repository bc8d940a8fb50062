// The child form's own checks before it sends (tester 27, finding 13; tester 28, section 6):
// every problem it can see is said at once — the fields left empty, a birth date in the future,
// a phone that cannot be one, and the consents not ticked — each field marked invalid, rather
// than one group per tap. The value checks are weaker than the server's
// (app/care/children.py check_birth_date, normalise_phone): they never refuse what the server
// would take, and the server still says anything they let through, every problem of it at once
// too (its envelope's `errors`: apiProblems). The texts are the server's refusals' own
// (errorText of the same code, field and reason).
import { localIso, registryNow, t } from "../common.js";
import { errorText } from "./api.js";

// A phone with too few or too many digits for any Korean number (9 to 11 digits with the
// leading 0; "+82" counts as that 0), or with letters: never a number the server takes.
const PHONE_DIGITS = { min: 9, max: 11 };
function phoneCannotBe(value) {
  const text = value.trim();
  if (!text) return false;  // missing: said by the missing-fields line
  const bare = text.replace(/[\s\-.()]/g, "");
  if (!/^\+?\d+$/.test(bare)) return true;
  const digits = bare.startsWith("+82") ? "0" + bare.slice(3).replace(/^0/, "") : bare.replace(/^\+/, "");
  return digits.length < PHONE_DIGITS.min || digits.length > PHONE_DIGITS.max;
}

// The refusal the server would send for (field, reason), as the page says it.
function said(field, reason, more) {
  return errorText({ status: 400, body: { error: { code: "invalid_parameter", field, reason, ...more } } });
}

// Every problem found in `form` before sending, in form order, as [field, text] pairs (field:
// a form field's name, or "consent:<purpose>" for a consent's box): the `required` fields left
// empty (one line; the relation alone its own sentence), the birth date and phone values, then
// the consents `has(purpose)` says are missing (registration always; care notes when notes are
// written).
export function formProblems(form, required, has) {
  const found = [];
  const missing = required.filter((f) => !form.elements[f].value.trim());
  if (missing.length === 1 && missing[0] === "relation") found.push(["relation", t("family_relation_needed")]);
  else if (missing.length) {
    const line = t("family_fields_missing", { fields: missing.map((f) => t("family_field_" + f)).join(", ") });
    missing.forEach((f, i) => found.push([f, i ? null : line]));  // one line, every field marked
  }
  const today = localIso(registryNow()).slice(0, 10);
  const birth = form.elements.birth_date.value;
  if (birth && birth > today) found.push(["birth_date", said("birth_date", "in_future", { today })]);
  if (phoneCannotBe(form.elements.emergency_contact_phone.value)) {
    found.push(["emergency_contact_phone", said("emergency_contact_phone", "not_a_phone")]);
  }
  if (!has("child_registration")) found.push(["consent:child_registration", t("family_consent_needed_registration")]);
  if (form.elements.care_notes.value.trim() && !has("care_notes")) {
    found.push(["consent:care_notes", t("family_consent_needed_notes")]);
  }
  return found;
}

// The problems of a refused save (`res`) as [field, text] pairs: each of the envelope's
// `errors` when the server found several, else its one error.
const CONSENT_NEEDED = { child_registration: "family_consent_needed_registration",
  care_notes: "family_consent_needed_notes" };
export function apiProblems(res) {
  const err = (res.body && res.body.error) || {};
  const list = Array.isArray(err.errors) && err.errors.length ? err.errors : [err];
  return list.map((e) => {
    if (e.code === "consent_required" && CONSENT_NEEDED[e.purpose]) {
      return ["consent:" + e.purpose, t(CONSENT_NEEDED[e.purpose])];
    }
    return [e.field, errorText({ status: res.status, body: { error: e } })];
  });
}

// The input a problem's field names in `form` (a consent's box for "consent:<purpose>"), or null.
function inputOf(form, field) {
  if (!field) return null;
  if (field.startsWith("consent:")) return form.querySelector(`input[name=consent][value="${field.slice(8)}"]`);
  const flat = field.replace(/^emergency_contact\./, "emergency_contact_");
  return form.elements[flat] || null;
}

// Say every problem of `found` ([field, text] pairs) in `error`, one line each (a null text
// only marks its field), each field marked aria-invalid and the first focused; false when
// `found` is empty. Marks left from an earlier try are cleared first.
export function showProblems(form, error, found) {
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  error.textContent = "";
  if (!found.length) return false;
  let lines = 0;
  found.forEach(([field, text]) => {
    const input = inputOf(form, field);
    if (input) input.setAttribute("aria-invalid", "true");
    if (!text) return;
    if (lines++) error.appendChild(document.createElement("br"));
    error.appendChild(document.createTextNode(text));
  });
  const first = found.map(([field]) => inputOf(form, field)).find((n) => n && n.focus);
  if (first) first.focus();
  return true;
}
