"""Care windows: the 5-consecutive-day limit on calendar dates in Asia/Seoul, slots across
midnight, weekly patterns (DST-safe), and the cost estimate; hand-checked, plus a property test
of the day count against a brute force that enumerates dates."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.care.rules import booking_rule
from app.care.windows import (
    CareWindow,
    WindowError,
    check_weekly,
    check_window,
    consecutive_days,
    estimate_krw,
    expand_weekly,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
DAYCARE = booking_rule("always_daycare")
ELEMENTARY = booking_rule("elementary_emergency")


def kst(*args):
    return datetime(*args, tzinfo=SEOUL)


@pytest.mark.parametrize(("start", "end", "days"), [
    (kst(2026, 11, 29, 18), kst(2026, 12, 3, 18), 5),  # across the month boundary
    (kst(2026, 11, 29, 18), kst(2026, 12, 4, 18), 6),
    (kst(2026, 11, 29, 0), kst(2026, 12, 4, 0), 5),  # ends at 00:00: 12-04 not touched
    (kst(2026, 12, 31, 23), kst(2027, 1, 1, 7), 2),  # across midnight and the year
    (kst(2026, 12, 1, 7, 30), kst(2026, 12, 2, 7, 30), 2),  # one 언제나 어린이집 day, 07:30 to 07:30
    (kst(2026, 12, 1, 9), kst(2026, 12, 1, 9, 1), 1),
    (kst(2028, 2, 27, 12), kst(2028, 3, 2, 12), 5),  # leap year: 27, 28, 29, 1, 2
    (datetime(2026, 11, 29, 9, tzinfo=UTC), datetime(2026, 12, 3, 15, tzinfo=UTC), 5),  # 18:00 KST -> 00:00 12-04
    (datetime(2026, 11, 28, 21, tzinfo=UTC), datetime(2026, 12, 3, 14, tzinfo=UTC), 5),  # 11-29 06:00 -> 12-03 23:00
])
def test_consecutive_days_by_hand(start, end, days):
    assert consecutive_days(start, end, SEOUL) == days


def test_five_days_across_the_month_boundary_allowed_six_refused():
    w = check_window(DAYCARE, kst(2026, 11, 29, 18), kst(2026, 12, 3, 18), SEOUL)
    assert w == CareWindow(kst(2026, 11, 29, 18), kst(2026, 12, 3, 18))
    with pytest.raises(WindowError, match="at most 5 consecutive days; 2026-11-29 to 2026-12-04 is 6 days") as caught:
        check_window(DAYCARE, kst(2026, 11, 29, 18), kst(2026, 12, 4, 18), SEOUL)
    assert caught.value.field == "end"


def test_the_days_are_counted_in_the_registrys_zone_not_in_utc():
    # 2026-11-29 06:00 KST is 2026-11-28 21:00 UTC: in UTC the window would touch 6 dates
    check_window(DAYCARE, kst(2026, 11, 29, 6), kst(2026, 12, 3, 23), SEOUL)


def test_a_slot_across_midnight_is_allowed_and_costed():
    w = check_window(DAYCARE, datetime(2026, 12, 1, 23), datetime(2026, 12, 2, 7), SEOUL)  # naive: Seoul wall time
    assert w.start == kst(2026, 12, 1, 23) and w.elapsed == timedelta(hours=8)
    assert estimate_krw(DAYCARE, [w]) == 24_000


@pytest.mark.parametrize(("start", "end"), [
    (kst(2026, 12, 1, 9), kst(2026, 12, 1, 9)),
    (kst(2026, 12, 1, 9), kst(2026, 12, 1, 8)),
])
def test_start_must_be_before_end(start, end):
    with pytest.raises(WindowError, match=r"end .* must be after start") as caught:
        check_window(DAYCARE, start, end, SEOUL)
    assert caught.value.field == "end"


def test_years_outside_the_service_are_refused_without_overflow():
    with pytest.raises(WindowError, match="start 0001-01-01 is outside the years 2000-2099"):
        check_window(DAYCARE, datetime(1, 1, 1), kst(2026, 12, 1, 9), SEOUL)
    with pytest.raises(WindowError, match="end 9999-12-31 is outside the years 2000-2099"):
        check_window(DAYCARE, kst(2026, 12, 1, 9), datetime(9999, 12, 31, 23), SEOUL)


def test_the_past_and_the_same_day_deadline():
    now = kst(2026, 12, 1, 14, 59)
    check_window(DAYCARE, kst(2026, 12, 1, 18), kst(2026, 12, 1, 22), SEOUL, now=now)
    # the earliest start suggested lies on the 15-minute step (tester pass 26): 14:59 -> 15:00
    with pytest.raises(WindowError, match="is in the past; the earliest start now is 2026-12-01T15:00") as caught:
        check_window(DAYCARE, kst(2026, 12, 1, 14), kst(2026, 12, 1, 22), SEOUL, now=now)
    assert caught.value.field == "start"
    late = kst(2026, 12, 1, 15, 0)
    with pytest.raises(WindowError, match="bookings for today until 15:00; book from 2026-12-02 on"):
        check_window(DAYCARE, kst(2026, 12, 1, 18), kst(2026, 12, 1, 22), SEOUL, now=late)
    check_window(DAYCARE, kst(2026, 12, 2, 0), kst(2026, 12, 2, 7), SEOUL, now=late)  # tomorrow: fine
    check_window(ELEMENTARY, kst(2026, 12, 1, 18), kst(2026, 12, 1, 22), SEOUL, now=late)  # no such rule


def test_a_daycare_weekly_pattern_is_refused():
    with pytest.raises(WindowError, match="always_daycare is booked as daily, one_off only, not as a weekly") as caught:
        check_weekly(DAYCARE, date(2026, 12, 1), date(2026, 12, 31), [6], time(9), time(18), SEOUL)
    assert caught.value.field == "pattern"


def test_weekly_pattern_expansion_by_hand():
    # December 2026: the 1st is a Tuesday; Saturdays (6) are the 5th, 12th, 19th, 26th
    windows = check_weekly(ELEMENTARY, date(2026, 12, 1), date(2026, 12, 31), [6, 6], time(9), time(18), SEOUL)
    assert [(w.start, w.end) for w in windows] == [
        (kst(2026, 12, d, 9), kst(2026, 12, d, 18)) for d in (5, 12, 19, 26)]
    nights = check_weekly(ELEMENTARY, date(2026, 11, 30), date(2026, 12, 2), [1, 3], time(22), time(7), SEOUL)
    assert [(w.start, w.end) for w in nights] == [(kst(2026, 11, 30, 22), kst(2026, 12, 1, 7)),
                                                  (kst(2026, 12, 2, 22), kst(2026, 12, 3, 7))]
    assert estimate_krw(ELEMENTARY, nights) is None  # fees vary by municipality


def test_weekly_pattern_is_dst_safe():
    # New York: 2026-03-08 02:00 -> 03:00 (spring forward), 2026-11-01 02:00 -> 01:00 (fall back); both Sundays
    spring = expand_weekly(date(2026, 3, 8), date(2026, 3, 8), [7], time(1), time(4), NEW_YORK)
    fall = expand_weekly(date(2026, 11, 1), date(2026, 11, 1), [7], time(1), time(4), NEW_YORK)
    assert [w.elapsed for w in spring + fall] == [timedelta(hours=2), timedelta(hours=4)]
    assert estimate_krw(DAYCARE, spring + fall) == 18_000
    gap = expand_weekly(date(2026, 3, 8), date(2026, 3, 8), [7], time(2, 30), time(5), NEW_YORK)
    assert gap[0].start == datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK)  # 02:30 does not exist: moved by the gap
    assert gap[0].start.utcoffset() == timedelta(hours=-4)
    week = expand_weekly(date(2026, 3, 2), date(2026, 3, 15), range(1, 8), time(9), time(10), NEW_YORK)
    assert [w.start.date() for w in week] == [date(2026, 3, d) for d in range(2, 16)]
    assert {w.start.hour for w in week} == {9}


@pytest.mark.parametrize(("args", "field", "message"), [
    ((date(2026, 12, 1), date(2026, 12, 31), [], time(9), time(18)), "weekdays", "ISO weekday numbers"),
    ((date(2026, 12, 1), date(2026, 12, 31), [0, 1], time(9), time(18)), "weekdays", r"got \[0, 1\]"),
    ((date(2026, 12, 1), date(2026, 12, 31), [8], time(9), time(18)), "weekdays", r"got \[8\]"),
    ((date(2026, 12, 1), date(2026, 12, 31), [1], time(9), time(9)), "end_time", "must differ from start_time"),
    ((date(2026, 12, 2), date(2026, 12, 1), [1], time(9), time(18)), "last_date", "must not be before"),
    ((date(2026, 12, 1), date(2027, 3, 2), [1], time(9), time(18)), "last_date",
     r"at most 91 days \(13 weeks\); 2026-12-01 to 2027-03-02 is 92 days: end it by 2027-03-01"),
    ((date(2026, 12, 1), date(2026, 12, 4), [6, 7], time(9), time(18)), "weekdays",
     r"no date from 2026-12-01 to 2026-12-04 falls on sat, sun$"),  # named as the API names them
    ((date(2026, 12, 1), date(2026, 12, 31), [1], time(9, tzinfo=SEOUL), time(18)), "start_time", "without an offset"),
    ((date(1999, 12, 1), date(1999, 12, 31), [1], time(9), time(18)), "first_date", "outside the years"),
])
def test_weekly_pattern_refusals(args, field, message):
    with pytest.raises(WindowError, match=message) as caught:
        check_weekly(ELEMENTARY, *args, SEOUL)
    assert caught.value.field == field


def test_a_weekly_pattern_over_13_weeks_is_allowed():
    # weekly_max_weeks (booking_rules.json): 13 weeks, 2026-12-01 (Tue) to 2027-03-01 (Mon) is 91 days;
    # its Mondays: Dec 7-28 (4), Jan 4-25 (4), Feb 1-22 (4), Mar 1
    windows = check_weekly(ELEMENTARY, date(2026, 12, 1), date(2027, 3, 1), [1], time(9), time(18), SEOUL)
    assert len(windows) == 13 and windows[-1].start == kst(2027, 3, 1, 9)


def test_a_weekly_pattern_starting_in_the_past_is_refused():
    with pytest.raises(WindowError, match="is in the past"):
        check_weekly(ELEMENTARY, date(2026, 11, 30), date(2026, 12, 31), [1], time(9), time(18), SEOUL,
                     now=kst(2026, 12, 1, 8))


@pytest.mark.parametrize(("minutes", "krw"), [(1, 3000), (60, 3000), (61, 6000), (150, 9000), (480, 24000),
                                              (5 * 24 * 60, 360_000)])
def test_cost_rounds_each_started_hour_up(minutes, krw):
    start = kst(2026, 12, 1, 18)
    assert estimate_krw(DAYCARE, [CareWindow(start, start + timedelta(minutes=minutes))]) == krw


def brute_force_days(start: datetime, end: datetime, tz: ZoneInfo) -> int:
    """Enumerate instants of [start, end) 30 minutes apart (and its last microsecond): every local
    date lasts at least 23 hours, so none is missed; count the distinct local dates."""
    seen = set()
    t = start
    while t < end:
        seen.add(t.astimezone(tz).date())
        t += timedelta(minutes=30)
    seen.add((end - timedelta(microseconds=1)).astimezone(tz).date())
    return len(seen)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)),
       minutes=st.integers(min_value=1, max_value=9 * 24 * 60),
       tz=st.sampled_from([SEOUL, NEW_YORK, UTC]), end_at_midnight=st.booleans())
def test_day_count_equals_brute_force(start, minutes, tz, end_at_midnight):
    start_utc = start.replace(second=0, microsecond=0, tzinfo=UTC)  # an instant; tz only decides the dates
    end_utc = start_utc + timedelta(minutes=minutes)
    if end_at_midnight:  # the next local midnight: the edge of the half-open count
        next_day = end_utc.astimezone(tz).date() + timedelta(days=1)
        end_utc = datetime.combine(next_day, time(0), tz).astimezone(UTC)
    days = brute_force_days(start_utc, end_utc, tz)
    assert consecutive_days(start_utc, end_utc, tz) == days
    if tz is SEOUL:
        if start_utc.minute % 15 or end_utc.minute % 15:  # off the window step (Seoul: whole-hour offset)
            with pytest.raises(WindowError, match="not on the 15-minute step"):
                check_window(DAYCARE, start_utc, end_utc, SEOUL)
        elif days <= 5:
            check_window(DAYCARE, start_utc, end_utc, SEOUL)
        else:
            with pytest.raises(WindowError, match="at most 5 consecutive days"):
                check_window(DAYCARE, start_utc, end_utc, SEOUL)
