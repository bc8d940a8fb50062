"""Bookings in the database: places held in the transaction that makes the booking, guarded
state changes with their audit event and outbox message, and lapsed holds.

No overbooking, across processes and servers: a booking locks the capacity rows of every slot
its window overlaps (``SELECT … FOR UPDATE`` in slot order on PostgreSQL; on SQLite every
transaction of :func:`app.db.engine.make_engine`'s engines starts with ``BEGIN IMMEDIATE``, the
one-writer lock app.live's availability writes rely on), refuses when one is full, and counts
the place in the same transaction as it inserts the booking; the ``CHECK (held <= places)`` of
``booking_capacity`` refuses a count above the places even from code that skipped the check.

A slot is ``[slot_start, slot_end)`` in UTC; a booking window holds one place in every slot it
overlaps (a window ending when a slot starts does not overlap it) and must be covered by
published slots without a gap (a booking made by a provider accepting an emergency-care offer,
:func:`book_accepted_offer`, holds a place in the slots it overlaps through the same
:func:`hold_places`, and none where the provider publishes none; places published later over
it count it, :func:`_adopt_live_bookings`, the two serialised per provider by
:func:`lock_provider_places`). A state change locks the
booking row, checks the transition against :data:`app.care.states.BOOKING` and updates ``… WHERE id = :id AND status IN
sources(action)``: the first confirmation wins, and a cancellation racing a confirmation or a
second cancellation gives the place back at most once (the ``booking_holds`` rows are deleted
with the give-back). Times are stored in UTC; a naive time is refused.

A child has at most one live booking (requested, accepted, in progress) at any moment, at any
provider: :func:`check_child_window` refuses an overlapping window with :class:`ChildAlreadyBooked`
(409), inside the booking's transaction after :func:`lock_child` (the child's ``children`` row
``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises), so concurrent
bookings of one child give exactly one.

The bookings of one weekly pattern (:meth:`BookingStore.book_many`, two windows or more) share a
``pattern_id`` (migration 0018): the provider's staff answer them as one
(:meth:`BookingStore.answer_pattern`: each date by the lifecycle's own transition under a
savepoint, a date that lapsed or was cancelled meanwhile reported), and a pattern answered or
lapsing together is ONE message to the family (:data:`PATTERN_ANSWER_TOPICS`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from time import monotonic
from typing import Any, NoReturn

import sqlalchemy as sa

from app.db.children_tables import children
from app.db.engine import booking_capacity, booking_events, booking_holds, bookings, outbox, reads
from app.db.request_tables import care_requests
from app.db.writes import insert_together
from app.domain import DomainError

from .reason_sealing import open_reason, seal_reason
from .request_rows import follow_booking, lock_request
from .rules import booking_rules, check_in_lead, check_out_delay, family_cancel_lead
from .states import BOOKING, GUARDIAN, SYSTEM, InvalidTransition
from .windows import chained_days, local_dates, off_step

NOTIFY_TOPICS = {"requested": "booking.requested", "accepted": "booking.confirmed",
                 "rejected": "booking.declined", "expired": "booking.expired",
                 "cancelled": "booking.cancelled"}
"""The states a person must be told about, and the outbox topic of each."""

PROVIDER_TOPICS = frozenset({"booking.requested", "booking.cancelled", "booking.expired"})
"""The topics the provider's staff are told too (a new booking to answer; a place given back; a hold
that lapsed unanswered)."""

EXPIRE_BATCH = 200
EXPIRING_WARNING = timedelta(minutes=10)  # staff are reminded this long before a hold lapses
CONFIRMED_AT_ONCE = "confirmed at once (real-time booking or the provider's automatic confirmation)"


class BookingError(DomainError):
    """A booking that cannot be made or changed; ``http_status`` is what the API answers."""

    http_status = 400


class NotBookable(BookingError):
    """The window is not covered by places the provider published for the programme."""

    code = "not_bookable"
    http_status = 409


class PlacesFull(BookingError):
    """A slot the window overlaps has no place left; names the slot, in ``tz`` (the registry's
    zone, as every refusal of a booking names times)."""

    code = "no_places"
    reason = "slot_full"
    http_status = 409

    def __init__(self, facility_id: str, programme: str, slot_start: datetime, slot_end: datetime,
                 places: int, tz: tzinfo = UTC) -> None:
        slot_start, slot_end = slot_start.astimezone(tz), slot_end.astimezone(tz)
        super().__init__(f"no place left at {facility_id} for {programme} in the slot "
                         f"{slot_start.isoformat()} to {slot_end.isoformat()}: {self._why(places)}", "window")
        self.facility_id = facility_id
        self.programme = programme
        self.slot_start = slot_start
        self.slot_end = slot_end
        self.places = places

    @staticmethod
    def _why(places: int) -> str:
        return f"all {places} places are held"

    @property
    def extra(self) -> dict[str, object]:
        return {"slot_start": self.slot_start.isoformat(), "slot_end": self.slot_end.isoformat(),
                "places": self.places}


class NoPlacesOpened(PlacesFull):
    """A slot the window overlaps was published with 0 places: none were opened, none taken."""

    reason = "none_opened"

    @staticmethod
    def _why(places: int) -> str:
        return "the provider opened no places in it"


class ChildAlreadyBooked(BookingError):
    """The child already has a live booking (held, confirmed or in progress) whose window
    overlaps the new one, at any provider; names it, in the registry's local time."""

    code = "child_already_booked"
    reason = "child_already_booked"
    http_status = 409

    def __init__(self, other: Booking, tz: tzinfo) -> None:
        span = _local_span(other.start.astimezone(tz), other.end.astimezone(tz))
        super().__init__(f"the child already has booking {other.id} at {other.facility_id} ({other.programme}, "
                         f"{other.status}) from {span} ({tz}), which overlaps this window", "window")
        self.other = other
        self.tz = tz

    @property
    def extra(self) -> dict[str, object]:
        return {"booking_id": self.other.id, "facility_id": self.other.facility_id,
                "window_start": self.other.start.astimezone(self.tz).isoformat(),
                "window_end": self.other.end.astimezone(self.tz).isoformat()}


class ChildBookedElsewhere(BookingError):
    """What a provider is told when its acceptance of an emergency care offer fails because the
    child has meanwhile been booked for an overlapping window: the guardian's
    :class:`ChildAlreadyBooked` without the other booking's id, provider or times (where a child
    is booked is not this provider's to know)."""

    code = "child_already_booked"
    reason = "booked_elsewhere"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("the child has meanwhile been booked for an overlapping window: this request can no "
                         "longer be served and has been taken off the providers' lists", "window")


class ChildAlreadyRequested(BookingError):
    """The child has an open emergency care request (requested, or unmatched and waiting for a
    person) whose window overlaps the new request's or booking's: the guardian cancels it first.
    Names the request (the guardian's own), in the registry's local time."""

    code = "child_already_requested"
    reason = "child_already_requested"
    http_status = 409

    def __init__(self, request_id: str, status: str, start: datetime, end: datetime, tz: tzinfo) -> None:
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        super().__init__(f"the child already has care request {request_id} ({status}) from "
                         f"{_local_span(local_start, local_end)} ({tz}), which overlaps this window: cancel it "
                         "first or choose another time", "window")
        self.request_id, self.status, self.start, self.end = request_id, status, local_start, local_end

    @property
    def extra(self) -> dict[str, object]:
        return {"request_id": self.request_id, "request_status": self.status,
                "window_start": self.start.isoformat(), "window_end": self.end.isoformat()}


def _local_span(start: datetime, end: datetime) -> str:
    """``2026-12-02 09:00 to 12:00`` (the end's date only when it differs)."""
    until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start.strftime('%Y-%m-%d %H:%M')} to {until}"


class TooManyConsecutiveDays(BookingError):
    """The new window and the child's live bookings of the programme it touches or follows day
    to day add up to more consecutive calendar dates than the programme allows (언제나 어린이집:
    5, ``booking_rules.json``); names the limit and the dates counted."""

    code = "too_many_consecutive_days"
    reason = "too_many_consecutive_days"
    http_status = 409

    def __init__(self, programme: str, limit: int, first: date, last: date, chained: list[str]) -> None:
        days = (last - first).days + 1
        with_others = f" with the child's booking(s) {', '.join(chained)}" if chained else ""
        super().__init__(f"{programme} books at most {limit} consecutive days; this window{with_others} makes "
                         f"{days} consecutive days, {first} to {last} (local dates)", "window")
        self.limit, self.first, self.last, self.days, self.chained = limit, first, last, days, chained

    @property
    def extra(self) -> dict[str, object]:
        return {"limit": self.limit, "days": self.days, "first_day": self.first.isoformat(),
                "last_day": self.last.isoformat(), "booking_ids": self.chained}


class NotNow(BookingError):
    """An action the booking's window does not allow at this time (a check-in before it opens
    or after the end, a no-show before the start): 409 naming from when (or until when) it is
    allowed, in the registry's local time."""

    code = "not_allowed_now"
    http_status = 409

    def __init__(self, action: str, reason: str, message: str, allowed_from: datetime | None,
                 allowed_until: datetime | None) -> None:
        super().__init__(message, "now")
        self.action, self.reason = action, reason
        self.allowed_from, self.allowed_until = allowed_from, allowed_until

    @property
    def extra(self) -> dict[str, object]:
        return {"action": self.action,
                "allowed_from": self.allowed_from.isoformat() if self.allowed_from else None,
                "allowed_until": self.allowed_until.isoformat() if self.allowed_until else None}


def action_times(action: str, start: datetime, end: datetime,
                 actor_role: str | None = None) -> tuple[datetime | None, datetime | None]:
    """When ``action`` is allowed on a booking of ``[start, end)``: ``[from, until)`` (None: no
    bound). Check-in from ``check_in_opens_minutes_before_start`` (booking_rules.json) before
    the start until the end; check-out at any time once checked in (the state says so), or,
    when ``check_out_opens_minutes_after_start`` is a number, from that long after the start,
    with no end; a no-show from the start; the family's (``actor_role`` guardian) cancel until
    ``family_cancel_until_minutes_before_start`` before the start (staff cancel at any time);
    every other action at any time."""
    if action == "cancel" and actor_role == GUARDIAN:
        return None, start - family_cancel_lead()
    if action == "check_in":
        return start - check_in_lead(), end
    if action == "check_out":
        delay = check_out_delay()
        return (None if delay is None else start + delay), None
    if action == "mark_no_show":
        return start, None
    return None, None


