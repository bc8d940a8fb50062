"""What the planner's sessions (``planner_sessions``) and people's sessions
(``account_sessions``) share: a random session id in a signed cookie, a database row keyed by
the id's SHA-256 (the table never holds a usable cookie), idle and absolute lifetimes checked on
each request, the last-request time written at most every :data:`TOUCH_SECONDS`, and the
cookie's ``Secure`` flag from the request's real scheme."""

from __future__ import annotations

import hashlib
import secrets
import ssl
from datetime import UTC, datetime, timedelta
from typing import overload

from flask import Flask, Request

TOUCH_SECONDS = 60  # the last-request time is written at most once a minute per session


def new_session_id() -> str:
    """A new session id: 32 random bytes, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(sid: str) -> str:
    """The key of session ``sid`` in its table: SHA-256, hex (64 characters)."""
    return hashlib.sha256(sid.encode()).hexdigest()


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives back the naive UTC it was given)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def lapsed(created: datetime, seen: datetime, now: datetime, idle: timedelta,
           longest: timedelta) -> str | None:
    """Why a session made at ``created`` and last used at ``seen`` is over at ``now``:
    ``"absolute"`` (``longest`` since sign-in), ``"idle"`` (``idle`` without a request), or
    None while it may go on. All times aware."""
    if now - created >= longest:
        return "absolute"
    if now - seen >= idle:
        return "idle"
    return None


def needs_touch(seen: datetime, now: datetime) -> bool:
    """Whether the last-request time ``seen`` is old enough to be written again."""
    return now - seen >= timedelta(seconds=TOUCH_SECONDS)


# Headers from which a WSGI server may itself set the request's scheme: gunicorn does so
# (secure_scheme_headers) for requests from forwarded_allow_ips, 127.0.0.1 by default, so a
# client on the same host, or a proxy passing the client's header on, would choose it.
_SCHEME_HEADERS = ("X-Forwarded-Proto", "X-Forwarded-Protocol", "X-Forwarded-Ssl")


def came_over_https(app: Flask, req: Request) -> bool:
    """The request's real scheme is HTTPS: with ``TRUSTED_PROXIES`` > 0 the one ProxyFix took
    from the trusted proxies; else, under gunicorn with a forwarding header that gunicorn may
    have believed, whether gunicorn's own socket is TLS; else the server's scheme."""
    if not req.is_secure:
        return False
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        return True
    sock = req.environ.get("gunicorn.socket")
    if sock is not None and any(name in req.headers for name in _SCHEME_HEADERS):
        return isinstance(sock, ssl.SSLSocket)
    return True
