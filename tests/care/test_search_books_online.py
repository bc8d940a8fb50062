"""The search says which providers take bookings online now (each hit's ``books_online``: the
programmes booked online it publishes places for in a slot still to come), so the map offers
"예약하기 / Book" only there and an emergency request and the phone elsewhere. One indexed
query for all the results (never one per result), none when no result runs a programme booked
online; null when the database is out of reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.care.bookings import BookingStore, OnlineProgrammes
from app.db.engine import make_engine, upgrade
from tests.care.test_api_bookings import CENTRE, staff
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)
from tests.tiny_registry import HOME

TOGETHER = "tiny-tc-01"  # runs elementary_emergency too, publishes nothing here


def _search(app, query: str) -> tuple[dict[str, Any], int]:  # noqa: F811
    """The search's results by id, and how many statements read booking_capacity meanwhile."""
    engine = app.extensions["dolbom_db"]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "booking_capacity" in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        r = app.test_client().get(f"/api/v1/facilities/nearest?lat={HOME['lat']}&lon={HOME['lon']}{query}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.json
    return {h["facility"]["id"]: h for h in r.json["results"]}, len(seen)


def test_each_hit_says_what_it_books_online_in_one_query(app):  # noqa: F811
    hits, reads = _search(app, "&limit=20")
    assert hits[CENTRE]["books_online"] == [] and hits[TOGETHER]["books_online"] == []
    assert all(h["books_online"] == [] for h in hits.values())
    assert reads == 1
    desk = staff(app, "cc@example.kr", CENTRE)
    r = desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                  {"programme": "elementary_emergency", "derive": {"days": 3, "places": 1}})
    assert r.status_code == 200 and r.json["added"] > 0, r.json
    hits, reads = _search(app, "&limit=20")  # the places published here are seen at once
    assert hits[CENTRE]["books_online"] == ["elementary_emergency"]
    assert hits[TOGETHER]["books_online"] == []
    assert reads == 1  # one query (for the provider whose places changed), not one per result
    hits, reads = _search(app, "&limit=20")  # the same area again: remembered, no query
    assert reads == 0 and hits[CENTRE]["books_online"] == ["elementary_emergency"]
    # results that run no programme booked online: no query at all
    hits, reads = _search(app, "&kind=daycare&limit=3")
    assert hits and reads == 0 and all(h["books_online"] == [] for h in hits.values())


def test_books_online_is_null_while_the_database_is_out_of_reach(app, monkeypatch):  # noqa: F811
    def down(*args: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr("app.care.bookings.open_online", down)
    hits, _ = _search(app, "&limit=20")
    assert hits[CENTRE]["books_online"] is None and hits[TOGETHER]["books_online"] is None
    assert all(h["books_online"] in (None, []) for h in hits.values())


def test_the_openapi_document_describes_books_online(app):  # noqa: F811
    doc = app.test_client().get("/api/v1/openapi.json").json
    hit = doc["components"]["schemas"]["Hit"]["properties"]["books_online"]
    assert "publishes places" in hit["description"]


def test_another_servers_change_is_seen_once_remembered_answers_lapse(tmp_path):
    url = f"sqlite:///{tmp_path / 'o.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        now = datetime(2026, 12, 2, 0, tzinfo=UTC)
        ticks = [100.0]
        online = OnlineProgrammes(engine, remember_s=5.0, clock=lambda: ticks[0])
        assert online.of(["a", "b"], now) == {}
        other_server = BookingStore(engine)  # its writes do not reach this cache
        other_server.publish_slot("a", "elementary_emergency", now + timedelta(hours=6), now + timedelta(hours=8), 2)
        other_server.publish_slot("b", "always_daycare", now + timedelta(hours=6), now + timedelta(hours=8), 0)
        ticks[0] += 4.9
        assert online.of(["a", "b"], now) == {}  # remembered
        ticks[0] += 0.2
        assert online.of(["a", "b"], now) == {"a": frozenset({"elementary_emergency"})}  # b opens 0 places
        assert online.of(["a"], now + timedelta(hours=8)) == {"a": frozenset({"elementary_emergency"})}
        online.forget("a")
        assert online.of(["a"], now + timedelta(hours=8)) == {}  # its slots have ended
    finally:
        engine.dispose()
