"""How far ahead staff open places (tester 29, finding 3), over the real API on SQLite and
PostgreSQL: ``derive.days`` reaches as far as the longest weekly pattern may run
(``weekly_max_weeks`` x 7 in ``booking_rules.json``), never further (a 400 naming the range), and
says the period's last date (``last_day``); once places are open that far, a weekly pattern of
more than 62 days (the old cap) books.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.care.windows import WEEKDAY_NAMES
from app.reference import document
from tests.care.test_api_bookings import CENTRE, SEOUL, guardian, staff
from tests.care.test_weekly_bookings import PUPIL_BORN, centre_slots, first_day
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)

PROGRAMME = "elementary_emergency"
PATTERN_DAYS = document("booking_rules.json")["programmes"][PROGRAMME]["weekly_max_weeks"] * 7  # 91


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url)


def derive(desk, days: int):
    return desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                     {"programme": PROGRAMME, "derive": {"days": days, "places": 2}})


def test_places_open_as_far_as_a_weekly_pattern_runs_and_no_further(db_app):
    desk = staff(db_app, "cc@example.kr", CENTRE)
    today = datetime.now(SEOUL).date()
    too_far = derive(desk, PATTERN_DAYS + 1)
    assert too_far.status_code == 400, too_far.json
    error = too_far.json["error"]
    assert (error["field"], error["minimum"], error["maximum"]) == ("days", 1, PATTERN_DAYS)
    assert f"from 1 to {PATTERN_DAYS}" in error["message"]
    assert centre_slots(desk) == []  # nothing opened
    opened = derive(desk, PATTERN_DAYS)
    assert opened.status_code == 200, opened.json
    assert opened.json["added"] > 0
    assert opened.json["last_day"] == (today + timedelta(days=PATTERN_DAYS - 1)).isoformat()
    last = max(datetime.fromisoformat(s["start"]).astimezone(SEOUL).date() for s in centre_slots(desk))
    assert last > today + timedelta(days=62)  # past the old two months


def _open_weekday(slots: list[dict], first: date, weeks: int) -> date:
    """The first day (of the 7 from ``first``) whose weekday has a 15:00-17:00 place open on
    every date of ``weeks`` weeks (a public holiday closes the centre)."""
    starts = {datetime.fromisoformat(s["start"]).astimezone(SEOUL).replace(tzinfo=None) for s in slots}
    for offset in range(7):
        day = first + timedelta(days=offset)
        dates = [day + timedelta(days=7 * n) for n in range(weeks + 1)]
        if all(datetime(d.year, d.month, d.day, h) in starts for d in dates for h in (15, 16)):
            return day
    raise AssertionError("no weekday with places on every date")


def test_a_weekly_pattern_longer_than_two_months_books_once_places_are_open_that_far(db_app):
    father, child_id = guardian(db_app, "father@example.kr", birth_date=PUPIL_BORN)
    desk = staff(db_app, "cc@example.kr", CENTRE)
    assert derive(desk, PATTERN_DAYS).status_code == 200
    weeks = 11  # 12 dates over 78 days: more than 62 days, the most days places could be opened before
    day = _open_weekday(centre_slots(desk), first_day(), weeks)
    until = day + timedelta(days=7 * weeks)
    body = {"child_id": child_id, "facility_id": CENTRE, "programme": PROGRAMME,
            "start": f"{day.isoformat()}T15:00", "end": f"{day.isoformat()}T17:00",
            "repeat": {"weekdays": [WEEKDAY_NAMES[day.weekday()]], "until": until.isoformat()}}
    made = father.send("POST", "/api/v1/bookings", body)
    assert made.status_code == 201, made.json
    assert len(made.json["bookings"]) == weeks + 1


def test_opening_places_says_until_when_they_are_open_overnight_hours_included(db_app):
    """Tester 30, finding 5: opening 14 days at a 언제나 어린이집 open 07:30 to 07:30 the next
    day said "until" its 14th day while the places summary said the 15th (the last hours end that
    morning): both now name the end of the last open hour."""
    from tests.care.test_api_bookings import DAYCARE

    desk = staff(db_app, "dc@example.kr", DAYCARE)
    today = datetime.now(SEOUL).date()
    opened = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                       {"programme": "always_daycare", "derive": {"days": 14, "places": 2}})
    assert opened.status_code == 200, opened.json
    last_day = today + timedelta(days=13)
    assert opened.json["last_day"] == last_day.isoformat()
    next_morning = last_day + timedelta(days=1)
    assert opened.json["open_until"] == f"{next_morning.isoformat()}T07:30:00+09:00"
    # a shorter period opened later leaves the places already open where they were
    again = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                      {"programme": "always_daycare", "derive": {"days": 7}})
    assert again.json["open_until"] == opened.json["open_until"]
    closed = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                       {"programme": "always_daycare", "derive": {"days": 14, "places": 0}})
    assert "open_until" not in closed.json, closed.json  # no place open: no "until"
