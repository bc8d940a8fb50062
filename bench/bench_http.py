"""HTTP benchmark: /api/v1/facilities/nearest and the bbox listing under gunicorn (2 workers),
side by side with a bare cKDTree Flask app (the floor), driven by wrk (Debian) in another
process. Runs are interleaved (floor, API, floor, API) so machine noise hits both alike.

Run: .venv/bin/python bench/bench_http.py [seconds]     (needs /usr/bin/wrk; prints figures)
Targets (issue 3): API >= 80 % of the floor's requests/s; p99 <= 10 ms at 16 connections.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
API_PORT, FLOOR_PORT = 5101, 5102


def start(app: str, port: int, cwd: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz_or_404", timeout=1)
        except urllib.error.HTTPError:
            return proc
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{app} did not start on port {port}")


def lua_script(paths: list[str]) -> str:
    body = ",\n".join(f'  "{p}"' for p in paths)
    return ("local paths = {\n" + body + "\n}\nlocal i = 0\nrequest = function()\n"
            "  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")


def wrk(port: int, script: Path, seconds: int) -> tuple[float, float, float]:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx responses in the run:\n{out}")
    return rps, pct("50"), pct("99")


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rng = np.random.default_rng(3)
    pts = list(zip(rng.uniform(126.8, 127.4, 200), rng.uniform(37.1, 37.7, 200), strict=True))
    boxes = [(lo, la, lo + 0.02, la + 0.02) for lo, la in pts]
    scenarios = {
        "nearest-10": ([f"/api/v1/facilities/nearest?lat={la:.5f}&lon={lo:.5f}" for lo, la in pts],
                       [f"/nearest?lat={la:.5f}&lon={lo:.5f}" for lo, la in pts]),
        "bbox (100 per page)": (
            [f"/api/v1/facilities?bbox={a:.4f},{b:.4f},{c:.4f},{d:.4f}" for a, b, c, d in boxes],
            [f"/bbox?bbox={a:.4f},{b:.4f},{c:.4f},{d:.4f}" for a, b, c, d in boxes]),
    }
    api = start("app.wsgi:app", API_PORT, ROOT)
    floor = start("floor_app:app", FLOOR_PORT, ROOT / "bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, (api_paths, floor_paths) in scenarios.items():
                a_script, f_script = Path(tmp, "a.lua"), Path(tmp, "f.lua")
                a_script.write_text(lua_script(api_paths))
                f_script.write_text(lua_script(floor_paths))
                wrk(FLOOR_PORT, f_script, 2)  # warm both up (first requests load caches)
                wrk(API_PORT, a_script, 2)
                runs = {"floor": [], "api": []}
                for _ in range(2):
                    runs["floor"].append(wrk(FLOOR_PORT, f_script, seconds))
                    runs["api"].append(wrk(API_PORT, a_script, seconds))
                best = {k: max(v, key=lambda r: r[0]) for k, v in runs.items()}
                ratio = best["api"][0] / best["floor"][0]
                print(f"{name}: 16 connections, gunicorn 2 workers, {seconds} s x 2 each")
                for k in ("floor", "api"):
                    for rps, p50, p99 in runs[k]:
                        print(f"  {k:5s} {rps:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
                print(f"  API / floor requests/s (best runs): {ratio:.2f}")
    finally:
        for proc in (api, floor):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()


if __name__ == "__main__":
    main()
