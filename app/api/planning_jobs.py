"""Background jobs for planning work that may outlast a request (a big site suggestion).

Why not a queue library: RQ, Celery and Dramatiq need Redis or RabbitMQ, which this product
does not run; Huey's SQLite store works on one machine only. The product already has one
database every server shares (SQLite in the instance folder, or PostgreSQL), so the queue is a
table there, ``planning_jobs`` (migration 0006), and every server process runs one runner thread:

- ``POST`` answers ``202 Accepted`` with ``Location: /api/v1/coverage/jobs/<id>`` after inserting
  a ``queued`` row; any server answers ``GET`` on that URL from the table (status, progress,
  result or error), so polls may land on any gunicorn worker or machine.
- A runner claims the oldest queued job with a compare-and-set ``UPDATE … SET status='running'
  WHERE id=:id AND status='queued'`` (one row changed: ours; none: another runner was first),
  runs it with a deadline, writes a heartbeat every few seconds and the result at the end.
- A job whose heartbeat is older than ``PLANNING_JOB_STALE_S`` (its server stopped) is queued
  again, at most ``PLANNING_JOB_MAX_ATTEMPTS`` times in all, then failed with a reason.
- Finished jobs are kept ``PLANNING_JOB_KEEP_S`` seconds after they end, then deleted; at most
  ``PLANNING_JOB_MAX_WAITING`` jobs may wait or run at once (more is a 429).

A runner thread starts in a process on its first planning request (so after gunicorn forks
its workers) and stops after ``PLANNING_JOB_RUNNER_IDLE_S`` idle seconds; any submit or poll
starts it again, so a job left by a stopped server is picked up when someone asks for it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.domain import DomainError
from app.errors import ApiError
from app.extensions.db import get_engine

log = logging.getLogger(__name__)

jobs = sa.Table(
    "planning_jobs", sa.MetaData(),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("request", sa.Text, nullable=False),
    sa.Column("progress", sa.Float, nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("worker", sa.String(100), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
)

STATUSES = ("queued", "running", "done", "failed")
_EXTENSION = "dolbom_planning_jobs"
#: kind -> handler(request JSON, progress(share, note)) -> result JSON; raise ApiError to fail
HANDLERS: dict[str, Callable[[dict, Callable[[float, str], None]], dict]] = {}


class JobLost(RuntimeError):
    """The job was taken from this runner (its heartbeat went stale and another took it)."""


class TooManyJobs(ApiError):
    """More planning jobs wait or run than the setting allows."""

    status = 429
    code = "too_many_jobs"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite keeps no offset; every time this module writes is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    value = _aware(value)
    return None if value is None else value.isoformat(timespec="seconds")


def submit(engine: sa.Engine, kind: str, request: dict, created_by: str, max_waiting: int,
           now: datetime | None = None) -> str:
    """Queue a job and return its id (24 random URL-safe characters). Raises
    :class:`TooManyJobs` when ``max_waiting`` jobs already wait or run."""
    now = now or _now()
    job_id = secrets.token_urlsafe(18)
    with engine.begin() as conn:
        waiting = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(
            jobs.c.status.in_(("queued", "running")))).scalar_one()
        if waiting >= max_waiting:
            raise TooManyJobs(f"{waiting} planning jobs are waiting or running (the limit is "
                              f"{max_waiting}, setting PLANNING_JOB_MAX_WAITING); try again "
                              "when one has finished", None)
        conn.execute(sa.insert(jobs).values(
            id=job_id, kind=kind, status="queued", request=json.dumps(request, ensure_ascii=False),
            progress=0.0, note="waiting for a runner", created_by=created_by, created_at=now,
            attempts=0))
    return job_id


def load(engine: sa.Engine, job_id: str, keep_s: float, now: datetime | None = None
         ) -> dict[str, Any] | None:
    """The job as JSON data, or ``None`` when there is no such job or it ended more than
    ``keep_s`` seconds ago (see :func:`status_json` for the fields)."""
    now = now or _now()
    with engine.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
    if row is None:
        return None
    finished = _aware(row["finished_at"])
    if finished is not None and finished < now - timedelta(seconds=keep_s):
        return None
    return status_json(row, keep_s)


def status_json(row: sa.RowMapping, keep_s: float) -> dict[str, Any]:
    """``id``, ``kind``, ``status`` (queued, running, done, failed), ``progress`` (0–1),
    ``note``, the times (ISO 8601, UTC), ``expires_at`` (when a finished job is deleted),
    ``result`` (when done) and ``error`` (``{code, message, field}``, when failed)."""
    finished = _aware(row["finished_at"])
    return {
        "id": row["id"], "kind": row["kind"], "status": row["status"],
        "progress": round(float(row["progress"]), 4), "note": row["note"],
        "created_at": _iso(row["created_at"]), "started_at": _iso(row["started_at"]),
        "finished_at": _iso(finished),
        "expires_at": _iso(finished + timedelta(seconds=keep_s)) if finished else None,
        "attempts": int(row["attempts"]),
        "result": json.loads(row["result"]) if row["result"] else None,
        "error": json.loads(row["error"]) if row["error"] else None,
    }


def claim(engine: sa.Engine, worker: str, stale_s: float, max_attempts: int,
          now: datetime | None = None) -> tuple[str, str, dict] | None:
    """Take the oldest queued job for ``worker``: ``(id, kind, request)``, or ``None`` when
    none waits (or another runner took it first). Jobs whose heartbeat is older than
    ``stale_s`` are queued again first, or failed after ``max_attempts`` runs."""
    now = now or _now()
    stale = now - timedelta(seconds=stale_s)
    with engine.begin() as conn:
        lost = (jobs.c.status == "running") & (jobs.c.heartbeat_at < stale)
        conn.execute(sa.update(jobs).where(lost & (jobs.c.attempts < max_attempts)).values(
            status="queued", worker=None,
            note="queued again: the server running it stopped"))
        conn.execute(sa.update(jobs).where(lost & (jobs.c.attempts >= max_attempts)).values(
            status="failed", finished_at=now, note="failed",
            error=json.dumps({"code": "job_lost", "field": None, "message":
                              f"the servers running this job stopped {max_attempts} times; "
                              "submit it again, perhaps smaller"})))
        row = conn.execute(sa.select(jobs.c.id, jobs.c.kind, jobs.c.request)
                           .where(jobs.c.status == "queued")
                           .order_by(jobs.c.created_at, jobs.c.id).limit(1)).first()
        if row is None:
            return None
        taken = conn.execute(sa.update(jobs).where(
            (jobs.c.id == row.id) & (jobs.c.status == "queued")).values(
            status="running", worker=worker, started_at=now, heartbeat_at=now,
            attempts=jobs.c.attempts + 1, note="started"))
        if taken.rowcount != 1:
            return None
    return row.id, row.kind, json.loads(row.request)


def beat(engine: sa.Engine, job_id: str, worker: str, progress: float | None = None,
         note: str | None = None, now: datetime | None = None) -> bool:
    """Record that ``worker`` still runs the job (and its progress); False when the job is no
    longer this worker's."""
    values: dict[str, Any] = {"heartbeat_at": now or _now()}
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, float(progress)))
    if note is not None:
        values["note"] = note[:200]
    with engine.begin() as conn:
        done = conn.execute(sa.update(jobs).where(
            (jobs.c.id == job_id) & (jobs.c.worker == worker) & (jobs.c.status == "running"))
            .values(**values))
    return done.rowcount == 1


