"""Care requests and their offers as rows: the records, their row locks, and the guarded moves
that write each change's event and outbox message in the caller's transaction.

What :mod:`app.care.matching` (the engine that creates requests and sends offers) and
:mod:`app.care.bookings` (a booking made from a request moves the request with it,
:func:`follow_booking`) both write, so neither imports the other's module for it. Every move
happens under the request's row lock (:func:`lock_request`, ``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), after ``Lifecycle.fire`` checked
the transition (:data:`app.care.states.CARE_REQUEST`, :data:`~app.care.states.OFFER`); the
``… WHERE status = <source>`` updates below change nothing from any other state. Times are
aware UTC; SQLite gives them back naive (:func:`stored_utc`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.db.engine import outbox
from app.db.request_tables import care_request_events, care_requests, offer_events, offers
from app.domain import DomainError
from app.search.model import sigun_code

from .reason_sealing import seal_reason
from .states import CARE_REQUEST, OFFER, REASON_MAX_CHARS, REQUEST_FOLLOWS_BOOKING, SYSTEM, InvalidTransition

log = logging.getLogger(__name__)


class MatchingError(DomainError):
    """A request that cannot be made or an argument the engine refuses; ``field`` names it."""

    http_status = 400


class RequestNotFound(MatchingError):
    code = "not_found"
    http_status = 404


class OfferNotFound(MatchingError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class CareRequest:
    """One emergency care request; times aware UTC; ``candidates`` the ranked provider ids."""

    id: str
    guardian_id: str
    child_id: str
    programme: str
    start: datetime
    end: datetime
    place_kind: str  # "home" or "work"
    lon: float | None = field(repr=False)  # personal data: kept out of repr (and so out of logs);
    lat: float | None = field(repr=False)  # None once the family's data was deleted
    sigungu_code: str | None  # the 시군구 of the place; None when it lies in none
    status: str
    version: int
    match_by: datetime
    offer_mode: str
    offer_batch: int
    response_minutes: int
    candidates: tuple[str, ...]
    offered_count: int
    unmatched_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # Metres from the place to each candidate (None: a carer who comes to the home; empty for
    # requests made before migration 0017), the reach limit matched with, why it went unmatched.
    candidate_distances_m: tuple[float | None, ...] = ()
    max_distance_m: int | None = None
    unmatched_reason: str | None = None

    @property
    def fhir_status(self) -> str:
        return CARE_REQUEST.fhir_status(self.status)

    @property
    def sigun_code(self) -> str | None:
        """The 시군 of the place (41117 영통구 -> 41110 수원시)."""
        return sigun_code(self.sigungu_code) if self.sigungu_code else None


@dataclass(frozen=True)
class Offer:
    """One offer of a request to one provider (``rank`` 1 = best); times aware UTC."""

    id: str
    request_id: str
    facility_id: str
    rank: int
    status: str
    respond_by: datetime
    version: int
    created_at: datetime
    updated_at: datetime
    responded_by: str | None
    distance_m: float | None = None  # metres from the request's place; None: comes to the home (or before 0017)

    @property
    def fhir_status(self) -> str:
        return OFFER.fhir_status(self.status)


def stored_utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive, in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def request_from_row(row: Any) -> CareRequest:
    """A ``care_requests`` row as a :class:`CareRequest`."""
    return CareRequest(
        row.id, row.guardian_id, row.child_id, row.programme, stored_utc(row.window_start),
        stored_utc(row.window_end), row.place_kind, row.lon, row.lat, row.sigungu_code, row.status, row.version,
        stored_utc(row.match_by), row.offer_mode, row.offer_batch, row.response_minutes, tuple(row.candidates),
        row.offered_count, stored_utc(row.unmatched_at) if row.unmatched_at is not None else None,
        stored_utc(row.created_at), stored_utc(row.updated_at),
        tuple(row.candidate_distances_m or ()), row.max_distance_m, row.unmatched_reason)


def offer_from_row(row: Any) -> Offer:
    """An ``offers`` row as an :class:`Offer`."""
    return Offer(row.id, row.request_id, row.facility_id, row.rank, row.status, stored_utc(row.respond_by),
                 row.version, stored_utc(row.created_at), stored_utc(row.updated_at), row.responded_by,
                 row.distance_m)


# -- locks ---------------------------------------------------------------------------------------

def lock_request(conn: sa.Connection, request_id: str) -> CareRequest:
    """The request, its row locked in the caller's transaction (taken before an offer's or a
    booking's row: one lock order, so two transactions never wait on each other in a cycle on
    PostgreSQL). Raises :class:`RequestNotFound`."""
    row = conn.execute(sa.select(care_requests).where(care_requests.c.id == request_id).with_for_update()).first()
    if row is None:
        raise RequestNotFound(f"no care request {request_id}", "request_id")
    return request_from_row(row)


def lock_offer(conn: sa.Connection, offer_id: str) -> Offer:
    """The offer, its row locked (after its request's). Raises :class:`OfferNotFound`."""
    row = conn.execute(sa.select(offers).where(offers.c.id == offer_id).with_for_update()).first()
    if row is None:
        raise OfferNotFound(f"no offer {offer_id}", "offer_id")
    return offer_from_row(row)


# -- writes (under the request's row lock) --------------------------------------------------------

# Built once (their compiled form is cached): each changes a row only from the state the caller
# read under the request's row lock and checked with Lifecycle.fire.
_AT = sa.bindparam("b_at", type_=sa.DateTime(timezone=True))
_MOVE_OFFER = offers.update().where(offers.c.id == sa.bindparam("b_id"), offers.c.status == sa.bindparam("b_from")) \
    .values(status=sa.bindparam("b_to"), version=offers.c.version + 1, updated_at=_AT,
            responded_by=sa.func.coalesce(sa.bindparam("b_by", type_=sa.String), offers.c.responded_by))
_WITHDRAW = offers.update().where(offers.c.id.in_(sa.bindparam("b_ids", expanding=True)),
                                  offers.c.status == OFFER.initial) \
    .values(status=sa.bindparam("b_to"), version=offers.c.version + 1, updated_at=_AT)
_MOVE_REQUEST = care_requests.update().where(care_requests.c.id == sa.bindparam("b_id"),
                                             care_requests.c.status == sa.bindparam("b_from")) \
    .values(status=sa.bindparam("b_to"), version=care_requests.c.version + 1, updated_at=_AT,
            unmatched_at=sa.func.coalesce(sa.bindparam("b_unmatched", type_=sa.DateTime(timezone=True)),
                                          care_requests.c.unmatched_at))


def request_event(conn: sa.Connection, request_id: str, action: str, from_state: str | None, to_state: str,
                  actor_role: str, actor_id: str | None, reason: str | None, at: datetime) -> None:
    """Append the request's event row (who, when, why; a non-preset reason sealed:
    :func:`app.care.reason_sealing.seal_reason`)."""
    conn.execute(care_request_events.insert(), request_event_row(request_id, action, from_state, to_state,
                                                                 actor_role, actor_id, seal_reason(conn, reason), at))


def request_event_row(request_id: str, action: str, from_state: str | None, to_state: str, actor_role: str,
                      actor_id: str | None, reason: str | None, at: datetime) -> dict[str, Any]:
    """The ``care_request_events`` row :func:`request_event` appends (for a caller writing it
    with other rows at once, :func:`app.db.writes.insert_together`); ``reason`` as stored (None,
    a preset, or sealed by :func:`app.care.reason_sealing.seal_reason`)."""
    return {"request_id": request_id, "action": action, "from_state": from_state, "to_state": to_state,
            "actor_role": actor_role, "actor_id": actor_id, "reason": reason, "at": at}


def offer_event(conn: sa.Connection, offer_id: str, request_id: str, action: str, from_state: str | None,
                to_state: str, actor_role: str, actor_id: str | None, reason: str | None, at: datetime) -> None:
    """Append the offer's event row (who, when, why; a non-preset reason sealed)."""
    conn.execute(offer_events.insert(), {
        "offer_id": offer_id, "request_id": request_id, "action": action, "from_state": from_state,
        "to_state": to_state, "actor_role": actor_role, "actor_id": actor_id, "reason": seal_reason(conn, reason),
        "at": at})


def write_message(conn: sa.Connection, key: str, topic: str, at: datetime, payload: dict[str, Any]) -> None:
    """Queue an outbox message (``key``: its idempotency key) in the caller's transaction."""
    conn.execute(outbox.insert(), {"idempotency_key": key, "topic": topic, "payload": payload, "created_at": at,
                                   "available_at": at, "attempts": 0, "sent_at": None})


def move_offer(conn: sa.Connection, offer: Offer, action: str, to_state: str, actor_role: str,
               actor_id: str | None, reason: str | None, at: datetime, responded_by: str | None = None) -> Offer:
    """Write a transition ``Lifecycle.fire`` allowed (from ``offer.status``) and its event;
    returns the offer after it."""
    changed = conn.execute(_MOVE_OFFER, {"b_id": offer.id, "b_from": offer.status, "b_to": to_state,
                                         "b_at": at, "b_by": responded_by}).rowcount
    if changed != 1:  # unreachable under the row lock
        raise InvalidTransition(OFFER.name, offer.status, action, ())
    offer_event(conn, offer.id, offer.request_id, action, offer.status, to_state, actor_role, actor_id, reason, at)
    return replace(offer, status=to_state, version=offer.version + 1, updated_at=at,
                   responded_by=responded_by if responded_by is not None else offer.responded_by)


def move_request(conn: sa.Connection, request: CareRequest, action: str, to_state: str, actor_role: str,
                 actor_id: str | None, reason: str | None, at: datetime,
                 unmatched_at: datetime | None = None) -> CareRequest:
    """Write a transition ``Lifecycle.fire`` allowed (from ``request.status``) and its event;
    returns the request after it."""
    changed = conn.execute(_MOVE_REQUEST, {"b_id": request.id, "b_from": request.status, "b_to": to_state,
                                           "b_at": at, "b_unmatched": unmatched_at}).rowcount
    if changed != 1:  # unreachable under the row lock
        raise InvalidTransition(CARE_REQUEST.name, request.status, action, ())
    request_event(conn, request.id, action, request.status, to_state, actor_role, actor_id, reason, at)
    return replace(request, status=to_state, version=request.version + 1, updated_at=at,
                   unmatched_at=unmatched_at or request.unmatched_at)


def expire_offer(conn: sa.Connection, request: CareRequest, offer: Offer, at: datetime) -> Offer:
    """The offer lapsed (no answer before ``respond_by``): its transition, event and the
    provider's ``offer.expired`` message."""
    event = OFFER.fire(offer.status, "expire", SYSTEM, "no answer before the response deadline", at=at)
    done = move_offer(conn, offer, event.action, event.to_state, SYSTEM, "deadline", event.reason, at)
    write_message(conn, f"offer/{offer.id}/v{done.version}", "offer.expired", at, {
        "to": [{"facility_id": offer.facility_id}], "offer_id": offer.id, "request_id": request.id,
        "facility_id": offer.facility_id, "programme": request.programme,
        "window_start": request.start.isoformat(), "window_end": request.end.isoformat(),
        "deadline": offer.respond_by.isoformat(), "reason": event.reason})
    return done


def withdraw_open(conn: sa.Connection, request: CareRequest, at: datetime, reason: str) -> None:
    """End the request's open offers: withdrawn, or expired when their deadline has passed."""
    # Offers change only under their request's row lock, which the caller holds.
    rows = conn.execute(sa.select(offers).where(offers.c.request_id == request.id,
                                                offers.c.status == OFFER.initial).order_by(offers.c.rank)).all()
    withdrawn = []
    for row in rows:
        offer = offer_from_row(row)
        if offer.respond_by <= at:  # lapsed already, though no tick has fired it yet
            expire_offer(conn, request, offer, at)
        else:
            withdrawn.append((offer, OFFER.fire(offer.status, "withdraw", SYSTEM, reason, at=at)))
    if not withdrawn:
        return
    ids = [o.id for o, _ in withdrawn]
    changed = conn.execute(_WITHDRAW, {"b_ids": ids, "b_to": withdrawn[0][1].to_state, "b_at": at}).rowcount
    if changed != len(ids):  # unreachable under the request's row lock
        raise InvalidTransition(OFFER.name, OFFER.initial, "withdraw", ())
    conn.execute(offer_events.insert(), [
        {"offer_id": o.id, "request_id": request.id, "action": e.action, "from_state": e.from_state,
         "to_state": e.to_state, "actor_role": SYSTEM, "actor_id": "matching", "reason": seal_reason(conn, e.reason),
         "at": at} for o, e in withdrawn])


# -- the request follows its booking (app.care.bookings.move_booking) ------------------------------

def follow_booking(conn: sa.Connection, request_id: str, booking_id: str, booking_state: str, actor_role: str,
                   actor_id: str | None, reason: str | None, at: datetime) -> CareRequest | None:
    """Move the request the booking was made from as the booking just moved, in the booking's
    transaction (:data:`app.care.states.REQUEST_FOLLOWS_BOOKING`): by the same person, ``at``
    the same time, the reason ``booking <id> <state>[: <their reason>]``. Returns the request
    after the move, or None when the booking's new state moves no request, or the request has
    already left the state it could follow from (it ended first: e.g. a deleted family's
    requests are cancelled before their bookings; logged).

    Writes no message: the booking's own (``booking.cancelled`` tells the guardian and the
    provider; check-in, check-out and no-show have none: the people there know) is the one for
    the event. Takes no booking action back: the request's cancel cancels its booking, a
    booking's cancel moves only the request, so each cancels the other exactly once."""
    action = REQUEST_FOLLOWS_BOOKING.get(booking_state)
    if action is None:
        return None
    request = lock_request(conn, request_id)
    if request.status not in CARE_REQUEST.sources(action):
        log.warning("care request %s is %s: it does not follow booking %s to %s", request_id, request.status,
                    booking_id, booking_state)
        return None
    why = f"booking {booking_id} {booking_state}" + (f": {reason}" if reason else "")
    if len(why) > REASON_MAX_CHARS:
        why = why[:REASON_MAX_CHARS - 1] + "…"
    event = CARE_REQUEST.fire(request.status, action, actor_role, why, at=at)
    if action == "cancel":
        withdraw_open(conn, request, at, "the request was cancelled")
    return move_request(conn, request, event.action, event.to_state, actor_role, actor_id, event.reason, at)
