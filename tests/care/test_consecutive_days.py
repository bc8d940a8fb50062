"""언제나 어린이집 books at most 5 consecutive days (app/reference/booking_rules.json): the
limit counts the child's live bookings of the programme that touch or follow the new one day to
day, as calendar dates in the registry's zone across month and year ends — two adjacent
bookings cannot make 8 consecutive days. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.care.bookings import TooManyConsecutiveDays
from app.care.desk import BookingDesk, facility_lookup
from app.care.windows import chained_days
from tests.care.test_children import (  # noqa: F401  (fixtures)
    accounts,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.care.test_desk import BUCHEON_DAYCARE, CENTRE, NOW
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

SEOUL = ZoneInfo("Asia/Seoul")
P = "always_daycare"


def at(month: int, day: int, hh: int) -> datetime:
    return datetime(2026 if month == 12 else 2027, month, day, hh, tzinfo=SEOUL)


@pytest.fixture
def desk(store):  # noqa: F811
    store.booking_store.publish_slot("D1", P, at(12, 28, 0), at(1, 8, 0), 10)
    return BookingDesk(store.booking_store, store, facility_lookup({"D1": BUCHEON_DAYCARE, "C1": CENTRE}), SEOUL,
                       hold_minutes=30)


def test_two_adjacent_bookings_cannot_make_eight_consecutive_days(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")

    def book(start: datetime, end: datetime):
        return desk.book(family.guardian_id, family.child_id, "D1", P, start, end, NOW, home_sigungu_code="41111")[0]

    first = book(at(12, 29, 8), at(1, 2, 20))  # 12-29 … 01-02: 5 days, the most one booking may have
    with pytest.raises(TooManyConsecutiveDays) as caught:
        book(at(1, 3, 8), at(1, 5, 20))  # follows day to day: 12-29 … 01-05 would be 8 days
    exc = caught.value
    assert (exc.code, exc.http_status, exc.field) == ("too_many_consecutive_days", 409, "window")
    assert str(exc) == (f"always_daycare books at most 5 consecutive days; this window with the child's "
                        f"booking(s) {first.id} makes 8 consecutive days, 2026-12-29 to 2027-01-05 (local dates)")
    assert exc.extra == {"limit": 5, "days": 8, "first_day": "2026-12-29", "last_day": "2027-01-05",
                         "booking_ids": [first.id]}
    # a day's gap breaks the chain; filling the gap is refused again
    book(at(1, 4, 8), at(1, 5, 20))
    with pytest.raises(TooManyConsecutiveDays, match="8 consecutive days, 2026-12-29 to 2027-01-05"):
        book(at(1, 3, 8), at(1, 3, 12))
    # only live bookings count: once the first is cancelled, the gap can be filled
    desk.bookings.transition(first.id, "cancel", "guardian", family.guardian_id)
    book(at(1, 3, 8), at(1, 3, 12))


def test_a_chain_within_the_limit_and_another_child_are_fine(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "father@example.kr")
    for start, end in ((at(12, 29, 8), at(12, 30, 20)), (at(12, 31, 8), at(1, 2, 20))):  # 2 + 3 = 5 days
        desk.book(family.guardian_id, family.child_id, "D1", P, start, end, NOW, home_sigungu_code="41111")
    with pytest.raises(TooManyConsecutiveDays, match="6 consecutive days, 2026-12-29 to 2027-01-03"):
        desk.book(family.guardian_id, family.child_id, "D1", P, at(1, 3, 8), at(1, 3, 10), NOW,
                  home_sigungu_code="41111")
    other = make_family(accounts, store, "aunt@example.kr")
    desk.book(other.guardian_id, other.child_id, "D1", P, at(1, 3, 8), at(1, 3, 10), NOW, home_sigungu_code="41111")


def test_days_are_counted_in_the_registry_zone():
    # 01-02 23:30 and 01-03 00:30 in Seoul are the same UTC date (01-02) but two local dates
    late = (datetime(2027, 1, 2, 22, tzinfo=SEOUL), datetime(2027, 1, 2, 23, 30, tzinfo=SEOUL))
    early = (datetime(2027, 1, 3, 0, 30, tzinfo=SEOUL), datetime(2027, 1, 3, 2, tzinfo=SEOUL))
    assert chained_days(early, [late], SEOUL) == (datetime(2027, 1, 2).date(), datetime(2027, 1, 3).date())
    # a window ending at 00:00 does not touch that date; the next day's window still follows it
    evening = (datetime(2026, 12, 31, 18, tzinfo=SEOUL), datetime(2027, 1, 1, 0, tzinfo=SEOUL))
    gap = (datetime(2027, 1, 2, 8, tzinfo=SEOUL), datetime(2027, 1, 2, 9, tzinfo=SEOUL))
    assert chained_days(gap, [evening], SEOUL) == (datetime(2027, 1, 2).date(),) * 2
