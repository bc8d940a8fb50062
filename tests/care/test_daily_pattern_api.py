"""``repeat: {"every_day": true, "until": …}`` on POST /api/v1/bookings and its quote: the same
hours each day at a 언제나 어린이집, all or nothing, within its 5 consecutive days; refusals name
the field, the limit and the day without a place."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.care.test_api_bookings import CENTRE, DAYCARE, SEOUL, guardian, staff
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)


def first_day() -> date:
    return datetime.now(SEOUL).date() + timedelta(days=1)


def daily_body(child_id: str, days: int = 3, start: int = 19, end: int = 23, **repeat: Any) -> dict[str, Any]:
    day = first_day()
    return {"child_id": child_id, "facility_id": DAYCARE, "programme": "always_daycare",
            "start": f"{day.isoformat()}T{start:02d}:00", "end": f"{day.isoformat()}T{end:02d}:00",
            "repeat": {"every_day": True, "until": (day + timedelta(days=days - 1)).isoformat(), **repeat}}


def slots(desk) -> list[dict[str, Any]]:
    return desk.get(f"/api/v1/providers/{DAYCARE}/slots?programme=always_daycare").json["slots"]


def published(desk, places: int) -> None:
    r = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                  {"programme": "always_daycare", "derive": {"days": 9, "places": places}})
    assert r.status_code == 200 and r.json["added"] > 0, r.json


def test_the_same_hours_each_day_are_quoted_and_booked_one_booking_a_day(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    published(desk, 2)
    body = daily_body(child_id)
    quote = mother.send("POST", "/api/v1/bookings/quote", body)
    assert quote.status_code == 200, quote.json
    days = [(first_day() + timedelta(days=n)).isoformat() for n in range(3)]
    assert [o["start"][:16] for o in quote.json["occurrences"]] == [f"{d}T19:00" for d in days]
    assert quote.json["estimate_krw"] == 3 * 4 * 3000 and quote.json["repeat"] == body["repeat"]
    made = mother.send("POST", "/api/v1/bookings", body)
    assert made.status_code == 201, made.json
    assert made.json["repeat"] == body["repeat"] and made.json["estimate_krw"] == 36_000
    bookings = made.json["bookings"]
    assert len(bookings) == 3 and {b["status"] for b in bookings} == {"accepted"}
    assert len({b["pattern_id"] for b in bookings}) == 1
    windows = [(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in bookings]
    for s in slots(desk):  # each evening holds one place in each slot it overlaps, as a single booking does
        start, end = datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])
        assert s["held"] == sum(ws < end and we > start for ws, we in windows), s


def test_more_than_five_days_is_a_400_naming_the_limit(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        r = mother.send("POST", path, daily_body(child_id, days=6))
        assert r.status_code == 400, r.json
        error = r.json["error"]
        assert (error["field"], error["reason"], error["max_days"], error["days"]) == (
            "repeat.until", "daily_too_many_days", 5, 6)
        assert error["latest_until"] == (first_day() + timedelta(days=4)).isoformat()
        assert "at most 5 consecutive days" in error["message"]


def test_a_day_without_a_place_books_none_and_is_named(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    other, other_child = guardian(app, "other@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    published(desk, 1)
    second = (first_day() + timedelta(days=1)).isoformat()
    taken = other.send("POST", "/api/v1/bookings", {"child_id": other_child, "facility_id": DAYCARE,
                                                    "programme": "always_daycare", "start": f"{second}T20:00",
                                                    "end": f"{second}T21:00"})
    assert taken.status_code == 201, taken.json
    before = [s["held"] for s in slots(desk)]
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        refused = mother.send("POST", path, daily_body(child_id))
        assert refused.status_code == 409, refused.json
        error = refused.json["error"]
        assert (error["code"], error["refused_dates"]) == ("occurrences_refused", [second])
        assert second in error["message"]
    assert mother.get("/api/v1/bookings").json["bookings"] == []
    assert [s["held"] for s in slots(desk)] == before


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"repeat": {"every_day": False, "until": "2030-01-01"}}, "repeat.every_day", "not_true"),
    ({"repeat": {"every_day": True, "weekdays": ["mon"], "until": "2030-01-01"}}, "repeat.every_day",
     "weekdays_and_every_day"),
    ({"repeat": {"every_day": True}}, "repeat.until", "missing"),
    ({"programme": "elementary_emergency", "facility_id": CENTRE}, "repeat", "pattern_not_offered"),
])
def test_a_wrong_daily_pattern_is_a_400_naming_the_field(app, change, field, reason):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    body = {**daily_body(child_id), **change}
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        r = mother.send("POST", path, body)
        assert r.status_code == 400, r.json
        assert (r.json["error"]["field"], r.json["error"]["reason"]) == (field, reason), r.json
