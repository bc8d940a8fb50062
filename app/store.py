"""The registry loaded once per process, reached through :func:`get_registry`.

Reloading builds the new registry aside and then swaps one reference, so requests in flight
keep the registry they started with.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.live.service import LiveOverlay
from app.registry.io import Registry, read_registry
from app.search.index import FacilityIndex

SEOUL = ZoneInfo("Asia/Seoul")
_EXTENSION = "dolbom_registry"


class RegistryStore:
    """Holds the current registry, read on first use; ``reload()`` swaps in a fresh one.

    Reading on first use keeps CLI commands that never search (an import) from paying for
    the registry; servers call :meth:`warm` at start (``app.wsgi``).
    """

    def __init__(self, path: Path, max_age: timedelta) -> None:
        self.path = path
        self.max_age = max_age
        self.live = LiveOverlay()  # survives registry reloads: it is keyed by facility id
        self.postgis = None  # an engine when the registry and search live in PostGIS
        self._lock = threading.Lock()
        self._loaded: tuple[Registry, FacilityIndex] | None = None

    def _current(self) -> tuple[Registry, FacilityIndex]:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._build()
        return self._loaded

    def _build(self) -> tuple[Registry, FacilityIndex]:
        if self.postgis is not None:
            from app.live.postgis_index import PostgisIndex, load_registry

            registry = load_registry(self.postgis, datetime.now(SEOUL))
            return registry, PostgisIndex(registry.facilities, self.max_age, self.postgis,
                                          live=self.live)
        registry = self._read()
        return registry, FacilityIndex(registry.facilities, self.max_age, live=self.live)

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

    def _read(self) -> Registry:
        return read_registry(self.path, now=datetime.now(SEOUL))

    def reload(self) -> Registry:
        """Read the registry file again and swap it in; returns the new registry."""
        fresh = self._build()
        with self._lock:
            self._loaded = fresh
        return fresh[0]


def registry_path(app: Flask) -> Path:
    """The registry file the app serves (see ``REGISTRY_PATH`` in config)."""
    configured = app.config.get("REGISTRY_PATH")
    if configured:
        return Path(configured)
    imported = Path(app.instance_path) / "registry.geojson"
    return imported if imported.exists() else Path(app.config["DEMO_REGISTRY_PATH"])


def init_app(app: Flask) -> None:
    """Load the registry for this app."""
    max_age = timedelta(hours=float(app.config["AVAILABILITY_MAX_AGE_HOURS"]))
    store = RegistryStore(registry_path(app), max_age)
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
