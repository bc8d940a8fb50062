"""The care cycle's pages, phone first, Korean and English (``?lang=en``), on top of the JSON API
(``app.api.care_family``, ``app.api.care_bookings``): the pages render the frame and what only
the server knows (the provider's name, the settings); their scripts (``static/js/family``) read
and write everything else through the API, with the session cookie and the page's CSRF token
(``<meta name="csrf-token">``, sent as ``X-CSRFToken``).

- ``/family`` (guardians): my children (register with the consent texts shown, each consent
  recorded before the child; change; delete), my bookings with their states (cancel, with a
  confirmation), download my data (``/api/v1/me/export``), delete my data (with a confirmation).
- ``/family/book?facility_id=…&programme=…[&start=…&end=…][&home=lat|lon|label]`` (guardians):
  pick the child and the window, see the quote (fee in won, confirmed at once or waiting for the
  provider, the hold time), book, and follow the booking's state until the provider answers;
  a booking that cannot be made, is declined or lapses links back to the map's search with the
  same window to find the next providers. ``start``/``end`` are wall-clock times in the
  registry's zone (``YYYY-MM-DDTHH:MM``, as the map sends them); ``home`` is the map's home.
- ``/provider/inbox[?facility_id=…]`` (provider staff): new bookings appear within 2 s (the page
  polls the API every second while it is visible), opened one at a time (the child's first name,
  age and notes: every opening is logged by the API), accepted or declined with a reason;
  today's list with check-in, check-out and no-show; places derived for the days ahead chosen; the
  automatic-confirmation switch; the open offers of emergency care (``app.api.care_requests``)
  in the same poll, each with the child's first name, programme, window, 시군 and the time left
  to answer (accept, or decline with an optional reason). Staff of several providers pick one.
  (``/provider`` stays the token-based availability report of ``app.pages.site``.)
- ``/family/request[?programme=…&start=…&end=…&home=lat|lon|label&child_id=…]`` (guardians):
  send an emergency care request (긴급돌봄 요청: the child, the programme, the window, the place
  — home or work, typed as the map's place search does, the home carried from the map or the
  booking page) and follow it: offered to providers one after another, accepted (the
  provider's name and a link to the booking the acceptance made, on ``/family``), in care,
  done, unmatched (passed to people who will call) or cancelled. ``?request_id=…`` follows one
  of the guardian's requests (the state, provider and booking link rendered by the server too).
- ``/admin/care-requests`` (admins): the unmatched requests, the queue for people (programme,
  window, 시군, waiting since — nothing about the child or the place).

Signed out, each page sends the visitor to sign in and back (``next``); a signed-in person
whose roles do not fit gets the 403 page (``app.pages.account_sessions``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, render_template, request
from markupsafe import Markup

from app.care.children import relations
from app.care.matching import MatchingEngine, RequestNotFound, request_horizon_config, request_rule
from app.care.notify import reasons as decline_reasons
from app.care.rules import BookingRule, booking_rule, pattern_reach_days, places_ahead_choices
from app.care.states import BOOKING
from app.extensions.care import get_bookings, get_desk
from app.extensions.db import get_engine
from app.extensions.registry import get_index, get_registry
from app.geo.area_names import sigun_names
from app.i18n import catalogue, current_language, translate
from app.pages import account_sessions as people
from app.reference import document
from app.search.model import PROGRAMMES, Facility, programme_rules

bp = Blueprint("family", __name__)

BOOKABLE = ("always_daycare", "elementary_emergency")
"""The programmes booked through these pages: each has a booking rule
(``app/reference/booking_rules.json``, checked at start-up); the map's "Book" links
(``static/js/map/text.js``) offer the same ones."""
POLL_INBOX_MS = 1000
"""How often the inbox asks for new bookings while visible: a new one shows within 2 s."""
POLL_BOOKING_MS = 2000
"""How often a guardian's page asks about a booking that waits for the provider."""
POLL_REQUEST_MS = 2000
"""How often a guardian's page asks about an emergency request that waits for a provider."""
POLL_QUEUE_MS = 10000
"""How often the admins' queue of unmatched requests is read again."""
_WALL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_HOME = re.compile(r"^-?\d{1,3}(\.\d+)?\|-?\d{1,3}(\.\d+)?(\|.{0,100})?$")


def _config(**more: Any) -> Markup:
    """The page's settings and messages as a JSON data block (not executed): ``</`` cannot
    appear in it, so the block cannot be closed early."""
    registry = get_registry()
    data = {"lang": current_language(), "messages": catalogue(current_language()),
            "timezone": registry.locale.timezone, **more}
    return Markup(json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))


