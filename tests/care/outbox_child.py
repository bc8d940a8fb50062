"""A worker in a process of its own, for the kill -9 test (tests/care/test_outbox.py):
``python -m tests.care.outbox_child DB_URL GATEWAY_URL NOW_ISO LEASE_S`` drains once with the page
and the 알림톡 stand-in as its channels."""

from __future__ import annotations

import sys
from datetime import datetime

from app.care.notify.senders import AlimtalkSender, InPageSender
from app.care.outbox import OutboxWorker
from app.db.engine import make_engine
from tests.care.notify_stand_ins import APP_KEY, SECRET_KEY, SENDER_KEY


def main(db_url: str, gateway_url: str, now: str, lease_s: str) -> None:
    engine = make_engine(db_url)
    senders = [InPageSender(engine), AlimtalkSender(gateway_url, APP_KEY, SECRET_KEY, SENDER_KEY, timeout_s=10)]
    OutboxWorker(engine, senders, "child", lease_seconds=float(lease_s)).drain(datetime.fromisoformat(now))


if __name__ == "__main__":
    main(*sys.argv[1:5])
