"""Bookings under /api/v1: guardians book and cancel, provider staff publish places and answer
bookings, admins see all. Every path checks the object: a booking is the guardian's own
(``guardian_id``), its provider's (the staff's granted ``facility_id``) or any (admin); anything
else is a 404 and changes nothing. State changes are the lifecycle's actions
(:data:`app.care.states.BOOKING`): an action not allowed from the booking's state is a 409 with
``current_state`` and ``allowed_actions``; a stale ``version`` is a 409 with the current one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Flask, Response, has_app_context, jsonify, request

from app.care.accounts import Roles, User
from app.care.bookings import PATTERN_ACTIONS, Booking, BookingNotFound, Slot, action_times, allowed_now
from app.care.desk import Repeat
from app.care.references import booking_reference
from app.care.rules import max_places_ahead_days
from app.care.slots import change_places, derive_slots, period
from app.care.states import ADMIN, BOOKING, GUARDIAN, PROVIDER_STAFF, InvalidTransition
from app.care.windows import WEEKDAY_NAMES, WindowError
from app.errors import clip
from app.extensions.care import get_bookings, get_children, get_desk
from app.extensions.registry import get_index, get_registry
from app.pages.account_sessions import NotAllowed, check, roles
from app.search.ranking import home_sigungu_code

from . import bodies, params
from .auth import CARE_UNREACHABLE, answer_database_errors
from .decline_reasons import DECLINE_FIELDS, decline_reason, shown_events
from .openapi import Param, documented
from .params import InvalidParameter
from .residence import home_named

bp = Blueprint("care_bookings", __name__, url_prefix="/api/v1")
answer_database_errors(bp, CARE_UNREACHABLE)

SECURED_ERRORS = (400, 401, 403, 404, 409)
ACTION_PERMISSIONS = {"confirm": "bookings.confirm", "decline": "bookings.decline", "cancel": "bookings.cancel",
                      "check_in": "bookings.check_in", "check_out": "bookings.complete",
                      "mark_no_show": "bookings.no_show"}
"""Each action a person may take on a booking, and the permission it needs (roles.json)."""
BOOKING_FIELDS = frozenset({"child_id", "facility_id", "programme", "start", "end", "home", "repeat"})
REPEAT_FIELDS = frozenset({"weekdays", "every_day", "until"})
LIST_LIMIT = 200


def _now() -> datetime:
    return datetime.now(UTC)


def _none(app: Flask) -> list[Param]:
    return []


def _booking_id(app: Flask) -> list[Param]:
    return [Param("booking_id", {"type": "string", "maxLength": 40}, "the booking's id", required=True,
                  where="path")]


def _action(app: Flask) -> list[Param]:
    return [*_booking_id(app), Param("action", {"type": "string", "enum": sorted(ACTION_PERMISSIONS)},
                                     "what to do", required=True, where="path")]


def _facility_id(app: Flask) -> list[Param]:
    return [Param("facility_id", {"type": "string", "maxLength": 100}, "the provider's id", required=True,
                  where="path")]


def _list_params(app: Flask) -> list[Param]:
    return [Param("facility_id", {"type": "string", "maxLength": 100},
                  "staff and admins: the provider whose bookings to list"),
            Param("status", {"type": "string", "enum": list(BOOKING.states)},
                  "only bookings in this state (any other value: 400 naming the states)"),
            Param("day", {"type": "string", "format": "date"},
                  "only bookings touching this date (the registry's zone), e.g. today's list"),
            Param("include", {"type": "string", "enum": ["first_name"]},
                  "first_name: the children's first names (the provider's staff only; each is a logged read)")]


BOOKABLE_PROGRAMMES = ("always_daycare", "elementary_emergency")  # app/reference: the booking rules


def _slot_params(app: Flask) -> list[Param]:
    return [*_facility_id(app), Param("programme", {"type": "string", "enum": list(BOOKABLE_PROGRAMMES)},
                                      "the programme", required=True)]


def booking_json(b: Booking, acting: User | str | None = None, now: datetime | None = None) -> dict[str, object]:
    """A booking as the API shows it: its state (and the FHIR Task status), window (UTC),
    version for the next change, and the actions the caller may take now (the state, the role
    and the time: no check-in before it opens, no no-show before the start). ``acting``: the
    signed-in :class:`User` asking (each action worked out as its POST checks it:
    :func:`action_role`), or a role's name (a person holding only that role on this booking's
    provider or family); None: no actions."""
    at = now if now is not None else _now()
    who = _role_of(acting, b) if acting else None
    return {"id": b.id, "reference": booking_reference(b.id), "facility_id": b.facility_id, "programme": b.programme,
            "child_id": b.child_id if _family_or_admin(acting, b) else None,
            "start": b.start.isoformat(), "end": b.end.isoformat(), "status": b.status,
            "fhir_status": b.fhir_status, "version": b.version,
            "hold_expires_at": b.hold_expires_at.isoformat() if b.hold_expires_at else None,
            "created_at": b.created_at.isoformat(), "updated_at": b.updated_at.isoformat(),
            "pattern_id": b.pattern_id,
            "allowed_actions": actions_now(b, b.status, who, at) if who else [],
            "actions_from": actions_later(b, who, at) if who else {},
            "actions_closed": actions_closed(b, who, at) if who else {}}


def _family_or_admin(acting: User | str | None, b: Booking) -> bool:
    """Whether the asker sees the booking's ``child_id``: its family and admins. Provider staff
    see null: the id is the same across all of a family's bookings, so staff lists would link a
    child's bookings over time without a logged read (tester 29); staff read the child through
    ``/bookings/<id>/child``, which is logged."""
    if isinstance(acting, User):
        return acting.id == b.guardian_id or any(g.role == ADMIN for g in acting.grants)
    return acting in (GUARDIAN, ADMIN)


RoleOf = Callable[[str], "str | None"]
"""An action's name -> the role in which the asker may take it on the booking (None: not at all)."""


