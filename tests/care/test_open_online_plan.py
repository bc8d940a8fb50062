"""The search's ``books_online`` look-up (app.care.bookings.open_online) reads only the slots
that have not ended, through the ``booking_capacity_open (facility_id, slot_end)`` index
(migration 0019), not every slot a provider ever published: past slots are kept, and without
the index its cost grew with each provider's history (bench/bench_search.py --books-online).
Its answers are those of a plain reading of the rule, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.care.bookings import open_online
from app.db.engine import booking_capacity, reads
from tests.care.conftest import store  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _slots() -> list[dict]:
    """Past, running, future and full slots of four providers and two programmes."""
    rows = []

    def slot(facility: str, programme: str, start: datetime, places: int, hours: int = 1) -> None:
        rows.append({"facility_id": facility, "programme": programme, "slot_start": start,
                     "slot_end": start + hours * HOUR, "places": places, "held": 0})

    for day in range(30):  # a history: only past slots
        slot("past-only", "always_daycare", NOW - timedelta(days=day + 1), 3)
        slot("history-and-future", "always_daycare", NOW - timedelta(days=day + 1), 3)
    slot("history-and-future", "always_daycare", NOW + 2 * HOUR, 2)
    slot("history-and-future", "elementary_emergency", NOW + 3 * HOUR, 0)  # no place: not online
    slot("running", "elementary_emergency", NOW - HOUR, 1, hours=2)  # ends after now: online
    slot("running", "always_daycare", NOW - 2 * HOUR, 5, hours=2)  # ends at now: ended
    slot("both", "always_daycare", NOW + HOUR, 1)
    slot("both", "elementary_emergency", NOW + 24 * HOUR, 4)
    return rows


def _expected(rows: list[dict], ids: list[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for r in rows:
        if r["facility_id"] in ids and r["places"] > 0 and r["slot_end"] > NOW:
            found.setdefault(r["facility_id"], set()).add(r["programme"])
    return {f: frozenset(p) for f, p in found.items()}


def test_open_online_reads_only_slots_not_ended_and_answers_as_the_rule(store):  # noqa: F811
    rows = _slots()
    with store.engine.begin() as conn:
        conn.execute(sa.insert(booking_capacity), rows)
    ids = ["past-only", "history-and-future", "running", "both", "unknown"]
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "booking_capacity" in statement:
            seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", keep)
    try:
        with reads(store.engine).connect() as conn:
            answer = open_online(conn, ids, NOW)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", keep)
    assert answer == _expected(rows, ids) == {
        "history-and-future": frozenset({"always_daycare"}), "running": frozenset({"elementary_emergency"}),
        "both": frozenset({"always_daycare", "elementary_emergency"})}
    assert len(seen) == 1  # one query for all the ids
    statement, parameters = seen[0]
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "booking_capacity_open (facility_id=? AND slot_end>?)" in plan, plan
        else:  # a table this small is read whole unless told otherwise: the index must be usable
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
            assert "booking_capacity_open" in plan and "slot_end" in plan, plan
