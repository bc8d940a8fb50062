"""The registry loaded once per process, swapped when its source changes.

A new registry (an import writing the registry file, or ``flask registry-to-db``) is noticed
by every server process on its own: at most every ``check_every_s`` a request looks at the
source's signature (a ``stat`` of the file; one small query on PostgreSQL), and when it changed
a background thread builds the new registry and index aside and then swaps one reference.
Requests meanwhile, and those in flight, keep the registry they started with; nothing
restarts. A source that fails to load is reported in the log and the previous registry stays.
The Flask side (settings, ``get_registry``) is :mod:`app.extensions.registry`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from datetime import datetime, timedelta

from app.geo.korea import SEOUL
from app.live.service import LiveOverlay
from app.registry.io import Registry
from app.registry.sources import RegistrySource
from app.search.index import FacilityIndex

log = logging.getLogger(__name__)


class RegistryStore:
    """Holds the current registry, read on first use and swapped when its source changes.

    Reading on first use keeps CLI commands that never search (an import) from paying for
    the registry; servers call :meth:`warm` at start (``app.wsgi``).
    ``source`` is where the registry comes from (:mod:`app.registry.sources`: a file, or
    PostGIS); ``max_age`` is how old a vacancy report may be and still count;
    ``check_every_s`` is how often a request may look whether the source changed.
    """

    def __init__(self, source: RegistrySource, max_age: timedelta,
                 check_every_s: float = 2.0) -> None:
        self.source = source
        self.max_age = max_age
        self.check_every_s = check_every_s
        self.live = LiveOverlay()  # survives registry reloads: it is keyed by facility id
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
        return self.source.signature()

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
        registry = self.source.load(datetime.now(SEOUL))
        return registry, self.source.index(registry, self.max_age, self.live)

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