def _role_of(acting: User | str, b: Booking) -> RoleOf:
    """For a user: :func:`action_role` on ``b``; for a role's name: that role when its
    permissions (roles.json) hold the action's (a person holding only that role on ``b``)."""
    if isinstance(acting, User):
        return lambda a: action_role(acting, a, b)
    held = _roles().get(acting).permissions if acting in _roles() else frozenset()
    return lambda a: acting if ACTION_PERMISSIONS[a] in held else None


def _roles() -> Roles:
    """The app's roles in a request (or app context), else roles.json's (a booking shown outside one)."""
    return roles() if has_app_context() else Roles()


def action_role(user: User, action: str, b: Booking) -> str | None:
    """The role in which ``user`` may take ``action`` (one of :data:`ACTION_PERMISSIONS`) on
    ``b``, None when no role of theirs has its permission on ``b`` (roles.json; deny by
    default). The one permission check: the action's POST answers 403 without it, and a
    booking lists an action only with it (:func:`actions_now`), so the two never disagree."""
    return _roles().acting_as(user, ACTION_PERMISSIONS[action], facility_id=b.facility_id, owner_id=b.guardian_id)


def _actions(status: str, role_of: RoleOf) -> Iterator[tuple[str, str]]:
    """(action, role) for each action of :data:`ACTION_PERMISSIONS` that the asker has the
    permission for (``role_of``: :func:`action_role`) and that the lifecycle lets that role
    take from ``status``, in the lifecycle's order."""
    for a in BOOKING.actions:
        if a not in ACTION_PERMISSIONS:
            continue
        role = role_of(a)
        if role is not None and a in BOOKING.allowed_actions(status, role):
            yield a, role


def actions_later(b: Booking, role_of: RoleOf, at: datetime) -> dict[str, str]:
    """The actions the state and the permissions allow the asker but the time not yet, each with
    when it opens (ISO, UTC): what a page says instead of a button ("check-in from 18:00")."""
    out = {}
    for a, role in _actions(b.status, role_of):
        since, _ = action_times(a, b.start, b.end, role)
        if since is not None and at < since:
            out[a] = since.isoformat()
    return out


def actions_closed(b: Booking, role_of: RoleOf, at: datetime) -> dict[str, str]:
    """The actions the state and the permissions allow the asker but the time no longer does,
    each with when it closed (ISO, UTC): what a page says instead of a button (the family's
    cancel after its cutoff: "a booking that has started cannot be cancelled: phone the
    provider")."""
    out = {}
    for a, role in _actions(b.status, role_of):
        _, until = action_times(a, b.start, b.end, role)
        if until is not None and at >= until:
            out[a] = until.isoformat()
    return out


def actions_now(b: Booking, status: str, role_of: RoleOf, at: datetime) -> list[str]:
    """The actions the asker may take on ``b`` in ``status`` at ``at``: the permission
    (``role_of``: :func:`action_role`, the check the action's POST makes), the lifecycle's rule for that
    role and the time's. The one list a booking's ``allowed_actions`` and a 409's
    ``allowed_actions`` give, so they never disagree with each other nor with the action."""
    return [a for a, role in _actions(status, role_of) if allowed_now(a, b.start, b.end, at, role)]


