"""The sites allowed to frame the widget (``/embed``): what an origin is, whether a source of
``frame-ancestors`` allows one, and the list operators keep in the database (no restart).

Three sources allow a site: the service's own origin, the ``EMBED_ALLOWED_ORIGINS`` setting
(read at start-up) and the ``embed_origins`` table (added and removed by admins through the API,
the admin page or ``flask embed-origins``; every change is written to ``embed_origin_log`` in
the same transaction, naming the token id or the CLI user — never a token). Each server process
reads the table at most once per ``EMBED_ORIGINS_CACHE_S`` seconds (:class:`OriginCache`), so a
change reaches every process within that bound; the process that made it sees it at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db.engine import connection, embed_origin_log, embed_origins
from app.domain import DomainError

log = logging.getLogger(__name__)

ORIGIN_MAX_CHARS = 300
NOTE_MAX_CHARS = 200
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443}
EXAMPLE = "https://www.suwon.go.kr"
ALLOWED_TEXT = ("an origin: https://host[:port] (e.g. https://www.suwon.go.kr), without a path, "
                "query or user name; http:// only for localhost, 127.0.0.1 or [::1]")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"


def origin_pattern(wildcard: bool = False) -> str:
    """An ECMA/Python pattern of origins :func:`parse_origin` accepts (it also accepts capitals
    in the scheme, a default port written out and non-ASCII host names, normalising them)."""
    star = r"(?:\*\.)?" if wildcard else ""
    return (rf"^(?:https://{star}{_LABEL}(?:\.{_LABEL})*|http://(?:localhost|127\.0\.0\.1|\[::1\]))"
            rf"(?::{_PORT})?/?$")


_SPLIT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)",
                    re.DOTALL)
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


#: Why :func:`parse_origin` (or :func:`check_note`) refused a text: the ``reason`` of an
#: :class:`OriginError`, sent in the API's 400 so a page can say it in its own language.
REASONS = ("empty", "too_long", "not_an_origin", "scheme", "userinfo", "port", "host", "path",
           "http_not_loopback", "note")


class OriginError(DomainError):
    """Text that is not an origin a site can be allowed by; the message says what is (the
    field is ``origin``), ``reason`` (one of :data:`REASONS`) why, for machines."""

    def __init__(self, message: str, field: str | None = "origin", reason: str = "not_an_origin"
                 ) -> None:
        super().__init__(message, field)
        self.reason = reason


@dataclass(frozen=True)
class Origin:
    """A parsed origin (host in lower case, ASCII; port None when the scheme's default)."""

    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")


def _split(text: str) -> Origin:
    """Scheme, host and port of ``text`` (lenient: for sources already checked at start-up)."""
    m = _SPLIT.fullmatch(text.strip())
    if m is None:
        raise OriginError(f"{text!r} does not start with https://")
    scheme = m.group("scheme").lower()
    authority = m.group("authority")
    host, _, port_text = authority.rpartition(":") if not authority.endswith("]") \
        else (authority, "", "")
    if not host:
        host, port_text = authority, ""
    port = int(port_text) if port_text.isdigit() else None
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    return Origin(scheme, host.lower(), port)


def parse_origin(text: object, wildcard: bool = False) -> str:
    """The normalised origin of ``text`` (``https://host[:port]``), or :class:`OriginError`
    saying what is wrong and what is allowed. A trailing ``/`` is dropped; ``wildcard`` allows a
    host starting with ``*.`` (every subdomain, as in the setting)."""
    if not isinstance(text, str) or not text.strip():
        raise OriginError(f"give the site's origin: {ALLOWED_TEXT}", reason="empty")
    text = text.strip()
    shown = text if len(text) <= 80 else text[:80] + "…"
    if len(text) > ORIGIN_MAX_CHARS:
        raise OriginError(f"an origin is at most {ORIGIN_MAX_CHARS} characters; {ALLOWED_TEXT}",
                          reason="too_long")
    m = _SPLIT.fullmatch(text)
    if m is None:
        raise OriginError(f"{shown!r} is not an origin: it must start with https:// "
                          f"(e.g. {EXAMPLE})", reason="not_an_origin")
    scheme, authority, rest = m.group("scheme").lower(), m.group("authority"), m.group("rest")
    if scheme not in DEFAULT_PORTS:
        raise OriginError(f"{shown!r}: the scheme must be https (http only for localhost), "
                          f"not {scheme}", reason="scheme")
    if "@" in authority:
        raise OriginError(f"{shown!r}: an origin has no user name or password; {ALLOWED_TEXT}",
                          reason="userinfo")
    host, port = authority, None
    if not authority.endswith("]") and ":" in authority:
        host, port_text = authority.rsplit(":", 1)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise OriginError(f"{shown!r}: the port must be a number from 1 to 65535",
                              reason="port")
        port = int(port_text)
    host = host.lower()
    star = wildcard and host.startswith("*.")
    bare = host[2:] if star else host
    if bare and not bare.isascii():
        try:
            bare = bare.encode("idna").decode("ascii")
        except UnicodeError:
            raise OriginError(f"{shown!r}: {host!r} is not a host name", reason="host") from None
    if not (_HOST.fullmatch(bare) or bare == "[::1]"):
        raise OriginError(f"{shown!r}: {host or 'nothing'!r} is not a host name; {ALLOWED_TEXT}",
                          reason="host")
    if rest not in ("", "/"):
        suggestion = f"{scheme}://{host}" + (f":{port}" if port else "")
        raise OriginError(f"{shown!r}: an origin has no path, query or fragment; write "
                          f"{suggestion!r} (the scheme, host and port of the page's address)",
                          reason="path")
    if scheme == "http" and bare not in LOOPBACK_HOSTS:
        raise OriginError(f"{shown!r}: http:// is allowed only for localhost, 127.0.0.1 or "
                          f"[::1] (testing); a city's site must use https://{host}",
                          reason="http_not_loopback")
    if port == DEFAULT_PORTS[scheme]:
        port = None
    return str(Origin(scheme, ("*." if star else "") + bare, port))


def allows(source: str, origin: str) -> bool:
    """Whether the ``frame-ancestors`` source ``source`` (an origin, its host possibly ``*.``)
    lets a page of ``origin`` (normalised) frame the widget, as browsers match it (CSP 3): the
    same scheme or http upgraded to https, the host or for ``*.`` any subdomain, the port."""
    try:
        src, org = _split(source), _split(origin)
    except OriginError:
        return False
    if not (src.scheme == org.scheme or (src.scheme == "http" and org.scheme == "https")):
        return False
    if src.host.startswith("*."):
        if not org.host.endswith(src.host[1:]):
            return False
    elif src.host != org.host:
        return False
    if src.port is None:
        return org.port is None
    return src.port == org.port or (org.port is None and src.port == DEFAULT_PORTS[org.scheme])


def first_allowing(sources: Iterable[str], origin: str) -> str | None:
    """The first of ``sources`` that allows ``origin``, or None."""
    return next((s for s in sources if allows(s, origin)), None)


def check_note(note: object) -> str | None:
    """A note (who asked, a ticket) if plain text of at most NOTE_MAX_CHARS (no Cc, Cf, Cs, Co
    character, as :mod:`app.live.record` refuses), None when empty."""
    if note is None or note == "":
        return None
    if not isinstance(note, str) or len(note) > NOTE_MAX_CHARS or \
            any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in note):
        raise OriginError(f"a note is text of at most {NOTE_MAX_CHARS} characters, without "
                          "control or format characters", reason="note")
    return note


