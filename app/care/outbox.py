"""The outbox's delivery worker: every message written to ``outbox`` in the transaction of the
change it announces (app.care.bookings and the other writers; the payload contract is in the care
contract: ``to``, ``first_name``, topic fields) goes to each recipient on every channel they have
— e-mail, 알림톡/SMS, the page — in their language, retried with backoff, once.

How once is kept
----------------
- **A lease, not a lock held while sending.** :meth:`OutboxWorker.drain` claims up to ``batch``
  due messages with one guarded ``UPDATE … SET claimed_by = <this drain's token>, claimed_until =
  now + lease WHERE id IN (…) AND <still due and unclaimed or its lease over>`` (on PostgreSQL the
  candidates are picked ``FOR UPDATE SKIP LOCKED``; on SQLite the engine's ``BEGIN IMMEDIATE``
  serialises claims), so two workers never hold one message. Before each delivery the worker
  renews the lease (``… WHERE id = :id AND claimed_by = :token``): a worker that lost its claim
  (its lease ran out and another took the message) finds 0 rows and stops, never sending.
- **A send cannot outlive its lease.** Each sender states the longest one send can take
  (``max_send_s``, from its timeouts); the lease must be longer (checked when the worker is built),
  and is renewed before every send, so a slow send is never handed out again while it runs.
- **A worker killed mid-send leaves nothing stuck.** Its lease runs out, the message is claimed
  again (``attempts`` counts claims, so a message that kills its worker every time ends failed
  after ``max_attempts``), and every delivery not stamped ``sent`` is sent again with the same
  idempotency key (:func:`~app.care.notify.senders.delivery_key`).
- **One row per recipient × channel** (``outbox_deliveries``): a channel that succeeded is not sent
  again when another channel of the same message is retried.

Where at-least-once remains
---------------------------
Between the provider's acceptance of a send and our commit of ``sent`` (a kill, a crash, a lost
database) the outcome is unknown to us, and the next try sends again with the same key:

- **알림톡/SMS**: the gateway (NHN Cloud KakaoTalk Bizmessage) documents
  ``X-NC-API-IDEMPOTENCY-KEY``: it refuses a request whose key was used in the last 10 minutes,
  which the sender counts as delivered. The lease must be shorter than that window (checked), and
  a retry after an unknown outcome (a timeout) is scheduled inside it; a message whose first try
  was accepted and whose tries keep timing out for more than 10 minutes can still arrive twice.
- **E-mail**: SMTP has no idempotency. The resend has the same ``Message-ID``; mail systems that drop
  duplicate ids drop it, others show it twice. Within one send, a 500–502 answer (a connection out
  of step, e.g. "500 Line too long") is tried once more on a new connection before it counts as
  permanent (:data:`~app.care.notify.senders.SMTP_SYNTAX_CODES`): such an answer means the server
  took nothing, so the retry cannot deliver twice.
- **In-page**: exactly once (a unique row per message and person).

Per topic (``messages.json``)
----------------------------
A topic may name its only channels (``channels``: a password-reset link goes by e-mail, never to
the page, which a signed-out person cannot see, nor to 알림톡 without a registered template); a
message whose channels are all off fails, naming the setting that turns one on. A topic the person
asked for (``asked_for``) goes out whatever their opt-outs. A payload's ``lang`` (the language the
person asked in) wins over the person's own. A link is the public address
(``NOTIFY_PUBLIC_BASE_URL``, never a request's Host) before the payload's relative ``path``;
without that setting such a message fails, naming it. A message whose payload's ``expires_at`` has
passed fails instead of sending a dead link. Once a message is sent or failed for good, its
topic's ``secret_fields`` (the reset link's ``path``, a cancellation's ``reason``, which may be
words typed about the child) are replaced in the stored payload by a marker, so the table keeps no
usable link nor typed reason; a message still to be retried keeps them.

Each recipient reads the text of their role: a person the payload's ``to`` names (``user_id``)
the topic's text, the staff a facility in ``to`` stands for the staff's (``messages.json``
``staff``). A guardian's message whose writer left out the child's first name (a change made by
staff or the system) is given the first name of the guardian's own child of the booking or
request, so their messages name the child alike; staff never get a name the payload lacks.

Times: ``now`` is passed in (aware, UTC); the lease advances it by the time the drain has taken
(``time.monotonic``), so a long drain renews leases at the real time. Servers' clocks must agree
to well within the lease. Failed messages keep ``failed_at`` and ``last_error`` (and each delivery
its own): :func:`failed_messages` lists them; logs name message ids and topics, never addresses.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from app.db.children_tables import children
from app.db.engine import bookings, outbox, user_roles, users
from app.db.outbox_tables import notifications, outbox_deliveries, user_contacts
from app.db.request_tables import care_requests
from app.settings_env import check_public_base_url

from .notify.messages import (
    GUARDIAN_AUDIENCE,
    SCRUBBED,
    STAFF_AUDIENCE,
    Rendered,
    RenderError,
    asked_for,
    channels_of,
    language_of,
    link_topics,
    render,
    secret_fields,
    topics,
)
from .notify.senders import (
    CHANNELS,
    EMAIL,
    IN_PAGE,
    SMS,
    AlimtalkSender,
    Contact,
    DeliveryError,
    InPageSender,
    Outgoing,
    Sender,
    SmtpSender,
    delivery_key,
)
from .states import PROVIDER_STAFF

log = logging.getLogger(__name__)

LEASE_MARGIN_S = 5.0
"""How much longer than the longest send a lease must be (commits around the send)."""
DEFAULT_LEASE_S = 120.0
DEFAULT_BATCH = 100
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_BASE_S = 30.0
DEFAULT_BACKOFF_CAP_S = 3600.0
ERROR_MAX_CHARS = 500
CHANNEL_SETTINGS = {EMAIL: "NOTIFY_SMTP_HOST", SMS: "NOTIFY_ALIMTALK_APP_KEY", IN_PAGE: "(always on)"}
"""The setting that turns each channel on (named in the error of a message no channel can carry)."""


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be an aware time (UTC), not naive {value.isoformat()}")
    return value.astimezone(UTC)


def _read(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives it back naive, in UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _State(NamedTuple):
    id: int
    status: str
    channel: str
    last_error: str | None


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    topic: str
    payload: dict[str, Any]
    attempts: int


class OutboxWorker:
    """Delivers due outbox messages; see the module docstring for the guarantees.

    Parameters
    ----------
    engine : the database (SQLite or PostgreSQL, :func:`app.db.engine.make_engine`).
    senders : the channels that are on (each channel at most once; :class:`InPageSender` always,
        e-mail and 알림톡 when configured, :func:`build_worker`).
    worker_id : names this worker in ``claimed_by`` (host:pid by default in :func:`build_worker`).
    lease_seconds : how long a claim holds; longer than every sender's ``max_send_s`` plus
        :data:`LEASE_MARGIN_S`, and shorter than a sender's idempotency window (``dedupe_window_s``).
    batch : messages claimed at once.
    max_attempts : claims of a message before its undelivered deliveries fail for good.
    backoff_base_s, backoff_cap_s : the wait before try n+1 is ``min(cap, base·2^(n−1))``, times a
        random factor in [0.5, 1) (jitter, so retries of many messages spread out).
    facility_name : a facility id → its name (the registry), for the text; else the id is shown.
    rng : the jitter's random source (tests pass a seeded one).
    public_base_url : the site's public address (``https://host[:port]``, ``NOTIFY_PUBLIC_BASE_URL``)
        that links in messages start with; None: messages with a link fail, naming the setting.

    Raises ``ValueError`` naming the parameter when one is out of range, or ``messages.json`` when
    a topic names an unknown channel.
    """

    def __init__(self, engine: sa.Engine, senders: Sequence[Sender], worker_id: str,
                 lease_seconds: float = DEFAULT_LEASE_S, batch: int = DEFAULT_BATCH, *,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, backoff_base_s: float = DEFAULT_BACKOFF_BASE_S,
                 backoff_cap_s: float = DEFAULT_BACKOFF_CAP_S,
                 facility_name: Callable[[str], str | None] | None = None,
                 rng: random.Random | None = None, public_base_url: str | None = None) -> None:
        channels = [s.channel for s in senders]
        if len(set(channels)) != len(channels):
            raise ValueError(f"senders: each channel at most once, got {channels}")
        if not worker_id or len(worker_id) > 80:
            raise ValueError("worker_id must be 1 to 80 characters")
        longest = max((s.max_send_s for s in senders), default=0.0)
        if lease_seconds <= longest + LEASE_MARGIN_S:
            raise ValueError(f"lease_seconds ({lease_seconds:g}) must exceed the longest send ({longest:g} s, "
                             f"from the senders' timeouts) plus {LEASE_MARGIN_S:g} s, or a message still "
                             "being sent would be handed to another worker")
        for s in senders:
            window = getattr(s, "dedupe_window_s", None)
            if window is not None and lease_seconds >= window:
                raise ValueError(f"lease_seconds ({lease_seconds:g}) must be shorter than the {s.channel} "
                                 f"gateway's idempotency window ({window:g} s), or a resend after a killed "
                                 "worker would not be recognised as a duplicate")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if not 0 < backoff_base_s <= backoff_cap_s:
            raise ValueError(f"backoff: 0 < backoff_base_s ({backoff_base_s:g}) <= backoff_cap_s "
                             f"({backoff_cap_s:g}) is required")
        for topic in topics():
            unknown = set(channels_of(topic) or ()) - set(CHANNELS)
            if unknown:
                raise ValueError(f"messages.json topic {topic}: unknown channels {sorted(unknown)}; the channels "
                                 f"are {', '.join(CHANNELS)}")
        self.public_base_url = (check_public_base_url("NOTIFY_PUBLIC_BASE_URL", public_base_url)
                                if public_base_url else None)
        self.engine = engine
        self.senders = {s.channel: s for s in senders}
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff_base_s, self.backoff_cap_s = backoff_base_s, backoff_cap_s
        self.facility_name = facility_name
        self.rng = rng or random.Random()
        # Statements run for every delivery, built once (bound by name each time).
        o, d, bind = outbox, outbox_deliveries, sa.bindparam
        self._renew_sql = o.update().where(o.c.id == bind("m_id"), o.c.claimed_by == bind("m_token")).values(
            claimed_until=bind("m_until"))
        self._sending_sql = d.update().where(d.c.id == bind("d_id")).values(
            status="sending", attempts=d.c.attempts + 1, updated_at=bind("d_at"))
        self._outcome_sql = d.update().where(d.c.id == bind("d_id")).values(
            status=bind("d_status"), updated_at=bind("d_at"), last_error=bind("d_error"), sent_at=bind("d_sent_at"),
            provider_message_id=bind("d_provider"), attempts=d.c.attempts + bind("d_inc"))

    # -- the scheduler's tick -------------------------------------------------------------------

    def drain(self, now: datetime) -> int:
        """Deliver every message due at ``now`` (aware), batch after batch, until none is left
        that this worker can claim. Returns how many messages it stamped sent.

        Safe to run on several servers at once. A message whose deliveries failed for a transient
        reason is rescheduled (backoff) and not tried again in the same call.
        """
        start_at, start_mono = _aware(now, "now"), time.monotonic()

        def current() -> datetime:
            return start_at + timedelta(seconds=time.monotonic() - start_mono)

        sent = 0
        try:
            while True:
                claimed, token = self._claim(start_at, current())
                if claimed:
                    rows, contacts, errors = self._prepare(claimed, current())
                    for message in claimed:
                        sent += self._deliver(message, rows[message.id], contacts, token, current,
                                              errors.get(message.id))
                if len(claimed) < self.batch:
                    return sent
        finally:
            for sender in self.senders.values():
                sender.close()

    # -- claiming -------------------------------------------------------------------------------

    @staticmethod
    def _due(due_at: datetime, at: datetime) -> sa.ColumnElement[bool]:
        """Unsent, unfailed, available by ``due_at`` (the drain's ``now``: a message rescheduled
        during the drain waits for the next one) and unclaimed or its lease over at ``at``."""
        o = outbox
        return sa.and_(o.c.sent_at.is_(None), o.c.failed_at.is_(None), o.c.available_at <= due_at,
                       sa.or_(o.c.claimed_until.is_(None), o.c.claimed_until <= at))

    def _claim(self, due_at: datetime, at: datetime) -> tuple[list[_Claimed], str]:
        token = f"{self.worker_id}/{secrets.token_hex(6)}"
        o = outbox
        with self.engine.begin() as conn:
            pick = (sa.select(o.c.id).where(self._due(due_at, at)).order_by(o.c.available_at, o.c.id)
                    .limit(self.batch))
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list(conn.execute(pick).scalars())
            if not ids:
                return [], token
            conn.execute(o.update().where(o.c.id.in_(ids), self._due(due_at, at)).values(
                claimed_by=token, claimed_until=at + self.lease, attempts=o.c.attempts + 1))
            rows = conn.execute(sa.select(o.c.id, o.c.idempotency_key, o.c.topic, o.c.payload, o.c.attempts)
                                .where(o.c.id.in_(ids), o.c.claimed_by == token).order_by(o.c.id)).all()
        return [_Claimed(r.id, r.idempotency_key, r.topic, dict(r.payload or {}), r.attempts) for r in rows], token

    def _renew(self, conn: sa.Connection, message_id: int, token: str, at: datetime) -> bool:
        """Extend our lease; False when the claim is no longer ours (never send then)."""
        return conn.execute(self._renew_sql, {"m_id": message_id, "m_token": token,
                                              "m_until": at + self.lease}).rowcount == 1

    # -- one batch ------------------------------------------------------------------------------

    def _prepare(self, claimed: Sequence[_Claimed], at: datetime
                 ) -> tuple[dict[int, list[sa.Row[Any]]], dict[str, Contact], dict[int, str]]:
        """In one transaction: each claimed message's deliveries (written now for a message tried
        the first time: every recipient × every channel they have), the recipients' contacts, and
        the messages that cannot be sent at all (no recipient) with the reason."""
        d = outbox_deliveries
        ids = [m.id for m in claimed]
        errors: dict[int, str] = {}
        with self.engine.begin() as conn:
            planned = {r for r in conn.execute(sa.select(d.c.outbox_id).where(d.c.outbox_id.in_(ids))).scalars()}
            recipients: dict[int, list[str]] = {}
            topic_of = {m.id: m.topic for m in claimed}
            for message in claimed:
                if message.id in planned:
                    continue
                try:
                    recipients[message.id] = self._recipients(conn, message.payload)
                except RenderError as exc:
                    errors[message.id] = str(exc)
            known = self._contacts(conn, sorted({u for found in recipients.values() for u in found}))
            new_rows: list[dict[str, Any]] = []
            for message_id, people in recipients.items():
                try:
                    new_rows.extend(self._plan(message_id, topic_of[message_id], people, known, at))
                except RenderError as exc:
                    errors[message_id] = str(exc)
            if new_rows:
                conn.execute(d.insert(), new_rows)
            rows: dict[int, list[sa.Row[Any]]] = {i: [] for i in ids}
            for row in conn.execute(sa.select(d).where(d.c.outbox_id.in_(ids)).order_by(d.c.id)):
                rows[row.outbox_id].append(row)
            contacts = self._contacts(conn, sorted({r.user_id for found in rows.values() for r in found}))
        return rows, contacts, errors

    def _deliver(self, message: _Claimed, rows: Sequence[sa.Row[Any]], contacts: Mapping[str, Contact],
                 token: str, current: Callable[[], datetime], error: str | None = None) -> int:
        """Send one claimed message's open deliveries, then stamp it; 1 if it was stamped sent."""
        if error is None:
            error = _expired(message.payload, current())
        if error is not None:
            with self.engine.begin() as conn:
                return self._finish(conn, message, token, current(), error=error)
        states = {r.id: _State(r.id, r.status, r.channel, r.last_error) for r in rows}
        unknown_windows: list[float] = []
        rendered: dict[tuple[str, str], Rendered] = {}
        named = _named_people(message.payload)
        # Outcomes, and the writes of channels that live in our own database (the page), go into
        # the next transaction, which comes before anything else is sent: a commit less per
        # delivery, and never a send before the previous outcome is recorded.
        carry: list[dict[str, Any]] = []
        local: list[tuple[int, Any, Outgoing]] = []
        for row in rows:
            if row.status in ("sent", "failed"):
                continue
            sender = self.senders.get(row.channel)
            contact = _for_topic(contacts.get(row.user_id), message.topic)
            address = sender.address(contact) if sender and contact else None
            at = current()
            if address is None:
                why = ("the channel is off" if sender is None else
                       "the person's account is gone or disabled" if contact is None else
                       "no address on this channel, or opted out")
                carry.append(self._outcome(row.id, "failed", at, error=why))
                continue
            assert contact is not None and sender is not None
            locale = language_of(message.payload, contact.locale)
            # Staff are reached through their facility; a person named in 'to' gets the topic's text.
            audience = GUARDIAN_AUDIENCE if row.user_id in named else STAFF_AUDIENCE
            try:
                if (locale, audience) not in rendered:
                    payload = message.payload
                    if audience == GUARDIAN_AUDIENCE and not payload.get("first_name"):
                        payload = self._with_first_name(payload, row.user_id)
                    rendered[(locale, audience)] = render(message.topic, payload, locale, self.facility_name,
                                                          base_url=self.public_base_url, audience=audience)
            except RenderError as exc:
                with self.engine.begin() as conn:
                    self._flush(conn, carry, local, states)
                    return self._finish(conn, message, token, current(), error=str(exc))
            out = Outgoing(message.id, message.topic, row.user_id, address,
                           delivery_key(message.key, row.channel, row.user_id), rendered[(locale, audience)], at)
            if hasattr(sender, "write"):
                local.append((row.id, sender, out))
                continue
            with self.engine.begin() as conn:
                self._flush(conn, carry, local, states)
                if not self._renew(conn, message.id, token, at):
                    log.warning("outbox message %s: lease lost before sending %s; left to its new holder",
                                message.id, row.channel)
                    return 0
                conn.execute(self._sending_sql, {"d_id": row.id, "d_at": at})
            try:
                provider_id = sender.send(out)
            except DeliveryError as exc:
                if exc.permanent:
                    log.warning("outbox message %s (%s): %s delivery failed for good: %s", message.id,
                                message.topic, row.channel, exc)
                    carry.append(self._outcome(row.id, "failed", current(), error=str(exc)))
                else:
                    log.info("outbox message %s (%s): %s delivery to retry: %s", message.id, message.topic,
                             row.channel, exc)
                    carry.append(self._outcome(row.id, "pending", current(), error=str(exc)))
                    window = getattr(sender, "dedupe_window_s", None)
                    if exc.unknown_outcome and window is not None:
                        unknown_windows.append(float(window))
                continue
            carry.append(self._outcome(row.id, "sent", current(), provider_id=provider_id))
        with self.engine.begin() as conn:
            self._flush(conn, carry, local, states)
            return self._finish(conn, message, token, current(), states=states, unknown_windows=unknown_windows)

    def _plan(self, message_id: int, topic: str, recipients: Sequence[str], contacts: Mapping[str, Contact],
              at: datetime) -> list[dict[str, Any]]:
        """The message's delivery rows: every recipient × every channel they have now that the
        topic may go on. Raises :class:`RenderError` when nobody can be reached (naming the
        setting to turn on when none of the topic's channels is on)."""
        allowed = channels_of(topic)
        senders = {c: s for c, s in self.senders.items() if allowed is None or c in allowed}
        if not senders:
            assert allowed is not None  # the page is always on
            raise RenderError(f"{topic} goes only by {', '.join(allowed)} (messages.json), which is off: set "
                              + " or ".join(CHANNEL_SETTINGS[c] for c in allowed))
        reachable = {u: c for u in recipients if (c := _for_topic(contacts.get(u), topic)) is not None}
        rows = [{"outbox_id": message_id, "channel": channel, "user_id": user_id, "status": "pending",
                 "attempts": 0, "provider_message_id": None, "last_error": None, "sent_at": None,
                 "updated_at": at}
                for user_id, contact in reachable.items()
                for channel, sender in senders.items() if sender.address(contact) is not None]
        if not rows:
            raise RenderError("no recipient can be reached: the 'to' list names nobody with an active "
                              f"account and an address on a channel that is on ({', '.join(senders)})")
        return rows

    def _with_first_name(self, payload: dict[str, Any], guardian_id: str) -> dict[str, Any]:
        """``payload`` with the first name of the child of its booking or request when the writer
        left it out (a system's or staff's change), so the guardian's messages name the child the
        same way whoever made the change; only the guardian's own child, never for staff."""
        query = None
        if isinstance(payload.get("booking_id"), str):
            query = sa.select(children.c.given_name).join(bookings, bookings.c.child_id == children.c.id).where(
                bookings.c.id == payload["booking_id"], children.c.guardian_id == guardian_id)
        elif isinstance(payload.get("request_id"), str):
            query = sa.select(children.c.given_name).join(
                care_requests, care_requests.c.child_id == children.c.id).where(
                care_requests.c.id == payload["request_id"], children.c.guardian_id == guardian_id)
        if query is None:
            return payload
        with self.engine.connect() as conn:
            name = conn.execute(query).scalar()
        return {**payload, "first_name": name} if name else payload

    @staticmethod
    def _recipients(conn: sa.Connection, payload: Mapping[str, Any]) -> list[str]:
        """The user ids of ``payload['to']``: users as named, facilities as their provider staff."""
        to = payload.get("to")
        if not isinstance(to, list) or not to:
            raise RenderError("the payload names no recipients: 'to' must be a list of {'user_id': …} or "
                              "{'facility_id': …}")
        found: list[str] = []
        for item in to:
            if isinstance(item, dict) and isinstance(item.get("user_id"), str):
                found.append(item["user_id"])
            elif isinstance(item, dict) and isinstance(item.get("facility_id"), str):
                found.extend(conn.execute(sa.select(user_roles.c.user_id).where(
                    user_roles.c.role == PROVIDER_STAFF, user_roles.c.facility_id == item["facility_id"])
                    .order_by(user_roles.c.user_id)).scalars())
            else:
                raise RenderError("each item of the payload's 'to' must be {'user_id': …} or {'facility_id': …}")
        return list(dict.fromkeys(found))

    @staticmethod
    def _contacts(conn: sa.Connection, user_ids: Sequence[str]) -> dict[str, Contact]:
        """Active users' contacts (no ``user_contacts`` row: Korean, e-mail on, no phone)."""
        if not user_ids:
            return {}
        u, c = users, user_contacts
        rows = conn.execute(sa.select(u.c.id, u.c.email, c.c.phone, c.c.locale, c.c.email_opt_in, c.c.sms_opt_in)
                            .select_from(u.outerjoin(c, c.c.user_id == u.c.id))
                            .where(u.c.id.in_(list(user_ids)), u.c.disabled_at.is_(None))).all()
        return {r.id: Contact(r.id, r.email, r.phone, r.locale or "ko",
                              True if r.email_opt_in is None else bool(r.email_opt_in), bool(r.sms_opt_in))
                for r in rows}

    @staticmethod
    def _outcome(delivery_id: int, status: str, at: datetime, *, error: str | None = None,
                 provider_id: str | None = None, tries: int = 0) -> dict[str, Any]:
        """A delivery's new state (``tries`` more attempts), to be written by :meth:`_flush`."""
        sent = status == "sent"
        return {"d_id": delivery_id, "d_status": status, "d_at": at,
                "d_error": None if sent else (error or "")[:ERROR_MAX_CHARS], "d_sent_at": at if sent else None,
                "d_provider": (provider_id or "")[:200] if sent else None, "d_inc": tries}

    def _flush(self, conn: sa.Connection, carry: list[dict[str, Any]], local: list[tuple[int, Any, Outgoing]],
               states: dict[int, _State]) -> None:
        """Write the carried outcomes, and the page's notifications (in this transaction: sent
        exactly when committed); keep ``states`` in step."""
        for delivery_id, sender, out in local:
            try:
                carry.append(self._outcome(delivery_id, "sent", out.at, provider_id=sender.write(conn, out), tries=1))
            except DeliveryError as exc:
                carry.append(self._outcome(delivery_id, "failed", out.at, error=str(exc), tries=1))
        local.clear()
        if carry:
            conn.execute(self._outcome_sql, carry)
            for values in carry:
                states[values["d_id"]] = states[values["d_id"]]._replace(status=values["d_status"],
                                                                         last_error=values["d_error"])
        carry.clear()

    def backoff_s(self, attempts: int) -> float:
        """The wait (seconds) after ``attempts`` tries: ``min(cap, base·2^(attempts−1))`` times a
        factor in [0.5, 1)."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** max(0, min(attempts - 1, 60)))
        return delay * (0.5 + self.rng.random() / 2)

    def _finish(self, conn: sa.Connection, message: _Claimed, token: str, at: datetime, *,
                states: Mapping[int, _State] | None = None, error: str | None = None,
                unknown_windows: Sequence[float] = ()) -> int:
        """Stamp the message sent, failed or rescheduled (only while the claim is ours); 1 if sent.
        ``states``: the deliveries as this worker left them (else read)."""
        d, o = outbox_deliveries, outbox
        if error is not None:  # the message itself cannot be sent: every open delivery fails with it
            conn.execute(d.update().where(d.c.outbox_id == message.id, d.c.status.in_(("pending", "sending")))
                         .values(status="failed", last_error=error[:ERROR_MAX_CHARS], updated_at=at))
        if states is None or error is not None:
            rows: Sequence[Any] = conn.execute(sa.select(d.c.id, d.c.status, d.c.channel, d.c.last_error)
                                               .where(d.c.outbox_id == message.id)).all()
        else:
            rows = list(states.values())
        open_rows = [r for r in rows if r.status in ("pending", "sending")]
        if open_rows and message.attempts >= self.max_attempts:
            for r in open_rows:
                note = f"out of attempts ({message.attempts}); last: {r.last_error or 'a try that never answered'}"
                conn.execute(d.update().where(d.c.id == r.id).values(
                    status="failed", updated_at=at, last_error=note[:ERROR_MAX_CHARS]))
            error = error or f"out of attempts ({message.attempts}): " + "; ".join(
                f"{r.channel}: {r.last_error}" for r in open_rows)
            rows = conn.execute(sa.select(d.c.id, d.c.status, d.c.channel, d.c.last_error)
                                .where(d.c.outbox_id == message.id)).all()
            open_rows = []
        guard = (o.c.id == message.id) & (o.c.claimed_by == token)
        release = {"claimed_by": None, "claimed_until": None}
        if open_rows:
            delay = self.backoff_s(message.attempts)
            if unknown_windows:  # the gateway may hold the first copy: retry while it still knows the key
                delay = max(1.0, min(delay, min(unknown_windows) - self.lease.total_seconds() - LEASE_MARGIN_S))
            last = "; ".join(f"{r.channel}: {r.last_error}" for r in open_rows)
            conn.execute(o.update().where(guard).values(available_at=at + timedelta(seconds=delay),
                                                        last_error=last[:ERROR_MAX_CHARS], **release))
            return 0
        release.update(_scrubbed(message))  # done either way: no secret of the payload is kept
        if any(r.status == "sent" for r in rows):
            failed = [r for r in rows if r.status == "failed"]
            failures = "; ".join(f"{r.channel}: {r.last_error}" for r in failed)
            done = conn.execute(o.update().where(guard).values(
                sent_at=at, last_error=failures[:ERROR_MAX_CHARS] or None, **release)).rowcount
            return 1 if done else 0
        why = error or "; ".join(f"{r.channel}: {r.last_error}" for r in rows) or "no delivery"
        conn.execute(o.update().where(guard).values(failed_at=at, last_error=why[:ERROR_MAX_CHARS], **release))
        log.warning("outbox message %s (%s) failed: %s", message.id, message.topic, why)
        return 0


def _named_people(payload: Mapping[str, Any]) -> frozenset[str]:
    """The user ids the payload's ``to`` names itself (everyone else is reached as a provider's
    staff)."""
    to = payload.get("to")
    if not isinstance(to, list):
        return frozenset()
    return frozenset(item["user_id"] for item in to if isinstance(item, dict) and isinstance(item.get("user_id"), str))


def _for_topic(contact: Contact | None, topic: str) -> Contact | None:
    """``contact`` as the channels see it for ``topic``: opted in when the person asked for the
    message (a reset link must reach someone who turned notifications off)."""
    if contact is None or not asked_for(topic):
        return contact
    return replace(contact, email_opt_in=True, sms_opt_in=True)


def _expired(payload: Mapping[str, Any], at: datetime) -> str | None:
    """Why the message must not be sent (its ``expires_at`` passed before ``at``), or None."""
    value = payload.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        return "payload field expires_at is not an ISO 8601 time"
    if until.tzinfo is None or until.utcoffset() is None:
        return "payload field expires_at must carry an offset (UTC)"
    if until <= at:
        return (f"expired before it could be sent (expires_at {until.astimezone(UTC).isoformat()}); the person "
                "can ask again")
    return None


def _scrubbed(message: _Claimed) -> dict[str, Any]:
    """``{"payload": …}`` with the topic's secret fields replaced by :data:`SCRUBBED`, or nothing
    when the payload holds none."""
    secrets_held = [f for f in secret_fields(message.topic) if f in message.payload]
    if not secrets_held:
        return {}
    return {"payload": {**message.payload, **{f: SCRUBBED for f in secrets_held}}}


# -- a deleted family's messages (app.care.children.ChildStore.delete_family) ---------------------

def erase_family_messages(conn: sa.Connection, guardian_id: str, booking_ids: Collection[str],
                          request_ids: Collection[str], keep_for_providers: Collection[str]) -> dict[str, int]:
    """In the family's deletion transaction: delete the messages held about the family
    (개인정보 보호법 제21조: destroyed once no longer needed), keeping for providers only what they
    still need, without the child's name. The messages are those the family's export lists
    (:meth:`app.care.children.ChildStore.export_family`'s ``notifications``): addressed to the
    guardian (``to``, a delivery or an in-page row of theirs), or about the family's bookings
    (``booking_ids``) and care requests (``request_ids``, their offers included).

    - A message not yet delivered (neither sent nor failed) to a provider's staff whose topic is
      in ``keep_for_providers`` (a cancellation: the place given back) is kept for the staff
      only: the guardian leaves ``to``, ``first_name`` leaves the payload, the guardian's
      deliveries of it are deleted.
    - Every other message is deleted with its deliveries (undelivered ones are never sent;
      delivered ones have done their work) and the guardian's in-page rows of it; but a notice
      of a ``keep_for_providers`` topic to staff only that names no child is left as it is (kept
      so by this deletion, delivered or not: deleting the family again changes nothing).
    - The staff's in-page rows of a deleted or kept message (their provider's list) stay, but a
      row rendered from a payload with the child's first name is rendered again without it
      (the staff's word for "the child"); one that no longer renders is deleted.

    Returns ``messages_deleted`` and ``messages_kept``."""
    gid, n, d = guardian_id, notifications, outbox_deliveries
    bookings_, requests_ = set(booking_ids), set(request_ids)
    mine = set(conn.execute(sa.select(n.c.outbox_id).where(n.c.user_id == gid)).scalars())
    mine |= set(conn.execute(sa.select(d.c.outbox_id).where(d.c.user_id == gid)).scalars())
    about = sa.or_(outbox.c.topic.like("booking.%"), outbox.c.topic.like("offer.%"),
                   outbox.c.topic.like("request.%"), sa.cast(outbox.c.payload, sa.Text).like(f"%{gid}%"))
    if mine:
        about = sa.or_(about, outbox.c.id.in_(sorted(mine)))
    deleted: list[int] = []
    kept: list[int] = []
    renamed: dict[int, tuple[str, dict[str, Any]]] = {}  # message id -> topic, payload without the name
    for row in conn.execute(sa.select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.sent_at,
                                      outbox.c.failed_at).where(about)).all():
        payload = row.payload if isinstance(row.payload, dict) else {}
        given = payload.get("to")
        to = [t for t in given if isinstance(t, dict)] if isinstance(given, list) else []
        to_family = row.id in mine or any(t.get("user_id") == gid for t in to)
        if not (to_family or payload.get("booking_id") in bookings_ or payload.get("request_id") in requests_):
            continue
        unnamed = {k: v for k, v in payload.items() if k != "first_name"}
        if not to_family and unnamed == payload and row.topic in keep_for_providers:
            continue  # the staff's notice as a deletion keeps it (this one's, or an earlier run's)
        if "first_name" in payload:
            renamed[row.id] = (row.topic, unnamed)
        staff = [t for t in to if "facility_id" in t]
        if staff and row.topic in keep_for_providers and row.sent_at is None and row.failed_at is None:
            conn.execute(outbox.update().where(outbox.c.id == row.id).values(payload={**unnamed, "to": staff}))
            kept.append(row.id)
        else:
            deleted.append(row.id)
    touched = sorted(deleted + kept)
    if touched:
        conn.execute(n.delete().where(n.c.user_id == gid, n.c.outbox_id.in_(touched)))
        conn.execute(d.delete().where(d.c.user_id == gid, d.c.outbox_id.in_(touched)))
    if deleted:
        conn.execute(d.delete().where(d.c.outbox_id.in_(deleted)))  # SQLite enforces no ON DELETE CASCADE
        conn.execute(outbox.delete().where(outbox.c.id.in_(deleted)))
    if renamed:
        for note in conn.execute(sa.select(n.c.id, n.c.outbox_id, n.c.locale)
                                 .where(n.c.outbox_id.in_(sorted(renamed)))).all():
            topic, unnamed = renamed[note.outbox_id]
            try:
                text = render(topic, unnamed, note.locale, audience=STAFF_AUDIENCE)
            except RenderError:
                conn.execute(n.delete().where(n.c.id == note.id))
                continue
            conn.execute(n.update().where(n.c.id == note.id).values(title=text.title[:200], body=text.body))
    return {"messages_deleted": len(deleted), "messages_kept": len(kept)}


def failed_messages(engine: sa.Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The latest messages that failed for good, newest first: id, idempotency key, topic,
    attempts, failed_at (ISO UTC) and last_error (for an operator's page or CLI)."""
    o = outbox
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.c.id, o.c.idempotency_key, o.c.topic, o.c.attempts, o.c.failed_at,
                                      o.c.last_error).where(o.c.failed_at.is_not(None))
                            .order_by(o.c.failed_at.desc(), o.c.id.desc()).limit(limit)).all()
    out = []
    for r in rows:
        failed_at = _read(r.failed_at)
        out.append({"id": r.id, "idempotency_key": r.idempotency_key, "topic": r.topic, "attempts": r.attempts,
                    "failed_at": failed_at.isoformat() if failed_at else None, "last_error": r.last_error})
    return out


