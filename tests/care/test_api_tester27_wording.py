"""Tester 27's finding 10: the API's refusals say what was sent. ``repeat.weekdays`` given as a
string ("mon", a right name in the wrong shape) is refused as not a list (``not_a_list``, with
the allowed names), a pattern with no date on its weekdays names them as the API does ("wed",
never the ISO number 3), and a care request whose ``point`` (the home) lies outside the
programme's area names the field sent (``point``) and the place by name, never a 시군구 code."""

from __future__ import annotations

from datetime import timedelta

from app.care.windows import WEEKDAY_NAMES
from app.i18n import catalogue
from tests.care.test_api_bookings import CENTRE, guardian, staff
from tests.care.test_api_requests import next_weekday
from tests.care.test_weekly_bookings import PUPIL_BORN, first_day, published, weekly_body
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

BUSAN_SAHA = {"lat": 35.1046, "lon": 128.9747}  # 부산광역시 사하구청


def _error(r, status: int = 400) -> dict:
    assert r.status_code == status, r.json
    return r.json["error"]


def test_weekdays_as_a_string_is_refused_as_not_a_list(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        error = _error(father.send("POST", path, weekly_body(child_id, weekdays="mon")))
        assert (error["field"], error["reason"]) == ("repeat.weekdays", "not_a_list"), error
        assert error["allowed"] == list(WEEKDAY_NAMES), error
        assert "must be a list" in error["message"] and "not the string 'mon'" in error["message"], error
    for lang in ("ko", "en"):  # the pages say it in their language
        assert "errcode_invalid_parameter_not_a_list" in catalogue(lang)
    error = _error(father.send("POST", "/api/v1/bookings/quote", weekly_body(child_id, weekdays=["mon", "noday"])))
    assert (error["reason"], error["allowed"]) == ("unknown_value", list(WEEKDAY_NAMES)), error  # a wrong name


def test_a_pattern_with_no_date_on_its_weekdays_names_them(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    published(staff(app, "cc@example.kr", CENTRE), 2)
    day = first_day()
    other = WEEKDAY_NAMES[(day.weekday() + 3) % 7]  # not on the first two days
    error = _error(father.send("POST", "/api/v1/bookings/quote", weekly_body(
        child_id, weekdays=[other], until=(day + timedelta(days=1)).isoformat())))
    assert error["reason"] == "no_date_on_weekdays", error
    assert error["message"].endswith(f"falls on {other}"), error
    assert error["weekdays"] == [other], error


def test_a_request_home_outside_the_area_names_the_point_and_the_place(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    error = _error(mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": next_weekday(15),
        "end": next_weekday(18), "place": "home", "point": BUSAN_SAHA}))
    assert (error["code"], error["field"], error["reason"]) == ("not_eligible", "point", "home_outside_area"), error
    assert error["place_name"] == "부산광역시 사하구", error
    assert "the point (the home) is in 부산광역시 사하구" in error["message"], error
    assert "26380" not in error["message"] and "경기도" in error["message"], error
