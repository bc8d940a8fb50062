"""The planners' data in the app: the demand layer (read once) and analyses per scenario.

Settings: ``PLANNING_DEMAND_PATH`` (None: the synthetic demo layer), ``PLANNING_DEMAND_FORMAT``
(``areas``: counts per 읍면동 or 시군구 code; ``cells``: per 국가지점번호 cell; ``points``),
``PLANNING_CELL_M`` (grid cell side for spreading areas), ``PLANNING_SUPPRESSED_*`` (how
suppressed counts such as SGIS's ``N/A`` are counted), ``PLANNING_GAP_MAX_M`` (demand in a gap
between 읍면동 polygons), ``PLANNING_FCA_MAX_PAIRS`` (the work a floating catchment may take).
Analyses follow the registry the app serves, including after a reload.
"""

from __future__ import annotations

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
        # key -> (the registry it was made from, analysis); the registry is held so its id
        # cannot be reused by a later one while the entry lives.
        self._analyses: LRUCache = LRUCache(maxsize=8)

    @property
    def units(self) -> DemandUnits:
        """The demand units (read now if this is the first use)."""
        if self._units is None:
            with self._lock:
                if self._units is None:
                    if self.fmt == "areas":
                        self._units = units_from_areas(read_demand_csv(self.path, self.counts),
                                                       self.cell_m, synthetic=self.synthetic)
                    elif self.fmt == "cells":
                        self._units = units_from_cells(self.path, counts=self.counts)
                    else:
                        self._units = units_from_points(self.path, counts=self.counts)
        return self._units

    def week_of(self) -> date:
        """The Monday of the current week in the registry's zone: periods are counted on it."""
        today = self.registry.registry.locale.now().date()
        return today - timedelta(days=today.weekday())

    def analysis(self, scenario: Scenario, params: Parameters) -> Analysis:
        """The analysis of the current registry changed by ``scenario`` (cached, 8 kept)."""
        store = self.registry
        registry = store.registry
        key = (id(registry), repr(scenario), params)
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

        analysis = Analysis(self.units, facilities, self.week_of(), params, vacancies,
                            locale=registry.locale, max_fca_pairs=self.max_fca_pairs)
        with self._lock:
            self._analyses[key] = (registry, analysis)
        return analysis
