"""Staff reads of a child's record that the admin queue and the provider inbox make, over HTTP
on SQLite and PostgreSQL: an admin sees the emergency contact of an unmatched request's child
(only while it is unmatched), the provider's staff see the first names of their own bookings
(``include=first_name``); each read appends to ``child_access_log``, and everyone else gets
401/403/404 with nothing logged."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.db.children_tables import child_access_log
from app.db.engine import users
from tests.care.test_api_bookings import DAYCARE, Person, book, guardian, publish, staff
from tests.care.test_api_requests import admin, request_care
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE, OTHER_CENTRE = "tiny-cc-01", "tiny-tc-01"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    """The tiny registry's app on a fresh database of each kind."""
    return make_app(DATABASE_URL=db_url)


def log_rows(app) -> list[tuple]:
    cal = child_access_log
    with app.extensions["dolbom_db"].connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(
            cal.c.actor_id, cal.c.actor_role, cal.c.facility_id, cal.c.child_id, cal.c.booking_id, cal.c.purpose,
            cal.c.outcome).order_by(cal.c.id))]


def user_id(app, email: str) -> str:
    with app.extensions["dolbom_db"].connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one()


def anonymous(app) -> Person:
    person = Person.__new__(Person)
    person.client, person.token = app.test_client(), ""
    return person


# -- the admin queue: the family's emergency contact ----------------------------------------------

def test_an_admin_sees_the_contact_of_an_unmatched_request_and_the_read_is_logged(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    other, _ = guardian(db_app, "other@example.kr", birth_date="2017-05-05")
    cc, tc = staff(db_app, "cc@example.kr", CENTRE), staff(db_app, "tc@example.kr", OTHER_CENTRE)
    ops = admin(db_app)
    request_id = request_care(mother, child_id).json["id"]
    url = f"/api/v1/care-requests/{request_id}/contact"
    # Still being offered: no contact yet (the providers may accept), nothing read.
    early = ops.get(url)
    assert (early.status_code, early.json["error"]["code"], early.json["error"]["current_state"]) == (
        409, "not_unmatched", "requested")
    for desk in (cc, tc, cc, tc):  # offered one provider at a time; each declines
        for offer in desk.get("/api/v1/offers").json["offers"]:
            assert desk.send("POST", f"/api/v1/offers/{offer['id']}/decline", {}).status_code == 200
    assert ops.get("/api/v1/care-requests?status=unmatched").json["care_requests"][0]["id"] == request_id
    # Nobody but an admin reaches it, and nothing is logged.
    for who, person, expected in (("signed out", anonymous(db_app), 401), ("its guardian", mother, 403),
                                  ("another guardian", other, 403), ("staff it was offered to", cc, 403),
                                  ("other staff", tc, 403)):
        r = person.get(url)
        assert r.status_code == expected, (who, r.status_code, r.json)
        assert "010-2345-6789" not in r.get_data(as_text=True)
    assert log_rows(db_app) == []
    assert ops.get("/api/v1/care-requests/no-such-request/contact").status_code == 404
    assert log_rows(db_app) == []
    seen = ops.get(url)
    assert seen.status_code == 200, seen.json
    assert seen.json == {"request_id": request_id, "child_id": child_id, "relation": "mother",
                         "emergency_contact": {"name": "이준호", "phone": "010-2345-6789"}}
    assert seen.headers["Cache-Control"] == "no-store"
    assert log_rows(db_app) == [(user_id(db_app, "ops@example.kr"), "admin", None, child_id, None,
                                 "unmatched_request", "granted")]
    # The family's own export shows who read the record, and why.
    assert [(e["actor_role"], e["purpose"]) for e in mother.get("/api/v1/me/export").json["access_log"]] == [
        ("admin", "unmatched_request")]
    # Once the request no longer waits (here: the family cancels), the contact is not shown.
    assert mother.send("POST", f"/api/v1/care-requests/{request_id}/cancel", {}).json["status"] == "cancelled"
    late = ops.get(url)
    assert (late.status_code, late.json["error"]["current_state"]) == (409, "cancelled")
    assert len(log_rows(db_app)) == 1


# -- the provider's list of the day: the children's first names ------------------------------------

def tomorrow_day() -> str:
    return (datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()


def test_the_day_list_gives_staff_the_first_names_of_their_own_bookings_and_logs_each(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    elsewhere = staff(db_app, "desk@centre.kr", CENTRE)
    ops = admin(db_app)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id)
    assert booking.status_code == 201, booking.json
    base = f"/api/v1/bookings?facility_id={DAYCARE}&day={tomorrow_day()}"
    plain = desk.get(base).json["bookings"]
    assert [b["id"] for b in plain] == [booking.json["id"]] and "first_name" not in plain[0]
    assert log_rows(db_app) == []  # no name, no read
    # Nobody but the provider's own staff gets names, and nothing is logged for them.
    refused = {"signed out": (anonymous(db_app), base, {401}),
               "the guardian": (mother, "/api/v1/bookings", {403}),
               "another provider's staff": (elsewhere, base, {400, 403, 404}),
               "the admin": (ops, base, {403})}
    for who, (person, url, expected) in refused.items():
        r = person.get(url + ("&" if "?" in url else "?") + "include=first_name")
        assert r.status_code in expected, (who, r.status_code, r.json)
        assert "하린" not in r.get_data(as_text=True)
    assert elsewhere.get("/api/v1/bookings?include=first_name").json["bookings"] == []  # their own: none
    assert desk.get(base + "&include=everything").status_code == 400
    assert log_rows(db_app) == []
    named = desk.get(base + "&include=first_name")
    assert named.status_code == 200, named.json
    [row] = named.json["bookings"]
    assert row["first_name"] == "하린"
    assert set(row) - set(plain[0]) == {"first_name"}  # the first name only: no age, notes, contact
    assert "이준호" not in named.get_data(as_text=True) and "우유" not in named.get_data(as_text=True)
    desk_id = user_id(db_app, "desk@daycare.kr")
    assert log_rows(db_app) == [(desk_id, "provider_staff", DAYCARE, child_id, booking.json["id"], "booking_care",
                                 "granted")]
    # A booking no longer live (cancelled by the family) shows no name and logs nothing.
    assert mother.send("POST", f"/api/v1/bookings/{booking.json['id']}/cancel", {}).status_code == 200
    [gone] = desk.get(base + "&include=first_name").json["bookings"]
    assert (gone["status"], gone["first_name"]) == ("cancelled", None)
    assert len(log_rows(db_app)) == 1
