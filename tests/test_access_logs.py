"""Access logs work and never hold a query string, a token or a cookie: real gunicorn (as people
start it, with and without the project's gunicorn.conf.py, to stdout and to files, with a
format asking for everything) and Flask's development server."""

from __future__ import annotations

import http.cookiejar
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from app.db.engine import make_engine, upgrade
from app.live import tokens
from app.privacy import RedactQueryStrings, scrub_access_atoms

from .conftest import TINY_DEMAND, TINY_REGISTRY

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUERY = "lat=37.263611&lon=127.045123&age_months=31"
# A format someone would type to "see everything": every atom that could hold a secret.
GREEDY_FORMAT = ('%(h)s "%(r)s" %(s)s %(q)s %(u)s "%(f)s" %({authorization}i)s %({cookie}i)s '
                 '%({Authorization}i)s %({query_string}e)s %({raw_uri}e)s '
                 '%({http_authorization}e)s %({http_cookie}e)s %({set-cookie}o)s')


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A database with a real admin token, and the environment the servers start with."""
    tmp = tmp_path_factory.mktemp("access-logs")
    url = f"sqlite:///{tmp / 'dolbom.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    token = tokens.issue(engine, "admin", label="log test")
    engine.dispose()
    env = {**os.environ, "DOLBOM_DATABASE_URL": url, "DOLBOM_SECRET_KEY": secrets.token_hex(16),
           "DOLBOM_CARE_NOTES_KEYS": Fernet.generate_key().decode(),
           "DOLBOM_REGISTRY_PATH": str(TINY_REGISTRY), "DOLBOM_PLANNING_DEMAND_PATH": str(TINY_DEMAND),
           "DOLBOM_TILE_URL": "/no-tiles/{z}/{x}/{y}.png"}
    return {"tmp": tmp, "token": token, "env": env}


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _stop(proc: subprocess.Popen) -> tuple[bytes, bytes]:
    if proc.poll() is not None:
        _, err = proc.communicate()
        raise AssertionError(f"the server exited ({proc.returncode}): {err.decode()[-3000:]}")
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate()


def _requests(base: str, token: str) -> tuple[list[tuple[str, str, int]], list[str]]:
    """Requests that carry a token, cookies (a made-up one and a real planner session) and
    coordinates with an age; returns (method, path, status) of each and the secrets sent."""
    fake_cookie = "session=" + secrets.token_urlsafe(24)
    auth = {"Authorization": f"Bearer {token}", "Cookie": fake_cookie,
            "Referer": f"{base}/?{QUERY}"}
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    done: list[tuple[str, str, int]] = []

    def send(method: str, path: str, headers: dict, data: bytes | None = None,
             use: urllib.request.OpenerDirector | None = None) -> None:
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        try:
            with (use or urllib.request.build_opener()).open(req, timeout=60) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        done.append((method, path.split("?")[0], status))

    send("GET", f"/api/v1/facilities/nearest?{QUERY}", auth)   # the fast path
    send("GET", f"/api/v1/facilities?bbox=126.9,37.2,127.1,37.3&{QUERY}", auth)  # Flask
    send("GET", f"/api/v1/providers/me?{QUERY}", auth)
    send("GET", f"/no/such/page?{QUERY}", auth)
    body = urllib.parse.urlencode({"token": token}).encode()
    send("POST", "/planner/login", {"Origin": base, "Content-Type": "application/x-www-form-urlencoded"},
         body, opener)
    session_cookie = [c.value for c in jar]
    assert session_cookie, "signing in to the planner gave no session cookie"
    send("GET", "/planner/map.js?level=sigungu", {"Referer": f"{base}/planner?{QUERY}"}, use=opener)
    send("POST", "/planner/logout", {"Origin": base}, b"", opener)
    statuses = [s for _, _, s in done]
    # The searches answer 200, or 400 where unknown parameters are refused; never a 5xx.
    assert statuses[0] in (200, 400) and statuses[1] in (200, 400) and statuses[2] in (200, 400), done
    assert statuses[3:] == [404, 302, 200, 302], done
    secrets_sent = [token, token.split("_", 2)[2], fake_cookie.split("=", 1)[1],
                    *session_cookie, "37.263611", "127.045123", "age_months", QUERY]
    return done, secrets_sent


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check(logs: dict[str, bytes], done, secrets_sent, line_of) -> None:
    everything = b"\n".join(logs.values())
    for secret in secrets_sent:
        for name, text in logs.items():
            assert secret.encode() not in text, f"{secret!r} is in {name}"
    assert b"--- Logging error ---" not in everything
    assert b"Traceback" not in everything
    text = re.sub(r"\x1b\[[0-9;]*m", "", everything.decode())  # werkzeug colours some lines
    for method, path, status in done:
        assert re.search(line_of(method, path, status), text), f"no access line for {method} {path}"


def _gunicorn(setup, args: list[str]) -> tuple[str, subprocess.Popen]:
    port = _free_port()
    ctl = setup["tmp"] / f"ctl-{port}"
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--control-socket", str(ctl),
         *args, "app.wsgi:app"],
        cwd=ROOT, env=setup["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc)
    except RuntimeError:
        _stop(proc)
        raise
    return base, proc


def _gunicorn_line(method: str, path: str, status: int) -> str:
    return rf'"{method} {re.escape(path)}(\?\[redacted\])? HTTP/1\.1" {status} '


@pytest.mark.parametrize("args", [
    pytest.param(["--access-logfile", "-"], id="stdout"),
    pytest.param(["--access-logfile", "-", "--access-logformat", GREEDY_FORMAT, "--log-level", "debug"],
                 id="greedy-format"),
    pytest.param(["--access-logfile", "-", "--access-logformat", GREEDY_FORMAT, "-c", "EMPTY"],
                 id="without-gunicorn-conf"),
    pytest.param(["--access-logfile", "ACCESS", "--error-logfile", "ERROR"], id="files"),
])
def test_gunicorn_access_log(setup, args):
    tmp = setup["tmp"]
    files = {"ACCESS": tmp / f"access-{len(os.listdir(tmp))}.log",
             "ERROR": tmp / f"error-{len(os.listdir(tmp))}.log",
             "EMPTY": tmp / "empty.conf.py"}
    files["EMPTY"].write_text("# no settings: only the app's log filter protects the log\n")
    args = [str(files[a]) if a in files else a for a in args]
    base, proc = _gunicorn(setup, args)
    try:
        done, secrets_sent = _requests(base, setup["token"])
        time.sleep(0.5)
    finally:
        out, err = _stop(proc)
    logs = {"stdout": out, "stderr": err}
    for name in ("ACCESS", "ERROR"):
        if str(files[name]) in args:
            logs[name] = files[name].read_bytes()
    _check(logs, done, secrets_sent, _gunicorn_line)
    if "--log-level" in args:
        assert b"[DEBUG]" in err  # gunicorn's own debug lines were written and checked too


def test_flask_development_server_log(setup):
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "flask"), "--app", "app.wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=setup["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc)
        done, secrets_sent = _requests(base, setup["token"])
    finally:
        out, err = _stop(proc)

    def line_of(method, path, status):
        return rf'"{method} {re.escape(path)}(\?\[redacted\])? HTTP/1\.1" {status} '

    _check({"stdout": out, "stderr": err}, done, secrets_sent, line_of)


def _atoms() -> dict:
    """gunicorn's atoms of one request, as ``glogging.Logger.atoms`` builds them."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/v1/facilities/nearest?{QUERY}",
               "PATH_INFO": "/api/v1/facilities/nearest", "QUERY_STRING": QUERY,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_AUTHORIZATION": "Bearer dlb_abc_SECRET", "HTTP_COOKIE": "session=COOKIE",
               "HTTP_REFERER": f"http://x/?{QUERY}", "HTTP_USER_AGENT": "ua"}
    req = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer dlb_abc_SECRET"),
                                   ("COOKIE", "session=COOKIE"), ("USER-AGENT", "ua")])
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[("Set-Cookie", "session=NEW")])
    return Logger(Config()).atoms(resp, req, environ, timedelta(microseconds=1500))


