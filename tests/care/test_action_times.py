"""The time a booking's window allows each action: staff check a child in from
``check_in_opens_minutes_before_start`` (app/reference/booking_rules.json, 60) before the start
until the end, and mark a no-show only from the start; otherwise 409 ``not_allowed_now`` naming
the time from (or until) which it is allowed, in the registry's local time. The actions a
booking lists (the API's ``allowed_actions``) leave out what the time forbids now. On SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.api.care_bookings import booking_json
from app.care.bookings import BookingStore, NotNow
from app.care.rules import check_in_lead
from tests.care.conftest import store  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")
F, P = "F1", "always_daycare"


def kst(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=SEOUL)


def booked(store: BookingStore):  # noqa: F811
    """A confirmed booking of tomorrow (12-03) 15:00-18:00, made the evening before."""
    store.publish_slot(F, P, kst(3, 0), kst(4, 0), 5)
    return store.book(F, P, "child-1", kst(3, 15), kst(3, 18), None, now=kst(2, 19), confirmed_by="auto", tz=SEOUL)


def test_the_lead_time_is_data():
    assert check_in_lead() == timedelta(minutes=60)


def test_check_in_a_day_early_is_refused_naming_when_it_opens(store):  # noqa: F811
    b = booked(store)
    for too_early in (kst(2, 19, 20), kst(3, 13, 59)):
        with pytest.raises(NotNow) as caught:
            store.transition(b.id, "check_in", "provider_staff", "staff-1", now=too_early, tz=SEOUL)
        exc = caught.value
        assert (exc.code, exc.reason, exc.http_status, exc.field) == ("not_allowed_now", "too_early", 409, "now")
        assert str(exc) == "check_in is allowed from 2026-12-03 14:00 (Asia/Seoul) on; the booking starts " \
                           "2026-12-03 15:00"
        assert exc.extra["allowed_from"] == "2026-12-03T14:00:00+09:00"
    assert store.get(b.id).status == "accepted" and store.get(b.id).version == b.version  # nothing written
    done = store.transition(b.id, "check_in", "provider_staff", "staff-1", now=kst(3, 14), tz=SEOUL)
    assert done.status == "in-progress"


def test_check_in_after_the_end_is_refused(store):  # noqa: F811
    b = booked(store)
    with pytest.raises(NotNow, match=r"check_in is allowed only until 2026-12-03 18:00 \(Asia/Seoul\)") as caught:
        store.transition(b.id, "check_in", "provider_staff", "staff-1", now=kst(3, 18), tz=SEOUL)
    assert caught.value.reason == "too_late"


def test_a_no_show_only_from_the_start(store):  # noqa: F811
    b = booked(store)
    with pytest.raises(NotNow, match=r"mark_no_show is allowed from 2026-12-03 15:00 \(Asia/Seoul\) on"):
        store.transition(b.id, "mark_no_show", "provider_staff", "staff-1", now=kst(3, 14, 59), tz=SEOUL)
    assert store.transition(b.id, "mark_no_show", "provider_staff", "staff-1", now=kst(3, 15)).status == "no-show"


def test_the_listed_actions_follow_the_time(store):  # noqa: F811
    b = booked(store)

    def actions(at: datetime) -> set[str]:
        return set(booking_json(b, "provider_staff", at)["allowed_actions"])

    assert actions(kst(2, 19, 20)) == {"cancel"}  # the evening before: neither check-in nor no-show
    assert actions(kst(3, 14)) == {"cancel", "check_in"}
    assert actions(kst(3, 15)) == {"cancel", "check_in", "mark_no_show"}
    assert actions(kst(3, 18)) == {"cancel", "mark_no_show"}  # the end: too late to check in
    # the family cancels until the start (family_cancel_until_minutes_before_start; tester 27, finding 3)
    assert set(booking_json(b, "guardian", kst(3, 14, 59))["allowed_actions"]) == {"cancel"}
    assert set(booking_json(b, "guardian", kst(3, 15))["allowed_actions"]) == set()
