"""Where a registry comes from, behind one small interface.

A :class:`RegistrySource` says what identifies its current content (``signature``: when it
changes, the store reloads), reads the registry (``load``) and builds the search index that
fits it (``index``). Two implementations: :class:`FileSource` (a GeoJSON registry file, searched
in memory) here, and :class:`app.registry.postgis.PostgisSource` (the registry in PostGIS,
searched there). The store (:mod:`app.registry.store`) takes a source and does not ask which.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from app.live.service import LiveOverlay
from app.registry.io import Registry, read_registry
from app.registry.text import TextRules
from app.search.index import FacilityIndex


class RegistrySource(Protocol):
    """A registry's origin: change detection, loading and its index."""

    def signature(self) -> Hashable:
        """What identifies the current content; raises ``OSError`` (or a database error)
        when the source cannot be reached."""
        ...

    def load(self, now: datetime) -> Registry:
        """Read the registry; ``now`` rebases a demo's report times."""
        ...

    def index(self, registry: Registry, max_age: timedelta, live: LiveOverlay) -> FacilityIndex:
        """The search index over ``registry`` (vacancy reports older than ``max_age`` do not
        count; ``live`` holds providers' reports)."""
        ...


class FileSource:
    """A registry file (GeoJSON, written by the import), searched in memory.

    ``locate`` names the file and is asked each time (the first import replaces the demo);
    ``text_rules`` are the ``REGISTRY_*`` text limits the file's records are held to.
    """

    def __init__(self, locate: Callable[[], Path], text_rules: TextRules | None = None) -> None:
        self.locate = locate
        self.text_rules = text_rules

    def signature(self) -> Hashable:
        """The file's path, inode, modification time (ns) and size."""
        path = self.locate()
        st = os.stat(path)
        return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self, now: datetime) -> Registry:
        """The registry file, read and checked (:func:`app.registry.io.read_registry`)."""
        return read_registry(self.locate(), now=now, text_rules=self.text_rules)

    def index(self, registry: Registry, max_age: timedelta, live: LiveOverlay) -> FacilityIndex:
        """The in-memory k-d tree index (:class:`app.search.index.FacilityIndex`)."""
        return FacilityIndex(registry.facilities, max_age, live=live, locale=registry.locale)
