"""Benchmark the planners' page in headless Chromium over the demo registry: sign-in to usable,
the whole province by 읍면동, and a site suggestion, cold (first after the app starts) and warm.
Prints figures; not a test.

"Usable" means the map and the table are drawn: the choropleth's areas are on the map (SVG
paths ``#map_planner path.leaflet-interactive``, or the page's ``planner-drawn`` performance
mark once they are painted on a canvas), the measures table has rows, and nothing is busy (no
``[aria-busy=true]`` on the page). The progress figure is when a progress indication
(``#planner-status`` with text, or ``[aria-busy=true]``) was first seen after the click.

Run: .venv/bin/python bench/bench_planner_page.py      (needs Debian's chromium)
Goals (issue 14): usable within 2 s of sign-in; the province by 읍면동 within 3 s; a progress
indication whenever something takes over 300 ms.
"""

from __future__ import annotations

import logging
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.extensions.db import get_engine
from app.extensions.registry import get_store
from app.live import tokens

USABLE = """() => (document.querySelectorAll('#map_planner path.leaflet-interactive').length > 0
      || performance.getEntriesByName('planner-drawn').length > 0)
  && document.querySelectorAll('#measures-table tbody tr').length > 0
  && !document.querySelector('[aria-busy=true]')"""
# Records, from the moment it is installed, when a progress indication first shows.
WATCH = """() => { window.__busyAt = null; const t0 = performance.now();
  const look = () => { const s = document.getElementById('planner-status');
    if (window.__busyAt === null && ((s && s.textContent.trim() && !s.hidden)
        || document.querySelector('[aria-busy=true]'))) window.__busyAt = performance.now() - t0; };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true,
                                                characterData: true}); look(); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_usable(page: Page, timeout_ms: float = 180_000) -> None:
    page.wait_for_function(USABLE, timeout=timeout_ms, polling=50)


def _data_time(page: Page) -> str:
    """How long the page's data request took (request sent -> last byte), when it made one."""
    took = page.evaluate("""() => performance.getEntriesByType('resource')
      .filter(e => e.name.includes('/planner/data.json') || e.name.includes('/planner/map.js'))
      .map(e => [e.startTime, e.responseEnd - e.requestStart, e.transferSize,
                 (performance.getEntriesByName('planner-drawn')[0] || {}).startTime])""")
    return "".join(f" (data request sent {start:.0f} ms after navigation, took {ms:.0f} ms, "
                   f"{size / 1e6:.1f} MB" + (f"; drawn at {drawn:.0f} ms)" if drawn else ")")
                   for start, ms, size, drawn in took)


def run(browser: Browser, url: str, token: str, label: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{url}/planner?lang=ko")
    page.fill("input[name=token]", token)
    t = time.perf_counter()
    page.click("#planner-login button[type=submit]", no_wait_after=True)
    page.wait_for_selector("#planner", timeout=180_000)
    shell = time.perf_counter() - t
    page.evaluate(WATCH)
    _wait_usable(page)
    usable = time.perf_counter() - t
    busy = page.evaluate("window.__busyAt")
    print(f"[{label}] sign-in -> page shown {shell * 1e3:6.0f} ms; -> usable (map and table "
          f"drawn) {usable * 1e3:6.0f} ms; progress shown "
          f"{'never' if busy is None else f'{busy:.0f} ms after the page'}{_data_time(page)}")

    t = time.perf_counter()
    page.select_option("#level", "emd")
    page.select_option("#area", "")
    with page.expect_navigation(wait_until="commit", timeout=180_000):
        page.click("#planner-query button[type=submit]", no_wait_after=True)
    page.wait_for_selector("#planner", timeout=180_000)
    page.evaluate(WATCH)
    _wait_usable(page)
    rows = page.evaluate("document.querySelectorAll('#measures-table tbody tr').length")
    province = time.perf_counter() - t
    busy = page.evaluate("window.__busyAt")
    print(f"[{label}] whole province by 읍면동 ({rows} areas): usable in {province * 1e3:6.0f} ms; "
          f"progress shown {'never' if busy is None else f'{busy:.0f} ms after the page'}"
          f"{_data_time(page)}")

    t = time.perf_counter()
    if page.locator("#sites-form").count():
        page.evaluate(WATCH)
        page.select_option("#sites-service", "daycare")
        page.select_option("#sites-period", "night")
        page.fill("#sites-p", "5")
        page.fill("#sites-radius", "1000")
        page.click("#sites-form button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('#sites-list li').length > 0",
                               timeout=300_000, polling=50)
        n = page.evaluate("document.querySelectorAll('#sites-list li').length")
        busy = page.evaluate("window.__busyAt")
        how = (f"on the page, {n} sites listed and drawn; progress shown "
               f"{'never' if busy is None else f'{busy:.0f} ms after the click'}")
    else:  # before the page had a form: the API, with the token
        status = page.evaluate("""async (token) => { const r = await fetch(
              '/api/v1/coverage/sites', {method: 'POST', headers: {'Content-Type':
              'application/json', Authorization: 'Bearer ' + token}, body: JSON.stringify(
              {service: 'daycare', period: 'night', p: 5, radius_m: 1000})}); return r.status; }""",
                               token)
        how = f"through the API only (no form on the page), status {status}"
    print(f"[{label}] site suggestion (daycare, night, 5 sites, 1000 m): "
          f"{(time.perf_counter() - t) * 1e3:6.0f} ms, {how}")
    context.close()


def serve(instance: str) -> tuple[str, str, BaseWSGIServer]:
    """A fresh app over the demo registry on ``instance``: its URL, an admin token, the server."""
    started = time.perf_counter()
    app = create_app({"TILE_URL": "http://127.0.0.1:1/{z}/{x}/{y}.png"}, instance_path=instance)
    warming = app.extensions.get("dolbom_planner_warming_at_start")  # PLANNER_WARM_UP_AT_START

    def report_warm() -> None:
        if warming is not None:
            warming.join()
            print(f"[server] the planner's first page computed in the background "
                  f"{time.perf_counter() - started:.1f} s after the app started")

    threading.Thread(target=report_warm, daemon=True).start()
    with app.app_context():
        get_store().warm()  # the search warms it at start; the planner's own work is measured
        token = tokens.issue(get_engine(), "admin")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", token, server


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    instance = tempfile.mkdtemp(prefix="bench-planner-")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        url, token, server = serve(instance)
        run(browser, url, token, "cold, first start")
        run(browser, url, token, "warm")
        server.shutdown()
        # A restart on the same instance folder (what a deployment does): what was kept there
        # between runs is used.
        url, token, server = serve(instance)
        run(browser, url, token, "cold, restart")
        server.shutdown()
        browser.close()


if __name__ == "__main__":
    main()
