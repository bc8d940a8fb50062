"""Tester 30, finding 6: a booking the provider's staff (or an administrator) cancel tells the
family who cancelled, their reason (a preset in the reader's language, typed words as typed) and
to look for another provider — not the words of the family's own cancellation; the staff's texts
stay as they were and never name the child; a family's own cancel reason reaches no text; the
outbox payload carries the reason (``actor_role`` says whose) and drops it once delivered
(``secret_fields``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.care.notify.messages import SCRUBBED, STAFF_AUDIENCE, render, secret_fields
from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.db.engine import outbox
from app.db.outbox_tables import notifications
from tests.care import test_children as children_tests
from tests.care.test_children import PASSWORD, PROG, T0, WINDOW, make_family

# the fixtures of the children's tests (a migrated database of each kind, the stores on it)
sqlite_template, engine, accounts = children_tests.sqlite_template, children_tests.engine, children_tests.accounts
store, bookings = children_tests.store, children_tests.bookings

FACILITY = "demo-cc-00037"
NAMES = {FACILITY: "교동지역아동센터"}.get
PAYLOAD = {"first_name": "서준", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": FACILITY,
           "programme": "elementary_emergency",
           "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00"}
TYPED = "보일러 고장으로 오늘 휴원합니다"


def told(locale: str, audience: str = "guardian", **fields):
    return render("booking.cancelled", {**PAYLOAD, **fields}, locale, NAMES, audience=audience)


def test_the_family_is_told_the_provider_cancelled_why_and_to_look_elsewhere():
    ko = told("ko", actor_role="provider_staff", reason="preset:closed")
    assert ko.title == "기관이 예약을 취소했습니다"
    assert ko.body == ("교동지역아동센터에서 서준의 초등 시설형 긴급돌봄 예약(12월 7일(월) 17:00–19:00)을 "
                       "취소했습니다. 다른 기관을 찾아보세요.\n"
                       "기관이 남긴 사유: “그 시간에는 운영하지 않습니다”"), ko.body
    en = told("en", actor_role="provider_staff", reason="preset:closed")
    assert en.title == "The provider cancelled a booking"
    assert en.body.startswith("교동지역아동센터 cancelled the booking for 서준 (Elementary emergency care) "
                              "on Mon 7 Dec")
    assert "Please look for another provider" in en.body and en.body.endswith('"We are closed at that time"')
    assert told("en", actor_role="provider_staff", reason=TYPED).body.endswith(f'"{TYPED}"')  # typed: as typed
    admin = told("ko", actor_role="admin", reason=TYPED)
    assert admin.title == "관리자가 예약을 취소했습니다" and TYPED in admin.body and "다른 기관" in admin.body
    own = told("ko", actor_role="guardian")
    codes = {ko.alimtalk_template, en.alimtalk_template, admin.alimtalk_template, own.alimtalk_template}
    assert len(codes) == 4, codes  # each text its own 알림톡 template


def test_the_familys_own_cancellation_reads_as_before_and_quotes_no_reason_of_theirs():
    own = told("ko", actor_role="guardian", reason=TYPED)
    assert own.title == "예약이 취소되었습니다"
    assert own.body == "서준의 초등 시설형 긴급돌봄 예약(12월 7일(월) 17:00–19:00, 교동지역아동센터)이 취소되었습니다."
    assert told("en", actor_role="guardian", reason=TYPED).body == (
        "The booking for 서준 (Elementary emergency care) at 교동지역아동센터 on Mon 7 Dec 17:00–19:00 Korea time "
        "was cancelled.")
    for locale in ("ko", "en"):
        for role in ("guardian", "provider_staff", "admin"):
            staff = told(locale, STAFF_AUDIENCE, actor_role=role, reason=TYPED)
            assert TYPED not in staff.body and "서준" not in staff.title + staff.body, staff.body
    assert told("ko", STAFF_AUDIENCE, actor_role="provider_staff", reason=TYPED).body == (
        "초등 시설형 긴급돌봄 예약(예약번호 3F9A-2C7E)이 취소되었습니다 (12월 7일(월) 17:00–19:00). "
        "자리는 다시 예약할 수 있게 되었습니다.")
    assert told("ko", STAFF_AUDIENCE, actor_role="guardian", reason=TYPED).title == "가족이 예약을 취소했습니다"


def test_a_staff_cancel_puts_its_reason_in_the_payload_and_the_family_reads_it(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    staff = accounts.sign_up("staff@example.com", PASSWORD, role="provider_staff", facility_id=FACILITY, now=T0)
    bookings.publish_slot(FACILITY, PROG, WINDOW[0] - timedelta(minutes=30), WINDOW[1] + timedelta(hours=4), 2)
    b = bookings.book(FACILITY, PROG, fam.child_id, *WINDOW, None, actor_id=fam.guardian_id, now=T0,
                      guardian_id=fam.guardian_id)
    bookings.transition(b.id, "cancel", "provider_staff", staff.id, reason=TYPED, now=T0, timed=False)
    with engine.connect() as conn:
        [payload] = conn.execute(sa.select(outbox.c.payload).where(outbox.c.topic == "booking.cancelled")).scalars()
    assert payload["actor_role"] == "provider_staff" and payload["reason"] == TYPED
    assert "reason" in secret_fields("booking.cancelled")
    worker = OutboxWorker(engine, [InPageSender(engine)], "test-worker", facility_name=NAMES)
    worker.drain(T0 + timedelta(minutes=1))
    with engine.connect() as conn:
        texts = {r.user_id: r for r in conn.execute(sa.select(notifications.c.user_id, notifications.c.title,
                                                                  notifications.c.body))}
        [payload] = conn.execute(sa.select(outbox.c.payload).where(outbox.c.topic == "booking.cancelled")).scalars()
    family = texts[fam.guardian_id]
    assert family.title == "기관이 예약을 취소했습니다" and f"기관이 남긴 사유: “{TYPED}”" in family.body, family.body
    assert "다른 기관을 찾아보세요" in family.body
    assert TYPED not in texts[staff.id].body and family.body != texts[staff.id].body
    assert payload["reason"] == SCRUBBED  # delivered: the typed words are not kept in the outbox
