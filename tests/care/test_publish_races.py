"""Places published at the moment an emergency offer is accepted (issue 15, "No overbooking,
ever"), on SQLite and PostgreSQL, with two connections and a forced interleaving.

The acceptance (:func:`app.care.bookings.book_accepted_offer`) books the child where the
provider has published no place yet; the publish (:meth:`BookingStore.publish_slot`,
:meth:`BookingStore.publish_missing`) counts such live bookings in its new slots
(``_adopt_live_bookings``). Without a serialisation point each can miss the other's uncommitted
writes on PostgreSQL (READ COMMITTED): the slot gets all its places, the booking holds none, and
a second family books the child's place. Each test stops one side between its read and its
commit and runs the other side meanwhile; with the provider's lock the other side waits for the
commit and sees it. SQLite's ``BEGIN IMMEDIATE`` serialises both already (the same tests guard it)."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.care import bookings as bk
from app.care.bookings import PlacesFull

F, P = "F1", "always_daycare"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
PAUSE_S = 1.0  # how long the paused side waits for the other (which waits on the lock when there is one)


def at(hour: int) -> datetime:
    """2026-12-02 hour:00 UTC."""
    return datetime(2026, 12, 2, hour, tzinfo=UTC)


def accept_offer(store) -> bk.Booking:
    """An accepted offer's booking of child ``a`` for 9:00-11:00, in a transaction of its own."""
    with store.engine.begin() as conn:
        return bk.book_accepted_offer(conn, facility_id=F, programme=P, child_id="a", guardian_id="g",
                                      start=at(9), end=at(11), request_id=None, offer_id="o1",
                                      staff_role="provider_staff", staff_id="s1", at=NOW)


def publish(store, how: str) -> None:
    """One place for 9:00-11:00: one slot, or two planned hours."""
    if how == "slot":
        store.publish_slot(F, P, at(9), at(11), 1)
    else:
        assert store.publish_missing(F, P, [(at(9), at(10), 1), (at(10), at(11), 1)]) == 2


def places_and_held(store) -> list[tuple[int, int]]:
    return [(s.places, s.held) for s in store.slots(F, P)]