def finish(engine: sa.Engine, job_id: str, worker: str, result: dict | None = None,
           error: dict | None = None, now: datetime | None = None) -> bool:
    """Store the result (status ``done``) or the error (``failed``) of ``worker``'s job."""
    values = {"status": "failed" if error is not None else "done", "finished_at": now or _now(),
              "progress": 1.0 if error is None else jobs.c.progress,
              "note": "failed" if error is not None else "done",
              "result": json.dumps(result, ensure_ascii=False) if error is None else None,
              "error": json.dumps(error, ensure_ascii=False) if error is not None else None}
    with engine.begin() as conn:
        done = conn.execute(sa.update(jobs).where(
            (jobs.c.id == job_id) & (jobs.c.worker == worker) & (jobs.c.status == "running"))
            .values(**values))
    return done.rowcount == 1


def purge(engine: sa.Engine, keep_s: float, now: datetime | None = None) -> int:
    """Delete jobs that ended more than ``keep_s`` seconds ago, and queued ones never started
    within that time; returns how many."""
    cutoff = (now or _now()) - timedelta(seconds=keep_s)
    with engine.begin() as conn:
        gone = conn.execute(sa.delete(jobs).where(
            (jobs.c.status.in_(("done", "failed")) & (jobs.c.finished_at < cutoff))
            | ((jobs.c.status == "queued") & (jobs.c.created_at < cutoff))))
    return gone.rowcount


