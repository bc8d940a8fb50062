"""Cheap "did anything change?" checks, so a search asks the database only when a provider
report changed: SQLite's ``PRAGMA data_version`` on a kept connection (no disk read), and
PostgreSQL's LISTEN/NOTIFY (a non-blocking look at a socket). SQLite's counter moves with the
commit itself, so every server sees a change on its next search; a NOTIFY reaches the other
servers' listeners a moment after the commit (bench/bench_propagation.py measures how long), so
there a search right after another server's write may not show it yet. The server that made
the write shows it at once (app.live.service.LiveOverlay.apply).

What changed is then read without a pool checkout (and its liveness check)
or SQLAlchemy's statement building, since during a burst of updates nearly every search does
it: on SQLite in one statement on the watcher's kept connection (writers are serialised, so
audit ids follow commit order and "entries after the last one seen" is exact); on PostgreSQL
from the NOTIFY payloads themselves (concurrent writers commit out of id order there).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    import psycopg

CHANNEL = "dolbom_availability"
RECONNECT_EVERY_S = 1.0  # while the database is away, try again at most this often

# The newest audit entry, and every report changed after a given entry, read in one statement
# (one snapshot). Rows: (newest_audit_id, facility_id, version, reported_at, reported_by, data);
# when nothing changed, one row with only newest_audit_id set.
_NEWEST_AND_REPORTS = (
    "SELECT m.newest, a.facility_id, a.version, a.reported_at, a.reported_by, a.data "
    "FROM (SELECT max(id) AS newest FROM audit_log) AS m LEFT JOIN availability AS a ON ")
_CHANGES_SQL = _NEWEST_AND_REPORTS + (
    "a.facility_id IN (SELECT facility_id FROM audit_log WHERE id > {since})")
_EVERYTHING_SQL = _NEWEST_AND_REPORTS + "1 = 1"  # the first read: no walk of the audit log


def _changes_sql(since_id: int, placeholder: str) -> tuple[str, tuple]:
    if since_id < 0:
        return _EVERYTHING_SQL, ()
    return _CHANGES_SQL.format(since=placeholder), (since_id,)


_ROWS_SQL = ("SELECT facility_id, version, reported_at, reported_by, data FROM availability "
             "WHERE facility_id = ANY(%s)")  # PostgreSQL only

Row = tuple[str, int, datetime, str, str]  # facility_id, version, reported_at, by, data


class Unreachable(Exception):
    """The database cannot be reached right now."""


def _split(rows: list[tuple]) -> tuple[int, list[tuple[Any, ...]]]:
    newest = (rows[0][0] if rows else None) or 0
    return newest, [tuple(r[1:]) for r in rows if r[1] is not None]


class SQLiteWatcher:
    """Watches a SQLite file for commits by any connection or process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def _conn(self) -> sqlite3.Connection:
        """This thread's read-only connection, reopened when the file was replaced."""
        try:
            inode = os.stat(self.path).st_ino
        except OSError as exc:
            raise Unreachable(str(exc)) from exc
        local = self._local
        if getattr(local, "inode", None) != inode:
            if getattr(local, "conn", None) is not None:
                local.conn.close()
            local.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                         check_same_thread=False)
            self._opened.append(local.conn)
            local.inode = inode
            local.version = None
        return local.conn

    def changed(self) -> bool:
        """True when something was committed since the last call in this thread."""
        conn = self._conn()
        local = self._local
        try:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            local.inode = None
            raise Unreachable(str(exc)) from exc
        changed = version != local.version
        local.version = version
        return changed

    def changes(self, since_id: int) -> tuple[int, list[Row]]:
        """The newest audit id and the reports changed after audit entry ``since_id``."""
        conn = self._conn()
        try:
            rows = conn.execute(*_changes_sql(since_id, "?")).fetchall()
        except sqlite3.Error as exc:
            self._local.inode = None
            raise Unreachable(str(exc)) from exc
        newest, changed = _split(rows)
        # SQLite keeps timestamps as text (written by SQLAlchemy, in UTC).
        return newest, [(f, v, datetime.fromisoformat(at), by, data)
                        for f, v, at, by, data in changed]

    def close(self) -> None:
        """Close every kept connection."""
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._local = threading.local()