def _acting(user: User, permission: str, b: Booking) -> str | None:
    return roles().acting_as(user, permission, facility_id=b.facility_id, owner_id=b.guardian_id)


def _visible(booking_id: str, permission: str = "bookings.read") -> tuple[User, Booking, str]:
    """The booking and the role the signed-in user reads it in; 401 signed out, 404 when it
    does not exist or is not theirs to see (the same answer: ids reveal nothing)."""
    user = check(permission)
    try:
        booking = get_bookings().get(booking_id)
    except BookingNotFound:
        booking = None
    acting = _acting(user, permission, booking) if booking is not None else None
    if booking is None or acting is None:
        raise BookingNotFound(f"no booking {booking_id!r} of yours", "booking_id")
    return user, booking, acting


@bp.get("/bookings")
@documented("Bookings: a guardian's own, a provider's (staff), any provider's (admin)", _list_params,
            "BookingList", errors=SECURED_ERRORS)
def list_bookings() -> Response:
    """The caller's bookings, newest window first (at most 200): guardians see their family's;
    staff name their provider (``facility_id``, default: their only one); admins name any.
    ``include=first_name`` (the provider's staff): each live booking's child's first name, a
    logged read per booking, asked only when needed (the inbox polls without it)."""
    user = check("bookings.read")
    facility_id = request.args.get("facility_id")
    include = request.args.get("include")
    if include not in (None, "first_name"):
        raise InvalidParameter(f"include must be first_name (the children's first names), not {clip(include)}",
                               "include")
    named = include == "first_name"
    status = params.one_of(request.args, "status", BOOKING.states, "a booking's states")
    day = _day(request.args.get("day"))
    store = get_bookings()
    staff_of = roles().facilities(user, "bookings.read")
    if facility_id is None and not any(g.role == ADMIN for g in user.grants) and len(staff_of) == 1 and \
            not any(g.role == GUARDIAN for g in user.grants):
        facility_id = staff_of[0]
    if facility_id is not None:
        if not roles().allows(user, "bookings.read", facility_id=facility_id):
            raise InvalidParameter(f"you may not list the bookings of {clip(facility_id)}; yours: "
                                   f"{', '.join(staff_of) or 'none'}", "facility_id")
        found = store.find(facility_id=facility_id, status=status, day=day, tz=get_registry().locale.tz,
                           limit=LIST_LIMIT)
    elif roles().allows(user, "bookings.read", owner_id=user.id):
        found = store.find(guardian_id=user.id, status=status, day=day, tz=get_registry().locale.tz,
                           limit=LIST_LIMIT)
    else:
        raise InvalidParameter("name the provider whose bookings to list (facility_id)", "facility_id")
    if named and (facility_id is None or not roles().allows(user, "children.read_for_booking",
                                                            facility_id=facility_id)):
        raise NotAllowedHere("include=first_name is for the staff of the provider listed (facility_id)", "include")
    rows = [booking_json(b, user) for b in found]
    if named:
        assert facility_id is not None
        names = get_children().first_names_for_staff(user, facility_id, (b.id for b in found), _now(),
                                                     get_registry().locale.tz)
        for row in rows:
            row["first_name"] = names.get(str(row["id"]))
    return jsonify({"bookings": rows})


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(f"day {clip(text)} is not a date such as 2026-12-01", "day") from None


PATTERN_NAMES = {"first_date": "start", "last_date": "repeat.until", "start_time": "start", "end_time": "end"}
"""The weekly pattern's parts as :func:`app.care.windows.check_weekly` names them -> the API's
fields (the field itself is renamed by the desk; the message here, tester pass 26)."""


@contextmanager
def _pattern_fields_named() -> Iterator[None]:
    """A weekly pattern's refusal naming the API's fields in its message too ("repeat.until
    (…) must not be before start (…)", never ``last_date`` or ``first_date``)."""
    try:
        yield
    except WindowError as exc:
        message = str(exc)
        for inner, api in PATTERN_NAMES.items():
            message = re.sub(rf"(?<![\w.]){inner}\b", api, message)
        exc.field = PATTERN_NAMES.get(exc.field or "", exc.field)
        exc.args = (message, *exc.args[1:])
        raise


@bp.post("/bookings/quote")
@documented("Check a booking and estimate its fee, without booking", _none, "BookingQuote", method="post",
            body="BookingInput", errors=SECURED_ERRORS)
