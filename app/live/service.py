"""Reading and writing availability with optimistic versions and an audit entry per change."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.db.engine import audit_log, availability, connection
from app.db.watch import Unreachable, watcher_for

from .record import LiveRecord, from_storage


class VersionConflict(Exception):
    """A write based on a version that is no longer current."""

    def __init__(self, current: LiveRecord | None) -> None:
        super().__init__("stale version")
        self.current = current


def _row_to_record(row: sa.Row[Any]) -> LiveRecord:
    return from_storage(row.version, row.reported_at, row.reported_by, row.data)


_CURRENT = sa.select(availability).where(availability.c.facility_id == sa.bindparam("fid"))


def get(bind: sa.Engine | sa.Connection, facility_id: str) -> LiveRecord | None:
    """The current report of a provider, or None when it never reported."""
    with connection(bind) as conn:
        row = conn.execute(_CURRENT, {"fid": facility_id}).first()
    return _row_to_record(row) if row else None


# Built once: building a statement costs more than running it on SQLite (a burst of updates
# runs these hundreds of times a second). The audit entry (and, on PostgreSQL, the NOTIFY to
# every server) is written by a trigger in the same statement (migration 0003).
_UPDATE = (availability.update()
           .where(availability.c.facility_id == sa.bindparam("fid"),
                  availability.c.version == sa.bindparam("based_on"))
           .values(version=sa.bindparam("new_version"), data=sa.bindparam("new_data"),
                   reported_at=sa.bindparam("at"), reported_by=sa.bindparam("by")))
_FIRST_VALUES: dict[str, sa.BindParameter[Any]] = {
    "facility_id": sa.bindparam("fid"), "version": sa.bindparam("new_version"),
    "data": sa.bindparam("new_data"), "reported_at": sa.bindparam("at"), "reported_by": sa.bindparam("by")}
_FIRST = {  # the first report; a second first report (a race) inserts nothing
    dialect: insert(availability).values(_FIRST_VALUES).on_conflict_do_nothing()
    .returning(availability.c.version)  # a row when inserted (rowcount is not reliable here)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


def put(bind: sa.Engine | sa.Connection, facility_id: str, based_on: int, content: dict,
        actor: str, now: datetime | None = None) -> LiveRecord:
    """Replace a provider's report if ``based_on`` is its current version (0: none yet).

    Raises :class:`VersionConflict` with the current record otherwise. The change and its
    audit entry commit together or not at all (one statement; the entry is the trigger's).
    ``bind``: an engine, or the connection the request already checked the token on.
    """
    now = now or datetime.now(UTC)
    data = json.dumps(content, ensure_ascii=False, sort_keys=True)
    params = {"fid": facility_id, "based_on": based_on, "new_version": based_on + 1,
              "new_data": data, "at": now, "by": actor}
    with connection(bind) as conn:
        try:
            if based_on:
                done = conn.execute(_UPDATE, params).rowcount == 1
            else:
                done = conn.execute(_FIRST[conn.dialect.name], params).first() is not None
        except IntegrityError:
            done = False
        if not done:
            conn.rollback()
            raise VersionConflict(get(conn, facility_id))
        conn.commit()
    return from_storage(based_on + 1, now, actor, data)


def history(engine: sa.Engine, facility_id: str, limit: int = 100,
            before_id: int | None = None) -> list[dict]:
    """A provider's changes, newest first: who, when, version, old and new values; at most
    ``limit`` of them, and only entries older than audit entry ``before_id`` when given (the
    ``id`` of the last entry of a page gives the next page)."""
    query = sa.select(audit_log).where(audit_log.c.facility_id == facility_id)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit))
        return [{"id": r.id, "actor": r.actor, "at": _aware(r.at).isoformat(),
                 "version": r.version, "old": json.loads(r.old) if r.old else None,
                 "new": json.loads(r.new)} for r in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class LiveOverlay:
    """This process's copy of every report, kept current by :meth:`sync`.

    ``sync`` first asks a watcher whether anything was committed (no query in the common
    case: see app.db.watch), then fetches only what changed. The guarantee: the process
    that acknowledged a write reflects it on its next search (:meth:`apply`, before the
    answer); every other process does on its first search after the change reaches its
    watcher — at once on SQLite, when the NOTIFY arrives on PostgreSQL (bench/
    bench_propagation.py measures the delay). When the database cannot be reached,
    ``reachable`` turns False: searches go on from the last known figures, shown as unknown,
    until a later sync works.
    """

    records: dict[str, LiveRecord] = field(default_factory=dict)
    last_audit_id: int = -1
    reachable: bool = True
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _watchers: dict = field(default_factory=dict, repr=False)

    def get(self, facility_id: str) -> LiveRecord | None:
        """The last known report of a provider."""
        return self.records.get(facility_id)

    def apply(self, facility_id: str, record: LiveRecord) -> None:
        """Take a report this process has just committed, before the write is acknowledged, so
        its next search reflects it without waiting for the watcher (PostgreSQL's NOTIFY
        arrives a moment after the commit). Never steps back to an older version."""
        with self._lock:
            known = self.records.get(facility_id)
            if known is None or record.version >= known.version:
                self.records[facility_id] = record

    def close(self) -> None:
        """Close the watchers' connections."""
        for watcher in self._watchers.values():
            watcher.close()
        self._watchers.clear()

    def sync(self, engine: sa.Engine) -> None:
        """Fetch what changed since the last sync; never raises."""
        watcher = self._watchers.get(engine)
        if watcher is None:
            watcher = self._watchers[engine] = watcher_for(engine)
        try:
            if not watcher.changed() and self.reachable and self.last_audit_id >= 0:
                return
            newest, rows = watcher.changes(self.last_audit_id)
        except Unreachable as exc:
            self.reachable = False
            self.last_error = str(exc)[:200]
            return
        with self._lock:
            for facility_id, version, reported_at, reported_by, data in rows:
                known = self.records.get(facility_id)
                if known is None or version >= known.version:  # never step back
                    self.records[facility_id] = from_storage(version, reported_at,
                                                             reported_by, data)
            self.last_audit_id = newest
            self.reachable = True
            self.last_error = None
