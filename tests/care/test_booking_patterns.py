"""The bookings of one weekly pattern are linked (``bookings.pattern_id``, migration 0018) and
answered as one by the provider's staff (:meth:`BookingStore.answer_pattern`: accept all, decline
all with one reason), each date through the booking lifecycle's own transition under its own
savepoint, a date that lapsed or was cancelled meanwhile reported, not skipped; the family is told
ONCE of a pattern answered or lapsed (``booking.pattern_confirmed``, ``booking.pattern_declined``,
``booking.pattern_expired``), not once per date. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.care.bookings import BookingNotFound, BookingStore
from app.care.states import ActorNotAllowed, ReasonRequired
from app.db import engine as db_engine
from app.db.engine import make_engine, upgrade

F, P = "F1", "elementary_emergency"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 15:00 in Seoul, a Wednesday
WEEKS = 4


def windows(n: int = WEEKS) -> list[tuple[datetime, datetime]]:
    return [(FIRST + timedelta(days=7 * k), FIRST + timedelta(days=7 * k, hours=2)) for k in range(n)]


def published(store: BookingStore, places: int = 3) -> None:
    for s, e in windows():
        store.publish_slot(F, P, s, e, places)


def messages(store: BookingStore, since: int = 0) -> list[sa.Row]:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(db_engine.outbox).where(db_engine.outbox.c.id > since)
                            .order_by(db_engine.outbox.c.id)).all()


def last_id(store: BookingStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.coalesce(sa.func.max(db_engine.outbox.c.id), 0))).scalar_one()


def pattern(store: BookingStore, hold: datetime | None = FIRST - timedelta(hours=20)):
    published(store)
    return store.book_many(F, P, "kid", windows(), hold, now=NOW, guardian_id="g1", first_name="하린")


def test_a_patterns_bookings_share_one_id_and_a_single_booking_has_none(store):
    made = pattern(store)
    ids = {b.pattern_id for b in made}
    assert len(ids) == 1 and None not in ids
    pattern_id = made[0].pattern_id
    assert [b.id for b in store.pattern(pattern_id)] == [b.id for b in made]
    assert all(store.get(b.id).pattern_id == pattern_id for b in made)
    one = store.book_many(F, P, "kid2", windows(1), None, now=NOW, guardian_id="g2")
    single = store.book(F, P, "kid3", *windows(1)[0], None, now=NOW, guardian_id="g3")
    assert one[0].pattern_id is None and single.pattern_id is None
    with pytest.raises(BookingNotFound):
        store.pattern("no-such-pattern")


def test_accept_all_confirms_each_waiting_date_and_names_those_that_lapsed_or_were_cancelled(store):
    made = pattern(store)
    store.transition(made[1].id, "cancel", "guardian", "g1", now=NOW)
    store.transition(made[2].id, "expire", "system", "expire_holds", now=NOW)
    before = last_id(store)
    answers = store.answer_pattern(made[0].pattern_id, "confirm", "provider_staff", "s1", now=NOW)
    assert [(a.booking_id, a.done, a.status) for a in answers] == [
        (made[0].id, True, "accepted"), (made[1].id, False, "cancelled"), (made[2].id, False, "expired"),
        (made[3].id, True, "accepted")]
    assert [store.get(b.id).status for b in made] == ["accepted", "cancelled", "expired", "accepted"]
    assert [e["action"] for e in store.events(made[0].id)] == ["book", "confirm"]
    told = messages(store, before)
    assert [r.topic for r in told] == ["booking.pattern_confirmed"]  # one message, not one per date
    payload = told[0].payload
    assert payload["booking_ids"] == [made[0].id, made[3].id]
    assert [o["start"] for o in payload["occurrences"]] == [made[0].start.isoformat(), made[3].start.isoformat()]
    assert payload["to"] == [{"user_id": "g1"}]  # the staff answered it themselves
    # answered again: nothing waits, nothing is written, every date is named as it is
    again = store.answer_pattern(made[0].pattern_id, "confirm", "provider_staff", "s1", now=NOW)
    assert not any(a.done for a in again) and len(again) == WEEKS
    assert messages(store, before + 1) == []


def test_decline_all_asks_the_reason_once_gives_the_places_back_and_tells_the_family_once(store):
    made = pattern(store)
    pattern_id = made[0].pattern_id
    with pytest.raises(ReasonRequired):
        store.answer_pattern(pattern_id, "decline", "provider_staff", "s1", now=NOW)
    with pytest.raises(ActorNotAllowed):
        store.answer_pattern(pattern_id, "confirm", "guardian", "g1", now=NOW)
    assert all(store.get(b.id).status == "requested" for b in made)
    assert sum(s.held for s in store.slots(F, P)) == WEEKS
    before = last_id(store)
    answers = store.answer_pattern(pattern_id, "decline", "provider_staff", "s1", reason="정원이 찼습니다", now=NOW)
    assert all(a.done and a.status == "rejected" for a in answers)
    assert sum(s.held for s in store.slots(F, P)) == 0
    told = messages(store, before)
    assert [r.topic for r in told] == ["booking.pattern_declined"]
    assert told[0].payload["reason"] == "정원이 찼습니다" and told[0].payload["to"] == [{"user_id": "g1"}]
    assert len(told[0].payload["occurrences"]) == WEEKS


def test_the_last_date_waiting_is_answered_and_told_as_one_booking(store):
    made = pattern(store)
    for b in made[:-1]:
        store.transition(b.id, "confirm", "provider_staff", "s1", now=NOW)
    before = last_id(store)
    answers = store.answer_pattern(made[0].pattern_id, "decline", "provider_staff", "s1", reason="아파서", now=NOW)
    assert [a.done for a in answers] == [False, False, False, True]
    assert [r.topic for r in messages(store, before)] == ["booking.declined"]


def test_a_patterns_holds_lapse_together_in_one_message(store):
    made = pattern(store)
    single = store.book(F, P, "kid2", *windows(1)[0], FIRST - timedelta(hours=20), now=NOW, guardian_id="g2")
    store.transition(made[3].id, "confirm", "provider_staff", "s1", now=NOW)
    before = last_id(store)
    lapsed = store.expire_holds(FIRST - timedelta(hours=19))
    assert sorted(lapsed) == sorted([made[0].id, made[1].id, made[2].id, single.id])
    told = messages(store, before)
    assert sorted(r.topic for r in told) == ["booking.expired", "booking.pattern_expired"]
    summary = next(r.payload for r in told if r.topic == "booking.pattern_expired")
    assert summary["booking_ids"] == [made[0].id, made[1].id, made[2].id]
    assert summary["to"] == [{"user_id": "g1"}, {"facility_id": F}]
    assert summary["status"] == "expired"
    assert store.expire_holds(FIRST) == [] and messages(store, before + 2) == []


def test_an_existing_database_is_upgraded_and_its_bookings_stay_unlinked(db_url):
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db_engine.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(cfg, "0016")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO bookings (id, facility_id, programme, child_id, guardian_id, window_start, window_end, "
                "status, version, created_at, updated_at) VALUES ('old', 'F1', 'always_daycare', 'c', 'g', "
                ":s, :e, 'requested', 1, :s, :s)"), {"s": FIRST, "e": FIRST + timedelta(hours=2)})
        assert "pattern_id" not in {c["name"] for c in sa.inspect(engine).get_columns("bookings")}
        upgrade(db_url)
        engine.dispose()
        assert "pattern_id" in {c["name"] for c in sa.inspect(engine).get_columns("bookings")}
        assert BookingStore(engine).get("old").pattern_id is None
    finally:
        engine.dispose()


def test_a_date_cancelled_while_accept_all_waits_for_it_is_named_and_the_others_confirmed(store):
    """The family cancels a date in a transaction still open when accept-all starts: accept-all
    waits for it (the booking row's lock on PostgreSQL, the one writer on SQLite), then finds the
    date cancelled — that date alone is rolled back to its savepoint and reported."""
    import threading
    import time

    from app.care.bookings import move_booking

    made = pattern(store)
    result: list = []
    with store.engine.begin() as conn:
        move_booking(conn, made[1].id, "cancel", "guardian", "g1", None, NOW)
        worker = threading.Thread(target=lambda: result.extend(store.answer_pattern(
            made[0].pattern_id, "confirm", "provider_staff", "s1", now=NOW)))
        worker.start()
        time.sleep(1.0)
        assert not result  # still waiting for the cancel's transaction
    worker.join(30)
    assert [(a.done, a.status) for a in result] == [(True, "accepted"), (False, "cancelled"), (True, "accepted"),
                                                    (True, "accepted")]
    assert [store.get(b.id).status for b in made] == ["accepted", "cancelled", "accepted", "accepted"]
    assert sum(s.held for s in store.slots(F, P)) == WEEKS - 1
