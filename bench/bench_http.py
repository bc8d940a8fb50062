"""HTTP benchmark: /api/v1/facilities/nearest and the bbox listing under gunicorn (2 workers),
side by side with a bare cKDTree Flask app (the floor), driven by wrk (Debian) in another
process. Runs are interleaved (floor, API, floor, API) so machine noise hits both alike.

Run: .venv/bin/python bench/bench_http.py [seconds] [providers]   (needs wrk; prints figures)
With ``providers`` (e.g. 1000000) both servers serve a registry of that many providers, made
from the demo's by copying each one to jittered places nearby (kept in /tmp between runs), and
load it before forking (``--preload``); bbox boxes shrink to hold as many providers as in the
demo.
Targets (issue 3): API >= 80 % of the floor's requests/s; p99 <= 10 ms at 16 connections.
"""

from __future__ import annotations

import dataclasses
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
DEMO_PROVIDERS = 10_480


def big_registry(n: int) -> Path:
    """A registry of ``n`` providers: the demo's, each copied to jittered places within ~2 km."""
    path = Path(tempfile.gettempdir(), f"dolbom-bench-registry-{n}.geojson")
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from app.config import DEMO_REGISTRY_PATH
    from app.registry.io import dumps_registry, read_registry

    demo = read_registry(DEMO_REGISTRY_PATH)
    sited = [f for f in demo.facilities if not f.comes_to_family]
    rng = np.random.default_rng(11)
    jitter = rng.normal(0, 0.01, (n, 2))
    copies = (dataclasses.replace(sited[i % len(sited)], id=f"big-{i:07d}",
                                  lon=sited[i % len(sited)].lon + jitter[i, 0],
                                  lat=sited[i % len(sited)].lat + jitter[i, 1])
              for i in range(n))
    meta = {**demo.meta, "name": f"{n:,} providers made from the demo registry"}
    tmp = path.with_suffix(".part")
    tmp.write_text(dumps_registry(meta, copies), encoding="utf-8")
    tmp.rename(path)
    return path


def start(app: str, port: int, cwd: Path, registry: Path | None) -> subprocess.Popen:
    extra, env = [], dict(os.environ)
    if registry is not None:
        extra = ["--preload", "--timeout", "600"]
        env["DOLBOM_REGISTRY_PATH"] = env["FLOOR_REGISTRY_PATH"] = str(registry)
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", *extra,
         app], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    for _ in range(6000):
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
    providers = int(sys.argv[2]) if len(sys.argv) > 2 else None
    registry = big_registry(providers) if providers else None
    rng = np.random.default_rng(3)
    pts = list(zip(rng.uniform(126.8, 127.4, 200), rng.uniform(37.1, 37.7, 200), strict=True))
    side = 0.02 * (DEMO_PROVIDERS / providers) ** 0.5 if providers else 0.02
    boxes = [(lo, la, lo + side, la + side) for lo, la in pts]
    scenarios = {
        "nearest-10": ([f"/api/v1/facilities/nearest?lat={la:.5f}&lon={lo:.5f}" for lo, la in pts],
                       [f"/nearest?lat={la:.5f}&lon={lo:.5f}" for lo, la in pts]),
        "bbox (100 per page)": (
            [f"/api/v1/facilities?bbox={a:.4f},{b:.4f},{c:.4f},{d:.4f}" for a, b, c, d in boxes],
            [f"/bbox?bbox={a:.4f},{b:.4f},{c:.4f},{d:.4f}" for a, b, c, d in boxes]),
    }
    t = time.perf_counter()
    api = start("app.wsgi:app", API_PORT, ROOT, registry)
    floor = start("floor_app:app", FLOOR_PORT, ROOT / "bench", registry)
    print(f"registry: {providers or DEMO_PROVIDERS:,} providers; both servers up in "
          f"{time.perf_counter() - t:.0f} s")
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
