"""Benchmark: provider updates per second and search requests per second during a burst of
updates, on SQLite and on PostgreSQL, with 2 gunicorn workers; searches without writes are
measured in the same run. Prints figures; not a test.

Run: .venv/bin/python bench/bench_availability.py [SECONDS]
     (needs wrk; PostgreSQL from DOLBOM_TEST_POSTGRES_URL, e.g. eval "$(bash .ci/postgres.sh)")
Target (issue 5): search throughput during the burst at least half of that without writes.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.live import tokens  # noqa: E402
from app.live.db import make_engine, upgrade  # noqa: E402
from tests.live.servers import Gunicorn, reset_postgres  # noqa: E402

WRITER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
from tests.live.servers import request
base, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
ids = json.loads(sys.argv[5])
rate = float(sys.argv[6])  # updates per second for this writer; 0 = as fast as it can
versions = {i: 0 for i in ids}
done = 0
end = time.monotonic() + seconds
k = 0
start = time.monotonic()
while time.monotonic() < end:
    if rate and done >= (time.monotonic() - start) * rate:
        time.sleep(0.002)
        continue
    fid = ids[k % len(ids)]; k += 1
    status, body = request("PUT", f"{base}/api/v1/providers/{fid}/availability",
                           {"version": versions[fid], "vacancies": {"regular": k % 20}}, token)
    if status == 200:
        versions[fid] = body["version"]; done += 1
    elif status == 409:
        versions[fid] = body["error"]["current"]["version"]
print(done)
"""


THREADS = int(os.environ.get("GUNICORN_THREADS", "1"))


def wrk(url: str, seconds: int) -> float:
    out = subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", url], capture_output=True,
                         text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run(label: str, db_url: str, seconds: int, rate_per_writer: float) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    admin = tokens.issue(engine, "admin")
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        server = Gunicorn(db_url, Path(tmp), threads=THREADS).start()
        try:
            search = f"{server.url}/api/v1/facilities/nearest?lat=37.2636&lon=127.045"
            quiet = wrk(search, seconds)
            ids = [[f"demo-dc-{i:05d}" for i in range(1 + 100 * w, 101 + 100 * w)]
                   for w in range(2)]
            writers = [subprocess.Popen(
                [sys.executable, "-c", WRITER, server.url, admin, str(seconds + 1), str(ROOT),
                 json.dumps(ids[w]), str(rate_per_writer)], stdout=subprocess.PIPE, text=True)
                for w in range(2)]
            time.sleep(0.5)
            busy = wrk(search, seconds)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            updates = sum(int(w.communicate()[0]) for w in writers)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            writer_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            quiet_after = wrk(search, seconds)
        finally:
            server.kill()
    base = (quiet + quiet_after) / 2
    pace = f"{2 * rate_per_writer:.0f}/s asked" if rate_per_writer else "flat out"
    print(f"{label}, burst {pace}, 2 workers x {THREADS} threads:\n  searches/s without "
          f"writes {quiet:.0f} and {quiet_after:.0f} (before/after);"
          f" during the burst {busy:.0f} ({busy / base:.2f} of quiet); "
          f"updates/s during the burst {updates / (seconds + 1):.0f} (2 writer processes, which "
          f"used {writer_cpu / (seconds + 1.5):.2f} of the machine's 2 cores themselves)")


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    pg = os.environ.get("DOLBOM_TEST_POSTGRES_URL")
    for rate in (25.0, 0.0):  # 50 updates/s in all (a busy province-wide minute), then flat out
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite (WAL)", f"sqlite:///{tmp}/bench.sqlite3", seconds, rate)
        if pg:
            reset_postgres(pg)
            run("PostgreSQL", pg, seconds, rate)
        else:
            print("PostgreSQL: skipped (set DOLBOM_TEST_POSTGRES_URL; see .ci/postgres.sh)")


if __name__ == "__main__":
    main()