def allowed_now(action: str, start: datetime, end: datetime, at: datetime, actor_role: str | None = None) -> bool:
    """Whether the time allows ``action`` (by ``actor_role``) at ``at`` (:func:`action_times`)."""
    since, until = action_times(action, start, end, actor_role)
    return (since is None or at >= since) and (until is None or at < until)


def check_action_time(action: str, start: datetime, end: datetime, at: datetime, tz: tzinfo = UTC,
                      actor_role: str | None = None) -> None:
    """Refuse (:class:`NotNow`) ``action`` by ``actor_role`` at ``at`` outside
    :func:`action_times`: a family's cancel after its cutoff with reason ``cancel_closed``
    (``allowed_until`` the cutoff), any other action ``too_early`` or ``too_late``."""
    since, until = action_times(action, start, end, actor_role)
    local = "%Y-%m-%d %H:%M"
    if action == "cancel" and until is not None and at >= until:
        lead = int((start - until).total_seconds() // 60)
        raise NotNow(action, "cancel_closed", f"a family may cancel a booking only until "
                     f"{until.astimezone(tz).strftime(local)} ({tz}), "
                     f"{f'{lead} minutes before ' if lead else ''}its start "
                     f"({start.astimezone(tz).strftime(local)}); after that, phone the provider: not coming is "
                     "a no-show, which its staff record", None, until.astimezone(tz))
    if since is not None and at < since:
        raise NotNow(action, "too_early", f"{action} is allowed from {since.astimezone(tz).strftime(local)} "
                     f"({tz}) on; the booking starts {start.astimezone(tz).strftime(local)}", since.astimezone(tz),
                     until.astimezone(tz) if until is not None else None)
    if until is not None and at >= until:
        raise NotNow(action, "too_late", f"{action} is allowed only until {until.astimezone(tz).strftime(local)} "
                     f"({tz}), the booking's end", since.astimezone(tz) if since is not None else None,
                     until.astimezone(tz))


class BookingNotFound(BookingError):
    code = "not_found"
    http_status = 404


class VersionConflict(BookingError):
    """The booking changed since the caller read it (the API: 409 with its current state)."""

    code = "version_conflict"
    http_status = 409

    def __init__(self, booking_id: str, expected: int, current_version: int, current_state: str) -> None:
        super().__init__(f"booking {booking_id} is at version {current_version} ({current_state}), not "
                         f"{expected}: read it again", "version")
        self.current_version = current_version
        self.current_state = current_state

    @property
    def extra(self) -> dict[str, object]:
        return {"current_state": self.current_state, "current_version": self.current_version}


class SlotError(BookingError):
    """A slot a provider cannot publish (overlapping another, fewer places than are held)."""

    code = "invalid_slot"


def check_not_ended(end: datetime, now: datetime, field: str) -> None:
    """Refuse (:class:`SlotError` ``in_past``, 400) places that end at or before ``now`` (aware
    UTC): nobody can book them, and a page would show them as open."""
    if end <= now:
        raise SlotError(f"places can be published only for times still to come: this ends {end.isoformat()}, "
                        f"at or before now ({now.isoformat()})", field, "in_past", {"now": now.isoformat()})


@dataclass(frozen=True)
class Slot:
    id: int
    facility_id: str
    programme: str
    start: datetime
    end: datetime
    places: int
    held: int


@dataclass(frozen=True)
class Booking:
    id: str
    facility_id: str
    programme: str
    child_id: str
    start: datetime
    end: datetime
    status: str
    version: int
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    guardian_id: str | None = None
    request_id: str | None = None  # the emergency care request it was made from (None: the desk's)
    offer_id: str | None = None  # that request's accepted offer
    pattern_id: str | None = None  # the weekly pattern it was booked in (None: a single booking)

    @property
    def fhir_status(self) -> str:
        return BOOKING.fhir_status(self.status)


def _utc(value: datetime, field: str) -> datetime:
    """``value`` (aware) in UTC; a naive time is refused (the server's zone never counts)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BookingError(f"{field} must carry a time zone (an offset or Z)", field)
    return value.astimezone(UTC)


def _read(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive, in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _slot(row: sa.Row[Any]) -> Slot:
    return Slot(row.id, row.facility_id, row.programme, _read(row.slot_start), _read(row.slot_end),
                row.places, row.held)


def _booking(row: sa.Row[Any]) -> Booking:
    return Booking(row.id, row.facility_id, row.programme, row.child_id, _read(row.window_start),
                   _read(row.window_end), row.status, row.version,
                   _read(row.hold_expires_at) if row.hold_expires_at is not None else None,
                   _read(row.created_at), _read(row.updated_at), row.guardian_id, row.request_id, row.offer_id,
                   row.pattern_id)


def _recipients(topic: str, guardian_id: str | None, facility_id: str) -> list[dict[str, str]]:
    """Who a booking message goes to (app/care/outbox.py resolves a facility to its staff):
    the guardian of every message but the new booking's own, the provider's staff of a new
    booking and of a cancellation."""
    to: list[dict[str, str]] = []
    if guardian_id is not None and topic != "booking.requested":
        to.append({"user_id": guardian_id})
    if topic in PROVIDER_TOPICS:
        to.append({"facility_id": facility_id})
    return to


def _message(topic: str, booking: Booking, event: dict[str, Any], first_name: str | None) -> dict[str, Any]:
    """The outbox payload of a booking message (the contract in app/care/outbox.py): ids,
    window and state; of the child, the first name only."""
    payload: dict[str, Any] = {
        "to": _recipients(topic, booking.guardian_id, booking.facility_id),
        "booking_id": booking.id, "facility_id": booking.facility_id, "programme": booking.programme,
        "status": booking.status, "fhir_status": booking.fhir_status,
        "window_start": booking.start.isoformat(), "window_end": booking.end.isoformat(), **event}
    if booking.hold_expires_at is not None and booking.status == BOOKING.initial:
        payload["respond_by"] = booking.hold_expires_at.isoformat()
    if first_name:
        payload["first_name"] = first_name
    return payload


PATTERN_TOPICS = {"requested": "booking.pattern_requested", "accepted": "booking.pattern_confirmed"}
"""The one message of a weekly pattern booked at once, by the state its bookings start in."""

PATTERN_ANSWER_TOPICS = {"accepted": "booking.pattern_confirmed", "rejected": "booking.pattern_declined",
                         "expired": "booking.pattern_expired"}
"""The one message of a pattern's dates answered as one (staff accepting or declining all,
:meth:`BookingStore.answer_pattern`) or lapsing together (:meth:`BookingStore.expire_holds`), by
the state they moved to: to the guardian, and for a lapse to the provider's staff too."""

PATTERN_ACTIONS = ("confirm", "decline")
"""What staff may do to a pattern's waiting dates at once (:meth:`BookingStore.answer_pattern`)."""


def _pattern_message(made: list[Booking], actor_role: str, at: datetime, first_name: str | None,
                     topic: str | None = None, from_state: str | None = None,
                     reason: str | None = None, tell_staff: bool = True) -> dict[str, Any]:
    """The outbox row telling of a weekly pattern's bookings (``made``: two or more — or the
    dates of one pattern answered or lapsed together, one or more — one provider, programme,
    child and state, in window order) at once: to the guardian and, with ``tell_staff``, the
    provider's staff (not of a pattern the staff answered themselves); the payload names every
    booking (``booking_ids``; ``booking_id`` the first, so the family's export and erasure find
    it), the first window, every occurrence (``occurrences``: ``{"start", "end"}`` in UTC) and,
    of the child, the first name only. ``topic``: :data:`PATTERN_TOPICS` of the state when
    None. Its idempotency key is the first booking's (at its version) with ``/pattern`` (a
    booking id and version are used once)."""
    first = made[0]
    topic = topic or PATTERN_TOPICS[first.status]
    payload = _message(topic, first, {"from_state": from_state, "actor_role": actor_role, "reason": reason,
                                      "at": at.isoformat()}, first_name)
    payload["to"] = ([{"user_id": first.guardian_id}] if first.guardian_id is not None else []) + (
        [{"facility_id": first.facility_id}] if tell_staff else [])
    payload["booking_ids"] = [b.id for b in made]
    payload["occurrences"] = [{"start": b.start.isoformat(), "end": b.end.isoformat()} for b in made]
    return {"idempotency_key": f"booking/{first.id}/v{first.version}/pattern", "topic": topic, "payload": payload,
            "created_at": at, "available_at": at, "attempts": 0, "sent_at": None}


PATTERN_EXPIRING_TOPIC = "booking.pattern_expiring"
"""The one reminder to a provider's staff of a weekly pattern's dates whose hold lapses soon."""


def _pattern_expiring_message(first: Booking, waiting: list[Booking], deadline: datetime,
                              at: datetime) -> dict[str, Any]:
    """The outbox row reminding the provider's staff, once for the whole weekly pattern, that
    its dates still waiting for an answer (``waiting``: one or more, window order, one hold
    deadline ``deadline``) lapse at ``deadline``: ``booking_id`` is the pattern's first date
    (``first``, whatever its state: the reference staff were given when it was requested),
    ``booking_ids`` and ``occurrences`` the waiting dates, ``respond_by`` the deadline; no
    child data (staff texts name no child). Its idempotency key is the pattern's with the
    deadline, so the reminder is written once however often the job runs."""
    payload = _message(PATTERN_EXPIRING_TOPIC, first, {"from_state": BOOKING.initial, "actor_role": SYSTEM,
                                                      "reason": None, "at": at.isoformat()}, None)
    payload["status"], payload["fhir_status"] = BOOKING.initial, BOOKING.fhir_status(BOOKING.initial)
    payload["to"] = [{"facility_id": first.facility_id}]
    payload["pattern_id"] = first.pattern_id
    payload["respond_by"] = deadline.isoformat()
    payload["booking_ids"] = [b.id for b in waiting]
    payload["occurrences"] = [{"start": b.start.isoformat(), "end": b.end.isoformat()} for b in waiting]
    key = f"pattern/{first.pattern_id}/expiring/{deadline.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return {"idempotency_key": key, "topic": PATTERN_EXPIRING_TOPIC, "payload": payload,
            "created_at": at, "available_at": at, "attempts": 0, "sent_at": None}


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else _utc(now, "now")


