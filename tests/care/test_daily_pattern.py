"""The same hours each day at a 언제나 어린이집 (``repeat`` with ``every_day``; the ``daily``
pattern of booking_rules.json): one action books each day's window, all or nothing, its windows
together within the programme's 5 consecutive days (counted as calendar dates across month
ends), a day without a place named and nothing held; two families racing for the last places
get one pattern, never an overbooking. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.bookings import OccurrencesRefused, TooManyConsecutiveDays
from app.care.desk import BookingDesk, Repeat, facility_lookup
from app.care.rules import booking_rule
from app.care.windows import WindowError, check_weekly
from tests.care.racing import at_once
from tests.care.test_children import (  # noqa: F401  (fixtures)
    accounts,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.care.test_desk import BUCHEON_DAYCARE, CENTRE
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

SEOUL = ZoneInfo("Asia/Seoul")
P = "always_daycare"
NOW = datetime(2027, 1, 2, 9, 0, tzinfo=SEOUL)


def kst(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SEOUL)


def evenings(first: date, last: date, places: int, desk: BookingDesk) -> None:
    """One slot a day, 18:00 to 24:00, with ``places`` places."""
    day = first
    while day <= last:
        desk.bookings.publish_slot("D1", P, kst(day, 18), kst(day + timedelta(days=1), 0), places)
        day += timedelta(days=1)


@pytest.fixture
def desk(store):  # noqa: F811
    return BookingDesk(store.booking_store, store, facility_lookup({"D1": BUCHEON_DAYCARE, "C1": CENTRE}), SEOUL,
                       hold_minutes=30)


def book_daily(desk: BookingDesk, family, first: date, until: date, now: datetime = NOW, start: int = 19,
               end: int = 23):
    end_day = first if end > start else first + timedelta(days=1)
    return desk.book_weekly(family.guardian_id, family.child_id, "D1", P, kst(first, start), kst(end_day, end),
                            Repeat.daily(until), now, home_sigungu_code="41111")


@pytest.mark.parametrize(("first", "until", "now"), [
    (date(2027, 1, 30), date(2027, 2, 3), NOW),  # across January's end: 30, 31, 1, 2, 3
    (date(2026, 11, 30), date(2026, 12, 2), datetime(2026, 11, 1, 9, tzinfo=SEOUL)),  # across November's end
], ids=["jan-feb", "nov-dec"])
def test_the_same_hours_each_day_book_one_booking_a_day_across_a_month_end(
        accounts, store, desk, first, until, now):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    evenings(first - timedelta(days=1), until + timedelta(days=1), 2, desk)
    quote = desk.quote_weekly(family.guardian_id, family.child_id, "D1", P, kst(first, 19), kst(first, 23),
                              Repeat.daily(until), now, home_sigungu_code="41111")
    days = (until - first).days + 1
    wanted = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    assert [w.start.date().isoformat() for w in quote.windows] == wanted
    assert quote.estimate_krw == days * 4 * 3000  # 4 hours a day at 3,000 won, every day
    made, _ = book_daily(desk, family, first, until, now)
    assert [b.start.astimezone(SEOUL).date().isoformat() for b in made] == wanted
    assert {b.status for b in made} == {"accepted"}  # real-time: confirmed at once
    assert len({b.pattern_id for b in made}) == 1 and made[0].pattern_id is not None
    held = {s.start.astimezone(SEOUL).date().isoformat(): s.held for s in desk.bookings.slots("D1", P)}
    assert [held[d] for d in wanted] == [1] * days
    assert held[(first - timedelta(days=1)).isoformat()] == 0 and held[(until + timedelta(days=1)).isoformat()] == 0
    assert quote.repeat.as_dict() == {"every_day": True, "until": until.isoformat()}


def test_more_than_five_days_is_refused_naming_the_limit_and_the_last_date_allowed(
        accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    evenings(date(2027, 1, 29), date(2027, 2, 6), 2, desk)
    with pytest.raises(WindowError) as caught:  # 30 Jan to 4 Feb: 6 days
        book_daily(desk, family, date(2027, 1, 30), date(2027, 2, 4))
    exc = caught.value
    assert (exc.field, exc.reason) == ("repeat.until", "daily_too_many_days")
    assert exc.extra == {"max_days": 5, "days": 6, "latest_until": "2027-02-03"}
    assert "at most 5 consecutive days" in str(exc) and "end it by 2027-02-03" in str(exc)
    # overnight 19:00 to 01:00: five evenings touch six dates; four are the most
    with pytest.raises(WindowError, match="touch 6 days") as night:
        book_daily(desk, family, date(2027, 1, 30), date(2027, 2, 3), end=1)
    assert night.value.extra == {"max_days": 5, "days": 6, "latest_until": "2027-02-02"}
    # ending at midnight touches no date more: five evenings 19:00 to 24:00 are five days
    assert len(book_daily(desk, family, date(2027, 1, 30), date(2027, 2, 3), end=0)[0]) == 5
    assert sum(s.held for s in desk.bookings.slots("D1", P)) == 5


def test_a_day_without_a_place_books_no_day_and_is_named(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    other = make_family(accounts, store, "neighbour@example.kr")
    evenings(date(2027, 1, 30), date(2027, 2, 3), 1, desk)
    desk.book(other.guardian_id, other.child_id, "D1", P, kst(date(2027, 2, 1), 20), kst(date(2027, 2, 1), 22), NOW,
              home_sigungu_code="41111")
    for call in (desk.quote_weekly, desk.book_weekly):
        with pytest.raises(OccurrencesRefused) as caught:
            call(family.guardian_id, family.child_id, "D1", P, kst(date(2027, 1, 30), 19),
                 kst(date(2027, 1, 30), 23), Repeat.daily(date(2027, 2, 3)), NOW, home_sigungu_code="41111")
        assert caught.value.extra["refused_dates"] == ["2027-02-01"]
        assert (caught.value.dates[0]["code"], caught.value.dates[0]["reason"]) == ("no_places", "slot_full")
    held = [s.held for s in desk.bookings.slots("D1", P)]
    assert held == [0, 0, 1, 0, 0]  # nothing of the pattern is held, the other family's place kept


def test_a_run_that_chains_with_a_booking_the_day_before_is_refused_by_the_quote_as_by_the_booking(
        accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    evenings(date(2027, 1, 29), date(2027, 2, 3), 2, desk)
    desk.book(family.guardian_id, family.child_id, "D1", P, kst(date(2027, 1, 29), 19), kst(date(2027, 1, 29), 23),
              NOW, home_sigungu_code="41111")
    for call in (desk.quote_weekly, desk.book_weekly):
        with pytest.raises(TooManyConsecutiveDays) as caught:
            call(family.guardian_id, family.child_id, "D1", P, kst(date(2027, 1, 30), 19),
                 kst(date(2027, 1, 30), 23), Repeat.daily(date(2027, 2, 3)), NOW, home_sigungu_code="41111")
        assert caught.value.extra["days"] == 6 and caught.value.extra["first_day"] == "2027-01-29"
    assert sum(s.held for s in desk.bookings.slots("D1", P)) == 1


def test_which_programme_takes_which_pattern_is_the_rules_data(accounts, store, desk):  # noqa: F811
    daycare, centre = booking_rule(P), booking_rule("elementary_emergency")
    assert "daily" in daycare.patterns and "weekly" not in daycare.patterns
    assert "daily" not in centre.patterns and daycare.daily_max_days == daycare.max_consecutive_days == 5
    with pytest.raises(WindowError, match="not as a daily pattern"):
        check_weekly(centre, date(2027, 1, 5), date(2027, 1, 7), [], time(15), time(17), SEOUL,
                     kind="daily")
    family = make_family(accounts, store, "mother@example.kr")
    with pytest.raises(WindowError) as caught:  # a weekly pattern at a 언제나 어린이집: told what it takes
        desk.quote_weekly(family.guardian_id, family.child_id, "D1", P, kst(date(2027, 1, 30), 19),
                          kst(date(2027, 1, 30), 23), Repeat((6,), date(2027, 2, 3)), NOW, home_sigungu_code="41111")
    assert (caught.value.field, caught.value.reason) == ("repeat", "pattern_not_offered")
    assert "it takes repeat with every_day" in str(caught.value)


def test_two_families_racing_for_the_last_places_get_one_pattern_and_no_overbooking(
        accounts, store, desk):  # noqa: F811
    families = [make_family(accounts, store, f"parent{n}@example.kr") for n in range(3)]
    first, until = date(2027, 1, 30), date(2027, 2, 3)
    evenings(first, until, 1, desk)
    outcomes = at_once(*[lambda f=f: book_daily(desk, f, first, until) for f in families])
    won = [o for o in outcomes if isinstance(o, tuple)]
    lost = [o for o in outcomes if not isinstance(o, tuple)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, OccurrencesRefused) and o.extra["refused_dates"] == [
        (first + timedelta(days=n)).isoformat() for n in range(5)] for o in lost), outcomes
    assert [s.held for s in desk.bookings.slots("D1", P)] == [1] * 5
    assert [s.places for s in desk.bookings.slots("D1", P)] == [1] * 5