def _relations() -> list[tuple[str, str]]:
    lang = current_language()
    return [(key, labels.get(lang) or labels["ko"]) for key, labels in relations().items()]


@bp.get("/family")
@people.require("children.manage")
def family_page() -> str:
    """The guardian's children and bookings, and their data rights."""
    return render_template("family.html", relations=_relations(),
                           page_config=_config(poll_ms=POLL_BOOKING_MS, relations=dict(_relations())))


def _wall_time(name: str) -> str | None:
    """``start``/``end`` from the query when shaped as the map sends them and a real time, else
    None (the page then fills a window of its own and says so: :func:`_times_unread`; a
    malformed one is not an error: the person types it)."""
    value = request.args.get(name, "")
    if not _WALL.match(value):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:  # shaped right, not a time: 2026-13-45T25:99
        return None
    return value


def _times_unread() -> bool:
    """Whether the link named a start or an end the page cannot read: it then fills its own
    window, and must say so (tester 29: a broken link silently booked another window)."""
    return any(request.args.get(n) for n in ("start", "end")) and not (_wall_time("start") and _wall_time("end"))


@bp.get("/family/book")
@people.require("bookings.create")
def book_page() -> tuple[str, int] | str:
    """Book a place at one provider for one programme; 404 page naming what is wrong when the
    provider is not in the registry or does not run a bookable programme."""
    facility_id = request.args.get("facility_id", "")
    programme = request.args.get("programme", "")
    facility = get_index().by_id.get(facility_id)
    if facility is None:  # never the raw id: a parent cannot act on it
        return people.message_page("family_book_title", translate(
            "family_book_unknown_provider" if facility_id else "family_book_pick_provider"),
            404 if facility_id else 400, link=(_map_url(), translate("family_back_to_map")))
    runs = [p for p in BOOKABLE if p in facility.programmes]
    if not programme and len(runs) == 1:
        programme = runs[0]
    if programme not in runs:
        return _wrong_programme(facility, programme, runs)
    rule = booking_rule(programme)
    home = request.args.get("home", "")
    cfg = {"facility_id": facility.id, "programme": programme, "ages": _ages(rule, facility),
           "start": _wall_time("start"), "end": _wall_time("end"), "times_unread": _times_unread(),
           "home": home if _HOME.match(home) else None,
           "confirms_at_once": rule.booking == "real_time" or get_desk().auto_confirms(facility.id),
           "hold_minutes": int(current_app.config["CARE_BOOKING_HOLD_MINUTES"]), "poll_ms": POLL_BOOKING_MS,
           "online": get_bookings().opens_places(facility.id, programme, datetime.now(UTC)),
           "repeat": _repeat_limits(rule), "max_days": rule.max_days, **_request_limits(programme),
           "daily_days": rule.daily_max_days,  # "same hours each day" for up to this many days (None: not offered)
           "phone": facility.phone or ""}  # said when places end before a weekly pattern does
    request_query = {"programme": programme, "lang": current_language(),
                     **{k: v for k in ("start", "end", "home") if (v := cfg[k])}}
    return render_template("family_book.html", facility=facility, programme=programme, online=cfg["online"],
                           request_url="/family/request?" + urlencode(request_query), rule=rule,
                           next_url=_next_providers_url(programme, cfg["start"], cfg["end"], cfg["home"], facility.id),
                           page_config=_config(**cfg))


def _next_providers_url(programme: str, start: str | None, end: str | None, home: str | None,
                        skip: str) -> str:
    """The map's search for the next providers with a place (the same programme, window and
    home, this provider left out): the link book.js's ``mapSearchUrl`` makes, for the page's
    own links."""
    query = {k: v for k, v in (("home", home), ("start", start if start and end else None),
                               ("end", end if start and end else None), ("programme", programme)) if v}
    return f"{_map_url()}#" + urlencode({**query, "available": "1", "skip": skip})


def _repeat_limits(rule: BookingRule) -> dict[str, Any] | None:
    """What the page needs to offer a weekly pattern (None: the programme books none):
    ``max_range_days``, the longest range from the first date to the end date."""
    if "weekly" not in rule.patterns:
        return None
    return {"max_range_days": rule.weekly_max_range_days, "max_weeks": rule.weekly_max_weeks}


