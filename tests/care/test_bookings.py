"""Bookings in the database (app.care.bookings), on SQLite and PostgreSQL: places held in the
booking's transaction, guarded transitions with their event and outbox message, lapsed holds,
and two processes racing for the last places. Every expected figure is worked out by hand."""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.care.bookings import (
    BookingError,
    BookingNotFound,
    NotBookable,
    PlacesFull,
    SlotError,
    VersionConflict,
)
from app.care.states import BOOKING, InvalidTransition, ReasonRequired
from app.db import engine as db_engine

ROOT = Path(__file__).resolve().parents[2]
F, P = "F1", "always_daycare"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    """2026-12-02 hour:minute UTC."""
    return datetime(2026, 12, 2, hour, minute, tzinfo=UTC)


def held(store) -> list[int]:
    return [s.held for s in store.slots(F, P)]


def count(store, table: str, where: str = "") -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar()


def outbox_rows(store, new_bookings: bool = False) -> list[tuple]:
    """The outbox, oldest first; without ``new_bookings``, the provider's message of each new
    booking (``booking.requested``, tested on its own) is left out."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(db_engine.outbox).order_by(db_engine.outbox.c.id)).all()
    return [(r.idempotency_key, r.topic, r.payload["status"], r.payload["fhir_status"], r.attempts, r.sent_at)
            for r in rows if new_bookings or r.topic != "booking.requested"]


def test_each_message_names_its_recipients_and_of_the_child_only_the_first_name(store):
    store.publish_slot(F, P, at(9), at(12), 1)
    booking = store.book(F, P, "child-1", at(9), at(12), at(1), now=NOW, guardian_id="g1", first_name="서연")
    store.transition(booking.id, "cancel", "guardian", "g1", first_name="서연", now=NOW)  # before the start
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(db_engine.outbox).order_by(db_engine.outbox.c.id)).all()
    assert [(r.idempotency_key, r.topic) for r in rows] == [
        (f"booking/{booking.id}/v1", "booking.requested"), (f"booking/{booking.id}/v2", "booking.cancelled")]
    new, cancelled = rows[0].payload, rows[1].payload
    assert new["to"] == [{"facility_id": F}]  # the provider answers a new booking; the guardian made it
    assert (new["first_name"], new["respond_by"], new["status"]) == ("서연", "2026-12-02T01:00:00+00:00", "requested")
    assert cancelled["to"] == [{"user_id": "g1"}, {"facility_id": F}]
    assert "child_id" not in new and "respond_by" not in cancelled


def test_three_places_the_fourth_booking_is_refused_naming_the_slot(store):
    store.publish_slot(F, P, at(9), at(12), 3)
    ids = [store.book(F, P, f"c{i}", at(9), at(12), None, now=NOW).id for i in range(3)]
    assert len(set(ids)) == 3
    with pytest.raises(PlacesFull, match=r"no place left at F1 for always_daycare in the slot "
                       r"2026-12-02T09:00:00\+00:00 to 2026-12-02T12:00:00\+00:00: all 3 places are held"):
        store.book(F, P, "c4", at(9), at(12), None, now=NOW)
    assert held(store) == [3]
    assert count(store, "bookings") == 3  # the refused one wrote nothing
    assert count(store, "booking_events") == 3
    assert PlacesFull.http_status == 409 and PlacesFull.code == "no_places"


def test_adjacent_windows_share_no_slot_overlapping_ones_do(store):
    store.publish_slot(F, P, at(9), at(10), 1)
    store.publish_slot(F, P, at(10), at(11), 1)
    first = store.book(F, P, "a", at(9), at(10), None, now=NOW)  # ends when the 10:00 slot starts
    assert held(store) == [1, 0]
    store.book(F, P, "b", at(10), at(11), None, now=NOW)  # adjacent: the 10:00 slot is still free
    assert held(store) == [1, 1]
    store.transition(first.id, "cancel", "guardian", "g1", now=NOW)  # before the start (the family's cutoff)
    assert held(store) == [0, 1]
    with pytest.raises(PlacesFull, match=r"in the slot 2026-12-02T10:00:00\+00:00 to 2026-12-02T11:00:00"):
        store.book(F, P, "c", at(9, 30), at(10, 30), None, now=NOW)  # overlaps both; 10:00 is full
    assert held(store) == [0, 1]  # the free 09:00 slot was not taken either


def test_a_window_not_covered_by_published_slots_is_not_bookable(store):
    store.publish_slot(F, P, at(9), at(10), 5)
    store.publish_slot(F, P, at(11), at(12), 5)
    with pytest.raises(NotBookable, match=r"publishes no places for always_daycare from 2026-12-02T10:00:00"):
        store.book(F, P, "a", at(9), at(12), None, now=NOW)  # the gap 10:00-11:00
    with pytest.raises(NotBookable, match=r"from 2026-12-02T08:00:00\+00:00"):
        store.book(F, P, "a", at(8), at(10), None, now=NOW)
    with pytest.raises(NotBookable, match=r"publishes no places for other"):
        store.book(F, "other", "a", at(9), at(10), None, now=NOW)
    assert held(store) == [0, 0]
    assert count(store, "bookings") == 0


def test_a_window_past_the_last_published_places_names_until_when_they_are_open(store):
    """The tester's case: a window after the provider's last places said only "choose an
    earlier end". It names the last published slot's end (``places_until``) with its own reason;
    a gap before later places keeps ``no_places_published`` (no such figure is known)."""
    store.publish_slot(F, P, at(9), at(10), 5)
    store.publish_slot(F, P, at(11), at(12), 5)
    # starting before the places stop: published_until (an earlier end helps); starting after
    # them: window_after_places (tester 27: an earlier date helps, an earlier end cannot)
    for start, end, reason in ((at(11), at(14), "published_until"), (at(13), at(14), "window_after_places")):
        with pytest.raises(NotBookable) as caught:
            store.book(F, P, "a", start, end, None, now=NOW)
        exc = caught.value
        assert (exc.code, exc.reason, exc.field, exc.http_status) == ("not_bookable", reason, "window", 409)
        assert exc.extra["places_until"] == "2026-12-02T12:00:00+00:00"
        assert exc.extra["window_end"] == "2026-12-02T14:00:00+00:00"
    with pytest.raises(NotBookable) as caught:
        store.book(F, P, "a", at(9), at(12), None, now=NOW)
    assert caught.value.reason == "no_places_published" and "places_until" not in caught.value.extra
    assert held(store) == [0, 0]


def test_a_slot_with_no_places_opened_is_not_called_taken(store):
    """The tester's case: a slot published with 0 places said "all 0 places are taken". It has
    its own reason, ``none_opened`` (still code no_places, 409, naming the slot)."""
    store.publish_slot(F, P, at(9), at(10), 0)
    with pytest.raises(PlacesFull) as caught:
        store.book(F, P, "a", at(9), at(10), None, now=NOW)
    exc = caught.value
    assert (exc.code, exc.reason, exc.http_status) == ("no_places", "none_opened", 409)
    assert "opened no places" in str(exc) and "all 0 places" not in str(exc)
    assert exc.extra == {"slot_start": "2026-12-02T09:00:00+00:00", "slot_end": "2026-12-02T10:00:00+00:00",
                         "places": 0}


def test_places_that_have_ended_cannot_be_published(store):
    """The tester's case: places for 2026-12-01 were published on 2026-12-03. A slot ending at or
    before now is refused (400, reason in_past); a derived plan leaves out its ended slots
    (today's earlier hours) and is refused when all have ended."""
    now = at(10)
    for start, end in ((at(8), at(9)), (at(9), at(10)), (NOW, NOW + timedelta(hours=1))):
        with pytest.raises(SlotError) as caught:
            store.publish_slot(F, P, start, end, 3, now=now)
        exc = caught.value
        assert (exc.code, exc.reason, exc.field, exc.http_status) == ("invalid_slot", "in_past", "end", 400)
    assert store.slots(F, P) == []
    store.publish_slot(F, P, at(9), at(11), 3, now=now)  # under way: still bookable for its rest
    plan = [(at(h), at(h + 1), 2) for h in (6, 7, 12, 13)]
    assert store.publish_missing(F, P, plan, now=now) == 2
    assert [(s.start.hour, s.end.hour) for s in store.slots(F, P)] == [(9, 11), (12, 13), (13, 14)]
    with pytest.raises(SlotError) as caught:
        store.publish_missing(F, P, plan[:2], now=now)
    assert (caught.value.reason, caught.value.field) == ("in_past", "first_day")


def test_times_are_stored_in_utc_and_naive_times_refused(store):
    kst = timezone(timedelta(hours=9))
    store.publish_slot(F, P, datetime(2026, 12, 2, 18, tzinfo=kst), datetime(2026, 12, 2, 21, tzinfo=kst), 2)
    assert store.slots(F, P)[0].start == at(9)
    booking = store.book(F, P, "a", datetime(2026, 12, 2, 18, tzinfo=kst), datetime(2026, 12, 2, 19, tzinfo=kst),
                         None, now=NOW)
    again = store.get(booking.id)
    assert (again.start, again.end, again.start.utcoffset()) == (at(9), at(10), timedelta(0))
    with pytest.raises(BookingError, match="start must carry a time zone"):
        store.book(F, P, "a", datetime(2026, 12, 2, 9), at(10), None)
    with pytest.raises(BookingError, match="end must be after its start"):
        store.book(F, P, "a", at(10), at(10), None)


def test_confirm_twice_the_second_is_a_409_with_the_current_state(store):
    store.publish_slot(F, P, at(9), at(12), 1)
    booking = store.book(F, P, "a", at(9), at(12), at(1), now=NOW)
    assert (booking.status, booking.fhir_status, booking.version) == ("requested", "requested", 1)
    done = store.transition(booking.id, "confirm", "provider_staff", "s1", expected_version=1)
    assert (done.status, done.version, done.hold_expires_at) == ("accepted", 2, None)
    with pytest.raises(InvalidTransition, match="a booking that is accepted cannot be 'confirm'") as caught:
        store.transition(booking.id, "confirm", "provider_staff", "s2")
    assert (caught.value.http_status, caught.value.current_state) == (409, "accepted")
    assert store.get(booking.id).version == 2
    assert held(store) == [1]
    assert [e["action"] for e in store.events(booking.id)] == ["book", "confirm"]
    assert outbox_rows(store) == [(f"booking/{booking.id}/v2", "booking.confirmed", "accepted", "accepted", 0, None)]


def test_a_stale_version_is_refused_with_the_current_one(store):
    store.publish_slot(F, P, at(9), at(12), 1)
    booking = store.book(F, P, "a", at(9), at(12), None, now=NOW)
    store.transition(booking.id, "confirm", "provider_staff", "s1")
    with pytest.raises(VersionConflict, match="is at version 2 \\(accepted\\), not 1") as caught:
        store.transition(booking.id, "cancel", "guardian", "g1", expected_version=1)
    assert caught.value.extra == {"current_state": "accepted", "current_version": 2}
    assert held(store) == [1]
    with pytest.raises(BookingNotFound, match="no booking nope"):
        store.transition("nope", "cancel", "guardian", "g1")


def test_cancel_twice_returns_the_place_once(store):
    store.publish_slot(F, P, at(9), at(10), 1)
    store.publish_slot(F, P, at(10), at(11), 1)
    booking = store.book(F, P, "a", at(9), at(11), None, now=NOW)
    store.transition(booking.id, "confirm", "provider_staff", "s1")
    assert held(store) == [1, 1]
    store.transition(booking.id, "cancel", "guardian", "g1", now=NOW)  # before the start (the family's cutoff)
    assert held(store) == [0, 0]
    with pytest.raises(InvalidTransition, match="a booking that is cancelled cannot be 'cancel'"):
        store.transition(booking.id, "cancel", "guardian", "g1", now=NOW)
    with pytest.raises(InvalidTransition, match="that is cancelled cannot be 'confirm'"):
        store.transition(booking.id, "confirm", "provider_staff", "s1")  # lost the race to the cancel
    assert held(store) == [0, 0]  # not -1: given back once
    assert count(store, "booking_holds") == 0
    store.book(F, P, "b", at(9), at(11), None, now=NOW)
    assert held(store) == [1, 1]
    assert [k[1] for k in outbox_rows(store)] == ["booking.confirmed", "booking.cancelled"]


def test_a_refused_transition_writes_nothing(store):
    store.publish_slot(F, P, at(9), at(10), 1)
    booking = store.book(F, P, "a", at(9), at(10), None, now=NOW)
    with pytest.raises(ReasonRequired, match="provider_staff must give a reason to decline"):
        store.transition(booking.id, "decline", "provider_staff", "s1")
    assert (store.get(booking.id).status, held(store), len(outbox_rows(store))) == ("requested", [1], 0)
    declined = store.transition(booking.id, "decline", "provider_staff", "s1", reason=" full today ")
    assert (declined.status, declined.fhir_status, held(store)) == ("rejected", "rejected", [0])
    assert store.events(booking.id)[-1]["reason"] == "full today"
    assert [k[1] for k in outbox_rows(store)] == ["booking.declined"]


def test_expire_lapses_holds_past_their_deadline_once(store):
    store.publish_slot(F, P, at(9), at(12), 2)
    late = store.book(F, P, "a", at(9), at(12), NOW + timedelta(minutes=15), now=NOW)
    confirmed = store.book(F, P, "b", at(9), at(12), NOW + timedelta(minutes=10), now=NOW)
    store.transition(confirmed.id, "confirm", "system", "auto")
    assert store.expire_holds(NOW + timedelta(minutes=14, seconds=59)) == []
    assert store.expire_holds(NOW + timedelta(minutes=15)) == [late.id]  # the deadline itself counts
    assert store.expire_holds(NOW + timedelta(hours=1)) == []
    gone = store.get(late.id)
    assert (gone.status, gone.fhir_status, gone.version, gone.hold_expires_at) == ("expired", "failed", 2, None)
    assert held(store) == [1]
    assert store.events(late.id)[-1] == {
        "action": "expire", "from_state": "requested", "to_state": "expired", "actor_role": "system",
        "actor_id": "expire_holds", "reason": "not confirmed before the hold's deadline",
        "at": "2026-12-01T00:15:00+00:00"}
    assert [k[:2] for k in outbox_rows(store)] == [(f"booking/{confirmed.id}/v2", "booking.confirmed"),
                                                   (f"booking/{late.id}/v2", "booking.expired")]


def test_the_database_refuses_unknown_states_overbooking_and_changed_events(store):
    assert tuple(BOOKING.states) == db_engine.BOOKING_STATES
    store.publish_slot(F, P, at(9), at(10), 1)
    booking = store.book(F, P, "a", at(9), at(10), None, now=NOW)
    with store.engine.connect() as conn, pytest.raises(sa.exc.IntegrityError, match="bookings_status"):
        conn.execute(sa.text("UPDATE bookings SET status = 'confirmed' WHERE id = :i"), {"i": booking.id})
    with store.engine.connect() as conn, pytest.raises(sa.exc.IntegrityError, match="booking_capacity_held_in_places"):
        conn.execute(sa.text("UPDATE booking_capacity SET held = 2"))
    with store.engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("UPDATE booking_events SET reason = 'x'"))
    with pytest.raises(SlotError, match="1 places are held in this slot: places must be at least 1"):
        store.publish_slot(F, P, at(9), at(10), 0)
    with pytest.raises(SlotError, match="overlaps the published slot 2026-12-02T09:00:00"):
        store.publish_slot(F, P, at(9, 30), at(11), 3)
    assert store.publish_slot(F, P, at(9), at(10), 4).places == 4


