"""A matched emergency care request follows the booking its accepted offer made
(app.care.bookings.move_booking -> app.care.request_rows.follow_booking), on SQLite and PostgreSQL:
each booking move moves the request in the same transaction, by the same person, with the
reason naming the booking; a cancel from either side happens once; messages are the booking's
own, never a second one for the same event."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.care import bookings
from app.care.bookings import BookingStore
from app.care.children import Family
from app.care.matching import erase_family_requests
from app.care.states import ADMIN, BOOKING, CARE_REQUEST, GUARDIAN, PROVIDER_STAFF, SYSTEM, InvalidTransition
from app.db.engine import booking_events
from app.db.request_tables import care_request_events
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

from . import matching_data as d
from .test_matching import MIN, engine, matcher, messages, offer_of, publish, request  # noqa: F401  (fixture)

AFTER = d.NOW + 2 * MIN  # the request was accepted at d.NOW + MIN


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def matched(engine):  # noqa: F811
    """A request accepted by tc-1 (which publishes one place per slot): (engine, store, request, booking)."""
    m, store = matcher(engine), BookingStore(engine)
    publish(store, places=1)
    r = request(m)
    out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN, facility_id="tc-1")
    assert out.booking is not None and out.request.status == "accepted"
    return m, store, r, out.booking


def count(engine, table: sa.Table, **where) -> int:  # noqa: F811
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return conn.execute(query).scalar_one()


# (booking action, role, who, reason given, booking state = what the request's reason names,
#  the request's action, its state and FHIR status)
MOVES = [
    ("check_in", PROVIDER_STAFF, "staff-1", None, "in-progress", "start", "in-progress"),
    ("mark_no_show", PROVIDER_STAFF, "staff-1", None, "no-show", "fail", "failed"),
    ("mark_no_show", SYSTEM, "scheduler", "nobody came", "no-show", "fail", "failed"),
    ("cancel", GUARDIAN, "guardian-1", None, "cancelled", "cancel", "cancelled"),
    ("cancel", GUARDIAN, "guardian-1", "아이가 아파요", "cancelled", "cancel", "cancelled"),
    ("cancel", PROVIDER_STAFF, "staff-1", "정원 초과", "cancelled", "cancel", "cancelled"),
    ("cancel", ADMIN, "ops-1", "중복 요청", "cancelled", "cancel", "cancelled"),
]


@pytest.mark.parametrize(("action", "role", "who", "why", "booked", "request_action", "state"), MOVES,
                         ids=[f"{m[0]}-{m[1]}-{'reason' if m[3] else 'none'}" for m in MOVES])
def test_each_booking_move_from_accepted_moves_the_request(engine, action, role, who, why, booked,  # noqa: F811
                                                          request_action, state):
    m, store, r, booking = matched(engine)
    sent = len(messages(engine))
    when = d.START if action in ("check_in", "mark_no_show") else AFTER  # check-in and no-show: from the start
    done = store.transition(booking.id, action, role, who, reason=why, now=when)
    assert done.status == booked
    after = m.get(r.id)
    assert (after.status, after.fhir_status) == (state, CARE_REQUEST.fhir_status(state))
    assert after.fhir_status == BOOKING.fhir_status(booked)  # the same FHIR Task status on both
    assert after.version == r.version + 2 and after.updated_at == when.astimezone(UTC)  # matched, then this
    reason = f"booking {booking.id} {booked}" + (f": {why}" if why else "")
    assert m.events(r.id)[-1] == {"action": request_action, "from_state": "accepted", "to_state": state,
                                  "actor_role": role, "actor_id": who, "reason": reason, "at": iso(when)}
    # one message for one event: the booking's own (cancelled: the guardian and the provider), none besides
    new = messages(engine)[sent:]
    if booked == "cancelled":
        assert [t for t, _ in new] == ["booking.cancelled"]
        assert {"user_id": "guardian-1"} in new[0][1]["to"] and {"facility_id": "tc-1"} in new[0][1]["to"]
    else:
        assert new == []


def test_check_out_completes_the_request(engine):  # noqa: F811
    m, store, r, booking = matched(engine)
    store.transition(booking.id, "check_in", PROVIDER_STAFF, "staff-1", now=d.START)
    sent = len(messages(engine))
    store.transition(booking.id, "check_out", PROVIDER_STAFF, "staff-2", now=d.END)
    done = m.get(r.id)
    assert (done.status, done.fhir_status) == ("completed", "completed")
    assert [e["action"] for e in m.events(r.id)] == ["request", "match", "start", "complete"]
    assert m.events(r.id)[-1] == {
        "action": "complete", "from_state": "in-progress", "to_state": "completed", "actor_role": PROVIDER_STAFF,
        "actor_id": "staff-2", "reason": f"booking {booking.id} completed", "at": iso(d.END)}
    assert messages(engine)[sent:] == []
    # the scheduler's check-out moves it the same way
    m2, store2, r2, booking2 = matched_again(engine)
    store2.transition(booking2.id, "check_in", PROVIDER_STAFF, "staff-1", now=d.START)
    store2.transition(booking2.id, "check_out", SYSTEM, "scheduler", now=d.END)
    last = m2.events(r2.id)[-1]
    assert (m2.get(r2.id).status, last["actor_role"], last["actor_id"]) == ("completed", SYSTEM, "scheduler")


def matched_again(engine):  # noqa: F811
    """A second request of another child (a new one each call: a child has one live booking at
    a time), accepted by tc-2 (no slots there)."""
    m, store = matcher(engine, mode="top_n", batch=2), BookingStore(engine)
    r = request(m, child_id=f"child-2-{uuid.uuid4().hex[:8]}")
    out = m.accept(offer_of(m, r.id, "tc-2").id, "staff-2", d.NOW + MIN)
    return m, store, r, out.booking


def test_the_request_moves_in_the_bookings_transaction(engine, monkeypatch):  # noqa: F811
    """When the request's move fails, the booking's does not happen either (and the reverse:
    nothing is left half done)."""
    m, store, r, booking = matched(engine)
    before = (store.get(booking.id), store.events(booking.id), messages(engine), m.events(r.id))
    real = bookings.follow_booking

    def follow_then_fail(*args, **kw):
        real(*args, **kw)
        raise RuntimeError("the server died after the request moved")

    monkeypatch.setattr(bookings, "follow_booking", follow_then_fail)
    with pytest.raises(RuntimeError):
        store.transition(booking.id, "cancel", PROVIDER_STAFF, "staff-1", reason="정원 초과", now=AFTER)
    assert (store.get(booking.id), store.events(booking.id), messages(engine), m.events(r.id)) == before
    assert m.get(r.id).status == "accepted" and [s.held for s in store.slots("tc-1", d.PROGRAMME)] == [1, 1]


def test_a_provider_cancel_cancels_the_request_once(engine):  # noqa: F811
    m, store, r, booking = matched(engine)
    sent = len(messages(engine))
    store.transition(booking.id, "cancel", PROVIDER_STAFF, "staff-1", reason="교사 부족", now=AFTER)
    assert m.get(r.id).status == "cancelled" and store.get(booking.id).status == "cancelled"
    assert [s.held for s in store.slots("tc-1", d.PROGRAMME)] == [0, 0]  # the place given back once
    # neither side can be cancelled again, and nothing more was written
    with pytest.raises(InvalidTransition) as again:
        m.cancel(r.id, GUARDIAN, "guardian-1", AFTER + MIN)
    assert again.value.current_state == "cancelled"
    with pytest.raises(InvalidTransition):
        store.transition(booking.id, "cancel", GUARDIAN, "guardian-1", now=AFTER + MIN)
    assert count(engine, care_request_events, request_id=r.id, action="cancel") == 1
    assert count(engine, booking_events, booking_id=booking.id, action="cancel") == 1
    assert [t for t, _ in messages(engine)[sent:]] == ["booking.cancelled"]


@pytest.mark.parametrize(("role", "who", "why"), [(GUARDIAN, "guardian-1", None), (ADMIN, "ops-1", "중복 요청")])
def test_a_request_cancel_cancels_the_booking_once(engine, role, who, why):  # noqa: F811
    m, store, r, booking = matched(engine)
    sent = len(messages(engine))
    assert m.cancel(r.id, role, who, AFTER, reason=why).status == "cancelled"
    assert store.get(booking.id).status == "cancelled"
    # the booking's cancel did not come back to the request: one cancel event each, one message
    assert count(engine, care_request_events, request_id=r.id, action="cancel") == 1
    assert count(engine, booking_events, booking_id=booking.id, action="cancel") == 1
    assert [e["action"] for e in m.events(r.id)] == ["request", "match", "cancel"]
    assert (m.events(r.id)[-1]["actor_role"], m.events(r.id)[-1]["actor_id"]) == (role, who)
    assert [t for t, _ in messages(engine)[sent:]] == ["booking.cancelled"]
    with pytest.raises(InvalidTransition):
        store.transition(booking.id, "cancel", GUARDIAN, "guardian-1", now=AFTER + MIN)
    with pytest.raises(InvalidTransition):
        m.cancel(r.id, GUARDIAN, "guardian-1", AFTER + MIN)


def test_a_long_reason_is_cut_to_fit_the_requests_event(engine):  # noqa: F811
    m, store, r, booking = matched(engine)
    store.transition(booking.id, "cancel", PROVIDER_STAFF, "staff-1", reason="가" * 500, now=AFTER)
    reason = m.events(r.id)[-1]["reason"]
    assert len(reason) == 500 and reason.startswith(f"booking {booking.id} cancelled: 가") and reason[-1] == "…"


def test_a_request_that_ended_first_stays_as_it_is(engine):  # noqa: F811
    """A deleted family's requests are cancelled before their bookings: the booking's cancel then
    moves the booking only."""
    m, store, r, booking = matched(engine)
    with engine.begin() as conn:
        erase_family_requests(conn, Family("guardian-1", ("child-1",), ()), AFTER)
    assert m.get(r.id).status == "cancelled" and store.get(booking.id).status == "accepted"
    store.transition(booking.id, "cancel", GUARDIAN, "guardian-1", reason="the family's data was deleted",
                     now=AFTER + MIN)
    assert store.get(booking.id).status == "cancelled"
    assert count(engine, care_request_events, request_id=r.id, action="cancel") == 1


def test_a_booking_made_at_the_desk_moves_no_request(engine):  # noqa: F811
    m, store, r, _ = matched(engine)
    store.publish_slot("tc-3", d.PROGRAMME, d.START, d.END, 2)
    desk = store.book("tc-3", d.PROGRAMME, "child-9", d.START, d.END, None, actor_id="guardian-1", now=d.NOW,
                      guardian_id="guardian-1", confirmed_by="auto")
    store.transition(desk.id, "cancel", GUARDIAN, "guardian-1", now=AFTER)
    assert m.get(r.id).status == "accepted" and [e["action"] for e in m.events(r.id)] == ["request", "match"]


def race(*moves) -> list[BaseException]:
    """Run ``moves`` at once (each in a thread, released together); what they raised besides
    the 409 of the one that lost."""
    barrier = threading.Barrier(len(moves))
    errors: list[BaseException] = []

    def run(move):
        barrier.wait()
        try:
            move()
        except InvalidTransition:
            pass
        except BaseException as exc:  # a deadlock (PostgreSQL 40P01) would land here
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(move,)) for move in moves]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_a_check_in_racing_the_requests_cancel_ends_one_way(engine):  # noqa: F811
    """The request's cancel (request row, then booking row) and the booking's check-in (the same
    order) never deadlock on PostgreSQL; either both are cancelled or both in progress."""
    for _ in range(4):
        m, store, r, booking = matched_again(engine)
        assert race(lambda m=m, r=r: m.cancel(r.id, GUARDIAN, "guardian-1", AFTER),
                    lambda s=store, b=booking: s.transition(b.id, "check_in", PROVIDER_STAFF, "staff-2",
                                                            now=d.START)) == []
        assert (m.get(r.id).status, store.get(booking.id).status) in {("cancelled", "cancelled"),
                                                                     ("in-progress", "in-progress")}
