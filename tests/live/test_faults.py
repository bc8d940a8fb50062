"""Concurrency and faults, on SQLite and PostgreSQL: conflicting writers, kill -9 during a
burst of writes, and the database out of reach."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from app.db.engine import make_engine, upgrade
from app.live import tokens

from .servers import ROOT, Gunicorn, Proxy, kill_9_mid_burst, request

FACILITY = "demo-dc-00001"
# These tests write as fast as they can with one provider token: far above the default limit.
UNLIMITED = {"PROVIDER_WRITE_RATE_LIMIT": "1000000 per minute"}
WRITER = r"""
import json, sys
sys.path.insert(0, sys.argv[4])
from tests.live.servers import request
url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
acks = conflicts = 0
version = request("GET", url)[1]["version"]
while acks < n:
    status, body = request("PUT", url, {"version": version, "vacancies": {"regular": acks % 50}},
                           token)
    if status == 200:
        acks += 1
        version = body["version"]
    elif status == 409:
        conflicts += 1
        version = body["error"]["current"]["version"]
    else:
        raise SystemExit(f"unexpected {status}: {body}")
print(json.dumps({"acks": acks, "conflicts": conflicts}))
"""


@pytest.fixture
def prepared(db_url, tmp_path):
    """The migrated database with a provider token, and an engine to inspect it."""
    upgrade(db_url)
    engine = make_engine(db_url)
    token = tokens.issue(engine, "provider", FACILITY)
    yield db_url, token, engine
    engine.dispose()


def audit_versions(engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(
            "SELECT version FROM audit_log WHERE facility_id = :f ORDER BY version"),
            {"f": FACILITY})]


def test_two_processes_1000_conflicting_updates_each_lose_none(prepared, tmp_path):
    db_url, token, engine = prepared
    server = Gunicorn(db_url, tmp_path, config=UNLIMITED).start()
    try:
        url = f"{server.url}/api/v1/providers/{FACILITY}/availability"
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, token, "1000",
                                     str(ROOT)], stdout=subprocess.PIPE, text=True)
                   for _ in range(2)]
        results = [json.loads(w.communicate(timeout=600)[0]) for w in writers]
        assert all(w.returncode == 0 for w in writers)
    finally:
        server.kill(signal.SIGTERM)
    assert [r["acks"] for r in results] == [1000, 1000]
    assert sum(r["conflicts"] for r in results) > 0  # they really did collide
    assert audit_versions(engine) == list(range(1, 2001))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version FROM availability")).scalar() == 2000


def test_kill_9_during_a_burst_keeps_every_acknowledged_write(prepared, tmp_path):
    db_url, token, engine = prepared
    server = Gunicorn(db_url, tmp_path, config=UNLIMITED).start()
    url = f"{server.url}/api/v1/providers/{FACILITY}/availability"
    acked: list[int] = []

    def write(stop: threading.Event) -> None:
        version = 0
        while not stop.is_set():
            try:
                status, body = request("PUT", url, {"version": version,
                                                    "vacancies": {"regular": version % 9}},
                                       token, timeout=5)
            except (OSError, http.client.HTTPException):  # killed mid-request or mid-answer
                return
            if status == 200:
                acked.append(body["version"])
                version = body["version"]
            elif status == 409:
                version = body["error"]["current"]["version"]

    kill_9_mid_burst(server, write, acked, 150)
    assert len(acked) >= 150
    restarted = Gunicorn(db_url, tmp_path).start()
    try:
        status, body = request("GET", f"{restarted.url}/api/v1/providers/{FACILITY}/availability")
    finally:
        restarted.kill(signal.SIGTERM)
    versions = audit_versions(engine)
    assert set(acked) <= set(versions)  # every acknowledged write is there
    assert versions == list(range(1, len(versions) + 1))  # and nothing torn or skipped
    assert status == 200 and body["version"] == versions[-1]
    if db_url.startswith("sqlite"):
        with engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.fixture
def breakable(db_url, tmp_path):
    """(app database URL, cut(), restore()): the database goes out of reach and comes back."""
    upgrade(db_url)
    if db_url.startswith("sqlite"):
        path = sa.make_url(db_url).database
        url = f"sqlite:///file:{path}?mode=rw&uri=true"  # never create a fresh empty file
        aside = path + ".aside"
        yield url, lambda: shutil.move(path, aside), lambda: shutil.move(aside, path)
        return
    pg = sa.make_url(db_url)
    proxy = Proxy(pg.port)
    yield (pg.set(port=proxy.port).render_as_string(hide_password=False), proxy.block,
           proxy.unblock)
    proxy.close()


def test_database_unreachable_then_back_without_restart(breakable, make_app):
    url, cut, restore = breakable
    app = make_app(DATABASE_URL=url, DATABASE_AUTO_MIGRATE=False)
    client = app.test_client()
    with app.app_context():
        from app.extensions.db import get_engine

        token = tokens.issue(get_engine(), "provider", FACILITY)
    headers = {"Authorization": f"Bearer {token}"}
    target = f"/api/v1/providers/{FACILITY}/availability"
    assert client.put(target, json={"version": 0, "vacancies": {"regular": 2}},
                      headers=headers).status_code == 200
    near = {"lat": "37.2636", "lon": "127.045", "limit": "100", "kind": "daycare"}
    facility = client.get(f"/api/v1/facilities/{FACILITY}").json["result"]
    near.update(lat=str(facility["lat"]), lon=str(facility["lon"]))

    def mine():
        results = client.get("/api/v1/facilities/nearest", query_string=near).json["results"]
        return next(r for r in results if r["facility"]["id"] == FACILITY)

    assert mine()["availability"]["status"] == "available"
    cut()
    try:
        hit = mine()  # searches still answer …
        assert hit["availability"]["status"] == "unknown"  # … but vouch for nothing
        r = client.put(target, json={"version": 1, "vacancies": {"regular": 3}},
                       headers=headers)
        assert r.status_code == 503
        assert r.json["error"]["code"] == "database_unavailable"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "unreachable"
    finally:
        restore()
    # Reconnection is tried at most once a second (app.db.watch), so allow a few.
    deadline = time.monotonic() + 5
    while mine()["availability"]["status"] != "available":
        assert time.monotonic() < deadline, "search did not recover"
        time.sleep(0.2)
    assert client.put(target, json={"version": 1, "vacancies": {"regular": 3}},
                      headers=headers).status_code == 200
    assert client.get("/healthz").json["database"] == "ok"
    assert os.environ.get("DOLBOM_DATABASE_URL") is None


def test_connection_dropped_while_idle_is_replaced_without_a_failed_write(
        db_url, make_app, monkeypatch):
    """PostgreSQL ends a pooled connection (a restart, an idle timeout): the next write after
    the connection sat idle checks it first and reconnects instead of answering 503."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    from app.db import engine as db_engine
    from app.extensions import db

    app = make_app()
    client = app.test_client()
    with app.app_context():
        engine = db.get_engine()
        token = tokens.issue(engine, "provider", FACILITY)
    headers = {"Authorization": f"Bearer {token}"}
    target = f"/api/v1/providers/{FACILITY}/availability"
    assert client.put(target, json={"version": 0, "vacancies": {"regular": 2}},
                      headers=headers).status_code == 200
    # Every connection this app's pool holds is ended by the server.
    admin = make_engine(db_url)
    with admin.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND query NOT ILIKE 'LISTEN%'")).scalar()
    admin.dispose()
    assert ended >= 1
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_S", 0.0)
    time.sleep(0.05)
    r = client.put(target, json={"version": 1, "vacancies": {"regular": 3}}, headers=headers)
    assert r.status_code == 200, r.json
