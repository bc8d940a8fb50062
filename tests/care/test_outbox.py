"""The outbox worker (app/care/outbox.py) against a real local SMTP server and a stand-in of the
알림톡 gateway, on SQLite and PostgreSQL: delivery in each person's language, retries with backoff,
permanent failures, two workers at once, a slow send, a worker killed mid-send."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.care import outbox as outbox_module
from app.care.bookings import BookingStore
from app.care.notify.messages import render
from app.care.notify.senders import AlimtalkSender, InPageSender, SmtpSender, delivery_key
from app.care.outbox import OutboxWorker, build_worker, failed_messages
from app.db.engine import make_engine, outbox, upgrade, user_roles, users
from app.db.outbox_tables import notifications, outbox_deliveries, user_contacts
from app.reference import programmes

from .notify_stand_ins import APP_KEY, SECRET_KEY, SENDER_KEY, GatewayStandIn, SmtpStandIn

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
FACILITY, OTHER_FACILITY = "demo-dc-00001", "demo-dc-00002"
PROGRAMME = "always_daycare"
FROM = "noreply@dolbom.test"


class Db:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)


@pytest.fixture
def db(db_url):
    upgrade(db_url)
    found = Db(db_url)
    yield found
    found.engine.dispose()


@pytest.fixture
def smtp():
    with SmtpStandIn() as server:
        yield server


@pytest.fixture
def gateway():
    with GatewayStandIn() as server:
        yield server


def add_user(db: Db, *, locale: str | None = None, phone: str | None = None, email_opt_in: bool = True,
             sms_opt_in: bool = True, facility: str | None = None) -> str:
    user_id = uuid.uuid4().hex
    with db.engine.begin() as conn:
        conn.execute(users.insert().values(id=user_id, email=f"{user_id[:12]}@example.kr", password_hash="x",
                                           created_at=T0, updated_at=T0, failed_sign_ins=0))
        if facility:
            conn.execute(user_roles.insert().values(user_id=user_id, role="provider_staff", facility_id=facility,
                                                    granted_at=T0))
        if locale or phone:
            conn.execute(user_contacts.insert().values(user_id=user_id, phone=phone, locale=locale or "ko",
                                                       email_opt_in=email_opt_in, sms_opt_in=sms_opt_in,
                                                       updated_at=T0))
    return user_id


def email_of(db: Db, user_id: str) -> str:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(users.c.email).where(users.c.id == user_id)).scalar_one()


def enqueue(db: Db, topic: str, to: list[dict], *, at: datetime = T0, **fields) -> tuple[int, str]:
    key = f"test/{uuid.uuid4().hex}/v1"
    payload = {"to": to, "first_name": "민지", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": FACILITY,
               "programme": PROGRAMME, "window_start": "2026-12-03T00:00:00+00:00",
               "window_end": "2026-12-03T04:00:00+00:00", **fields}
    with db.engine.begin() as conn:
        new_id = conn.execute(outbox.insert().values(idempotency_key=key, topic=topic, payload=payload,
                                                     created_at=at, available_at=at, attempts=0)).inserted_primary_key
    assert new_id is not None
    return int(new_id[0]), key


def message(db: Db, message_id: int) -> sa.Row:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).one()


def deliveries(db: Db, message_id: int) -> dict[str, sa.Row]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox_deliveries).where(outbox_deliveries.c.outbox_id == message_id)).all()
    return {f"{r.channel}:{r.user_id}": r for r in rows}


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def smtp_sender(smtp: SmtpStandIn) -> SmtpSender:
    return SmtpSender(smtp.host, smtp.port, FROM, starttls=False, timeout_s=5)


def sms_sender(gateway: GatewayStandIn, timeout_s: float = 2.0) -> AlimtalkSender:
    return AlimtalkSender(gateway.url, APP_KEY, SECRET_KEY, SENDER_KEY, timeout_s=timeout_s)


def worker(db: Db, *senders, lease: float = 60.0, **options) -> OutboxWorker:
    return OutboxWorker(db.engine, list(senders), f"test-{uuid.uuid4().hex[:6]}", lease_seconds=lease,
                        rng=random.Random(7), **options)


NAME_KO = programmes()[PROGRAMME]["name_ko"]
NAME_EN = "Always-open daycare"  # the pages' name (app/translations programme_<code>)


# -- delivery, language, recipients ---------------------------------------------------------------

def test_each_person_gets_email_page_and_sms_in_their_language(db, smtp, gateway):
    guardian = add_user(db, locale="en", phone="010-1234-5678")
    message_id, key = enqueue(db, "booking.confirmed", [{"user_id": guardian}])
    w = worker(db, InPageSender(db.engine), smtp_sender(smtp), sms_sender(gateway))

    assert w.drain(T0) == 1

    [mail] = smtp.mails
    assert mail["To"] == email_of(db, guardian) and mail["From"] == FROM
    assert mail["Subject"] == "Booking confirmed"
    assert mail["Message-ID"] == f"<{delivery_key(key, 'email', guardian)}@dolbom.test>"
    body = mail.get_payload(decode=True).decode()
    assert f"confirmed the booking for 민지 ({NAME_EN}): Thu 3 Dec 09:00–13:00 Korea time" in body
    [request] = gateway.seen
    assert request.key == delivery_key(key, "sms", guardian)
    assert request.body["recipientList"][0]["recipientNo"] == "01012345678"
    assert request.body["templateCode"] == "DBM_BK_CONF_EN"
    assert request.body["recipientList"][0]["content"] == body.strip()
    with db.engine.connect() as conn:
        [note] = conn.execute(sa.select(notifications)).all()
    assert (note.user_id, note.locale, note.title) == (guardian, "en", "Booking confirmed")
    row = message(db, message_id)
    assert aware(row.sent_at) >= T0 and row.claimed_by is None and row.attempts == 1
    assert {r.status for r in deliveries(db, message_id).values()} == {"sent"}


def test_a_facility_means_its_staff_in_korean_by_default(db, smtp):
    staff = sorted([add_user(db, facility=FACILITY), add_user(db, facility=FACILITY)])
    add_user(db, facility=OTHER_FACILITY)
    enqueue(db, "booking.requested", [{"facility_id": FACILITY}])

    assert worker(db, smtp_sender(smtp)).drain(T0) == 1

    assert sorted(m["To"] for m in smtp.mails) == sorted(email_of(db, s) for s in staff)
    assert {m["Subject"] for m in smtp.mails} == {"새 예약 요청"}
    body = smtp.mails[0].get_payload(decode=True).decode()
    assert f"{NAME_KO} 예약 요청이 왔습니다(예약번호 3F9A-2C7E): 12월 3일(목) 09:00–13:00" in body, body
    assert "민지" not in body  # staff read the child in the inbox, where each read is logged


def test_opted_out_channels_are_not_used(db, smtp, gateway):
    person = add_user(db, locale="ko", phone="01012345678", email_opt_in=False, sms_opt_in=False)
    message_id, _ = enqueue(db, "request.unmatched", [{"user_id": person}])

    assert worker(db, InPageSender(db.engine), smtp_sender(smtp), sms_sender(gateway)).drain(T0) == 1

    assert smtp.mails == [] and gateway.seen == []
    assert list(deliveries(db, message_id)) == [f"in_page:{person}"]


def test_no_child_data_but_the_first_name_in_any_message(db, smtp, gateway):
    guardian = add_user(db, locale="ko", phone="01012345678")
    enqueue(db, "booking.declined", [{"user_id": guardian}], child_id="child-4711", last_name="김",
            birth_date="2021-05-04", reason="땅콩 알레르기가 있어 받을 수 없습니다")

    assert worker(db, InPageSender(db.engine), smtp_sender(smtp), sms_sender(gateway)).drain(T0) == 1

    with db.engine.connect() as conn:
        page = conn.execute(sa.select(notifications.c.title, notifications.c.body)).one()
    mail = smtp.mails[0]
    texts = [mail["Subject"], mail.get_payload(decode=True).decode(),
             gateway.seen[0].body["recipientList"][0]["content"], page.title, page.body]
    for text in texts:
        for secret in ("child-4711", "김민지", "2021-05-04", "땅콩", "알레르기"):
            assert secret not in text
    assert all("민지" in text for text in texts[1:3])


# -- time zones -----------------------------------------------------------------------------------

@pytest.fixture
def server_in_los_angeles(monkeypatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    assert datetime.now().astimezone().utcoffset() in (timedelta(hours=-8), timedelta(hours=-7))
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_seoul_time_whatever_the_servers_zone(server_in_los_angeles, db):
    guardian = add_user(db, locale="ko")
    staff = add_user(db, locale="en", facility=FACILITY)
    # 15:30 UTC on 2 December is 00:30 on 3 December in Seoul (and 07:30 on the 2nd in LA).
    enqueue(db, "booking.expiring", [{"user_id": guardian}], deadline="2026-12-02T15:30:00Z")
    enqueue(db, "offer.received", [{"facility_id": FACILITY}], deadline="2026-12-02T15:30:00+00:00")

    assert worker(db, InPageSender(db.engine)).drain(T0) == 2

    with db.engine.connect() as conn:
        bodies = dict(conn.execute(sa.select(notifications.c.user_id, notifications.c.body)).all())
    assert "12월 3일(목) 09:00–13:00" in bodies[guardian] and "12월 3일(목) 00:30까지" in bodies[guardian]
    assert "Thu 3 Dec 09:00–13:00 Korea time" in bodies[staff]
    assert "Please answer by Thu 3 Dec 00:30 Korea time." in bodies[staff]


def test_a_window_across_midnight_names_both_days():
    text = render("request.matched", {"programme": PROGRAMME, "facility_id": FACILITY,
                                      "window_start": "2026-12-03T12:00:00+00:00",
                                      "window_end": "2026-12-03T23:00:00+00:00"}, "ko").body
    assert "12월 3일(목) 21:00 – 12월 4일(금) 08:00" in text and "자녀" in text


CONTRACT_TOPICS = ("booking.requested", "booking.confirmed", "booking.declined", "booking.expiring",
                   "booking.expired", "booking.cancelled", "offer.received", "offer.expired", "request.matched",
                   "request.unmatched")

UNNAMED_TOPICS = ("booking.requested", "booking.expiring", "offer.received", "offer.expired")
"""Topics only staff receive: their text never names the child (tester 28)."""


@pytest.mark.parametrize("topic", CONTRACT_TOPICS)
def test_every_topic_has_both_languages_and_a_template_code_kakao_accepts(topic):
    payload = {"first_name": "민지", "booking_id": "3f9a2c7e5b6d4e1f", "facility_id": FACILITY,
               "programme": PROGRAMME, "window_start": "2026-12-03T00:00:00+00:00",
               "window_end": "2026-12-03T04:00:00+00:00", "deadline": "2026-12-02T15:30:00+00:00"}
    ko, en = render(topic, payload, "ko"), render(topic, payload, "en")
    assert ko.title != en.title
    assert ("민지" in ko.body and "민지" in en.body) == (topic not in UNNAMED_TOPICS), (ko.body, en.body)
    assert "{" not in ko.body + en.body
    codes = {ko.alimtalk_template, en.alimtalk_template}
    assert len(codes) == 2 and all(0 < len(code) <= 20 for code in codes)


def test_a_naive_or_missing_time_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="window_start must carry an offset"):
        render("booking.confirmed", {"programme": PROGRAMME, "facility_id": FACILITY,
                                     "window_start": "2026-12-03T09:00:00", "window_end": "2026-12-03T13:00:00Z"},
               "ko")
    with pytest.raises(ValueError, match="deadline"):
        render("offer.received", {"programme": PROGRAMME, "window_start": "2026-12-03T00:00:00Z",
                                  "window_end": "2026-12-03T04:00:00Z"}, "en")
    with pytest.raises(ValueError, match="no messages in 'ja'"):
        render("booking.confirmed", {}, "ja")


# -- retries, backoff, failures -------------------------------------------------------------------

def test_gateway_5xx_is_retried_with_backoff_and_the_email_is_not_sent_again(db, smtp, gateway):
    guardian = add_user(db, locale="ko", phone="01012345678")
    message_id, _ = enqueue(db, "booking.confirmed", [{"user_id": guardian}])
    gateway.fail_5xx = 2
    w = worker(db, smtp_sender(smtp), sms_sender(gateway), backoff_base_s=30, backoff_cap_s=3600)

    assert w.drain(T0) == 0
    first = aware(message(db, message_id).available_at)
    assert 15 <= (first - T0).total_seconds() < 31  # base x [0.5, 1), plus the drain's own time
    assert "HTTP 500" in message(db, message_id).last_error
    assert w.drain(T0 + timedelta(seconds=10)) == 0 and len(gateway.seen) == 1  # not due yet
    assert w.drain(first) == 0
    second = aware(message(db, message_id).available_at)
    assert 30 <= (second - first).total_seconds() < 61  # doubled
    assert w.drain(second) == 1

    assert [s.answer for s in gateway.seen] == [500, 500, 0]
    assert len(smtp.mails) == 1  # e-mail went out on the first drain, once
    row = deliveries(db, message_id)[f"sms:{guardian}"]
    assert (row.status, row.attempts) == ("sent", 3)
    assert message(db, message_id).attempts == 3


def test_a_timeout_is_retried_inside_the_gateways_duplicate_window(db, gateway):
    guardian = add_user(db, phone="01012345678")
    message_id, _ = enqueue(db, "booking.confirmed", [{"user_id": guardian}])
    gateway.delay_s = 1.5
    w = worker(db, sms_sender(gateway, timeout_s=0.5), lease=60, backoff_base_s=1000, backoff_cap_s=5000)

    assert w.drain(T0) == 0

    row = message(db, message_id)
    assert "no answer within the timeout" in row.last_error
    # a 1000 s backoff would outlive the gateway's 600 s memory of the key: capped to 600 - 60 - 5
    assert (aware(row.available_at) - T0).total_seconds() <= 535 + 2


def test_smtp_4xx_is_retried_and_5xx_fails_that_recipient_at_once(db, smtp, caplog):
    caplog.set_level(logging.INFO)
    ok, refused = add_user(db), add_user(db)
    smtp.handler.refuse.add(email_of(db, refused))
    smtp.handler.fail_data = 1
    message_id, _ = enqueue(db, "request.matched", [{"user_id": ok}, {"user_id": refused}])
    w = worker(db, smtp_sender(smtp), backoff_base_s=1, backoff_cap_s=1)

    assert w.drain(T0) == 0
    rows = deliveries(db, message_id)
    assert rows[f"email:{refused}"].status == "failed" and "550" in rows[f"email:{refused}"].last_error
    assert rows[f"email:{ok}"].status == "pending" and "451" in rows[f"email:{ok}"].last_error
    assert w.drain(T0 + timedelta(seconds=5)) == 1

    assert [m["To"] for m in smtp.mails] == [email_of(db, ok)]
    row = message(db, message_id)
    assert row.sent_at is not None and "550" in row.last_error  # sent, with the failed recipient kept
    # the server's text quoted the address: neither the log nor last_error keeps it
    assert "<address>" in row.last_error and email_of(db, refused) not in row.last_error
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app."))  # not the server's
    assert "550" in ours and email_of(db, refused) not in ours


def test_permanent_gateway_refusal_and_invalid_number_fail_at_once(db, gateway):
    landline = add_user(db, phone="02-1234-5678")
    mobile = add_user(db, phone="01012345678")
    bad_id, _ = enqueue(db, "booking.confirmed", [{"user_id": landline}])
    refused_id, _ = enqueue(db, "booking.confirmed", [{"user_id": mobile}])
    gateway.refuse_code = -3010

    assert worker(db, sms_sender(gateway)).drain(T0) == 0

    assert [s.key for s in gateway.seen] == [delivery_key(message(db, refused_id).idempotency_key, "sms", mobile)]
    for message_id, why in ((bad_id, "not a Korean mobile number"), (refused_id, "(-3010)")):
        row = message(db, message_id)
        assert row.failed_at is not None and row.attempts == 1 and why in row.last_error
    listed = {m["id"]: m for m in failed_messages(db.engine)}
    assert set(listed) == {bad_id, refused_id} and "(-3010)" in listed[refused_id]["last_error"]


def test_out_of_attempts_fails_and_is_listed(db, gateway):
    guardian = add_user(db, phone="01012345678")
    message_id, _ = enqueue(db, "booking.cancelled", [{"user_id": guardian}])
    gateway.fail_5xx = 100
    w = worker(db, sms_sender(gateway), max_attempts=3, backoff_base_s=1, backoff_cap_s=1)

    for i in range(3):
        assert w.drain(T0 + timedelta(seconds=10 * i)) == 0
    assert w.drain(T0 + timedelta(hours=1)) == 0

    assert len(gateway.seen) == 3
    row = message(db, message_id)
    assert row.failed_at is not None and row.attempts == 3 and "out of attempts (3)" in row.last_error
    assert failed_messages(db.engine)[0]["id"] == message_id
    assert deliveries(db, message_id)[f"sms:{guardian}"].status == "failed"


def test_a_message_nobody_can_receive_fails_visibly(db):
    message_id, _ = enqueue(db, "booking.requested", [{"facility_id": "no-staff-here"}])
    no_to, _ = enqueue(db, "booking.confirmed", [])

    assert worker(db, InPageSender(db.engine)).drain(T0) == 0

    assert "no recipient can be reached" in message(db, message_id).last_error
    assert "'to'" in message(db, no_to).last_error
    assert message(db, no_to).failed_at is not None


def test_bookings_messages_reach_staff_and_guardian(db, smtp):
    guardian = add_user(db, locale="en")
    staff = add_user(db, facility=FACILITY)
    store = BookingStore(db.engine)
    start = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    store.publish_slot(FACILITY, PROGRAMME, start, start + timedelta(hours=4), 2)
    booking = store.book(FACILITY, PROGRAMME, "child-1", start, start + timedelta(hours=4), None, now=T0,
                         guardian_id=guardian, first_name="서연")
    store.transition(booking.id, "confirm", "provider_staff", staff, now=T0, first_name="서연")

    assert worker(db, smtp_sender(smtp)).drain(T0 + timedelta(seconds=1)) == 2

    subjects = {m["To"]: m["Subject"] for m in smtp.mails}
    assert subjects == {email_of(db, staff): "새 예약 요청", email_of(db, guardian): "Booking confirmed"}
    texts = {m["To"]: m.get_payload(decode=True).decode() for m in smtp.mails}
    assert "서연" in texts[email_of(db, guardian)] and "서연" not in texts[email_of(db, staff)], texts


# -- once: two workers, slow sends, a killed worker -------------------------------------------------

def test_two_workers_draining_at_once_send_each_message_once(db, smtp):
    people = [add_user(db) for _ in range(5)]
    ids = [enqueue(db, "request.matched", [{"user_id": people[i % 5]}])[0] for i in range(40)]
    engines = [make_engine(db.url) for _ in range(2)]
    workers = [OutboxWorker(e, [smtp_sender(smtp), InPageSender(e)], f"w{i}", lease_seconds=60, batch=7)
               for i, e in enumerate(engines)]
    barrier, counts = threading.Barrier(2), [0, 0]

    def run(i: int) -> None:
        barrier.wait()
        counts[i] = workers[i].drain(T0)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for e in engines:
        e.dispose()

    assert sum(counts) == 40
    message_ids = [m["Message-ID"] for m in smtp.mails]
    assert len(message_ids) == 40 and len(set(message_ids)) == 40
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(notifications)).scalar() == 40
    assert all(message(db, i).sent_at is not None for i in ids)


def test_a_slow_send_is_never_handed_to_another_worker(db, gateway, monkeypatch):
    # Each send takes 0.12 s (the sender's timeout is 0.5 s, so with the margin shortened from
    # 5 s to 2.5 s here, the lease must exceed 2 x 0.5 + 2.5 s: 3.6 s). A claims 40 messages at
    # once, which take A at least 4.8 s: those A has not reached when their lease ends go to B,
    # and A, finding its claim gone, does not send them too. The stand-in records any request
    # for a key that arrives while one for the same key is running.
    monkeypatch.setattr(outbox_module, "LEASE_MARGIN_S", 2.5)
    guardian = add_user(db, phone="01012345678")
    ids = [enqueue(db, "booking.confirmed", [{"user_id": guardian}])[0] for _ in range(40)]
    gateway.delay_s = 0.12
    a = OutboxWorker(db.engine, [sms_sender(gateway, timeout_s=0.5)], "A", lease_seconds=3.6, batch=40)
    b_engine = make_engine(db.url)
    b = OutboxWorker(b_engine, [sms_sender(gateway, timeout_s=0.5)], "B", lease_seconds=3.6, batch=40)
    sent = {"A": 0, "B": 0}

    def run_a() -> None:
        sent["A"] = a.drain(datetime.now(UTC))

    thread = threading.Thread(target=run_a)
    thread.start()
    while thread.is_alive():
        sent["B"] += b.drain(datetime.now(UTC))
        time.sleep(0.2)
    thread.join()
    b_engine.dispose()

    assert gateway.overlaps == []
    assert len(gateway.accepted) == 40  # every message, each accepted once
    if sent["A"] + sent["B"] < 40:  # a send timed out on a loaded machine: its retry is due later
        sent["B"] += b.drain(datetime.now(UTC) + timedelta(hours=1))
    assert sent["B"] > 0  # B took over the messages whose lease ended before A reached them
    assert sent["A"] + sent["B"] == 40
    assert all(message(db, i).sent_at is not None for i in ids)
    assert gateway.overlaps == []


def test_a_lease_shorter_than_a_send_is_refused(db, smtp, gateway):
    with pytest.raises(ValueError, match=r"lease_seconds \(40\) must exceed the longest send"):
        OutboxWorker(db.engine, [smtp_sender(smtp)], "w", lease_seconds=40)  # 10 x 5 s
    with pytest.raises(ValueError, match="idempotency window"):
        OutboxWorker(db.engine, [sms_sender(gateway)], "w", lease_seconds=600)


def test_a_worker_killed_mid_send_is_reclaimed_after_the_lease_with_the_same_key(db, gateway):
    guardian = add_user(db, phone="01012345678")
    message_id, key = enqueue(db, "booking.confirmed", [{"user_id": guardian}])
    gateway.hold_answers()  # the gateway takes the request, then answers nothing
    child = subprocess.Popen([sys.executable, "-m", "tests.care.outbox_child", db.url, gateway.url,
                              T0.isoformat(), "40"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not gateway.seen and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert gateway.seen, "the child worker never reached the gateway"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    gateway.release()

    row = message(db, message_id)
    assert row.sent_at is None and row.claimed_by.startswith("child/")
    assert deliveries(db, message_id)[f"sms:{guardian}"].status == "sending"
    assert deliveries(db, message_id)[f"in_page:{guardian}"].status == "sent"

    parent = worker(db, InPageSender(db.engine), sms_sender(gateway), lease=40)
    assert parent.drain(T0 + timedelta(seconds=39)) == 0  # the dead worker's lease still holds
    assert len(gateway.seen) == 1
    assert parent.drain(T0 + timedelta(seconds=41)) == 1

    sms_key = delivery_key(key, "sms", guardian)
    assert [(s.key, s.answer) for s in gateway.seen] == [(sms_key, 0), (sms_key, -1005)]
    assert list(gateway.accepted) == [sms_key]  # accepted once: the resend was recognised
    sms = deliveries(db, message_id)[f"sms:{guardian}"]
    assert (sms.status, sms.attempts, sms.provider_message_id) == ("sent", 2, f"duplicate:{sms_key}")
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(notifications)).scalar() == 1
    row = message(db, message_id)
    assert row.sent_at is not None and row.attempts == 2 and row.claimed_by is None


# -- settings -------------------------------------------------------------------------------------

def test_build_worker_turns_on_configured_channels_and_logs_no_address(db, caplog):
    caplog.set_level(logging.INFO, logger="app.care.outbox")
    settings = {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": 2525, "NOTIFY_SMTP_FROM": FROM,
                "NOTIFY_SMTP_PASSWORD": "hunter2-secret", "NOTIFY_ALIMTALK_URL": "https://gw.example",
                "NOTIFY_ALIMTALK_APP_KEY": "app-key-secret", "NOTIFY_ALIMTALK_SECRET_KEY": "sk-secret",
                "NOTIFY_ALIMTALK_SENDER_KEY": "sender-secret", "NOTIFY_LEASE_S": 120}
    w = build_worker(db.engine, settings, worker_id="host:1")
    assert sorted(w.senders) == ["email", "in_page", "sms"]
    logged = caplog.text
    assert "e-mail (SMTP)" in logged and "알림톡" in logged
    for secret in (FROM, "hunter2", "app-key", "sk-secret", "sender-secret", "gw.example"):
        assert secret not in logged

    caplog.clear()
    assert sorted(build_worker(db.engine, {}, worker_id="host:2").senders) == ["in_page"]
    assert "off (not configured): e-mail, 알림톡/SMS" in caplog.text