def holds(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM booking_holds")).scalar()


def run_beside(paused, other) -> None:
    """Run ``paused`` (which calls the returned hook between its read and its commit) in this
    thread and ``other`` in another one started at that hook; the hook waits up to
    :data:`PAUSE_S` for ``other`` to finish (it cannot while it waits on a lock ``paused`` holds)."""
    errors: list[BaseException] = []
    reached, done = threading.Event(), threading.Event()

    def side() -> None:
        reached.wait(30)
        try:
            other()
        except BaseException as exc:  # reported by run_beside, below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=side)
    thread.start()

    def hook() -> None:
        reached.set()
        done.wait(PAUSE_S)

    try:
        paused(hook)
    finally:
        reached.set()
        thread.join(60)
    assert not errors, errors


def pausing_after(monkeypatch, name: str, action: Callable[[], object]) -> Callable[[Callable[[], None]], None]:
    """A ``paused`` side for :func:`run_beside`: ``action()`` with ``app.care.bookings.<name>``
    made to call the hook after it returns (the side's read done, its commit not yet)."""
    real = getattr(bk, name)

    def paused(hook: Callable[[], None]) -> None:
        def then_pause(*args, **kwargs):
            found = real(*args, **kwargs)
            hook()
            return found
        monkeypatch.setattr(bk, name, then_pause)
        action()
    return paused


@pytest.mark.parametrize("how", ["slot", "missing"])
def test_an_offer_accepted_while_places_are_published_holds_its_place(store, monkeypatch, how):
    """The publish has looked for live bookings (none) and not committed yet when the offer is
    accepted: the acceptance waits for the publish and holds the place in the new slot."""
    run_beside(pausing_after(monkeypatch, "_adopt_live_bookings", lambda: publish(store, how)),
               lambda: accept_offer(store))
    assert {held for _, held in places_and_held(store)} == {1}
    assert holds(store) == len(places_and_held(store))
    with pytest.raises(PlacesFull):  # the child has the one place: nobody else gets it
        store.book(F, P, "b", at(9), at(10), None, now=NOW)


@pytest.mark.parametrize("how", ["slot", "missing"])
def test_places_published_while_an_offer_is_accepted_count_its_booking(store, monkeypatch, how):
    """The acceptance has looked for slots (none) and not committed yet when places are
    published: the publish waits for the acceptance and counts its booking."""
    run_beside(pausing_after(monkeypatch, "hold_places", lambda: accept_offer(store)),
               lambda: publish(store, how))
    assert {held for _, held in places_and_held(store)} == {1}
    assert holds(store) == len(places_and_held(store))
    with pytest.raises(PlacesFull):
        store.book(F, P, "b", at(10), at(11), None, now=NOW)


def test_publishing_many_slots_adopts_live_bookings_in_a_fixed_number_of_statements(store):
    """``_adopt_live_bookings`` is set-based: a week of planned hours over live bookings costs
    the same statements as two hours (it once ran one query per new slot). Only live bookings
    of this provider and programme overlapping a new slot are counted, each where it overlaps."""
    with store.engine.begin() as conn:  # two children at F1 (one over three hours), one elsewhere
        for child, facility, programme, start, end in (("a", F, P, at(9), at(12)), ("b", F, P, at(10), at(11)),
                                                       ("c", "F2", P, at(9), at(12)),
                                                       ("d", F, "elementary_emergency", at(9), at(12)),
                                                       ("e", F, P, at(15), at(16))):
            bk.book_accepted_offer(conn, facility_id=facility, programme=programme, child_id=child,
                                   guardian_id="g", start=start, end=end, request_id=None, offer_id="o-" + child,
                                   staff_role="provider_staff", staff_id="s1", at=NOW)
    cancelled = next(b for b in store.find(facility_id=F) if b.child_id == "e")
    store.transition(cancelled.id, "cancel", "provider_staff", "s1", reason="family phoned", now=NOW)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.publish_missing(F, P, [(at(8), at(9), 1), (at(9), at(10), 1)])
        few = len(statements)
        statements.clear()
        store.publish_missing(F, P, [(at(h), at(h + 1), 1) for h in range(10, 22)])
        many = len(statements)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert many == few
    assert [(s.start.hour, s.places, s.held) for s in store.slots(F, P)] == [
        (8, 1, 0), (9, 1, 1), (10, 2, 2), (11, 1, 1)] + [(h, 1, 0) for h in range(12, 22)]
    assert holds(store) == 4  # a: 9, 10, 11; b: 10 (c, d: not this provider's programme; e: cancelled)


@pytest.mark.parametrize("how", ["slot", "missing"])
def test_places_published_while_the_booking_is_cancelled_do_not_keep_its_place(store, monkeypatch, how):
    """The accepted offer's booking is being cancelled (its places given back, not committed
    yet) when places are published over its window: the publish waits for the cancel and does
    not count the cancelled booking (before, the new slot kept a place for it for ever)."""
    booking = accept_offer(store)  # no slot yet: it holds nothing
    run_beside(pausing_after(monkeypatch, "_give_back", lambda: store.transition(
        booking.id, "cancel", "provider_staff", "s1", reason="family phoned", now=NOW)),
        lambda: publish(store, how))
    assert store.get(booking.id).status == "cancelled"
    assert {held for _, held in places_and_held(store)} == {0}
    assert holds(store) == 0
    store.book(F, P, "b", at(9), at(11), None, now=NOW)  # the place is free


def test_a_slot_made_longer_over_an_accepted_offer_counts_its_booking(store):
    """A slot with none held may get a later end; when its new hours hold an accepted offer's
    booking (made where nothing was published), that booking holds its place there too, and
    fewer places than those children is refused, as for a new slot."""
    store.publish_slot(F, P, at(8), at(9), 1)
    with store.engine.begin() as conn:  # 9:00-11:00, after the slot: it holds nothing
        bk.book_accepted_offer(conn, facility_id=F, programme=P, child_id="a", guardian_id="g", start=at(9),
                               end=at(11), request_id=None, offer_id="o1", staff_role="provider_staff",
                               staff_id="s1", at=NOW)
    assert places_and_held(store) == [(1, 0)]
    with pytest.raises(bk.SlotError, match="1 places are held in this slot by bookings already made"):
        store.publish_slot(F, P, at(8), at(10), 0)
    assert places_and_held(store) == [(1, 0)] and holds(store) == 0  # the refused change wrote nothing
    store.publish_slot(F, P, at(8), at(10), 1)
    assert places_and_held(store) == [(1, 1)] and holds(store) == 1
    with pytest.raises(PlacesFull):
        store.book(F, P, "b", at(9), at(10), None, now=NOW)
