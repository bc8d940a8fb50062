"""Benchmark: index build and in-process nearest-10, on the demo registry and on a synthetic
registry of N providers (default 1,000,000), side by side with a bare cKDTree query (the floor).

Run: .venv/bin/python bench/bench_search.py [N]     (prints figures; not a test)

Targets (issue 3): nearest-10 with a 1-in-1,000 filter <= 200 µs median at 1,000,000 providers;
1,000,000 providers indexed in <= 30 s and <= 1.5 GB.

``--books-online [SEARCHES] [--history-days D] [--without-open-index]``: the cost of the
results' ``books_online`` step (app.api.search.books_online: one query for the hits whose
provider runs a programme booked online, remembered 5 s per process), in one run, interleaved
search by search: GET
/api/v1/facilities/nearest through the app (test client, demo registry) without the step
(patched here to answer {} with no query), with it as served (remembered 5 s), and with it
reading the database at every search (nothing remembered: each search's own query). Every
provider running such a programme publishes hourly slots from D days back (default 90: the
past slots a provider keeps) to 7 days ahead. Prints median, p95 and p99 of each, and their
ratio to the search without the step, on SQLite and then on PostgreSQL when
DOLBOM_TEST_POSTGRES_URL is set (eval "$(bash .ci/postgres.sh)"; a database of its own is made
and dropped). The product is not changed: the bench swaps the function and the store's memo.
``--without-open-index`` drops the ``booking_capacity_open`` index (migration 0019) from the
bench's database: the look-up as it was before that index, for a before/after comparison.
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
SEOUL = ZoneInfo("Asia/Seoul")


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


BOOKS_ONLINE_SCENARIOS = {
    "nearest-10": "",
    "nearest-10, programme=always_daycare": "&programme=always_daycare",
}
CARE_NOTES_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def seed_online_slots(app, history_days: int) -> int:
    """Hourly slots (07:00-20:00 Seoul, 3 places) for every provider running a programme booked
    online, from ``history_days`` back to 7 days ahead, inserted in bulk; returns the rows."""
    import sqlalchemy as sa

    from app.care.rules import booking_rules
    from app.db.engine import booking_capacity
    from app.extensions.registry import get_registry

    online = frozenset(booking_rules())
    with app.app_context():
        facilities = get_registry().facilities
    today = datetime.now(SEOUL).date()
    rows = []
    for f in facilities:
        for programme in sorted(online.intersection(f.programmes)):
            for d in range(-history_days, 8):
                day = today + timedelta(days=d)
                for hour in range(7, 20):
                    start = datetime(day.year, day.month, day.day, hour, tzinfo=SEOUL)
                    rows.append({"facility_id": f.id, "programme": programme, "slot_start": start,
                                 "slot_end": start + timedelta(hours=1), "places": 3, "held": 0})
    engine = app.extensions["dolbom_db"]
    with engine.begin() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(sa.insert(booking_capacity), rows[i:i + 20_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE booking_capacity"))
    return len(rows)


def pct_ms(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3


def books_online_run(label: str, url: str, searches: int, history_days: int, drop_index: bool = False) -> None:
    """One database: seed, then time the searches of each scenario, the three variants
    interleaved (their order rotating search by search). ``drop_index``: drop the
    ``booking_capacity_open`` index (migration 0019) from this bench's database first, to
    time the look-up as it was before it."""
    import tempfile

    import app.api.search as search_api
    from app import create_app
    from app.care.bookings import OnlineProgrammes
    from app.extensions.care import EXTENSION as CARE

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": url, "CARE_NOTES_KEYS": [CARE_NOTES_KEY], "CARE_CLOCK_IN_PROCESS": False,
                          "REGISTRY_PATH": str(DEMO_REGISTRY_PATH)}, instance_path=instance)
        t = time.perf_counter()
        n_rows = seed_online_slots(app, history_days)
        if drop_index:
            import sqlalchemy as sa

            with app.extensions["dolbom_db"].begin() as conn:
                conn.execute(sa.text("DROP INDEX booking_capacity_open"))
            print(f"{label}: index booking_capacity_open dropped (--without-open-index)")
        print(f"{label}: {n_rows:,} published slots ({history_days} days back to 7 ahead) made in "
              f"{time.perf_counter() - t:.1f} s; {searches} searches per variant and scenario, interleaved")
        bookings = app.extensions[CARE]["bookings"]
        served, every = bookings.online, OnlineProgrammes(bookings.engine, remember_s=0.0)
        real = search_api.books_online
        client = app.test_client()
        rng = np.random.default_rng(5)
        points = list(zip(rng.uniform(126.8, 127.4, searches), rng.uniform(37.1, 37.7, searches), strict=True))

        step: dict[str, list[float]] = {}  # the step's own time, per variant (each call)

        def without(hits):
            return {}

        def timed(name):
            def step_of(hits):
                t = time.perf_counter()
                found = real(hits)
                step.setdefault(name, []).append(time.perf_counter() - t)
                return found
            return step_of

        variants = {"without books_online": (without, served),
                    "with, remembered 5 s (as served)": (timed("with, remembered 5 s (as served)"), served),
                    "with, read every search": (timed("with, read every search"), every)}
        try:
            for scenario, extra in BOOKS_ONLINE_SCENARIOS.items():
                paths = [f"/api/v1/facilities/nearest?lat={la:.5f}&lon={lo:.5f}{extra}" for lo, la in points]
                for path in paths[:20]:  # warm up: caches of texts, statements, the connection pool
                    for fn, online in variants.values():
                        search_api.books_online, bookings.online = fn, online
                        assert client.get(path).status_code == 200
                times: dict[str, list[float]] = {name: [] for name in variants}
                step.clear()
                names = list(variants)
                online_hits = 0
                for i, path in enumerate(paths):
                    for name in names[i % 3:] + names[:i % 3]:
                        fn, online = variants[name]
                        search_api.books_online, bookings.online = fn, online
                        t = time.perf_counter()
                        r = client.get(path)
                        times[name].append(time.perf_counter() - t)
                        assert r.status_code == 200, r.get_data(as_text=True)[:300]
                        if name == names[2]:
                            online_hits += sum(bool(h["books_online"]) for h in r.json["results"])
                base = times[names[0]]
                print(f"  {scenario}: ({online_hits / len(paths):.1f} of the results per search book online)")
                for name in names:
                    ts = times[name]
                    print(f"    {name:34s} median {pct_ms(ts, 0.5):6.2f} ms   p95 {pct_ms(ts, 0.95):6.2f} ms   "
                          f"p99 {pct_ms(ts, 0.99):6.2f} ms")
                for name in names[1:]:
                    ts = times[name]
                    print(f"    ratio {name} / without: median "
                          f"{statistics.median(ts) / statistics.median(base):.2f}   "
                          f"p95 {pct_ms(ts, 0.95) / pct_ms(base, 0.95):.2f}   "
                          f"p99 {pct_ms(ts, 0.99) / pct_ms(base, 0.99):.2f}")
                    own = step.get(name, [0.0])
                    print(f"      the step itself ({len(own)} calls): median {pct_ms(own, 0.5):6.3f} ms   "
                          f"p95 {pct_ms(own, 0.95):6.3f} ms   p99 {pct_ms(own, 0.99):6.3f} ms")
        finally:
            search_api.books_online, bookings.online = real, served
            app.extensions["dolbom_db"].dispose()


def books_online_main(argv: list[str]) -> None:
    history_days = 90
    drop_index = "--without-open-index" in argv
    argv = [a for a in argv if a != "--without-open-index"]
    if "--history-days" in argv:
        at = argv.index("--history-days")
        history_days = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    searches = int(argv[0]) if argv else 600
    from bench.databases import on_each_database

    sys.argv = [sys.argv[0], str(searches)]  # on_each_database reads its n there
    on_each_database(lambda label, url, n: books_online_run(label, url, n, history_days, drop_index), searches,
                     own_database="dolbom_bench_online")


def main() -> None:
    if "--books-online" in sys.argv:
        books_online_main([a for a in sys.argv[1:] if a != "--books-online"])
        return
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
