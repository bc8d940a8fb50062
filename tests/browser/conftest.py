"""Real-browser fixtures: the app served on loopback, host pages on two other origins (one
allowed to embed the widget, one not), and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.care.states import BOOKING, CARE_REQUEST, OFFER
from app.config import DEMO_REGISTRY_PATH
from app.db.engine import booking_capacity, booking_holds, bookings
from app.db.request_tables import care_requests, offers
from app.extensions.db import get_engine
from app.extensions.registry import get_index
from app.registry.io import registry_locale
from app.registry.text import TextRules
from app.search.model import Facility

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EVIL_NAME = '<img src=x onerror="window.__xss=1">악성<b>이름</b>'
EVIL_ID = "test-evil-00001"
STACK_ID = "test-stack-0000"
NEAR_ID = "test-near-0000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, server) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _host_page_server(port: int, app_url: str) -> _Server:
    """A stand-in municipal site on another origin that embeds the widget."""
    page = (f'<!doctype html><meta charset="utf-8"><title>host</title><h1>시청 누리집</h1>'
            f'<div style="height:300px">위</div>'
            f'<iframe id="w" src="{app_url}/embed?region=41110&amp;lang=ko&amp;height=480" '
            f'width="800" height="480"></iframe><div style="height:1500px">아래</div>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    return _Server(ThreadingHTTPServer(("127.0.0.1", port), Handler))


def write_test_registry(path: Path) -> None:
    """The demo registry plus the tests' own providers, written to ``path`` as
    ``write_registry`` would (the same bytes). The demo's records are copied as they are rather
    than read and checked here too: the app reads and checks the whole file anyway, and doing
    it twice took each test process 3 to 6 s."""
    doc = json.loads(Path(DEMO_REGISTRY_PATH).read_text(encoding="utf-8"))
    meta = dict(doc.get("registry") or {})
    tz = registry_locale(meta).tz
    rules = TextRules()
    template = next(f for f in (rules.check_facility(Facility.from_feature(feature, tz=tz))
                                for feature in doc["features"])
                    if f.sigungu == "수원시 영통구" and f.kind == "daycare"
                    and "always_daycare" not in f.programmes)
    evil = replace(template, id=EVIL_ID, name=EVIL_NAME, lon=127.0452, lat=37.2637,
                   address='<script>window.__xss=2</script> 주소', phone="031-000-0000")
    # Two providers at one address, far from the others (가평): their pins must each be tappable.
    stacked = [replace(template, id=f"{STACK_ID}{i}", name=f"같은주소어린이집 {i}", lon=127.5100, lat=37.8300)
               for i in (1, 2, 3)]
    # Two providers 4.5 m apart (two doors of one building): pins a few pixels apart at any zoom.
    near = [replace(template, id=f"{NEAR_ID}{i}", name=f"이웃어린이집 {i}", lon=127.5300 + 0.00004 * (i - 1),
                    lat=37.8300 + 0.00003 * (i - 1)) for i in (1, 2)]
    features = sorted([*doc["features"], *(f.to_feature() for f in (evil, *stacked, *near))],
                      key=lambda feature: feature["properties"]["id"])
    head = json.dumps({"type": "FeatureCollection", "registry": meta}, ensure_ascii=False,
                      sort_keys=True)
    body = ",\n".join(json.dumps(f, ensure_ascii=False, sort_keys=True) for f in features)
    path.write_text("\n".join([head[:-1] + ', "features": [', body, "]}\n"]), encoding="utf-8")


def _read_registry(app) -> None:
    """Have ``app`` read its registry and build its index (a first request waits for this
    rather than reading it again; a failure shows there too)."""
    with app.app_context(), contextlib.suppress(Exception):
        get_index()


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """URLs of the running app and of an allowed and a refused host page."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (python3 manage.py test run as root "
                    "installs it)")
    tmp = tmp_path_factory.mktemp("live")
    registry = tmp / "registry.geojson"
    write_test_registry(registry)
    app_port, allowed_port, refused_port = free_port(), free_port(), free_port()
    tile_port = free_port()  # nothing listens there
    app_url = f"http://127.0.0.1:{app_port}"
    allowed = f"http://localhost:{allowed_port}"
    app = create_app({
        "TESTING": True,
        "REGISTRY_PATH": str(registry),
        # Tiles point at a closed local port: the page must work without them.
        "TILE_URL": f"http://127.0.0.1:{tile_port}/{{z}}/{{x}}/{{y}}.png",
        "EMBED_ALLOWED_ORIGINS": [allowed],
        # Every browser of a worker signs up and in from 127.0.0.1: the per-address limits
        # (tested in tests/pages) would refuse the 61st family of the hour with a 429.
        "ACCOUNT_FORM_RATE_LIMIT": "1000 per minute",
        "ACCOUNT_SIGN_IN_RATE_LIMIT": "1000 per minute",
    }, instance_path=str(tmp / "instance"))
    # The app reads its registry at the first request: start now, while Chromium starts.
    threading.Thread(target=_read_registry, args=(app,), name="read-registry", daemon=True).start()
    servers = [
        _Server(make_server("127.0.0.1", app_port, app, threaded=True)),
        _host_page_server(allowed_port, app_url),
        _host_page_server(refused_port, app_url),
    ]
    yield {"flask_app": app, "app": app_url, "tiles": f"http://127.0.0.1:{tile_port}/", "allowed_host": f"{allowed}/",
           "refused_host": f"http://127.0.0.1:{refused_port}/"}
    for s in servers:
        s.stop()


@pytest.fixture(autouse=True)
def settled_care_work(request):
    """Each browser test on the live app starts with no live care work left by the tests before
    it on this worker (they share the app and its database): bookings that still hold a place
    are cancelled and every place given back, live care requests cancelled and open offers
    withdrawn. Without this, which tests ran earlier on a worker (pytest-xdist's worksteal deals
    them differently each run) decided whether a provider's inbox was empty or its last place
    taken. Done in SQL, past the state machine and the outbox, so no test's desk is sent a
    message about another test's booking."""
    if "live" not in request.fixturenames:
        yield
        return
    flask_app = request.getfixturevalue("live")["flask_app"]
    with flask_app.app_context():
        engine = get_engine()
    live_requests = [s for s in CARE_REQUEST.states if CARE_REQUEST.allowed_actions(s) and s != "cancelled"]
    with engine.begin() as conn:
        conn.execute(bookings.update().where(bookings.c.status.in_(sorted(BOOKING.holding_states())))
                     .values(status="cancelled", version=bookings.c.version + 1, hold_expires_at=None))
        conn.execute(booking_holds.delete())
        conn.execute(booking_capacity.update().where(booking_capacity.c.held != 0).values(held=0))
        conn.execute(care_requests.update().where(care_requests.c.status.in_(live_requests))
                     .values(status="cancelled", version=care_requests.c.version + 1))
        conn.execute(offers.update().where(offers.c.status == OFFER.initial)
                     .values(status="cancelled", version=offers.c.version + 1))
    yield


@pytest.fixture(scope="session")
def browser(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


class Page:
    """A Playwright page plus the script errors it logged (tile failures excepted)."""

    def __init__(self, page, tiles: str) -> None:
        self._page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._console)
        self._tiles = tiles

    def _console(self, message) -> None:
        if message.type == "error" and not message.location.get("url", "").startswith(
                self._tiles):
            self.errors.append(message.text)

    def __getattr__(self, name):
        return getattr(self._page, name)


@pytest.fixture
def page(browser, live):
    """A desktop-sized page that records script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR")
    yield Page(context.new_page(), live["tiles"])
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
