"""A booking's transaction in few round trips (issue 15's booking p99 at 100 bookings/s on
PostgreSQL, bench/bench_booking.py): the child's lock reads the birth date it checks, the
places are held in one statement, and the new rows of four tables go in one statement
(app.db.writes.insert_together); on SQLite, the same rows table by table. Each refusal still
leaves every count as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.care.bookings import NotBookable, PlacesFull
from app.db import engine as db_engine
from app.db.writes import insert_together

F, P = "F1", "always_daycare"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def at(hour: int) -> datetime:
    return datetime(2026, 12, 2, hour, 0, tzinfo=UTC)


def statements_of(engine: sa.Engine, run) -> list[str]:
    """The SQL statements ``run()`` sends (BEGIN and COMMIT are not statements here)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return seen


def counts(engine: sa.Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("bookings", "booking_holds", "booking_events", "outbox"))


def test_a_booking_is_five_statements_on_postgresql_and_writes_every_row(store):
    store.publish_slot(F, P, at(9), at(10), 2)
    store.publish_slot(F, P, at(10), at(12), 2)
    made = []
    sent = statements_of(store.engine, lambda: made.append(
        store.book(F, P, "child-1", at(9), at(12), at(1), now=NOW, guardian_id="g1", first_name="서연")))
    # The child (a bare id here: its row lock finds none, so an advisory lock), its other
    # bookings, the places, then the booking, its 2 holds, its event and its message at once.
    if store.engine.dialect.name == "postgresql":
        assert len(sent) == 5, sent
    assert counts(store.engine) == (1, 2, 1, 1)
    assert [s.held for s in store.slots(F, P)] == [1, 1]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(db_engine.booking_holds.c.booking_id)).scalars().all() == [made[0].id] * 2
        assert conn.execute(sa.select(db_engine.outbox.c.topic)).scalar_one() == "booking.requested"


def test_refused_holds_leave_every_count_as_it_was(store):
    store.publish_slot(F, P, at(9), at(10), 1)
    store.publish_slot(F, P, at(11), at(12), 5)  # 10:00-11:00 has no slot
    with pytest.raises(NotBookable):  # two slots counted, then the gap found: both given back
        store.book(F, P, "c1", at(9), at(12), None, now=NOW)
    assert [s.held for s in store.slots(F, P)] == [0, 0]
    store.book(F, P, "c2", at(9), at(10), None, now=NOW)
    with pytest.raises(PlacesFull):
        store.book(F, P, "c3", at(9), at(10), None, now=NOW)
    assert [s.held for s in store.slots(F, P)] == [1, 0]
    assert counts(store.engine)[:3] == (1, 1, 1)


def test_the_rows_of_several_tables_are_written_and_a_broken_one_writes_none(store):
    engine = store.engine
    booking = {"id": "b1", "facility_id": F, "programme": P, "child_id": "c1", "guardian_id": None,
               "window_start": at(9), "window_end": at(10), "status": "requested", "hold_expires_at": None,
               "version": 1, "created_at": NOW, "updated_at": NOW, "request_id": None, "offer_id": None,
               "pattern_id": None}
    event = {"booking_id": "b1", "action": "book", "from_state": None, "to_state": "requested",
             "actor_role": "guardian", "actor_id": None, "reason": None, "at": NOW}
    with engine.begin() as conn:
        insert_together(conn, [(db_engine.bookings, [booking]), (db_engine.booking_holds, []),
                               (db_engine.booking_events, [event, {**event, "action": "confirm"}])])
    assert counts(engine)[:3] == (1, 0, 2)
    with engine.connect() as conn:  # written in the order given (read in id order: book, then confirm)
        assert conn.execute(sa.select(db_engine.booking_events.c.action)
                            .order_by(db_engine.booking_events.c.id)).scalars().all() == ["book", "confirm"]
    bad = (db_engine.bookings, [{**booking, "id": "b2", "status": "x"}])
    for broken in ([(db_engine.booking_events, [event]), bad], [bad, (db_engine.booking_events, [event])]):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # a state the lifecycle has not
            insert_together(conn, broken)
        assert counts(engine)[:3] == (1, 0, 2)  # neither the broken row nor the others of the call


def test_the_one_statement_is_made_once_and_cacheable_by_sqlalchemy():
    # A multi-row VALUES has no SQLAlchemy cache key, so it was compiled on every booking (about
    # 5 ms of CPU, profiled); single-row INSERTs of named parameters in WITH have one.
    from app.db import writes

    shape = ((db_engine.bookings, ("id", "status")), (db_engine.booking_events, ("booking_id", "action")),
             (db_engine.booking_events, ("booking_id", "action")), (db_engine.outbox, ("topic", "payload")))
    statement = writes._statement(shape)
    assert writes._statement(shape) is statement
    assert statement._generate_cache_key() is not None