def test_filter_accepts_gunicorn_atoms_and_keeps_the_line():
    """gunicorn passes a dict as record.args; the filter edits it and formatting works."""
    from gunicorn.glogging import SafeAtoms

    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, GREEDY_FORMAT,
                               (SafeAtoms(_atoms()),), None)
    assert RedactQueryStrings().filter(record)
    line = record.getMessage()
    assert line == ('127.0.0.1 "GET /api/v1/facilities/nearest?[redacted] HTTP/1.1" 200 - - '
                    '"http://x/?[redacted]" - - - - - - - -')


def test_scrubbing_costs_microseconds():
    atoms = _atoms()
    start = time.perf_counter()
    for _ in range(1000):
        scrub_access_atoms(dict(atoms))
    per_request_us = (time.perf_counter() - start) * 1000
    assert per_request_us < 1000, per_request_us  # about 20 µs on a busy 2-core machine


@pytest.mark.parametrize("path", [
    '/planner?scenario={"add":[{"lon":127.028561,"lat":37.263661}]}',
    "/api/v1/facilities/nearest?q=\"x\"&lat=37.263661&lon=127.028561",
    "/x?a='1'&lat=37.263661;lon=127.028561",
])
def test_query_with_quotes_is_redacted_whole(path):
    # The development server's line: '"%s" %s %s' with the request line as an argument.
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s',
                               (f"GET {path} HTTP/1.1", "200", "-"), None)
    assert RedactQueryStrings().filter(record)
    line = record.getMessage()
    assert "37.263661" not in line and "127.028561" not in line
    assert line.endswith('?[redacted] HTTP/1.1" 200 -')
