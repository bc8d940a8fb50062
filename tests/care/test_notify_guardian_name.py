"""Tester 25, finding 7: a guardian's messages name the child the same way whoever made the
change (the outbox reads the first name of the guardian's own child when the writer left it out);
the staff's copy names the child too (tester 26, finding 11: staff must tell which child)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.care.references import booking_reference
from app.db.engine import user_roles, users
from app.db.outbox_tables import notifications
from tests.care.test_children import (  # noqa: F401  (fixtures)
    F1,
    T0,
    accounts,
    book,
    bookings,
    engine,
    make_family,
    sqlite_template,
    store,
)


def _user(engine, facility: str) -> str:  # noqa: F811  (the fixture's name)
    user_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(users.insert().values(id=user_id, email=f"{user_id[:12]}@example.kr", password_hash="x",
                                           created_at=T0, updated_at=T0, failed_sign_ins=0))
        conn.execute(user_roles.insert().values(user_id=user_id, role="provider_staff", facility_id=facility,
                                                granted_at=T0))
    return user_id


def test_the_guardian_is_told_by_the_childs_name_whoever_made_the_change(accounts, store, bookings, engine):  # noqa: F811
    """A change written without the first name (the provider cancelling, a hold lapsing) still
    names the guardian's child, as their own changes do; the staff's copy names the booking by
    its reference, never the child (tester 28)."""
    fam = make_family(accounts, store, "mom@example.com", given_name="서준")
    made = book(bookings, fam.child_id, fam.guardian_id)  # no first name written
    centre_staff = _user(engine, F1)
    bookings.transition(made.id, "cancel", "provider_staff", centre_staff, reason="closed today", now=T0)
    worker = OutboxWorker(engine, [InPageSender(engine)], "test-worker")
    worker.drain(T0 + timedelta(minutes=1))
    with engine.connect() as conn:
        bodies = dict(conn.execute(sa.select(notifications.c.user_id, notifications.c.body).where(
            notifications.c.topic == "booking.cancelled")).all())
    # the provider cancelled: said so, with their reason (tester 30, F6)
    assert bodies[fam.guardian_id].startswith("F1에서 서준의 언제나 어린이집 예약"), bodies
    assert "자녀" not in bodies[fam.guardian_id] and "“closed today”" in bodies[fam.guardian_id]
    ref = booking_reference(made.id)
    assert bodies[centre_staff].startswith(f"언제나 어린이집 예약(예약번호 {ref})이 취소"), bodies
    assert "서준" not in bodies[centre_staff]