# The database list ---------------------------------------------------------------------------

def list_origins(bind: sa.Engine | sa.Connection) -> list[dict[str, Any]]:
    """The stored origins, alphabetically: origin, note, added_by, added_at (ISO 8601)."""
    with connection(bind) as conn:
        rows = conn.execute(sa.select(embed_origins).order_by(embed_origins.c.origin)).all()
    return [{"origin": r.origin, "note": r.note, "added_by": r.added_by,
             "added_at": _iso(r.added_at)} for r in rows]


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def add(engine: sa.Engine, origin: str, actor: str, note: str | None = None
        ) -> tuple[dict[str, Any], bool]:
    """Store ``origin`` (normalised first) with its audit entry; (the entry, True when added,
    False when it was already there: nothing written)."""
    origin = parse_origin(origin, wildcard=True)
    note = check_note(note)
    now = datetime.now(UTC)
    added = False
    try:
        with engine.begin() as conn:
            found = conn.execute(sa.select(embed_origins.c.origin)
                                 .where(embed_origins.c.origin == origin)).first()
            if found is None:
                conn.execute(embed_origins.insert().values(origin=origin, note=note,
                                                           added_by=actor, added_at=now))
                conn.execute(embed_origin_log.insert().values(
                    origin=origin, action="add", actor=actor, at=now, note=note))
                added = True
    except IntegrityError:  # added by someone else at the same moment
        added = False
    if added:
        log.info("embed origin added: %s by %s", origin, actor)
    entries = {e["origin"]: e for e in list_origins(engine)}
    # (removed again in the meantime: the entry as it was written)
    return entries.get(origin) or {"origin": origin, "note": note, "added_by": actor,
                                   "added_at": _iso(now)}, added


def remove(engine: sa.Engine, origin: str, actor: str) -> bool:
    """Remove ``origin`` with its audit entry; False when it was not stored."""
    origin = parse_origin(origin, wildcard=True)
    with engine.begin() as conn:
        gone = conn.execute(embed_origins.delete().where(embed_origins.c.origin == origin))
        if not gone.rowcount:
            return False
        conn.execute(embed_origin_log.insert().values(
            origin=origin, action="remove", actor=actor, at=datetime.now(UTC), note=None))
    log.info("embed origin removed: %s by %s", origin, actor)
    return True


def history(bind: sa.Engine | sa.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` audit entries, newest first."""
    with connection(bind) as conn:
        rows = conn.execute(sa.select(embed_origin_log).order_by(embed_origin_log.c.id.desc())
                            .limit(limit)).all()
    return [{"origin": r.origin, "action": r.action, "actor": r.actor, "at": _iso(r.at),
             "note": r.note} for r in rows]


class OriginCache:
    """The stored origins as one process sees them: read at most once per ``ttl_s`` seconds.
    When the database cannot be read the last list read stays in use (none before the first
    read: the setting still applies), and the read is tried again after ``ttl_s``."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._origins: tuple[str, ...] = ()
        self._read_at: float | None = None

    def get(self, engine: sa.Engine) -> tuple[str, ...]:
        """The stored origins, at most ``ttl_s`` old (this process's changes: at once)."""
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self.ttl_s:
            return self._origins
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl_s:
                return self._origins
            try:
                self._origins = tuple(e["origin"] for e in list_origins(engine))
            except DBAPIError as exc:
                log.warning("embed origins: the database could not be read (%s); keeping the "
                            "%d origins read before", type(exc.orig).__name__, len(self._origins))
            self._read_at = now
            return self._origins

    def invalidate(self) -> None:
        """Read again on the next :meth:`get` (after a change made by this process)."""
        with self._lock:
            self._read_at = None
