"""Emergency care requests and their offers under /api/v1 (app.care.matching).

A guardian sends a request (child, programme, window, the place: home or work); the matching
engine offers it to the ranked providers; their staff accept or decline; the first acceptance
wins. Object-level checks on every path: a request is its guardian's (admins see all, the
unmatched queue, and an unmatched request's emergency contact, each read logged); an offer is
its provider's staff's; anything else is a 404 that changes nothing. A request's place is
personal data: it is answered only to its guardian, never to a provider (an offer names the
시군, the window and the child's first name)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from app.care.accounts import User
from app.care.bookings import Booking, action_times, allowed_now
from app.care.children import SHARE_WITH_PROVIDER, ConsentRequired, consent_version
from app.care.matching import CareRequest, MatchingEngine, MatchSettings, Offer, OfferNotFound, RequestNotFound
from app.care.states import ADMIN, CARE_REQUEST, GUARDIAN, OFFER, PROVIDER_STAFF
from app.extensions.care import get_bookings, get_children
from app.extensions.db import get_engine
from app.extensions.registry import get_index, get_registry
from app.pages.account_sessions import check, roles
from app.search.model import PROGRAMMES
from app.search.ranking import home_sigungu_code

from . import bodies, params
from .auth import CARE_UNREACHABLE, answer_database_errors
from .care_bookings import check_action
from .decline_reasons import DECLINE_FIELDS, decline_reason
from .openapi import Param, documented
from .params import InvalidParameter, clip
from .residence import home_named

bp = Blueprint("care_requests", __name__, url_prefix="/api/v1")
answer_database_errors(bp, CARE_UNREACHABLE)

SECURED_ERRORS = (400, 401, 403, 404, 409)
REQUEST_FIELDS = frozenset({"child_id", "programme", "start", "end", "place", "point", "home"})


def _now() -> datetime:
    return datetime.now(UTC)


def engine() -> MatchingEngine:
    """The matching engine of this app: the served registry's index, the request settings,
    and children's first names for the providers' messages."""
    return MatchingEngine(get_engine(), get_index, MatchSettings.from_config(current_app.config),
                          first_name=get_children().first_name)


def _none(app: Flask) -> list[Param]:
    return []


def _request_id(app: Flask) -> list[Param]:
    return [Param("request_id", {"type": "string", "maxLength": 40}, "the request's id", required=True,
                  where="path")]


def _offer_id(app: Flask) -> list[Param]:
    return [Param("offer_id", {"type": "string", "maxLength": 40}, "the offer's id", required=True, where="path")]


REQUEST_ACTIONS = ("cancel",)
OFFER_ACTIONS = ("accept", "decline")


def _request_action(app: Flask) -> list[Param]:
    return [*_request_id(app), Param("action", {"type": "string", "enum": list(REQUEST_ACTIONS)}, "what to do",
                                     required=True, where="path")]


def _offer_action(app: Flask) -> list[Param]:
    return [*_offer_id(app), Param("action", {"type": "string", "enum": list(OFFER_ACTIONS)}, "the answer",
                                   required=True, where="path")]


def _request_list(app: Flask) -> list[Param]:
    return [Param("status", {"type": "string", "enum": list(CARE_REQUEST.states)},
                  "only requests in this state (admins: unmatched is the queue for people; any other value: "
                  "400 naming the states)")]


def _offer_list(app: Flask) -> list[Param]:
    return [Param("facility_id", {"type": "string", "maxLength": 100},
                  "the provider whose open offers to list (staff: default their only one; admins: required)")]


def request_json(r: CareRequest, for_guardian: bool, acting: str | None,
                 booking_id: str | None = None) -> dict[str, object]:
    """A request as the API shows it; the place only to its guardian; ``booking_id``: the
    booking the accepted offer made (:func:`booking_ids`), null until then."""
    body: dict[str, object] = {
        "id": r.id, "child_id": r.child_id, "programme": r.programme, "start": r.start.isoformat(),
        "end": r.end.isoformat(), "place": r.place_kind, "sigun_code": r.sigun_code, "status": r.status,
        "fhir_status": r.fhir_status, "version": r.version, "match_by": r.match_by.isoformat(),
        "offered": r.offered_count, "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
        "unmatched_at": r.unmatched_at.isoformat() if r.unmatched_at else None,
        "unmatched_reason": r.unmatched_reason, "max_distance_m": r.max_distance_m, "booking_id": booking_id,
        # a matched request's cancel cancels its booking (same window): the family's cutoff applies
        "allowed_actions": [a for a in CARE_REQUEST.allowed_actions(r.status, acting) if a == "cancel" and (
            r.status != "accepted" or allowed_now(a, r.start, r.end, _now(), acting))] if acting else [],
        "actions_closed": request_actions_closed(r, acting, _now()) if acting else {}}
    if for_guardian and r.lon is not None and r.lat is not None:
        body["point"] = {"lat": r.lat, "lon": r.lon}
    return body


def request_actions_closed(r: CareRequest, acting: str, at: datetime) -> dict[str, str]:
    """As a booking's ``actions_closed`` (:func:`app.api.care_bookings.actions_closed`): the
    actions the state allows ``acting`` but the time no longer does, each with when it closed
    (ISO, UTC). Only a matched (accepted) request has one: its cancel cancels its booking, whose
    window it shares, so the family's cutoff closes it (``{"cancel": "<the cutoff>"}``); an
    open request can be cancelled at any time (``{}``)."""
    if r.status != "accepted" or "cancel" not in CARE_REQUEST.allowed_actions(r.status, acting):
        return {}
    _, until = action_times("cancel", r.start, r.end, acting)
    return {"cancel": until.isoformat()} if until is not None and at >= until else {}


def offer_json(o: Offer, r: CareRequest | None = None, first_name: str | None = None,
               booking: Booking | None = None, may_respond: bool = True) -> dict[str, object]:
    """An offer as its provider sees it: the window, programme and 시군 of the request, the
    child's first name, the deadline to answer; once accepted, the booking it made at this
    provider (``booking_id``; null for any other offer). ``allowed_actions``: what the state
    allows staff, only when the asker ``may_respond`` (:func:`_may_respond`, the check the
    answer's POST makes: an admin reading offers is listed none)."""
    body: dict[str, object] = {
        "id": o.id, "request_id": o.request_id, "facility_id": o.facility_id, "rank": o.rank, "status": o.status,
        "fhir_status": o.fhir_status, "respond_by": o.respond_by.isoformat(), "version": o.version,
        "created_at": o.created_at.isoformat(),
        "booking_id": booking.id if booking is not None and booking.offer_id == o.id else None,
        "allowed_actions": list(OFFER.allowed_actions(o.status, PROVIDER_STAFF)) if may_respond else []}
    if r is not None:
        body.update({"programme": r.programme, "start": r.start.isoformat(), "end": r.end.isoformat(),
                     "sigun_code": r.sigun_code, "first_name": first_name})
    return body


@bp.post("/care-requests")
@documented("Send an emergency care request (offers go to the ranked providers)", _none, "CareRequest",
            method="post", body="CareRequestInput", errors=SECURED_ERRORS, created=True)
def create_request() -> Response:
    """The guardian's child, programme, window and place (``home`` or ``work`` with its
    ``point``; with ``work``, the ``home`` point too, for the residence rules)."""
    user = check("care_requests.create")
    check("care_requests.create", owner_id=user.id)
    choices = {"programme": PROGRAMMES, "place": ("home", "work")}  # closed sets: a missing one names its values
    body = bodies.json_object(REQUEST_FIELDS, REQUEST_FIELDS - {"home"}, choices=choices)
    tz = get_registry().locale.tz
    child_id, programme, place = (bodies.text(body, n, max_chars=100, choices=choices.get(n))
                                  for n in ("child_id", "programme", "place"))
    assert child_id and programme and place
    if place not in ("home", "work"):
        raise InvalidParameter(f"place must be home or work, not {clip(place)}", "place", "unknown_value")
    point = bodies.point(body, "point")
    if point is None:
        raise InvalidParameter('point is required: {"lat": <degrees>, "lon": <degrees>}', "point", "missing")
    home = bodies.point(body, "home")
    if place == "work" and home is None:
        raise InvalidParameter("with place work, give the home too (home: {lat, lon}): who may use a "
                               "programme depends on where the family lives", "home", "missing")
    start, end = bodies.moment(body, "start", tz), bodies.moment(body, "end", tz)
    children = get_children()
    child = children.get(user.id, child_id)
    if not children.has_consent(user.id, SHARE_WITH_PROVIDER):
        raise ConsentRequired(SHARE_WITH_PROVIDER, consent_version(SHARE_WITH_PROVIDER),
                              "sending a request (the provider that accepts sees the child's first name, age, "
                              "care notes and emergency contact)")
    # Outside the programme's area: the field sent for the home (``point`` with place home) and
    # the place by name, as bookings say it (app.api.residence).
    with home_named("point" if place == "home" else "home", home or point):
        made = engine().create(user.id, child_id, programme, start, end, place, point, child.birth_date, _now(),
                               home_sigungu=home_sigungu_code(*home) if home is not None else None)
    response = jsonify(request_json(made, True, GUARDIAN))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/care-requests/{made.id}"
    return response


@bp.get("/care-requests")
@documented("Care requests: a guardian's own; admins: by state (unmatched: the queue for people)",
            _request_list, "CareRequestList", errors=SECURED_ERRORS)
def list_requests() -> Response:
    user = check("care_requests.read")
    status = params.one_of(request.args, "status", CARE_REQUEST.states, "a care request's states")
    matching = engine()
    if any(g.role == ADMIN for g in user.grants):
        if status != "unmatched":
            raise InvalidParameter("admins list the queue for people: status=unmatched", "status")
        check("care_requests.unmatched")
        return jsonify({"care_requests": [request_json(r, False, ADMIN) for r in matching.unmatched(limit=200)]})
    found = matching.of_guardian(user.id, status=status)
    booked = booking_ids(found)
    return jsonify({"care_requests": [request_json(r, True, GUARDIAN, booked.get(r.id)) for r in found]})


def booking_ids(found: list[CareRequest]) -> dict[str, str]:
    """The bookings the requests' accepted offers made, by request id."""
    return {rid: b.id for rid, b in get_bookings().of_requests(r.id for r in found).items()}


def _visible_request(request_id: str) -> tuple[User, CareRequest, str]:
    user = check("care_requests.read")
    try:
        found = engine().get(request_id)
    except RequestNotFound:
        found = None
    acting = roles().acting_as(user, "care_requests.read", owner_id=found.guardian_id) if found else None
    if found is None or acting is None:
        raise RequestNotFound(f"no care request {request_id!r} of yours", "request_id")
    return user, found, acting


@bp.get("/care-requests/<request_id>")
@documented("One care request with its transitions and offers' states", _request_id, "CareRequest",
            errors=SECURED_ERRORS)
def read_request(request_id: str) -> Response:
    _, found, acting = _visible_request(request_id)
    matching = engine()
    body = request_json(found, acting == GUARDIAN, acting, booking_ids([found]).get(found.id))
    body["events"] = matching.events(request_id)
    body["offers"] = [{"facility_id": o.facility_id, "rank": o.rank, "status": o.status,
                       "respond_by": o.respond_by.isoformat(), "distance_m": o.distance_m}
                      for o in matching.offers_of(request_id)]
    return jsonify(body)


@bp.post("/care-requests/<request_id>/<action>")
@documented("Act on a care request: cancel (its open offers are withdrawn)", _request_action, "CareRequest",
            method="post", body="BookingAction", errors=SECURED_ERRORS)
def act_on_request(request_id: str, action: str) -> Response:
    """``cancel`` (optional ``reason``); any other action is a 400 listing the actions, as for
    bookings and offers."""
    check_action(action, REQUEST_ACTIONS)
    user, _, _ = _visible_request(request_id)
    found = engine().get(request_id)
    acting = roles().acting_as(user, "care_requests.cancel", owner_id=found.guardian_id)
    if acting is None:
        acting = ADMIN if any(g.role == ADMIN for g in user.grants) else None
    if acting is None:
        raise RequestNotFound(f"no care request {request_id!r} of yours", "request_id")
    body = bodies.json_object(frozenset({"reason", "version"}))
    done = engine().cancel(request_id, acting, user.id, _now(), bodies.text(body, "reason", max_chars=500,
                                                                           required=False))
    return jsonify(request_json(done, acting == GUARDIAN, acting, booking_ids([done]).get(done.id)))


@bp.get("/care-requests/<request_id>/contact")
@documented("The family's emergency contact for an unmatched request (admins; every read is logged)", _request_id,
            "RequestContact", errors=SECURED_ERRORS)
def read_request_contact(request_id: str) -> Response:
    """The child's emergency contact (name, phone) and the guardian's relation, for the admin
    who calls back the family of a request nobody accepted; only while it is unmatched (else a
    409 with ``current_state``). Each answer is logged as a read of the child's record."""
    user = check("care_requests.contact")
    return jsonify(get_children().contact_for_unmatched_request(request_id, user, _now()).as_dict())


def _offers_facility(user: User, facility_id: str | None) -> str:
    """The provider whose open offers ``user`` lists: ``facility_id``, or the staff's only
    provider when none is named. An admin (``offers.read`` on every provider, roles.json) names
    one; staff name one of theirs. Refused (400, reason ``missing`` or ``not_yours``) saying
    what the caller may list."""
    mine = roles().facilities(user, "offers.read")
    admin = roles().allows(user, "offers.read")  # a role whose scope is every provider
    if facility_id is None:
        if len(mine) == 1 and not admin:
            return mine[0]
        if admin:
            raise InvalidParameter("name the provider whose open offers to list (facility_id): an administrator may "
                                   "list any provider's; requests nobody accepted are at "
                                   "/api/v1/care-requests?status=unmatched", "facility_id", "missing")
        raise InvalidParameter(f"name the provider whose open offers to list (facility_id): one of "
                               f"{', '.join(mine)}", "facility_id", "missing")
    if not roles().allows(user, "offers.read", facility_id=facility_id):
        raise InvalidParameter(f"you answer offers for {', '.join(mine)} only, not {clip(facility_id)}", "facility_id",
                               "not_yours")
    return facility_id


@bp.get("/offers")
@documented("The open offers to a provider (its staff; admins name the provider)", _offer_list, "OfferList",
            errors=SECURED_ERRORS)
def list_offers() -> Response:
    """The provider's open offers, without the child (``first_name`` null): its staff ask
    ``/offers/<id>/child`` when they show the child, and that read is logged."""
    user = check("offers.read")
    facility_id = _offers_facility(user, request.args.get("facility_id"))
    matching = engine()
    out = []
    for o in matching.open_offers(facility_id):
        out.append(offer_json(o, matching.get(o.request_id), may_respond=_may_respond(user, facility_id)))
    return jsonify({"offers": out})


def _answers_for(user: User, facility_id: str) -> bool:
    """Whether ``user`` is the provider's own staff: the only people an offer names the child to
    (by first name); an admin reads offers without it, in the list and one by one alike."""
    return roles().acting_as(user, "offers.respond", facility_id=facility_id) == PROVIDER_STAFF


def _may_respond(user: User, facility_id: str) -> bool:
    """Whether ``user`` may accept or decline the provider's offers: the permission check
    :func:`_visible_offer` makes for an answer (``offers.respond``), so an offer's
    ``allowed_actions`` never list what its POST refuses."""
    return roles().allows(user, "offers.respond", facility_id=facility_id)


def _first_name_for(user: User, facility_id: str, child_id: str) -> str | None:
    """None: an offer's answers never carry the child's name (an unlogged read); the staff see
    it through ``/offers/<id>/child``, logged."""
    return None


def _visible_offer(offer_id: str, permission: str) -> tuple[User, Offer]:
    user = check(permission)
    try:
        found = engine().offer(offer_id)
    except OfferNotFound:
        found = None
    if found is None or not roles().allows(user, permission, facility_id=found.facility_id):
        raise OfferNotFound(f"no offer {offer_id!r} for your provider", "offer_id")
    return user, found


@bp.get("/offers/<offer_id>")
@documented("One offer (its provider's staff)", _offer_id, "Offer", errors=SECURED_ERRORS)
def read_offer(offer_id: str) -> Response:
    user, found = _visible_offer(offer_id, "offers.read")
    r = engine().get(found.request_id)
    return jsonify(offer_json(found, r, _first_name_for(user, found.facility_id, r.child_id),
                              get_bookings().of_requests([r.id]).get(r.id), _may_respond(user, found.facility_id)))


@bp.get("/offers/<offer_id>/child")
@documented("The child of an open offer (its provider's staff): first name and age; every read is logged",
            _offer_id, "ChildForOffer", errors=SECURED_ERRORS)
def read_offered_child(offer_id: str) -> Response:
    """First name and age in months of the offer's child, for the offered provider's staff while
    the offer is open (the family's share_with_provider consent current); a logged read of the
    child's record (purpose answering_offer). 404 otherwise."""
    user, found = _visible_offer(offer_id, "offers.respond")
    if not _answers_for(user, found.facility_id):
        raise OfferNotFound(f"no offer {offer_id!r} to your provider", "offer_id")
    return jsonify(get_children().read_for_offer(offer_id, user, _now()).as_dict())


@bp.post("/offers/<offer_id>/<action>")
@documented("Answer an offer: accept (the first acceptance wins) or decline", _offer_action, "Offer",
            method="post", body="BookingAction", errors=SECURED_ERRORS)
def answer_offer(offer_id: str, action: str) -> Response:
    """``accept``: the request is matched to this provider, once (a later acceptance is a 409
    naming the offer's state); ``decline`` (optional ``reason``): the next providers are offered."""
    check_action(action, OFFER_ACTIONS)
    user, found = _visible_offer(offer_id, "offers.respond")
    body = bodies.json_object(DECLINE_FIELDS | {"version"})
    reason = decline_reason(body)  # a preset by its code, or the staff's words
    matching = engine()
    if action == "accept":
        outcome = matching.accept(offer_id, user.id, _now(), facility_id=found.facility_id)
    else:
        outcome = matching.decline(offer_id, user.id, _now(), reason=reason, facility_id=found.facility_id)
    first_name = _first_name_for(user, found.facility_id, outcome.request.child_id)
    return jsonify(offer_json(outcome.offer, outcome.request, first_name, outcome.booking))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