# Built once: every booking runs these (building a statement costs about as much as running
# it on SQLite).
_cap = booking_capacity
# A booking's hold in one statement (one round trip to PostgreSQL): the window's slots locked in
# slot order (the MATERIALIZED CTE runs first, as _give_back locks them) and, when every one has
# a place left, each counted one place more and returned as it is now; when one is full (or
# opens none) nothing changes and nothing is returned. A hold refused later is undone by _UNHOLD.
_WINDOW_LOCKED = (sa.select(_cap.c.id, _cap.c.places, _cap.c.held).where(
    _cap.c.facility_id == sa.bindparam("w_facility_id"), _cap.c.programme == sa.bindparam("w_programme"),
    _cap.c.slot_start < sa.bindparam("w_end"), _cap.c.slot_end > sa.bindparam("w_start"))
    .order_by(_cap.c.slot_start).with_for_update().cte("window_locked").prefix_with("MATERIALIZED"))
_HOLD_WINDOW = (_cap.update()
                .where(_cap.c.id == _WINDOW_LOCKED.c.id,
                       ~sa.exists().where(_WINDOW_LOCKED.c.held >= _WINDOW_LOCKED.c.places))
                .values(held=_cap.c.held + 1).returning(*_cap.c))
_UNHOLD = _cap.update().where(_cap.c.id.in_(sa.bindparam("ids", expanding=True))).values(held=_cap.c.held - 1)
_INSERT_MESSAGE = outbox.insert()


_OPEN_ONLINE = (sa.select(_cap.c.facility_id, _cap.c.programme).distinct().where(
    _cap.c.facility_id.in_(sa.bindparam("ids", expanding=True)), _cap.c.places > 0,
    _cap.c.slot_end > sa.bindparam("now")))


def open_online(conn: sa.Connection, facility_ids: Iterable[str], now: datetime) -> dict[str, frozenset[str]]:
    """The programmes each of ``facility_ids`` publishes places for in a slot ending after
    ``now`` (aware), as :meth:`BookingStore.opens_places` asks of one: the programmes a family
    can book online there now (a provider missing from the answer publishes none). ONE query
    for all the ids (a search's results), on the ``(facility_id, programme, slot_start)``
    index; none when ``facility_ids`` is empty."""
    wanted = sorted(set(facility_ids))
    if not wanted:
        return {}
    found: dict[str, set[str]] = {}
    for facility_id, programme in conn.execute(_OPEN_ONLINE, {"ids": wanted, "now": _utc(now, "now")}):
        found.setdefault(facility_id, set()).add(programme)
    return {f: frozenset(p) for f, p in found.items()}


_OPEN_IN_WINDOW = (sa.select(_cap.c.facility_id, _cap.c.programme, _cap.c.slot_start, _cap.c.slot_end,
                             _cap.c.places).where(
    _cap.c.facility_id.in_(sa.bindparam("ids", expanding=True)), _cap.c.slot_end > sa.bindparam("start"),
    _cap.c.slot_start < sa.bindparam("end")))


def covered_until(start: datetime, spans: Iterable[tuple[datetime, datetime]]) -> datetime:
    """How far published slots ``spans`` (``(slot_start, slot_end)``, aware, any order: one
    provider's slots of one programme, which never overlap) cover time from ``start`` without a
    gap: ``start`` itself when no slot holds it. A window ``[start, end)`` is covered when the
    answer is at or after ``end``: a window ending exactly at a slot's end is covered, one
    starting at a slot's end is not in that slot, an hour with no slot stops the cover there,
    and slots meeting at midnight (or a slot crossing it) are one cover (times are UTC).

    The one rule the search's ``books_online`` (:func:`open_in_window`, over the slots that
    open a place) and a booking's refusal (:func:`_refuse_unbookable`, then
    :func:`refuse_uncovered` and :class:`NoPlacesOpened`) decide a window by, so a provider the
    search shows as bookable for a window is not refused as uncovered."""
    covered = start
    for slot_start, slot_end in sorted(spans):
        if slot_start > covered:
            break
        covered = max(covered, slot_end)
    return covered


def open_in_window(conn: sa.Connection, facility_ids: Iterable[str], start: datetime,
                   end: datetime) -> dict[str, frozenset[str]]:
    """The programmes each of ``facility_ids`` publishes places for over the whole window
    ``[start, end)`` (aware): its slots of the programme cover the window without a gap and
    each opens a place (``places > 0``; how many are held is not read: a full slot is the
    booking's own refusal, :class:`PlacesFull`), as :func:`hold_places` asks before holding.
    A provider missing from the answer publishes no such cover. ONE query for all the ids (a
    search's results), on the ``booking_capacity_open (facility_id, slot_end)`` index: only
    the slots ending after ``start`` are read, and only those overlapping the window are
    returned; none when ``facility_ids`` is empty."""
    wanted = sorted(set(facility_ids))
    if not wanted:
        return {}
    start, end = _utc(start, "start"), _utc(end, "end")
    slots: dict[tuple[str, str], list[tuple[datetime, datetime, int]]] = {}
    for facility_id, programme, slot_start, slot_end, places in conn.execute(
            _OPEN_IN_WINDOW, {"ids": wanted, "start": start, "end": end}):
        slots.setdefault((facility_id, programme), []).append((_read(slot_start), _read(slot_end), places))
    found: dict[str, set[str]] = {}
    for (facility_id, programme), rows in slots.items():
        if covered_until(start, [(s, e) for s, e, places in rows if places > 0]) >= end:  # a 0-place slot: a gap
            found.setdefault(facility_id, set()).add(programme)
    return {f: frozenset(p) for f, p in found.items()}


ONLINE_REMEMBER_S = 5.0
"""How long a server remembers what a provider takes bookings for online (:class:`OnlineProgrammes`)."""
ONLINE_MAX_REMEMBERED = 100_000


class OnlineProgrammes:
    """What each provider takes bookings for online now (:func:`open_online`) or over a
    search's window (:func:`open_in_window`), for the search's results: each provider's answer
    (per window) is remembered ``remember_s`` seconds, so a search reads the
    database at most once (one query for the providers it does not remember) and the searches
    of one area most often not at all. A change of the provider's places through this store is
    seen at once (:meth:`forget`, called by :meth:`BookingStore.publish_slot` and
    :meth:`BookingStore.publish_missing`); another server's within ``remember_s``. ``clock``:
    seconds, monotonic (tests pass their own)."""

    def __init__(self, engine: sa.Engine, remember_s: float = ONLINE_REMEMBER_S,
                 max_remembered: int = ONLINE_MAX_REMEMBERED, clock: Callable[[], float] = monotonic) -> None:
        self.engine, self.remember_s, self.max_remembered, self.clock = engine, remember_s, max_remembered, clock
        # facility id -> window (None: none, "now") -> (when read, programmes)
        self._seen: dict[str, dict[tuple[datetime, datetime] | None, tuple[float, frozenset[str]]]] = {}
        self._remembered = 0  # answers in _seen (all cleared past max_remembered)

    def of(self, facility_ids: Iterable[str], now: datetime,
           window: tuple[datetime, datetime] | None = None) -> dict[str, frozenset[str]]:
        """The programmes each of ``facility_ids`` takes bookings for online: with ``window``
        (``(start, end)``, aware: a search's window), those it publishes places for over the
        whole window (:func:`open_in_window`); without, those it publishes places for in a slot
        ending after ``now`` (aware; :func:`open_online`). A provider taking none is left out.
        Each answer is remembered per provider and window. Raises SQLAlchemy's ``DBAPIError``
        when the database cannot be read (nothing is remembered then)."""
        at = self.clock()
        found: dict[str, frozenset[str]] = {}
        missing: list[str] = []
        for facility_id in facility_ids:
            seen = self._seen.get(facility_id, {}).get(window)
            if seen is not None and at - seen[0] < self.remember_s:
                if seen[1]:
                    found[facility_id] = seen[1]
            else:
                missing.append(facility_id)
        if missing:
            with reads(self.engine).connect() as conn:
                read = open_online(conn, missing, now) if window is None else \
                    open_in_window(conn, missing, *window)
            if self._remembered + len(missing) > self.max_remembered:
                self._seen.clear()
                self._remembered = 0
            for facility_id in missing:
                programmes = read.get(facility_id, frozenset())
                answers = self._seen.setdefault(facility_id, {})
                self._remembered += window not in answers
                answers[window] = (at, programmes)
                if programmes:
                    found[facility_id] = programmes
        return found

    def forget(self, facility_id: str) -> None:
        """Read the provider again at the next search, for every window (its places changed here)."""
        self._remembered -= len(self._seen.pop(facility_id, {}))


def hold_places(conn: sa.Connection, facility_id: str, programme: str, start: datetime, end: datetime,
                whole_window: bool = True, tz: tzinfo = UTC) -> list[int]:
    """Count a place for ``[start, end)`` (aware UTC) in every published slot of the provider's
    programme it overlaps, in the caller's transaction; returns the capacity ids held.

    The capacity rows are locked in slot order (as :func:`_give_back` locks them).
    ``whole_window``: the slots must cover the window without a gap, else :class:`NotBookable`;
    False: what the slots do not cover (all of the window when none is published) holds no
    place. :class:`PlacesFull` names the first slot with no place left. Either error leaves
    every count as it was (the caller's transaction then writes nothing) and names times in
    ``tz``, the registry's zone."""
    params = {"w_facility_id": facility_id, "w_programme": programme, "w_start": start, "w_end": end}
    rows = conn.execute(_HOLD_WINDOW, params).all()
    if not rows:  # none published, or one full or opening none (nothing was changed): say which
        slots = _window_slots(conn, facility_id, programme, start, end)
        _refuse_unbookable(conn, slots, facility_id, programme, start, end, whole_window, tz)
        return []  # whole_window False and nothing published: the booking holds no place
    # Each slot as it was before this hold (its count taken back), in time order.
    before = sorted((replace(_slot(r), held=r.held - 1) for r in rows), key=lambda slot: slot.start)
    ids = [slot.id for slot in before]
    if whole_window and covered_until(start, [(slot.start, slot.end) for slot in before]) < end:
        conn.execute(_UNHOLD, {"ids": ids})  # every count as it was before the refusal is explained
        _refuse_unbookable(conn, before, facility_id, programme, start, end, whole_window, tz)
        raise AssertionError("an uncovered window was not refused")  # _refuse_unbookable raised above
    return ids


def check_places(conn: sa.Connection, facility_id: str, programme: str, start: datetime, end: datetime,
                 tz: tzinfo = UTC) -> None:
    """:func:`hold_places`'s refusals for ``[start, end)`` without holding anything or locking
    a row (a quote's read, or the remaining windows once one of a pattern is refused); ``start``
    and ``end`` aware, in any zone (as :func:`open_in_window` takes them: the same answer)."""
    start, end = _utc(start, "start"), _utc(end, "end")  # SQLite compares the stored UTC text
    _refuse_unbookable(conn, _window_slots(conn, facility_id, programme, start, end), facility_id, programme,
                       start, end, True, tz)


