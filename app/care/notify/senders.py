"""The channels a notification goes out on, behind one small interface (:class:`Sender`):

- :class:`SmtpSender`: e-mail through an SMTP server (smtplib; STARTTLS and a login when set);
- :class:`AlimtalkSender`: KakaoTalk 알림톡 through NHN Cloud's KakaoTalk Bizmessage gateway
  (requests), which falls back to SMS on the gateway's side when the operator sets that up;
- :class:`InPageSender`: a row of ``notifications`` that the pages list.

Every sender gets the delivery's idempotency key (:func:`delivery_key`, derived from the outbox
message's key, the channel and the recipient) and gives it to the receiving side so that a
second copy of the same delivery can be recognised: the e-mail's ``Message-ID``, the 알림톡
request's ``X-NC-API-IDEMPOTENCY-KEY`` header (and grouping keys), the notification row's unique
(message, person). A sender raises :class:`TransientError` for what a later try may fix (a timeout,
a 5xx, a refused login) and :class:`PermanentError` for what it cannot (an invalid number, a
recipient the server refuses for good). Nothing here logs an address, a phone number or a key.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime
from typing import Any, Protocol

import requests
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.db.outbox_tables import notifications

from .messages import Rendered

log = logging.getLogger(__name__)

EMAIL, SMS, IN_PAGE = "email", "sms", "in_page"
CHANNELS = (EMAIL, SMS, IN_PAGE)
SMTP_SYNTAX_CODES = frozenset({500, 501, 502})
"""SMTP replies saying the server could not parse a command or line (RFC 5321 4.2.2: syntax
error, syntax error in parameters, command not implemented). Our commands and lines are well
formed, so such a reply means the connection's stream was out of step (e.g. a connection kept
idle, then half-closed, or a line cut short): :meth:`SmtpSender.send` tries once more on a new
connection before counting it as permanent. Tester 28 saw ``500 Line too long`` fail a notice
for good after one try."""
SMTP_MAX_IDLE_S = 30.0
"""How long a kept SMTP connection may sit unused and still be used (seconds); older, a new one
is opened (servers drop idle connections, often after a few minutes, RFC 5321 4.5.3.2.7)."""


_ADDRESS = re.compile(r"[^\s<>@,;:\"]+@[^\s<>@,;:\"]+")
_NUMBER = re.compile(r"(?<!\d)(?:\+?82[- ]?|0)\d{1,2}[- ]?\d{3,4}[- ]?\d{4}(?!\d)")  # Korean phone numbers


def redact(text: str) -> str:
    """``text`` without e-mail addresses and phone numbers (a server's error text may quote the
    recipient; these texts are logged and kept in ``last_error``)."""
    return _NUMBER.sub("<number>", _ADDRESS.sub("<address>", text))


class DeliveryError(Exception):
    """A delivery that did not go out. ``unknown_outcome``: the provider may have accepted it (the
    answer was lost: a timeout after the request was sent). The message is redacted (no address
    or number) and at most 500 characters."""

    permanent = False

    def __init__(self, message: str, unknown_outcome: bool = False) -> None:
        super().__init__(redact(message)[:500])
        self.unknown_outcome = unknown_outcome


class TransientError(DeliveryError):
    """Worth another try later (the worker backs off)."""


class PermanentError(DeliveryError):
    """No later try can succeed: the delivery fails at once."""

    permanent = True


@dataclass(frozen=True)
class Contact:
    """How one person is reached (``users.email`` and ``user_contacts``)."""

    user_id: str
    email: str | None
    phone: str | None
    locale: str
    email_opt_in: bool
    sms_opt_in: bool


@dataclass(frozen=True)
class Outgoing:
    """One delivery: message ``outbox_id`` of ``topic`` to ``user_id`` at ``address`` (the
    channel's: an e-mail, a phone number, the user id), rendered in the person's language, with
    its idempotency ``key``; ``at`` is the time of sending (aware UTC)."""

    outbox_id: int
    topic: str
    user_id: str
    address: str
    key: str
    message: Rendered
    at: datetime


class Sender(Protocol):
    """A channel. ``max_send_s``: the longest one :meth:`send` can take (seconds); the worker's
    lease must be longer, so a message is never handed to another worker while it is sent."""

    channel: str
    max_send_s: float

    def address(self, contact: Contact) -> str | None:
        """Where ``contact`` gets this channel, or None (no address, or not opted in)."""
        ...

    def send(self, out: Outgoing) -> str:
        """Deliver; the provider's message id. Raises :class:`DeliveryError`."""
        ...

    def close(self) -> None:
        """Drop any connection kept between sends."""
        ...


def delivery_key(idempotency_key: str, channel: str, user_id: str) -> str:
    """The idempotency key of one delivery (40 characters, ``[0-9a-f]`` after ``dolbom-``): the same
    for every try of the same message, channel and person, whichever worker makes it."""
    digest = hashlib.sha256(f"{idempotency_key}\x1f{channel}\x1f{user_id}".encode()).hexdigest()
    return f"dolbom-{digest[:33]}"


class SmtpSender:
    """E-mail over SMTP (settings ``NOTIFY_SMTP_*``): one connection kept open across the sends of a
    drain (:meth:`close` ends it), STARTTLS before the login when ``starttls``.

    The ``Message-ID`` is ``<delivery key@sender's domain>``: a resend after a worker died between
    the server's acceptance and our commit carries the same id, which mail systems that drop
    duplicate Message-IDs use; SMTP itself has no idempotency, so such a resend can still reach an
    inbox twice (the one at-least-once case of this channel).

    ``timeout_s`` bounds each exchange with the server; one try is at most eight of them
    (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA). A send tries again on a new
    connection (see :meth:`send`) only while a whole try still fits in ``max_send_s`` (ten
    exchanges), so a send never outlives the worker's lease.

    A connection is reused only after a send on it succeeded and within :data:`SMTP_MAX_IDLE_S`
    of it; after any failure it is dropped without a word more (no QUIT into a stream that may be
    out of step).
    """

    channel = EMAIL

    def __init__(self, host: str, port: int, sender: str, *, user: str = "", password: str = "",
                 starttls: bool = True, timeout_s: float = 10.0) -> None:
        if not host or not sender or "@" not in sender:
            raise ValueError("SmtpSender needs NOTIFY_SMTP_HOST and NOTIFY_SMTP_FROM (an address such as "
                             "noreply@example.kr)")
        if not 0 < port < 65536:
            raise ValueError(f"NOTIFY_SMTP_PORT must be 1 to 65535, not {port}")
        if timeout_s <= 0:
            raise ValueError(f"NOTIFY_SMTP_TIMEOUT_S must be above 0, not {timeout_s}")
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self.timeout_s = timeout_s
        self.max_send_s = 10 * timeout_s
        self.domain = sender.rsplit("@", 1)[1].strip(">").strip()
        self._smtp: smtplib.SMTP | None = None
        self._used_at = 0.0  # time.monotonic() of the kept connection's last successful send
        self.max_idle_s = SMTP_MAX_IDLE_S

    def address(self, contact: Contact) -> str | None:
        return contact.email if contact.email and contact.email_opt_in else None

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def email(self, out: Outgoing) -> MIMEText:
        """The e-mail of ``out`` (plain text, UTF-8). Built with the compat32 classes: a tenth of
        the time of ``EmailMessage`` (the default policy's header folding), which counts at
        thousands of messages a minute."""
        mail = MIMEText(out.message.body, "plain", "utf-8")
        mail["From"] = self.sender
        mail["To"] = out.address
        # The Header itself, folded when the mail is written: a pre-encoded string of several
        # encoded words is refolded to "Subject: " + line break, which readers show as a leading space.
        mail["Subject"] = Header(out.message.title, "utf-8")  # type: ignore[assignment]  # compat32 takes one
        mail["Date"] = format_datetime(out.at)
        mail["Message-ID"] = f"<{out.key}@{self.domain}>"
        mail["Content-Language"] = out.message.locale
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a notification
        return mail

    def send(self, out: Outgoing) -> str:
        """Deliver ``out``; its ``Message-ID``. Tries again once on a fresh connection when a kept
        connection turns out closed, and once when the server answers a command with 500–502
        (:data:`SMTP_SYNTAX_CODES`: a line it could not parse, the sign of a connection whose
        stream is out of step); any other refusal or failure is final for this try. A connection
        is kept for the next send only after a send that succeeded; whatever went wrong, it is
        closed, so no send ever goes over a connection in an unknown state."""
        mail = self.email(out)
        data = mail.as_bytes()
        retried_closed = retried_syntax = False
        started = time.monotonic()

        def may_retry() -> bool:  # a whole new try (8 exchanges) still fits in max_send_s
            return time.monotonic() - started + 8 * self.timeout_s <= self.max_send_s

        while True:
            reused = self._smtp is not None
            try:
                if self._smtp is not None and time.monotonic() - self._used_at > self.max_idle_s:
                    self._drop()  # idle too long: the server may have dropped it half-way
                    reused = False
                if self._smtp is None:
                    self._smtp = self._connect()
                refused = self._smtp.sendmail(self.sender, [out.address], data)
                self._used_at = time.monotonic()
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if reused and not retried_closed and may_retry():
                    retried_closed = True
                    continue  # the kept connection was closed by the server: once more, afresh
                raise TransientError(f"SMTP server disconnected: {exc}", unknown_outcome=True) from None
            except smtplib.SMTPRecipientsRefused as exc:
                self._drop()
                code, text = next(iter(exc.recipients.values()))
                if code in SMTP_SYNTAX_CODES and not retried_syntax and may_retry():
                    retried_syntax = True
                    continue
                raise _smtp_error("recipient refused", code, text) from None
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise TransientError(f"SMTP login refused ({exc.smtp_code}): check NOTIFY_SMTP_USER/PASSWORD") \
                    from None
            except smtplib.SMTPResponseException as exc:
                self._drop()
                if exc.smtp_code in SMTP_SYNTAX_CODES and not retried_syntax and may_retry():
                    retried_syntax = True
                    log.info("SMTP answered %s (%s); trying once more on a new connection", exc.smtp_code,
                             redact(_text(exc.smtp_error))[:200])
                    continue
                raise _smtp_error("SMTP error", exc.smtp_code, exc.smtp_error) from None
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TransientError(f"SMTP failed: {type(exc).__name__}: {exc}", unknown_outcome=True) from None
            if refused:
                self._drop()
                code, text = next(iter(refused.values()))
                raise _smtp_error("recipient refused", code, text)
            return str(mail["Message-ID"])

    def close(self) -> None:
        """End the kept connection politely (QUIT), at the end of a drain."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _drop(self) -> None:
        """Forget the kept connection and close its socket, sending nothing more on it (after a
        failure its stream may be out of step; the next send connects afresh)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _smtp_error(what: str, code: int, text: bytes | str) -> DeliveryError:
    message = _text(text)
    kind = PermanentError if 500 <= code < 600 else TransientError
    return kind(f"{what} ({code}): {message}")


_PHONE = re.compile(r"01[016789][0-9]{7,8}")
"""A Korean mobile number, digits only (010… 10 or 11 digits); 알림톡 and SMS reach only those."""

ALIMTALK_DUPLICATE_CODES = frozenset({-1005, 400305})
"""The gateway's answer to a second request with an X-NC-API-IDEMPOTENCY-KEY used within the last
10 minutes (-1005 in the v2.x error list, 400305 in the newer one): the first was accepted."""
ALIMTALK_ACCOUNT_CODES = frozenset({-1000, -1001, -1006, -1027, 400300, 400301, 400306})
"""Answers about our account (app key, secret key, sender profile missing or blocked): an
operator's fix makes a later try succeed, so they are retried, not failed."""


class AlimtalkSender:
    """KakaoTalk 알림톡 through NHN Cloud Notification's KakaoTalk Bizmessage API v2.3, "send full
    message" (전문 발송): ``POST {base}/alimtalk/v2.3/appkeys/{appkey}/raw-messages`` with headers
    ``X-Secret-Key`` and ``X-NC-API-IDEMPOTENCY-KEY`` and the body ``{"senderKey", "templateCode",
    "senderGroupingKey", "recipientList": [{"recipientNo", "content", "recipientGroupingKey"}]}``;
    the answer is ``{"header": {"resultCode", "resultMessage", "isSuccessful"}, "message":
    {"requestId", "senderGroupingKey", "sendResults": [{"recipientSeq", "recipientNo",
    "resultCode", "resultMessage", "recipientGroupingKey"}]}}``. Source: NHN Cloud's 알림톡 API
    v2.3 guide, https://docs.nhncloud.com/ko/Notification/KakaoTalk%20Bizmessage/ko/alimtalk-api-guide/
    (request, answer, the idempotency header), and the KakaoTalk Bizmessage error-code list of
    the same documentation (result codes). The content must match a
    template the operator registered with Kakao (the codes are in ``messages.json``); SMS fallback
    for people without KakaoTalk is the gateway's own setting (``resendParameter`` left to it).

    Idempotency: the gateway documents ``X-NC-API-IDEMPOTENCY-KEY`` — a second request with a key
    used within the last 10 minutes is refused with result code -1005 (400305 in the newer list).
    We send the delivery key there, so a resend after a worker died between the gateway's
    acceptance and our commit is refused by the gateway and counted here as delivered. The window
    is 10 minutes (:attr:`dedupe_window_s`): a resend later than that (a reclaim after a lease
    longer than it, or a retry after a backoff longer than it following a timeout) is not
    deduplicated; the worker keeps the retry of an unknown outcome inside the window. The keys
    also go in ``senderGroupingKey``/``recipientGroupingKey`` (at most 100 characters), by which
    the gateway's message list can be searched for a delivery's copies.

    Outcomes: HTTP 429, 5xx, a timeout, a connection failure, a malformed answer and account
    errors are transient; any other refusal (a recipient result code other than 0, an invalid
    number, a template that does not match) is permanent.
    """

    channel = SMS
    dedupe_window_s = 600.0

    def __init__(self, base_url: str, app_key: str, secret_key: str, sender_key: str, *,
                 timeout_s: float = 10.0, session: requests.Session | None = None) -> None:
        if not (base_url.startswith(("https://", "http://")) and app_key and secret_key and sender_key):
            raise ValueError("AlimtalkSender needs NOTIFY_ALIMTALK_URL (http(s)://…), NOTIFY_ALIMTALK_APP_KEY, "
                             "NOTIFY_ALIMTALK_SECRET_KEY and NOTIFY_ALIMTALK_SENDER_KEY")
        if timeout_s <= 0:
            raise ValueError(f"NOTIFY_ALIMTALK_TIMEOUT_S must be above 0, not {timeout_s}")
        self.url = f"{base_url.rstrip('/')}/alimtalk/v2.3/appkeys/{app_key}/raw-messages"
        self.secret_key, self.sender_key = secret_key, sender_key
        self.timeout_s = timeout_s
        self.max_send_s = 2 * timeout_s  # connect, then the answer (requests' two timeouts)
        self.session = session or requests.Session()

    def address(self, contact: Contact) -> str | None:
        if not (contact.phone and contact.sms_opt_in):
            return None
        return re.sub(r"[\s-]", "", contact.phone)

    def request_body(self, out: Outgoing) -> dict[str, Any]:
        """The JSON body for ``out`` (documented fields only)."""
        return {"senderKey": self.sender_key, "templateCode": out.message.alimtalk_template,
                "senderGroupingKey": out.key,
                "recipientList": [{"recipientNo": out.address, "content": out.message.body,
                                   "recipientGroupingKey": out.key}]}

    def send(self, out: Outgoing) -> str:
        if not _PHONE.fullmatch(out.address):
            raise PermanentError("not a Korean mobile number (010…, 10 or 11 digits): 알림톡 cannot reach it")
        if not out.message.alimtalk_template:
            raise PermanentError(f"no 알림톡 template is registered for {out.topic} (messages.json alimtalk)")
        headers = {"X-Secret-Key": self.secret_key, "X-NC-API-IDEMPOTENCY-KEY": out.key,
                   "Content-Type": "application/json;charset=UTF-8"}
        try:
            resp = self.session.post(self.url, json=self.request_body(out), headers=headers,
                                     timeout=(self.timeout_s, self.timeout_s))
        except requests.ConnectTimeout:
            raise TransientError("알림톡 gateway: no connection within the timeout") from None
        except requests.Timeout:
            raise TransientError("알림톡 gateway: no answer within the timeout", unknown_outcome=True) from None
        except requests.RequestException as exc:
            raise TransientError(f"알림톡 gateway unreachable: {type(exc).__name__}", unknown_outcome=True) \
                from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise TransientError(f"알림톡 gateway answered HTTP {resp.status_code}", unknown_outcome=True)
        try:
            answer = resp.json()
            header = answer["header"]
            code, ok = int(header["resultCode"]), bool(header["isSuccessful"])
            text = str(header.get("resultMessage", ""))
        except (ValueError, KeyError, TypeError):
            raise TransientError(f"알림톡 gateway answered HTTP {resp.status_code} without its JSON header",
                                 unknown_outcome=True) from None
        if not ok:
            if code in ALIMTALK_DUPLICATE_CODES:
                return f"duplicate:{out.key}"  # accepted before, under the same key
            kind = TransientError if code in ALIMTALK_ACCOUNT_CODES or resp.status_code in (401, 403) \
                else PermanentError
            raise kind(f"알림톡 gateway refused ({code}): {text}")
        message = answer.get("message") or {}
        results = message.get("sendResults") or []
        if not results:
            raise TransientError("알림톡 gateway answered success without sendResults", unknown_outcome=True)
        first = results[0]
        if int(first.get("resultCode", -1)) != 0:
            raise PermanentError(f"알림톡 recipient refused ({first.get('resultCode')}): "
                                 f"{first.get('resultMessage', '')}")
        return str(message.get("requestId") or out.key)

    def close(self) -> None:
        """The HTTP session keeps its pool between drains: nothing to drop."""


class InPageSender:
    """The page's list: one ``notifications`` row per message and person, written once (a second
    write of the same pair finds the first). The worker calls :meth:`write` inside its own
    transaction, so the row and the delivery's ``sent`` commit together."""

    channel = IN_PAGE
    # A second write of the same (message, person) finds the first (the unique row), so the lease
    # need not cover this channel's time.
    max_send_s = 0.0

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def address(self, contact: Contact) -> str | None:
        return contact.user_id

    def write(self, conn: sa.Connection, out: Outgoing) -> str:
        """Add the notification in the caller's transaction; its id (``notification:<id>``)."""
        n = notifications
        values = {"user_id": out.user_id, "outbox_id": out.outbox_id, "topic": out.topic,
                  "locale": out.message.locale, "title": out.message.title[:200], "body": out.message.body,
                  "created_at": out.at, "read_at": None}
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):  # one statement; a second write of the pair does nothing
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(n).values(**values)
            result = conn.execute(insert.on_conflict_do_nothing(index_elements=["outbox_id", "user_id"]))
            if result.rowcount == 1 and result.inserted_primary_key:
                return f"notification:{result.inserted_primary_key[0]}"
        else:
            try:
                with conn.begin_nested():  # a concurrent writer of the same pair loses only this
                    key = conn.execute(n.insert().values(**values)).inserted_primary_key
                assert key is not None
                return f"notification:{key[0]}"
            except IntegrityError:
                pass
        found = conn.execute(sa.select(n.c.id).where(n.c.outbox_id == out.outbox_id,
                                                     n.c.user_id == out.user_id)).scalar()
        if found is None:
            raise PermanentError("the notification row was refused by the database")
        return f"notification:{found}"

    def send(self, out: Outgoing) -> str:
        with self.engine.begin() as conn:
            return self.write(conn, out)

    def close(self) -> None:
        """Nothing kept."""
