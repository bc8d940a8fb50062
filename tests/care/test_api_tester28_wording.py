"""Tester 28, section 7 "API error wording": a care request with ``"place": "moon"`` got "point
is required" — a value outside a closed set is named, with the allowed values, before any field
that depends on it is asked for; and a booking (and its quote) whose ``home`` lies outside the
programme's area said "the home is in 26380" — it names the place, as care requests do."""

from __future__ import annotations

from tests.care.test_api_bookings import CENTRE, guardian, staff
from tests.care.test_api_requests import next_weekday
from tests.care.test_api_tester27_wording import BUSAN_SAHA
from tests.care.test_weekly_bookings import PUPIL_BORN, published
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)


def test_an_unknown_place_is_named_with_its_values_before_the_point(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    r = mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": next_weekday(15),
        "end": next_weekday(18), "place": "moon"})  # no point: it depends on the place
    assert r.status_code == 400, r.json
    error = r.json["error"]
    assert (error["field"], error["reason"], error["allowed"]) == ("place", "unknown_value", ["home", "work"]), error
    assert "place must be one of home, work, not 'moon'" in error["message"], error
    r = mother.send("POST", "/api/v1/care-requests", {  # an unknown programme too, before what is missing
        "child_id": child_id, "programme": "sky_care", "place": "home"})
    assert (r.json["error"]["field"], r.json["error"]["reason"]) == ("programme", "unknown_value"), r.json


def test_a_booking_home_outside_the_area_names_the_place(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    published(staff(app, "cc@example.kr", CENTRE), 2)
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        r = mother.send("POST", path, {
            "child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
            "start": next_weekday(18), "end": next_weekday(19), "home": BUSAN_SAHA})
        assert r.status_code == 400, (path, r.json)
        error = r.json["error"]
        assert (error["code"], error["field"], error["reason"]) == ("not_eligible", "home", "home_outside_area"), error
        assert error["place_name"] == "부산광역시 사하구", error
        assert "the home is in 부산광역시 사하구" in error["message"], error
        assert "26380" not in error["message"], error
