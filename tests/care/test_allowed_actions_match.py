"""A booking's ``allowed_actions`` are worked out for the account asking, by the permission check
the action itself makes (tester pass 28, section 7 "Admin cancel": an admin saw ``cancel`` on
GET /api/v1/bookings/<id>, and POST …/cancel answered 403, as roles.json gave admins no
``bookings.cancel`` while booking_rules.json says staff and admins cancel at any time before
check-in). Over every role × every action, on a booking in a state the lifecycle takes it from:
the action is listed ⇔ taking it succeeds; a listed action is never a 403, and one not listed
is a 403 or a 409 (a 409 only for what the time forbids now), never done."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.care.windows import next_on_step
from tests.care.test_api_bookings import CENTRE, DAYCARE, guardian, staff
from tests.care.test_api_requests import SEOUL, admin, next_weekday
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

ACTIONS = ("confirm", "decline", "cancel", "check_in", "check_out", "mark_no_show")
SOURCE = {"confirm": "requested", "decline": "requested", "cancel": "requested", "check_in": "accepted",
          "mark_no_show": "accepted", "check_out": "in-progress"}
"""The state each action is tried from (one the lifecycle takes it from)."""


def test_allowed_actions_are_what_each_role_may_do(app):  # noqa: F811
    mother, older = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    younger = mother.send("POST", "/api/v1/children", {
        "given_name": "서윤", "family_name": "이", "birth_date": "2023-01-01", "relation": "mother",
        "emergency_contact_name": "이준호", "emergency_contact_phone": "010-2345-6789"}).json["id"]
    desk = staff(app, "desk@centre.kr", CENTRE)
    daycare_desk = staff(app, "desk@daycare.kr", DAYCARE)
    ops = admin(app)
    assert desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                     {"programme": "elementary_emergency", "derive": {"days": 7, "places": 3}}).status_code == 200
    yesterday = (datetime.now(SEOUL) - timedelta(days=1)).date().isoformat()  # its hours run past midnight
    assert daycare_desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots", {"programme": "always_daycare", "derive": {
        "first_day": yesterday, "days": 3, "places": 3}}).status_code == 200
    soon = next_on_step(datetime.now(SEOUL) + timedelta(minutes=1), SEOUL)  # check-in open, no-show not yet

    def booking_in(state: str) -> dict[str, Any]:
        if state == "requested":
            r = mother.send("POST", "/api/v1/bookings", {
                "child_id": older, "facility_id": CENTRE, "programme": "elementary_emergency",
                "start": next_weekday(18), "end": next_weekday(19)})
        else:
            r = mother.send("POST", "/api/v1/bookings", {
                "child_id": younger, "facility_id": DAYCARE, "programme": "always_daycare",
                "start": soon.isoformat(), "end": (soon + timedelta(minutes=30)).isoformat()})
        assert r.status_code == 201, r.json
        if state == "in-progress":
            r = daycare_desk.send("POST", f"/api/v1/bookings/{r.json['id']}/check_in", {})
            assert r.status_code == 200, r.json
        assert r.json["status"] == state
        return r.json

    def clear(b: dict[str, Any]) -> None:  # the child free for the next booking
        owner = desk if b["facility_id"] == CENTRE else daycare_desk
        status = owner.get(f"/api/v1/bookings/{b['id']}").json["status"]
        action = {"requested": "cancel", "accepted": "cancel", "in-progress": "check_out"}.get(status)
        if action:
            r = owner.send("POST", f"/api/v1/bookings/{b['id']}/{action}", {"reason": "test over"})
            assert r.status_code == 200, r.json

    seen: dict[tuple[str, str], tuple[bool, int]] = {}
    for role, person in (("guardian", mother), ("provider_staff", None), ("admin", ops)):
        for action in ACTIONS:
            b = booking_in(SOURCE[action])
            who = person or (desk if b["facility_id"] == CENTRE else daycare_desk)
            listed = action in who.get(f"/api/v1/bookings/{b['id']}").json["allowed_actions"]
            done = who.send("POST", f"/api/v1/bookings/{b['id']}/{action}", {"reason": "as the rules allow"})
            seen[role, action] = (listed, done.status_code)
            assert done.status_code in (200, 403, 409), (role, action, done.json)
            assert listed == (done.status_code == 200), (role, action, listed, done.json)
            clear(b)
    # What the rules say each may do (booking_rules.json, app/care/states.py): the family cancels;
    # staff answer, cancel and record the care; admins cancel at any time before check-in.
    assert {k for k, (listed, _) in seen.items() if listed} == {
        ("guardian", "cancel"), ("provider_staff", "confirm"), ("provider_staff", "decline"),
        ("provider_staff", "cancel"), ("provider_staff", "check_in"), ("provider_staff", "check_out"),
        ("admin", "cancel")}
    assert seen["provider_staff", "mark_no_show"] == (False, 409)  # before the start: the time, not the role
    assert seen["admin", "confirm"][1] == 403 and seen["guardian", "check_in"][1] == 403


def test_an_offers_actions_are_listed_only_to_who_may_answer_it(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    desk = staff(app, "desk@centre.kr", CENTRE)
    ops = admin(app)
    r = mother.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": next_weekday(18),
        "end": next_weekday(20), "place": "home", "point": {"lat": 37.2636, "lon": 127.0286}})
    assert r.status_code == 201, r.json
    offer = desk.get("/api/v1/offers").json["offers"][0]
    for who, person, may in (("admin", ops, False), ("staff", desk, True)):
        listed = person.get(f"/api/v1/offers?facility_id={CENTRE}").json["offers"][0]["allowed_actions"]
        one = person.get(f"/api/v1/offers/{offer['id']}").json["allowed_actions"]
        assert listed == one == (["accept", "decline"] if may else []), (who, listed, one)
    refused = ops.send("POST", f"/api/v1/offers/{offer['id']}/accept", {})
    assert refused.status_code in (403, 404), refused.json  # not listed: not allowed
    assert desk.send("POST", f"/api/v1/offers/{offer['id']}/accept", {}).status_code == 200
