"""The care clock (app.care.scheduler): it really calls its ticks, stops cleanly, fires on its
first tick what fell due while no server ran, and two servers' clocks fire a deadline once."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.care.bookings import BookingStore
from app.care.matching import MatchingEngine, MatchSettings
from app.care.scheduler import Clock, ClockError, start_in_background
from app.db.engine import make_engine, upgrade
from app.db.request_tables import offer_events
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

from . import matching_data as d

MIN = timedelta(minutes=1)
LATER = d.NOW + 90 * MIN  # every deadline of a request made at d.NOW has passed


@pytest.fixture
def engine(db_url):  # noqa: F811
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


def wait_for(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def make_request(engine: sa.Engine) -> str:
    index = d.index()
    return MatchingEngine(engine, lambda: index).create(
        "guardian-1", "child-1", d.PROGRAMME, d.START, d.END, "home", d.HOME, d.BIRTH, d.NOW).id


def test_the_clock_calls_its_ticks_with_utc_now_and_stops_cleanly():
    before = threads()
    seen: list[datetime] = []
    clock = Clock(interval_s=0.05)
    clock.register("probe", seen.append)
    with clock:
        assert clock.running
        assert wait_for(lambda: len(seen) >= 3)  # at once, then every 50 ms
    assert not clock.running
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in seen)
    assert all(b > a for a, b in itertools.pairwise(seen))
    assert wait_for(lambda: threads() <= before, 5)  # no scheduler or worker thread left behind
    count = len(seen)
    time.sleep(0.2)
    assert len(seen) == count  # stopped means stopped


def test_a_failing_tick_is_logged_and_retried_and_does_not_stop_the_others(caplog):
    calls = {"bad": 0, "good": 0}

    def bad(now: datetime) -> None:
        calls["bad"] += 1
        raise RuntimeError("database away")

    clock = Clock(interval_s=0.05)
    clock.register("bad", bad)
    clock.register("good", lambda now: calls.__setitem__("good", calls["good"] + 1))
    with clock:
        assert wait_for(lambda: calls["bad"] >= 2 and calls["good"] >= 2)
    assert clock.failures["bad"] >= 2 and clock.runs["good"] >= 2
    assert "tick bad failed" in caplog.text


def test_clock_misuse_is_refused():
    clock = Clock(interval_s=1)
    clock.register("a", lambda now: None)
    with pytest.raises(ClockError, match="registered already"):
        clock.register("a", lambda now: None)
    with pytest.raises(ClockError, match="more than 0"):
        Clock(interval_s=0)
    with clock, pytest.raises(ClockError, match="running already"):
        clock.start()


def test_the_first_tick_after_a_restart_fires_what_fell_due(engine, db_url):  # noqa: F811
    request_id = make_request(engine)
    booking = BookingStore(engine)
    booking.publish_slot("tc-1", d.PROGRAMME, d.START, d.END, places=1)
    held = booking.book("tc-1", d.PROGRAMME, "child-2", d.START, d.END, hold_until=d.NOW + 15 * MIN, now=d.NOW)
    engine.dispose()  # every server stops; no tick runs while the deadlines pass
    restarted = make_engine(db_url)
    try:
        clock = start_in_background(restarted, interval_s=60, clock=lambda: LATER)  # one tick, at once
        try:
            m = MatchingEngine(restarted, None)
            assert wait_for(lambda: m.get(request_id).status == "unmatched")
            assert wait_for(lambda: BookingStore(restarted).get(held.id).status == "expired")
        finally:
            clock.stop()
        assert clock.names == ("bookings.expire_holds", "matching.fire_due")
    finally:
        restarted.dispose()


def test_two_servers_clocks_fire_one_deadline_once(engine, db_url):  # noqa: F811
    request_id = make_request(engine)
    engines = [make_engine(db_url) for _ in range(2)]
    clocks = []
    try:
        for e in engines:
            clock = Clock(interval_s=0.02, clock=lambda: d.NOW + 10 * MIN)
            clock.register("matching.fire_due", MatchingEngine(e, None).fire_due)
            clocks.append(clock)
        for clock in clocks:
            clock.start()
        assert wait_for(lambda: all(c.runs["matching.fire_due"] >= 5 for c in clocks))
    finally:
        for clock in clocks:
            clock.stop()
        for e in engines:
            e.dispose()
    with engine.connect() as conn:
        expiries = conn.execute(sa.select(sa.func.count()).select_from(offer_events).where(
            offer_events.c.request_id == request_id, offer_events.c.action == "expire")).scalar_one()
    assert expiries == 1  # tc-1 lapsed once; tc-2's offer (due at +20 min) is still open
    statuses = [o.status for o in MatchingEngine(engine, None).offers_of(request_id)]
    assert statuses == ["expired", "requested"]


def test_start_in_background_reads_the_apps_engine_registry_and_settings(engine):
    index = d.index()
    app = SimpleNamespace(
        extensions={"dolbom_db": engine, "dolbom_registry": SimpleNamespace(index=index)},
        config={"CARE_OFFER_MODE": "top_n", "CARE_OFFER_BATCH": 2, "CARE_OFFER_RESPONSE_MINUTES": 5,
                "CARE_REQUEST_MATCH_MINUTES": 30, "CARE_MATCH_MAX_PROVIDERS": 3})
    drained: list[datetime] = []
    clock = start_in_background(app, ticks={"outbox.drain": drained.append}, interval_s=60,
                                clock=lambda: datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    try:
        assert clock.names == ("bookings.expire_holds", "matching.fire_due", "outbox.drain")
        assert wait_for(lambda: drained == [datetime(2026, 12, 2, 1, 0, tzinfo=UTC)])
    finally:
        clock.stop()
    assert MatchSettings.from_config(app.config) == MatchSettings("top_n", 2, 5, 30, 3)
