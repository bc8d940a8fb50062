"""The API's refusals of tester pass 25 (findings 8 and 11): a list filter with a closed set of
values refuses any other value naming the field and the allowed values; a body that is not a
JSON object is said to be so before any field is asked for; errors name the request's own
fields; times given back lie on the window step without microseconds; control characters in a
date-time are refused; out-of-range dates name the allowed range; a 404 clips the echoed id."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.care.states import BOOKING, CARE_REQUEST
from tests.care.test_api_bookings import DAYCARE, guardian, staff
from tests.care.test_api_requests import HOME, admin, next_weekday
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)


def test_a_status_filter_outside_the_states_is_a_400_naming_them(app):  # noqa: F811
    mother, _ = guardian(app, "mother@example.kr")
    desk = staff(app, "desk@example.kr", DAYCARE)
    ops = admin(app)
    for person, path, states in ((mother, "/api/v1/bookings?status=bogus", BOOKING.states),
                                 (desk, "/api/v1/bookings?status=bogus", BOOKING.states),
                                 (mother, "/api/v1/care-requests?status=weird", CARE_REQUEST.states),
                                 (ops, "/api/v1/care-requests?status=weird", CARE_REQUEST.states)):
        refused = person.get(path)
        assert refused.status_code == 400, (path, refused.json)
        error = refused.json["error"]
        assert (error["code"], error["field"], error["reason"]) == ("invalid_parameter", "status", "unknown_value")
        assert all(s in error["message"] for s in states), error["message"]
    for path in ("/api/v1/consents?lang=fr", "/api/v1/me/access-log?lang=fr"):  # the other closed set
        refused = mother.get(path)
        assert refused.status_code == 400, (path, refused.json)
        assert (refused.json["error"]["field"], refused.json["error"]["reason"]) == ("lang", "unknown_value")
        assert "ko, en" in refused.json["error"]["message"] or "en, ko" in refused.json["error"]["message"]
    # the real values still filter
    assert mother.get("/api/v1/consents?lang=en").status_code == 200
    assert mother.get("/api/v1/bookings?status=accepted").status_code == 200
    assert mother.get("/api/v1/care-requests?status=requested").status_code == 200
    spec = app.test_client().get("/api/v1/openapi.json").json
    listed = {p["name"]: p for p in spec["paths"]["/api/v1/bookings"]["get"]["parameters"]}
    assert listed["status"]["schema"]["enum"] == list(BOOKING.states)


NOT_AN_OBJECT = "the body must be a JSON object (Content-Type: application/json)"


def test_a_body_that_is_not_a_json_object_is_said_to_be_so_before_any_field(app):  # noqa: F811
    mother, _ = guardian(app, "mother@example.kr")
    headers = {"X-CSRFToken": mother.token}
    answers = [
        mother.client.post("/api/v1/bookings", data={"child_id": "x"}, headers=headers),  # a form
        mother.client.post("/api/v1/bookings", headers=headers),  # nothing (requests' json=None)
        mother.client.post("/api/v1/bookings", data="null", content_type="application/json", headers=headers),
        mother.client.post("/api/v1/bookings", data="[1]", content_type="application/json", headers=headers),
        mother.client.post("/api/v1/care-requests", data="child_id=x", headers={
            **headers, "Content-Type": "application/x-www-form-urlencoded"}),
        mother.client.post("/api/v1/children", headers=headers),
    ]
    for r in answers:
        assert r.status_code == 400, r.json
        error = r.json["error"]
        assert (error["field"], error["reason"]) == ("body", "not_json"), error
        assert error["message"].startswith(NOT_AN_OBJECT), error["message"]
        assert "required" not in error["message"]
    # an action's empty body is still "no reason" (cancel without one)
    assert mother.client.post("/api/v1/bookings/nope/cancel", headers=headers).status_code == 404


@pytest.mark.parametrize(("body", "kind"), [('"{bad json"', "a string"), ("3", "a number"), ("2.5", "a number"),
                                            ("true", "true or false"), ("[]", "a list"), ("null", "null")])
def test_a_body_that_is_another_json_value_is_named_in_json_s_words(app, body, kind):  # noqa: F811
    """Tester pass 28: a JSON string sent as the body was refused as "not a str" (Python's name)."""
    mother, _ = guardian(app, "mother@example.kr")
    r = mother.client.post("/api/v1/bookings", data=body, content_type="application/json",
                           headers={"X-CSRFToken": mother.token})
    assert r.status_code == 400
    assert r.json["error"]["message"] == f"{NOT_AN_OBJECT}, not {kind}", r.json


def test_a_request_error_names_the_field_place(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    r = father.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "home_visit_emergency", "start": next_weekday(15),
        "end": next_weekday(18), "place": "work", "point": HOME, "home": HOME})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == "place", r.json


def _request(person, child_id: str, start: str, end: str):
    return person.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": start, "end": end, "place": "home",
        "point": HOME})


def test_latest_start_lies_on_the_window_step_without_seconds(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    a_month_on = datetime.fromisoformat(next_weekday(15)) + timedelta(days=28)
    r = _request(father, child_id, a_month_on.isoformat(), (a_month_on + timedelta(hours=3)).isoformat())
    assert r.status_code == 400 and r.json["error"]["reason"] == "too_far_ahead", r.json
    given = r.json["error"]["latest_start"]
    latest = datetime.fromisoformat(given)
    assert (latest.second, latest.microsecond, latest.minute % 15) == (0, 0, 0), given
    assert "." not in given and given.endswith("+09:00"), given


@pytest.mark.parametrize("bad", ["\x00", "\n", "\u200b", "\x07"])
def test_a_date_time_with_a_control_character_is_refused_naming_the_field(app, bad):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    r = _request(father, child_id, next_weekday(15) + bad.encode().decode("unicode_escape"), next_weekday(18))
    assert r.status_code == 400, r.json
    assert (r.json["error"]["field"], r.json["error"]["reason"]) == ("start", "control_character"), r.json


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:45"])
def test_an_out_of_range_date_time_names_the_range(app, when):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    r = _request(father, child_id, when, next_weekday(18))
    assert r.status_code == 400, r.json
    error = r.json["error"]
    assert (error["field"], error["reason"]) == ("start", "time_out_of_range"), error
    assert "not a date-time" not in error["message"] and "from now" in error["message"], error["message"]
    assert error["latest"].endswith("-12-31")
    earliest = datetime.fromisoformat(error["earliest"])
    assert (earliest.second, earliest.microsecond, earliest.minute % 15) == (0, 0, 0), earliest


def test_a_404_clips_the_echoed_id(app):  # noqa: F811
    mother, _ = guardian(app, "mother@example.kr")
    long_id = "a" * 5000
    for path in (f"/api/v1/bookings/{long_id}", f"/api/v1/care-requests/{long_id}", f"/api/v1/children/{long_id}"):
        r = mother.get(path)
        assert r.status_code == 404, r.json
        message = r.json["error"]["message"]
        assert len(message) < 200 and "a" * 40 + "…" in message, message
