"""Benchmark: how fast the outbox worker (app/care/outbox.py) delivers. Enqueues N messages (1,000
by default) for 50 people and drains them with one worker to a local SMTP server (aiosmtpd on
127.0.0.1, in a process of its own so it does not share the worker's interpreter) and the in-page
list, on SQLite and, when DOLBOM_TEST_POSTGRES_URL is set, on
PostgreSQL. Prints the drain's time and messages per second; not a test.

Run: .venv/bin/python bench/bench_outbox.py [MESSAGES]
     (PostgreSQL from DOLBOM_TEST_POSTGRES_URL, e.g. eval "$(bash .ci/postgres.sh)")
Target (issue 15): 1,000 messages in at most 10 s. The load average is printed too: on a machine
shared with other work the wall time says more about the others than about the worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.care.notify.senders import InPageSender, SmtpSender  # noqa: E402
from app.care.outbox import OutboxWorker  # noqa: E402
from app.db.engine import make_engine, outbox, upgrade, users  # noqa: E402
from bench.databases import on_each_database  # noqa: E402

PEOPLE = 50
# The SMTP server: counts the mails it accepts; prints its port, then, when its input closes, the count.
SERVER = """
import sys, threading
from aiosmtpd.controller import Controller
from tests.care.notify_stand_ins import free_port
class Count:
    def __init__(self):
        self.n, self.lock = 0, threading.Lock()
    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
        return "250 OK"
handler, port = Count(), free_port()
controller = Controller(handler, hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
print(handler.n, flush=True)
"""
NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def enqueue(engine: sa.Engine, count: int) -> None:
    people = [uuid.uuid4().hex for _ in range(PEOPLE)]
    with engine.begin() as conn:
        conn.execute(users.insert(), [{"id": p, "email": f"{p[:12]}@example.kr", "password_hash": "x",
                                       "created_at": NOW, "updated_at": NOW, "failed_sign_ins": 0} for p in people])
        conn.execute(outbox.insert(), [{
            "idempotency_key": f"bench/{i}/v1", "topic": "booking.confirmed", "created_at": NOW,
            "available_at": NOW, "attempts": 0,
            "payload": {"to": [{"user_id": people[i % PEOPLE]}], "first_name": "민지",
                        "facility_id": "demo-dc-00001", "programme": "always_daycare",
                        "window_start": "2026-12-03T00:00:00+00:00", "window_end": "2026-12-03T04:00:00+00:00"}}
            for i in range(count)])


def run(label: str, url: str, count: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    enqueue(engine, count)
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, text=True, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert server.stdin is not None and server.stdout is not None
    try:
        port = int(server.stdout.readline())
        worker = OutboxWorker(engine, [SmtpSender("127.0.0.1", port, "noreply@dolbom.test", starttls=False,
                                                  timeout_s=5), InPageSender(engine)], "bench", lease_seconds=60)
        started, cpu_started = time.perf_counter(), time.process_time()
        sent = worker.drain(NOW)
        took_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
        server.stdin.close()
        mails = int(server.stdout.readline())
    finally:
        server.wait(10)
    engine.dispose()
    assert sent == count and mails == count, (sent, mails)
    print(f"{label}: {count} messages (e-mail + page) in {took_s:.2f} s = {count / took_s:.0f} messages/s "
          f"(target: 1,000 in <= 10 s); the worker process used {cpu_s:.2f} s of CPU; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    on_each_database(run, 1000, own_database="dolbom_bench_outbox")