def test_the_migration_s_states_are_the_lifecycle_s():
    from importlib import util

    path = ROOT / "app/db/migrations/versions/0008_bookings.py"
    spec = util.spec_from_file_location("m0008", path)
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(BOOKING.states) == module.BOOKING_STATES


RACER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[4])
from datetime import UTC, datetime
from app.care.bookings import BookingStore, PlacesFull
from app.db.engine import make_engine
url, n, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = BookingStore(make_engine(url))
store.slots("F1", "always_daycare")  # connect before the start
open(go + "." + str(os.getpid()), "w").close()
while not os.path.exists(go):
    time.sleep(0.005)
ok, full = [], []
start, end = datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 12, tzinfo=UTC)
for i in range(n):
    try:
        ok.append(store.book("F1", "always_daycare", f"{os.getpid()}-{i}", start, end, None).id)
    except PlacesFull as exc:
        full.append(str(exc))
print(json.dumps({"ok": ok, "full": full}))
"""


def test_two_processes_500_bookings_each_for_10_places_hold_exactly_10(store, db_url, tmp_path):
    store.publish_slot(F, P, at(9), at(12), 10)
    go = tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, db_url, "500", str(go), str(ROOT)],
                               stdout=subprocess.PIPE, text=True) for _ in range(2)]
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [json.loads(r.communicate(timeout=120)[0]) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    ok = [i for r in results for i in r["ok"]]
    full = [m for r in results for m in r["full"]]
    assert (len(ok), len(set(ok)), len(full)) == (10, 10, 990)  # none lost: 1000 answers
    assert set(full) == {"no place left at F1 for always_daycare in the slot 2026-12-02T09:00:00+00:00 to "
                         "2026-12-02T12:00:00+00:00: all 10 places are held"}
    assert held(store) == [10]
    with store.engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT id FROM bookings")).scalars()) == set(ok)
    assert count(store, "booking_events") == 10
    assert count(store, "booking_holds") == 10


def test_racing_cancels_and_confirms_give_each_place_back_at_most_once(store):
    """Two threads act on each booking at the same moment: a duplicate cancel (exactly one
    wins), and a confirm racing a cancel (both may succeed, in either order, or the confirm
    loses); the held count always equals the bookings still holding a place."""
    import threading

    store.publish_slot(F, P, at(9), at(12), 40)
    pairs = [("cancel", "cancel"), ("confirm", "cancel")] * 10
    booked = [store.book(F, P, f"c{i}", at(9), at(12), None, now=NOW).id for i in range(len(pairs))]
    roles = {"cancel": "guardian", "confirm": "provider_staff"}
    outcomes: dict[tuple[int, int], str] = {}
    barrier = threading.Barrier(2)

    def act(side: int) -> None:
        for n, (booking_id, pair) in enumerate(zip(booked, pairs, strict=True)):
            action = pair[side]
            barrier.wait(10)
            try:
                store.transition(booking_id, action, roles[action], f"t{side}", now=NOW)  # before the start
                outcomes[n, side] = "ok"
            except InvalidTransition as exc:
                outcomes[n, side] = exc.current_state

    threads = [threading.Thread(target=act, args=(side,)) for side in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 2 * len(pairs)  # no thread died on an unexpected error
    for n, pair in enumerate(pairs):
        if pair == ("cancel", "cancel"):
            assert sorted([outcomes[n, 0], outcomes[n, 1]]) == ["cancelled", "ok"]
        else:  # the cancel always succeeds (from requested or accepted); the confirm only if first
            assert outcomes[n, 1] == "ok" and outcomes[n, 0] in ("ok", "cancelled")
    assert {store.get(b).status for b in booked} == {"cancelled"}
    assert held(store) == [0]
    assert count(store, "booking_holds") == 0
    confirms = sum(outcomes[n, 0] == "ok" for n, pair in enumerate(pairs) if pair[0] == "confirm")
    assert count(store, "booking_events") == 20 + 20 + confirms
    assert count(store, "outbox", "WHERE topic = 'booking.cancelled'") == 20


def test_a_booking_confirmed_at_once_is_one_transaction_and_one_message_to_both(store):
    store.publish_slot(F, P, at(9), at(12), 1)
    booking = store.book(F, P, "c1", at(9), at(12), at(1), now=NOW, guardian_id="g1", confirmed_by="auto_confirm")
    assert (booking.status, booking.version, booking.hold_expires_at) == ("accepted", 2, None)
    assert store.get(booking.id) == booking
    assert [(e["action"], e["actor_role"], e["actor_id"]) for e in store.events(booking.id)] == [
        ("book", "guardian", None), ("confirm", "system", "auto_confirm")]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(db_engine.outbox)).all()
    assert [(r.idempotency_key, r.topic, r.payload["to"]) for r in rows] == [
        (f"booking/{booking.id}/v2", "booking.confirmed", [{"user_id": "g1"}, {"facility_id": F}])]
    assert held(store) == [1]


def test_staff_are_reminded_once_before_a_hold_lapses(store):
    store.publish_slot(F, P, at(9), at(12), 2)
    soon = store.book(F, P, "a", at(9), at(12), NOW + timedelta(minutes=15), now=NOW, guardian_id="g1")
    store.book(F, P, "b", at(9), at(12), NOW + timedelta(hours=2), now=NOW, guardian_id="g2")  # not yet
    assert store.warn_expiring(NOW) == 0  # 15 minutes left: not within the 10-minute warning
    later = NOW + timedelta(minutes=6)
    assert store.warn_expiring(later) == 1
    assert store.warn_expiring(later + timedelta(minutes=1)) == 0  # once per hold
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(db_engine.outbox).where(db_engine.outbox.c.topic == "booking.expiring")).one()
    assert row.idempotency_key == f"booking/{soon.id}/v1/expiring"
    assert row.payload["to"] == [{"facility_id": F}]
    assert row.payload["respond_by"] == (NOW + timedelta(minutes=15)).isoformat()
    store.transition(soon.id, "confirm", "provider_staff", "s1")
    assert store.warn_expiring(later + timedelta(minutes=2)) == 0  # answered: no more reminders


def test_places_published_after_an_accepted_offer_count_its_booking(store):
    """Tester 28: a provider accepted an emergency offer before it published any place (the
    booking held none), then opened places over that window; the booking was not counted, and
    another family booked the one place the child already had. Slots published later over a
    live booking's window hold its place, given back when it is cancelled."""
    from app.care.bookings import book_accepted_offer

    with store.engine.begin() as conn:
        accepted = book_accepted_offer(conn, facility_id=F, programme=P, child_id="a", guardian_id="g",
                                       start=at(9), end=at(11), request_id=None, offer_id="o1",  # no request row here
                                       staff_role="provider_staff", staff_id="s1", at=NOW)
    assert held(store) == []
    with pytest.raises(SlotError, match="1 places are held in this slot by bookings already made"):
        store.publish_slot(F, P, at(9), at(10), 0)  # the child is there: not 0 places
    assert held(store) == []  # the refused slot wrote nothing
    store.publish_slot(F, P, at(9), at(10), 1)
    assert store.publish_missing(F, P, [(at(10), at(11), 0), (at(11), at(12), 1)]) == 2
    assert [(s.places, s.held) for s in store.slots(F, P)] == [(1, 1), (1, 1), (1, 0)]  # planned 0: still full
    with pytest.raises(PlacesFull):
        store.book(F, P, "b", at(9), at(10), None, now=NOW)
    store.book(F, P, "c", at(11), at(12), None, now=NOW)  # after its window: free
    store.transition(accepted.id, "cancel", "provider_staff", "s1", reason="family phoned", now=NOW)
    assert held(store) == [0, 0, 1]
    assert count(store, "booking_holds") == 1
