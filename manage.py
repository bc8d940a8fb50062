#!/usr/bin/env python3
"""One-command setup: ``python3 manage.py serve`` or ``python3 manage.py test [pytest args]``.

Creates ``.venv`` beside this file when missing, installs the pinned requirements when they
changed since the last install, then starts the service on http://127.0.0.1:5000 or runs
ruff and the test suite. ``test`` also does the rest of the set-up (CI's ``.ci/run`` is just
this command): as root it installs what pip cannot (Debian's chromium and fonts-nanum for the
browser tests, PostgreSQL 15 and PostGIS for the database tests) and starts a throwaway
PostgreSQL cluster; otherwise it says which tests cannot run and why, and those skip with that
reason. Needs only Python 3.11 (standard library).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def ensure_env(requirements: str) -> None:
    """Create the virtual environment and install ``requirements`` if they changed."""
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / requirements
    digest = hashlib.sha256(
        b"".join((ROOT / f).read_bytes() for f in ("requirements.txt", requirements))
    ).hexdigest()
    stamp = VENV / f".installed-{req.stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing {requirements}", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True)
    stamp.write_text(digest)


def serve(args: list[str]) -> int:
    """Start the service on the configured registry (the demo registry by default).

    On POSIX this process becomes the server (``exec``): a ``kill`` or Ctrl-C of its id stops
    the server itself, never leaving a child holding the port."""
    ensure_env("requirements.txt")
    cmd = [str(PY), "-m", "flask", "--app", "app.wsgi", "run", "--host", "127.0.0.1",
           "--port", "5000", *args]
    if os.name == "posix":
        os.chdir(ROOT)
        sys.stdout.flush()
        os.execv(cmd[0], cmd)
    return subprocess.call(cmd, cwd=ROOT)


# What the tests need beyond pip, as Debian packages (what `apt-get install` takes).
CHROMIUM = "chromium"
NANUM = "fonts-nanum"
POSTGRESQL = "postgresql-15"
POSTGIS = "postgresql-15-postgis-3"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
BROWSER_TESTS = "the browser tests (tests/browser/)"
POSTGRES_TESTS = ("the PostgreSQL tests (every [postgresql] case in tests/live/ and "
                  "tests/live/test_postgis.py)")


@dataclass(frozen=True)
class Machine:
    """What the machine has, as far as the tests care."""

    root: bool
    chromium: bool
    nanum_fonts: bool
    postgresql: bool
    postgis: bool
    postgres_url: str | None = None  # DOLBOM_TEST_POSTGRES_URL given by the caller


@dataclass
class Plan:
    """What ``test`` does before running the tests: Debian packages to install (as root),
    whether to start the test PostgreSQL cluster, and the tests that cannot run, with why."""

    install: list[str] = field(default_factory=list)
    start_postgres: bool = False
    cannot_run: list[str] = field(default_factory=list)
    postgres_skip_reason: str | None = None


def probe() -> Machine:
    """Look at this machine (no changes)."""
    fonts = False
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
        fonts = "nanum" in out.lower()
    return Machine(
        root=hasattr(os, "geteuid") and os.geteuid() == 0,
        chromium=shutil.which("chromium") is not None,
        nanum_fonts=fonts,
        postgresql=(PG_BIN / "initdb").exists(),
        postgis=POSTGIS_CONTROL.exists(),
        postgres_url=os.environ.get("DOLBOM_TEST_POSTGRES_URL") or None,
    )


def plan(machine: Machine, can_install: bool | None = None) -> Plan:
    """Decide the set-up: as root (``can_install``, default ``machine.root``) install what is
    missing; otherwise name the tests that cannot run and why. A PostgreSQL URL given by the
    caller is used as it is (the tests check it has PostGIS)."""
    can_install = machine.root if can_install is None else can_install
    result = Plan()
    browser_missing = [p for p, ok in ((CHROMIUM, machine.chromium), (NANUM, machine.nanum_fonts))
                       if not ok]
    db_missing = [] if machine.postgres_url else [
        p for p, ok in ((POSTGRESQL, machine.postgresql), (POSTGIS, machine.postgis)) if not ok]
    if can_install:
        result.install = browser_missing + db_missing
        result.start_postgres = machine.postgres_url is None
        return result
    how = "run python3 manage.py test as root to install it, or: sudo apt-get install "
    if CHROMIUM in browser_missing:
        result.cannot_run.append(f"{BROWSER_TESTS} cannot run: Debian's chromium is not "
                                 f"installed ({how}{' '.join(browser_missing)})")
    elif browser_missing:
        result.cannot_run.append(f"{BROWSER_TESTS} run, but Hangul may show as boxes in their "
                                 f"screenshots: fonts-nanum is not installed ({how}{NANUM})")
    if POSTGRESQL in db_missing:
        reason = f"PostgreSQL 15 is not installed ({how}{' '.join(db_missing)})"
    elif POSTGIS in db_missing:
        reason = (f"PostgreSQL 15 is installed but PostGIS is not, and the schema needs it "
                  f"({how}{POSTGIS})")
    else:
        reason = None
    if reason:
        result.cannot_run.append(f"{POSTGRES_TESTS} cannot run: {reason}")
        result.postgres_skip_reason = reason
    else:
        result.start_postgres = machine.postgres_url is None
    return result


def apt_install(packages: list[str]) -> bool:
    """``apt-get update`` and ``apt-get install`` (as root); False, with the reason printed,
    when that fails (no network, no apt)."""
    if shutil.which("apt-get") is None:
        print(f"cannot install {' '.join(packages)}: this is not a Debian system (no apt-get)",
              flush=True)
        return False
    print(f"installing {' '.join(packages)} (apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{' '.join(cmd)} failed:\n{done.stderr.strip()[-2000:]}", flush=True)
            return False
    return True


def start_postgres() -> str | None:
    """Start the throwaway test cluster (.ci/postgres.sh) and return its URL; None, with the
    reason printed, when it cannot start."""
    done = subprocess.run(["bash", str(ROOT / ".ci" / "postgres.sh")], capture_output=True,
                          text=True, check=False)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    name, _, value = line.removeprefix("export ").partition("=")
    if done.returncode != 0 or name != "DOLBOM_TEST_POSTGRES_URL" or not value:
        print(f"the test PostgreSQL did not start:\n{done.stderr.strip()[-2000:]}", flush=True)
        return None
    return value


def prepare() -> list[str]:
    """Everything ``.ci/run`` used to do before the tests: install (as root) what is missing,
    start PostgreSQL, and say which tests cannot run and why. Returns those lines."""
    decided = plan(probe())
    if decided.install:
        apt_install(decided.install)
        decided = plan(probe(), can_install=False)  # what is still missing cannot run
    cannot_run = list(decided.cannot_run)
    if decided.start_postgres:
        url = start_postgres()
        if url:
            os.environ["DOLBOM_TEST_POSTGRES_URL"] = url
            print(f"PostgreSQL for tests: {url}", flush=True)
        else:
            decided.postgres_skip_reason = "the test PostgreSQL cluster did not start (above)"
            cannot_run.append(f"{POSTGRES_TESTS} cannot run: "
                              f"{decided.postgres_skip_reason}")
    if decided.postgres_skip_reason:
        os.environ["DOLBOM_TEST_POSTGRES_SKIP"] = decided.postgres_skip_reason
    for line in cannot_run:
        print(line, flush=True)
    return cannot_run


def test(args: list[str]) -> int:
    """Set up what the tests need (see ``prepare``), then run ruff and the tests (all of them,
    or those named in ``args``). With ``CI`` set, tests that cannot run are an error."""
    ensure_env("requirements-dev.txt")
    cannot_run = prepare()
    if cannot_run and os.environ.get("CI"):
        print("CI runs every test: stopping", file=sys.stderr)
        return 1
    lint = subprocess.call([str(PY), "-m", "ruff", "check", "."], cwd=ROOT)
    if lint:
        return lint
    return subprocess.call([str(PY), "-m", "pytest", *parallel(args), *args], cwd=ROOT)


# Options that choose how many processes pytest uses (pytest-xdist); given any, manage.py adds none.
XDIST_OPTIONS = ("-n", "--numprocesses", "--dist", "no:xdist")


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist options for the whole suite: one worker per core plus one (at least two;
    many tests wait on servers, browsers and databases rather than on a core), an idle worker
    taking tests from a busy one's queue (a minute-long test near the end does not leave the
    others waiting). None when ``args`` name test files or folders, or choose the processes themselves
    (``-n 0`` runs in one process): a few tests start faster in one process."""
    names_tests = any((ROOT / a.split("::")[0]).exists() for a in args if not a.startswith("-"))
    if names_tests or any(a.startswith(XDIST_OPTIONS) for a in args):
        return []
    return ["-n", str(max(2, (os.cpu_count() or 1) + 1)), "--dist", "worksteal"]


def main() -> int:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print("usage: python3 manage.py serve | test [extra arguments]", file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