def build_worker(engine: sa.Engine, settings: Mapping[str, Any], worker_id: str | None = None,
                 facility_name: Callable[[str], str | None] | None = None) -> OutboxWorker:
    """The worker for the app's settings (``app.config``'s ``NOTIFY_*``): the page always, e-mail
    when ``NOTIFY_SMTP_HOST`` is set, 알림톡/SMS when ``NOTIFY_ALIMTALK_APP_KEY`` is; links made with
    ``NOTIFY_PUBLIC_BASE_URL``. Logs once which channels are on (never an address or a key), and a
    warning for each kind of message that cannot be sent (a topic whose channels are all off, links
    without the public address). Raises ``ValueError`` naming a setting that is missing or out of
    range."""
    senders: list[Sender] = [InPageSender(engine)]
    on = ["in-page"]
    if settings.get("NOTIFY_SMTP_HOST"):
        senders.append(SmtpSender(settings["NOTIFY_SMTP_HOST"], int(settings.get("NOTIFY_SMTP_PORT", 587)),
                                  settings.get("NOTIFY_SMTP_FROM", ""), user=settings.get("NOTIFY_SMTP_USER", ""),
                                  password=settings.get("NOTIFY_SMTP_PASSWORD", ""),
                                  starttls=bool(settings.get("NOTIFY_SMTP_STARTTLS", True)),
                                  timeout_s=float(settings.get("NOTIFY_SMTP_TIMEOUT_S", 10.0))))
        on.append("e-mail (SMTP)")
    if settings.get("NOTIFY_ALIMTALK_APP_KEY"):
        senders.append(AlimtalkSender(settings.get("NOTIFY_ALIMTALK_URL", ""), settings["NOTIFY_ALIMTALK_APP_KEY"],
                                      settings.get("NOTIFY_ALIMTALK_SECRET_KEY", ""),
                                      settings.get("NOTIFY_ALIMTALK_SENDER_KEY", ""),
                                      timeout_s=float(settings.get("NOTIFY_ALIMTALK_TIMEOUT_S", 10.0))))
        on.append("알림톡/SMS (NHN Cloud)")
    off = [name for name, key in (("e-mail", "NOTIFY_SMTP_HOST"), ("알림톡/SMS", "NOTIFY_ALIMTALK_APP_KEY"))
           if not settings.get(key)]
    log.info("outbox delivery channels on: %s%s", ", ".join(on),
             f"; off (not configured): {', '.join(off)}" if off else "")
    channels = {s.channel for s in senders}
    for topic in topics():
        allowed = channels_of(topic)
        if allowed is not None and not channels & set(allowed):
            log.warning("outbox: %s messages cannot be sent: they go only by %s, which is off (set %s)", topic,
                        ", ".join(allowed), " or ".join(CHANNEL_SETTINGS[c] for c in allowed))
    base_url = settings.get("NOTIFY_PUBLIC_BASE_URL") or None
    if base_url is None and link_topics():
        log.warning("outbox: links cannot be sent (%s: password-reset links fail): NOTIFY_PUBLIC_BASE_URL, "
                    "the site's public https address, is not set", ", ".join(link_topics()))
    return OutboxWorker(engine, senders, worker_id or f"{socket.gethostname()}:{os.getpid()}",
                        lease_seconds=float(settings.get("NOTIFY_LEASE_S", DEFAULT_LEASE_S)),
                        batch=int(settings.get("NOTIFY_BATCH", DEFAULT_BATCH)),
                        max_attempts=int(settings.get("NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
                        backoff_base_s=float(settings.get("NOTIFY_BACKOFF_BASE_S", DEFAULT_BACKOFF_BASE_S)),
                        backoff_cap_s=float(settings.get("NOTIFY_BACKOFF_CAP_S", DEFAULT_BACKOFF_CAP_S)),
                        facility_name=facility_name, public_base_url=base_url)
