"""Benchmark: matching an emergency care request on the demo registry (app.care.matching).

One "match" is ``MatchingEngine.create``: the checks of the programme, window and child, the
point's 시군구, the search's ranking (eligibility, whole-window opening, fresh places, distance),
and one transaction writing the request, its event, the first offers, their events and outbox
messages. Also timed: a provider's acceptance (withdrawing the other open offers) and one
``fire_due`` tick with nothing due.

Run: .venv/bin/python bench/bench_matching.py [N] [DATABASE_URL]
     (N requests, default 500, at seeded points near the demo's providers in 경기도; the
     database is a fresh SQLite file unless a URL is given, e.g. $DOLBOM_TEST_POSTGRES_URL,
     which it migrates and adds its requests to). Prints p50/p99 in ms; not a test.
Goal (issue 15): matching a request p99 <= 10 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.care.matching import MatchingEngine, MatchSettings
from app.config import DEMO_REGISTRY_PATH
from app.db.engine import make_engine, upgrade
from app.registry.io import read_registry
from app.search.index import FacilityIndex
from app.search.ranking import home_sigungu_code, rank

PROGRAMME = "elementary_emergency"
BIRTH = date(2018, 3, 1)  # about 8 years old
MAX_AGE = timedelta(hours=24)


def percentiles(times: list[tuple[float, float]]) -> str:
    """p50 and p99 of wall-clock and of this process's CPU time (what the work itself costs when
    other processes share the cores), in ms."""
    wall = sorted(w * 1e3 for w, _ in times)
    cpu = sorted(c * 1e3 for _, c in times)
    p99 = min(len(wall) - 1, int(len(wall) * 0.99))
    return (f"wall p50 {statistics.median(wall):6.2f} p99 {wall[p99]:6.2f}   "
            f"cpu p50 {statistics.median(cpu):6.2f} p99 {cpu[p99]:6.2f} ms   (n={len(wall)})")


class Timer:
    """Times a block: ``times`` gets (wall seconds, CPU seconds of this thread)."""

    def __init__(self, times: list[tuple[float, float]]) -> None:
        self.times = times

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.thread_time()

    def __exit__(self, *exc: object) -> None:
        self.times.append((time.perf_counter() - self.wall, time.thread_time() - self.cpu))


def main(n: int, url: str | None) -> None:
    registry = read_registry(DEMO_REGISTRY_PATH, now=datetime.now().astimezone())
    index = FacilityIndex(registry.facilities, MAX_AGE, locale=registry.locale)
    tz = registry.locale.tz
    offered = [f for f in index.facilities if PROGRAMME in f.programmes]
    rng = random.Random(15)
    points: list[tuple[float, float]] = []
    while len(points) < n:  # families living in 경기도 (the programme's residence rule)
        f = rng.choice(offered)
        point = (f.lon + rng.uniform(-0.02, 0.02), f.lat + rng.uniform(-0.02, 0.02))
        if home_sigungu_code(*point).startswith("41"):
            points.append(point)
    now = datetime.now(tz)
    day = (now + timedelta(days=1)).date()
    start = datetime(day.year, day.month, day.day, 18, 0, tzinfo=tz)
    end = start + timedelta(hours=3)

    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    upgrade(url)
    engine = make_engine(url)
    print(f"demo registry: {len(index):,} providers, {len(offered)} offer {PROGRAMME}; database: "
          f"{engine.dialect.name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    # A child per request (one live request per child), new ones on every run: a database given
    # by URL keeps the open requests of earlier runs.
    run = uuid.uuid4().hex[:8]
    for mode in ("sequential", "top_n"):
        m = MatchingEngine(engine, lambda: index, MatchSettings(mode=mode, batch=3), first_name=lambda conn, c: "지우")
        for i, (lon, lat) in enumerate(points[:20]):  # warm-up: the 시군구 boundaries, the pool, sub-trees
            m.create("bench-guardian", f"bench-child-{run}-{mode}-w{i}", PROGRAMME, start, end, "home", (lon, lat),
                     BIRTH, now)
        ranks: list[tuple[float, float]] = []
        creates: list[tuple[float, float]] = []
        accepts: list[tuple[float, float]] = []
        tick: list[tuple[float, float]] = []
        unmatched = 0
        for i, (lon, lat) in enumerate(points):  # a child per request: one child, one booking a window
            with Timer(ranks):
                rank(index, PROGRAMME, 96, start, end, (lon, lat), now, m.settings.max_providers)
            with Timer(creates):
                r = m.create("bench-guardian", f"bench-child-{run}-{mode}-{i}", PROGRAMME, start, end, "home",
                             (lon, lat), BIRTH, now)
            if r.status == "unmatched":
                unmatched += 1
                continue
            first = m.offers_of(r.id)[0]
            with Timer(accepts):
                m.accept(first.id, "bench-staff", now + timedelta(seconds=30))
        for _ in range(50):
            with Timer(tick):
                m.fire_due(now)
        print(f"{mode}:")
        print(f"  rank only (search core)       {percentiles(ranks)}")
        print(f"  match a request (create)      {percentiles(creates)}   unmatched at once: {unmatched}")
        print(f"  accept an offer               {percentiles(accepts)}")
        print(f"  fire_due, nothing due         {percentiles(tick)}")
    engine.dispose()


if __name__ == "__main__":
    import argparse

    cli = argparse.ArgumentParser(description="Time matching a care request (issue 15: p99 <= 10 ms).")
    cli.add_argument("n", nargs="?", type=int, default=500, help="requests to match (default 500)")
    cli.add_argument("database_url", nargs="?", default=None,
                     help="a PostgreSQL URL such as $DOLBOM_TEST_POSTGRES_URL (default: a fresh SQLite file)")
    args = cli.parse_args()
    if args.n < 1:
        cli.error(f"n must be at least 1, not {args.n}")
    main(args.n, args.database_url)
