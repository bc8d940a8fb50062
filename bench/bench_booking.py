"""Benchmark: booking latency at a steady 100 bookings/s while parents search, and the search's
throughput meanwhile as a share of its throughput alone — side by side in one run, the quiet
and loaded phases interleaved (quiet, loaded, quiet, loaded) so machine noise hits both alike.

The app runs under gunicorn (2 workers, the demo registry) on a fresh database: SQLite in a
temporary folder, or PostgreSQL with ``--postgres URL`` (an empty database). Guardians, their
children and their consents are made through the stores; each booking is a real
``POST /api/v1/bookings`` with the guardian's session cookie and CSRF token, for a window at a
언제나 어린이집 whose slots have places enough for the whole run (so every booking succeeds and
is counted in the database's transaction like any other).

Run: .venv/bin/python bench/bench_booking.py [seconds] [--postgres URL]   (prints figures)
Targets (issue 15): booking p99 <= 30 ms at 100 bookings/s with the search load running; search
throughput meanwhile >= 0.8 of quiet.

Also printed, the CPU budget that bounds the share: the CPU milliseconds one search and one
booking cost the server (gunicorn's processes), the database (PostgreSQL's) and the whole
machine (the bench's clients too; read from /proc, so Linux only). The closed-loop searches use
every core when quiet, so what the bookings take is what the searches lose.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import multiprocessing as mp
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GUNICORN = Path(sys.executable).with_name("gunicorn")
PORT = 5111
CHILDREN_EACH = 20  # the most a guardian may register (app/care/children.py)
PASSWORD = "bench password 2026"
SEOUL = ZoneInfo("Asia/Seoul")
SEARCH_CLIENTS = 4
RATE_PER_S = 100
SENDERS = 8  # booking threads: enough that a slow answer never holds up the next send


def env_for(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DOLBOM_DATABASE_URL": db_url,
                "DOLBOM_ACCOUNT_SIGN_IN_RATE_LIMIT": "100000 per minute",
                "DOLBOM_ACCOUNT_FORM_RATE_LIMIT": "100000 per minute",
                "DOLBOM_CARE_NOTES_KEYS": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                # the care clock's own costs are measured by bench_outbox.py and bench_matching.py
                "DOLBOM_CARE_CLOCK_IN_PROCESS": "false"})
    return env


def setup(db_url: str, n_children: int) -> tuple[str, str, str, list[str], list[tuple[str, int]]]:
    """Make the guardians with a child each and publish the places; returns the provider, the
    window (start, end as ISO text), the e-mails and the child ids."""
    from argon2 import PasswordHasher

    from app.care.accounts import AccountStore
    from app.care.children import ChildStore, consent_purposes, consent_version
    from app.care.sealing import Sealer
    from app.config import DEMO_REGISTRY_PATH
    from app.db.engine import make_engine, upgrade
    from app.registry.io import read_registry

    upgrade(db_url)
    engine = make_engine(db_url)
    accounts = AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    children = ChildStore(engine, Sealer(["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]))
    now = datetime.now(SEOUL)
    day = now.date() + timedelta(days=1)
    start, end = datetime(day.year, day.month, day.day, 19, tzinfo=SEOUL), \
        datetime(day.year, day.month, day.day, 23, tzinfo=SEOUL)
    registry = read_registry(DEMO_REGISTRY_PATH)
    facility = next(f for f in registry.facilities if "always_daycare" in f.programmes
                    and f.hours is not None and f.hours.is_open_for(start, end, registry.locale.is_holiday,
                                                                    tz=registry.locale.tz)
                    and (f.age_max_months or 0) >= 40 and (f.age_min_months or 99) <= 40)
    children.booking_store.publish_slot(facility.id, "always_daycare", start - timedelta(hours=1),
                                        end + timedelta(hours=1), 1_000_000)
    emails, users = [], []
    for i in range(-(-n_children // CHILDREN_EACH)):
        user = accounts.sign_up(f"bench{i}@example.kr", PASSWORD)
        for purpose in consent_purposes():
            children.give_consent(user.id, purpose, consent_version(purpose), now)
        emails.append(user.email)
        users.append(user.id)
    # One child per booking (a child holds one booking per window: issue 15's overlap rule), with
    # the index of its guardian (who has at most CHILDREN_EACH).
    child_ids = [(children.register(users[i // CHILDREN_EACH], given_name="서준", family_name="박",
                                    birth_date="2023-01-15", relation="father", emergency_contact_name="박민",
                                    emergency_contact_phone="010-1111-2222", now=now).id, i // CHILDREN_EACH)
                 for i in range(n_children)]
    engine.dispose()
    return facility.id, start.isoformat(), end.isoformat(), emails, child_ids


def sign_in(email: str) -> tuple[str, str]:
    """The cookies (as a Cookie header) and CSRF token of a guardian signed in through the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{PORT}"

    def token_of(path: str) -> str:
        page = opener.open(base + path).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    body = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token_of("/account/sign-in")})
    opener.open(base + "/account/sign-in", body.encode())
    token = token_of("/account")
    return "; ".join(f"{c.name}={c.value}" for c in jar), token


