"""Bookings through gunicorn killed with SIGKILL mid-burst (SQLite and PostgreSQL): every
booking the API acknowledged (201) is there after a restart, with its place counted once;
nothing half-made (a booking without its hold, a count without a booking)."""

from __future__ import annotations

import http.client
import http.cookiejar
import itertools
import json
import re
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from argon2 import PasswordHasher

from app.care.accounts import AccountStore
from app.care.bookings import BookingStore
from app.care.children import ChildStore, consent_purposes, consent_version
from app.care.sealing import Sealer
from app.db.engine import make_engine, upgrade
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.live.servers import SERVERS_CARE_NOTES_KEY, Gunicorn, kill_9_mid_burst

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE = "demo-dc-09396"  # 언제나 어린이집 in the live registry (demo subset near 수원시청)
PASSWORD = "kill nine password 2026"
CHEAP = {"ACCOUNT_ARGON2_TIME_COST": 1, "ACCOUNT_ARGON2_MEMORY_KIB": 8, "ACCOUNT_ARGON2_PARALLELISM": 1,
         "ACCOUNT_SIGN_IN_RATE_LIMIT": "100000 per minute", "CARE_CLOCK_IN_PROCESS": False}


def signed_in(base: str, email: str) -> tuple[str, str]:
    """(Cookie header, CSRF token) of a guardian signed in through the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token_of(path: str) -> str:
        page = opener.open(base + path, timeout=10).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token_of("/account/sign-in")})
    opener.open(base + "/account/sign-in", form.encode(), timeout=10)
    token = token_of("/account")
    return "; ".join(f"{c.name}={c.value}" for c in jar), token


def test_kill_9_during_a_booking_burst_keeps_every_acknowledged_booking(db_url, tmp_path):  # noqa: F811
    upgrade(db_url)
    engine = make_engine(db_url)
    accounts = AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    children = ChildStore(engine, Sealer([SERVERS_CARE_NOTES_KEY]))
    now = datetime.now(SEOUL)
    user = accounts.sign_up("burst@example.kr", PASSWORD)
    for purpose in consent_purposes():
        children.give_consent(user.id, purpose, consent_version(purpose), now)
    child = children.register(user.id, given_name="서아", family_name="정", birth_date="2023-03-03",
                              relation="mother", emergency_contact_name="정우", emergency_contact_phone="010-2222-3333",
                              now=now)
    day = now.date() + timedelta(days=1)
    # A child has one live booking at a time: each booking takes the next 15-minute step of the
    # slot (windows fall on the step booking_rules.json sets), 88 of them in 22 hours.
    start = datetime(day.year, day.month, day.day, 1, tzinfo=SEOUL)
    step_minutes = 15
    windows = 22 * 60 // step_minutes
    BookingStore(engine).publish_slot(DAYCARE, "always_daycare", start,
                                      start + timedelta(minutes=windows * step_minutes), 100_000)
    server = Gunicorn(db_url, tmp_path, config=CHEAP).start()
    cookie, token = signed_in(server.url, "burst@example.kr")
    host, port = server.url.removeprefix("http://").split(":")
    acked: list[str] = []
    taken = itertools.count()

    def book(stop: threading.Event) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        while not stop.is_set():
            k = next(taken)
            if k >= windows:
                return
            body = json.dumps({"child_id": child.id, "facility_id": DAYCARE, "programme": "always_daycare",
                               "start": (start + timedelta(minutes=k * step_minutes)).isoformat(),
                               "end": (start + timedelta(minutes=(k + 1) * step_minutes)).isoformat()})
            try:
                conn.request("POST", "/api/v1/bookings", body, {"Content-Type": "application/json",
                                                               "Cookie": cookie, "X-CSRFToken": token})
                r = conn.getresponse()
                answer = r.read()
            except (OSError, http.client.HTTPException):  # killed mid-request or mid-answer
                return
            if r.status == 201:
                acked.append(json.loads(answer)["id"])
            else:
                raise AssertionError(f"unexpected {r.status}: {answer[:300]!r}")

    kill_9_mid_burst(server, book, acked, 60)
    assert len(acked) >= 60
    with engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT id FROM bookings")).scalars())
        held = conn.execute(sa.text("SELECT held FROM booking_capacity")).scalar()
        holds = conn.execute(sa.text("SELECT count(*) FROM booking_holds")).scalar()
        events = conn.execute(sa.text("SELECT count(*) FROM booking_events WHERE action = 'book'")).scalar()
        if db_url.startswith("sqlite"):
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    assert set(acked) <= stored  # every acknowledged booking survived
    assert held == holds == events == len(stored)  # each counted once, none half-made
    engine.dispose()
