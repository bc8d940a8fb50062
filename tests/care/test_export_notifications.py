"""The family's export holds the messages held about the family (tester pass 25, finding 15):
the outbox messages addressed to the guardian or about the family's bookings (to their
providers), without their recipients list or secret fields (a reset link), the in-page
notifications as shown, and how each reached the guardian; never another family's. On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.db.engine import outbox, users
from app.db.outbox_tables import notifications, outbox_deliveries
from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff
from tests.care.test_staff_child_reads import db_app  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)


def _user_id(app, email: str) -> str:
    with app.extensions["dolbom_db"].connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one()


def test_the_export_holds_the_familys_notifications(db_app):  # noqa: F811
    mother, child_id = guardian(db_app, "mother@example.kr")
    other, other_child = guardian(db_app, "other@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    mine = book(mother, child_id)
    assert mine.status_code == 201 and book(other, other_child).status_code == 201
    gid, now = _user_id(db_app, "mother@example.kr"), datetime.now(UTC)
    with db_app.extensions["dolbom_db"].begin() as conn:
        reset_id = conn.execute(outbox.insert().values(
            idempotency_key="t/reset", topic="account.reset", created_at=now, available_at=now, attempts=1,
            sent_at=now, payload={"to": [{"user_id": gid}], "path": "/account/reset/SECRET-TOKEN", "lang": "ko"})
        ).inserted_primary_key[0]
        conn.execute(outbox_deliveries.insert().values(
            outbox_id=reset_id, channel="email", user_id=gid, status="sent", attempts=1, updated_at=now, sent_at=now,
            provider_message_id="<m@x>", last_error=None))
        conn.execute(notifications.insert().values(
            user_id=gid, outbox_id=reset_id, topic="account.reset", locale="ko", title="제목", body="본문",
            created_at=now, read_at=None))
    exported = mother.get("/api/v1/me/export")
    assert exported.status_code == 200, exported.json
    held = exported.json["notifications"]
    text = exported.get_data(as_text=True)
    about_booking = [m for m in held["messages"] if m["payload"].get("booking_id") == mine.json["id"]]
    assert about_booking and all("to" not in m["payload"] for m in held["messages"])
    assert any(m["topic"] == "booking.confirmed" and m["to_you"] for m in about_booking), about_booking
    [reset] = [m for m in held["messages"] if m["topic"] == "account.reset"]
    assert (reset["to_you"], reset["removed"], reset["sent_at"] is not None) == (True, ["path"], True)
    assert "SECRET-TOKEN" not in text
    assert [(n["title"], n["body"]) for n in held["in_page"]] == [("제목", "본문")]
    assert [(d["channel"], d["status"]) for d in held["deliveries"]] == [("email", "sent")]
    others = {m["payload"].get("booking_id") for m in held["messages"]} - {None, mine.json["id"]}
    assert others == set()  # the other family's booking messages are not here
