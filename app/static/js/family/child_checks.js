// The child form's own checks before it sends (tester 27, finding 13): every problem it can see
// is said at once (a birth date in the future AND a phone that cannot be one), each field marked
// invalid, rather than the server's first refusal one submit at a time. The checks are weaker
// than the server's (app/care/children.py check_birth_date, normalise_phone): they never refuse
// what the server would take, and the server still says anything they let through. The texts
// are the server's refusals' own (errorText of the same code, field and reason).
import { localIso, registryNow } from "../common.js";
import { errorText } from "./api.js";

// A phone with too few or too many digits for any Korean number (9 to 11 digits with the
// leading 0; "+82" counts as that 0), or with letters: never a number the server takes.
const PHONE_DIGITS = { min: 9, max: 11 };
function phoneCannotBe(value) {
  const text = value.trim();
  if (!text) return false;  // missing: said by the form's missing-fields check
  const bare = text.replace(/[\s\-.()]/g, "");
  if (!/^\+?\d+$/.test(bare)) return true;
  const digits = bare.startsWith("+82") ? "0" + bare.slice(3).replace(/^0/, "") : bare.replace(/^\+/, "");
  return digits.length < PHONE_DIGITS.min || digits.length > PHONE_DIGITS.max;
}

// The refusal the server would send for (field, reason), as the page says it.
function said(field, reason, more) {
  return errorText({ status: 400, body: { error: { code: "invalid_parameter", field, reason, ...more } } });
}

// Every problem found in `form` (fields birth_date, emergency_contact_phone), all said in
// `error` (one line each, form order), each field marked aria-invalid and the first focused;
// false when none is found.
export function fieldProblems(form, error) {
  const today = localIso(registryNow()).slice(0, 10);
  const found = [];
  const birth = form.elements.birth_date.value;
  if (birth && birth > today) found.push(["birth_date", said("birth_date", "in_future", { today })]);
  if (phoneCannotBe(form.elements.emergency_contact_phone.value)) {
    found.push(["emergency_contact_phone", said("emergency_contact_phone", "not_a_phone")]);
  }
  if (!found.length) return false;
  error.textContent = "";
  found.forEach(([field, text], i) => {
    form.elements[field].setAttribute("aria-invalid", "true");
    if (i) error.appendChild(document.createElement("br"));
    error.appendChild(document.createTextNode(text));
  });
  form.elements[found[0][0]].focus();
  return true;
}
