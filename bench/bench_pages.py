"""Benchmark the pages: server time for / and /embed, first map with results painted in
headless Chromium, and panning across 경기도 with every provider shown (frame and long-task
timings from the browser's performance API). Prints figures; not a test.

Run: .venv/bin/python bench/bench_pages.py      (needs Debian's chromium)
Targets (issue 4): / and /embed <= 100 ms server time; first results painted <= 2 s.
"""

from __future__ import annotations

import logging
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.extensions.registry import get_store

OBSERVE = """
window.__long = [];
new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration)))
  .observe({type: 'longtask', buffered: true});
"""

PAN = """
async () => {
  const map = window.dolbom.map;
  const frames = [];
  let last = performance.now(), running = true;
  const tick = t => { frames.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const path = [[37.9, 126.8], [37.9, 127.5], [37.2, 127.5], [37.2, 126.8], [37.5, 127.1]];
  for (const [lat, lon] of path) {
    map.panTo([lat, lon], {animate: true, duration: 0.6});
    await new Promise(r => setTimeout(r, 900));
  }
  running = false;
  return frames;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"TILE_URL": "http://127.0.0.1:1/{z}/{x}/{y}.png"})
    with app.app_context():
        get_store().warm()
    client = app.test_client()
    for path in ("/", "/embed?region=41110"):
        times = []
        for _ in range(50):
            t = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append((time.perf_counter() - t) * 1e3)
        print(f"server time {path:22s} median {statistics.median(times):6.2f} ms   "
              f"max {max(times):6.2f} ms (50 requests, in-process)")

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}/#home=37.263600|127.045000|수원"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        painted = []
        for _ in range(5):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            t = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(".result-pin")
            page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
            painted.append((time.perf_counter() - t) * 1e3)
            page.close()
        print(f"first map with results painted (navigation -> markers drawn): median "
              f"{statistics.median(painted):.0f} ms, max {max(painted):.0f} ms (5 loads)")

        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.add_init_script(OBSERVE)
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(".leaflet-overlay-pane path")
        page.evaluate("window.dolbom.map.setView([37.55, 127.2], 9, {animate: false})")
        t = time.perf_counter()
        page.check("#show-all")
        while int(page.evaluate("document.body.dataset.allLoaded || 0")) < 10000:
            page.wait_for_timeout(20)
        print(f"all {page.evaluate('document.body.dataset.allLoaded')} providers loaded and "
              f"clustered in {(time.perf_counter() - t) * 1e3:.0f} ms")
        page.evaluate("window.__long = []")
        frames = sorted(page.evaluate(PAN))
        longs = page.evaluate("window.__long")
        print(f"panning across 경기도 with every provider shown: {len(frames)} frames, "
              f"median {statistics.median(frames):.1f} ms, p95 {frames[int(len(frames) * .95)]:.1f}"
              f" ms, max {frames[-1]:.1f} ms; long tasks (>50 ms): {len(longs)}"
              + (f", longest {max(longs):.0f} ms" if longs else ""))
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
