"""The care API over HTTP (app.api.care_family, app.api.care_bookings) on the tiny registry:
a guardian gives consent, registers a child and books; the provider's staff publish places and
answer; every other person gets 401/404 and changes nothing; bad input is a 400 naming it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.db.children_tables import child_access_log
from app.pages import account_sessions as people
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    csrf_of,
    make_app,
    sign_in,
    sign_up,
)

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE = "tiny-dc-07"  # 언제나 어린이집 in 남양주, open 07:30 to 07:30 the next day, 4 places
CENTRE = "tiny-cc-01"  # 지역아동센터 in 수원 running 초등 시설형 긴급돌봄, 13:00-22:00


def tomorrow(hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hh, tzinfo=SEOUL).isoformat()


class Person:
    """A signed-in browser: JSON calls carry its CSRF token."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = csrf_of(client.get("/account").get_data(as_text=True))

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.open(path, method=method, json=body, headers={"X-CSRFToken": self.token})


def guardian(app, email: str, birth_date: str = "2023-01-01") -> tuple[Person, str]:  # noqa: F811
    client = app.test_client()
    sign_up(client, email)
    person = Person(client)
    texts = person.get("/api/v1/consents").json["texts"]
    for text in texts:
        assert person.send("POST", "/api/v1/consents", {"purpose": text["purpose"],
                                                         "version": text["version"]}).status_code == 200
    r = person.send("POST", "/api/v1/children", {
        "given_name": "하린", "family_name": "이", "birth_date": birth_date, "relation": "mother",
        "emergency_contact_name": "이준호", "emergency_contact_phone": "010-2345-6789",
        "care_notes": "우유 알레르기"})
    assert r.status_code == 201, r.json
    assert r.headers["Location"] == f"/api/v1/children/{r.json['id']}"
    return person, r.json["id"]


def staff(app, email: str, facility_id: str) -> Person:  # noqa: F811
    people.accounts(app).sign_up(email, PASSWORD, role="provider_staff", facility_id=facility_id)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return Person(client)


def publish(person: Person, facility_id: str, programme: str, places: int | None = None) -> None:
    derive: dict[str, Any] = {"days": 3}
    if places is not None:
        derive["places"] = places
    r = person.send("POST", f"/api/v1/providers/{facility_id}/slots", {"programme": programme, "derive": derive})
    assert r.status_code == 200 and r.json["added"] > 0, r.json


def book(person: Person, child_id: str, facility_id: str = DAYCARE, programme: str = "always_daycare",
         start: int = 19, end: int = 23) -> Any:
    return person.send("POST", "/api/v1/bookings", {"child_id": child_id, "facility_id": facility_id,
                                                    "programme": programme, "start": tomorrow(start),
                                                    "end": tomorrow(end)})


