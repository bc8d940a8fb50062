"""The registry loaded once per process, reached through :func:`get_registry`.

Reloading builds the new registry aside and then swaps one reference, so requests in flight
keep the registry they started with.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from app.registry.io import Registry, read_registry

SEOUL = ZoneInfo("Asia/Seoul")
_EXTENSION = "dolbom_registry"


class RegistryStore:
    """Holds the current registry, read on first use; ``reload()`` swaps in a fresh one.

    Reading on first use keeps CLI commands that never search (an import) from paying for
    the registry; servers call :meth:`warm` at start (``app.wsgi``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        """The current registry (read now if this is the first use)."""
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    self._registry = self._read()
        return self._registry

    def warm(self) -> None:
        """Read the registry now rather than on the first request."""
        _ = self.registry

    def _read(self) -> Registry:
        return read_registry(self.path, now=datetime.now(SEOUL))

    def reload(self) -> Registry:
        """Read the registry file again and swap it in; returns the new registry."""
        fresh = self._read()
        with self._lock:
            self._registry = fresh
        return fresh


def registry_path(app: Flask) -> Path:
    """The registry file the app serves (see ``REGISTRY_PATH`` in config)."""
    configured = app.config.get("REGISTRY_PATH")
    if configured:
        return Path(configured)
    imported = Path(app.instance_path) / "registry.geojson"
    return imported if imported.exists() else Path(app.config["DEMO_REGISTRY_PATH"])


def init_app(app: Flask) -> None:
    """Load the registry for this app."""
    app.extensions[_EXTENSION] = RegistryStore(registry_path(app))


def get_store() -> RegistryStore:
    """The registry store of the current app."""
    return current_app.extensions[_EXTENSION]


def get_registry() -> Registry:
    """The registry of the current app."""
    return get_store().registry
