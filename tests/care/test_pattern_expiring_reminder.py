"""Staff are reminded ONCE per weekly pattern before its holds lapse (``booking.pattern_expiring``,
naming the pattern's first-date reference, programme, the number of dates still waiting and the
deadline, never the child), not once per date; a one-off hold keeps its own ``booking.expiring``.
Written once however often the job runs. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.care.bookings import BookingStore
from app.care.notify.messages import STAFF_AUDIENCE, render
from app.care.references import booking_reference
from app.db import engine as db_engine

F, P = "F1", "elementary_emergency"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 15:00 in Seoul, a Wednesday
WEEKS = 4
HOLD = NOW + timedelta(minutes=15)


def windows(n: int = WEEKS) -> list[tuple[datetime, datetime]]:
    return [(FIRST + timedelta(days=7 * k), FIRST + timedelta(days=7 * k, hours=2)) for k in range(n)]


def reminders(store: BookingStore) -> list[sa.Row]:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(db_engine.outbox).where(
            db_engine.outbox.c.topic.in_(["booking.expiring", "booking.pattern_expiring"]))
            .order_by(db_engine.outbox.c.id)).all()


def test_a_pattern_gets_one_reminder_for_its_waiting_dates_and_a_one_off_its_own(store):
    for s, e in windows():
        store.publish_slot(F, P, s, e, 3)
    made = store.book_many(F, P, "kid", windows(), HOLD, now=NOW, guardian_id="g1", first_name="하린")
    one_off = store.book(F, P, "other", *windows()[0], HOLD, now=NOW, guardian_id="g2", first_name="도윤")
    store.transition(made[0].id, "confirm", "provider_staff", "s1", now=NOW)  # answered: not waiting
    later = NOW + timedelta(minutes=6)
    assert store.warn_expiring(later) == 2  # the pattern's one, the one-off's one
    assert store.warn_expiring(later) == 0  # the job running again writes nothing
    assert store.warn_expiring(later + timedelta(minutes=1)) == 0
    rows = reminders(store)
    assert [r.topic for r in rows].count("booking.pattern_expiring") == 1
    single = next(r for r in rows if r.topic == "booking.expiring")
    assert single.payload["booking_id"] == one_off.id
    reminder = next(r for r in rows if r.topic == "booking.pattern_expiring")
    payload = reminder.payload
    assert payload["to"] == [{"facility_id": F}]
    assert payload["booking_id"] == made[0].id  # the pattern's reference: its first date's
    assert payload["booking_ids"] == [b.id for b in made[1:]]
    assert payload["respond_by"] == HOLD.isoformat()
    assert "first_name" not in payload
    ref = booking_reference(made[0].id)
    ko = render("booking.pattern_expiring", payload, "ko", audience=STAFF_AUDIENCE)
    en = render("booking.pattern_expiring", payload, "en", audience=STAFF_AUDIENCE)
    assert ref in ko.body and "3건" in ko.body and "초등" in ko.body and "12월 1일" in ko.body, ko.body
    assert "09:15" in ko.body and "하린" not in ko.body and "자녀" not in ko.body, ko.body
    assert ref in en.body and "waiting for your answer: 3" in en.body and "1 Dec" in en.body, en.body
    assert "09:15" in en.body and "하린" not in en.body and "child" not in en.body, en.body


def test_the_pattern_reminder_is_written_once_across_two_stores(store):
    """Two servers' jobs (two stores on one database) write the pattern's reminder once."""
    for s, e in windows():
        store.publish_slot(F, P, s, e, 3)
    store.book_many(F, P, "kid", windows(), HOLD, now=NOW, guardian_id="g1")
    other = BookingStore(store.engine)
    later = NOW + timedelta(minutes=6)
    assert store.warn_expiring(later) + other.warn_expiring(later) == 1
    assert len(reminders(store)) == 1
