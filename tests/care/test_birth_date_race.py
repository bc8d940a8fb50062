"""A booking (or an emergency care request) and a change of the child's birth date at the same
moment are serialised by the child's lock (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite): the booking's age rules — the programme's ages and the provider's own — are checked
again on the birth date read under that lock, and the change takes the same lock before it
checks the live bookings (409 ``birth_date_in_use``). Whichever commits first, no live booking
or request is left for a child outside its ages. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.care.children import BirthDateInUse
from app.care.desk import BookingDesk, Repeat, facility_lookup
from app.care.rules import NotEligible, age_in_months
from app.db.children_tables import children
from app.db.engine import bookings
from app.db.request_tables import care_requests
from tests.care.test_children import (  # noqa: F401  (fixtures)
    T0,
    accounts,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.care.test_desk import BUCHEON_DAYCARE, CENTRE, NOW, kst
from tests.care.test_matching import matcher, request
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

from . import matching_data as d

SEOUL = ZoneInfo("Asia/Seoul")
P = "always_daycare"
TOO_OLD = "2016-01-01"  # 131 months on 2026-12-02: outside 언제나 어린이집's 6-83 months
# A provider taking fewer ages than its programme: 6-35 months (영아 classes only).
INFANTS = replace(BUCHEON_DAYCARE, id="D2", name="아기별어린이집", age_max_months=35)


@pytest.fixture
def desk(store):  # noqa: F811
    store.booking_store.publish_slot("D1", P, kst(1, 0), kst(4, 0), 50)
    store.booking_store.publish_slot("D2", P, kst(1, 0), kst(4, 0), 50)
    store.booking_store.publish_slot("C1", "elementary_emergency", kst(1, 0), kst(16, 0), 50)
    return BookingDesk(store.booking_store, store,
                       facility_lookup({"D1": BUCHEON_DAYCARE, "D2": INFANTS, "C1": CENTRE}), SEOUL, hold_minutes=30)


def change_after_the_desk_reads(desk: BookingDesk, guardian_id: str, child_id: str, birth_date: str,
                                reads: int = 1) -> None:
    """The guardian's birth-date change commits just after the desk's last read of the child
    (``reads``: how many times the desk reads it; its checks done on the old date), before the
    booking's transaction: the interleaving a race gives."""
    read = desk.children.brief
    calls = []

    def brief(*args, **kwargs):
        found = read(*args, **kwargs)
        calls.append(1)
        if len(calls) == reads:
            desk.children.update(guardian_id, child_id, {"birth_date": birth_date}, T0)
        return found

    desk.children.brief = brief  # type: ignore[method-assign]


def live_bookings(engine: sa.Engine, child_id: str) -> int:  # noqa: F811
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(bookings).where(
            bookings.c.child_id == child_id, bookings.c.status.in_(["requested", "accepted", "in-progress"])))\
            .scalar_one()


