"""A site suggestion from an :class:`~app.planning.analysis.Analysis`, in two steps.

:func:`plan_sites` gathers the inputs (the children of the service's ages, the providers kept,
the candidate sites, optionally inside one area) and estimates the work in milliseconds, so a
caller can refuse a request that is too big or run a long one as a background job before any
of it is done. :func:`run_sites` solves the plan and describes every chosen site: its id (a
grid cell, a row of a candidates file or a position in a request), its name when one was given,
its 시군구 and 읍면동, and the children it newly covers. The API, the job runner and the CLI
all call these two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.geo import admin
from app.geo.crs import from_metric
from app.geo.place_at import english
from app.planning.analysis import Analysis, AnalysisError
from app.planning.coverage import estimate_pairs
from app.planning.demand import nearest_emd
from app.planning.settings import services
from app.planning.sites import METHODS, Progress, SiteError, suggest_sites


@dataclass
class SitePlan:
    """Checked inputs of a site suggestion and its estimated size.

    Points are EPSG:5179 metres. ``pairs``: the candidate–demand pairs within ``radius_m``
    (estimated); the greedy method's work grows with ``pairs × p`` (:attr:`work`).
    """

    service: str
    period: str
    p: int
    radius_m: float
    method: str
    area: str | None
    demand_xy: np.ndarray
    children: np.ndarray
    existing_xy: np.ndarray
    cand_xy: np.ndarray
    cand_ids: list[str]
    cand_names: list[str | None]
    pairs: float
    gap_max_m: float = 1000.0  # a site in no 읍면동 polygon is named by the nearest this close

    @property
    def work(self) -> float:
        """``p × pairs``: the unit the limits on inline work are set in."""
        return self.p * self.pairs


def plan_sites(analysis: Analysis, service: str, period: str, p: int, radius_m: float,
               method: str = "auto", area: str | None = None, n_candidates: int = 2000,
               candidates: tuple[np.ndarray, list[str], list[str | None]] | None = None
               ) -> SitePlan:
    """The inputs of a suggestion of ``p`` new sites within ``radius_m`` metres of children.

    ``candidates``: (points (n, 2) in EPSG:5179 m, ids, names) or ``None`` for the centres of
    the ``n_candidates`` grid cells with the most children (of ``area`` when given). ``area``
    keeps only the children (and grid candidates) in a 시군구 (5 digits) or 읍면동 (8 digits);
    every existing provider still counts, wherever it is. Raises :class:`AnalysisError` (with
    the field at fault) or :class:`SiteError`.
    """
    spec = services().get(service)
    if spec is None:
        raise AnalysisError(f"unknown service {service!r}", "service")
    if spec.get("comes_to_family"):
        raise AnalysisError("home-visit providers serve areas, not sites; choose a centre "
                            "service", "service")
    if method not in METHODS:
        raise AnalysisError(f"method must be one of {', '.join(METHODS)}", "method")
    if not (isinstance(radius_m, (int, float)) and math.isfinite(radius_m) and radius_m > 0):
        raise AnalysisError("radius_m must be a distance > 0 in metres", "radius_m")
    units = analysis.units
    inside = analysis.in_area(area)
    if area and not inside.any():
        raise AnalysisError(f"no demand lies in area {area}", "area")
    supply = analysis.supply_of(service, period)
    cand_names: list[str | None]
    if candidates is None:
        ids, cand_xy = analysis.grid_candidate_cells(service, n_candidates, area)
        cand_ids, cand_names = [str(i) for i in ids], [None] * len(ids)
    else:
        cand_xy, cand_ids, cand_names = candidates
    if not 1 <= p <= len(cand_xy):
        raise AnalysisError(f"p must be between 1 and the number of candidates ({len(cand_xy)})",
                            "p")
    demand_xy = np.column_stack([units.x_m, units.y_m])[inside]
    return SitePlan(service=service, period=period, p=int(p), radius_m=float(radius_m),
                    method=method, area=area, demand_xy=demand_xy,
                    children=analysis.children_of(service)[inside],
                    existing_xy=np.column_stack([supply.x_m, supply.y_m]),
                    cand_xy=np.asarray(cand_xy, float).reshape(-1, 2), cand_ids=list(cand_ids),
                    cand_names=list(cand_names),
                    pairs=estimate_pairs(cand_xy, demand_xy, float(radius_m)),
                    gap_max_m=units.report.gap_max_m)


def run_sites(plan: SitePlan, time_limit_s: float = 40.0, deadline_s: float | None = None,
              progress: Progress | None = None, exact_max_pairs: float = float("inf")) -> dict:
    """Solve ``plan`` (see :func:`~app.planning.sites.suggest_sites` for the limits) and return
    the answer as plain JSON data: children (all, covered before and after, shares; ``null``
    shares when there are no children), the method, whether CBC proved it optimal, whether a
    deadline stopped it early, and one row per chosen site in the order each adds the most."""
    result = suggest_sites(plan.demand_xy, plan.children, plan.existing_xy, plan.cand_xy,
                           plan.radius_m, plan.p, method=plan.method, time_limit_s=time_limit_s,
                           deadline_s=deadline_s, progress=progress,
                           exact_max_pairs=exact_max_pairs)
    chosen = result.chosen
    lon, lat = from_metric(plan.cand_xy[chosen, 0], plan.cand_xy[chosen, 1])
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    places = admin.locate(lon, lat)
    # a site in a gap between 읍면동 polygons is named by the nearest one, as demand is
    near, _ = nearest_emd(plan.cand_xy[chosen, 0], plan.cand_xy[chosen, 1], plan.gap_max_m)
    emd_names = {p.emd_code: (p.emd, p.sigungu_code, p.sigungu)
                 for p in admin.gyeonggi_emd_polygons()} if any(
        w is None or w.emd_code is None for w in places) else {}
    rows, running = [], result.covered_before
    for rank, (k, a, b, gain, where, code) in enumerate(zip(
            chosen, lon, lat, result.newly_covered, places, near, strict=True), start=1):
        running += float(gain)
        emd_code, emd = (where.emd_code, where.emd) if where else (None, None)
        sigungu_code, sigungu = (where.sigungu_code, where.sigungu) if where else (None, None)
        if emd_code is None and code in emd_names:
            emd_code = code
            emd, sigungu_code, sigungu = emd_names[code]
        rows.append({
            "rank": rank, "id": plan.cand_ids[k], "name": plan.cand_names[k],
            "lon": round(float(a), 6), "lat": round(float(b), 6),
            "sigungu_code": sigungu_code, "sigungu": sigungu, "emd_code": emd_code, "emd": emd,
            # English pages name the area by the gazetteer's romanised names
            "sigungu_en": english(sigungu) if sigungu else None,
            "emd_en": english(emd) if emd else None,
            "newly_covered": round(float(gain), 3), "covered_after": round(running, 3)})
    total = result.total_children

    def share(x: float) -> float | None:
        return x / total if total > 0 else None

    return {"method": result.method, "proven_optimal": result.proven_optimal,
            "stopped_early": result.stopped_early, "children": round(total, 3),
            "covered_before": round(result.covered_before, 3),
            "covered_after": round(result.covered_after, 3),
            "share_before": share(result.covered_before), "share_after": share(result.covered_after),
            "sites": rows}


__all__ = ["SiteError", "SitePlan", "plan_sites", "run_sites"]
