"""Cheap "did anything change?" checks, so a search asks the database only when a provider
report changed: SQLite's ``PRAGMA data_version`` on a kept connection (no disk read), and
PostgreSQL's LISTEN/NOTIFY (a non-blocking look at a socket). Both notice at once, so every
server sees a change on its next search."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import sqlalchemy as sa

CHANNEL = "dolbom_availability"
RECONNECT_EVERY_S = 1.0  # while the database is away, try again at most this often


class Unreachable(Exception):
    """The database cannot be reached right now."""


class SQLiteWatcher:
    """Watches a SQLite file for commits by any connection or process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def changed(self) -> bool:
        """True when something was committed since the last call in this thread."""
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
        try:
            version = local.conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            local.inode = None
            raise Unreachable(str(exc)) from exc
        changed = version != local.version
        local.version = version
        return changed

    def close(self) -> None:
        """Close every kept connection."""
        for conn in self._opened:
            conn.close()
        self._opened.clear()
        self._local = threading.local()


class PostgresWatcher:
    """Listens for the NOTIFY that every availability write sends."""

    def __init__(self, url: sa.URL) -> None:
        self.url = url
        self._conn = None
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def _connect(self):
        import psycopg

        u = self.url
        conn = psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                               dbname=u.database, autocommit=True, connect_timeout=3)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def changed(self) -> bool:
        """True when a write was notified since the last call (or after a reconnect)."""
        import psycopg

        with self._lock:
            if self._conn is None:
                if time.monotonic() < self._retry_at:
                    raise Unreachable("waiting before reconnecting")
                try:
                    self._conn = self._connect()
                except psycopg.Error as exc:
                    self._retry_at = time.monotonic() + RECONNECT_EVERY_S
                    raise Unreachable(str(exc)) from exc
                return True  # anything may have changed while we were away
            try:
                got = any(True for _ in self._conn.notifies(timeout=0, stop_after=None))
                if self._conn.closed or self._conn.broken:
                    raise psycopg.OperationalError("listener connection lost")
            except psycopg.Error as exc:
                self._conn.close()
                self._conn = None
                self._retry_at = time.monotonic() + RECONNECT_EVERY_S
                raise Unreachable(str(exc)) from exc
            return got

    def close(self) -> None:
        """Close the listener."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class AlwaysChanged:
    """For other databases: ask every time."""

    def changed(self) -> bool:
        return True

    def close(self) -> None:
        pass


def watcher_for(engine: sa.Engine):
    """The cheapest watcher for this engine's database."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return SQLiteWatcher(url.database.removeprefix("file:").split("?")[0])
    if url.get_backend_name() == "postgresql":
        return PostgresWatcher(url)
    return AlwaysChanged()
