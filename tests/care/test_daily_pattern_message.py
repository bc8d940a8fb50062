"""A daily run (언제나 어린이집: the same hours on 2–5 consecutive days, ``repeat.every_day``) is
said as daily in its one message per audience — "매일" / "every day", titles "매일 반복 …" /
"Daily …" — listing its dates, never "매주 <weekday>"; a weekly pattern keeps its weekly words.
Nothing stored says a pattern's kind: dates that are consecutive calendar days (2 or more) are
"every day" (:func:`app.care.notify.messages.every_day`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.care.notify.messages import PATTERN_TOPICS, STAFF_AUDIENCE, every_day, render
from app.care.references import booking_reference
from tests.care.test_api_bookings import DAYCARE, SEOUL, guardian, staff
from tests.care.test_daily_pattern_api import daily_body, first_day, published
from tests.care.test_weekly_pattern_message import _drain, _rows
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)

NAMES = {DAYCARE: "언제나어린이집", "tiny-cc-01": "작은지역아동센터"}.get


def _payload(days: list[date], programme: str = "always_daycare", facility: str = DAYCARE) -> dict:
    """A pattern payload with a 19:00–23:00 (Seoul) window on each of ``days``."""
    occurrences = [{"start": datetime(d.year, d.month, d.day, 19, tzinfo=SEOUL).isoformat(),
                    "end": datetime(d.year, d.month, d.day, 23, tzinfo=SEOUL).isoformat()} for d in days]
    return {"first_name": "하린", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": facility,
            "programme": programme, "reason": "preset:full", "actor_role": "provider_staff",
            "respond_by": "2027-01-29T09:00:00+00:00",
            "window_start": occurrences[0]["start"], "window_end": occurrences[0]["end"],
            "occurrences": occurrences}


RUN = [date(2027, 1, 30) + timedelta(days=n) for n in range(5)]  # Sat 30 Jan – Wed 3 Feb, over a month end
WEEKLY = [date(2027, 1, 4), date(2027, 1, 6), date(2027, 1, 11), date(2027, 1, 13)]  # Mon, Wed, two weeks


def _each(payload: dict):
    """Every pattern topic's message of ``payload``: (topic, audience, locale, title, body)."""
    for topic in sorted(PATTERN_TOPICS):
        for audience in ("guardian", STAFF_AUDIENCE):
            for locale in ("ko", "en"):
                m = render(topic, payload, locale, NAMES, audience=audience)
                yield topic, audience, locale, m.title, m.body


def test_a_daily_run_is_said_daily_in_every_pattern_message_with_its_dates():
    seen = 0
    for topic, audience, locale, title, body in _each(_payload(RUN)):
        seen += 1
        where = (topic, audience, locale, title, body)
        if locale == "ko":
            assert "매일" in title and "매주" not in title, where
            assert "매일 19:00–23:00" in body and "매주" not in body, where
            assert "1월 30·31일, 2월 1·2·3일" in body and "5건" in body, where
        else:
            assert title.startswith("Daily") and "eekly" not in title, where
            assert "every day, 19:00–23:00 Korea time" in body and "eekly" not in body, where
            assert "Jan 30, 31; Feb 1, 2, 3" in body and "5 " in body, where
            assert "Sat" not in body and "every Mon" not in body, where
        if audience == STAFF_AUDIENCE and topic != "booking.pattern_declined":  # declined: the family's only
            assert "하린" not in title + body, where  # the staff never read the child's name
    assert seen == len(PATTERN_TOPICS) * 4


def test_a_weekly_pattern_keeps_its_weekly_words():
    payload = _payload(WEEKLY, "elementary_emergency", "tiny-cc-01")
    for topic, _audience, locale, title, body in _each(payload):
        where = (topic, locale, title, body)
        if locale == "ko":
            assert "매주 반복" in title and "매주 월·수 19:00–23:00" in body and "매일" not in title + body, where
        else:
            assert title.startswith("Weekly") and "every Mon, Wed, 19:00–23:00" in body and "every day" not in body, \
                where
    assert render("booking.pattern_confirmed", payload, "en", NAMES).body == (
        "작은지역아동센터 confirmed 4 bookings for 하린 (Elementary emergency care): "
        "every Mon, Wed, 19:00–23:00 Korea time, on Jan 4, 6, 11, 13.")
    assert render("booking.pattern_requested", payload, "ko", NAMES).title == "매주 반복 예약을 요청했습니다"


@pytest.mark.parametrize(("days", "daily"), [
    (RUN, True),
    ([date(2026, 12, 31), date(2027, 1, 1)], True),  # over a year end
    ([date(2027, 1, 4) + timedelta(days=n) for n in range(14)], True),  # weekly on every weekday: truly every day
    (WEEKLY, False),
    ([date(2027, 1, 4)], False),  # one date: no run
    ([date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 7)], False),  # a gap
    ([date(2027, 1, 4), date(2027, 1, 11)], False),  # the same weekday twice
])
def test_consecutive_calendar_days_are_every_day(days, daily):
    assert every_day(days) is daily
    body = render("booking.pattern_requested", _payload(days), "en", NAMES).body
    assert ("every day," in body) is daily, body


def test_a_booked_daily_run_tells_the_family_and_the_staff_daily(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    published(desk, 2)
    before = len(_rows(app))
    made = mother.send("POST", "/api/v1/bookings", daily_body(child_id, days=3))
    assert made.status_code == 201, made.json
    ids = [b["id"] for b in made.json["bookings"]]
    rows = _rows(app)[before:]
    assert [r.topic for r in rows] == ["booking.pattern_confirmed"], [r.topic for r in rows]
    told = _drain(app)
    texts = [t[0] for t in told.values()]
    assert len(texts) == 2, told
    days = [first_day() + timedelta(days=n) for n in range(3)]
    for text in texts:
        assert "매일 19:00–23:00" in text and "매주" not in text and "3건" in text, text
        assert text.startswith("매일 반복 예약"), text
        for d in days:
            assert f"{d.day}" in text, text
    staff_text = next(t for t in texts if "자동 확정" in t)
    assert "하린" not in staff_text and f"예약번호 {booking_reference(ids[0])}" in staff_text, staff_text
    assert any("하린" in t for t in texts if t != staff_text)