def search_load(stop_at: float, out: mp.Queue) -> None:
    """Nearest-10 searches in a closed loop on one keep-alive connection; puts the count."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    n, i = 0, 0
    while time.monotonic() < stop_at:
        lat, lon = 37.20 + (i % 50) * 0.01, 126.90 + (i % 37) * 0.01
        conn.request("GET", f"/api/v1/facilities/nearest?lat={lat:.4f}&lon={lon:.4f}&limit=10")
        conn.getresponse().read()
        n += 1
        i += 1
    out.put(n)


def booking_load(seconds: float, sessions: list[tuple[str, str]], facility: str, start: str, end: str,
                 child_ids: list[tuple[str, int]], out: mp.Queue) -> None:
    """Bookings sent open-loop at RATE_PER_S, each at its planned time, by SENDERS threads with a
    keep-alive connection each (so a slow answer delays no other send); puts the latencies in ms
    (from the planned send time: a server falling behind shows as latency) and the refusals."""
    latencies: list[float] = []
    failures: list[int] = []
    t0 = time.monotonic() + 0.05
    total = int(seconds * RATE_PER_S)

    def sender(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT)
        for k in range(i, total, SENDERS):
            planned = t0 + k / RATE_PER_S
            delay = planned - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            child_id, guardian = child_ids[k]
            jar, token = sessions[guardian]
            body = json.dumps({"child_id": child_id, "facility_id": facility, "programme": "always_daycare",
                               "start": start, "end": end})
            conn.request("POST", "/api/v1/bookings", body, {"Content-Type": "application/json", "Cookie": jar,
                                                            "X-CSRFToken": token})
            r = conn.getresponse()
            answer = r.read()
            latencies.append((time.monotonic() - planned) * 1000)
            if r.status != 201:
                failures.append(r.status)
                if len(failures) == 1:
                    print(f"first refused booking: {r.status} {answer[:300]!r}", file=sys.stderr)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, len(failures)))


def phase(seconds: float, with_bookings: bool, sessions: list[tuple[str, str]], facility: str, start: str, end: str,
          child_ids: list[tuple[str, int]], clients: int) -> tuple[float, list[float], int]:
    q: mp.Queue = mp.Queue()
    stop_at = time.monotonic() + seconds
    procs = [mp.Process(target=search_load, args=(stop_at, q)) for _ in range(clients)]
    bq: mp.Queue = mp.Queue()
    if with_bookings:
        procs.append(mp.Process(target=booking_load, args=(seconds, sessions, facility, start, end, child_ids, bq)))
    for p in procs:
        p.start()
    searches = sum(q.get() for _ in range(clients))
    latencies, failures = bq.get() if with_bookings else ([], 0)
    for p in procs:
        p.join()
    return searches / seconds, latencies, failures


T = TypeVar("T")
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> list[str] | None:
    """The fields after the command name in /proc/<pid>/stat (index 1 = ppid, 11/12 = utime/stime)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_s(server_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the gunicorn master and its workers, and by every process
    named postgres (the database's backends; 0 on SQLite)."""
    server = database = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        fields = _stat(pid)
        if fields is None:
            continue
        used = (int(fields[11]) + int(fields[12])) * TICK_S
        if int(pid) == server_pid or fields[1] == str(server_pid):
            server += used
        else:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                    database += used
            except OSError:
                pass
    return server, database


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), the bench's own
    clients included."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) * TICK_S  # all but idle and iowait


def measured(server_pid: int, run: Callable[[], T]) -> tuple[T, tuple[float, float, float]]:
    """``run()``'s result and the CPU seconds (server, database, machine) it took."""
    s0, d0 = cpu_s(server_pid)
    m0 = machine_busy_s()
    out = run()
    s1, d1 = cpu_s(server_pid)
    return out, (s1 - s0, d1 - d0, machine_busy_s() - m0)


def _has_accounts(url: str) -> bool:
    """Whether the database at ``url`` has a users table with rows (the bench signs up its own
    guardians and needs their e-mails free)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("users"):
                return False
            return conn.execute(sa.text("SELECT 1 FROM users LIMIT 1")).first() is not None
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=10.0)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL (default: SQLite)")
    parser.add_argument("--search-clients", type=int, default=SEARCH_CLIENTS,
                        help=f"closed-loop search clients (default {SEARCH_CLIENTS})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dolbom-bench-booking-"))
    db_url = args.postgres or f"sqlite:///{tmp / 'bench.sqlite3'}"
    if args.postgres and _has_accounts(args.postgres):
        sys.exit(f"bench_booking: {sa.make_url(args.postgres).render_as_string(hide_password=True)} already holds "
                 "accounts: give an empty database (e.g. the test cluster after "
                 "`python -c 'from tests.live.servers import reset_postgres; reset_postgres(URL)'`)")
    try:  # a server left on the port would be measured instead of ours, silently
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=1)
        sys.exit(f"bench_booking: something already answers on port {PORT} (a server left from an earlier run?): "
                 "stop it first")
    except urllib.error.HTTPError:
        sys.exit(f"bench_booking: something already answers on port {PORT}: stop it first")
    except OSError:
        pass  # nothing there: the port is ours
    per_phase = int(args.seconds * RATE_PER_S)
    warm_up = 2 * RATE_PER_S
    facility, start, end, emails, child_ids = setup(db_url, warm_up + 2 * per_phase)
    server = subprocess.Popen([str(GUNICORN), "-w", str(args.workers), "--threads", str(args.threads),
                               "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "app.wsgi:app"],
                              cwd=ROOT, env=env_for(db_url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/facilities/nearest?lat=37.3&lon=127.0",
                                       timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        sessions = [sign_in(e) for e in emails]
        clients = args.search_clients
        phase(2, True, sessions, facility, start, end, child_ids[:warm_up], clients)  # warm up both paths
        quiet, loaded, lat_all, failed = [], [], [], 0
        quiet_cpu, loaded_cpu = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
        for i in range(2):
            (rate, _, _), used = measured(server.pid, partial(phase, args.seconds, False, sessions, facility,
                                                                      start, end, [], clients))
            quiet.append(rate)
            quiet_cpu = [a + b for a, b in zip(quiet_cpu, used, strict=True)]
            fresh = child_ids[warm_up + i * per_phase:warm_up + (i + 1) * per_phase]
            (rate, lat, bad), used = measured(server.pid, partial(phase, args.seconds, True, sessions, facility,
                                                                          start, end, fresh, clients))
            loaded_cpu = [a + b for a, b in zip(loaded_cpu, used, strict=True)]
            loaded.append(rate)
            lat_all += lat
            failed += bad
        lat_all.sort()
        p = lambda q: lat_all[min(len(lat_all) - 1, int(len(lat_all) * q))]  # noqa: E731
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; gunicorn {args.workers} workers x "
              f"{args.threads} threads; {len(lat_all)} bookings at {RATE_PER_S}/s, {clients} search clients, "
              f"2 x {args.seconds:.0f} s per phase; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"booking latency ms: p50 {statistics.median(lat_all):.1f}  p90 {p(0.9):.1f}  p99 {p(0.99):.1f}  "
              f"max {lat_all[-1]:.1f}  (goal p99 <= 30)   refused: {failed}")
        share = statistics.mean(loaded) / statistics.mean(quiet) if clients else float("nan")
        print(f"search throughput req/s: quiet {statistics.mean(quiet):.0f}, with bookings "
              f"{statistics.mean(loaded):.0f}: share {share:.2f} (goal >= 0.8)")
        # The CPU budget: a search's cost from the quiet phases, a booking's as what the loaded
        # phases used beyond their searches.
        searches_quiet, searches_loaded = sum(quiet) * args.seconds, sum(loaded) * args.seconds
        per_search = [c / searches_quiet * 1000 for c in quiet_cpu]
        per_booking = [(c - searches_loaded * ps / 1000) / len(lat_all) * 1000
                       for c, ps in zip(loaded_cpu, per_search, strict=True)]
        print(f"CPU ms per search: server {per_search[0]:.2f}, database {per_search[1]:.2f}, machine "
              f"{per_search[2]:.2f}; per booking: server {per_booking[0]:.2f}, database {per_booking[1]:.2f}, "
              f"machine {per_booking[2]:.2f} (machine: every process, the bench's own clients included)")
        taken = per_booking[2] * RATE_PER_S / 1000 / (os.cpu_count() or 1)
        print(f"at {RATE_PER_S} bookings/s the bookings take {taken:.0%} of the machine's {os.cpu_count()} cores, "
              f"which the searches, using all of them when quiet, lose: share about {1 - taken:.2f}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
