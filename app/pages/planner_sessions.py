"""Planner sessions: a signed cookie naming a session kept in the shared database.

The cookie (signed, HttpOnly, SameSite=Strict; ``Secure`` with ``SESSION_COOKIE_SECURE`` or
on an HTTPS request) holds a random session id and the admin token's id. Each request that
carries it is checked against the ``planner_sessions`` table with one query, so on every server
that shares the database (and the secret key) a session ends:

- when its token is revoked, expires or is no longer an admin token;
- after ``PLANNER_SESSION_IDLE_MINUTES`` without a request (to within ``TOUCH_SECONDS``: the
  last request time is written at most that often);
- ``PLANNER_SESSION_MAX_HOURS`` after sign-in, however busy;
- at sign-out: the row is ended, so a copied cookie no longer works anywhere.

Requests without the cookie (the search API) cost nothing: no signer is made, no query runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from sqlalchemy.exc import DBAPIError

from app.db.engine import metadata, reads, tokens
from app.live.tokens import expired
from app.pages.server_sessions import (
    TOUCH_SECONDS,
    as_utc,
    came_over_https,
    digest,
    lapsed,
    needs_touch,
    new_session_id,
    utcnow,
)

log = logging.getLogger(__name__)

SID_KEY = "sid"  # the session id in the cookie
WHO_KEY = "planner_admin"  # the admin token's id in the cookie
__all__ = ["TOUCH_SECONDS", "came_over_https"]  # shared with people's sessions (server_sessions)

planner_sessions = sa.Table(
    "planner_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 (hex) of the session id
    sa.Column("token_id", sa.String(40), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
)

_LOOKUP = (sa.select(planner_sessions.c.created_at, planner_sessions.c.last_seen_at,
                     planner_sessions.c.ended_at, planner_sessions.c.token_id,
                     tokens.c.role, tokens.c.revoked_at, tokens.c.expires_at)
           .select_from(planner_sessions.join(tokens, tokens.c.id == planner_sessions.c.token_id))
           .where(planner_sessions.c.id == sa.bindparam("id")))


class PlannerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, checked against the database on each request that
    carries one (see the module docstring). ``clock`` gives the time (tests move it)."""

    clock: Callable[[], datetime] = staticmethod(utcnow)

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return self.clock().astimezone(UTC)

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``, or the request came over HTTPS (directly, or through a
        proxy trusted with ``TRUSTED_PROXIES``; never by a client's own header)."""
        if super().get_cookie_secure(app):
            return True
        return has_request_context() and came_over_https(app, request)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # no signer is built (the search API's hot path)
        session = super().open_session(app, request)
        if not session or (SID_KEY not in session and WHO_KEY not in session):
            return session
        sid = session.get(SID_KEY)
        if not isinstance(sid, str):
            return _ended(self)  # a cookie without a server-side session (an older format)
        try:
            alive = check(app, sid, self.now())
        except DBAPIError:
            log.warning("planner session not checked: the database cannot be reached")
            return self.session_class()  # signed out for this request; the cookie stays
        return session if alive else _ended(self)


def _ended(interface: PlannerSessionInterface) -> SecureCookieSession:
    """An empty session that deletes the browser's cookie."""
    session = interface.session_class()
    session.modified = True
    return session


def lifetimes(app: Flask) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetime of a planner session, from the settings."""
    return (timedelta(minutes=float(app.config["PLANNER_SESSION_IDLE_MINUTES"])),
            timedelta(hours=float(app.config["PLANNER_SESSION_MAX_HOURS"])))


def check(app: Flask, sid: str, now: datetime) -> bool:
    """True when session ``sid`` may go on at ``now``: not ended, its admin token neither
    revoked nor expired, neither idle nor absolute lifetime over. A session found over a
    lifetime is ended in the database; a live one gets its last-request time written (at most
    every ``TOUCH_SECONDS``). Raises ``DBAPIError`` when the database cannot answer."""
    engine = app.extensions["dolbom_db"]
    idle, longest = lifetimes(app)
    key = digest(sid)
    with reads(engine).connect() as conn:
        row = conn.execute(_LOOKUP, {"id": key}).first()
    if row is None or row.ended_at is not None:
        return False
    if row.revoked_at is not None or row.role != "admin" or expired(row.expires_at, now):
        return False
    created, seen = as_utc(row.created_at), as_utc(row.last_seen_at)
    if lapsed(created, seen, now, idle, longest):
        _end(engine, key, now)
        return False
    if needs_touch(seen, now):
        with engine.begin() as conn:
            conn.execute(planner_sessions.update().where(planner_sessions.c.id == key)
                         .values(last_seen_at=now))
    return True


def start(app: Flask, session: SessionMixin, token_id: str) -> None:
    """Sign ``token_id`` (an admin token) in: a new server-side session, named in the cookie.
    Raises ``DBAPIError`` when the database cannot be written."""
    now = _interface(app).now()
    sid = new_session_id()
    with app.extensions["dolbom_db"].begin() as conn:
        # Sessions over their absolute lifetime can never come back: forget them.
        conn.execute(planner_sessions.delete().where(
            planner_sessions.c.created_at < now - 2 * lifetimes(app)[1]))
        conn.execute(planner_sessions.insert().values(
            id=digest(sid), token_id=token_id, created_at=now, last_seen_at=now))
    session.clear()
    session[SID_KEY] = sid
    session[WHO_KEY] = token_id


def end(app: Flask, session: SessionMixin) -> None:
    """Sign out: the session ends in the database (a copy of the cookie is refused by every
    server) and the cookie is cleared. Raises ``DBAPIError`` when the database cannot be
    written (the cookie is cleared all the same)."""
    sid = session.get(SID_KEY)
    session.clear()
    if isinstance(sid, str):
        _end(app.extensions["dolbom_db"], digest(sid), _interface(app).now())


def _interface(app: Flask) -> PlannerSessionInterface:
    return cast(PlannerSessionInterface, app.session_interface)  # set by app.pages.planner.init_app


def _end(engine: sa.Engine, key: str, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(planner_sessions.update()
                     .where(planner_sessions.c.id == key, planner_sessions.c.ended_at.is_(None))
                     .values(ended_at=now))
