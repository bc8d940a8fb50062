"""Benchmark: every planning measure for all 경기도 읍면동 and a 500 m grid, for every kind of
care and time of day; and a site suggestion with p = 10 over 2,000 candidates.

Run: .venv/bin/python bench/bench_planning.py [repeats]     (prints figures; not a test)
Targets (issue 6): all measures for the 719 읍면동 and the ~40,000-cell grid, all kinds, <= 10 s;
p = 10 over 2,000 candidates <= 60 s. The floor printed beside them is a scipy cKDTree batch
query of every demand point (build + query), the core of any coverage computation.
Issue 12 (item 10): the work estimate that decides 200 / 202 job / 400 must take milliseconds;
p = 50 over 20,000 cells within 10 km is about 32 million pairs (a 400 at the default limit of
10 million); p = 50 greedy within 1 km is printed against the inline budget.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import DEMO_REGISTRY_PATH
from app.planning.analysis import Analysis
from app.planning.coverage import estimate_pairs
from app.planning.demand import read_demand_csv, units_from_areas
from app.planning.settings import periods, services
from app.planning.sites import suggest_sites
from app.planning.store import DEMO_DEMAND_PATH
from app.registry.io import read_registry

WEEK_OF = date(2026, 11, 23)


def main(repeats: int) -> None:
    t = time.perf_counter()
    registry = read_registry(DEMO_REGISTRY_PATH)
    t_registry = time.perf_counter() - t
    t = time.perf_counter()
    units = units_from_areas(read_demand_csv(DEMO_DEMAND_PATH), 500)
    t_units = time.perf_counter() - t
    n_cells = len(set(units.cell_id))
    n_emd = len(set(units.area_code))
    print(f"demand: {n_emd} 읍면동 spread over {n_cells:,} cells of 500 m = {len(units):,} pieces "
          f"(built in {t_units:.2f} s; registry of {len(registry.facilities):,} read in "
          f"{t_registry:.2f} s)")
    combos = len(services()) * len(periods())
    totals, per_level, floors = [], {"sigungu": [], "emd": [], "grid": []}, []
    xy = np.column_stack([units.x_m, units.y_m])
    for _ in range(repeats):
        a = Analysis(units, registry.facilities, WEEK_OF)
        t0 = time.perf_counter()
        rows = 0
        for level in ("emd", "grid", "sigungu"):
            t = time.perf_counter()
            rows += len(a.all_measures(level))
            per_level[level].append(time.perf_counter() - t)
        totals.append(time.perf_counter() - t0)
        # the floor: one cKDTree batch nearest query per service and period over the same supply
        t = time.perf_counter()
        for service in services():
            for period in periods():
                s = a.unit_measures(service, period).supply
                if len(s):
                    cKDTree(np.column_stack([s.x_m, s.y_m])).query(xy, k=1)
        floors.append(time.perf_counter() - t)
    print(f"all measures, {combos} service x period combinations, 3 levels ({rows:,} rows): "
          f"median {statistics.median(totals):.2f} s (runs: "
          + ", ".join(f"{x:.2f}" for x in totals) + ")   target <= 10 s")
    print("  by level (the first level pays for the unit measures): "
          + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in per_level.items()))
    floor = statistics.median(floors)
    print(f"  floor, cKDTree batch nearest for the same {combos} combinations: {floor:.3f} s = "
          f"{floor / combos / len(units) * 1e6:.2f} µs per demand point per combination; ours "
          f"{statistics.median(totals) / combos / len(units) * 1e6:.2f} µs for all measures")

    a = Analysis(units, registry.facilities, WEEK_OF)
    for service, period in (("elementary_emergency", "night"), ("daycare", "day")):
        um = a.unit_measures(service, period)
        _, idx = a.groups("grid")
        n = np.bincount(idx)
        cx, cy = np.bincount(idx, weights=units.x_m) / n, np.bincount(idx, weights=units.y_m) / n
        top = np.argsort(-np.bincount(idx, weights=um.children), kind="stable")[:2000]
        cand = np.column_stack([cx[top], cy[top]])
        existing = np.column_stack([um.supply.x_m, um.supply.y_m])
        for method in ("greedy", "auto"):
            t = time.perf_counter()
            s = suggest_sites(xy, um.children, existing, cand, 1000, 10, method=method)
            dt = time.perf_counter() - t
            print(f"sites {service}/{period}, p=10 of 2,000 candidates, 1 km, {method}: {dt:.2f} s "
                  f"(target <= 60 s); covered {s.share_before:.2%} -> {s.share_after:.2%}, "
                  f"answer from {s.method}, proven optimal: {s.proven_optimal}")

    um = a.unit_measures("daycare", "day")
    cand = a.grid_candidates("daycare", "day", 20_000)
    existing = np.column_stack([um.supply.x_m, um.supply.y_m])
    for radius in (1_000, 3_000, 10_000):
        t = time.perf_counter()
        pairs = estimate_pairs(cand, xy, radius)
        dt = time.perf_counter() - t
        print(f"work estimate, 20,000 candidates within {radius:,} m: {pairs:,.0f} pairs in "
              f"{dt * 1000:.1f} ms (p = 50: {50 * pairs:,.0f} pair-steps)")
    t = time.perf_counter()
    s = suggest_sites(xy, um.children, existing, cand, 1000, 50, method="greedy")
    print(f"sites daycare/day, p=50 of 20,000 candidates, 1 km, greedy: "
          f"{time.perf_counter() - t:.2f} s (was 23 s before issue 12; inline when p × pairs <= "
          f"PLANNING_SITES_SYNC_MAX_WORK)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
