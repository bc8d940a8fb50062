"""All the measures for a demand layer and a registry: per area or cell, per service, per period.

This is the one entry point the API, the planner page, the CLI and the notebooks call.
Measures are computed on the small demand units and then summed or averaged (weighted by
children) to the level asked for: ``grid`` cells, ``emd`` (읍면동) or ``sigungu`` (시군구).

Columns of the result (one row per area × service × period):
- ``children``: children of the service's ages in the area;
- ``places``: places of the providers located in the area (for a provider that comes to the
  family: of the providers serving the area);
- ``nearest_m``: children-weighted mean distance to the nearest provider (NaN: none at all,
  or a provider that comes to the family);
- ``share_<t>``: share of children within ``t`` metres of a provider (for home visits: in a
  served 시군구);
- ``sfca`` and ``e2sfca``: places per child by 2SFCA and enhanced 2SFCA (children-weighted
  mean of the points' scores);
- ``children_per_place``, ``desert`` (the Center for American Progress rule).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from app.domain import DomainError
from app.geo import admin
from app.planning import coverage, deserts, fca, grid
from app.planning.ages import children_in_range
from app.planning.demand import DemandUnits
from app.planning.settings import periods, planning_settings, services
from app.planning.supply import Supply, build_supply
from app.search.locale import KOREA, RegistryLocale
from app.search.model import Facility

LEVELS = ("grid", "emd", "sigungu")


class AnalysisError(DomainError):
    """A parameter of the analysis that is not allowed (the message says what is); ``field``
    names the parameter when one is at fault."""


class AnalysisLimit(AnalysisError):
    """Work beyond a configured limit (the message names the limit and what to change)."""


#: Sanity bounds of the parameters (the work they cause is bounded by ``max_fca_pairs``).
MAX_DISTANCE_M = 100_000.0
MAX_WEIGHT = 1_000.0
MAX_CHILDREN = 1e9
MAX_CHILDREN_PER_PLACE = 1e6


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_bands(bands: tuple) -> None:
    if not bands or not all(_finite(b) and 0 < b <= MAX_DISTANCE_M for b in bands) \
            or any(b2 <= b1 for b1, b2 in itertools.pairwise(bands)):
        raise AnalysisError(f"bands_m must be distances > 0 and <= {MAX_DISTANCE_M:g} in "
                            "metres, strictly increasing (e.g. 500,1000,1500)", "bands_m")


@dataclass(frozen=True)
class Parameters:
    """Everything that changes the numbers, with the defaults of ``planning.json``."""

    thresholds_m: tuple[float, ...] = ()
    catchment_m: float = 0.0
    bands_m: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    min_children: float = 0.0
    max_children_per_place: float = 0.0
    supply_value: str = "capacity"

    @classmethod
    def defaults(cls, **overrides: Any) -> Parameters:
        """The settings of ``planning.json``, with any field overridden."""
        s = planning_settings()
        base: dict[str, Any] = dict(thresholds_m=tuple(s["coverage_thresholds_m"]),
                    catchment_m=float(s["fca"]["catchment_m"]),
                    bands_m=tuple(s["fca"]["bands_m"]), weights=tuple(s["fca"]["weights"]),
                    min_children=float(s["desert"]["min_children"]),
                    max_children_per_place=float(s["desert"]["max_children_per_place"]))
        given = {k: v for k, v in overrides.items() if v is not None}
        if "bands_m" in given:
            _check_bands(tuple(given["bands_m"]))
        if "bands_m" in given and "weights" not in given \
                and len(tuple(given["bands_m"])) != len(base["weights"]):
            raise AnalysisError(f"give weights too: one weight per band ({len(given['bands_m'])} "
                                f"bands given, the default weights are for "
                                f"{len(base['weights'])})", "weights")
        base.update(given)
        for key in ("thresholds_m", "bands_m", "weights"):
            base[key] = tuple(base[key])
        params = cls(**base)
        params.check()
        return params

    def check(self) -> None:
        """Raise :class:`AnalysisError` naming the first parameter that is not allowed: the
        catchment and the bands are distances > 0 in metres, bands strictly increasing, one
        finite weight >= 0 per band, desert thresholds >= 0 (children per place > 0)."""
        if not (_finite(self.catchment_m) and 0 < self.catchment_m <= MAX_DISTANCE_M):
            raise AnalysisError(f"catchment_m must be a distance > 0 and <= {MAX_DISTANCE_M:g} "
                                "in metres", "catchment_m")
        bands = self.bands_m
        _check_bands(bands)
        if len(self.weights) != len(bands) or not all(_finite(w) and 0 <= w <= MAX_WEIGHT
                                                      for w in self.weights):
            raise AnalysisError(f"weights must be {len(bands)} numbers from 0 to {MAX_WEIGHT:g}, "
                                "one per band of bands_m (e.g. 1,0.68,0.22)", "weights")
        if not (_finite(self.min_children) and 0 <= self.min_children <= MAX_CHILDREN):
            raise AnalysisError(f"min_children must be a number from 0 to {MAX_CHILDREN:g}",
                                "min_children")
        if not (_finite(self.max_children_per_place)
                and 0 < self.max_children_per_place <= MAX_CHILDREN_PER_PLACE):
            raise AnalysisError(f"max_children_per_place must be a number > 0 and <= "
                                f"{MAX_CHILDREN_PER_PLACE:g}", "max_children_per_place")
        if not all(_finite(t) and 0 < t <= MAX_DISTANCE_M for t in self.thresholds_m):
            raise AnalysisError("thresholds_m must be distances > 0 in metres", "thresholds_m")


@dataclass
class UnitMeasures:
    """Measures of every demand unit for one service and period."""

    children: np.ndarray
    nearest_m: np.ndarray
    sfca: np.ndarray
    e2sfca: np.ndarray
    served: np.ndarray | None  # home visits: unit in a served 시군구
    supply: Supply


@dataclass
class Analysis:
    """A demand layer plus a registry; computes and caches measures on request."""

    units: DemandUnits
    facilities: Sequence[Facility]
    week_of: date
    params: Parameters = field(default_factory=Parameters.defaults)
    vacancies: Callable[[Facility, str], int | None] | None = None
    locale: RegistryLocale = KOREA  # the registry's zone and holidays, for periods
    # At most this many demand–provider pairs within the catchment (estimated before any is
    # built); more is an :class:`AnalysisLimit` naming the limit. Infinite: no limit.
    max_fca_pairs: float = math.inf
    _unit_cache: dict = field(default_factory=dict, repr=False)
    # One computation at a time per analysis: a request that needs what another thread (the
    # warm-up, the page's other requests) is computing waits for it rather than doing it again.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- unit level ---------------------------------------------------------------------
    def unit_measures(self, service: str, period: str) -> UnitMeasures:
        """Measures of each demand unit (cached; computed once, whatever the threads)."""
        key = (service, period)
        found = self._unit_cache.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._unit_cache:
                self._unit_cache[key] = self._compute_units(service, period)
            return self._unit_cache[key]

    def _service_pairs(self, service: str, reach_m: float
                       ) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray] | None:
        """What does not depend on the period, computed once per service: the demand–provider
        pairs within ``reach_m`` of every provider of the service, whatever its hours (provider
        ids -> their column, and i, j, d). ``None`` when they would be more than
        ``max_fca_pairs`` (each period's own, fewer, pairs are built then)."""
        cache = self._unit_cache.setdefault("service_pairs", {})
        key = (service, reach_m)
        if key not in cache:
            every = build_supply(self.facilities, service, None, self.week_of, "capacity", None,
                                 self.locale)
            dxy = np.column_stack([self.units.x_m, self.units.y_m])
            sxy = np.column_stack([every.x_m, every.y_m])
            column = {fid: k for k, fid in enumerate(every.ids)}
            if len(column) < len(every) or (math.isfinite(self.max_fca_pairs) and coverage
                                            .estimate_pairs(dxy, sxy, reach_m) > self.max_fca_pairs):
                cache[key] = None  # ids that repeat, or too much work for all hours at once
            else:
                cache[key] = (column, *fca.catchment_pairs(dxy, sxy, reach_m))
        return cache[key]

    def _pairs(self, service: str, supply: Supply, dxy: np.ndarray, sxy: np.ndarray,
               reach_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pairs of the providers open in one period: the service's pairs, filtered."""
        base = self._service_pairs(service, reach_m)
        if base is None:
            return fca.catchment_pairs(dxy, sxy, reach_m)
        column, i, j, d = base
        remap = np.full(len(column), -1, dtype=np.int64)
        remap[[column[fid] for fid in supply.ids]] = np.arange(len(supply))
        jj = remap[j]
        keep = jj >= 0
        return i[keep], jj[keep], d[keep]

    def _compute_units(self, service: str, period: str) -> UnitMeasures:
        spec = services().get(service)
        if spec is None:
            raise AnalysisError(f"unknown service {service!r}; allowed: {', '.join(services())}")
        if period not in periods():
            raise AnalysisError(f"unknown period {period!r}; allowed: {', '.join(periods())}")
        u = self.units
        p = self.params
        supply = self.supply_of(service, period)
        children = self.children_of(service)
        if spec.get("comes_to_family"):
            return self._home_visit_units(children, supply)
        dxy = np.column_stack([u.x_m, u.y_m])
        sxy = np.column_stack([supply.x_m, supply.y_m])
        reach = max(p.catchment_m, p.bands_m[-1])
        self._check_pairs(dxy, sxy, reach, service)
        nearest = coverage.nearest_distance_m(dxy, sxy)
        i, j, d = self._pairs(service, supply, dxy, sxy, reach)
        one = fca.step_weights(d, (p.catchment_m,), (1.0,))
        sfca = fca.from_cost_pairs(children, supply.places, i, j, one)
        e2 = fca.from_cost_pairs(children, supply.places, i, j, fca.step_weights(d, p.bands_m, p.weights))
        return UnitMeasures(children, nearest, sfca, e2, None, supply)

    def _check_pairs(self, dxy: np.ndarray, sxy: np.ndarray, reach_m: float, service: str) -> None:
        if not math.isfinite(self.max_fca_pairs):
            return
        pairs = coverage.estimate_pairs(dxy, sxy, reach_m)
        if pairs > self.max_fca_pairs:
            field = "catchment_m" if self.params.catchment_m >= self.params.bands_m[-1] else "bands_m"
            raise AnalysisLimit(
                f"a catchment of {reach_m:,.0f} m links about {pairs:,.0f} demand–provider pairs "
                f"for {service}; the limit is {self.max_fca_pairs:,.0f} (setting "
                f"PLANNING_FCA_MAX_PAIRS): use a smaller catchment_m and bands_m", field)

    def supply_of(self, service: str, period: str) -> Supply:
        """The providers of ``service`` open for ``period`` and their places (cached)."""
        cache = self._unit_cache.setdefault("supply", {})
        if (service, period) not in cache:
            with self._lock:
                cache[(service, period)] = build_supply(
                    self.facilities, service, period, self.week_of, self.params.supply_value,
                    self.vacancies, self.locale)
        return cache[(service, period)]

    def children_of(self, service: str) -> np.ndarray:
        """Children of the service's ages in each demand unit (no supply needed; cached)."""
        cache = self._unit_cache.setdefault("children", {})
        if service not in cache:
            spec = services().get(service)
            if spec is None:
                raise AnalysisError(f"unknown service {service!r}; allowed: "
                                    f"{', '.join(services())}", "service")
            cache[service] = children_in_range(self.units.years, spec["age_min_months"],
                                               spec["age_max_months"])
        return cache[service]

    def in_area(self, area: str | None) -> np.ndarray:
        """Which demand units lie in ``area`` (a 5-digit 시군구 or 시 code, or an 8-digit 읍면동
        code; ``None``: all), as a boolean mask."""
        u = self.units
        if not area:
            return np.ones(len(u), bool)
        if len(area) == 8:
            return np.array([c == area for c in u.area_code.astype(str)])
        return np.array([s.startswith(area) or admin.sigun_of(s) == area
                         for s in u.sigungu_code.astype(str)])

    def _home_visit_units(self, children: np.ndarray, supply: Supply) -> UnitMeasures:
        u = self.units
        codes = sorted(set(u.sigungu_code))
        code_index = {c: k for k, c in enumerate(codes)}
        unit_area = np.array([code_index[c] for c in u.sigungu_code])
        pairs_i, pairs_j = [], []
        for provider, areas in enumerate(supply.service_areas):
            served = {c for c in codes if _serves_code(areas, c)}
            hit = np.flatnonzero(np.isin(unit_area, [code_index[c] for c in served]))
            pairs_i.append(hit)
            pairs_j.append(np.full(len(hit), provider))
        i = np.concatenate(pairs_i) if pairs_i else np.zeros(0, np.int64)
        j = np.concatenate(pairs_j) if pairs_j else np.zeros(0, np.int64)
        served_mask = np.zeros(len(children), bool)
        served_mask[i] = True
        score = fca.from_cost_pairs(children, supply.places, i, j, np.ones(len(i)))
        return UnitMeasures(children, np.full(len(children), np.nan), score, score, served_mask,
                            supply)

    # --- levels -------------------------------------------------------------------------
    def groups(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        """The level's keys (sorted) and each unit's group index (cached)."""
        cache = self._unit_cache.setdefault("groups", {})
        if level not in cache:
            cache[level] = self._groups(level)
        return cache[level]

    def _groups(self, level: str) -> tuple[np.ndarray, np.ndarray]:
        if level not in self.units.levels():
            raise AnalysisError(f"level {level!r} is not available for this demand; allowed: "
                                f"{', '.join(self.units.levels())}")
        keys_per_unit = {"grid": self.units.cell_id, "emd": self.units.area_code,
                         "sigungu": self.units.sigungu_code}[level]
        keys, idx = np.unique(keys_per_unit.astype(str), return_inverse=True)
        return keys, idx

    def _provider_keys(self, supply: Supply, level: str, keys: np.ndarray) -> np.ndarray:
        if level == "grid":
            cache = self._unit_cache.setdefault("cells", {})
            missing = [k for k, fid in enumerate(supply.ids) if fid not in cache]
            if missing:
                cell = self.units.cell_m
                gx = np.floor(supply.x_m[missing] / cell) * cell
                gy = np.floor(supply.y_m[missing] / cell) * cell
                for k, x, y in zip(missing, gx, gy, strict=True):
                    cache[supply.ids[k]] = grid.encode(x + 1, y + 1, 3)
            return np.array([cache[fid] for fid in supply.ids], dtype=object)
        if level == "emd":
            return supply.emd_code
        known = set(keys)
        return np.array([c if c in known else admin.sigun_of(c) for c in supply.sigungu_code],
                        dtype=object)

    def measures(self, service: str, period: str, level: str) -> pd.DataFrame:
        """One row per area of ``level`` for one service and period (columns: module docstring)."""
        um = self.unit_measures(service, period)
        keys, idx = self.groups(level)
        n = len(keys)
        w = um.children
        kids = np.bincount(idx, weights=w, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            def wmean(values: np.ndarray) -> np.ndarray:
                finite = np.isfinite(values)
                num = np.bincount(idx[finite], weights=(w * values)[finite], minlength=n)
                den = np.bincount(idx[finite], weights=w[finite], minlength=n)
                return np.where(den > 0, num / den, np.nan)

            out: dict[str, Any] = {"key": keys, "service": service, "period": period, "children": kids}
            if um.served is None:
                pkeys = self._provider_keys(um.supply, level, keys)
                by_key = pd.Series(um.supply.places).groupby(pkeys.astype(str)).sum()
                out["places"] = by_key.reindex(keys, fill_value=0.0).to_numpy(float)
                out["nearest_m"] = wmean(um.nearest_m)
                for t in self.params.thresholds_m:
                    out[f"share_{int(t)}"] = coverage.share_within(um.nearest_m, w, t, idx, n)
            else:
                out["places"] = self._home_visit_places(um, keys, level, idx)
                out["nearest_m"] = np.full(n, np.nan)
                for t in self.params.thresholds_m:
                    out[f"share_{int(t)}"] = coverage.share_within(
                        np.where(um.served, 0.0, np.inf), w, t, idx, n)
            out["sfca"] = wmean(um.sfca)
            out["e2sfca"] = wmean(um.e2sfca)
            out["children_per_place"] = np.where(out["places"] > 0, kids / out["places"], np.nan)
        desert = pd.array(deserts.is_desert(kids, out["places"], self.params.min_children,
                                            self.params.max_children_per_place), dtype="boolean")
        if len(um.supply) and um.supply.unknown_places == len(um.supply):
            # No provider of this service gave a figure (home-visit providers have no
            # capacity): say "unknown" rather than "no places".
            for col in ("places", "sfca", "e2sfca", "children_per_place"):
                out[col] = np.full(n, np.nan)
            desert[:] = pd.NA
        out["desert"] = desert
        df = pd.DataFrame(out)
        df.insert(1, "name", self.names(level, keys))
        return df

    def _home_visit_places(self, um: UnitMeasures, keys: np.ndarray, level: str, idx: np.ndarray) -> np.ndarray:
        # Places of the providers serving any 시군구 of each area, each provider counted once.
        codes, code_idx = np.unique(self.units.sigungu_code.astype(str), return_inverse=True)
        providers_of = [frozenset(j for j, areas in enumerate(um.supply.service_areas)
                                  if _serves_code(areas, c)) for c in codes]
        places_of = np.array([sum(um.supply.places[j] for j in js) for js in providers_of])
        pairs = np.unique(np.column_stack([idx, code_idx]), axis=0)
        per_group = np.bincount(pairs[:, 0], minlength=len(keys))
        out = np.zeros(len(keys))
        single = pairs[per_group[pairs[:, 0]] == 1]
        out[single[:, 0]] = places_of[single[:, 1]]
        for g in np.flatnonzero(per_group > 1):  # areas across a 시군구 border: a few
            js = frozenset().union(*(providers_of[c] for c in pairs[pairs[:, 0] == g, 1]))
            out[g] = float(sum(um.supply.places[j] for j in js))
        return out

    def names(self, level: str, keys: np.ndarray) -> list[str]:
        """Readable names of a level's keys (the cell id for grid cells)."""
        if level == "grid":
            return list(keys)
        if level == "emd":
            return [self.units.area_names.get(k, k) for k in keys]
        infos = admin.gyeonggi_sigungu().values()
        names = {i.sigungu_code: i.sigungu_name for i in infos}
        names.update({i.sigun_code: i.sigun_name for i in infos})
        names.update(self.units.area_names)
        return [names.get(k, k) for k in keys]

    def grid_candidates(self, service: str, period: str, n: int) -> np.ndarray:
        """Candidate sites: the children-weighted centres of the ``n`` grid cells with the most
        children of the service's ages (EPSG:5179 m, most children first)."""
        return self.grid_candidate_cells(service, n)[1]

    def grid_candidate_cells(self, service: str, n: int, area: str | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the ``n`` grid cells with the most children of the service's ages (of the
        cells with units in ``area`` when given) and their centres (EPSG:5179 m, (n, 2)), most
        children first; the centre is the mean of the cell's demand units."""
        keys, idx = self.groups("grid")
        count = np.bincount(idx, minlength=len(keys))
        with np.errstate(invalid="ignore", divide="ignore"):
            cx = np.bincount(idx, weights=self.units.x_m, minlength=len(keys)) / count
            cy = np.bincount(idx, weights=self.units.y_m, minlength=len(keys)) / count
        kids = np.bincount(idx, weights=self.children_of(service), minlength=len(keys))
        order = np.argsort(-kids, kind="stable")
        if area:
            inside = np.zeros(len(keys), bool)
            inside[idx[self.in_area(area)]] = True
            order = order[inside[order]]
        top = order[:n]
        return keys[top], np.column_stack([cx[top], cy[top]])

    def all_measures(self, level: str, service_ids: Sequence[str] | None = None,
                     period_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """:meth:`measures` for every service and period, one table."""
        frames = [self.measures(s, p, level) for s in (service_ids or services())
                  for p in (period_ids or periods())]
        return pd.concat(frames, ignore_index=True)


def _serves_code(service_areas: frozenset[str], code: str) -> bool:
    """True when a provider's service areas cover a demand 시군구 code (either may be a 시 code
    while the other names one of its 구)."""
    return (code in service_areas or admin.sigun_of(code) in service_areas
            or any(admin.sigun_of(a) == code for a in service_areas))