def quote_booking() -> Response:
    """What :func:`create_booking` would check, and the fee estimate (won) and whether the
    provider confirms at once."""
    user, args, home, repeat, point = _booking_args()
    if repeat is not None:
        with _pattern_fields_named(), home_named("home", point):
            weekly = get_desk().quote_weekly(user.id, *args, repeat, now=_now(), home_sigungu_code=home)
        return jsonify(weekly.as_dict())
    with home_named("home", point):
        return jsonify(get_desk().quote(user.id, *args, now=_now(), home_sigungu_code=home).as_dict())


@bp.post("/bookings")
@documented("Book a place for a child (held at once; confirmed at once for real-time booking); with repeat, "
            "a weekly pattern or the same hours each day (every_day), booked all or nothing, answered as "
            "BookingsCreated", _none,
            "BookingCreated", method="post", body="BookingInput", errors=SECURED_ERRORS, created=True)
def create_booking() -> Response:
    """Book the window at the provider for the guardian's child: checked as the search checks
    (the child's age, the home's 시군구 when ``home`` is given, the provider's programme and
    hours), then the place is held in the same transaction as the booking."""
    user, args, home, repeat, point = _booking_args()
    if repeat is not None:
        with _pattern_fields_named(), home_named("home", point):
            made, weekly = get_desk().book_weekly(user.id, *args, repeat, now=_now(), home_sigungu_code=home)
        at = _now()
        rows = []
        for b, fee in zip(made, weekly.estimates_krw, strict=True):
            row = booking_json(b, user, at)
            row["estimate_krw"] = fee
            rows.append(row)
        created = jsonify({"bookings": rows, "estimate_krw": weekly.estimate_krw, "repeat": repeat.as_dict()})
        created.status_code = 201
        return created
    with home_named("home", point):  # outside the area: the place named, never its code
        booking, quote = get_desk().book(user.id, *args, now=_now(), home_sigungu_code=home)
    body = booking_json(booking, user)
    body["estimate_krw"] = quote.estimate_krw
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/bookings/{booking.id}"
    return response


class UnknownWeekday(InvalidParameter):
    """``repeat.weekdays`` not a list of weekday names: 400 naming the ``allowed`` ones;
    ``reason`` ``unknown_value`` (a name not among them, or an empty list) or ``not_a_list``
    (not a list at all, e.g. ``"mon"``)."""

    def __init__(self, message: str, allowed: list[str], reason: str = "unknown_value") -> None:
        super().__init__(message, "repeat.weekdays", reason)
        self.extra = {"allowed": allowed}


_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean", dict: "object"}
"""A JSON value's type as a client names it, for "not the string 'mon'"."""


def _repeat(body: dict[str, object]) -> Repeat | None:
    """The optional ``repeat`` field (None when absent or null): a weekly pattern
    ``{"weekdays": ["tue", "thu"], "until": "2026-12-31"}`` or a daily one, the same hours each
    day, ``{"every_day": true, "until": "2026-12-04"}`` (weekdays or every_day, not both); a
    400 naming the part (``repeat``, ``repeat.weekdays``, ``repeat.every_day``,
    ``repeat.until``) and the allowed values otherwise."""
    value = body.get("repeat")
    if value is None:
        return None
    shape = '{"weekdays": ["tue", "thu"], "until": "YYYY-MM-DD"} or {"every_day": true, "until": "YYYY-MM-DD"}'
    if not isinstance(value, dict):
        raise InvalidParameter(f"repeat must be an object such as {shape}", "repeat", "not_an_object")
    unknown = sorted(set(value) - REPEAT_FIELDS)
    daily = "every_day" in value
    missing = sorted(REPEAT_FIELDS - {"every_day" if not daily else "weekdays"} - set(value))
    if unknown or missing:
        what = f"has the unknown field {unknown[0]!r}" if unknown else f"needs {missing[0]}"
        raise InvalidParameter(f"repeat {what}; its fields: weekdays or every_day, and until, as {shape}",
                               "repeat." + (unknown or missing)[0], "unknown_field" if unknown else "missing")
    if daily and "weekdays" in value:
        raise InvalidParameter(f"repeat takes weekdays (a weekly pattern) or every_day (the same hours each day), "
                               f"not both, as {shape}", "repeat.every_day", "weekdays_and_every_day")
    if daily and value["every_day"] is not True:
        raise InvalidParameter(f"repeat.every_day must be true (the same hours each day through until), not "
                               f"{clip(value['every_day'])}; for a one-off booking leave repeat out",
                               "repeat.every_day", "not_true")
    if daily:
        return Repeat.daily(_until(value["until"]))
    days = value["weekdays"]
    allowed = list(WEEKDAY_NAMES)
    if not isinstance(days, list):  # "mon" alone is a right name in the wrong shape: say the shape
        raise UnknownWeekday(f'repeat.weekdays must be a list such as ["tue", "thu"] (of {", ".join(allowed)}), '
                             f"not the {_JSON_TYPES.get(type(days), 'value')} {clip(days)}", allowed,
                             reason="not_a_list")
    if not days or not all(isinstance(d, str) and d.lower() in allowed for d in days):
        bad = next((d for d in days if not (isinstance(d, str) and d.lower() in allowed)), None)
        raise UnknownWeekday(f"repeat.weekdays must be a list of at least one of {', '.join(allowed)}"
                             f"{'' if bad is None else f'; not {clip(bad)}'}", allowed)
    return Repeat(tuple(sorted({allowed.index(d.lower()) + 1 for d in days})), _until(value["until"]))