def test_the_booking_cycle_over_the_api(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "staff@centre.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    r = book(mother, child_id)
    assert r.status_code == 201, r.json
    booking = r.json
    assert (booking["status"], booking["fhir_status"], booking["estimate_krw"]) == ("accepted", "accepted", 12_000)
    assert booking["allowed_actions"] == ["cancel"]
    listed = desk.get("/api/v1/bookings").json["bookings"]
    assert [b["id"] for b in listed] == [booking["id"]]
    assert set(listed[0]["allowed_actions"]) == {"cancel"}  # tomorrow's: no check-in or no-show yet
    child = desk.get(f"/api/v1/bookings/{booking['id']}/child")
    assert child.status_code == 200
    assert (child.json["first_name"], child.json["care_notes"]) == ("하린", "우유 알레르기")
    assert "family_name" not in child.json and "birth_date" not in child.json
    with app.extensions["dolbom_db"].connect() as conn:
        logged = conn.execute(sa.select(child_access_log.c.booking_id, child_access_log.c.outcome)).all()
    assert [tuple(r) for r in logged][-1][0] == booking["id"]
    # confirming an accepted booking: a 409 with the state and what may still be done
    again = desk.send("POST", f"/api/v1/bookings/{booking['id']}/confirm", {})
    assert again.status_code == 409
    assert (again.json["error"]["current_state"], again.json["error"]["code"]) == ("accepted", "invalid_transition")
    done = mother.send("POST", f"/api/v1/bookings/{booking['id']}/cancel", {"version": booking["version"]})
    assert (done.status_code, done.json["status"]) == (200, "cancelled")
    stale = mother.send("POST", f"/api/v1/bookings/{booking['id']}/cancel", {"version": booking["version"]})
    assert stale.status_code == 409 and stale.json["error"]["current_state"] == "cancelled"
    slots = desk.get(f"/api/v1/providers/{DAYCARE}/slots?programme=always_daycare").json["slots"]
    assert all(s["held"] == 0 for s in slots)  # the place was given back
    # the programme is required: without it (or a wrong one) a 400 naming it, never an empty list
    for query, reason in (("", "missing"), ("?programme=xx", "invalid")):
        refused = desk.get(f"/api/v1/providers/{DAYCARE}/slots{query}")
        assert refused.status_code == 400, refused.json
        error = refused.json["error"]
        assert (error["field"], error["reason"]) == ("programme", reason)
        assert "always_daycare, elementary_emergency" in error["message"]


def test_a_centre_confirms_or_declines_with_a_reason(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    desk = staff(app, "staff@cc.kr", CENTRE)
    publish(desk, CENTRE, "elementary_emergency")
    held = book(father, child_id, CENTRE, "elementary_emergency", 18, 21).json
    assert (held["status"], held["hold_expires_at"] is not None) == ("requested", True)
    no_reason = desk.send("POST", f"/api/v1/bookings/{held['id']}/decline", {})
    assert no_reason.status_code == 400 and no_reason.json["error"]["field"] == "reason"
    declined = desk.send("POST", f"/api/v1/bookings/{held['id']}/decline", {"reason": "정원이 찼습니다"})
    assert declined.json["status"] == "rejected"
    events = father.get(f"/api/v1/bookings/{held['id']}").json["events"]
    assert [(e["action"], e["reason"]) for e in events] == [("book", None), ("decline", "정원이 찼습니다")]


def test_nobody_else_reaches_a_booking_and_nothing_changes(app):  # noqa: F811
    mother, child_id = guardian(app, "m@example.kr")
    other, _ = guardian(app, "other@example.kr")
    desk = staff(app, "staff@dc.kr", DAYCARE)
    elsewhere = staff(app, "staff@elsewhere.kr", CENTRE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id).json
    path = f"/api/v1/bookings/{booking['id']}"
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 401
    assert anonymous.get("/api/v1/children").status_code == 401
    for person in (other, elsewhere):
        assert person.get(path).status_code == 404
        assert person.send("POST", f"{path}/cancel", {}).status_code == 404
    assert other.get(f"{path}/child").status_code == 403  # no guardian reads children through bookings
    assert elsewhere.get(f"{path}/child").status_code == 404
    assert other.get(f"/api/v1/children/{child_id}").status_code == 404
    assert other.send("POST", "/api/v1/bookings", {"child_id": child_id, "facility_id": DAYCARE,
                                                   "programme": "always_daycare", "start": tomorrow(19),
                                                   "end": tomorrow(23)}).status_code == 404
    assert elsewhere.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                          {"programme": "always_daycare", "derive": {"days": 1}}).status_code == 403
    assert mother.get(f"{path}/child").status_code == 403  # the guardian reads the child at /children
    assert mother.send("POST", f"{path}/check_in", {}).status_code == 403  # sees it, may not act as staff
    assert mother.get(path).json["status"] == "accepted"
    assert mother.get(path).json["version"] == booking["version"]


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"child_id": "x"}, "end", "end, facility_id, programme, start are required"),
    ({"child_id": "x", "facility_id": DAYCARE, "programme": "always_daycare", "start": "tonight",
      "end": "2026-12-01T23:00", "colour": 1}, "colour", "unknown field 'colour'"),
    ({"child_id": "x", "facility_id": DAYCARE, "programme": "always_daycare", "start": "tonight",
      "end": "2026-12-01T23:00"}, "start", "is not a date-time such as"),
    ({"child_id": "x", "facility_id": DAYCARE, "programme": "always_daycare", "start": "2026-12-01T19:00",
      "end": "2026-12-01T23:00", "home": {"lat": 500, "lon": 1}}, "home", "lat in -90..90"),
    ([1, 2], "body", "must be a JSON object"),
])
def test_bad_input_is_a_400_naming_the_field(app, body, field, message):  # noqa: F811
    mother, _ = guardian(app, "bad@example.kr")
    r = mother.send("POST", "/api/v1/bookings", body)
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field and message in r.json["error"]["message"]


