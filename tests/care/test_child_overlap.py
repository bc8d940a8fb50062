"""A child has at most one live booking (held, confirmed, in progress) at any moment, anywhere:
a second booking whose window overlaps is refused with 409 ``child_already_booked`` naming the
booking it overlaps, in the registry's local time — at the booking desk, for the booking an
accepted emergency care offer makes, and for a new emergency care request. Checked in the
booking's own transaction after locking the child, so concurrent bookings of one child give
exactly one. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.care.bookings import (
    Booking,
    BookingStore,
    ChildAlreadyBooked,
    ChildAlreadyRequested,
    ChildBookedElsewhere,
    record_booking,
)
from app.care.desk import BookingDesk, facility_lookup
from app.care.matching import BOOKED_ELSEWHERE
from app.db.engine import bookings
from tests.care.test_children import (  # noqa: F401  (fixtures)
    accounts,
    child_fields,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.care.test_desk import BUCHEON_DAYCARE, CENTRE, NOW, kst
from tests.care.test_matching import matcher, messages, offer_of, request
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

from . import matching_data as d

SEOUL = ZoneInfo("Asia/Seoul")
F, P = "F1", "always_daycare"


@pytest.fixture
def desk(store):  # noqa: F811
    bookings_ = store.booking_store
    bookings_.publish_slot("D1", P, kst(1, 0), kst(4, 0), 10)
    bookings_.publish_slot("C1", "elementary_emergency", kst(1, 0), kst(4, 0), 10)
    return BookingDesk(bookings_, store, facility_lookup({"D1": BUCHEON_DAYCARE, "C1": CENTRE}), SEOUL,
                       hold_minutes=30)


def live_count(engine: sa.Engine, child_id: str) -> int:  # noqa: F811
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(bookings).where(
            bookings.c.child_id == child_id,
            bookings.c.status.in_(["requested", "accepted", "in-progress"]))).scalar_one()


def test_the_same_window_twice_and_an_overlapping_one_are_refused_naming_the_first(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    first, _ = desk.book(family.guardian_id, family.child_id, "D1", P, kst(2, 9), kst(2, 12), NOW,
                         home_sigungu_code="41111")
    # the same window, one inside it, one overlapping its last window step (15 minutes)
    for start, end in ((kst(2, 9), kst(2, 12)), (kst(2, 10), kst(2, 11)), (kst(2, 11, 45), kst(2, 14))):
        with pytest.raises(ChildAlreadyBooked) as caught:
            desk.book(family.guardian_id, family.child_id, "D1", P, start, end, NOW, home_sigungu_code="41111")
        exc = caught.value
        assert (exc.code, exc.reason, exc.field, exc.http_status) == (
            "child_already_booked", "child_already_booked", "window", 409)
        # named in the registry's local time (09:00 in Seoul is 00:00 UTC), not UTC
        assert str(exc) == (f"the child already has booking {first.id} at D1 (always_daycare, accepted) from "
                            "2026-12-02 09:00 to 12:00 (Asia/Seoul), which overlaps this window")
        assert exc.extra["booking_id"] == first.id
        assert exc.extra["window_start"] == "2026-12-02T09:00:00+09:00"
    # at another provider, another programme: still the same child at the same time
    with pytest.raises(ChildAlreadyBooked):
        desk.bookings.book("C1", "elementary_emergency", family.child_id, kst(2, 10), kst(2, 11), None, now=NOW)
    assert live_count(store.engine, family.child_id) == 1
    assert [s.held for s in desk.bookings.slots("D1", P)] == [1]  # the refused ones held no place
    # adjacent windows do not overlap; another child may take the same window
    desk.book(family.guardian_id, family.child_id, "D1", P, kst(2, 12), kst(2, 14), NOW, home_sigungu_code="41111")
    sibling = store.register(family.guardian_id, **child_fields(given_name="하준"), now=NOW)
    desk.book(family.guardian_id, sibling.id, "D1", P, kst(2, 9), kst(2, 12), NOW, home_sigungu_code="41111")
    # a booking no longer live (cancelled) frees the window
    desk.bookings.transition(first.id, "cancel", "guardian", family.guardian_id, now=NOW)  # before the start
    again, _ = desk.book(family.guardian_id, family.child_id, "D1", P, kst(2, 10), kst(2, 11), NOW,
                         home_sigungu_code="41111")
    assert again.status == "accepted"


def test_the_quote_refuses_what_the_booking_would(accounts, store, desk):  # noqa: F811
    """The page asks for a quote before the parent taps to book: an overlapping window and one
    that would chain past 5 consecutive days are refused there already, naming the same."""
    from app.care.bookings import TooManyConsecutiveDays

    family = make_family(accounts, store, "mother@example.kr")
    first, _ = desk.book(family.guardian_id, family.child_id, "D1", P, kst(2, 9), kst(2, 12), NOW,
                         home_sigungu_code="41111")
    with pytest.raises(ChildAlreadyBooked) as caught:
        desk.quote(family.guardian_id, family.child_id, "D1", P, kst(2, 10), kst(2, 11), NOW,
                   home_sigungu_code="41111")
    assert caught.value.extra["booking_id"] == first.id
    # right after it (adjacent, no overlap) is fine
    assert desk.quote(family.guardian_id, family.child_id, "D1", P, kst(2, 12), kst(3, 0), NOW,
                      home_sigungu_code="41111").estimate_krw > 0
    # the 3rd to the 7th (5 days, allowed on its own) chains with the 2nd's booking: 6 days, refused
    desk.bookings.publish_slot("D1", P, kst(4, 0), kst(9, 0), 10)
    with pytest.raises(TooManyConsecutiveDays):
        desk.quote(family.guardian_id, family.child_id, "D1", P, kst(3, 9), kst(7, 12), NOW,
                   home_sigungu_code="41111")
    other = store.register(family.guardian_id, **child_fields(given_name="하준"), now=NOW)
    assert desk.quote(family.guardian_id, other.id, "D1", P, kst(3, 9), kst(7, 12), NOW,
                      home_sigungu_code="41111").estimate_krw > 0
    assert live_count(store.engine, family.child_id) == 1  # quotes book nothing


@pytest.mark.parametrize("registered", [True, False], ids=["child-row", "no-child-row"])
def test_concurrent_bookings_of_one_child_give_exactly_one(accounts, store, registered):  # noqa: F811
    """Four threads book the same child for the same window at once (the API's three identical
    POSTs and one more): one booking, one place held, three 409s."""
    bookings_ = store.booking_store
    bookings_.publish_slot(F, P, kst(2, 0), kst(3, 0), 10)
    child_id = make_family(accounts, store, "racer@example.kr").child_id if registered else "child-x"
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def book() -> None:
        barrier.wait(10)
        try:
            bookings_.book(F, P, child_id, kst(2, 9), kst(2, 12), None, now=NOW, tz=SEOUL)
            outcomes.append("ok")
        except ChildAlreadyBooked as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=book) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["child_already_booked"] * 3 + ["ok"]
    assert live_count(store.engine, child_id) == 1
    assert [s.held for s in bookings_.slots(F, P)] == [1]


def legacy_booking(engine: sa.Engine, facility_id: str, child_id: str, start, end) -> Booking:  # noqa: F811
    """A live booking written past the checks: data from before a request and a booking of one
    child refused each other (or another path that skipped them)."""
    at = d.NOW.astimezone(UTC)
    booking = Booking(uuid.uuid4().hex, facility_id, "always_daycare", child_id, start.astimezone(UTC),
                      end.astimezone(UTC), "accepted", 1, None, at, at, "guardian-1")
    with engine.begin() as conn:
        record_booking(conn, booking, [{"booking_id": booking.id, "action": "book", "from_state": None,
                                        "to_state": "accepted", "actor_role": "guardian", "actor_id": "guardian-1",
                                        "reason": None, "at": at}], [])
    return booking


def test_an_acceptance_finding_the_child_booked_elsewhere_leaks_nothing_and_ends_the_request(engine):  # noqa: F811
    """The tester's case: the child was booked elsewhere while its request was still offered.
    The accepting provider gets a 409 naming neither that booking nor its provider; the request
    can no longer be served, so it stops being offered (unmatched, its open offers withdrawn,
    the guardian told) and no booking is made."""
    m = matcher(engine, mode="top_n", batch=2)
    r = request(m)
    other = legacy_booking(engine, "D9", "child-1", d.START + timedelta(hours=1), d.END + timedelta(hours=1))
    offer = offer_of(m, r.id, "tc-1")
    with pytest.raises(ChildBookedElsewhere) as caught:
        m.accept(offer.id, "staff-1", d.NOW + timedelta(minutes=1), facility_id="tc-1")
    exc = caught.value
    assert (exc.code, exc.reason, exc.field, exc.http_status) == (
        "child_already_booked", "booked_elsewhere", "window", 409)
    assert exc.extra == {}
    assert other.id not in str(exc) and "D9" not in str(exc)
    # the request stops: no open offer is left for any provider, the guardian is told why
    assert m.get(r.id).status == "unmatched"
    assert {o.facility_id: o.status for o in m.offers_of(r.id)} == {"tc-1": "cancelled", "tc-2": "cancelled"}
    assert m.open_offers("tc-2") == []
    unmatched = [p for t, p in messages(engine) if t == "request.unmatched"]
    assert [p["reason"] for p in unmatched] == [BOOKED_ELSEWHERE]
    assert live_count(engine, "child-1") == 1


def test_a_second_request_of_the_child_for_an_overlapping_window_is_refused(engine):  # noqa: F811
    """The tester's case: two emergency requests for the same child and window were both
    accepted. The second (and one overlapping the first) is refused with 409
    child_already_requested naming the guardian's own first request; an adjacent window, or
    another child, is fine; once the first is cancelled the window is free."""
    m = matcher(engine)
    r1 = request(m)
    for start, end in ((d.START, d.END), (d.START + timedelta(hours=1), d.END + timedelta(hours=1))):
        with pytest.raises(ChildAlreadyRequested) as caught:
            request(m, start=start, end=end)
        exc = caught.value
        assert (exc.code, exc.reason, exc.field, exc.http_status) == (
            "child_already_requested", "child_already_requested", "window", 409)
        assert exc.extra["request_id"] == r1.id and exc.extra["window_start"] == "2026-12-02T18:00:00+09:00"
        assert "from 2026-12-02 18:00 to 22:00 (Asia/Seoul)" in str(exc)
    assert [x.id for x in m.of_guardian("guardian-1")] == [r1.id]
    assert request(m, child_id="child-2").status == "requested"
    assert request(m, start=d.END, end=d.END + timedelta(hours=2)).status == "requested"
    # an unmatched request still waits (for a person): it blocks too, until cancelled
    m.fire_due(d.NOW + timedelta(hours=2))
    assert m.get(r1.id).status == "unmatched"
    with pytest.raises(ChildAlreadyRequested):
        request(m, now=d.NOW + timedelta(hours=2, minutes=1))
    m.cancel(r1.id, "guardian", "guardian-1", d.NOW + timedelta(hours=2, minutes=2))
    assert request(m, now=d.NOW + timedelta(hours=2, minutes=3)).status == "requested"


def test_a_booking_overlapping_an_open_request_of_the_child_is_refused(engine):  # noqa: F811
    """A booking (the store's, so the desk's) for a window the child has an open request for is
    refused naming the request (the guardian cancels it first); the request's own acceptance
    books as before; after the request is cancelled the booking goes through."""
    m, store_ = matcher(engine), BookingStore(engine)
    r = request(m)
    store_.publish_slot("D9", "always_daycare", d.START, d.END + timedelta(hours=2), 5)
    with pytest.raises(ChildAlreadyRequested) as caught:
        store_.book("D9", "always_daycare", "child-1", d.START + timedelta(hours=1), d.END + timedelta(hours=1),
                    None, now=d.NOW, tz=d.SEOUL)
    assert caught.value.extra["request_id"] == r.id and caught.value.http_status == 409
    assert live_count(engine, "child-1") == 0 and [s.held for s in store_.slots("D9", "always_daycare")] == [0]
    # another child, or a window after the request's, is fine
    store_.book("D9", "always_daycare", "child-2", d.START, d.END, None, now=d.NOW)
    store_.book("D9", "always_daycare", "child-1", d.END, d.END + timedelta(hours=1), None, now=d.NOW)
    m.cancel(r.id, "guardian", "guardian-1", d.NOW + timedelta(minutes=1))
    store_.book("D9", "always_daycare", "child-1", d.START, d.END, None, now=d.NOW)


def test_a_request_accepted_books_despite_its_own_open_state(engine):  # noqa: F811
    """The booking an acceptance makes is for the request being served: its own open state does
    not refuse it."""
    m = matcher(engine)
    r = request(m)
    out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + timedelta(minutes=1), facility_id="tc-1")
    assert out.booking is not None and out.request.status == "accepted"


def test_a_request_for_a_window_the_child_is_booked_for_is_refused(engine):  # noqa: F811
    m, store_ = matcher(engine), BookingStore(engine)
    store_.publish_slot("D9", "always_daycare", d.START, d.END, 5)
    booked = store_.book("D9", "always_daycare", "child-1", d.START, d.START + timedelta(hours=1), None, now=d.NOW)
    with pytest.raises(ChildAlreadyBooked) as caught:
        request(m)
    assert caught.value.http_status == 409 and caught.value.extra["booking_id"] == booked.id
    assert "from 2026-12-02 18:00 to 19:00 (Asia/Seoul)" in str(caught.value)
    assert m.of_guardian("guardian-1") == []  # nothing written
    # a window after it is fine
    assert request(m, start=d.START + timedelta(hours=1)).status == "requested"
