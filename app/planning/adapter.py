"""GeoDataFrame adapter: check the CRS, take points in EPSG:5179 metres, call the numeric core.

After pysal/access and spopt's ``from_geodataframe``: the adapter only converts; every number
is computed by the array functions in ``coverage``, ``fca``, ``deserts`` and ``sites``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import geopandas as gpd

from app.domain import DomainError
from app.geo.crs import METRIC_CRS
from app.planning import coverage, deserts, fca, sites
from app.planning.settings import planning_settings


class AdapterError(DomainError):
    """A GeoDataFrame the measures cannot use (no CRS, a missing column …)."""


def _points_m(gdf: gpd.GeoDataFrame, what: str) -> np.ndarray:
    if gdf.crs is None:
        raise AdapterError(f"{what} has no CRS: set one (e.g. gdf.set_crs('EPSG:4326'))")
    projected = gdf.to_crs(METRIC_CRS)
    geom = projected.geometry
    if not geom.geom_type.isin(["Point"]).all():
        geom = geom.representative_point()  # areas: measured from a point inside each
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])


def _column(gdf: gpd.GeoDataFrame, col: str, what: str) -> np.ndarray:
    if col not in gdf.columns:
        raise AdapterError(f"{what} has no column {col!r}; columns: {', '.join(map(str, gdf.columns))}")
    values = pd.to_numeric(gdf[col], errors="coerce").to_numpy(float)
    if np.isnan(values).any() or (values < 0).any():
        raise AdapterError(f"{what}.{col} must be numbers >= 0")
    return values


def measures_from_geodataframes(demand: gpd.GeoDataFrame, demand_col: str,
                                supply: gpd.GeoDataFrame, supply_col: str,
                                thresholds_m: Sequence[float] | None = None,
                                bands_m: Sequence[float] | None = None,
                                weights: Sequence[float] | None = None,
                                min_children: float | None = None,
                                max_children_per_place: float | None = None,
                                places_col: str | None = None) -> gpd.GeoDataFrame:
    """The demand GeoDataFrame with measure columns added: ``nearest_m``, ``within_<t>``
    (bool per row), ``sfca``, ``e2sfca`` and, when ``places_col`` names the places counted
    for each demand row, ``desert``. Defaults come from ``planning.json``."""
    s = planning_settings()
    thresholds_m = thresholds_m or s["coverage_thresholds_m"]
    bands_m = bands_m or s["fca"]["bands_m"]
    weights = weights or s["fca"]["weights"]
    dxy, sxy = _points_m(demand, "demand"), _points_m(supply, "supply")
    children = _column(demand, demand_col, "demand")
    places = _column(supply, supply_col, "supply")
    out = demand.copy()
    out["nearest_m"] = coverage.nearest_distance_m(dxy, sxy)
    for t in thresholds_m:
        out[f"within_{int(t)}"] = out["nearest_m"] <= t
    i, j, d = fca.catchment_pairs(dxy, sxy, float(max(bands_m[-1], s["fca"]["catchment_m"])))
    out["sfca"] = fca.from_cost_pairs(children, places, i, j,
                                      fca.step_weights(d, (s["fca"]["catchment_m"],), (1.0,)))
    out["e2sfca"] = fca.from_cost_pairs(children, places, i, j, fca.step_weights(d, bands_m, weights))
    if places_col:
        out["desert"] = deserts.is_desert(
            children, _column(demand, places_col, "demand"),
            s["desert"]["min_children"] if min_children is None else min_children,
            s["desert"]["max_children_per_place"] if max_children_per_place is None
            else max_children_per_place)
    return out


def suggest_sites_from_geodataframes(demand: gpd.GeoDataFrame, demand_col: str,
                                     existing: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame,
                                     radius_m: float, p: int) -> gpd.GeoDataFrame:
    """The chosen rows of ``candidates`` in order, with ``newly_covered`` children each."""
    result = sites.suggest_sites(_points_m(demand, "demand"), _column(demand, demand_col, "demand"),
                                 _points_m(existing, "existing") if len(existing) else np.zeros((0, 2)),
                                 _points_m(candidates, "candidates"), radius_m, p)
    chosen = candidates.iloc[result.chosen].copy()
    chosen["newly_covered"] = result.newly_covered
    chosen.attrs["share_before"] = result.share_before
    chosen.attrs["share_after"] = result.share_after
    return chosen
