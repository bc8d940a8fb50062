"""SmtpSender (app/care/notify/senders.py) against a real local SMTP server (aiosmtpd): a 500–502
answer (a connection out of step; tester 28 saw "500 Line too long" fail a provider's notice for
good after one try) is tried once more on a NEW connection, and the mail arrives exactly once; a
connection is never reused after a failure, nor after sitting idle."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.care.notify.messages import Rendered
from app.care.notify.senders import Outgoing, PermanentError, SmtpSender

from .notify_stand_ins import free_port

FROM = "noreply@dolbom.test"
AT = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


class _Scripted:
    """Answers the DATA commands with ``data_answers`` in turn (then 250), and notes which
    connection (the client's port) each MAIL FROM came on."""

    def __init__(self, data_answers: list[str]) -> None:
        self.data_answers = list(data_answers)
        self.mails: list[Message] = []
        self.mail_peers: list[Any] = []
        self.lock = threading.Lock()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            self.mail_peers.append(session.peer)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.data_answers:
                return self.data_answers.pop(0)
            self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def scripted():
    def start(data_answers: list[str]) -> tuple[_Scripted, SmtpSender]:
        handler = _Scripted(data_answers)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return handler, SmtpSender("127.0.0.1", port, FROM, starttls=False, timeout_s=5)

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()


def outgoing(n: int = 1) -> Outgoing:
    return Outgoing(n, "booking.requested", f"user-{n}", f"staff{n}@example.kr", f"dolbom-key-{n}",
                    Rendered("ko", "새 예약 요청", "예약 요청이 왔습니다.", ""), AT)


def test_a_500_to_data_is_tried_once_more_on_a_new_connection_and_delivered_once(scripted):
    handler, sender = scripted(["500 Line too long (see RFC5321 4.5.3.1.6)"])
    try:
        assert sender.send(outgoing()).startswith("<dolbom-key-1@")
    finally:
        sender.close()
    assert len(handler.mails) == 1 and handler.mails[0]["To"] == "staff1@example.kr"
    assert len(handler.mail_peers) == 2 and handler.mail_peers[0] != handler.mail_peers[1]  # a new connection


def test_500_twice_is_permanent_and_other_5xx_are_not_retried(scripted):
    handler, sender = scripted(["501 5.5.2 syntax error", "500 Line too long", "554 5.7.1 rejected"])
    with pytest.raises(PermanentError, match="500"):
        sender.send(outgoing(1))
    assert len(handler.mail_peers) == 2
    with pytest.raises(PermanentError, match="554"):
        sender.send(outgoing(2))
    assert len(handler.mail_peers) == 3 and handler.mails == []  # a 554 is final at once
    sender.send(outgoing(3))
    sender.close()
    assert [m["To"] for m in handler.mails] == ["staff3@example.kr"]


def test_a_connection_is_never_reused_after_a_failure_or_when_idle(scripted):
    handler, sender = scripted(["451 4.3.0 try again later"])
    try:
        with pytest.raises(Exception, match="451"):
            sender.send(outgoing(1))
        sender.send(outgoing(2))
        sender.send(outgoing(3))  # right after a success: the same connection
        sender.max_idle_s = 0.0  # idle longer than allowed: a new one
        sender.send(outgoing(4))
    finally:
        sender.close()
    peers = handler.mail_peers
    assert len(peers) == 4
    assert peers[1] != peers[0] and peers[2] == peers[1] and peers[3] != peers[2]
    assert [m["To"] for m in handler.mails] == [f"staff{n}@example.kr" for n in (2, 3, 4)]