def _wrong_programme(facility: Facility, asked: str, runs: list[str]) -> tuple[str, int]:
    """The 404 page of a booking link whose ``programme`` this provider does not book online:
    one sentence naming what was asked (its name, or the code as given when it is no programme)
    and the programmes that can be booked here, or, when none can, the ones booked online
    anywhere; the link books the provider's only one, else goes back to the map."""
    link = (_map_url(), translate("family_back_to_map"))
    if not runs:
        text = translate("family_book_not_bookable", name=facility.name,
                         bookable=", ".join(translate("programme_" + p) for p in BOOKABLE))
        return people.message_page("family_book_title", text, 404, link=link)
    names = ", ".join(translate("programme_" + p) for p in runs)
    if not asked:
        text = translate("family_book_pick_programme", name=facility.name, runs=names)
    else:
        shown = translate("programme_" + asked) if asked in PROGRAMMES else asked[:40]
        text = translate("family_book_wrong_programme", name=facility.name, asked=shown, runs=names)
    if len(runs) == 1:
        query = urlencode({"facility_id": facility.id, "programme": runs[0], "lang": current_language()})
        link = (f"/family/book?{query}", translate("book_link_programme", programme=names))
    return people.message_page("family_book_title", text, 404, link=link)


def _ages(rule: BookingRule, facility: Facility) -> dict[str, int] | None:
    """The ages in whole months (inclusive) a child booked for ``rule``'s programme at
    ``facility`` may be: the programme's and the provider's (:func:`app.care.rules.check_provider`);
    None when the provider does not say (the API then refuses, naming it)."""
    low, high = facility.age_min_months, facility.age_max_months
    if low is None or high is None:
        return None
    e = rule.eligibility
    return {"min_months": max(low, e.age_min_months), "max_months": min(high, e.age_max_months)}


def _request_limits(programme: str) -> dict[str, Any]:
    """What the booking page needs to know before offering an emergency request instead (the
    request page would refuse it otherwise): ``request_horizon``, how far ahead a request's
    window may start (:func:`app.care.matching.request_horizon_config`); ``request_ages``,
    the ages in whole months (inclusive) the programme itself takes; ``request_same_day``, the
    programmes a request for today may still ask for once this one's same-day cutoff has passed
    (those without one, :func:`app.care.matching.request_rule`: ``[{programme, min_months,
    max_months}]``)."""
    def ages(p: str) -> dict[str, Any]:
        rule = programme_rules()[p]
        return {"programme": p, "min_months": rule.age_min_months, "max_months": rule.age_max_months}
    return {"request_horizon": request_horizon_config(), "request_ages": ages(programme),
            "request_same_day": [ages(p) for p in PROGRAMMES
                                 if p != programme and request_rule(p).same_day_booking_until is None]}


def _map_url() -> str:
    return f"/?lang={current_language()}"


@bp.get("/provider/inbox")
@people.require("bookings.confirm")
def inbox_page() -> str:
    """The provider's bookings inbox, today's list, places and settings; staff of several
    providers pick one (``facility_id``; one they are not staff of is the 403 page)."""
    user = people.current_user()
    assert user is not None  # require() made sure
    mine = people.roles().facilities(user, "bookings.confirm")
    index = get_index().by_id
    choices = [(f, index[f].name if f in index else f) for f in mine]
    chosen = request.args.get("facility_id") or (mine[0] if len(mine) == 1 else None)
    if chosen is None:
        return render_template("provider_inbox.html", choices=choices, facility=None, page_config=_config())
    people.check("bookings.confirm", facility_id=chosen)
    facility = index.get(chosen)
    programmes = [p for p in BOOKABLE if facility is not None and p in facility.programmes]
    cfg = {"facility_id": chosen, "programmes": programmes, "poll_ms": POLL_INBOX_MS,
           "auto_confirm": get_desk().auto_confirms(chosen), "decline_reasons": _decline_reasons(),
           "siguns": sigun_names(current_language()),
           # per programme, how many days ahead staff may open places (booking_rules.json): the
           # choices, and a weekly pattern's whole reach (weekly_max_weeks x 7; null: no pattern)
           "places_ahead": {p: {"choices": places_ahead_choices(p), "pattern_days": pattern_reach_days(p)}
                            for p in programmes}}
    # Automatic confirmation matters only for programmes whose bookings wait for the staff's
    # answer: 언제나 어린이집 books in real time (booking_rules.json; tester 31)
    real_time = [p for p in programmes if booking_rule(p).booking == "real_time"]
    answered = [p for p in programmes if p not in real_time]
    return render_template("provider_inbox.html", choices=choices, facility=facility, facility_id=chosen,
                           programmes=programmes, places_ahead=cfg["places_ahead"], answered=answered,
                           real_time=", ".join(translate(f"programme_{p}") for p in real_time),
                           page_config=_config(**cfg))