def test_a_write_without_the_csrf_token_is_refused(app):  # noqa: F811
    client = app.test_client()
    sign_up(client, "csrf@example.kr")
    r = client.post("/api/v1/children", json={"given_name": "x"})
    assert (r.status_code, r.json["error"]["code"]) == (400, "csrf_failed")


def test_the_same_child_is_booked_once_over_the_api(app):  # noqa: F811
    """Three identical POSTs, one more after, and an overlapping window: one 201, the rest 409
    child_already_booked naming the booking in the registry's local time; one place used."""
    mother, child_id = guardian(app, "twice@example.kr")
    desk = staff(app, "staff@twice.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    answers = [book(mother, child_id, start=9, end=12) for _ in range(4)]
    answers.append(book(mother, child_id, start=10, end=11))
    assert [r.status_code for r in answers] == [201, 409, 409, 409, 409], [r.json for r in answers]
    first = answers[0].json
    for refused in answers[1:]:
        error = refused.json["error"]
        assert (error["code"], error["reason"], error["field"], error["booking_id"]) == (
            "child_already_booked", "child_already_booked", "window", first["id"])
        day = tomorrow(9)[:10]
        assert f"from {day} 09:00 to 12:00 (Asia/Seoul)" in error["message"], error["message"]
    listed = desk.get("/api/v1/bookings").json["bookings"]
    assert [b["id"] for b in listed] == [first["id"]]
    slots = desk.get(f"/api/v1/providers/{DAYCARE}/slots?programme=always_daycare").json["slots"]
    assert max(s["held"] for s in slots) == 1  # one place used, not four


def test_places_that_have_ended_are_refused_over_the_api(app):  # noqa: F811
    """The tester's case: places for an earlier day were published with 200. A slot that has
    ended, or a derived period that has, is a 400 naming the field with reason in_past;
    tomorrow's is published."""
    desk = staff(app, "desk@example.kr", DAYCARE)
    yesterday = (datetime.now(SEOUL) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    r = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                  {"programme": "always_daycare", "start": yesterday.replace(hour=9).strftime("%Y-%m-%dT%H:%M"),
                   "end": yesterday.replace(hour=10).strftime("%Y-%m-%dT%H:%M"), "places": 3})
    assert r.status_code == 400, r.json
    assert (r.json["error"]["code"], r.json["error"]["field"], r.json["error"]["reason"]) == (
        "invalid_slot", "end", "in_past")
    r = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                  {"programme": "always_daycare", "derive": {"first_day": (yesterday - timedelta(days=1)).date()
                                                             .isoformat(), "days": 1}})
    assert r.status_code == 400 and r.json["error"]["reason"] == "in_past", r.json
    assert desk.get(f"/api/v1/providers/{DAYCARE}/slots?programme=always_daycare").json["slots"] == []
    r = desk.send("POST", f"/api/v1/providers/{DAYCARE}/slots",
                  {"programme": "always_daycare", "start": tomorrow(9)[:16], "end": tomorrow(10)[:16], "places": 3})
    assert r.status_code == 200, r.json