def _until(until: object) -> date:
    """``repeat.until`` as a date; a 400 naming it otherwise."""
    try:
        last = date.fromisoformat(until) if isinstance(until, str) and len(until) == 10 else None
    except ValueError:
        last = None
    if last is None:
        raise InvalidParameter(f"repeat.until must be a date such as 2026-12-31 (the last date of the pattern), "
                               f"not {clip(until)}", "repeat.until", "not_a_date")
    return last


def _booking_args() -> tuple[User, tuple[str, str, str, datetime, datetime], str | None, Repeat | None,
                             tuple[float, float] | None]:
    """The guardian, (child, provider, programme, start, end), the home's 시군구 code (None
    when no ``home`` is given: the residence rules are then not applied, as in the search),
    the weekly pattern (None: a one-off booking) and the home's (lon, lat) (None: not given;
    a refusal names its place: :func:`app.api.residence.home_named`)."""
    user = check("bookings.create")
    check("bookings.create", owner_id=user.id)
    choices = {"programme": BOOKABLE_PROGRAMMES}  # a closed set: a missing one is named with its values
    body = bodies.json_object(BOOKING_FIELDS, BOOKING_FIELDS - {"home", "repeat"}, choices=choices)
    tz = get_registry().locale.tz
    child_id, facility_id, programme = (bodies.text(body, n, max_chars=100, choices=choices.get(n)) for n in
                                        ("child_id", "facility_id", "programme"))
    assert child_id and facility_id and programme
    home = bodies.point(body, "home")
    return (user, (child_id, facility_id, programme, bodies.moment(body, "start", tz), bodies.moment(body, "end", tz)),
            home_sigungu_code(*home) if home is not None else None, _repeat(body), home)


@bp.get("/bookings/<booking_id>")
@documented("One booking (its guardian, its provider's staff, admins)", _booking_id, "Booking",
            errors=SECURED_ERRORS)
def read_booking(booking_id: str) -> Response:
    """The booking, its transitions (who, when, why) and the actions the caller may take."""
    user, booking, _ = _visible(booking_id)
    body = booking_json(booking, user)
    body["events"] = shown_events(get_bookings().events(booking_id))  # preset reasons in the asker's language
    return jsonify(body)


@bp.get("/bookings/<booking_id>/child")
@documented("What the provider needs of the booked child (staff; every read is logged)", _booking_id,
            "ChildForBooking", errors=SECURED_ERRORS)
def read_booked_child(booking_id: str) -> Response:
    """First name, age in months, care notes and emergency contact, for the provider's staff of
    this booking only (the guardian's share_with_provider consent current); logged."""
    user, booking, acting = _visible(booking_id, "children.read_for_booking")
    if acting != PROVIDER_STAFF:
        raise BookingNotFound(f"no booking {booking_id!r} of your provider", "booking_id")
    child = get_children().read_for_booking(booking.child_id, user, booking, "booking_care", _now())
    return jsonify(child.as_dict())


@bp.post("/bookings/<booking_id>/<action>")
@documented("Act on a booking: confirm, decline (reason), cancel, check_in, check_out, mark_no_show",
            _action, "Booking", method="post", body="BookingAction", errors=SECURED_ERRORS)
