// A consent the API asked for before it books or sends a request (409 consent_required, naming
// the purpose): why, in the page's words; the consent's text in the page's language; and a
// button that records it (POST /api/v1/consents) and then runs `given()` (ask again). Shared by
// /family/book and /family/request; `words.why` is the key of the sentence saying why (the
// booking's, the request's), `words.agree` the prefix of the button's key (+ the purpose).
import { el, t } from "../common.js";
import { errorText, getConsents, send } from "./api.js";

export function askConsent(purpose, where, given, words) {
  where.appendChild(el("p", "error", t(words.why)));
  return getConsents().then((res) => {
    if (!res.ok) { where.appendChild(el("p", "error", errorText(res))); return; }
    const text = res.body.texts.find((c) => c.purpose === purpose);
    if (!text) return;
    const box = el("div", "consent");
    box.dataset.purpose = purpose;
    box.appendChild(el("h3", null, text.title));
    box.appendChild(el("p", "consent-text", text.text));
    const key = t(words.agree + purpose) !== words.agree + purpose ? words.agree + purpose : "family_consent_agree_" + purpose;
    const agree = el("button", "primary", t(key));
    agree.type = "button";
    agree.id = "give-consent";
    agree.addEventListener("click", () => {
      agree.disabled = true;
      send("POST", "/api/v1/consents", { purpose, version: text.version }).then((r) => {
        if (!r.ok) { agree.disabled = false; box.appendChild(el("p", "error", errorText(r))); return; }
        where.textContent = "";
        given();
      });
    });
    box.appendChild(agree);
    where.appendChild(box);
  });
}
