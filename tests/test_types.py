"""Type hints on every function of the app's packages, checked by mypy (issue 13 point 10).

The packages and settings are ``[tool.mypy]`` in pyproject.toml; mypy is pinned in
requirements-dev.txt.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # mypy over ~80 modules: about a minute from a cold cache, seconds after
def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy is a development dependency (requirements-dev.txt)")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"mypy reports:\n{done.stdout}{done.stderr}"
