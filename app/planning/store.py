"""The planners' data in the app: the demand layer (read once) and analyses per scenario.

Settings: ``PLANNING_DEMAND_PATH`` (None: the synthetic demo layer), ``PLANNING_DEMAND_FORMAT``
(``areas``: counts per 읍면동 or 시군구 code; ``cells``: per 국가지점번호 cell; ``points``),
``PLANNING_CELL_M`` (grid cell side for spreading areas), ``PLANNING_SUPPRESSED_*`` (how
suppressed counts such as SGIS's ``N/A`` are counted), ``PLANNING_GAP_MAX_M`` (demand in a gap
between 읍면동 polygons), ``PLANNING_FCA_MAX_PAIRS`` (the work a floating catchment may take).
Analyses follow the registry the app serves, including after a reload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

from cachetools import LRUCache

from app.geo.korea import SEOUL
from app.planning.analysis import Analysis, Parameters
from app.planning.demand import (
    CountRule,
    DemandUnits,
    read_demand_csv,
    units_from_areas,
    units_from_cells,
    units_from_points,
)
from app.planning.scenario import Scenario, apply_scenario
from app.planning.settings import services
from app.registry.store import RegistryStore
from app.search.index import Criteria
from app.search.model import Facility

log = logging.getLogger(__name__)
UNITS_CACHE_VERSION = 1  # raise when DemandUnits or the way units are made changes
DEMO_DEMAND_PATH = Path(__file__).resolve().parents[2] / "data" / "demand" / "gyeonggi-demo-demand-emd.csv"
FORMATS = ("areas", "cells", "points")


class PlanningStore:
    """Demand units, read on first use, and a few analyses of ``registry``'s current registry
    kept for reuse (``path`` in format ``fmt``, one of FORMATS; areas spread on cells of
    ``cell_m`` metres)."""

    def __init__(self, registry: RegistryStore, path: Path, fmt: str, cell_m: float,
                 synthetic: bool, counts: CountRule | None = None,
                 max_fca_pairs: float = float("inf")) -> None:
        if fmt not in FORMATS:
            raise RuntimeError(f"PLANNING_DEMAND_FORMAT must be one of {', '.join(FORMATS)}")
        self.registry = registry
        self.path, self.fmt, self.cell_m, self.synthetic = path, fmt, cell_m, synthetic
        self.counts = counts or CountRule()
        self.max_fca_pairs = max_fca_pairs
        self._units: DemandUnits | None = None
        self._lock = threading.Lock()
        self._making = threading.Lock()  # one analysis made at a time (they are cheap to make)
        # Where the demand units, once spread on the grid, are kept between runs (None: not
        # kept); the file is named by the demand file's content and the settings.
        self.cache_dir: Path | None = None
        # key -> (the registry it was made from, analysis); the registry is held so its id
        # cannot be reused by a later one while the entry lives.
        self._analyses: LRUCache = LRUCache(maxsize=8)

    @property
    def units(self) -> DemandUnits:
        """The demand units (read now if this is the first use)."""
        if self._units is None:
            with self._lock:
                if self._units is None:
                    self._units = self._kept_units() or self._read_units()
        return self._units

    def _read_units(self) -> DemandUnits:
        if self.fmt == "areas":
            units = units_from_areas(read_demand_csv(self.path, self.counts), self.cell_m,
                                     synthetic=self.synthetic)
        elif self.fmt == "cells":
            units = units_from_cells(self.path, counts=self.counts)
        else:
            units = units_from_points(self.path, counts=self.counts)
        self._keep_units(units)
        return units

    def _units_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.path.read_bytes())
        digest.update(repr((UNITS_CACHE_VERSION, self.fmt, self.cell_m, self.counts,
                            self.synthetic)).encode())
        return self.cache_dir / f"demand-units-{digest.hexdigest()[:32]}.pickle"

    def _kept_units(self) -> DemandUnits | None:
        """The units kept by an earlier run for this very demand file and settings, if any."""
        try:
            path = self._units_file()
            if path is None or not path.exists():
                return None
            with path.open("rb") as f:
                units = pickle.load(f)  # written by this app into its own instance folder
            return units if isinstance(units, DemandUnits) else None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            log.warning("kept demand units not used (%s); reading the demand file",
                        type(exc).__name__)
            return None

    def _keep_units(self, units: DemandUnits) -> None:
        try:
            path = self._units_file()
            if path is None:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(f".{os.getpid()}.part")
            with part.open("wb") as f:
                pickle.dump(units, f, protocol=pickle.HIGHEST_PROTOCOL)
            part.replace(path)  # whole or not at all, whatever other workers do
        except OSError as exc:
            log.warning("demand units not kept for the next start (%s)", type(exc).__name__)

    @property
    def units_if_read(self) -> DemandUnits | None:
        """The demand units if they have been read, else None (never reads them)."""
        return self._units

    def week_of(self) -> date:
        """The Monday of the current week in the registry's zone: periods are counted on it."""
        today = self.registry.registry.locale.now().date()
        return today - timedelta(days=today.weekday())

    def analysis(self, scenario: Scenario, params: Parameters) -> Analysis:
        """The analysis of the current registry changed by ``scenario`` (cached, 8 kept). Made
        under a lock, so threads asking for the same one share it (and its computations)."""
        store = self.registry
        registry = store.registry
        key = (id(registry), repr(scenario), params)
        with self._lock:
            found = self._analyses.get(key)
            if found is not None and found[0] is registry:
                return found[1]
        units = self.units
        with self._making:
            with self._lock:
                found = self._analyses.get(key)
                if found is not None and found[0] is registry:
                    return found[1]
            facilities = apply_scenario(registry.facilities, scenario)
            index = store.index
            now = datetime.now(SEOUL)

            def vacancies(f: Facility, service: str) -> int | None:
                spec = services()[service]
                c = Criteria(programmes=frozenset(spec["programmes"]) if "programmes" in spec else None)
                a = index.availability(f, c, now)
                return a.places if a.status in ("available", "full") else None

            analysis = Analysis(units, facilities, self.week_of(), params, vacancies,
                                locale=registry.locale, max_fca_pairs=self.max_fca_pairs)
            with self._lock:
                self._analyses[key] = (registry, analysis)
        return analysis
