#!/usr/bin/env python3
"""One-command setup: ``python3 manage.py serve`` or ``python3 manage.py test``.

Creates ``.venv`` beside this file when missing, installs the pinned requirements when they
changed since the last install, then starts the service on http://127.0.0.1:5000 or runs
ruff and the whole test suite. Needs only Python 3.11 (standard library).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
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
    """Start the service on the configured registry (the demo registry by default)."""
    ensure_env("requirements.txt")
    cmd = [str(PY), "-m", "flask", "--app", "app.wsgi", "run", "--host", "127.0.0.1",
           "--port", "5000", *args]
    return subprocess.call(cmd, cwd=ROOT)


def start_postgres() -> None:
    """Start the test PostgreSQL cluster when PostgreSQL is installed (CI installs it)."""
    if os.environ.get("DOLBOM_TEST_POSTGRES_URL"):
        return
    if not Path("/usr/lib/postgresql/15/bin/initdb").exists() or os.geteuid() != 0:
        print("PostgreSQL 15 is not installed: its tests will be skipped "
              "(bash .ci/run installs it)", flush=True)
        return
    out = subprocess.run(["bash", str(ROOT / ".ci" / "postgres.sh")], capture_output=True,
                         text=True, check=True).stdout
    name, _, value = out.strip().removeprefix("export ").partition("=")
    os.environ[name] = value


def test(args: list[str]) -> int:
    """Run ruff and then the whole test suite (PostgreSQL tests when it is installed)."""
    ensure_env("requirements-dev.txt")
    start_postgres()
    lint = subprocess.call([str(PY), "-m", "ruff", "check", "."], cwd=ROOT)
    if lint:
        return lint
    return subprocess.call([str(PY), "-m", "pytest", *args], cwd=ROOT)


def main() -> int:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print("usage: python3 manage.py serve | test [extra arguments]", file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
