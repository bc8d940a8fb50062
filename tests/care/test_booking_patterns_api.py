"""A weekly pattern over the API: every booking of one ``repeat`` request carries the same
``pattern_id`` (null for a single booking; in the OpenAPI document); the provider's staff read
the pattern as one (GET /api/v1/booking-patterns/<id>: dates, weekdays, the child's first name)
and answer it as one (POST …/confirm, …/decline with one reason), each date reported; the family
is told ONCE per audience, in the account's language, naming the dates — when staff decline all
and when the pattern's holds lapse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.db.engine import bookings, users
from app.db.outbox_tables import user_contacts
from app.extensions.care import get_bookings
from tests.care.test_api_bookings import CENTRE, guardian, staff
from tests.care.test_weekly_bookings import PUPIL_BORN, first_day, published, weekly_body
from tests.care.test_weekly_pattern_message import _drain
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    clock,
    make_app,
)


@pytest.fixture
def app(make_app, db_url):  # noqa: F811
    """The app on a fresh database of each kind (SQLite, PostgreSQL)."""
    return make_app(DATABASE_URL=db_url)


def _family_and_pattern(app, email: str = "father@example.kr"):
    father, child_id = guardian(app, email, birth_date=PUPIL_BORN)
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 2)
    made = father.send("POST", "/api/v1/bookings", weekly_body(child_id))
    assert made.status_code == 201, made.json
    return father, child_id, desk, made.json["bookings"]


def _user_id(app, email: str) -> str:
    with app.extensions["dolbom_db"].connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one()


def _speaks(app, email: str, locale: str) -> None:
    user_id = _user_id(app, email)
    with app.extensions["dolbom_db"].begin() as conn:
        if conn.execute(user_contacts.update().where(user_contacts.c.user_id == user_id)
                        .values(locale=locale)).rowcount == 0:
            conn.execute(user_contacts.insert().values(user_id=user_id, locale=locale, email_opt_in=True,
                                                       sms_opt_in=False, updated_at=datetime.now(UTC)))


def test_every_booking_of_a_pattern_carries_its_id_and_a_single_booking_none(app):
    father, child_id, desk, rows = _family_and_pattern(app)
    pattern_id = rows[0]["pattern_id"]
    assert pattern_id and all(r["pattern_id"] == pattern_id for r in rows) and len(rows) == 3
    assert father.get(f"/api/v1/bookings/{rows[1]['id']}").json["pattern_id"] == pattern_id
    listed = desk.get(f"/api/v1/bookings?facility_id={CENTRE}&status=requested").json["bookings"]
    assert {b["pattern_id"] for b in listed} == {pattern_id}
    day = first_day() + timedelta(days=1)
    single = father.send("POST", "/api/v1/bookings", {
        "child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
        "start": f"{day.isoformat()}T15:00", "end": f"{day.isoformat()}T17:00"})
    assert single.status_code == 201, single.json
    assert single.json["pattern_id"] is None
    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    assert "pattern_id" in schemas["Booking"]["properties"]
    assert {"BookingPattern", "PatternAnswer"} <= set(schemas)


def test_staff_read_the_pattern_as_one_and_nobody_else_reaches_it(app):
    father, _, desk, rows = _family_and_pattern(app)
    pattern_id = rows[0]["pattern_id"]
    plain = desk.get(f"/api/v1/booking-patterns/{pattern_id}")  # no name unless asked: nothing logged
    assert plain.status_code == 200 and plain.json["first_name"] is None, plain.json
    read = desk.get(f"/api/v1/booking-patterns/{pattern_id}?include=first_name")
    assert read.status_code == 200, read.json
    day = first_day()
    assert read.json["first_name"] == "하린" and read.json["count"] == 3 and read.json["waiting"] == 3
    assert read.json["first_date"] == day.isoformat()
    assert read.json["last_date"] == (day + timedelta(days=14)).isoformat()
    assert read.json["weekdays"] == [["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.weekday()]]
    assert father.get(f"/api/v1/booking-patterns/{pattern_id}").json["first_name"] is None
    other = staff(app, "elsewhere@example.kr", "tiny-dc-07")
    assert other.get(f"/api/v1/booking-patterns/{pattern_id}").status_code == 404
    assert other.send("POST", f"/api/v1/booking-patterns/{pattern_id}/confirm", {}).status_code == 404
    assert father.send("POST", f"/api/v1/booking-patterns/{pattern_id}/confirm", {}).status_code == 403
    assert desk.get("/api/v1/booking-patterns/nope").status_code == 404
    assert all(b["status"] == "requested" for b in father.get("/api/v1/bookings").json["bookings"])


def test_accept_all_reports_each_date_and_names_one_cancelled_meanwhile(app):
    father, _, desk, rows = _family_and_pattern(app)
    pattern_id = rows[0]["pattern_id"]
    assert father.send("POST", f"/api/v1/bookings/{rows[1]['id']}/cancel", {}).status_code == 200
    answer = desk.send("POST", f"/api/v1/booking-patterns/{pattern_id}/confirm", {})
    assert answer.status_code == 200, answer.json
    assert answer.json["done"] == 2 and answer.json["not_done"] == 1
    assert [(d["booking_id"], d["done"], d["status"]) for d in answer.json["dates"]] == [
        (rows[0]["id"], True, "accepted"), (rows[1]["id"], False, "cancelled"), (rows[2]["id"], True, "accepted")]
    assert answer.json["dates"][1]["date"] == (first_day() + timedelta(days=7)).isoformat()


def test_decline_all_needs_one_reason_and_the_family_gets_one_message_in_its_language(app):
    father, _, desk, rows = _family_and_pattern(app)
    pattern_id = rows[0]["pattern_id"]
    _speaks(app, "father@example.kr", "en")
    _drain(app)  # the pattern's own request message
    refused = desk.send("POST", f"/api/v1/booking-patterns/{pattern_id}/decline", {})
    assert refused.status_code == 400, refused.json
    assert all(b["status"] == "requested" for b in father.get("/api/v1/bookings").json["bookings"])
    answer = desk.send("POST", f"/api/v1/booking-patterns/{pattern_id}/decline", {"reason": "Full that term"})
    assert answer.status_code == 200 and answer.json["done"] == 3, answer.json
    before = _drain(app)
    father_id = _user_id(app, "father@example.kr")
    got = before.get(father_id, [])
    assert len(got) == 2, got  # the request's message earlier, and ONE for the three declined dates
    text = got[-1]
    day = first_day()
    assert text.startswith("Weekly booking declined") and "3 bookings" in text and '"Full that term"' in text, text
    for n in range(3):
        assert str((day + timedelta(days=7 * n)).day) in text
    staff_id = _user_id(app, "cc@example.kr")
    assert len(before.get(staff_id, [])) == 1  # the request's only: staff declined it themselves


def test_a_patterns_lapse_is_one_message_per_audience(app):
    _, _, _, rows = _family_and_pattern(app)
    _drain(app)
    with app.extensions["dolbom_db"].begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id.in_([r["id"] for r in rows])).values(
            hold_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with app.app_context():
        assert len(get_bookings().expire_holds(datetime.now(UTC))) == 3
    told = _drain(app)
    father_texts = told[_user_id(app, "father@example.kr")]
    staff_texts = told[_user_id(app, "cc@example.kr")]
    assert len(father_texts) == 2 and len(staff_texts) == 2  # the request's, then ONE lapse each
    assert father_texts[-1].startswith("시간 초과: 매주 반복 예약이 풀렸습니다") and "3건" in father_texts[-1]
    assert staff_texts[-1].startswith("확정하지 않은 매주 반복 예약이 만료되었습니다") and "예약번호" in staff_texts[-1]
    assert "하린" not in staff_texts[-1]  # staff texts name the booking, never the child (tester 28)
