"""Local stand-ins for the outbox worker's tests: a real SMTP server (aiosmtpd) on 127.0.0.1 and an
HTTP stand-in of NHN Cloud's 알림톡 gateway (werkzeug) that checks the documented request (the
``X-Secret-Key`` header, the JSON body's fields) and answers with the documented envelopes:
success, a refusal (``header.isSuccessful`` false with a result code), -1005 for an
``X-NC-API-IDEMPOTENCY-KEY`` used within 10 minutes (as the gateway does), HTTP 500, a slow answer,
or an answer held until the test releases it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

APP_KEY, SECRET_KEY, SENDER_KEY = "test-app-key", "test-secret-key", "0123456789abcdef0123456789abcdef01234567"
DEDUPE_WINDOW_S = 600.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Collect:
    """aiosmtpd handler: keeps every mail; refuses recipients in ``refuse`` (550) and answers the
    next ``fail_data`` DATA commands with 451 (try later)."""

    def __init__(self) -> None:
        self.mails: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.fail_data = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such user"  # servers quote the address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.fail_data:
                self.fail_data -= 1
                return "451 4.3.0 try again later"
            self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpStandIn:
    """A running aiosmtpd server: ``host``, ``port``, ``handler.mails``."""

    def __init__(self) -> None:
        self.handler = _Collect()
        self.host, self.port = "127.0.0.1", free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    def __enter__(self) -> SmtpStandIn:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def mails(self) -> list[Message]:
        return self.handler.mails


@dataclass
class Seen:
    key: str
    body: dict[str, Any]
    answer: int  # the header resultCode answered (or the HTTP status when >= 500)


@dataclass
class GatewayStandIn:
    """The 알림톡 gateway. Knobs: ``fail_5xx`` (answer HTTP 500 to the next n requests),
    ``delay_s`` (wait before answering), ``hold`` (set: wait until it is cleared),
    ``refuse_code`` (answer every request with this header result code, e.g. -3010)."""

    fail_5xx: int = 0
    delay_s: float = 0.0
    refuse_code: int | None = None
    hold: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    seen: list[Seen] = field(default_factory=list)
    accepted: dict[str, float] = field(default_factory=dict)
    in_flight: Counter[str] = field(default_factory=Counter)
    overlaps: list[str] = field(default_factory=list)  # keys sent again while a send of them was running
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.released.set()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GatewayStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.thread.join(5)

    def hold_answers(self) -> None:
        """Answer nothing until :meth:`release` (the request is received and accepted first)."""
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def keys(self) -> Counter[str]:
        with self.lock:
            return Counter(s.key for s in self.seen)

    @staticmethod
    def _envelope(code: int, message: str, results: list[dict[str, Any]] | None = None,
                  request_id: str | None = None, grouping: str | None = None, status: int = 200) -> Response:
        body: dict[str, Any] = {"header": {"resultCode": code, "resultMessage": message,
                                           "isSuccessful": code == 0}}
        if results is not None:
            body["message"] = {"requestId": request_id, "senderGroupingKey": grouping, "sendResults": results}
        return Response(json.dumps(body), status=status, content_type="application/json;charset=UTF-8")

    @Request.application
    def app(self, request: Request) -> Response:
        expected = f"/alimtalk/v2.3/appkeys/{APP_KEY}/raw-messages"
        if request.method != "POST" or request.path != expected:
            return Response("not found", status=404)
        if request.headers.get("X-Secret-Key") != SECRET_KEY:
            return self._envelope(-1001, "Invalid secretKey.", status=401)
        if not (request.content_type or "").startswith("application/json"):
            return self._envelope(-3002, "Field is not valid.")
        try:
            body = json.loads(request.get_data(as_text=True))
            recipient = body["recipientList"][0]
            for name, value in (("senderKey", body["senderKey"]), ("templateCode", body["templateCode"]),
                                ("recipientNo", recipient["recipientNo"]), ("content", recipient["content"])):
                if not isinstance(value, str) or not value:
                    return self._envelope(-2001, f"The '{name}' must not be blank.")
            if body["senderKey"] != SENDER_KEY or len(body["templateCode"]) > 20:
                return self._envelope(-2000, "The 'templateCode' must be at less than or equal to 20.")
        except (ValueError, KeyError, IndexError, TypeError):
            return self._envelope(-3002, "Field is not valid.")
        key = request.headers.get("X-NC-API-IDEMPOTENCY-KEY", "")
        with self.lock:
            if self.in_flight[key]:
                self.overlaps.append(key)
            self.in_flight[key] += 1
        try:
            return self._answer(key, body, recipient)
        finally:
            with self.lock:
                self.in_flight[key] -= 1

    def _answer(self, key: str, body: dict[str, Any], recipient: dict[str, Any]) -> Response:
        with self.lock:
            if self.fail_5xx:
                self.fail_5xx -= 1
                self.seen.append(Seen(key, body, 500))
                return Response("internal error", status=500)
            first = self.accepted.get(key)
            if key and first is not None and time.time() - first < DEDUPE_WINDOW_S:
                self.seen.append(Seen(key, body, -1005))
                return self._envelope(-1005, "The same 'X-NC-API-IDEMPOTENCY-KEY' was used within the last "
                                             "10 minute.")
            if self.refuse_code is not None:
                self.seen.append(Seen(key, body, self.refuse_code))
                return self._envelope(self.refuse_code, "The contents are not matched to template.")
            self.accepted[key] = time.time()
            self.seen.append(Seen(key, body, 0))
        if self.delay_s:
            time.sleep(self.delay_s)
        self.released.wait(60)
        return self._envelope(0, "SUCCESS", [{"recipientSeq": 1, "recipientNo": recipient["recipientNo"],
                                              "resultCode": 0, "resultMessage": "SUCCESS",
                                              "recipientGroupingKey": recipient.get("recipientGroupingKey")}],
                              request_id=uuid.uuid4().hex, grouping=body.get("senderGroupingKey"))
