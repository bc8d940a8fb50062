"""Tester 29, finding 4: a booking dated 2099 was refused for the child's age on that date ("916
months old"); a date past the booking horizon (``booking_max_days_ahead`` in booking_rules.json)
is refused as too far ahead, naming the last day, before any other check."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.rules import booking_max_days_ahead
from tests.care.test_api_bookings import CENTRE, guardian
from tests.care.test_weekly_bookings import PUPIL_BORN
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")


def test_a_far_date_is_refused_as_too_far_ahead_naming_the_last_day(app, clock):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    first_past = clock().astimezone(SEOUL).date() + timedelta(days=booking_max_days_ahead() + 1)
    for day in ("2099-01-01", first_past.isoformat()):
        for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
            r = mother.send("POST", path, {"child_id": child_id, "facility_id": CENTRE,
                                           "programme": "elementary_emergency", "start": f"{day}T19:00",
                                           "end": f"{day}T21:00"})
            assert r.status_code == 400, (path, r.json)
            error = r.json["error"]
            assert (error["field"], error["reason"]) == ("start", "booking_too_far_ahead"), error
            assert error["max_days_ahead"] == booking_max_days_ahead() == 92, error
            assert "months old" not in error["message"] and error["last_day"] in error["message"], error


def test_the_horizon_bounds_a_weekly_patterns_first_date_not_its_last():
    from datetime import date, datetime, time

    from app.care.rules import booking_rule
    from app.care.windows import WindowError, check_weekly

    rule, now = booking_rule("elementary_emergency"), datetime(2026, 12, 1, 9, 0, tzinfo=SEOUL)
    first = date(2026, 12, 1) + timedelta(days=booking_max_days_ahead())  # the last day a booking may start
    windows = check_weekly(rule, first, first + timedelta(days=84), [first.isoweekday()], time(15), time(17),
                           SEOUL, now=now)
    assert len(windows) == 13 and windows[-1].start.date() > first  # runs past the horizon: fine
    later = first + timedelta(days=1)
    with pytest.raises(WindowError) as refused:  # one starting a day past it is refused
        check_weekly(rule, later, later + timedelta(days=7), [later.isoweekday()], time(15), time(17), SEOUL, now=now)
    assert refused.value.reason == "booking_too_far_ahead"
