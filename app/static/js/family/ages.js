// Which of the family's children a programme at a provider takes: the child's age in whole
// months on the care's first day (the API's rule, app/care/rules.py age_in_months) within the
// page's `ages` ({ min_months, max_months }: the programme's ages and the provider's, both
// inclusive; null when the provider does not say, and the API then decides).
import { el, t } from "../common.js";
import { fullName } from "./names.js";

// Whole months from birth ("YYYY-MM-DD") to the day ("YYYY-MM-DD"); a birthday later in the
// month counts from that day (born 05-31: 0 on 06-30, 1 on 07-01). Null before the birth.
export function ageInMonths(birthIso, dayIso) {
  const [by, bm, bd] = birthIso.split("-").map(Number);
  const [y, m, d] = dayIso.split("-").map(Number);
  const months = (y - by) * 12 + (m - bm) - (d < bd ? 1 : 0);
  return months < 0 ? null : months;
}

// An age in months as the pages say it ("4세 3개월", "10개월").
export function ageText(months) {
  const y = Math.floor(months / 12);
  const m = months % 12;
  return y ? t("inbox_age_years_months", { y, m }) : t("inbox_age_months", { m });
}

// Whether a child of `months` fits `ages` (true when the page knows no ages).
export function fits(ages, months) {
  if (!ages) return true;
  return months !== null && ages.min_months <= months && months <= ages.max_months;
}

// Draw the child picker (`select`) for a programme taking `ages` on `day` ("YYYY-MM-DD"): a
// child it does not take is offered disabled, and why goes under the picker (`note`, the message
// `whyKey` with name, age, programme, min and max). `chosen`: the child id the parent chose, or
// a link named (?child_id=); null when nobody chose. A chosen child is never swapped for
// another: picked when it fits, else no child is (an empty "Choose a child" option first, and
// the note says why the chosen one cannot be). Nobody chose (or no such child): the child picked
// so far when it still fits, else the first that does. `children`: the API's children (id,
// names, birth_date).
export function drawChildPicker(select, note, children, ages, programme, day, whyKey, chosen) {
  const kept = select.value;
  const ok = children.filter((c) => !day || fits(ages, ageInMonths(c.birth_date, day))).map((c) => c.id);
  const why = [];
  select.textContent = "";
  children.forEach((c) => {
    const name = fullName(c);
    const o = el("option", null, name + " (" + c.birth_date + ")");
    o.value = c.id;
    if (ok.indexOf(c.id) < 0) {
      const months = ageInMonths(c.birth_date, day);
      o.disabled = true;
      o.textContent = t("family_book_child_option_not_eligible", { label: o.textContent });
      why.push(t(whyKey, { name, age: months === null ? "-" : ageText(months),
        programme: t("programme_" + programme), min: ages.min_months, max: ages.max_months }));
    }
    select.appendChild(o);
  });
  const named = children.some((c) => c.id === chosen);
  const picked = named ? (ok.indexOf(chosen) >= 0 ? chosen : "")
    : [kept].find((id) => id && ok.indexOf(id) >= 0) || ok[0] || "";
  if (!picked && children.length) {
    const none = el("option", null, t("family_child_placeholder"));
    none.value = "";
    select.insertBefore(none, select.firstChild);
  }
  select.value = picked;
  if (!note) return;
  note.textContent = "";
  why.forEach((line) => note.appendChild(el("p", null, line)));
}
