"""Tester 25, findings 7 and 12: notifications are worded for who reads them — the guardian, or the
provider's staff the outbox reaches through the facility — and Korean particles follow the word
before them (app/korean.py, used by the messages and the pages' ``t()``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import pairwise

import pytest
import sqlalchemy as sa

from app.care.notify.messages import STAFF_AUDIENCE, render
from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.db.engine import make_engine, outbox, upgrade, user_roles, users
from app.db.outbox_tables import notifications
from app.korean import particle, particles

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
FACILITY = "demo-cc-00037"
NAMES = {FACILITY: "교동지역아동센터"}.get
PAYLOAD = {"first_name": "하윤", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": FACILITY,
           "programme": "elementary_emergency",
           "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00",
           "respond_by": "2026-12-05T07:34:00+00:00", "deadline": "2026-12-05T07:34:00+00:00",
           "bookings": [{"booking_id": "b1", "programme": "elementary_emergency", "reference": "3F9A-2C7E",
                         "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00"}],
           "occurrences": [{"start": "2026-12-07T08:00:00+00:00", "end": "2026-12-07T10:00:00+00:00"},
                           {"start": "2026-12-14T08:00:00+00:00", "end": "2026-12-14T10:00:00+00:00"}]}


def staff(topic: str, locale: str = "ko", **fields):
    return render(topic, {**PAYLOAD, **fields}, locale, NAMES, audience=STAFF_AUDIENCE)


def guardian(topic: str, locale: str = "ko", **fields):
    return render(topic, {**PAYLOAD, **fields}, locale, NAMES)


def test_a_familys_cancellation_is_said_to_staff_as_such_and_to_the_guardian_as_theirs():
    told = staff("booking.cancelled", actor_role="guardian")
    assert told.title == "가족이 예약을 취소했습니다"
    assert told.body.startswith("초등 시설형 긴급돌봄 예약(예약번호 3F9A-2C7E)을 가족이 취소했습니다 "
                                "(12월 7일(월) 17:00–19:00)"), told.body
    assert "자녀" not in told.body and "하윤" not in told.body
    by_staff = staff("booking.cancelled", actor_role="provider_staff")
    assert "가족이" not in by_staff.body
    assert "초등 시설형 긴급돌봄 예약(예약번호 3F9A-2C7E)이 취소되었습니다" in by_staff.body
    assert "The family cancelled booking ref. 3F9A-2C7E (Elementary" in \
        staff("booking.cancelled", "en", actor_role="guardian").body
    own = guardian("booking.cancelled", actor_role="guardian")
    assert own.body.startswith("하윤의 초등 시설형 긴급돌봄 예약(12월 7일(월) 17:00–19:00, 교동지역아동센터)이 취소"), \
        own.body
    assert told.alimtalk_template != own.alimtalk_template != by_staff.alimtalk_template


def test_staff_are_told_of_an_automatic_confirmation_not_sent_the_parents_text():
    told = staff("booking.confirmed")
    assert told.title == "예약이 자동 확정되었습니다" and "자동 확정되었습니다" in told.body
    assert "확정했습니다" not in told.body and "교동지역아동센터에서" not in told.body
    assert staff("booking.confirmed", "en").title == "Booking confirmed automatically"
    assert guardian("booking.confirmed").body.startswith(
        "교동지역아동센터에서 하윤의 초등 시설형 긴급돌봄 예약을 확정했습니다")


def test_staff_reminders_ask_them_to_act_and_offers_read_naturally():
    expiring = staff("booking.expiring", first_name=None)
    assert "12월 5일(토) 16:34까지 확정해 주세요" in expiring.body and "자녀" not in expiring.body, expiring.body
    offer = staff("offer.received")
    assert offer.title == "새 돌봄 요청"
    assert "돌봄 돌봄" not in offer.body and "긴급돌봄 돌봄" not in offer.body
    assert offer.body.startswith("초등 시설형 긴급돌봄 요청이 왔습니다: 12월 7일(월)"), offer.body
    assert "하윤" not in offer.body
    lapsed = staff("offer.expired", first_name=None)
    assert "자녀" not in lapsed.title + lapsed.body and "다른 기관에 넘어갔습니다" in lapsed.body
    # a staff text without a name says "the child", never the parent's "your child"
    assert "your child" not in staff("booking.requested", "en", first_name=None).body
    assert "자녀" not in staff("booking.requested", first_name=None).body


@pytest.mark.parametrize("topic", ["booking.sharing_withdrawn", "booking.notes_withdrawn"])
def test_withdrawal_messages_tell_staff_which_booking_in_the_body(topic):
    """Tester 26, finding 9: staff with several bookings that day must know which one: by its
    window and reference; neither names the child (tester 27, finding 8; tester 28, finding 4:
    the care-notes notice named the child after the family had withdrawn sharing)."""
    for locale in ("ko", "en"):
        text = staff(topic, locale)
        assert "하윤" not in text.title + text.body and "3F9A-2C7E" in text.body, text.body


def test_particles_follow_the_word_before_them():
    assert particles("하윤을(를) 등록했습니다") == "하윤을 등록했습니다"
    assert particles("지우을(를) 등록했습니다") == "지우를 등록했습니다"
    assert particles("박도윤(3세 3개월)은(는) 예약할 수 없습니다: 이 기관의 초등 시설형 긴급돌봄은(는)") == \
        "박도윤(3세 3개월)은 예약할 수 없습니다: 이 기관의 초등 시설형 긴급돌봄은"
    assert particles("19:15(으)로 골라 주세요") == "19:15로 골라 주세요"
    assert particles("19:30(으)로") == "19:30으로" and particles("19:00(으)로") == "19:00으로"
    assert particles("서울(으)로") == "서울로" and particles("집(으)로") == "집으로"
    assert particles("수원시은(는)") == "수원시는" and particles("아이이(가)") == "아이가"
    assert particle("Kakao", "(으)로") == "로" and particle("Google", "(으)로") == "로"
    assert particle("Naver", "(으)로") == "로" and particle("PASS", "을(를)") == "를"
    assert particles("{name}을(를)") == "{name}을(를)"  # a word that cannot be read keeps both forms
    assert particles("기관 을(를)") == "기관 을(를)"


@pytest.fixture
def engine(db_url):
    upgrade(db_url)
    found = make_engine(db_url)
    yield found
    found.dispose()


def _user(engine, facility: str | None = None) -> str:
    user_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(users.insert().values(id=user_id, email=f"{user_id[:12]}@example.kr", password_hash="x",
                                           created_at=T0, updated_at=T0, failed_sign_ins=0))
        if facility:
            conn.execute(user_roles.insert().values(user_id=user_id, role="provider_staff", facility_id=facility,
                                                    granted_at=T0))
    return user_id


def test_the_outbox_writes_each_recipient_the_text_of_their_role(engine):
    parent, centre_staff = _user(engine), _user(engine, FACILITY)
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(
            idempotency_key=f"test/{uuid.uuid4().hex}/v1", topic="booking.cancelled", created_at=T0,
            available_at=T0, attempts=0,
            payload={"to": [{"user_id": parent}, {"facility_id": FACILITY}], "actor_role": "guardian", **PAYLOAD}))
    worker = OutboxWorker(engine, [InPageSender(engine)], "test-worker", facility_name=NAMES)
    assert worker.drain(T0) == 1
    with engine.connect() as conn:
        bodies = dict(conn.execute(sa.select(notifications.c.user_id, notifications.c.body)).all())
    assert bodies[centre_staff].startswith("초등 시설형 긴급돌봄 예약(예약번호 3F9A-2C7E)을 가족이 취소"), bodies
    assert bodies[parent].startswith("하윤의 초등 시설형 긴급돌봄 예약"), bodies



@pytest.mark.parametrize("programme", ["elementary_emergency", "always_daycare", "home_visit_emergency"])
def test_no_text_doubles_a_word_or_leaves_both_particles(programme):
    from app.care.notify.messages import topics
    for topic in topics():
        if topic == "account.reset":
            continue
        for audience in ("guardian", STAFF_AUDIENCE):
            for locale in ("ko", "en"):
                text = render(topic, {**PAYLOAD, "programme": programme}, locale, NAMES, audience=audience)
                words = (text.title + " " + text.body).replace("(", " ").replace(")", " ").split()
                assert not any(a == b for a, b in pairwise(words)), (topic, text)
                assert "긴급돌봄 돌봄" not in text.body and "care care" not in text.body, (topic, text.body)
                assert "(를)" not in text.body and "(는)" not in text.body and "(으)" not in text.body, text.body
    matched = guardian("request.matched")
    assert matched.body == ("교동지역아동센터에서 하윤의 초등 시설형 긴급돌봄 요청(12월 7일(월) 17:00–19:00)을 "
                            "맡을 수 있습니다.")
