"""A weekly pattern (초등 시설형 긴급돌봄, ``repeat``) is ONE message per audience, not one per
date: the guardian and the provider's staff each get one text naming the dates, the weekdays,
the window and the provider (Korean and English; of the child, the first name only), written to
the outbox in the bookings' own transaction. Each booking's later changes (a confirmation, a
decline, a cancel) still have their own message."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.care.bookings import BookingStore
from app.care.notify.messages import RenderError, render
from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.care.references import booking_reference
from app.db.engine import make_engine, outbox, upgrade
from app.db.outbox_tables import notifications
from tests.care.test_api_bookings import CENTRE, SEOUL, guardian, staff
from tests.care.test_weekly_bookings import PUPIL_BORN, first_day, published, weekly_body
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)

NAMES = {CENTRE: "작은지역아동센터"}.get


def _rows(app) -> list[sa.Row]:  # noqa: F811
    with app.extensions["dolbom_db"].connect() as conn:
        return conn.execute(sa.select(outbox).order_by(outbox.c.id)).all()


def _drain(app) -> dict[str, list[str]]:  # noqa: F811
    """Deliver the outbox to the page; each user's notification bodies."""
    engine = app.extensions["dolbom_db"]
    OutboxWorker(engine, [InPageSender(engine)], "test-worker", facility_name=NAMES).drain(
        datetime.now(SEOUL) + timedelta(seconds=1))
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for user_id, title, body in conn.execute(sa.select(notifications.c.user_id, notifications.c.title,
                                                           notifications.c.body).order_by(notifications.c.id)):
            found.setdefault(user_id, []).append(f"{title}\n{body}")
    return found


@pytest.mark.parametrize("auto", [False, True])
def test_a_pattern_is_one_message_per_audience_naming_its_dates(app, auto):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 2)
    if auto:
        assert desk.send("PUT", f"/api/v1/providers/{CENTRE}/booking-settings", {"auto_confirm": True}).status_code \
            == 200
    before = len(_rows(app))
    made = father.send("POST", "/api/v1/bookings", weekly_body(child_id))
    assert made.status_code == 201, made.json
    ids = [b["id"] for b in made.json["bookings"]]
    assert len(ids) == 3
    rows = _rows(app)[before:]
    topic = "booking.pattern_confirmed" if auto else "booking.pattern_requested"
    assert [r.topic for r in rows] == [topic], [r.topic for r in rows]
    payload = rows[0].payload
    assert payload["booking_ids"] == ids and payload["booking_id"] == ids[0]
    assert len(payload["to"]) == 2 and {"facility_id": CENTRE} in payload["to"]
    assert rows[0].idempotency_key.startswith(f"booking/{ids[0]}/") and rows[0].idempotency_key.endswith("/pattern")
    # of the child, the first name only: no birth date, notes, contact or family name
    text = str(payload)
    assert payload["first_name"] == "하린"
    assert not any(secret in text for secret in (PUPIL_BORN, "우유", "이준호", "010-2345", child_id))

    told = _drain(app)
    assert len(told) == 2 and all(len(texts) == 1 for texts in told.values()), told
    day = first_day()
    dates = [day + timedelta(days=7 * n) for n in range(3)]
    weekday = "월화수목금토일"[day.weekday()]
    bodies = sorted(t[0] for t in told.values())
    for body in bodies:
        assert "15:00–17:00" in body and f"매주 {weekday}" in body and "3건" in body, body
        for d in dates:
            assert f"{d.day}" in body
    staff_text = next(b for b in bodies if "작은지역아동센터" not in b)
    parent_text = next(b for b in bodies if "작은지역아동센터" in b)
    asked = "자동 확정" if auto else "모두 수락하거나 거절해 주세요(날짜별로도 답할 수 있습니다)"
    assert asked in staff_text, staff_text
    # the staff read the booking's reference, never the child's name (tester 28, finding 4); the parent the name
    assert "하린" not in staff_text and f"예약번호 {booking_reference(ids[0])}" in staff_text, staff_text
    assert "하린" in parent_text
    assert ("확정했습니다" in parent_text) if auto else ("요청했습니다" in parent_text)

    # each booking's own change still tells of that date alone
    if not auto:
        assert desk.send("POST", f"/api/v1/bookings/{ids[1]}/confirm", {}).status_code == 200
        assert [r.topic for r in _rows(app)[before + 1:]] == ["booking.confirmed"]


def test_the_pattern_text_in_english_and_over_months_and_midnight():
    occurrences = [{"start": "2026-12-29T13:00:00+00:00", "end": "2026-12-29T16:00:00+00:00"},
                   {"start": "2026-12-31T13:00:00+00:00", "end": "2026-12-31T16:00:00+00:00"},
                   {"start": "2027-01-05T13:00:00+00:00", "end": "2027-01-05T16:00:00+00:00"}]
    payload = {"first_name": "하린", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": CENTRE,
               "programme": "elementary_emergency",
               "window_start": occurrences[0]["start"], "window_end": occurrences[0]["end"],
               "occurrences": occurrences}
    en = render("booking.pattern_confirmed", payload, "en", NAMES)
    assert en.body == ("작은지역아동센터 confirmed 3 bookings for 하린 (Elementary emergency care): "
                       "every Tue, Thu, 22:00–01:00 next day Korea time, on Dec 29, 31 2026; Jan 5 2027."), en.body
    ko = render("booking.pattern_requested", payload, "ko", NAMES, audience="staff")
    assert "매주 화·목 22:00–다음 날 01:00" in ko.body and "2026년 12월 29·31일, 2027년 1월 5일" in ko.body, ko.body
    with pytest.raises(RenderError, match="occurrences"):
        render("booking.pattern_requested", {**payload, "occurrences": []}, "ko", NAMES)


def test_book_many_writes_one_message_in_the_bookings_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        store = BookingStore(engine)
        start = datetime(2026, 12, 2, 15, tzinfo=SEOUL)
        windows = [(start + timedelta(days=7 * n), start + timedelta(days=7 * n, hours=2)) for n in range(4)]
        for s, e in windows:
            store.publish_slot(CENTRE, "elementary_emergency", s, e, 2)
        made = store.book_many(CENTRE, "elementary_emergency", "kid", windows, None, now=start - timedelta(days=1),
                               guardian_id="g1", first_name="하린")
        one = store.book_many(CENTRE, "elementary_emergency", "kid2", windows[:1], None,
                              now=start - timedelta(days=1), guardian_id="g2")
        with engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id)).all()
        # the pattern: one message naming its four bookings; a one-date pattern: the booking's own
        assert [r.topic for r in rows] == ["booking.pattern_requested", "booking.requested"]
        assert rows[0].payload["booking_ids"] == [b.id for b in made]
        assert rows[1].payload["booking_id"] == one[0].id
    finally:
        engine.dispose()