@dataclass(frozen=True)
class FollowedRequest:
    """A guardian's request as ``/family/request?request_id=…`` shows it before its script runs:
    its state, the provider that took it (None until one did) and the booking that acceptance
    made (None for a home visit, or before)."""

    id: str
    status: str
    provider: str | None
    booking_id: str | None


def _followed(request_id: str) -> FollowedRequest | None:
    """The signed-in guardian's own request ``request_id`` (None: no such request of theirs)."""
    user = people.current_user()
    assert user is not None  # require() made sure
    try:
        found = MatchingEngine(get_engine(), None).get(request_id)
    except RequestNotFound:
        return None
    if people.roles().acting_as(user, "care_requests.read", owner_id=found.guardian_id) is None:
        return None
    booking = get_bookings().of_requests([found.id]).get(found.id)
    provider_id = booking.facility_id if booking is not None else next(
        (o.facility_id for o in MatchingEngine(get_engine(), None).offers_of(found.id) if o.status == "accepted"),
        None)
    facility = get_index().by_id.get(provider_id) if provider_id is not None else None
    return FollowedRequest(found.id, found.status, facility.name if facility is not None else provider_id,
                           booking.id if booking is not None else None)


@bp.get("/family/request")
@people.require("care_requests.create")
def request_page() -> tuple[str, int] | str:
    """Send an emergency care request and follow its state. The query may carry what the map
    or the booking page knew (the programme, the window as wall-clock ``YYYY-MM-DDTHH:MM``, the
    home ``lat|lon|label``, the child): what is malformed or unknown is left for the person.
    ``request_id``: follow that request of the guardian's instead (its state, and once a
    provider took it, the provider and a link to the booking on ``/family``); another's or an
    unknown one is the 404 page."""
    request_id = request.args.get("request_id", "")
    followed = _followed(request_id[:40]) if request_id else None
    if request_id and followed is None:
        return people.message_page("request_title", translate("request_not_found"), 404,
                                   link=(f"/family?lang={current_language()}", translate("request_my_requests")))
    programme = request.args.get("programme", "")
    home = request.args.get("home", "")
    child_id = request.args.get("child_id", "")
    rules = programme_rules()
    cfg = {"programmes": list(PROGRAMMES), "home_only": [p for p in PROGRAMMES if rules[p].where == "home"],
           "ages": {p: {"min_months": rules[p].age_min_months, "max_months": rules[p].age_max_months}
                    for p in PROGRAMMES},
           "programme": programme if programme in PROGRAMMES else None,
           "start": _wall_time("start"), "end": _wall_time("end"), "times_unread": _times_unread(),
           "home": home if _HOME.match(home) else None,
           "child_id": child_id[:40] or None, "poll_ms": POLL_REQUEST_MS,
           "request_horizon": request_horizon_config(),
           "response_minutes": int(current_app.config["CARE_OFFER_RESPONSE_MINUTES"]),
           "match_minutes": int(current_app.config["CARE_REQUEST_MATCH_MINUTES"]),
           "request_id": followed.id if followed is not None else None}
    return render_template("family_request.html", programmes=PROGRAMMES, followed=followed,
                           page_config=_config(**cfg))


@bp.get("/admin/care-requests")
@people.require("care_requests.unmatched")
def unmatched_page() -> str:
    """The admins' queue of unmatched emergency requests (read from the API by the page)."""
    return render_template("admin_care_requests.html",
                           page_config=_config(poll_ms=POLL_QUEUE_MS, siguns=sigun_names(current_language()),
                                               relations=dict(_relations())))


def _decline_reasons() -> list[dict[str, str]]:
    """The common reasons offered when declining (``{"code", "text"}``, the text in the page's
    language; app/reference/decline_reasons.json): sent and stored by their code, so the family
    reads them in its own language (tester 28)."""
    return decline_reasons.choices(current_language())


def init_app(app: Flask) -> None:
    """Register the pages. Start-up stops when the catalogue names no booking state (a new
    state would show its code to families) or a bookable programme has no booking rule."""
    for lang in ("ko", "en"):
        missing = [s for s in BOOKING.states if "booking_state_" + s.replace("-", "_") not in catalogue(lang)]
        if missing:
            raise RuntimeError(f"app/translations/{lang}.json names no booking state "
                               f"{', '.join(missing)} (keys booking_state_<state>)")
    for programme in BOOKABLE:
        booking_rule(programme)  # a programme without a booking rule stops start-up, naming it
    document("consents.json")  # read once now: a broken file stops start-up, not a family's page
    app.register_blueprint(bp)
