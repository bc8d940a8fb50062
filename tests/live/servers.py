"""Helpers for fault tests: the app under gunicorn in its own process group, and a TCP proxy
that can cut the database off."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sized
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from .demo_subset import live_registry

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVERS_CARE_NOTES_KEY = Fernet.generate_key().decode()  # one per test run, shared by its servers


class Gunicorn:
    """``gunicorn -w 2 app.wsgi:app`` on a free port, started and killed as a group, over the
    demo's providers near 수원시청 unless ``config`` names a ``REGISTRY_PATH``."""

    def __init__(self, db_url: str, instance: Path, threads: int = 1,
                 config: dict | None = None, workers: int = 2) -> None:
        self.threads = threads
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DOLBOM_DATABASE_URL": json.dumps(db_url),
                    "DOLBOM_DATABASE_AUTO_MIGRATE": "false",
                    # every server of a deployment shares the care-notes keys (app.care.sealing)
                    "DOLBOM_CARE_NOTES_KEYS": SERVERS_CARE_NOTES_KEY,
                    "DOLBOM_REGISTRY_PATH": json.dumps(str(live_registry())),
                    # each worker would compute the planner's first page at start (seconds)
                    "DOLBOM_PLANNER_WARM_UP_AT_START": "false",
                    **{f"DOLBOM_{k}": json.dumps(v) for k, v in (config or {}).items()}}
        self.instance = instance
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [str(gunicorn), "-w", str(self.workers), "--threads", str(self.threads), "-b",
             f"127.0.0.1:{self.port}", "--log-level",
             "warning", "app.wsgi:app"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("gunicorn did not start")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(10)


def kill_9_mid_burst(server: Gunicorn, write: Callable[[threading.Event], None], acked: Sized,
                     enough: int, writers: int = 3, within_s: float = 60) -> None:
    """``writers`` threads each run ``write(stop)`` (writing to ``server`` until ``stop`` is set or
    the server is gone, adding what it acknowledges to ``acked``); once ``acked`` holds ``enough``
    (or after ``within_s``) the server's processes are killed with SIGKILL mid-burst, and the
    writers stopped and waited for."""
    stop = threading.Event()
    threads = [threading.Thread(target=write, args=(stop,)) for _ in range(writers)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + within_s
    while len(acked) < enough and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(10)


def request(method: str, url: str, body: dict | None = None, token: str | None = None,
            timeout: float = 10) -> tuple[int, dict]:
    """One HTTP request; returns (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Proxy:
    """A TCP proxy to the database that can be cut (``block``) and restored (``unblock``)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.blocked = False
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.blocked:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            # 5 s to connect, then no timeout: a pooled connection may sit idle for longer (a
            # request holding one while the registry loads), and the proxy must not cut it.
            upstream.settimeout(None)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def block(self) -> None:
        self.blocked = True
        with self.lock:
            for s in self.conns:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.conns.clear()

    def unblock(self) -> None:
        self.blocked = False

    def close(self) -> None:
        self.block()
        self.listener.close()


def reset_postgres(url: str) -> None:
    """Drop the availability schema from a test PostgreSQL database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # Every table of ours (any migration's), not PostGIS's own spatial_ref_sys.
        names = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                     "AND tablename <> 'spatial_ref_sys'")).scalars().all()
        if names:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"))
        for function in ("audit_log_append_only", "availability_audit"):
            conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {function}() CASCADE"))
    engine.dispose()


def postgres_skip_reason() -> str:
    """Why the PostgreSQL cases do not run (set by manage.py or by ``postgres_db``)."""
    return os.environ.get("DOLBOM_TEST_POSTGRES_SKIP") or (
        "no PostgreSQL: run python3 manage.py test (as root it installs and starts one), "
        "or eval \"$(bash .ci/postgres.sh)\"")


def skip_without_postgres() -> None:
    """Skip (fail under CI) a PostgreSQL case that cannot run, with the reason."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests: {postgres_skip_reason()}")
    pytest.skip(postgres_skip_reason())