def _settings(app: Flask) -> dict[str, float]:
    c = app.config
    return {"poll_s": float(c.get("PLANNING_JOB_POLL_S", 2.0)),
            "stale_s": float(c.get("PLANNING_JOB_STALE_S", 60.0)),
            "max_attempts": int(c.get("PLANNING_JOB_MAX_ATTEMPTS", 2)),
            "keep_s": float(c.get("PLANNING_JOB_KEEP_S", 86_400)),
            "idle_s": float(c.get("PLANNING_JOB_RUNNER_IDLE_S", 300.0))}


class Runner:
    """One thread per process that claims and runs planning jobs (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.worker = f"{socket.gethostname()[:60]}:{self.pid}:{secrets.token_hex(3)}"
        self.settings = _settings(app)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="planning-jobs", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        """True while the thread runs in this process."""
        return self.pid == os.getpid() and self.thread.is_alive() and not self._stop.is_set()

    def wake(self) -> None:
        """Look for a job now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current job (tests; idle runners stop by themselves)."""
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        idle_since = time.monotonic()
        last_purge = 0.0
        failures = 0
        while not self._stop.is_set():
            self._wake.wait(self.settings["poll_s"])
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                with self.app.app_context():
                    engine = get_engine()
                    ran = False
                    while not self._stop.is_set() and self._run_one(engine):
                        ran = True
                    if time.monotonic() - last_purge > 60:
                        purge(engine, self.settings["keep_s"])
                        last_purge = time.monotonic()
                failures = 0
            except Exception:  # the next poll tries again; the next request restarts a runner
                failures += 1
                log.warning("planning job runner: a poll failed (%d in a row)", failures,
                            exc_info=failures == 1)
                if failures >= 3:
                    break
                ran = False
            if ran:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.settings["idle_s"]:
                break
        self._stop.set()

    def _run_one(self, engine: sa.Engine) -> bool:
        s = self.settings
        claimed = claim(engine, self.worker, s["stale_s"], int(s["max_attempts"]))
        if claimed is None:
            return False
        job_id, kind, request = claimed
        done = threading.Event()
        lost = threading.Event()

        def heartbeat() -> None:
            while not done.wait(max(0.5, s["stale_s"] / 6)):
                try:
                    if not beat(engine, job_id, self.worker):
                        lost.set()
                except Exception:
                    log.warning("planning job %s: a heartbeat failed", job_id, exc_info=True)

        last = [0.0]

        def progress(share: float, note: str) -> None:
            if lost.is_set():
                raise JobLost(job_id)
            if time.monotonic() - last[0] >= 0.5 or share >= 1.0:
                last[0] = time.monotonic()
                if not beat(engine, job_id, self.worker, share, note):
                    lost.set()
                    raise JobLost(job_id)

        beater = threading.Thread(target=heartbeat, name=f"planning-job-{job_id[:6]}", daemon=True)
        beater.start()
        try:
            handler = HANDLERS.get(kind)
            if handler is None:
                raise ApiError(f"no handler for jobs of kind {kind!r}", "kind")
            result = handler(request, progress)
            finish(engine, job_id, self.worker, result=result)
        except JobLost:
            log.warning("planning job %s was taken over by another runner", job_id)
        except ApiError as exc:
            finish(engine, job_id, self.worker,
                   error={"code": exc.code, "message": exc.message, "field": exc.field})
        except DomainError as exc:  # as the request would have been answered (app.errors)
            finish(engine, job_id, self.worker,
                   error={"code": exc.code, "message": str(exc), "field": exc.field})
        except Exception:
            log.exception("planning job %s (%s) failed", job_id, kind)
            finish(engine, job_id, self.worker, error={
                "code": "internal_error", "field": None,
                "message": "the job failed on the server; the operators' log has the details"})
        finally:
            done.set()
            beater.join(timeout=5)
        return True


def ensure_runner(app: Flask) -> Runner:
    """This process's runner for ``app``, started if it is not running (after a fork, or
    after it stopped when idle)."""
    holder = app.extensions.setdefault(_EXTENSION, {"lock": threading.Lock(), "runner": None})
    with holder["lock"]:
        runner = holder["runner"]
        if runner is None or not runner.alive():
            runner = holder["runner"] = Runner(app)
    return runner


def stop_runner(app: Flask) -> None:
    """Stop this process's runner for ``app`` (tests)."""
    holder = app.extensions.get(_EXTENSION)
    if holder and holder["runner"] is not None:
        holder["runner"].stop()
        holder["runner"].thread.join(timeout=30)
        holder["runner"] = None
