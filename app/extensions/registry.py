"""The app's registry store: which source the settings name, reached through
:func:`get_registry` and :func:`get_index`.

Settings: ``REGISTRY_PATH`` (None: the imported ``instance/registry.geojson``, else the demo),
``SEARCH_BACKEND`` (``memory``: the file, searched in memory; ``postgis``: the registry stored
in PostgreSQL), ``AVAILABILITY_MAX_AGE_HOURS``, ``REGISTRY_CHECK_SECONDS``, ``REGISTRY_*`` text
limits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app

from app.registry.io import Registry
from app.registry.sources import FileSource, RegistrySource
from app.registry.store import RegistryStore
from app.registry.text import TextRules
from app.search.index import FacilityIndex

from .db import EXTENSION as DB_EXTENSION
from .db import get_engine

EXTENSION = "dolbom_registry"
BACKENDS = ("memory", "postgis")


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


def source_for(app: Flask) -> RegistrySource:
    """The registry source ``SEARCH_BACKEND`` names; raises ``RuntimeError`` for an unknown
    backend or a PostGIS one without PostgreSQL."""
    backend = app.config["SEARCH_BACKEND"]
    if backend == "postgis":
        from app.registry.postgis import PostgisSource

        try:
            return PostgisSource(app.extensions[DB_EXTENSION])
        except ValueError:
            raise RuntimeError("SEARCH_BACKEND = 'postgis' needs DATABASE_URL to be PostgreSQL") from None
    if backend != "memory":
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return FileSource(_locator(app), TextRules.from_config(app.config))


def init_app(app: Flask) -> None:
    """Set up the registry store (read on first use; servers warm it at start)."""
    max_age = timedelta(hours=float(app.config["AVAILABILITY_MAX_AGE_HOURS"]))
    app.extensions[EXTENSION] = RegistryStore(
        source_for(app), max_age, check_every_s=float(app.config["REGISTRY_CHECK_SECONDS"]))


def get_store() -> RegistryStore:
    """The registry store of the current app."""
    return current_app.extensions[EXTENSION]


def get_registry() -> Registry:
    """The registry of the current app."""
    return get_store().registry


def get_index() -> FacilityIndex:
    """The search index of the current app's registry."""
    return get_store().index


def sync_live() -> None:
    """Bring this process's copy of provider reports up to date (one cheap query)."""
    get_store().live.sync(get_engine())
