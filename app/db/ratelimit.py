"""Rate-limit counters in the availability database, for Flask-Limiter.

Flask-Limiter counts through a ``limits`` storage; its shipped ones are process memory (each
server would count on its own) or Redis, Memcached, MongoDB, which a default deployment does
not run. :class:`DatabaseStorage` keeps the counters in the ``rate_limits`` table of the
database every server already shares (SQLite or PostgreSQL), so all servers count together.
It is registered under the ``dolbom-db://`` scheme and implements the fixed-window strategy:
one row per key (token and limit), incremented by a single upsert whose window restarts when
it has expired; time is the database's clock, so servers' clocks need not agree.

A request that already holds a connection (the provider API's write) lends it with
:func:`using`: on SQLite a second connection would wait for the write lock the first one holds.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import ClassVar

import sqlalchemy as sa
from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy.exc import DBAPIError

from .engine import connection

SCHEME = "dolbom-db"

# "now" in epoch seconds on the database's clock.
_NOW = {"sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
        "postgresql": "extract(epoch FROM clock_timestamp())::float8"}

_INCR = (
    "INSERT INTO rate_limits (limit_key, hits, expires_at) VALUES (:key, :amount, {now} + :expiry) "
    "ON CONFLICT (limit_key) DO UPDATE SET "
    "hits = CASE WHEN rate_limits.expires_at <= {now} THEN excluded.hits "
    "ELSE rate_limits.hits + excluded.hits END, "
    "expires_at = CASE WHEN rate_limits.expires_at <= {now} THEN excluded.expires_at "
    "ELSE rate_limits.expires_at END "
    "RETURNING hits")
_GET = "SELECT hits FROM rate_limits WHERE limit_key = :key AND expires_at > {now}"
_EXPIRY = "SELECT expires_at FROM rate_limits WHERE limit_key = :key"

_LENT: contextvars.ContextVar[sa.Connection | None] = contextvars.ContextVar(
    "dolbom_ratelimit_connection", default=None)


@contextlib.contextmanager
def using(conn: sa.Connection) -> Iterator[None]:
    """Count on ``conn`` (a connection this request holds) inside the block. The caller commits
    it: the count stands whatever becomes of the request."""
    token = _LENT.set(conn)
    try:
        yield
    finally:
        _LENT.reset(token)


class DatabaseStorage(Storage):
    """A ``limits`` storage (fixed window) in the app's SQLAlchemy database.

    ``engine``: the app's engine, passed as a storage option
    (``Limiter(storage_uri="dolbom-db://", storage_options={"engine": engine})``).
    """

    # limits declares this per instance, but its registry reads the class's (a typing gap there).
    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]  # type: ignore[misc]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 engine: sa.Engine | None = None, **options: float | str | bool) -> None:
        if engine is None:
            raise ConfigurationError(f"{SCHEME}:// needs the app's engine as the storage "
                                     "option 'engine'")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.engine = engine
        now = _NOW.get(engine.dialect.name)
        if now is None:
            raise ConfigurationError(f"{SCHEME}:// supports SQLite and PostgreSQL, not "
                                     f"{engine.dialect.name}")
        self._incr = sa.text(_INCR.format(now=now))
        self._get = sa.text(_GET.format(now=now))
        self._expiry = sa.text(_EXPIRY)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return DBAPIError

    @contextlib.contextmanager
    def _conn(self, write: bool) -> Iterator[sa.Connection]:
        lent = _LENT.get()
        if lent is not None:
            yield lent  # the lender commits
            return
        with connection(self.engine) as conn:
            yield conn
            if write:
                conn.commit()
            else:
                conn.rollback()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the count of ``key`` (a new window of ``expiry`` seconds when
        the last one has ended); returns the count."""
        with self._conn(write=True) as conn:
            return int(conn.execute(self._incr, {"key": key, "amount": amount,
                                                 "expiry": float(expiry)}).scalar_one())

    def get(self, key: str) -> int:
        """The count of ``key`` in its current window (0 when none)."""
        with self._conn(write=False) as conn:
            return int(conn.execute(self._get, {"key": key}).scalar() or 0)

    def get_expiry(self, key: str) -> float:
        """When the window of ``key`` ends, in epoch seconds (now when it has none)."""
        with self._conn(write=False) as conn:
            found = conn.execute(self._expiry, {"key": key}).scalar()
        return float(found) if found is not None else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self._conn(write=False) as conn:
                conn.execute(sa.text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every count; returns how many were kept."""
        with self._conn(write=True) as conn:
            return conn.execute(sa.text("DELETE FROM rate_limits")).rowcount

    def clear(self, key: str) -> None:
        """Forget the count of ``key``."""
        with self._conn(write=True) as conn:
            conn.execute(sa.text("DELETE FROM rate_limits WHERE limit_key = :key"), {"key": key})
