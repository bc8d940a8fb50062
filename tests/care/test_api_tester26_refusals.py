"""The API's refusals of tester pass 26 (finding 10): a required field of a closed set names its
values; errors name the request's own fields (``repeat.until``, ``start``,
``emergency_contact.phone``), never internal ones; a suggested start lies on the window step;
a booking's ``allowed_actions`` and a 409's agree, and a child checked in early can be checked
out; a 403 on another provider's places names the provider and who may; the export's
``last_active_at`` is never a coming or lapsed window; a repeated consent withdrawal says so."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.api import care_bookings
from app.care.rules import booking_rule, check_out_delay
from app.care.windows import WindowError, check_window
from tests.care.test_api_bookings import CENTRE, DAYCARE, SEOUL, book, guardian, publish, staff, tomorrow
from tests.care.test_api_requests import HOME, next_weekday
from tests.care.test_weekly_bookings import PUPIL_BORN, weekly_body
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)


def _error(r, status: int = 400) -> dict:
    assert r.status_code == status, r.json
    return r.json["error"]


def test_a_missing_field_of_a_closed_set_names_its_values(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    window = {"start": tomorrow(19), "end": tomorrow(21)}
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        error = _error(mother.send("POST", path, {"child_id": child_id, "facility_id": DAYCARE, **window}))
        assert (error["field"], error["reason"]) == ("programme", "missing"), error
        assert error["allowed"] == ["always_daycare", "elementary_emergency"], error
        assert "always_daycare, elementary_emergency" in error["message"], error


def test_a_missing_consent_version_names_the_current_one(app):  # noqa: F811
    mother, _ = guardian(app, "mother@example.kr")
    error = _error(mother.send("POST", "/api/v1/consents", {"purpose": "care_notes"}))
    version = next(t["version"] for t in mother.get("/api/v1/consents").json["texts"] if t["purpose"] == "care_notes")
    assert (error["field"], error["reason"], error["allowed"]) == ("version", "missing", [version]), error
    assert version in error["message"]
    error = _error(mother.send("POST", "/api/v1/consents", {"version": version}))
    assert error["field"] == "purpose" and "care_notes" in error["allowed"], error


def test_missing_request_and_child_fields_name_their_values(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    error = _error(mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "start": next_weekday(15), "end": next_weekday(18), "place": "home", "point": HOME}))
    assert error["field"] == "programme" and "home_visit_emergency" in error["allowed"], error
    error = _error(mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "always_daycare", "start": next_weekday(15), "end": next_weekday(18),
        "point": HOME}))
    assert (error["field"], error["allowed"]) == ("place", ["home", "work"]), error
    error = _error(mother.send("POST", "/api/v1/children", {
        "given_name": "서아", "family_name": "이", "birth_date": "2022-02-02",
        "emergency_contact_name": "이준호", "emergency_contact_phone": "010-2345-6789"}))
    assert error["field"] == "relation" and "mother" in error["allowed"], error
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    error = _error(desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots", {"derive": {"days": 1}}))
    assert error["field"] == "programme" and error["allowed"], error
    error = _error(desk.send("PUT", f"/api/v1/providers/{DAYCARE}/booking-settings", {}))
    assert error["field"] != "auto_confirm" or error.get("allowed") == ["true", "false"], error


def test_errors_name_the_apis_fields(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    body = weekly_body(child_id)
    first = datetime.fromisoformat(body["start"]).date()
    body["repeat"]["until"] = (first - timedelta(days=3)).isoformat()
    error = _error(father.send("POST", "/api/v1/bookings/quote", body))
    assert error["field"] == "repeat.until", error
    assert "last_date" not in error["message"] and "first_date" not in error["message"], error
    assert "repeat.until" in error["message"] and "start" in error["message"], error


def test_a_nested_contact_is_named_as_sent(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    r = father.send("PATCH", f"/api/v1/children/{child_id}", {"emergency_contact": {"phone": "abc"}})
    error = _error(r)
    assert error["field"] == "emergency_contact.phone", error
    assert "emergency_contact_phone" not in error["message"], error
    r = father.send("PATCH", f"/api/v1/children/{child_id}", {"emergency_contact_phone": "abc"})
    assert _error(r)["field"] == "emergency_contact_phone"  # sent flat: named flat


def test_a_suggested_earliest_start_lies_on_the_step_and_is_accepted():
    rule = booking_rule("elementary_emergency")
    now = datetime(2026, 12, 3, 19, 18, 30, tzinfo=SEOUL)
    try:
        check_window(rule, datetime(2026, 12, 3, 19, 0, tzinfo=SEOUL), datetime(2026, 12, 3, 21, 0, tzinfo=SEOUL),
                     SEOUL, now=now)
    except WindowError as exc:
        suggested = exc.extra["earliest_start"]
    else:
        raise AssertionError("a past start was accepted")
    assert suggested == "2026-12-03T19:30+09:00", suggested
    earliest = datetime.fromisoformat(str(suggested))
    check_window(rule, earliest, datetime(2026, 12, 3, 21, 0, tzinfo=SEOUL), SEOUL, now=now)  # itself accepted


def test_a_child_checked_in_early_is_checked_out_and_the_actions_agree(app, monkeypatch):  # noqa: F811
    assert check_out_delay() is None  # the rule is data: any time once checked in
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    made = book(mother, child_id)  # tomorrow 19:00-23:00, confirmed at once
    assert made.status_code == 201, made.json
    path = f"/api/v1/bookings/{made.json['id']}"
    starts = datetime.fromisoformat(tomorrow(19))
    monkeypatch.setattr(care_bookings, "_now", lambda: starts - timedelta(minutes=40))
    assert desk.send("POST", f"{path}/check_in", {}).status_code == 200
    listed = desk.get(path).json["allowed_actions"]
    refused = _error(desk.send("POST", f"{path}/cancel", {"reason": "x"}), 409)
    assert refused["allowed_actions"] == listed == ["check_out"], (refused, listed)
    done = desk.send("POST", f"{path}/check_out", {})
    assert (done.status_code, done.json["status"]) == (200, "completed"), done.json


def test_the_agreement_holds_where_the_time_rules_out_an_action(app, monkeypatch):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    made = book(mother, child_id)
    path = f"/api/v1/bookings/{made.json['id']}"
    starts = datetime.fromisoformat(tomorrow(19))
    monkeypatch.setattr(care_bookings, "_now", lambda: starts - timedelta(hours=5))  # before check-in opens
    listed = desk.get(path).json["allowed_actions"]
    assert "check_in" not in listed and "mark_no_show" not in listed, listed
    refused = _error(desk.send("POST", f"{path}/check_out", {}), 409)  # accepted: check_out is no action of it
    assert refused["allowed_actions"] == listed, (refused, listed)


def test_a_403_on_another_providers_places_names_it_and_who_may(app):  # noqa: F811
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    error = _error(desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                             {"programme": "elementary_emergency", "derive": {"days": 1}}), 403)
    assert CENTRE in error["message"] and DAYCARE in error["message"], error
    assert (error["field"], error["reason"]) == ("facility_id", "other_provider"), error
    mother, _ = guardian(app, "mother@example.kr")
    error = _error(mother.get(f"/api/v1/providers/{CENTRE}/slots?programme=elementary_emergency"), 403)
    assert CENTRE in error["message"] and "its own staff" in error["message"], error
    assert error["reason"] == "staff_only", error


def test_the_exports_last_activity_is_never_a_lapsed_or_coming_window(app, monkeypatch):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "desk@centre.kr", CENTRE)
    publish(desk, CENTRE, "elementary_emergency")
    made = book(mother, child_id, CENTRE, "elementary_emergency", start=19, end=21)
    assert made.status_code == 201, made.json
    before = datetime.now(SEOUL)
    exported = mother.get("/api/v1/me/export").json
    last = datetime.fromisoformat(exported["activity"]["last_active_at"])
    assert last <= datetime.now(SEOUL) + timedelta(seconds=1), last  # never the coming window's end
    assert last >= before - timedelta(minutes=1), last


def test_a_repeated_withdrawal_says_it_was_already_withdrawn(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    assert book(mother, child_id).status_code == 201
    first = mother.send("DELETE", "/api/v1/consents/share_with_provider")
    assert first.status_code == 200 and first.json["withdrawn"] == 1, first.json
    assert first.json["already_withdrawn"] is False and len(first.json["affected_bookings"]) == 1, first.json
    again = mother.send("DELETE", "/api/v1/consents/share_with_provider")
    assert again.status_code == 200, again.json
    assert (again.json["withdrawn"], again.json["already_withdrawn"], again.json["affected_bookings"]) == (
        0, True, []), again.json
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert "already_withdrawn" in spec["components"]["schemas"]["Withdrawn"]["required"]