def _window_slots(conn: sa.Connection, facility_id: str, programme: str, start: datetime,
                  end: datetime) -> list[Slot]:
    """The provider's slots of the programme that ``[start, end)`` overlaps, in time order."""
    return [_slot(r) for r in conn.execute(sa.select(_cap).where(
        _cap.c.facility_id == facility_id, _cap.c.programme == programme, _cap.c.slot_start < end,
        _cap.c.slot_end > start).order_by(_cap.c.slot_start))]


def _refuse_unbookable(conn: sa.Connection, slots: list[Slot], facility_id: str, programme: str,
                       start: datetime, end: datetime, whole_window: bool, tz: tzinfo) -> None:
    """The refusals of a window over ``slots`` (the programme's slots overlapping it, in time
    order): with ``whole_window``, a gap in their cover (:func:`refuse_uncovered`); a slot that
    opens no place (:class:`NoPlacesOpened`) or has none left (:class:`PlacesFull`)."""
    if whole_window:
        covered = covered_until(start, [(slot.start, slot.end) for slot in slots])
        if covered < end:
            refuse_uncovered(conn, facility_id, programme, covered, end, tz, window_start=start)
    for slot in slots:
        if slot.places == 0:
            raise NoPlacesOpened(facility_id, programme, slot.start, slot.end, slot.places, tz)
        if slot.held >= slot.places:
            raise PlacesFull(facility_id, programme, slot.start, slot.end, slot.places, tz)


class OccurrencesRefused(BookingError):
    """Windows of a weekly pattern that cannot be booked (nothing of the pattern is stored):
    409 on ``repeat``; ``dates`` names each refused window (local ``date``, ``start``, ``end``)
    with its own refusal (``code``, ``reason``, ``message`` and figures)."""

    code = "occurrences_refused"
    reason = "occurrences_refused"
    http_status = 409

    def __init__(self, refused: list[tuple[datetime, datetime, BookingError]], tz: tzinfo) -> None:
        self.dates: list[dict[str, object]] = []
        for start, end, exc in refused:
            local_start = start.astimezone(tz)
            self.dates.append({"date": local_start.date().isoformat(), "start": local_start.isoformat(),
                               "end": end.astimezone(tz).isoformat(), "code": exc.code, "reason": exc.reason,
                               "message": str(exc), **exc.extra})
        days = ", ".join(f"{d['date']} ({d['reason'] or d['code']})" for d in self.dates)
        super().__init__(f"{len(self.dates)} of the pattern's dates cannot be booked, so none was: {days}",
                         "repeat")

    @property
    def extra(self) -> dict[str, object]:
        return {"dates": self.dates, "refused_dates": [d["date"] for d in self.dates]}


def refuse_uncovered(conn: sa.Connection, facility_id: str, programme: str, covered: datetime,
                     end: datetime, tz: tzinfo = UTC, window_start: datetime | None = None) -> NoReturn:
    """Refuse a window published slots cover only until ``covered``, with the reason a page
    can turn into advice: ``nothing_published`` when the provider publishes no places for the
    programme at all (it does not book online: phone it or send an emergency request);
    ``window_after_places`` when the whole window starts (``window_start``) at or after the
    last published slot's end (``places_until``): an earlier end cannot help, an earlier date
    or another provider can; ``published_until`` when it publishes nothing after ``covered``,
    a time inside the window (its places stop there: an earlier end helps), naming the last
    published slot's end (``places_until``); ``none_at_start`` when nothing
    covers the window from its start (``window_start``; an earlier end cannot help: another
    time or provider); else (a gap after the start, before later places)
    ``no_places_published``. Times in ``tz`` (the registry's zone), in the message and the
    figures. One more read, on the refusal's path only."""
    cap = booking_capacity
    last = conn.execute(sa.select(sa.func.max(cap.c.slot_end)).where(
        cap.c.facility_id == facility_id, cap.c.programme == programme)).scalar()
    last_end = _read(last).astimezone(tz) if last is not None else None
    covered, end = covered.astimezone(tz), end.astimezone(tz)
    figures: dict[str, object] = {"uncovered_from": covered.isoformat(), "window_end": end.isoformat()}
    if last_end is None:
        raise NotBookable(f"{facility_id} publishes no places for {programme} at all (asked: {covered.isoformat()} "
                          f"to {end.isoformat()}): it does not take bookings online; phone it, or send an emergency "
                          "care request", "window", "nothing_published", figures)
    if window_start is not None and last_end <= window_start:
        start = window_start.astimezone(tz)
        raise NotBookable(f"{facility_id} publishes places for {programme} only until {last_end.isoformat()}; "
                          f"the window starts after them, {start.isoformat()}: an earlier date or another "
                          "provider", "window", "window_after_places",
                          {**figures, "places_until": last_end.isoformat(), "window_start": start.isoformat()})
    if last_end <= covered:
        raise NotBookable(f"{facility_id} publishes places for {programme} only until {last_end.isoformat()}; "
                          f"the window ends {end.isoformat()}", "window", "published_until",
                          {**figures, "places_until": last_end.isoformat()})
    if window_start is not None and covered <= window_start:
        raise NotBookable(f"{facility_id} publishes no places for {programme} from {covered.isoformat()}, the "
                          f"window's start (the window ends {end.isoformat()}): another time or provider",
                          "window", "none_at_start", figures)
    raise NotBookable(f"{facility_id} publishes no places for {programme} from {covered.isoformat()} "
                      f"(the window ends {end.isoformat()})", "window", "no_places_published", figures)


def lock_child(conn: sa.Connection, child_id: str, read_birth_date: bool = False) -> date | None:
    """Serialise the bookings of one child in the caller's transaction: its ``children`` row
    locked (``SELECT … FOR UPDATE``) on PostgreSQL, or, for a child with no row, a transaction
    advisory lock on its id; on SQLite every writing transaction already starts with ``BEGIN
    IMMEDIATE`` (one writer at a time). Taken before the capacity rows (never after them).

    Returns the child's birth date as stored now when ``read_birth_date`` (None otherwise, or
    for a child with no row): on PostgreSQL read by the locking statement itself, so a booking
    locks and reads the age it checks in one round trip."""
    if conn.dialect.name != "postgresql":
        if not read_birth_date:
            return None
        born: date | None = conn.execute(sa.select(children.c.birth_date).where(children.c.id == child_id)).scalar()
        return born
    row = conn.execute(sa.select(children.c.birth_date).where(children.c.id == child_id).with_for_update()).first()
    if row is None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("child:" + child_id, 0))))
        return None
    return row.birth_date if read_birth_date else None


def lock_child_checking_age(conn: sa.Connection, child_id: str, check: Callable[[date], None] | None) -> None:
    """:func:`lock_child`, then ``check`` (the caller's age rules:
    :class:`app.care.rules.NotEligible` when the child's age leaves the programme or the
    provider) on the child's birth date as stored now, read by the locking statement itself on
    PostgreSQL: what a booking's or a care request's transaction starts with. A birth-date
    change (:meth:`app.care.children.ChildStore.update`, which takes the same lock) either
    committed before this read, and its date is the one checked, or waits until the booking is
    written and then sees it (409 ``birth_date_in_use``). The checks the desk made before the
    transaction read the date unlocked. A child with no row (deleted meanwhile, or a test's
    bare id) is locked by its id and not checked: the family's deletion cancels what was
    booked meanwhile."""
    born = lock_child(conn, child_id, read_birth_date=check is not None)
    if check is not None and born is not None:
        check(born)


