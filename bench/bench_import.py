"""Benchmark: importing all 15 portal files, and service start-up on the demo registry.

Run: .venv/bin/python bench/bench_import.py   (prints figures; never part of the tests)
Targets (issue 2): import of 31,826 rows <= 5 s; create_app with the demo registry <= 2 s.
Reading the files alone is timed in the same run, side by side, as the floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTAL = ROOT.parent / "shared" / "data" / "kr-childcare-portal-2023"
sys.path.insert(0, str(ROOT))


def run(code: str) -> float:
    """Seconds a fresh interpreter takes to run ``code`` (includes imports)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    paths = sorted(PORTAL.glob("*_202411.xls"))
    if len(paths) != 15:
        sys.exit(f"expected the 15 portal files in {PORTAL}")
    files = ", ".join(repr(str(p)) for p in paths)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reg.geojson"
        read_only = (f"import xlrd\nfor p in [{files}]:\n"
                     "    s = xlrd.open_workbook(p).sheet_by_index(0)\n"
                     "    [s.row_values(i) for i in range(s.nrows)]")
        cli = (f"import sys; from flask.cli import main; sys.argv=['flask','--app','app',"
               f"'import-facilities',{files},'--out',{str(out)!r}]; main()")
        startup = ("from app import create_app; from app.extensions.registry import get_registry\n"
                   "a = create_app()\nwith a.app_context(): get_registry()")
        results: dict[str, list[float]] = {"read 15 files (xlrd, floor)": [],
                                           "import-facilities CLI (whole command)": [],
                                           "start-up: create_app on demo registry": []}
        for _ in range(3):
            results["read 15 files (xlrd, floor)"].append(run(read_only))
            results["import-facilities CLI (whole command)"].append(run(cli))
            results["start-up: create_app on demo registry"].append(run(startup))
    for name, times in results.items():
        print(f"{name:45s} median {statistics.median(times):5.2f} s   "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
