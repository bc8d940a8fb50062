"""Tester 26, findings 8, 9 (staff wording) and 11: every message reads cleanly in both languages for
both audiences (no leading, trailing or doubled space, no unfilled field, and an e-mail subject
that decodes to the title exactly); staff are told which booking (its reference, 예약번호) of a
family's cancellation, a withdrawn consent and a lapsed hold — never the child's name (tester 28:
the inbox shows the child only on a logged "Show the child"); the guardian's decline message quotes
the reason the provider's staff typed."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from app.care.notify.messages import AUDIENCES, LOCALES, PATTERN_TOPICS, STAFF_AUDIENCE, render, topics
from app.care.notify.senders import InPageSender, Outgoing, SmtpSender
from app.care.outbox import OutboxWorker
from app.care.references import booking_reference
from app.db.engine import outbox, user_roles, users
from app.db.outbox_tables import notifications
from tests.care.test_children import (  # noqa: F401  (fixtures)
    F1,
    PROG,
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

PAYLOAD = {"first_name": "하윤", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": "demo-cc-00037",
           "programme": "elementary_emergency",
           "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00",
           "respond_by": "2026-12-05T07:34:00+00:00", "deadline": "2026-12-05T07:34:00+00:00",
           "expires_at": "2026-12-05T07:34:00+00:00", "path": "/account/reset/confirm?token=abc",
           "actor_role": "provider_staff", "reason": "정원이 찼습니다",
           "bookings": [{"booking_id": "b1", "programme": "elementary_emergency", "reference": "3F9A-2C7E",
                         "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00"}],
           "occurrences": [{"start": "2026-12-07T08:00:00+00:00", "end": "2026-12-07T10:00:00+00:00"},
                           {"start": "2026-12-14T08:00:00+00:00", "end": "2026-12-14T10:00:00+00:00"}]}
NAMES = {"demo-cc-00037": "행복지역아동센터"}.get
# Topics staff receive (every one but the guardian-only ones and the reset link).
STAFF_TOPICS = [t for t in topics() if t not in ("account.reset", "booking.declined", "booking.pattern_declined",
                                                 "request.matched", "request.unmatched")]


def _all_rendered():
    for topic in topics():
        for audience in AUDIENCES:
            for locale in LOCALES:
                for actor in ("guardian", "provider_staff", "system"):
                    yield topic, audience, locale, render(topic, {**PAYLOAD, "actor_role": actor}, locale, NAMES,
                                                          base_url="https://dolbom.example.kr", audience=audience)


def test_no_message_has_stray_spaces_or_unfilled_fields():
    for topic, audience, locale, text in _all_rendered():
        for part in (text.title, *text.body.split("\n")):
            if not part:
                continue  # a blank line between paragraphs
            assert part == part.strip(), (topic, audience, locale, part)
            assert "  " not in part, (topic, audience, locale, part)
            assert not re.search(r"[{}]|#\{", part), (topic, audience, locale, part)
        assert text.title and text.body == text.body.strip(), (topic, audience, locale)
        assert "\n" not in text.title


def test_every_subject_decodes_to_its_title_exactly():
    """Finding 8: a subject of several encoded words was written 'Subject: ' + line break, which a
    reader decodes with a leading space."""
    sender = SmtpSender(host="127.0.0.1", port=25, sender="noreply@dolbom.test", starttls=False)
    for topic, audience, locale, text in _all_rendered():
        out = Outgoing(1, topic, "u1", "a@example.kr", "k1", text, T0)
        mail = message_from_bytes(sender.email(out).as_bytes(), policy=policy.default)
        assert str(mail["Subject"]) == text.title, (topic, audience, locale)


@pytest.mark.parametrize("topic", STAFF_TOPICS)
def test_no_staff_message_names_the_child_but_the_booking_by_its_reference(topic):
    """Tester 28, finding 4: a name sent by e-mail or SMS is a read of the child nobody logs."""
    for locale in LOCALES:
        text = render(topic, PAYLOAD, locale, NAMES, audience=STAFF_AUDIENCE)
        assert "하윤" not in text.title + text.body, (topic, locale, text.body)
        if topic.startswith("booking.") or topic in PATTERN_TOPICS:
            assert "3F9A-2C7E" in text.body, (topic, locale, text.body)


def test_withdrawal_tells_staff_which_booking_with_the_window_and_reference():
    """Tester 27, finding 8: the share withdrawal names the booking (window, programme,
    reference), never the child; so does the care-notes one (tester 28, finding 4: it named the
    child after the family had withdrawn sharing)."""
    text = render("booking.sharing_withdrawn", PAYLOAD, "ko", NAMES, audience=STAFF_AUDIENCE)
    assert text.body.startswith("한 가족이 아이 정보 제공 동의를 철회했습니다. 행복지역아동센터의 해당 예약 1건: "
                                "12월 7일(월) 17:00–19:00 초등 시설형 긴급돌봄(예약번호 3F9A-2C7E)."), text.body
    assert "하윤" not in text.body
    en = render("booking.notes_withdrawn", PAYLOAD, "en", NAMES, audience=STAFF_AUDIENCE)
    assert en.body.startswith("A family withdrew their consent to keep care notes"), en.body
    assert "하윤" not in en.body + render("booking.notes_withdrawn", PAYLOAD, "ko", NAMES, audience=STAFF_AUDIENCE).body
    assert "Mon 7 Dec 17:00–19:00, Elementary" in en.body and "ref. 3F9A-2C7E (Korea time)" in en.body, en.body


def test_the_guardians_decline_message_quotes_the_staffs_reason_only():
    ko = render("booking.declined", PAYLOAD, "ko", NAMES)
    assert ko.body.endswith("기관이 남긴 사유: “정원이 찼습니다”"), ko.body
    en = render("booking.declined", {**PAYLOAD, "reason": " Full\n today "}, "en", NAMES)
    assert en.body.endswith('The provider\'s reason: "Full today"'), en.body
    assert render("booking.declined", {**PAYLOAD, "reason": None}, "en", NAMES).body.endswith("reason: (none given)")
    # a reason of anyone else's change (the system's) is never quoted
    system = render("booking.declined", {**PAYLOAD, "actor_role": "system"}, "ko", NAMES)
    assert "정원" not in system.body
    # no other topic may use it but a cancellation, and there only a provider's or an admin's
    # (tester 30, F6): a family's own cancel reason is never quoted
    assert "정원" not in render("booking.confirmed", PAYLOAD, "ko", NAMES).body
    assert "정원" not in render("booking.cancelled", {**PAYLOAD, "actor_role": "guardian"}, "ko", NAMES).body


def _staff_user(engine, facility: str) -> str:  # noqa: F811  (the fixture's name)
    user_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(users.insert().values(id=user_id, email=f"{user_id[:12]}@example.kr", password_hash="x",
                                           created_at=T0, updated_at=T0, failed_sign_ins=0))
        conn.execute(user_roles.insert().values(user_id=user_id, role="provider_staff", facility_id=facility,
                                                granted_at=T0))
    return user_id


def _bodies(engine, topic: str) -> dict[str, str]:  # noqa: F811  (the fixture's name)
    worker = OutboxWorker(engine, [InPageSender(engine)], "test-worker")
    worker.drain(T0 + timedelta(days=2))
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(notifications.c.user_id, notifications.c.body).where(
            notifications.c.topic == topic)).all())


def test_a_lapsed_hold_tells_staff_by_the_reference_in_the_lapses_transaction(
        accounts, store, bookings, engine):  # noqa: F811
    fam = make_family(accounts, store, "mom@example.com", given_name="서준")
    start, end = WINDOW
    bookings.publish_slot(F1, PROG, start - timedelta(minutes=30), end + timedelta(hours=3), 1)
    made = bookings.book(F1, PROG, fam.child_id, start, end, T0 + timedelta(minutes=30), actor_id=fam.guardian_id,
                         now=T0, guardian_id=fam.guardian_id)  # no first name written
    centre_staff = _staff_user(engine, F1)
    assert bookings.expire_holds(T0 + timedelta(minutes=30)) == [made.id]
    with engine.connect() as conn:
        payload = conn.execute(sa.select(outbox.c.payload).where(outbox.c.topic == "booking.expired")).scalar_one()
    assert {"facility_id": F1} in payload["to"] and payload["first_name"] == "서준"
    bodies = _bodies(engine, "booking.expired")
    ref = booking_reference(made.id)
    assert bodies[centre_staff].startswith(f"언제나 어린이집 예약(예약번호 {ref})이 확정 기한까지 답이 없어"), bodies
    assert "서준" not in bodies[centre_staff]
    assert bodies[fam.guardian_id].startswith("F1이 시간 안에 답하지 않아 서준의"), bodies


def test_a_familys_cancel_names_the_booking_to_staff(accounts, store, bookings, engine):  # noqa: F811
    fam = make_family(accounts, store, "dad@example.com", given_name="지우")
    made = book(bookings, fam.child_id, fam.guardian_id)  # no first name written
    centre_staff = _staff_user(engine, F1)
    bookings.transition(made.id, "cancel", "guardian", fam.guardian_id, now=WINDOW[0] - timedelta(minutes=1))
    bodies = _bodies(engine, "booking.cancelled")
    assert bodies[centre_staff].startswith(f"언제나 어린이집 예약(예약번호 {booking_reference(made.id)})을 가족이 "
                                           "취소했습니다"), bodies
    assert "지우" not in bodies[centre_staff]
