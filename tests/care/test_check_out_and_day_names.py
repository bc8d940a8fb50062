"""A child checked in is checked out at any time after (tester pass 26, finding 10, replacing
pass 25's "only from the start": ``check_out_opens_minutes_after_start`` is null in
app/reference/booking_rules.json), early check-in or not; and in the provider's list of the day
a booking completed today keeps the child's first name for its own staff (a logged read, as
for the confirmed ones), while one completed on an earlier day does not. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.api import care_bookings
from app.care.rules import check_out_delay
from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff, tomorrow
from tests.care.test_staff_child_reads import db_app, log_rows  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)


def test_the_check_out_rule_is_data():
    assert check_out_delay() is None


def test_check_out_after_an_early_check_in_and_the_completed_row_keeps_its_name(db_app, monkeypatch):  # noqa: F811
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    made = book(mother, child_id)  # tomorrow 19:00-23:00
    assert made.status_code == 201, made.json
    path = f"/api/v1/bookings/{made.json['id']}"
    starts = datetime.fromisoformat(tomorrow(19))
    monkeypatch.setattr(care_bookings, "_now", lambda: starts - timedelta(minutes=40))
    assert desk.send("POST", f"{path}/check_in", {}).status_code == 200
    assert desk.get(path).json["allowed_actions"] == ["check_out"]  # before the start too
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(minutes=30))
    assert "check_out" in desk.get(path).json["allowed_actions"]
    done = desk.send("POST", f"{path}/check_out", {})
    assert (done.status_code, done.json["status"]) == (200, "completed")
    day = starts.date().isoformat()
    reads = len(log_rows(db_app))
    [row] = desk.get(f"/api/v1/bookings?facility_id={DAYCARE}&day={day}&include=first_name").json["bookings"]
    assert (row["status"], row["first_name"]) == ("completed", "하린")
    assert len(log_rows(db_app)) == reads + 1  # the name given is a logged read
    # the day after, the completed booking is no longer today's: no name, nothing logged
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(days=1, hours=5))
    [row] = desk.get(f"/api/v1/bookings?facility_id={DAYCARE}&day={day}&include=first_name").json["bookings"]
    assert row["first_name"] is None
    assert len(log_rows(db_app)) == reads + 1



def test_a_no_show_of_today_keeps_its_name_as_a_completed_one_does(db_app, monkeypatch):  # noqa: F811
    """Tester pass 27, finding 9: after "오지 않음" the card lost the child's name on reload; a
    booking marked a no-show today is named (a logged read) like one completed today, and no
    longer the day after (minimum data: the same day only)."""
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    made = book(mother, child_id)  # tomorrow 19:00-23:00
    assert made.status_code == 201, made.json
    path = f"/api/v1/bookings/{made.json['id']}"
    if made.json["status"] == "requested":
        assert desk.send("POST", f"{path}/confirm", {}).status_code == 200
    starts = datetime.fromisoformat(tomorrow(19))
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(minutes=30))
    missed = desk.send("POST", f"{path}/mark_no_show", {})
    assert (missed.status_code, missed.json["status"]) == (200, "no-show"), missed.json
    day = starts.date().isoformat()
    reads = len(log_rows(db_app))
    [row] = desk.get(f"/api/v1/bookings?facility_id={DAYCARE}&day={day}&include=first_name").json["bookings"]
    assert (row["status"], row["first_name"]) == ("no-show", "하린")
    assert len(log_rows(db_app)) == reads + 1  # the name given is a logged read
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(days=1, hours=5))
    [row] = desk.get(f"/api/v1/bookings?facility_id={DAYCARE}&day={day}&include=first_name").json["bookings"]
    assert row["first_name"] is None
    assert len(log_rows(db_app)) == reads + 1