def test_a_birth_date_changed_during_the_booking_is_the_one_checked(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")  # born 2024-06-01: 30 months
    change_after_the_desk_reads(desk, family.guardian_id, family.child_id, TOO_OLD)
    with pytest.raises(NotEligible) as caught:
        desk.book(family.guardian_id, family.child_id, "D1", P, kst(2, 9), kst(2, 12), NOW,
                  home_sigungu_code="41111")
    assert (caught.value.reason, caught.value.extra["age_months"]) == ("age_outside_programme", 131)
    assert live_bookings(store.engine, family.child_id) == 0
    assert [s.held for s in desk.bookings.slots("D1", P)] == [0]  # nothing held


def test_the_providers_own_ages_are_checked_under_the_lock_too(accounts, store, desk):  # noqa: F811
    """Within the programme (6-83 months) but past the provider's 35: refused naming the
    provider's limits."""
    family = make_family(accounts, store, "father@example.kr")
    change_after_the_desk_reads(desk, family.guardian_id, family.child_id, "2022-01-01")  # 59 months
    with pytest.raises(NotEligible) as caught:
        desk.book(family.guardian_id, family.child_id, "D2", P, kst(2, 9), kst(2, 12), NOW,
                  home_sigungu_code="41111")
    exc = caught.value
    assert (exc.reason, exc.extra) == ("age_outside_provider",
                                       {"age_min_months": 6, "age_max_months": 35, "age_months": 59})
    assert "아기별어린이집 takes children of 6-35 months" in str(exc)
    assert live_bookings(store.engine, family.child_id) == 0


def test_a_weekly_pattern_checks_the_birth_date_under_the_lock(accounts, store, desk):  # noqa: F811
    """Three Tuesdays at the centre (6-12-year-olds), the birth date moved to a 3-year-old's
    meanwhile: nothing is booked."""
    family = make_family(accounts, store, "pupil@example.kr", birth_date="2018-01-01")
    # the desk reads the child for the first window, then for the first and the last date
    change_after_the_desk_reads(desk, family.guardian_id, family.child_id, "2023-01-01", reads=3)
    with pytest.raises(NotEligible) as caught:
        desk.book_weekly(family.guardian_id, family.child_id, "C1", "elementary_emergency", kst(1, 15), kst(1, 17),
                         Repeat((2,), date(2026, 12, 15)), NOW, home_sigungu_code="41111")
    assert caught.value.reason == "age_outside_programme"
    assert live_bookings(store.engine, family.child_id) == 0


def test_a_request_checks_the_birth_date_stored_under_the_lock(accounts, store):  # noqa: F811
    """The API reads the child, then the request is made: a birth date changed between the two
    is the one the request's transaction checks (the stale one passed in would be eligible)."""
    family = make_family(accounts, store, "request@example.kr", birth_date=d.BIRTH.isoformat())
    store.update(family.guardian_id, family.child_id, {"birth_date": "2024-01-15"}, T0)  # 34 months
    m = matcher(store.engine)
    with pytest.raises(NotEligible) as caught:
        request(m, guardian_id=family.guardian_id, child_id=family.child_id, birth_date=d.BIRTH)
    assert caught.value.reason == "age_outside_programme"
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(care_requests)).scalar_one() == 0


def test_a_booking_and_a_birth_date_change_racing_never_both_win(accounts, store, desk):  # noqa: F811
    """Two threads at once, round after round: one books the child, the other moves its birth
    date outside the programme's ages. Either the booking wins (the change is then a 409
    birth_date_in_use) or the change does (the booking is then refused as too old): never a live
    booking for a child outside the ages, whichever order the database gives."""
    rng = random.Random(15)
    read = desk.children.brief

    def slow_brief(*args, **kwargs):  # widen the gap between the desk's read and its transaction
        found = read(*args, **kwargs)
        time.sleep(rng.uniform(0, 0.03))
        return found

    desk.children.brief = slow_brief  # type: ignore[method-assign]
    outcomes: list[tuple[str, str]] = []
    for n in range(8):
        family = make_family(accounts, store, f"racer{n}@example.kr")
        got = race_once(desk, store, family.guardian_id, family.child_id, rng)
        outcomes.append(got)
        with store.engine.connect() as conn:
            born = conn.execute(sa.select(children.c.birth_date).where(children.c.id == family.child_id)).scalar_one()
        live = live_bookings(store.engine, family.child_id)
        assert live == 0 or 6 <= age_in_months(born, date(2026, 12, 2)) <= 83, (n, got, born)
    assert set(outcomes) <= {("ok", "birth_date_in_use"), ("age_outside_programme", "ok")}, outcomes


def race_once(desk: BookingDesk, store, guardian_id: str, child_id: str,  # noqa: F811
              rng: random.Random) -> tuple[str, str]:
    """One round: a booking and a change to :data:`TOO_OLD` released together; each one's
    outcome ("ok", or the refusal's reason or code)."""
    barrier = threading.Barrier(2)
    got: dict[str, str] = {}

    def book() -> None:
        barrier.wait(10)
        try:
            desk.book(guardian_id, child_id, "D1", P, kst(2, 9), kst(2, 12), NOW, home_sigungu_code="41111")
            got["book"] = "ok"
        except NotEligible as exc:
            got["book"] = exc.reason or exc.code

    def change() -> None:
        barrier.wait(10)
        time.sleep(rng.uniform(0, 0.02))
        try:
            store.update(guardian_id, child_id, {"birth_date": TOO_OLD}, T0)
            got["change"] = "ok"
        except BirthDateInUse as exc:
            got["change"] = exc.code

    threads = [threading.Thread(target=book), threading.Thread(target=change)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return got.get("book", "?"), got.get("change", "?")
