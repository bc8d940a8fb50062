// An emergency care request as the guardian follows it (on /family/request and /family): its
// state in words — offered to providers one after another, accepted (with the provider's
// name and a link to the booking the acceptance made), in care, done, unmatched (passed to
// people who will call), cancelled — the programme and window, and a cancel that asks first
// (once the session ended, a link to sign in again instead; once the family's cutoff passed, why
// not, with the provider's phone).
import { el, pageConfig, t } from "../common.js";
import { cancelClosedLine, errorText, facilityOf, getJson, programmeName, send, signInAgainUrl, whenSignedOut,
  windowText } from "./api.js";

function facilityName(id) {
  return facilityOf(id).then((f) => f.name);
}

// What a request that followed its booking says: in care (checked in), done (checked out), did
// not happen (a no-show), cancelled (by the family, or the provider with a reason).
const FOLLOWED_EXPLAIN = { "in-progress": "request_explain_in_progress", completed: "request_explain_completed",
  failed: "request_explain_failed", cancelled: "request_explain_cancelled" };

// A request's reach limit (max_distance_m, metres) in km as the messages say it: "10", "12.5".
export function reachKm(metres) {
  return String(Math.round(metres / 100) / 10);
}

export function requestStateName(status) {
  return t("request_state_" + String(status).replace("-", "_"));
}

// The request's card: `r` as GET /api/v1/care-requests/<id> answers (with its offers) or as
// the list does (then an accepted request's provider is read from the request);
// `changed(r)` runs after a cancel (with the answer).
export function requestCard(r, changed, childName) {
  const box = el("div", "card request state-" + r.status);
  box.dataset.id = r.id;
  box.dataset.status = r.status;
  const head = el("p", "state");
  head.appendChild(el("strong", "badge", requestStateName(r.status)));
  box.appendChild(head);
  box.appendChild(el("p", null, (childName ? childName + " · " : "") + programmeName(r.programme)));
  box.appendChild(el("p", null, windowText(r.start, r.end) + " · " + t("request_place_" + r.place)));
  const explain = el("p", "explain");
  box.appendChild(explain);
  if (r.status === "requested") {
    explain.textContent = t("request_explain_requested", { n: r.offered });
  } else if (r.status === "accepted") {
    explain.textContent = t("request_explain_accepted_wait");
    providerOf(r).then((id) => {
      if (!id) { explain.textContent = t("request_explain_accepted_unknown"); return; }
      facilityName(id).then((name) => {
        explain.textContent = t("request_explain_accepted", { name });
        box.dataset.provider = name;
      });
    });
  } else if (r.status === "unmatched" && r.unmatched_reason === "no_provider_within_reach" && r.max_distance_m) {
    // Eligible providers exist, all too far for an emergency: say so, not "nobody".
    explain.textContent = t("request_explain_unmatched_far", { km: reachKm(r.max_distance_m) });
  } else if (r.status === "unmatched") {
    explain.textContent = t("request_explain_unmatched");
  } else if (FOLLOWED_EXPLAIN[r.status]) {
    explain.textContent = t(FOLLOWED_EXPLAIN[r.status]);
  }
  if (r.booking_id) {
    // The booking the acceptance made follows the request's state (and it the booking's):
    // the provider's name, and the booking's card on /family.
    if (r.status !== "accepted") {
      const who = el("p", "provider");
      box.appendChild(who);
      providerOf(r).then((id) => {
        if (id) facilityName(id).then((name) => { who.textContent = t("request_explain_provider", { name }); });
      });
    }
    box.appendChild(el("p")).appendChild(bookingLink(r.booking_id));
  }
  if ((r.allowed_actions || []).indexOf("cancel") >= 0) box.appendChild(cancelBlock(r, changed));
  else if (r.actions_closed && r.actions_closed.cancel) closedLine(r, box);
  return box;
}

// A matched request the family may no longer cancel (the API's actions_closed.cancel, as its
// booking's: the family's cutoff passed, app/reference/booking_rules.json) says so as the
// booking's card does (api.js cancelClosedLine), with the phone of the provider that took it.
function closedLine(r, box) {
  box.appendChild(cancelClosedLine(r.actions_closed.cancel, r.start, providerOf(r)));
}

// The booking's card on /family (#booking-<id>): on that page itself, only the anchor.
function bookingLink(bookingId) {
  const a = el("a", "booking-link", t("request_see_booking"));
  const anchor = "#booking-" + encodeURIComponent(bookingId);
  a.href = location.pathname === "/family" ? anchor : "/family?lang=" + (pageConfig().lang || "ko") + anchor;
  a.dataset.booking = bookingId;
  return a;
}

// The provider whose offer of `r` was accepted (a Promise of its id, null when none was): from
// the request's offers, else read once (the list gives none; an acceptance is final).
const winners = {};  // request id -> the accepted offer's facility id
function providerOf(r) {
  const pick = (offers) => {
    const won = (offers || []).find((o) => o.status === "accepted");
    if (won) winners[r.id] = won.facility_id;
    return won ? won.facility_id : null;
  };
  if (r.offers) return Promise.resolve(pick(r.offers));
  if (winners[r.id]) return Promise.resolve(winners[r.id]);
  return getJson("/api/v1/care-requests/" + encodeURIComponent(r.id)).then((res) => (res.ok ? pick(res.body.offers) : null));
}

function cancelBlock(r, changed) {
  const box = el("div", "confirm");
  const button = el("button", "danger-outline", t("request_cancel"));
  button.type = "button";
  button.dataset.action = "cancel";
  const ask = el("div", "ask");
  ask.hidden = true;
  ask.setAttribute("role", "group");
  ask.appendChild(el("p", null, t("request_cancel_question")));
  const yes = el("button", "danger", t("request_cancel_yes"));
  yes.type = "button";
  yes.dataset.action = "cancel-yes";
  const no = el("button", null, t("family_keep"));
  no.type = "button";
  const problem = el("p", "error");
  problem.setAttribute("role", "alert");
  // Why an earlier cancel failed is about that attempt: gone when the question is asked again or put away.
  button.addEventListener("click", () => { problem.textContent = ""; ask.hidden = false; button.hidden = true; yes.focus(); });
  no.addEventListener("click", () => { problem.textContent = ""; ask.hidden = true; button.hidden = false; button.focus(); });
  yes.addEventListener("click", () => {
    yes.disabled = true;
    send("POST", "/api/v1/care-requests/" + encodeURIComponent(r.id) + "/cancel", {}).then((res) => {
      yes.disabled = false;
      if (!res.ok) { problem.textContent = errorText(res); return; }
      changed(res.body);
    });
  });
  ask.appendChild(yes);
  ask.appendChild(no);
  box.appendChild(button);
  box.appendChild(ask);
  box.appendChild(problem);
  // Cancelling needs a session: once it ended (api.js says so at the page's top), the block
  // offers signing in again, back to this page, instead of a cancel that would be refused.
  whenSignedOut(() => {
    box.textContent = "";
    const again = el("a", "sign-in-to-cancel", t("request_cancel_sign_in"));
    again.href = signInAgainUrl();
    box.appendChild(el("p")).appendChild(again);
  });
  return box;
}
