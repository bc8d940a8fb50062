"""Deleting a family deletes its messages (개인정보 보호법 제21조), keeping for providers only what
they still need: every message to the guardian goes, delivered or not (a reset link, the
booking's confirmation), with its deliveries and in-page rows; the providers' messages about
the family's bookings go too, but for the cancellation not yet delivered that gives the place
back, kept for the staff only and without the child's name; the staff's page list keeps its
rows, without the name. The audit records stay and hold no personal data. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.db.children_tables import child_access_log
from app.db.engine import booking_events, outbox
from app.db.outbox_tables import notifications, outbox_deliveries
from tests.care.test_children import (  # noqa: F401  (fixtures)
    F1,
    PASSWORD,
    T0,
    WINDOW,
    accounts,
    book,
    bookings,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

PERSONAL = ("민서", "mom@example.com", "010-1234-5678", "김철수", "땅콩")


def drain(engine: sa.Engine, at) -> int:  # noqa: F811
    return OutboxWorker(engine, [InPageSender(engine)], f"t-{uuid.uuid4().hex[:6]}", lease_seconds=60).drain(at)


def rows(engine: sa.Engine, table: sa.Table) -> list[dict]:  # noqa: F811
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def text_of(found: list[dict]) -> str:
    return json.dumps(found, ensure_ascii=False, default=str)


def test_a_deleted_familys_messages_go_but_the_providers_cancellation_stays_unnamed(
        accounts, store, bookings, engine):  # noqa: F811
    fam = make_family(accounts, store, "mom@example.com")  # the child 민서
    other = make_family(accounts, store, "other@example.com", given_name="하준")
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    first = book(bookings, fam.child_id, fam.guardian_id, places=3, first_name="민서")
    bookings.book(F1, "always_daycare", other.child_id, *WINDOW, None, actor_id=other.guardian_id, now=T0,
                  guardian_id=other.guardian_id, first_name="하준")
    bookings.transition(first.id, "confirm", "provider_staff", staff.id, now=T0)
    store.read_for_booking(fam.child_id, staff, first, "booking_care", T0)
    assert drain(engine, T0) == 3  # delivered: two new bookings to the staff, the confirmation to 민서's mother
    later = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    second = book(bookings, fam.child_id, fam.guardian_id, window=later, first_name="민서")  # not yet delivered
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(
            idempotency_key="t/reset", topic="account.reset", created_at=T0, available_at=T0, attempts=0,
            sent_at=None, payload={"to": [{"user_id": fam.guardian_id}], "path": "/account/reset/TOKEN"}))
    staff_notes = [n for n in rows(engine, notifications) if n["user_id"] == staff.id]
    assert staff_notes and not any("민서" in n["body"] for n in staff_notes)  # staff texts never name the child
    assert any(n["user_id"] == fam.guardian_id for n in rows(engine, notifications))

    counts = store.delete_family(fam.guardian_id, T0 + timedelta(hours=1))
    # deleted: booking.requested of both bookings (one delivered, one not), the confirmation, the
    # reset link; kept: the two cancellations the deletion wrote, for the staff
    assert (counts["bookings_cancelled"], counts["messages_deleted"], counts["messages_kept"]) == (2, 4, 2)
    held = rows(engine, outbox)
    ours = [m for m in held if m["payload"].get("booking_id") in (first.id, second.id)]
    assert sorted((m["topic"], m["sent_at"] is None) for m in ours) == [("booking.cancelled", True)] * 2
    assert all(m["payload"]["to"] == [{"facility_id": F1}] and "first_name" not in m["payload"] for m in ours)
    assert not any(m["topic"] == "account.reset" for m in held)
    assert fam.guardian_id not in text_of(held)
    assert "하준" in text_of(held)  # the other family's messages are untouched
    kept_ids = {m["id"] for m in held}
    assert all(d["outbox_id"] in kept_ids for d in rows(engine, outbox_deliveries))  # no orphaned deliveries
    assert all(d["user_id"] != fam.guardian_id for d in rows(engine, outbox_deliveries))
    notes = rows(engine, notifications)
    assert not any(n["user_id"] == fam.guardian_id for n in notes)
    staff_notes = [n for n in notes if n["user_id"] == staff.id]
    assert len(staff_notes) == 2  # the staff's list stays (it names no child: tester 28)
    assert not any(name in n["title"] + n["body"] for n in staff_notes for name in ("하준", "민서"))
    for secret in PERSONAL:
        assert secret not in text_of(held) + text_of(notes), secret

    # The kept cancellations reach the staff, without the child's name.
    assert drain(engine, T0 + timedelta(hours=1)) == 2
    told = [n for n in rows(engine, notifications) if n["topic"] == "booking.cancelled"]
    assert len(told) == 2 and all(n["user_id"] == staff.id and "민서" not in n["body"] for n in told)
    # The audit records stay, as ids and states: the bookings' events, the reads of the child.
    events, reads = rows(engine, booking_events), rows(engine, child_access_log)
    assert {e["booking_id"] for e in events} >= {first.id, second.id}
    assert [r["child_id"] for r in reads] == [fam.child_id]
    for secret in PERSONAL:
        assert secret not in text_of(events) + text_of(reads), secret


def test_the_kept_cancellation_is_delivered_and_deleting_again_changes_nothing(
        accounts, store, bookings, engine):  # noqa: F811
    fam = make_family(accounts, store, "mom@example.com")
    accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    book(bookings, fam.child_id, fam.guardian_id, first_name="민서")
    counts = store.delete_family(fam.guardian_id, T0 + timedelta(hours=1))
    assert (counts["messages_deleted"], counts["messages_kept"]) == (1, 1)
    assert drain(engine, T0 + timedelta(hours=1)) == 1  # the cancellation delivered
    again = store.delete_family(fam.guardian_id, T0 + timedelta(hours=2))
    assert (again["messages_deleted"], again["messages_kept"]) == (0, 0)
    assert [m["topic"] for m in rows(engine, outbox)] == ["booking.cancelled"]
    assert all(m["sent_at"] is not None for m in rows(engine, outbox))


def test_an_emergency_requests_offers_go_and_the_staffs_list_loses_the_name(accounts, store, engine):  # noqa: F811
    from app.care.matching import MatchingEngine, MatchSettings
    from tests.care import matching_data

    fam = make_family(accounts, store, "mom@example.com", birth_date=matching_data.BIRTH.isoformat())
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id="tc-1", now=T0)
    index = matching_data.index()
    matching = MatchingEngine(engine, lambda: index, MatchSettings(mode="top_n", batch=2),
                              first_name=store.first_name)
    request = matching.create(fam.guardian_id, fam.child_id, matching_data.PROGRAMME, matching_data.START,
                              matching_data.END, "home", matching_data.HOME, matching_data.BIRTH, matching_data.NOW)
    at = matching_data.NOW.astimezone(T0.tzinfo)
    assert drain(engine, at) >= 1
    [offered] = [n for n in rows(engine, notifications) if n["user_id"] == staff.id]
    assert offered["topic"] == "offer.received" and "민서" not in offered["title"] + offered["body"]

    counts = store.delete_family(fam.guardian_id, at + timedelta(minutes=5))
    assert counts["care_requests"] == 1 and counts["messages_deleted"] >= 2  # both offers' messages
    assert not [m for m in rows(engine, outbox) if m["payload"].get("request_id") == request.id]
    [offered] = [n for n in rows(engine, notifications) if n["user_id"] == staff.id]
    assert "민서" not in offered["title"] + offered["body"] and "아이" in offered["title"] + offered["body"]
