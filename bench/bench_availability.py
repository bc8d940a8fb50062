"""Benchmark: provider updates per second and search requests per second during a burst of
updates, on SQLite and on PostgreSQL, with 2 gunicorn workers; searches without writes are
measured in the same run. Prints figures; not a test.

Run: .venv/bin/python bench/bench_availability.py [SECONDS]
     (needs wrk; PostgreSQL from DOLBOM_TEST_POSTGRES_URL, e.g. eval "$(bash .ci/postgres.sh)")
Target (issue 5): search throughput during the burst at least half of that without writes.
Bursts: 50 and 200 updates/s (the latter more than every provider in the province reporting
within one minute), then flat out, where writes take as much of the machine as they can get.

Flat out, both load generators are wrk (the writers with a Lua script), so they take little of
the two cores the servers and the database share here; paced writers are two small Python
processes. The load generators' own CPU is printed too.
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

from app.db.engine import make_engine, upgrade  # noqa: E402
from app.live import tokens  # noqa: E402
from tests.live.servers import Gunicorn, reset_postgres  # noqa: E402

WRITER_CONNECTIONS = 2
# Each PUT names the version it read; the answer (200, or 409 with the current record) gives
# that provider's next version.
WRITER_LUA = """
local ids = {%(ids)s}
local versions = {}
local i = 0
request = function()
  i = i %% #ids + 1
  local id = ids[i]
  local body = string.format('{"version": %%d, "vacancies": {"regular": %%d}}',
                             versions[id] or 0, i %% 20)
  return wrk.format("PUT", "/api/v1/providers/" .. id .. "/availability",
                    {["Content-Type"] = "application/json",
                     ["Authorization"] = "Bearer %(token)s"}, body)
end
response = function(status, headers, body)
  local id = body:match('"facility_id":%%s*"([^"]+)"')
  local v = body:match('"version":%%s*(%%d+)')
  if id and v then versions[id] = tonumber(v) end
end
"""
# Paced bursts come from Python writers instead: wrk's pacing (a delay on an open connection)
# would hold a gunicorn sync worker idle while it waits, which a client that sends its request
# at once never does (in production a buffering proxy such as nginx sits in front).
PACED_WRITER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[4])
from tests.live.servers import request
base, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
ids = json.loads(sys.argv[5])
rate = float(sys.argv[6])  # updates per second for this writer; 0 = as fast as it can
versions = {i: 0 for i in ids}
done = conflicts = 0
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
        versions[fid] = body["error"]["current"]["version"]; conflicts += 1
print(done, conflicts)
"""

THREADS = int(os.environ.get("GUNICORN_THREADS", "1"))
# One admin token writes for every provider here, far above its default limit (600 a minute);
# the limit is still counted on every write (in the database), so its cost is in the figures.
CONFIG = {"ADMIN_WRITE_RATE_LIMIT": "100000000 per minute"}


def wrk_counts(out: str) -> tuple[float, int, int]:
    """Requests/s, requests, and non-2xx answers in wrk's output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, total, int(bad.group(1)) if bad else 0


def wrk(url: str, seconds: int) -> float:
    """Search requests/s of one wrk run (8 connections)."""
    out = subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", url], capture_output=True,
                         text=True, check=True).stdout
    return wrk_counts(out)[0]


def start_writers(base: str, admin: str, ids: list[str], seconds: int, updates_per_s: float,
                  script: Path) -> list[subprocess.Popen]:
    if updates_per_s:
        return [subprocess.Popen(
            [sys.executable, "-c", PACED_WRITER, base, admin, str(seconds), str(ROOT),
             json.dumps(ids[w::WRITER_CONNECTIONS]), str(updates_per_s / WRITER_CONNECTIONS)],
            stdout=subprocess.PIPE, text=True) for w in range(WRITER_CONNECTIONS)]
    script.write_text(WRITER_LUA % {"ids": ", ".join(f'"{i}"' for i in ids), "token": admin})
    return [subprocess.Popen(["wrk", "-t1", f"-c{WRITER_CONNECTIONS}", f"-d{seconds}s", "-s",
                              str(script), base], stdout=subprocess.PIPE, text=True)]


def writer_counts(outs: list[str], paced: bool) -> tuple[int, int]:
    """Updates done and answered 409, from the writers' output."""
    if paced:
        return (sum(int(o.split()[0]) for o in outs), sum(int(o.split()[1]) for o in outs))
    _, total, conflicts = wrk_counts(outs[0])
    return total - conflicts, conflicts


def run(label: str, db_url: str, seconds: int, updates_per_s: float) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    admin = tokens.issue(engine, "admin")
    engine.dispose()
    ids = [f"demo-dc-{i:05d}" for i in range(1, 201)]
    with tempfile.TemporaryDirectory() as tmp:
        server = Gunicorn(db_url, Path(tmp), threads=THREADS, config=CONFIG).start()
        try:
            search = f"{server.url}/api/v1/facilities/nearest?lat=37.2636&lon=127.045"
            quiet = wrk(search, seconds)
            writers = start_writers(server.url, admin, ids, seconds + 1, updates_per_s,
                                    Path(tmp, "writer.lua"))
            time.sleep(0.5)
            busy = wrk(search, seconds)
            searcher = resource.getrusage(resource.RUSAGE_CHILDREN)  # not yet the writers
            outs = [w.communicate()[0] for w in writers]
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            quiet_after = wrk(search, seconds)
        finally:
            server.kill()
    done, conflicts = writer_counts(outs, bool(updates_per_s))
    writer_cpu = sum(getattr(after, f) - getattr(searcher, f) for f in ("ru_utime", "ru_stime"))
    base = (quiet + quiet_after) / 2
    pace = f"{updates_per_s:.0f}/s asked" if updates_per_s else "flat out"
    print(f"{label}, burst {pace}, 2 workers x {THREADS} threads:\n  searches/s without "
          f"writes {quiet:.0f} and {quiet_after:.0f} (before/after);"
          f" during the burst {busy:.0f} ({busy / base:.2f} of quiet); "
          f"updates/s during the burst {done / (seconds + 1):.0f} ({conflicts} answered 409); "
          f"the writers used {writer_cpu / (seconds + 1) / 2:.2f} of the machine's 2 cores")


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    pg = os.environ.get("DOLBOM_TEST_POSTGRES_URL")
    # 50 updates/s: a busy minute; 200/s: more than every provider in 경기도 (about 10,500)
    # reporting within the same minute; then flat out, as fast as two writers get answers.
    for rate in (50.0, 200.0, 0.0):
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite (WAL)", f"sqlite:///{tmp}/bench.sqlite3", seconds, rate)
        if pg:
            reset_postgres(pg)
            run("PostgreSQL", pg, seconds, rate)
        else:
            print("PostgreSQL: skipped (set DOLBOM_TEST_POSTGRES_URL; see .ci/postgres.sh)")


if __name__ == "__main__":
    main()
