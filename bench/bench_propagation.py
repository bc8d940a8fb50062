"""Benchmark: how long after a provider's write is acknowledged other servers show it.

Two servers on one database, SQLite and PostgreSQL: A (``gunicorn -w 1``, one process) takes
the writes, B (``gunicorn -w 2``) is searched. For each of N writes to A: the time from A's
acknowledgement until a search on B first shows the new figure (B is searched back to back, as
fast as it answers). Also checked: A's own next search after each acknowledgement shows it
(the guarantee: the server process that took the write reflects it on its next search).

Run: .venv/bin/python bench/bench_propagation.py [WRITES]
     (PostgreSQL from DOLBOM_TEST_POSTGRES_URL, e.g. eval "$(bash .ci/postgres.sh)")
Prints median, p99 and max in milliseconds; not a test. The README's live availability part
states the bound these figures back.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.engine import make_engine, upgrade  # noqa: E402
from app.live import tokens  # noqa: E402
from bench.databases import on_each_database  # noqa: E402
from tests.live.servers import Gunicorn, request  # noqa: E402

FACILITY = "demo-dc-00001"
# The writes come from one admin token far faster than its default limit allows.
CONFIG = {"ADMIN_WRITE_RATE_LIMIT": "1000000 per minute"}


def places_seen(search_url: str) -> int | None:
    """The places FACILITY shows in a search at its own point."""
    with urllib.request.urlopen(search_url, timeout=10) as resp:
        results = json.loads(resp.read())["results"]
    hit = next((r for r in results if r["facility"]["id"] == FACILITY), None)
    return hit["availability"]["places"] if hit else None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(label: str, db_url: str, writes: int) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    admin = tokens.issue(engine, "admin")
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        a = Gunicorn(db_url, Path(tmp, "a"), config=CONFIG, workers=1).start()
        b = Gunicorn(db_url, Path(tmp, "b"), config=CONFIG).start()
        try:
            target = f"{a.url}/api/v1/providers/{FACILITY}/availability"
            _, facility = request("GET", f"{a.url}/api/v1/facilities/{FACILITY}")
            point = facility["result"]
            query = (f"/api/v1/facilities/nearest?lat={point['lat']}&lon={point['lon']}"
                     "&kind=daycare&limit=3")
            version = request("GET", target)[1]["version"]
            delays_ms, search_ms, first_try, same_server = [], [], 0, 0
            for i in range(writes):
                places = 1 + i % 9  # differs from the previous write's figure
                status, body = request("PUT", target, {"version": version,
                                                       "vacancies": {"regular": places}}, admin)
                acked = time.perf_counter()
                assert status == 200, body
                version = body["version"]
                tries = 0
                while True:
                    tries += 1
                    started = time.perf_counter()
                    seen = places_seen(b.url + query)
                    search_ms.append((time.perf_counter() - started) * 1000)
                    if seen == places:
                        delays_ms.append((time.perf_counter() - acked) * 1000)
                        break
                    if time.perf_counter() - acked > 30:
                        raise SystemExit(f"{label}: write {i} not seen on B after 30 s")
                first_try += tries == 1
                # A has had no search since its acknowledgement: this is its next one.
                same_server += places_seen(a.url + query) == places
        finally:
            a.kill()
            b.kill()
    print(f"{label}: PUT acknowledged by A -> shown by a search on B, {writes} writes: "
          f"median {statistics.median(delays_ms):.1f} ms, p99 {percentile(delays_ms, 99):.1f} "
          f"ms, max {max(delays_ms):.1f} ms; the first search on B showed it for {first_try} "
          f"of {writes} (one search on B takes median {statistics.median(search_ms):.1f} ms, "
          f"part of every figure). A's next search showed its own write: {same_server} of "
          f"{writes}.")


if __name__ == "__main__":
    on_each_database(run, 200, sqlite_label="SQLite (WAL)")
