"""Benchmark: index build and in-process nearest-10, on the demo registry and on a synthetic
registry of N providers (default 1,000,000), side by side with a bare cKDTree query (the floor).

Run: .venv/bin/python bench/bench_search.py [N]     (prints figures; not a test)
Targets (issue 3): nearest-10 with a 1-in-1,000 filter <= 200 µs median at 1,000,000 providers;
1,000,000 providers indexed in <= 30 s and <= 1.5 GB.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.config import DEMO_REGISTRY_PATH
from app.registry.io import read_registry
from app.search.index import Criteria, FacilityIndex
from app.search.model import Facility

NOW = datetime(2026, 11, 23, 12, tzinfo=ZoneInfo("Asia/Seoul"))
MAX_AGE = timedelta(hours=24)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_queries(fn, points, repeat=1) -> tuple[float, float]:
    times = []
    for lon, lat in points:
        t = time.perf_counter()
        fn(lon, lat)
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99)] * 1e6


def report(name: str, facilities, points) -> None:
    before = rss_mb()
    t = time.perf_counter()
    index = FacilityIndex(facilities, MAX_AGE)
    build_s = time.perf_counter() - t
    print(f"{name}: {len(facilities):,} providers; index built in {build_s:.2f} s, "
          f"peak RSS +{rss_mb() - before:.0f} MB (process peak {rss_mb():.0f} MB)")
    plain = Criteria()
    # Age 200 months: 1 in 1,000 synthetic providers; in the demo, the 지역아동센터 (7 %).
    selective = Criteria(age_months=200)
    floor = index.tree
    t = time.perf_counter()
    index.nearest(*points[0], selective, NOW, 10)
    print(f"  first selective query (builds its cached sub-index): "
          f"{(time.perf_counter() - t) * 1e3:.1f} ms")

    def bare(lon, lat):
        from app.geo.crs import to_metric
        floor.query(np.column_stack(to_metric(lon, lat))[0], k=10)

    for label, fn in (
        ("bare cKDTree k=10 (floor)", bare),
        ("nearest-10, no filter", lambda lo, la: index.nearest(lo, la, plain, NOW, 10)),
        ("nearest-10, selective filter",
         lambda lo, la: index.nearest(lo, la, selective, NOW, 10)),
    ):
        med, p99 = timed_queries(fn, points)
        print(f"  {label:32s} median {med:8.1f} µs   p99 {p99:8.1f} µs")


def compare_structures(xy: np.ndarray, queries: np.ndarray) -> None:
    """Build time and k=10 query time of the three candidate spatial indexes, same points."""
    import rtree
    import shapely

    t = time.perf_counter()
    kd = cKDTree(xy)
    kd_build = time.perf_counter() - t
    t = time.perf_counter()
    rt = rtree.index.Index(((i, (x, y, x, y), None) for i, (x, y) in enumerate(xy)))
    rt_build = time.perf_counter() - t
    t = time.perf_counter()
    st = shapely.STRtree(shapely.points(xy))
    st_build = time.perf_counter() - t

    def per_query_us(fn) -> float:
        t = time.perf_counter()
        for x, y in queries:
            fn(x, y)
        return (time.perf_counter() - t) / len(queries) * 1e6

    print(f"  spatial index comparison on {len(xy):,} points (k = 10 nearest; STRtree has no "
          "k-nearest, only the nearest, so it is timed for k = 1):")
    print(f"    cKDTree  build {kd_build:6.2f} s   query "
          f"{per_query_us(lambda x, y: kd.query([x, y], k=10)):7.1f} µs")
    print(f"    rtree    build {rt_build:6.2f} s   query "
          f"{per_query_us(lambda x, y: list(rt.nearest((x, y, x, y), 10))):7.1f} µs")
    print(f"    STRtree  build {st_build:6.2f} s   query "
          f"{per_query_us(lambda x, y: st.query_nearest(shapely.Point(x, y))):7.1f} µs (k=1)")


def synthetic(n: int, rng) -> list[Facility]:
    lon = rng.uniform(126.5, 127.8, n)
    lat = rng.uniform(36.9, 38.2, n)
    rare = rng.random(n) < 0.001
    return [Facility(id=f"s{i:07d}", name="s", kind="daycare", lon=float(lon[i]),
                     lat=float(lat[i]), age_min_months=180 if rare[i] else 0,
                     age_max_months=215 if rare[i] else 83) for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(7)
    points = list(zip(rng.uniform(126.7, 127.6, 2000), rng.uniform(37.0, 38.0, 2000),
                      strict=True))
    demo = read_registry(DEMO_REGISTRY_PATH).facilities
    report("demo registry", demo, points)
    t = time.perf_counter()
    facilities = synthetic(n, rng)
    print(f"(made {n:,} synthetic Facility records in {time.perf_counter() - t:.1f} s)")
    report("synthetic registry", facilities, points)
    from app.geo.crs import to_metric
    qx, qy = to_metric(*np.array(points[:500]).T)
    compare_structures(FacilityIndex(facilities[:200_000], MAX_AGE).xy,
                       np.column_stack([qx, qy]))


if __name__ == "__main__":
    main()