def act_on_booking(booking_id: str, action: str) -> Response:
    """Take ``action`` as the caller's role on this booking; ``version`` (optional) guards
    against acting on a booking that changed meanwhile; ``reason`` is required where the
    lifecycle says (staff declining or cancelling)."""
    check_action(action, ACTION_PERMISSIONS)
    user, booking, _ = _visible(booking_id, "bookings.read")
    acting_for_action = action_role(user, action, booking)
    if acting_for_action is None:
        raise NotAllowedHere(f"your account may not {action} this booking", "action")
    body = bodies.json_object(DECLINE_FIELDS | {"version"})
    reason = decline_reason(body)  # a preset by its code, or the staff's words (tester 28)
    version = bodies.whole_number(body, "version", 1, 2**31 - 1, required=False)
    at = _now()
    try:
        done = get_bookings().transition(booking_id, action, acting_for_action, user.id, reason=reason,
                                         expected_version=version, now=at, tz=get_registry().locale.tz)
    except InvalidTransition as exc:  # its allowed_actions as GET gives them now (the time's rules too)
        raise InvalidTransition(exc.lifecycle, exc.current_state, exc.action,
                                tuple(actions_now(booking, exc.current_state, _role_of(user, booking), at))) from None
    return jsonify(booking_json(done, user, at))


def _pattern_id(app: Flask) -> list[Param]:
    return [Param("pattern_id", {"type": "string", "maxLength": 40},
                  "the weekly pattern's id (a booking's pattern_id)", required=True, where="path")]


def _pattern_action(app: Flask) -> list[Param]:
    return [*_pattern_id(app), Param("action", {"type": "string", "enum": list(PATTERN_ACTIONS)},
                                     "confirm or decline every date still waiting", required=True, where="path")]


def _pattern_visible(pattern_id: str, permission: str) -> tuple[User, list[Booking], str]:
    """The pattern's bookings and the role the signed-in user has on them for ``permission``;
    404 when there is no such pattern or it is not theirs (the same answer, as for a booking)."""
    user = check("bookings.read")
    try:
        found = get_bookings().pattern(pattern_id)
    except BookingNotFound:
        found = []
    acting = _acting(user, permission, found[0]) if found else None
    if acting is None:
        raise BookingNotFound(f"no booking pattern {pattern_id!r} of yours", "pattern_id")
    return user, found, acting


def _pattern_read_params(app: Flask) -> list[Param]:
    return [*_pattern_id(app), Param("include", {"type": "string", "enum": ["first_name"]},
                                     "first_name: the child's first name (the provider's staff; a logged read)")]


@bp.get("/booking-patterns/<pattern_id>")
@documented("A weekly pattern's bookings as one (its guardian, its provider's staff, admins): the dates, "
            "weekdays and window; for the staff with include=first_name the child's first name (a logged read)",
            _pattern_read_params,
            "BookingPattern", errors=SECURED_ERRORS)
def read_pattern(pattern_id: str) -> Response:
    """Every booking of the pattern (window order) and its summary: ``weekdays`` (names, of
    the local dates), ``first_date``/``last_date`` (local), ``count`` and ``waiting`` (dates
    still to answer). Staff asking ``include=first_name`` also get ``first_name`` (the child's,
    one logged read while a booking of the pattern is live; null otherwise); without it, null
    and nothing logged (the inbox shows the child only when staff ask, through
    ``/bookings/<id>/child``)."""
    include = request.args.get("include")
    if include not in (None, "first_name"):
        raise InvalidParameter(f"include must be first_name (the child's first name), not {clip(include)}",
                               "include")
    user, found, acting = _pattern_visible(pattern_id, "bookings.read")
    tz = get_registry().locale.tz
    at = _now()
    days = [b.start.astimezone(tz).date() for b in found]
    body: dict[str, object] = {
        "id": pattern_id, "facility_id": found[0].facility_id, "programme": found[0].programme,
        "weekdays": [WEEKDAY_NAMES[d] for d in sorted({d.weekday() for d in days})],
        "first_date": days[0].isoformat(), "last_date": days[-1].isoformat(), "count": len(found),
        "waiting": sum(b.status == BOOKING.initial for b in found),
        "bookings": [booking_json(b, user, at) for b in found], "first_name": None}
    if acting == PROVIDER_STAFF and include == "first_name":
        live = [b.id for b in found if BOOKING.state(b.status).holds_place][:1]
        names = get_children().first_names_for_staff(user, found[0].facility_id, live, at, tz)
        body["first_name"] = names.get(live[0]) if live else None
    return jsonify(body)


@bp.post("/booking-patterns/<pattern_id>/<action>")
@documented("Answer a weekly pattern as one (provider staff): confirm or decline (reason) every date still "
            "waiting, each date on its own; the answer names what became of each date", _pattern_action,
            "PatternAnswer", method="post", body="PatternAction", errors=SECURED_ERRORS)