def lock_provider_places(conn: sa.Connection, facility_id: str) -> None:
    """Serialise, per provider, publishing places (:meth:`BookingStore.publish_slot`,
    :meth:`BookingStore.publish_missing`) and the booking an accepted emergency offer makes
    (:func:`book_accepted_offer`), in the caller's transaction: each writes rows the other must
    read (a new slot, a booking held where no slot was yet), which PostgreSQL's READ COMMITTED
    would not show it while uncommitted, so the slot would get all its places and the booking
    hold none. PostgreSQL: a transaction advisory lock on ``places:<facility id>`` (released at
    commit or rollback; the statements after it see what the other side committed); SQLite:
    nothing, every writing transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time).
    Taken after the child's lock (:func:`lock_child`) and before any capacity row; a guardian's
    own booking does not take it (it needs published slots covering its window, and reads
    them under their row locks)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended("places:" + facility_id, 0))))


# The child's live bookings (states that hold a place) whose window meets [near_start, near_end).
_CHILD_LIVE_WHERE = (
    bookings.c.child_id == sa.bindparam("child_id"), bookings.c.status.in_(sorted(BOOKING.holding_states())),
    bookings.c.window_start < sa.bindparam("near_end"), bookings.c.window_end > sa.bindparam("near_start"))
_CHILD_LIVE_NEAR = sa.select(bookings).where(*_CHILD_LIVE_WHERE).order_by(bookings.c.window_start, bookings.c.id)

OPEN_REQUEST_STATES = ("requested", "unmatched")
"""The states of an emergency care request that still waits for a provider or a person (an
accepted one has its booking, which the booking check sees)."""

# The same read with the child's open care requests overlapping [start, end) (other than
# own_request), as booking-shaped rows tagged kind = 'request': a booking checks both in one
# round trip (the booking path is the hot one).
_cr = care_requests
_CHILD_LIVE_AND_REQUESTS = sa.union_all(
    sa.select(sa.literal_column("'booking'").label("kind"), *bookings.c).where(*_CHILD_LIVE_WHERE),
    sa.select(sa.literal_column("'request'").label("kind"),
              *(_cr.c[c.name].label(c.name) if c.name in _cr.c else sa.null().label(c.name)
                for c in bookings.c))
    .where(_cr.c.child_id == sa.bindparam("child_id"), _cr.c.status.in_(OPEN_REQUEST_STATES),
           _cr.c.id != sa.bindparam("own_request"),
           _cr.c.window_start < sa.bindparam("end"), _cr.c.window_end > sa.bindparam("start")))


def check_child_window(conn: sa.Connection, child_id: str, programme: str | None, start: datetime, end: datetime,
                       tz: tzinfo = UTC, lock: bool = True, requests: bool = True,
                       own_request: str | None = None) -> None:
    """The booking rules about the child's other bookings and care requests, for a new window
    ``[start, end)`` (aware UTC) of ``programme``, in the caller's transaction, with one read of
    the child's live bookings near the window (and its open care requests overlapping it):

    - :class:`ChildAlreadyBooked` (409) when a live booking of the child (requested, accepted,
      in progress; any programme, any provider) overlaps the window (the earliest is named);
    - ``requests`` (True): :class:`ChildAlreadyRequested` (409) when an open care request of the
      child (:data:`OPEN_REQUEST_STATES`) other than ``own_request`` overlaps the window (one
      live thing per child at a time: the guardian cancels the request first); False for the
      booking an accepted offer makes (its request is the one being served);
    - :class:`TooManyConsecutiveDays` (409) when the window, with the child's live bookings of
      the programme it touches or follows day to day, spans more consecutive calendar dates in
      ``tz`` than the programme's ``max_consecutive_days`` (``app/reference/booking_rules.json``;
      none, or ``programme`` None: not checked). Bookings more than the limit (plus one) days
      away cannot change the answer, so only those nearer are read.

    ``lock``: the child locked first (:func:`lock_child`), so a concurrent booking of the child
    waits and then sees this one."""
    if lock:
        lock_child(conn, child_id)
    rule = booking_rules().get(programme) if programme is not None else None
    limit = rule.max_consecutive_days if rule is not None else None
    reach = timedelta(days=limit + 2) if limit is not None else timedelta(0)
    params = {"child_id": child_id, "near_start": start - reach, "near_end": end + reach}
    if requests:
        rows = conn.execute(_CHILD_LIVE_AND_REQUESTS, {**params, "start": start, "end": end,
                                                       "own_request": own_request or ""}).all()
    else:
        rows = conn.execute(_CHILD_LIVE_NEAR, params).all()
    near = sorted((_booking(r) for r in rows if getattr(r, "kind", "booking") == "booking"),
                  key=lambda b: (b.start, b.id))
    for other in near:
        if other.start < end and other.end > start:
            raise ChildAlreadyBooked(other, tz)
    open_requests = sorted((r for r in rows if getattr(r, "kind", "booking") == "request"),
                           key=lambda r: (_read(r.window_start), r.id))
    for r in open_requests:
        raise ChildAlreadyRequested(r.id, r.status, _read(r.window_start), _read(r.window_end), tz)
    if limit is None or programme is None:
        return
    _refuse_long_chain(programme, limit, start, end, [b for b in near if b.programme == programme], tz)


def _refuse_long_chain(programme: str, limit: int, start: datetime, end: datetime, same: list[Booking],
                       tz: tzinfo) -> None:
    """:class:`TooManyConsecutiveDays` when ``[start, end)`` with ``same`` (the child's live
    bookings of ``programme``) chains day to day over more than ``limit`` local dates."""
    first, last = chained_days((start, end), [(b.start, b.end) for b in same], tz)
    if (last - first).days + 1 > limit:
        chained = [b.id for b in same if first <= local_dates(b.start, b.end, tz)[0] <= last]
        raise TooManyConsecutiveDays(programme, limit, first, last, chained)


def check_run_chain(conn: sa.Connection, child_id: str, programme: str, start: datetime, end: datetime,
                    tz: tzinfo = UTC) -> None:
    """:class:`TooManyConsecutiveDays` (409) when a run of windows on every date from
    ``start``'s through ``end``'s (aware UTC: a daily pattern's first start and last end),
    with the child's live bookings of ``programme`` that touch or follow it day to day, spans
    more consecutive local dates (in ``tz``) than the programme allows; the limit counted once
    for the whole run (a quote checking each date on its own would miss a booking the day
    before the run). No overlap check (each window has its own, :func:`check_child_window`).
    One read of the child's live bookings near the run, in the caller's transaction."""
    rule = booking_rules().get(programme)
    limit = rule.max_consecutive_days if rule is not None else None
    if limit is None:
        return
    reach = timedelta(days=limit + 2)
    rows = conn.execute(_CHILD_LIVE_NEAR, {"child_id": child_id, "near_start": start - reach,
                                           "near_end": end + reach}).all()
    _refuse_long_chain(programme, limit, start, end, [b for b in map(_booking, rows) if b.programme == programme],
                       tz)


def _opened(booking: Booking, actor_role: str, actor_id: str | None, reason: str | None,
            confirm: tuple[str, str | None, str] | None) -> tuple[Booking, list[dict[str, Any]]]:
    """A new booking (in :data:`BOOKING`'s initial state, version 1) and its ``book`` event;
    with ``confirm`` = (role, actor id, reason), confirmed at once: the ``confirm`` transition
    (checked by the lifecycle) recorded too, no hold deadline, version 2."""
    at = booking.created_at
    events = [{"booking_id": booking.id, "action": "book", "from_state": None, "to_state": booking.status,
               "actor_role": actor_role, "actor_id": actor_id, "reason": reason, "at": at}]
    if confirm is not None:
        role, by, why = confirm
        event = BOOKING.fire(booking.status, "confirm", role, why, at=at)
        booking = replace(booking, status=event.to_state, version=2, hold_expires_at=None)
        events.append({"booking_id": booking.id, "action": "confirm", "from_state": event.from_state,
                       "to_state": event.to_state, "actor_role": role, "actor_id": by, "reason": event.reason,
                       "at": at})
    return booking, events


def record_booking(conn: sa.Connection, booking: Booking, events: list[dict[str, Any]],
                   capacity_ids: list[int], messages: Sequence[dict[str, Any]] = ()) -> None:
    """Write a new booking, the places it holds (from :func:`hold_places`), its events and
    ``messages`` (outbox rows) in the caller's transaction, in one statement on PostgreSQL
    (:func:`app.db.writes.insert_together`)."""
    insert_together(conn, [
        (bookings, [{
            "id": booking.id, "facility_id": booking.facility_id, "programme": booking.programme,
            "child_id": booking.child_id, "guardian_id": booking.guardian_id, "window_start": booking.start,
            "window_end": booking.end, "status": booking.status, "hold_expires_at": booking.hold_expires_at,
            "version": booking.version, "created_at": booking.created_at, "updated_at": booking.updated_at,
            "request_id": booking.request_id, "offer_id": booking.offer_id, "pattern_id": booking.pattern_id}]),
        (booking_holds, [{"booking_id": booking.id, "capacity_id": i} for i in capacity_ids]),
        (booking_events, [{**e, "reason": seal_reason(conn, e.get("reason"))} for e in events]),
        (outbox, messages)])


def book_accepted_offer(conn: sa.Connection, *, facility_id: str, programme: str, child_id: str,
                        guardian_id: str, start: datetime, end: datetime, request_id: str, offer_id: str,
                        staff_role: str, staff_id: str, at: datetime, tz: tzinfo = UTC) -> Booking:
    """The booking a provider's acceptance of an emergency care offer makes, in the
    acceptance's transaction (``conn``, :meth:`app.care.matching.MatchingEngine.accept`).

    Confirmed at once (the provider accepted): events ``book`` and ``confirm`` by the staff
    member who accepted, reason ``offer <id> accepted``; linked to the request and the offer. A
    place is held in every slot the provider publishes for the programme that the window
    overlaps, as :meth:`BookingStore.book` holds them (:class:`PlacesFull` when one is full:
    the caller's transaction, the acceptance with it, then writes nothing); where it publishes
    none the booking holds no place (the provider accepted outside its published places).
    Writes no message: the request's ``request.matched`` tells the guardian, and the staff
    who accepted know. A window overlapping another live booking of the child raises
    :class:`ChildAlreadyBooked` (the child locked first, :func:`check_child_window`; ``tz``: the
    registry's zone its message names times in) and the acceptance writes nothing."""
    start, end, at = _utc(start, "start"), _utc(end, "end"), _utc(at, "now")
    check_child_window(conn, child_id, programme, start, end, tz, requests=False)
    lock_provider_places(conn, facility_id)  # a slot published meanwhile is seen, or sees this booking
    held = hold_places(conn, facility_id, programme, start, end, whole_window=False, tz=tz)
    reason = f"offer {offer_id} accepted"
    booking, events = _opened(
        Booking(uuid.uuid4().hex, facility_id, programme, child_id, start, end, BOOKING.initial, 1, None, at, at,
                guardian_id, request_id, offer_id), staff_role, staff_id, reason, (staff_role, staff_id, reason))
    record_booking(conn, booking, events, held)
    return booking


def _give_back(conn: sa.Connection, booking_id: str) -> None:
    """Return the booking's places: the capacity rows locked in slot order (as :func:`hold_places`
    locks them, so two transactions never wait on each other in a cycle)."""
    cap = booking_capacity
    ids = conn.execute(sa.select(cap.c.id).join(booking_holds, booking_holds.c.capacity_id == cap.c.id)
                       .where(booking_holds.c.booking_id == booking_id)
                       .order_by(cap.c.slot_start).with_for_update(of=cap)).scalars().all()
    if ids:
        conn.execute(cap.update().where(cap.c.id.in_(ids)).values(held=cap.c.held - 1))
        conn.execute(booking_holds.delete().where(booking_holds.c.booking_id == booking_id))


def _adopt_live_bookings(conn: sa.Connection, capacity_ids: list[int]) -> None:
    """Count in the new slots ``capacity_ids`` (or a slot made longer, none held in it) the live
    bookings already made there: a booking made where no place was published yet (a provider
    accepting an emergency offer, :func:`book_accepted_offer`) holds a place in each slot
    published later over its window, so the slot never offers that place again (tester 28: two
    children in one place). Each such booking gets its hold row (given back on cancel as any
    other, :func:`_give_back`).

    Two statements for all the slots (an ``INSERT … SELECT`` of the hold rows, one ``UPDATE``
    of the slots that got any), in the publish's transaction after :func:`lock_provider_places`
    (an offer accepted meanwhile is seen). The bookings are read ``FOR SHARE`` on PostgreSQL:
    one being cancelled (its places given back) meanwhile is waited for and, cancelled, not
    counted, so the new slot never keeps its place."""
    if not capacity_ids:
        return
    cap, holds = booking_capacity, booking_holds
    live_in_new_slots = sa.select(bookings.c.id, cap.c.id).join(cap, sa.and_(
        cap.c.facility_id == bookings.c.facility_id, cap.c.programme == bookings.c.programme,
        cap.c.slot_start < bookings.c.window_end, cap.c.slot_end > bookings.c.window_start)).where(
        cap.c.id.in_(capacity_ids), bookings.c.status.in_(sorted(BOOKING.holding_states()))).with_for_update(
        read=True, of=bookings)  # PostgreSQL: a cancel not committed yet is waited for, then its state read
    if not conn.execute(holds.insert().from_select(["booking_id", "capacity_id"], live_in_new_slots)).rowcount:
        return
    # A new slot's holds are the adopted ones; one planned with fewer places still has these
    # children: it is full.
    n = sa.select(sa.func.count()).select_from(holds).where(holds.c.capacity_id == cap.c.id).scalar_subquery()
    conn.execute(cap.update().where(cap.c.id.in_(capacity_ids), sa.exists().where(holds.c.capacity_id == cap.c.id))
                 .values(held=n, places=sa.case((cap.c.places < n, n), else_=cap.c.places)))


def move_booking(conn: sa.Connection, booking_id: str, action: str, actor_role: str, actor_id: str | None,
                 reason: str | None, at: datetime, expected_version: int | None = None,
                 first_name: str | None = None, follow_request: bool = True, tz: tzinfo = UTC,
                 notify: bool = True, timed: bool = True) -> Booking:
    """:meth:`BookingStore.transition` in the caller's transaction (``at`` aware UTC): the
    booking row locked, the transition checked, its event, the place given back and the
    message, as there (``notify`` False: no message; a pattern answered or lapsed as one is
    told of by one :func:`_pattern_message`; ``timed`` False: the time rules of
    :func:`action_times` are not applied — a family's data deletion cancels whatever the time).

    A booking made from an emergency care request moves the request with it, by the same
    person, in this transaction (:func:`app.care.request_rows.follow_booking`: checked in -> in
    progress, completed, no-show -> failed, cancelled); the request's row is locked before the
    booking's, the order the request's own cancel takes. ``follow_request`` False: the caller
    is that cancel (it moves the request itself; a cancel never comes back to its source)."""
    if follow_request:
        request_id = conn.execute(sa.select(bookings.c.request_id).where(bookings.c.id == booking_id)).scalar()
        if request_id is not None:  # never changes once written: reading it before the locks is safe
            lock_request(conn, request_id)
    row = conn.execute(sa.select(bookings).where(bookings.c.id == booking_id).with_for_update()).first()
    if row is None:
        raise BookingNotFound(f"no booking {booking_id}", "booking_id")
    event = BOOKING.fire(row.status, action, actor_role, reason, at=at)
    if expected_version is not None and expected_version != row.version:
        raise VersionConflict(booking_id, expected_version, row.version, row.status)
    if timed:
        check_action_time(action, _read(row.window_start), _read(row.window_end), at, tz, actor_role)
    changed = conn.execute(bookings.update().where(
        bookings.c.id == booking_id, bookings.c.status.in_(sorted(BOOKING.sources(action)))).values(
        status=event.to_state, version=bookings.c.version + 1, updated_at=at,
        hold_expires_at=row.hold_expires_at if event.to_state == BOOKING.initial else None)).rowcount
    if changed != 1:  # unreachable under the row lock
        raise InvalidTransition(BOOKING.name, row.status, action, ())
    if BOOKING.state(event.from_state).holds_place and not BOOKING.state(event.to_state).holds_place:
        _give_back(conn, booking_id)
    conn.execute(booking_events.insert().values(
        booking_id=booking_id, action=action, from_state=event.from_state, to_state=event.to_state,
        actor_role=actor_role, actor_id=actor_id, reason=seal_reason(conn, event.reason), at=at))
    before = _booking(row)
    done = replace(before, status=event.to_state, version=before.version + 1, updated_at=at,
                   hold_expires_at=before.hold_expires_at if event.to_state == BOOKING.initial else None)
    topic = NOTIFY_TOPICS.get(event.to_state)
    if topic is not None and notify and first_name is None and topic in PROVIDER_TOPICS:
        # staff messages name the child (a family's cancel, a lapse): the first name only
        first_name = conn.execute(sa.select(children.c.given_name).where(children.c.id == row.child_id)).scalar()
    if topic is not None and notify:
        conn.execute(outbox.insert().values(
            idempotency_key=f"booking/{booking_id}/v{done.version}", topic=topic,
            payload=_message(topic, done, {"from_state": event.from_state, "actor_role": actor_role,
                                           "reason": event.reason, "at": at.isoformat()}, first_name),
            created_at=at, available_at=at, attempts=0, sent_at=None))
    if follow_request and row.request_id is not None:
        follow_booking(conn, row.request_id, booking_id, event.to_state, actor_role, actor_id, event.reason, at)
    return done


@dataclass(frozen=True)
class DateAnswer:
    """What became of one date of a pattern answered or lapsed as one: ``done`` (moved by this
    answer) and its ``status`` after it (when not done: the state it was found in — expired,
    cancelled, accepted … — which a page names)."""

    booking_id: str
    start: datetime
    end: datetime
    done: bool
    status: str
    version: int

    def as_dict(self, tz: tzinfo) -> dict[str, object]:
        """The API's item: ``date`` the local date in ``tz``; ``start``/``end`` UTC."""
        return {"booking_id": self.booking_id, "date": self.start.astimezone(tz).date().isoformat(),
                "start": self.start.isoformat(), "end": self.end.isoformat(), "done": self.done,
                "status": self.status, "version": self.version}


def _answer_dates(conn: sa.Connection, ids: list[str], action: str, actor_role: str, actor_id: str | None,
                  reason: str | None, at: datetime, tz: tzinfo) -> list[DateAnswer]:
    """:meth:`BookingStore.answer_pattern`'s (and a pattern's lapse's) work in ``conn``'s
    transaction: ``action`` on each booking of ``ids`` (one pattern's, in window order) that is
    still waiting, each under a savepoint (a transition the state no longer allows rolls back
    that date only), then ONE message of the dates done (two or more; one date: its own
    message, as :func:`move_booking` writes it)."""
    found = {r.id: r for r in conn.execute(sa.select(bookings).where(bookings.c.id.in_(ids)))}
    ids = sorted(found, key=lambda i: (_read(found[i].window_start), i))  # window order, as the dates are named
    waiting = [i for i in ids if i in found and found[i].status == BOOKING.initial]
    answers: list[DateAnswer] = []
    done: list[Booking] = []
    from_state = BOOKING.initial  # every date done moved from it
    for booking_id in ids:
        row = found.get(booking_id)
        if row is None:
            continue
        if booking_id in waiting:
            try:
                with conn.begin_nested():
                    moved = move_booking(conn, booking_id, action, actor_role, actor_id, reason, at, tz=tz,
                                         notify=len(waiting) == 1)
            except InvalidTransition as exc:  # answered, cancelled or lapsed since it was read
                now_row = conn.execute(sa.select(bookings.c.status, bookings.c.version)
                                       .where(bookings.c.id == booking_id)).one()
                answers.append(DateAnswer(booking_id, _read(row.window_start), _read(row.window_end), False,
                                          now_row.status or exc.current_state, now_row.version))
                continue
            done.append(moved)
            answers.append(DateAnswer(booking_id, moved.start, moved.end, True, moved.status, moved.version))
        else:
            answers.append(DateAnswer(booking_id, _read(row.window_start), _read(row.window_end), False, row.status,
                                      row.version))
    if len(waiting) > 1 and done:
        first_name = conn.execute(sa.select(children.c.given_name)
                                  .where(children.c.id == done[0].child_id)).scalar()
        conn.execute(_INSERT_MESSAGE, _pattern_message(
            done, actor_role, at, first_name, PATTERN_ANSWER_TOPICS[done[0].status], from_state, reason,
            tell_staff=action == "expire"))
    return answers


class BookingStore:
    """Bookings on one engine (SQLite or PostgreSQL, from :func:`app.db.engine.make_engine`)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.online = OnlineProgrammes(engine)

    # -- places ------------------------------------------------------------------------------

    def publish_slot(self, facility_id: str, programme: str, start: datetime, end: datetime,
                     places: int, now: datetime | None = None, tz: tzinfo = UTC) -> Slot:
        """Publish (or change the places of) the slot ``[start, end)``. Refused: an end not after
        the start, a start or end off the window step on the wall clock of ``tz`` (the
        registry's zone; reason ``window_step``, :func:`app.care.windows.off_step`), a slot that
        has ended by ``now`` (the API passes the clock; None: not checked, for tests and data
        loads), negative places, fewer places than are held, a slot overlapping another one of
        the same provider and programme, or a new end for a slot with places held."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            raise SlotError("a slot's end must be after its start", "end")
        for field, value in (("start", start), ("end", end)):
            problem = off_step(value, field, tz)
            if problem is not None:
                raise SlotError(problem[0], field, "window_step", problem[1])
        if now is not None:
            check_not_ended(end, _utc(now, "now"), "end")
        if places < 0:
            raise SlotError(f"places must be 0 or more, not {places}", "places")
        cap = booking_capacity
        try:
            with self.engine.begin() as conn:
                lock_provider_places(conn, facility_id)  # an offer accepted meanwhile: see its booking
                others = conn.execute(sa.select(cap.c.slot_start, cap.c.slot_end).where(
                    cap.c.facility_id == facility_id, cap.c.programme == programme, cap.c.slot_start != start,
                    cap.c.slot_start < end, cap.c.slot_end > start)).first()
                if others is not None:
                    raise SlotError(f"the slot overlaps the published slot {_read(others.slot_start).isoformat()} "
                                    f"to {_read(others.slot_end).isoformat()}", "start")
                row = conn.execute(sa.select(cap).where(
                    cap.c.facility_id == facility_id, cap.c.programme == programme,
                    cap.c.slot_start == start).with_for_update()).first()
                if row is None:
                    key = conn.execute(cap.insert().values(
                        facility_id=facility_id, programme=programme, slot_start=start, slot_end=end,
                        places=places, held=0)).inserted_primary_key
                    assert key is not None
                    new_id = int(key[0])
                    _adopt_live_bookings(conn, [new_id])
                    held = conn.execute(sa.select(cap.c.held).where(cap.c.id == new_id)).scalar_one()
                    if places < held:
                        raise SlotError(f"{held} places are held in this slot by bookings already made: places "
                                        f"must be at least {held}", "places")
                    return Slot(new_id, facility_id, programme, start, end, places, held)
                if places < row.held:
                    raise SlotError(f"{row.held} places are held in this slot: places must be at least {row.held}",
                                    "places")
                if row.held and _read(row.slot_end) != end:
                    raise SlotError("places are held in this slot: its end cannot change", "end")
                conn.execute(cap.update().where(cap.c.id == row.id).values(places=places, slot_end=end))
                held = row.held
                if _read(row.slot_end) != end:  # none held: the slot's hours, new ones too, are counted now
                    _adopt_live_bookings(conn, [row.id])
                    held = conn.execute(sa.select(cap.c.held).where(cap.c.id == row.id)).scalar_one()
                    if places < held:
                        raise SlotError(f"{held} places are held in this slot by bookings already made: places "
                                        f"must be at least {held}", "places")
                return Slot(row.id, facility_id, programme, start, end, places, held)
        finally:  # after the commit: this server's searches read the provider again
            self.online.forget(facility_id)

    def publish_missing(self, facility_id: str, programme: str,
                        planned: Iterable[tuple[datetime, datetime, int]], now: datetime | None = None) -> int:
        """Publish each planned ``(start, end, places)`` slot that overlaps no slot already
        published (the staff's own slots and adjustments stand), in one transaction; returns
        how many were added. Used with :func:`app.care.slots.derive_slots`. ``now`` (the API
        passes the clock; None: not checked): slots that have ended by then are left out
        (today's earlier hours), and a plan of nothing but ended slots is refused
        (:class:`SlotError` ``in_past``, naming ``first_day``)."""
        wanted = sorted((_utc(s, "start"), _utc(e, "end"), n) for s, e, n in planned)
        if not wanted:
            return 0
        if any(e <= s or n < 0 for s, e, n in wanted):
            raise SlotError("every planned slot needs an end after its start and places >= 0", "slots")
        if now is not None:
            at = _utc(now, "now")
            check_not_ended(wanted[-1][1], at, "first_day")
            wanted = [w for w in wanted if w[1] > at]
        cap = booking_capacity
        try:
            with self.engine.begin() as conn:
                lock_provider_places(conn, facility_id)  # an offer accepted meanwhile: see its booking
                taken = [(_read(r.slot_start), _read(r.slot_end)) for r in conn.execute(
                    sa.select(cap.c.slot_start, cap.c.slot_end).where(
                        cap.c.facility_id == facility_id, cap.c.programme == programme,
                        cap.c.slot_start < wanted[-1][1], cap.c.slot_end > wanted[0][0]))]
                rows = [{"facility_id": facility_id, "programme": programme, "slot_start": s, "slot_end": e,
                         "places": n, "held": 0} for s, e, n in wanted
                        if not any(ts < e and te > s for ts, te in taken)]
                if rows:
                    conn.execute(cap.insert(), rows)
                    _adopt_live_bookings(conn, list(conn.execute(sa.select(cap.c.id).where(
                        cap.c.facility_id == facility_id, cap.c.programme == programme,
                        cap.c.slot_start.in_([r["slot_start"] for r in rows]))).scalars()))
        finally:  # after the commit: this server's searches read the provider again
            self.online.forget(facility_id)
        return len(rows)

    def opens_places(self, facility_id: str, programme: str, now: datetime) -> bool:
        """Whether the provider publishes any place for the programme in a slot that ends after
        ``now`` (a booking page says online booking is not open there otherwise): the search's
        ``books_online`` without a window (:func:`open_online`), for one provider."""
        with self.engine.connect() as conn:
            return programme in open_online(conn, [facility_id], now).get(facility_id, frozenset())

    def slots(self, facility_id: str, programme: str) -> list[Slot]:
        """The provider's published slots for the programme, in time order."""
        cap = booking_capacity
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(cap).where(cap.c.facility_id == facility_id,
                                                     cap.c.programme == programme).order_by(cap.c.slot_start))
            return [_slot(r) for r in rows]

    # -- bookings ----------------------------------------------------------------------------

    def book(self, facility_id: str, programme: str, child_id: str, start: datetime, end: datetime,
             hold_until: datetime | None, actor_role: str = GUARDIAN, actor_id: str | None = None,
             now: datetime | None = None, guardian_id: str | None = None,
             first_name: str | None = None, confirmed_by: str | None = None, tz: tzinfo = UTC,
             check_age: Callable[[date], None] | None = None) -> Booking:
        """Book ``[start, end)`` and hold a place in every slot it overlaps, in one transaction
        with its event and the provider's ``booking.requested`` message (outbox).

        ``confirmed_by``: the system's actor id when the booking is confirmed at once (real-time
        booking, a provider confirming automatically): the same transaction records the
        ``confirm`` transition too, and one ``booking.confirmed`` message goes to the guardian
        and the provider.

        ``hold_until``: when the hold lapses unless confirmed (:meth:`expire_holds`); None for
        none. ``guardian_id``: the user the booking is for (its messages go to them);
        ``first_name``: the child's, for the provider's message (nothing else of the child is
        written). Raises :class:`NotBookable` when published slots do not cover the window and
        :class:`PlacesFull`, naming the slot, when one has no place left (nothing is written),
        :class:`ChildAlreadyBooked` when the child has a live booking overlapping the window
        (checked after locking the child, :func:`check_child_window`; ``tz``: the registry's zone,
        for its message) and :class:`TooManyConsecutiveDays` when, with the child's live
        bookings of the programme it chains with day to day, it spans more consecutive local
        dates (in ``tz``) than the programme allows (the same function).

        ``check_age``: the age rules, run on the child's birth date read under the child's lock
        (:func:`lock_child_checking_age`), so a concurrent birth-date change cannot slip between
        the desk's checks and the booking; its refusal writes nothing.
        """
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            raise BookingError("a booking's end must be after its start", "end")
        at = _now(now)
        hold = _utc(hold_until, "hold_until") if hold_until is not None else None
        with self.engine.begin() as conn:
            lock_child_checking_age(conn, child_id, check_age)
            check_child_window(conn, child_id, programme, start, end, tz, lock=False)
            return self._write_one(conn, facility_id, programme, child_id, start, end, hold, actor_role, actor_id,
                                   at, guardian_id, first_name, confirmed_by, tz)

    def _write_one(self, conn: sa.Connection, facility_id: str, programme: str, child_id: str, start: datetime,
                   end: datetime, hold: datetime | None, actor_role: str, actor_id: str | None, at: datetime,
                   guardian_id: str | None, first_name: str | None, confirmed_by: str | None,
                   tz: tzinfo, notify: bool = True, pattern_id: str | None = None) -> Booking:
        """The places held, the booking, its events and its message, in ``conn``'s transaction
        (the child's window already checked): :meth:`book`'s writes (``notify`` False: no
        message; a pattern's one message is :func:`_pattern_message`; ``pattern_id``: the
        pattern's id every booking of one ``repeat`` request shares)."""
        held = hold_places(conn, facility_id, programme, start, end, tz=tz)
        booking, events = _opened(
            Booking(uuid.uuid4().hex, facility_id, programme, child_id, start, end, BOOKING.initial, 1, hold,
                    at, at, guardian_id, pattern_id=pattern_id), actor_role, actor_id, None,
            (SYSTEM, confirmed_by, CONFIRMED_AT_ONCE) if confirmed_by is not None else None)
        if not notify:
            record_booking(conn, booking, events, held)
            return booking
        topic = NOTIFY_TOPICS[booking.status]
        payload = _message(topic, booking, {"from_state": None, "actor_role": actor_role, "reason": None,
                                            "at": at.isoformat()}, first_name)
        if confirmed_by is not None:  # a new booking: the provider is told too
            payload["to"] = [*payload["to"], {"facility_id": facility_id}]
        record_booking(conn, booking, events, held, [{
            "idempotency_key": f"booking/{booking.id}/v{booking.version}", "topic": topic, "payload": payload,
            "created_at": at, "available_at": at, "attempts": 0, "sent_at": None}])
        return booking

    def book_many(self, facility_id: str, programme: str, child_id: str,
                  windows: Iterable[tuple[datetime, datetime]], hold_until: datetime | None,
                  actor_role: str = GUARDIAN, actor_id: str | None = None, now: datetime | None = None,
                  guardian_id: str | None = None, first_name: str | None = None, confirmed_by: str | None = None,
                  tz: tzinfo = UTC, check_age: Callable[[date], None] | None = None,
                  run: bool = False) -> list[Booking]:
        """Book every window (a weekly pattern's occurrences) in ONE transaction, all or none:
        each is :meth:`book`'s booking (its own places and events; cancelled on its own later),
        the child locked once, and ONE outbox message tells of them all (two windows or more:
        :func:`_pattern_message`, ``booking.pattern_requested`` or ``booking.pattern_confirmed``
        to the guardian and the provider's staff; one window: :meth:`book`'s message); each
        booking's later changes have their own messages. When any window cannot be booked, nothing is
        written and :class:`OccurrencesRefused` (409) names every such window with its own
        refusal (:class:`NotBookable`, :class:`PlacesFull`, :class:`ChildAlreadyBooked`,
        :class:`ChildAlreadyRequested`, :class:`TooManyConsecutiveDays`). Returns the bookings
        in window order. ``check_age``: as :meth:`book`'s, run once under the lock.

        Two windows or more are linked: every booking gets the same new ``pattern_id`` (one
        window: None, a single booking), which :meth:`answer_pattern` and :meth:`expire_holds`
        answer and tell of as one.

        ``run`` True (a daily pattern: a window on every date from the first to the last): the
        whole run with the child's live bookings of the programme is checked against the
        programme's consecutive-day limit first, under the child's lock
        (:func:`check_run_chain`), raising :class:`TooManyConsecutiveDays` (nothing written)."""
        spans = sorted((_utc(s, "start"), _utc(e, "end")) for s, e in windows)
        if not spans or any(e <= s for s, e in spans):
            raise BookingError("every window needs an end after its start, and there must be one", "window")
        at = _now(now)
        pattern_id = uuid.uuid4().hex if len(spans) > 1 else None
        hold = _utc(hold_until, "hold_until") if hold_until is not None else None
        made: list[Booking] = []
        refused: list[tuple[datetime, datetime, BookingError]] = []
        with self.engine.begin() as conn:
            lock_child_checking_age(conn, child_id, check_age)
            if run:
                check_run_chain(conn, child_id, programme, spans[0][0], spans[-1][1], tz)
            for start, end in spans:
                try:  # every refusal below is raised before its window writes anything
                    check_child_window(conn, child_id, programme, start, end, tz, lock=False)
                    if refused:  # nothing will be stored: only find the other refusals
                        check_places(conn, facility_id, programme, start, end, tz)
                        continue
                    made.append(self._write_one(conn, facility_id, programme, child_id, start, end, hold,
                                                actor_role, actor_id, at, guardian_id, first_name, confirmed_by,
                                                tz, notify=len(spans) == 1, pattern_id=pattern_id))
                except BookingError as exc:
                    refused.append((start, end, exc))
            if refused:
                raise OccurrencesRefused(refused, tz)  # the transaction rolls back: nothing is stored
            if len(made) > 1:
                conn.execute(_INSERT_MESSAGE, _pattern_message(made, actor_role, at, first_name))
        return made

    def pattern(self, pattern_id: str) -> list[Booking]:
        """The bookings of one weekly pattern, in window order; :class:`BookingNotFound` when
        there are none (no such pattern)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(bookings).where(bookings.c.pattern_id == pattern_id)
                                .order_by(bookings.c.window_start, bookings.c.id)).all()
        if not rows:
            raise BookingNotFound(f"no booking pattern {pattern_id}", "pattern_id")
        return [_booking(r) for r in rows]

    def answer_pattern(self, pattern_id: str, action: str, actor_role: str, actor_id: str | None,
                       reason: str | None = None, now: datetime | None = None,
                       tz: tzinfo = UTC) -> list[DateAnswer]:
        """Take ``action`` (:data:`PATTERN_ACTIONS`: ``confirm`` or ``decline``) on every date of
        the pattern still waiting for an answer (``requested``), as the provider's staff do it
        to one booking (:func:`move_booking`: the booking row locked, the lifecycle's transition
        :data:`app.care.states.BOOKING` checked, its event, a decline giving the places back),
        in ONE transaction, each date under its own savepoint: a date that lapsed, was
        cancelled or was answered meanwhile is left as it is and reported, the others done.

        The guardian is told ONCE (:func:`_pattern_message`: ``booking.pattern_confirmed`` or
        ``booking.pattern_declined`` with the staff's reason, naming the dates done), in the
        same transaction; a single date done is told as one booking's change is.

        Returns every date of the pattern, in window order (:class:`DateAnswer`: done, or not
        and its state then). Raises :class:`BookingNotFound` (no such pattern), the lifecycle's
        :class:`~app.care.states.ActorNotAllowed` / :class:`~app.care.states.ReasonRequired`
        (a decline by staff without a reason) before anything is written; ``tz``: the registry's
        zone (each date's local ``date``)."""
        if action not in PATTERN_ACTIONS:
            raise BookingError(f"a pattern is answered with {' or '.join(PATTERN_ACTIONS)}, not {action!r}",
                               "action")
        at = _now(now)
        BOOKING.fire(BOOKING.initial, action, actor_role, reason, at=at)  # the role and the reason, first
        with self.engine.begin() as conn:
            ids = list(conn.execute(sa.select(bookings.c.id).where(bookings.c.pattern_id == pattern_id)
                                    .order_by(bookings.c.window_start, bookings.c.id)).scalars())
            if not ids:
                raise BookingNotFound(f"no booking pattern {pattern_id}", "pattern_id")
            return _answer_dates(conn, ids, action, actor_role, actor_id, reason, at, tz)

    def get(self, booking_id: str) -> Booking:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(bookings).where(bookings.c.id == booking_id)).first()
        if row is None:
            raise BookingNotFound(f"no booking {booking_id}", "booking_id")
        return _booking(row)

    def of_requests(self, request_ids: Iterable[str]) -> dict[str, Booking]:
        """The bookings made from these emergency care requests (their accepted offers), by
        request id; a request with none (not matched, or a home visit) is left out."""
        wanted = sorted(set(request_ids))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(bookings).where(bookings.c.request_id.in_(wanted)))
            return {r.request_id: _booking(r) for r in rows}

    def transition(self, booking_id: str, action: str, actor_role: str, actor_id: str | None,
                   reason: str | None = None, expected_version: int | None = None,
                   now: datetime | None = None, first_name: str | None = None, tz: tzinfo = UTC,
                   timed: bool = True) -> Booking:
        """Take ``action`` on the booking as ``actor_role``, recording the event (and, for a
        state a person must know, an outbox message) in the same transaction; a move out of a
        place-holding state gives the place back, once; a booking made from an emergency care
        request moves the request too (:func:`move_booking`).

        Raises :class:`BookingNotFound`, the :mod:`app.care.states` errors (an
        :class:`~app.care.states.InvalidTransition` carries the current state) and
        :class:`VersionConflict` when ``expected_version`` is not the booking's version, and
        :class:`NotNow` (409) for a check-in before it opens or after the end, a no-show
        before the start, or a family's cancel after its cutoff (:func:`action_times`; ``tz``:
        the registry's zone its message names; ``timed`` False: no time rule, see
        :func:`move_booking`).
        """
        at = _now(now)
        with self.engine.begin() as conn:
            return move_booking(conn, booking_id, action, actor_role, actor_id, reason, at,
                                expected_version=expected_version, first_name=first_name, tz=tz, timed=timed)

    def find(self, *, guardian_id: str | None = None, facility_id: str | None = None, status: str | None = None,
             day: date | None = None, tz: tzinfo = UTC, limit: int = 200) -> list[Booking]:
        """The bookings of one guardian or one provider (exactly one of them), latest window
        first, at most ``limit``; ``status`` keeps one state, ``day`` those touching that local
        date in ``tz`` (a provider's list of the day)."""
        if (guardian_id is None) == (facility_id is None):
            raise ValueError("list bookings of a guardian or of a provider")
        b = bookings
        query = sa.select(b).where(b.c.guardian_id == guardian_id if guardian_id is not None
                                   else b.c.facility_id == facility_id)
        if status is not None:
            query = query.where(b.c.status == status)
        if day is not None:
            start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
            end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
            query = query.where(b.c.window_start < end, b.c.window_end > start)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(b.c.window_start.desc(), b.c.id).limit(limit))
            return [_booking(r) for r in rows]

    def events(self, booking_id: str) -> list[dict[str, Any]]:
        """The booking's transitions, oldest first (``at`` as ISO 8601 UTC)."""
        ev = booking_events
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ev).where(ev.c.booking_id == booking_id).order_by(ev.c.id))
            return [{"action": r.action, "from_state": r.from_state, "to_state": r.to_state,
                     "actor_role": r.actor_role, "actor_id": r.actor_id, "reason": open_reason(conn, r.reason),
                     "at": _read(r.at).isoformat()} for r in rows]

    def warn_expiring(self, now: datetime, ahead: timedelta = EXPIRING_WARNING) -> int:
        """Tell the provider's staff about each hold lapsing within ``ahead`` of ``now`` that
        they have not answered (the scheduler's job): one ``booking.expiring`` message per
        one-off hold, and ONE ``booking.pattern_expiring`` per weekly pattern for all its dates
        still waiting (:func:`_pattern_expiring_message`), whatever the number of dates. Each is
        written once, by its idempotency key (a hold's: the booking at its version; a pattern's:
        the pattern and its deadline), so a second tick's or server's insert is skipped.
        Returns how many messages were written."""
        at = _utc(now, "now")
        soon = (bookings.c.status == BOOKING.initial, bookings.c.hold_expires_at > at,
                bookings.c.hold_expires_at <= at + ahead)
        with self.engine.connect() as conn:
            due = [_booking(r) for r in conn.execute(sa.select(bookings).where(*soon).limit(EXPIRE_BATCH))]
            waiting: dict[tuple[str, datetime], list[Booking]] = {}
            for pattern_id, deadline in sorted({(b.pattern_id, b.hold_expires_at) for b in due
                                                if b.pattern_id is not None and b.hold_expires_at is not None}):
                waiting[(pattern_id, deadline)] = [_booking(r) for r in conn.execute(
                    sa.select(bookings).where(*soon, bookings.c.pattern_id == pattern_id,
                                              bookings.c.hold_expires_at == deadline)
                    .order_by(bookings.c.window_start, bookings.c.id))]
            first_of = {pattern_id: _booking(conn.execute(
                sa.select(bookings).where(bookings.c.pattern_id == pattern_id)
                .order_by(bookings.c.window_start, bookings.c.id).limit(1)).one())
                for pattern_id in {p for p, _ in waiting}}
        rows: list[dict[str, Any]] = []
        for booking in due:
            if booking.pattern_id is not None:
                continue
            payload = _message("booking.expiring", booking, {"from_state": booking.status, "actor_role": SYSTEM,
                                                            "reason": None, "at": at.isoformat()}, None)
            payload["to"] = [{"facility_id": booking.facility_id}]
            rows.append({"idempotency_key": f"booking/{booking.id}/v{booking.version}/expiring",
                         "topic": "booking.expiring", "payload": payload, "created_at": at, "available_at": at,
                         "attempts": 0, "sent_at": None})
        for (pattern_id, deadline), dates in waiting.items():
            if dates:
                rows.append(_pattern_expiring_message(first_of[pattern_id], dates, deadline, at))
        written = 0
        for row in rows:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(outbox.c.id).where(
                        outbox.c.idempotency_key == row["idempotency_key"])).first() is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(outbox.insert().values(**row))
                        written += 1
                    except sa.exc.IntegrityError:  # another server wrote it a moment before
                        pass
        return written

    def expire_holds(self, now: datetime) -> list[str]:
        """Lapse every hold whose deadline is at or before ``now`` (the scheduler's job; safe to
        run on several servers at once: a hold confirmed or expired meanwhile is skipped).
        Returns the ids it expired.

        The dates of one weekly pattern lapsing in one batch (two or more) lapse together, in
        one transaction, each under its own savepoint, with ONE ``booking.pattern_expired``
        message naming them, to the guardian and the provider's staff (:func:`_pattern_message`);
        any other hold lapses on its own with its ``booking.expired``."""
        at = _utc(now, "now")
        expired: list[str] = []
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(bookings.c.id, bookings.c.pattern_id).where(
                    bookings.c.status == BOOKING.initial, bookings.c.hold_expires_at <= at)
                    .order_by(bookings.c.hold_expires_at, bookings.c.id).limit(EXPIRE_BATCH)).all()
            due = [r.id for r in rows]
            patterns: dict[str, list[str]] = {}
            for r in rows:
                if r.pattern_id is not None:
                    patterns.setdefault(r.pattern_id, []).append(r.id)
            together = {i for ids in patterns.values() if len(ids) > 1 for i in ids}
            for ids in patterns.values():
                if len(ids) > 1:
                    with self.engine.begin() as conn:
                        expired += [r.booking_id for r in _answer_dates(
                            conn, ids, "expire", SYSTEM, "expire_holds", "not confirmed before the hold's deadline",
                            at, UTC) if r.done]
            for booking_id in due:
                if booking_id in together:
                    continue
                try:
                    self.transition(booking_id, "expire", SYSTEM, "expire_holds",
                                    reason="not confirmed before the hold's deadline", now=at)
                except InvalidTransition:
                    continue  # confirmed, cancelled or expired by another server meanwhile
                expired.append(booking_id)
            if len(due) < EXPIRE_BATCH:
                return expired
