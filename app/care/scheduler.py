"""The care cycle's clock: calls each registered ``tick(now)`` every few seconds, in a
background thread of each server process.

Why this design. The deadlines live in the database rows, not in the scheduler:
``bookings.hold_expires_at``, ``offers.respond_by``, ``care_requests.match_by`` (and the outbox's
``available_at``, the retention dates). A tick asks the database what is due at ``now`` and fires
each with a guarded transition (``UPDATE … WHERE id = :id AND status = <source>`` under a row
lock), so

- a deadline survives any restart: the first tick after start-up (it runs at once) fires
  whatever fell due while no server ran, and a worker killed mid-tick leaves nothing behind (its
  transaction rolls back; the row is still due, and the next tick of any server fires it);
- several servers, each with this clock in each worker process, fire one deadline once: the
  second to get the row lock finds it moved on and skips it (tests/care/test_matching.py makes
  two processes race for one offer's deadline and counts one expiry);
- times are aware UTC throughout (the scheduler runs in UTC; the server's ``TZ`` never counts).

The library supplies only the clock: APScheduler 3 (3.11, maintained and stable)
``BackgroundScheduler`` with the in-memory job store and one interval job per tick
(``coalesce=True``: a backlog runs once; ``max_instances=1``: a slow tick is never overlapped by
itself; ``misfire_grace_time``: a run delayed by a busy process still happens). Not a home-made
timer loop (sleep drift, no misfire handling, no clean shutdown).

Why not the alternatives (checked in their documentation):

- APScheduler 3's ``SQLAlchemyJobStore`` to keep the jobs in the database: its user guide says
  "Job stores must never be shared between schedulers" (apscheduler.readthedocs.io/en/3.x/
  userguide.html), and django-apscheduler, built on it, warns to run only ONE scheduler because
  APScheduler 3 has no interprocess synchronisation, so jobs are "missed or executed multiple
  times" with several workers (pypi.org/project/django_apscheduler). With the deadlines in our
  own rows there is nothing to persist in a job store.
- APScheduler 4, which does share a data store between schedulers: "The v4.0 series is provided
  as a pre-release ... so do NOT use this release in production!" (its README,
  github.com/agronholm/apscheduler; pypi.org/project/APScheduler/4.0.0a6 "pre-release").
- procrastinate: a task queue "leveraging PostgreSQL 13+ to store task definitions, manage
  locks and dispatch tasks" (procrastinate.readthedocs.io): PostgreSQL only, and the service
  runs on SQLite by default.
- huey: a task queue whose jobs and periodic tasks run in a separate consumer process
  (``huey_consumer``), one more thing to deploy; it has SQLite and (since 3.2) PostgreSQL storage
  (pypi.org/project/huey), but a queue adds nothing when the work is "fire what the rows say is
  due".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from .bookings import BookingStore
from .matching import MatchingEngine, MatchSettings

log = logging.getLogger(__name__)

Tick = Callable[[datetime], object]
"""A periodic job: fires what is due at ``now`` (aware UTC); its return value is ignored."""

DEFAULT_INTERVAL_S = 10.0
"""Seconds between two runs of each tick: deadlines fire at most this late (and the response
and match deadlines are whole minutes)."""

MISFIRE_GRACE_S = 60


class ClockError(RuntimeError):
    """A clock used out of order (a tick registered twice, started twice)."""


class Clock:
    """Runs each registered tick every ``interval_s`` seconds in a background thread.

    ``start()`` runs every tick at once, then every ``interval_s``; ``stop()`` waits for a
    running tick to finish and joins the threads (nothing is left behind). A tick that raises is
    logged (its name and the error, never its arguments) and runs again at the next interval.
    Usable as a context manager.
    """

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S, misfire_grace_s: int = MISFIRE_GRACE_S,
                 clock: Callable[[], datetime] | None = None) -> None:
        if not interval_s > 0:
            raise ClockError(f"interval_s must be more than 0 seconds, not {interval_s!r}")
        self.interval_s = interval_s
        self.misfire_grace_s = misfire_grace_s
        self._now = clock or (lambda: datetime.now(UTC))
        self._ticks: dict[str, Tick] = {}
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self.runs: dict[str, int] = {}  # completed runs per tick, for health pages and tests
        self.failures: dict[str, int] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._ticks)

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def register(self, name: str, tick: Tick) -> None:
        """Add ``tick`` under ``name`` (unique); a running clock starts calling it at once."""
        with self._lock:
            if name in self._ticks:
                raise ClockError(f"a tick named {name!r} is registered already")
            self._ticks[name] = tick
            self.runs[name] = self.failures[name] = 0
            if self._scheduler is not None:
                self._add_job(self._scheduler, name)

    def run_once(self, now: datetime | None = None) -> dict[str, object]:
        """Run every tick once, here and now (the CLI and tests); errors propagate."""
        at = now or self._now()
        return {name: tick(at) for name, tick in list(self._ticks.items())}

    def start(self) -> None:
        """Start the background thread; every tick runs at once, then every ``interval_s``."""
        with self._lock:
            if self._scheduler is not None:
                raise ClockError("the clock is running already")
            scheduler = BackgroundScheduler(
                jobstores={"default": MemoryJobStore()},
                executors={"default": ThreadPoolExecutor(max_workers=max(len(self._ticks), 1))},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.misfire_grace_s},
                timezone=UTC, daemon=True)
            for name in self._ticks:
                self._add_job(scheduler, name)
            scheduler.start()
            self._scheduler = scheduler

    def stop(self, wait: bool = True) -> None:
        """Stop the clock; with ``wait`` a running tick finishes and every thread is joined."""
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)

    def __enter__(self) -> Clock:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _add_job(self, scheduler: BackgroundScheduler, name: str) -> None:
        scheduler.add_job(self._run, "interval", seconds=self.interval_s, args=[name], id=name, name=name,
                          next_run_time=datetime.now(UTC))

    def _run(self, name: str) -> None:
        tick = self._ticks[name]
        try:
            tick(self._now())
        except Exception:  # a failed tick must not stop the clock; the next run retries
            self.failures[name] += 1
            log.exception("care clock: tick %s failed", name)
        else:
            self.runs[name] += 1


def start_in_background(app_or_engine: Any, ticks: Mapping[str, Tick] | None = None,
                        interval_s: float = DEFAULT_INTERVAL_S, settings: MatchSettings | None = None,
                        clock: Callable[[], datetime] | None = None) -> Clock:
    """Start the care clock for a server process: ``expire_holds`` (bookings) and
    ``fire_due`` (care requests), plus ``ticks`` (the outbox drain, the retention purge, …).

    ``app_or_engine``: the Flask app (its database engine, registry and ``CARE_*`` settings are
    used) or a SQLAlchemy engine. Call it in each worker process after it is forked (a thread does
    not survive a fork), e.g. from gunicorn's ``post_fork``; stop it with ``Clock.stop()``.
    ``clock``: what "now" is (aware; tests pass a fixed time), the real UTC time by default.
    """
    if isinstance(app_or_engine, sa.Engine):
        engine, index, config_settings = app_or_engine, None, None
    else:
        extensions = app_or_engine.extensions
        engine = extensions["dolbom_db"]
        store = extensions.get("dolbom_registry")
        index = (lambda: store.index) if store is not None else None
        config_settings = MatchSettings.from_config(app_or_engine.config)
    matching = MatchingEngine(engine, index, settings or config_settings)
    runner = Clock(interval_s, clock=clock)
    runner.register("bookings.expire_holds", BookingStore(engine).expire_holds)
    runner.register("matching.fire_due", matching.fire_due)
    for name, tick in (ticks or {}).items():
        runner.register(name, tick)
    runner.start()
    return runner
