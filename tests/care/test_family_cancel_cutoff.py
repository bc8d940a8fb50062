"""The family's cancel cutoff (tester pass 27, finding 3): a family may cancel a requested or
confirmed booking only until ``family_cancel_until_minutes_before_start`` before its start
(app/reference/booking_rules.json: 0, the start); after it the API answers 409
``not_allowed_now`` with reason ``cancel_closed`` and the cutoff (``allowed_until``), writes
nothing, and the booking lists the cancel under ``actions_closed`` instead of
``allowed_actions``. Staff still cancel (with a reason) until check-in; a family's data deletion
still cancels whatever the time. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.api import care_bookings
from app.api.care_bookings import booking_json
from app.care.bookings import BookingStore, NotNow
from app.care.rules import family_cancel_lead
from app.i18n import LANGUAGES, catalogue
from tests.care.conftest import store  # noqa: F401  (fixture)
from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff, tomorrow
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")
F, P = "F1", "always_daycare"


def kst(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=SEOUL)


def booked(store: BookingStore):  # noqa: F811
    """A confirmed booking of 12-03 15:00-18:00, made the evening before."""
    store.publish_slot(F, P, kst(3, 0), kst(4, 0), 5)
    return store.book(F, P, "child-1", kst(3, 15), kst(3, 18), None, now=kst(2, 19), guardian_id="mum",
                      confirmed_by="auto", tz=SEOUL)


def test_the_cutoff_is_data():
    assert family_cancel_lead() == timedelta(0)  # until the start


def test_the_family_cancels_until_the_start_and_not_after(store):  # noqa: F811
    b = booked(store)
    for late in (kst(3, 15), kst(3, 15, 30)):
        with pytest.raises(NotNow) as caught:
            store.transition(b.id, "cancel", "guardian", "mum", now=late, tz=SEOUL)
        exc = caught.value
        assert (exc.code, exc.reason, exc.http_status, exc.field) == ("not_allowed_now", "cancel_closed", 409, "now")
        assert exc.extra["allowed_until"] == "2026-12-03T15:00:00+09:00", exc.extra
        assert "until 2026-12-03 15:00 (Asia/Seoul)" in str(exc) and "no-show" in str(exc)
    assert store.get(b.id).status == "accepted" and store.get(b.id).version == b.version  # nothing written
    shown = booking_json(store.get(b.id), "guardian", kst(3, 15, 30))
    assert "cancel" not in shown["allowed_actions"]
    assert shown["actions_closed"] == {"cancel": "2026-12-03T06:00:00+00:00"}, shown
    before = booking_json(store.get(b.id), "guardian", kst(3, 14, 59))
    assert "cancel" in before["allowed_actions"] and before["actions_closed"] == {}, before
    done = store.transition(b.id, "cancel", "guardian", "mum", now=kst(3, 14, 59), tz=SEOUL)
    assert done.status == "cancelled"


def test_staff_still_cancel_after_the_start_and_a_deletion_cancels_whatever_the_time(store):  # noqa: F811
    b = booked(store)
    assert "cancel" in booking_json(b, "provider_staff", kst(3, 16))["allowed_actions"]
    assert booking_json(b, "provider_staff", kst(3, 16))["actions_closed"] == {}
    done = store.transition(b.id, "cancel", "provider_staff", "desk", reason="closed for a burst pipe",
                            now=kst(3, 16), tz=SEOUL)
    assert done.status == "cancelled"
    other = store.book(F, P, "child-2", kst(3, 15), kst(3, 18), None, now=kst(2, 19), guardian_id="mum",
                       confirmed_by="auto", tz=SEOUL)
    gone = store.transition(other.id, "cancel", "guardian", "mum", reason="the family's data was deleted",
                            now=kst(3, 16), tz=SEOUL, timed=False)
    assert gone.status == "cancelled"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url)


def test_the_api_refuses_a_family_cancel_after_the_start_naming_the_cutoff(db_app, monkeypatch):
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    made = book(mother, child_id)  # tomorrow 19:00-23:00, confirmed at once
    assert made.status_code == 201, made.json
    path = f"/api/v1/bookings/{made.json['id']}"
    starts = datetime.fromisoformat(tomorrow(19))
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(minutes=15))
    shown = mother.get(path).json
    assert "cancel" not in shown["allowed_actions"], shown
    assert datetime.fromisoformat(shown["actions_closed"]["cancel"]) == starts, shown
    r = mother.send("POST", f"{path}/cancel", {"version": shown["version"]})
    assert r.status_code == 409, r.json
    error = r.json["error"]
    assert (error["code"], error["reason"], error["field"]) == ("not_allowed_now", "cancel_closed", "now"), error
    assert datetime.fromisoformat(error["allowed_until"]) == starts, error
    assert mother.get(path).json["status"] == "accepted"
    assert desk.get(path).json["allowed_actions"] == ["cancel", "check_in", "mark_no_show"]  # staff: as before
    monkeypatch.setattr(care_bookings, "_now", lambda: starts - timedelta(minutes=1))
    assert mother.send("POST", f"{path}/cancel", {}).status_code == 200


def test_the_refusal_has_its_message_in_both_languages():
    for lang in LANGUAGES:
        text = catalogue(lang)["errcode_not_allowed_now_cancel_closed"]
        assert "{allowed_until}" in text, (lang, text)
        assert catalogue(lang)["family_cancel_closed_started"]


def test_a_matched_request_is_not_cancelled_by_the_family_after_its_start(db_app, monkeypatch):
    """Cancelling a matched emergency request cancels its booking: the same cutoff, the same
    409, and the request lists no cancel once it passed."""
    from app.api import care_requests
    from tests.care.test_api_requests import CENTRE, publish_places, request_care

    father, child_id = guardian(db_app, "father@example.kr", birth_date="2017-05-05")
    cc = staff(db_app, "cc@example.kr", CENTRE)
    publish_places(cc, 2)
    request_id = request_care(father, child_id).json["id"]
    [offer] = cc.get("/api/v1/offers").json["offers"]
    assert cc.send("POST", f"/api/v1/offers/{offer['id']}/accept", {}).status_code == 200
    path = f"/api/v1/care-requests/{request_id}"
    assert father.get(path).json["allowed_actions"] == ["cancel"]
    starts = datetime.fromisoformat(father.get(path).json["start"])
    monkeypatch.setattr(care_requests, "_now", lambda: starts + timedelta(minutes=5))
    assert father.get(path).json["allowed_actions"] == [], father.get(path).json
    r = father.send("POST", f"{path}/cancel", {})
    assert r.status_code == 409 and r.json["error"]["reason"] == "cancel_closed", r.json
    assert father.get(path).json["status"] == "accepted"
