"""``python3 manage.py test`` does the whole set-up: what it installs (as root), whether it
starts PostgreSQL, and which tests it says cannot run and why, for each kind of machine."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("dolbom_manage", ROOT / "manage.py")
manage = sys.modules.setdefault("dolbom_manage", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(manage)
Machine = manage.Machine

EVERYTHING = dict(chromium=True, nanum_fonts=True, postgresql=True, postgis=True)
NOTHING = dict(chromium=False, nanum_fonts=False, postgresql=False, postgis=False)


def test_root_installs_whatever_is_missing_then_starts_postgres():
    p = manage.plan(Machine(root=True, **NOTHING))
    assert p.install == ["chromium", "fonts-nanum", "postgresql-15", "postgresql-15-postgis-3"]
    assert p.start_postgres and p.cannot_run == []
    p = manage.plan(Machine(root=True, **{**EVERYTHING, "postgis": False}))
    assert p.install == ["postgresql-15-postgis-3"] and p.start_postgres
    p = manage.plan(Machine(root=True, **{**EVERYTHING, "nanum_fonts": False}))
    assert p.install == ["fonts-nanum"]


def test_root_with_everything_installs_nothing():
    p = manage.plan(Machine(root=True, **EVERYTHING))
    assert p.install == [] and p.start_postgres and p.cannot_run == []


def test_not_root_with_everything_runs_everything():
    p = manage.plan(Machine(root=False, **EVERYTHING))
    assert p.install == [] and p.start_postgres and p.cannot_run == []
    assert p.postgres_skip_reason is None


def test_not_root_on_a_fresh_machine_says_what_cannot_run_and_why():
    p = manage.plan(Machine(root=False, **NOTHING))
    assert p.install == [] and not p.start_postgres
    assert p.cannot_run == [
        "the browser tests (tests/browser/) cannot run: Debian's chromium is not installed "
        "(run python3 manage.py test as root to install it, or: sudo apt-get install chromium "
        "fonts-nanum)",
        "the PostgreSQL tests (every [postgresql] case in tests/live/ and "
        "tests/live/test_postgis.py) cannot run: PostgreSQL 15 is not installed (run python3 "
        "manage.py test as root to install it, or: sudo apt-get install postgresql-15 "
        "postgresql-15-postgis-3)",
    ]
    assert p.postgres_skip_reason.startswith("PostgreSQL 15 is not installed")


def test_postgresql_without_postgis_is_named_not_a_traceback():
    p = manage.plan(Machine(root=False, **{**EVERYTHING, "postgis": False}))
    assert not p.start_postgres
    assert p.cannot_run == [
        "the PostgreSQL tests (every [postgresql] case in tests/live/ and "
        "tests/live/test_postgis.py) cannot run: PostgreSQL 15 is installed but PostGIS is not, "
        "and the schema needs it (run python3 manage.py test as root to install it, or: sudo "
        "apt-get install postgresql-15-postgis-3)"]


def test_missing_fonts_alone_still_run_the_browser_tests():
    p = manage.plan(Machine(root=False, **{**EVERYTHING, "nanum_fonts": False}))
    assert p.start_postgres
    assert p.cannot_run == [
        "the browser tests (tests/browser/) run, but Hangul may show as boxes in their "
        "screenshots: fonts-nanum is not installed (run python3 manage.py test as root to "
        "install it, or: sudo apt-get install fonts-nanum)"]


def test_a_given_postgres_url_is_used_as_it_is():
    url = "postgresql+psycopg://u@db.example:5432/t"
    for root in (True, False):
        p = manage.plan(Machine(root=root, **NOTHING, postgres_url=url))
        assert "postgresql-15" not in p.install and not p.start_postgres
        assert not any("PostgreSQL" in line for line in p.cannot_run)


@pytest.fixture
def no_env(monkeypatch):
    """Neither variable set; whatever prepare() sets is undone afterwards."""
    for name in ("DOLBOM_TEST_POSTGRES_URL", "DOLBOM_TEST_POSTGRES_SKIP"):
        monkeypatch.setenv(name, "")  # records the value before, for the undo
        monkeypatch.delenv(name)


def test_failed_install_says_what_cannot_run(monkeypatch, capsys, no_env):
    """apt-get fails (no network): the plan is made again without installing; no traceback."""
    monkeypatch.setattr(manage, "probe", lambda: Machine(root=True, **{**EVERYTHING, "postgis": False}))
    asked = []
    monkeypatch.setattr(manage, "apt_install", lambda packages: asked.append(packages) or False)
    monkeypatch.setattr(manage, "start_postgres", lambda: pytest.fail("must not start"))
    lines = manage.prepare()
    assert asked == [["postgresql-15-postgis-3"]]
    assert len(lines) == 1 and "PostGIS is not" in lines[0]
    assert "PostGIS is not" in os.environ["DOLBOM_TEST_POSTGRES_SKIP"]
    assert lines[0] in capsys.readouterr().out


def test_a_cluster_that_does_not_start_is_reported(monkeypatch, tmp_path, capsys, no_env):
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "postgres.sh").write_text(
        "echo 'ERROR:  extension \"postgis\" is not available' >&2\nexit 3\n")
    monkeypatch.setattr(manage, "ROOT", tmp_path)
    monkeypatch.setattr(manage, "probe", lambda: Machine(root=False, **EVERYTHING))
    lines = manage.prepare()
    out = capsys.readouterr().out
    assert 'extension "postgis" is not available' in out and "Traceback" not in out
    assert lines == ["the PostgreSQL tests (every [postgresql] case in tests/live/ and "
                     "tests/live/test_postgis.py) cannot run: the test PostgreSQL cluster did "
                     "not start (above)"]
    assert "DOLBOM_TEST_POSTGRES_URL" not in os.environ


def test_a_started_cluster_is_exported(monkeypatch, tmp_path, no_env):
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "postgres.sh").write_text(
        "echo 'export DOLBOM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:1/x'\n")
    monkeypatch.setattr(manage, "ROOT", tmp_path)
    monkeypatch.setattr(manage, "probe", lambda: Machine(root=False, **EVERYTHING))
    assert manage.prepare() == []
    assert os.environ["DOLBOM_TEST_POSTGRES_URL"] == "postgresql+psycopg://postgres@127.0.0.1:1/x"


def test_ci_run_is_a_thin_call_of_the_readme_command():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == 'CI=${CI:-1} exec python3 manage.py test "$@"'
    assert not any("apt-get" in line or "postgres" in line for line in lines)
    assert "python3 manage.py test" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(("args", "workers"), [
    ([], True), (["-q", "-p", "no:randomly", "-k", "api"], True),
    (["tests/test_api.py"], False), (["tests/test_api.py::test_nearest", "-q"], False),
    (["tests/live"], False), (["-n", "0"], False), (["-p", "no:xdist"], False),
    (["--numprocesses=4"], False),
])
def test_the_whole_suite_runs_in_parallel_named_tests_in_one_process(args, workers, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert manage.parallel(args) == (["-n", "3", "--dist", "worksteal"] if workers else [])


def test_stopping_serve_stops_the_server_and_frees_its_port(tmp_path):
    """``kill <serve's id>`` (what a terminal's Ctrl-C or a process manager sends) stops the
    server itself: no child is left holding the port for the next start."""
    import signal
    import socket
    import subprocess
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DOLBOM_CARE_CLOCK_IN_PROCESS": "false",
           "DOLBOM_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
           "DOLBOM_CARE_NOTES_KEYS": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
    serve = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("serve did not start listening")
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return  # nobody listens any more
            time.sleep(0.3)
        pytest.fail(f"something still listens on port {port} after serve was stopped")
    finally:
        if serve.poll() is None:
            serve.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env_without_keys(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DOLBOM_CARE_NOTES_KEYS"}
    return {**env, "DOLBOM_CARE_CLOCK_IN_PROCESS": "false", **settings}


def test_the_readme_command_for_a_throwaway_database_serves_without_a_key(tmp_path):
    """The README's "to try it aside from your usual data": ``DOLBOM_DATABASE_URL=sqlite:////tmp/…
    python3 manage.py serve --port N`` with no ``CARE_NOTES_KEYS`` serves (a key is made for that
    database file in the instance folder), as the default database does."""
    import hashlib
    import signal
    import subprocess
    import time
    import urllib.request

    port = _free_port()
    database = tmp_path / "dolbom-demo.sqlite3"
    key_file = ROOT / "instance" / f"care_notes_key-{hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:12]}"
    log = tmp_path / "serve.log"
    with log.open("w") as err:
        serve = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port)],
                                 env=_env_without_keys(DOLBOM_DATABASE_URL=f"sqlite:///{database}"),
                                 stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?lang=en", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"serve did not start: {log.read_text()[-2000:]}")
        assert key_file.exists() and len(key_file.read_text().strip()) == 44
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=30)
        key_file.unlink(missing_ok=True)


def test_a_missing_care_notes_key_is_one_readable_line_not_a_traceback():
    """On a shared database (PostgreSQL) with no ``CARE_NOTES_KEYS``, ``manage.py serve`` stops with
    one line naming the setting and how to make a key."""
    import subprocess

    url = os.environ.get("DOLBOM_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("DOLBOM_TEST_POSTGRES_URL is not set (eval \"$(bash .ci/postgres.sh)\")")
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(_free_port())],
                          env=_env_without_keys(DOLBOM_DATABASE_URL=url), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("dolbom: cannot start: CARE_NOTES_KEYS is not set")
    assert "Fernet.generate_key()" in lines[0]
