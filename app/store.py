"""The registry loaded once per process, reached through :func:`get_registry`.

A new registry (an import writing the registry file, or ``flask registry-to-db``) is noticed
by every server process on its own: at most every ``REGISTRY_CHECK_SECONDS`` a request looks
at the source (a ``stat`` of the file; one small query on PostgreSQL), and when it changed a
background thread builds the new registry and index aside and then swaps one reference.
Requests meanwhile, and those in flight, keep the registry they started with; nothing
restarts. A source that fails to load is reported in the log and the previous registry stays.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.live.service import LiveOverlay
from app.registry.io import Registry, read_registry
from app.registry.text import TextRules
from app.search.index import FacilityIndex

SEOUL = ZoneInfo("Asia/Seoul")
_EXTENSION = "dolbom_registry"
log = logging.getLogger(__name__)


class RegistryStore:
    """Holds the current registry, read on first use and swapped when its source changes.

    Reading on first use keeps CLI commands that never search (an import) from paying for
    the registry; servers call :meth:`warm` at start (``app.wsgi``).
    ``locate`` names the registry file (it may change: the first import replaces the demo);
    ``check_every_s`` is how often a request may look whether the source changed.
    """

    def __init__(self, locate: Callable[[], Path], max_age: timedelta,
                 check_every_s: float = 2.0) -> None:
        self.locate = locate
        self.max_age = max_age
        self.check_every_s = check_every_s
        self.live = LiveOverlay()  # survives registry reloads: it is keyed by facility id
        self.postgis = None  # an engine when the registry and search live in PostGIS
        self.text_rules = None  # the REGISTRY_* text limits a registry file is held to
        self._lock = threading.Lock()
        self._loaded: tuple[Registry, FacilityIndex] | None = None
        self._source: Hashable = None  # the signature of the source _loaded was built from
        self._next_check = 0.0  # time.monotonic() of the next look at the source
        self._rebuilding = False

    def _current(self) -> tuple[Registry, FacilityIndex]:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    try:
                        self._source = self._signature()
                    except OSError:
                        self._source = None  # the build below says what is missing
                    self._loaded = self._build()
                    self._next_check = time.monotonic() + self.check_every_s
                return self._loaded
        if time.monotonic() >= self._next_check:
            self._look()
        return loaded

    def _signature(self) -> Hashable:
        """What identifies the current source: file, inode, mtime and size, or the time the
        registry was stored in PostGIS."""
        if self.postgis is not None:
            from app.live.postgis_index import stored_at

            return stored_at(self.postgis)
        path = self.locate()
        st = os.stat(path)
        return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)

    def _look(self) -> None:
        with self._lock:
            if self._rebuilding or time.monotonic() < self._next_check:
                return  # another thread looks, or looked just now
            self._next_check = time.monotonic() + self.check_every_s
            try:
                source = self._signature()
            except Exception as exc:  # a missing file, a database away
                log.warning("registry source cannot be checked (%s); serving the loaded one",
                            exc)
                return
            if source == self._source:
                return
            self._rebuilding = True
        threading.Thread(target=self._rebuild, args=(source,), name="registry-reload",
                         daemon=True).start()

    def _rebuild(self, source: Hashable) -> None:
        started = time.monotonic()
        try:
            fresh = self._build()
        except Exception:  # keep serving; the log says why
            log.exception("the new registry could not be loaded; still serving the previous "
                          "one")
            fresh = None
        with self._lock:
            if fresh is not None:
                self._loaded = fresh
                log.info("registry reloaded: %d facilities in %.1f s",
                         len(fresh[0].facilities), time.monotonic() - started)
            self._source = source  # a broken source is not retried until it changes again
            self._rebuilding = False

    def _build(self) -> tuple[Registry, FacilityIndex]:
        if self.postgis is not None:
            from app.live.postgis_index import PostgisIndex, load_registry

            registry = load_registry(self.postgis, datetime.now(SEOUL))
            return registry, PostgisIndex(registry.facilities, self.max_age, self.postgis,
                                          live=self.live, locale=registry.locale)
        registry = read_registry(self.locate(), now=datetime.now(SEOUL),
                                 text_rules=self.text_rules)
        return registry, FacilityIndex(registry.facilities, self.max_age, live=self.live,
                                       locale=registry.locale)

    @property
    def registry(self) -> Registry:
        """The current registry (read now if this is the first use)."""
        return self._current()[0]

    @property
    def index(self) -> FacilityIndex:
        """The search index of the current registry."""
        return self._current()[1]

    def warm(self) -> None:
        """Read the registry now rather than on the first request."""
        _ = self.registry


def registry_path(app: Flask) -> Path:
    """The registry file the app serves (see ``REGISTRY_PATH`` in config)."""
    return _locator(app)()


def _locator(app: Flask) -> Callable[[], Path]:
    configured = app.config.get("REGISTRY_PATH")
    if configured:
        return lambda: Path(configured)
    imported = Path(app.instance_path) / "registry.geojson"
    demo = Path(app.config["DEMO_REGISTRY_PATH"])
    return lambda: imported if imported.exists() else demo


def init_app(app: Flask) -> None:
    """Load the registry for this app."""
    max_age = timedelta(hours=float(app.config["AVAILABILITY_MAX_AGE_HOURS"]))
    store = RegistryStore(_locator(app), max_age,
                          check_every_s=float(app.config["REGISTRY_CHECK_SECONDS"]))
    store.text_rules = TextRules.from_config(app.config)
    backend = app.config["SEARCH_BACKEND"]
    if backend == "postgis":
        engine = app.extensions["dolbom_db"]
        if engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND = 'postgis' needs DATABASE_URL to be PostgreSQL")
        store.postgis = engine
    elif backend != "memory":
        raise RuntimeError(f"SEARCH_BACKEND must be 'memory' or 'postgis', not {backend!r}")
    app.extensions[_EXTENSION] = store


def get_store() -> RegistryStore:
    """The registry store of the current app."""
    return current_app.extensions[_EXTENSION]


def get_registry() -> Registry:
    """The registry of the current app."""
    return get_store().registry


def get_index() -> FacilityIndex:
    """The search index of the current app's registry."""
    return get_store().index


def sync_live() -> None:
    """Bring this process's copy of provider reports up to date (one cheap query)."""
    from app.live.db import get_engine

    get_store().live.sync(get_engine())