def answer_pattern(pattern_id: str, action: str) -> Response:
    """Confirm or decline every date of the pattern still waiting (:meth:`app.care.bookings.
    BookingStore.answer_pattern`: the booking lifecycle's own transition for each, one
    transaction, a savepoint per date); a date that lapsed, was cancelled or was answered
    meanwhile is reported in ``dates`` (``done`` false, its ``status``), never skipped
    silently. The family is told once."""
    check_action(action, PATTERN_ACTIONS)
    user, found, _ = _pattern_visible(pattern_id, "bookings.read")
    acting = _acting(user, ACTION_PERMISSIONS[action], found[0])
    if acting != PROVIDER_STAFF:
        raise NotAllowedHere(f"only the provider's staff may {action} a pattern at once", "action")
    body = bodies.json_object(DECLINE_FIELDS)
    reason = decline_reason(body)  # a preset by its code, or the staff's words (tester 28)
    tz = get_registry().locale.tz
    answers = get_bookings().answer_pattern(pattern_id, action, acting, user.id, reason=reason, now=_now(), tz=tz)
    return jsonify({"id": pattern_id, "action": action, "dates": [a.as_dict(tz) for a in answers],
                    "done": sum(a.done for a in answers), "not_done": sum(not a.done for a in answers)})


class UnknownAction(InvalidParameter):
    """An action the path names that the resource has none of: 400 listing ``allowed_actions``
    (every action of the kind; what the current state allows is the resource's own list)."""

    def __init__(self, action: str, actions: list[str]) -> None:
        super().__init__(f"unknown action {action!r}; actions: {', '.join(actions)}", "action", "unknown_value")
        self.extra = {"allowed_actions": actions}


def check_action(action: str, actions: Iterable[str]) -> None:
    """Refuse ``action`` unless it is one of ``actions``: :class:`UnknownAction`."""
    names = sorted(actions)
    if action not in names:
        raise UnknownAction(action, names)


class NotAllowedHere(InvalidParameter):
    """A role that sees the booking but may not take this action on it: 403."""

    status = 403
    code = "forbidden"


def _check_slots(facility_id: str) -> User:
    """The signed-in user who may read and publish ``facility_id``'s places and booking
    settings (its own staff, admins: ``slots.publish``): 401 signed out; otherwise a 403 that
    says why and who may, naming the provider (public registry data) and, for staff of other
    providers, the ones they publish for (reason ``other_provider``; ``staff_only`` else)."""
    try:
        return check("slots.publish", facility_id=facility_id)
    except NotAllowed:
        user = check("bookings.read")  # signed in (401 otherwise); every role reads bookings
        found = get_index().by_id.get(facility_id)
        named = f"{found.name} ({facility_id})" if found is not None else clip(facility_id)
        own = sorted({g.facility_id for g in user.grants if g.role == PROVIDER_STAFF and g.facility_id})
        if own:
            raise NotAllowedHere(f"you publish places for {', '.join(own)} only, not for {named}: a provider's "
                                 "places are read and published by its own staff and by admins (slots.publish)",
                                 "facility_id", "other_provider") from None
        raise NotAllowedHere(f"the places of {named} are read and published by its own staff and by admins "
                             "(slots.publish), not by your account; families see what can be booked in search "
                             "results (books_online) and with POST /api/v1/bookings/quote", "facility_id",
                             "staff_only") from None


@bp.get("/providers/<facility_id>/slots")
@documented("A provider's bookable places per slot (staff of that provider, admins)", _slot_params,
            "SlotList", errors=SECURED_ERRORS)
def list_slots(facility_id: str) -> Response:
    _check_slots(facility_id)
    programme = request.args.get("programme")
    if programme not in BOOKABLE_PROGRAMMES:  # documented as required: never an empty list instead
        raise InvalidParameter(f"programme is {'required' if programme is None else 'not bookable'}: "
                               f"one of {', '.join(BOOKABLE_PROGRAMMES)}", "programme",
                               reason="missing" if programme is None else "invalid")
    return jsonify({"slots": [_slot_json(s) for s in get_bookings().slots(facility_id, programme)]})


@bp.post("/providers/<facility_id>/slots")
@documented("Publish places: one slot, or derive a period's slots from the opening hours", _facility_id,
            "SlotsPublished", method="post", body="SlotInput", errors=SECURED_ERRORS)