class PostgresWatcher:
    """Listens for the NOTIFY that every report write sends (migration 0003): its payload is
    the report itself, applied without a query. Reports are read from the database only after
    (re)connecting, and for a report too big for a payload, on a second kept connection (a
    listener must not miss notifications while a query runs)."""

    def __init__(self, url: sa.URL) -> None:
        self.url = url
        self._conn: psycopg.Connection[Any] | None = None
        self._query_conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._pending: list[dict] = []  # notified, not yet handed out by changes()
        self._reload = True  # read everything: first use, or back after losing the listener

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        u = self.url
        return psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                               dbname=u.database, autocommit=True, connect_timeout=3)

    def _close_connections(self) -> None:
        for conn in (self._conn, self._query_conn):
            if conn is not None:
                conn.close()
        self._conn = self._query_conn = None
        self._pending.clear()
        self._reload = True  # whatever happens next starts from a full read

    def _lost(self, exc: Exception) -> Unreachable:
        self._close_connections()
        self._retry_at = time.monotonic() + RECONNECT_EVERY_S
        return Unreachable(str(exc))

    def changed(self) -> bool:
        """True when a write was notified since the last call (or after a reconnect)."""
        import psycopg

        with self._lock:
            if self._conn is None:
                if time.monotonic() < self._retry_at:
                    raise Unreachable("waiting before reconnecting")
                try:
                    self._conn = self._connect()
                    self._conn.execute(f"LISTEN {CHANNEL}")
                except psycopg.Error as exc:
                    raise self._lost(exc) from exc
                self._reload = True  # anything may have changed while we were away
                return True
            try:
                for note in self._conn.notifies(timeout=0, stop_after=None):
                    self._pending.append(json.loads(note.payload) if note.payload else {})
                if self._conn.closed or self._conn.broken:
                    raise psycopg.OperationalError("listener connection lost")
            except psycopg.Error as exc:
                raise self._lost(exc) from exc
            return bool(self._pending) or self._reload

    def changes(self, since_id: int) -> tuple[int, list[Row]]:
        """The newest audit id and the reports notified since the last call (everything
        after a reconnect)."""
        import psycopg

        with self._lock:
            if self._conn is None:
                raise Unreachable("not listening")
            pending, self._pending = self._pending, []
            newest = max([since_id, 0, *(n.get("audit_id", 0) for n in pending)])
            rows: list[Row] = []
            to_read = [n["facility_id"] for n in pending if "data" not in n]
            try:
                if self._reload or since_id < 0 or any("facility_id" not in n for n in pending):
                    newest, rows = _split(self._query(*_changes_sql(-1, "%s")))
                    self._reload = False
                elif to_read:
                    rows = self._query(_ROWS_SQL, (to_read,))
            except psycopg.Error as exc:
                raise self._lost(exc) from exc
        rows += [(n["facility_id"], n["version"], datetime.fromisoformat(n["reported_at"]),
                  n["reported_by"], n["data"]) for n in pending if "data" in n]
        return newest, rows

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        if self._query_conn is None:
            self._query_conn = self._connect()
        return self._query_conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close both connections."""
        with self._lock:
            self._close_connections()


class AlwaysChanged:
    """For other databases: ask every time, through the engine's pool."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def changed(self) -> bool:
        return True

    def changes(self, since_id: int) -> tuple[int, list[Row]]:
        """The newest audit id and the reports changed after audit entry ``since_id``."""
        try:
            with self.engine.connect() as conn:
                sql, params = _changes_sql(since_id, ":since")
                rows = conn.execute(sa.text(sql), {"since": since_id} if params else {}).all()
        except sa.exc.DBAPIError as exc:
            raise Unreachable(type(exc.orig).__name__ if exc.orig else str(exc)) from exc
        return _split([tuple(r) for r in rows])

    def close(self) -> None:
        pass


def watcher_for(engine: sa.Engine) -> SQLiteWatcher | PostgresWatcher | AlwaysChanged:
    """The cheapest watcher for this engine's database."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return SQLiteWatcher(url.database.removeprefix("file:").split("?")[0])
    if url.get_backend_name() == "postgresql":
        return PostgresWatcher(url)
    return AlwaysChanged(engine)