def publish_slots(facility_id: str) -> Response:
    """``{"programme", "start", "end", "places"}`` publishes (or changes) one slot;
    ``{"programme", "derive": {"first_day", "days", "places", "slot_minutes"}}`` cuts the
    provider's opening hours into slots for the period (``added`` of ``planned``; ``last_day``,
    its last date; ``open_until``, the end of the last hour with places open now, absent when
    none; ``days`` at most the longest weekly pattern's reach, a 400 naming the range); with
    ``places`` the period's coming slots already published are set to it too (``changed``;
    ``already``: had it; ``not_lowered``: the slots whose bookings hold more places, set to what they hold, each
    with ``start``, ``end``, ``places``, ``held``); without, slots already published stand."""
    _check_slots(facility_id)
    body = bodies.json_object(frozenset({"programme", "start", "end", "places", "derive"}),
                              frozenset({"programme"}), choices={"programme": BOOKABLE_PROGRAMMES})
    programme = bodies.text(body, "programme", max_chars=60, choices=BOOKABLE_PROGRAMMES)
    assert programme is not None
    facility = get_index().by_id.get(facility_id)
    if facility is None:
        raise BookingNotFound(f"no provider {facility_id!r} in the served registry", "facility_id")
    if programme not in facility.programmes:
        raise InvalidParameter(f"{facility.name} does not run {programme}; it runs "
                               f"{', '.join(sorted(facility.programmes)) or 'no programme'}", "programme")
    locale = get_registry().locale
    store = get_bookings()
    if "derive" in body:
        spec = body["derive"]
        if not isinstance(spec, dict) or not set(spec) <= {"first_day", "days", "places", "slot_minutes"}:
            raise InvalidParameter('derive must be {"first_day": "2026-12-01", "days": 7, "places": 3, '
                                   '"slot_minutes": 60}', "derive")
        first_day = _day(spec.get("first_day")) or locale.now().date()
        # as far ahead as the longest weekly pattern may run (booking_rules.json), never further
        days = bodies.whole_number(spec, "days", 1, max_places_ahead_days(), required=False) or 7
        places = bodies.whole_number(spec, "places", 0, 1000, required=False)
        minutes = bodies.whole_number(spec, "slot_minutes", 1, 1440, required=False) or 60  # derive_slots: the step
        planned = derive_slots(facility, programme, first_day, days, locale.tz, locale.is_holiday, places, minutes)
        at = _now()
        added = store.publish_missing(facility_id, programme, [(s.start, s.end, s.places) for s in planned],
                                      now=at)
        out: dict[str, object] = {"added": added, "planned": len(planned),
                                  "last_day": (first_day + timedelta(days=days - 1)).isoformat()}
        if places is not None:  # a number typed: the period's hours already open get it too
            start, end = period(first_day, days, locale.tz)
            end = max([end, *(s.end for s in planned)])  # the last day's overnight hours too
            done = change_places(store, facility_id, programme, places, start, end, at)
            out.update({"changed": done.changed, "already": max(done.already - added, 0),
                        "not_lowered": [{"start": k.start.isoformat(), "end": k.end.isoformat(),
                                         "places": k.places, "held": k.held} for k in done.kept]})
        # Until when places are open now, this period's or earlier ones': the end of the last
        # open hour (an overnight programme's last day ends the next morning; tester 30)
        ends = [s.end for s in store.slots(facility_id, programme) if s.places > 0 and s.end > at]
        if ends:
            out["open_until"] = max(ends).astimezone(locale.tz).isoformat()
        return jsonify(out)
    places = bodies.whole_number(body, "places", 0, 1000)
    assert places is not None
    slot = store.publish_slot(facility_id, programme, bodies.moment(body, "start", locale.tz),
                              bodies.moment(body, "end", locale.tz), places, now=_now(), tz=locale.tz)
    return jsonify({"added": 1, "slot": _slot_json(slot)})


def _slot_json(s: Slot) -> dict[str, object]:
    return {"id": s.id, "start": s.start.isoformat(), "end": s.end.isoformat(), "places": s.places,
            "held": s.held, "free": s.places - s.held}


@bp.put("/providers/<facility_id>/booking-settings")
@documented("Confirm bookings automatically, or not (staff of that provider)", _facility_id,
            "BookingSettings", method="put", body="BookingSettings", errors=SECURED_ERRORS)
def change_booking_settings(facility_id: str) -> Response:
    _check_slots(facility_id)
    body = bodies.json_object(frozenset({"auto_confirm"}), frozenset({"auto_confirm"}),
                              choices={"auto_confirm": ("true", "false")})
    if not isinstance(body["auto_confirm"], bool):
        raise InvalidParameter("auto_confirm must be true or false", "auto_confirm")
    get_desk().set_auto_confirm(facility_id, body["auto_confirm"], _now())
    return jsonify({"facility_id": facility_id, "auto_confirm": body["auto_confirm"]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

