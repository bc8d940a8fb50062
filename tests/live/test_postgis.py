"""The PostGIS search path gives the same answers as the in-memory one (PostgreSQL only)."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from app import create_app
from app.db.engine import make_engine, upgrade
from app.registry.io import Registry
from app.registry.postgis import PostgisIndex, store_registry
from app.search.index import Criteria, FacilityIndex

from ..conftest import demo_registry
from .servers import reset_postgres, skip_without_postgres

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, tzinfo=SEOUL)
MAX_AGE = timedelta(hours=24)


@pytest.fixture(scope="module")
def both(postgres_db):
    if postgres_db is None:
        skip_without_postgres()
    reset_postgres(postgres_db)
    upgrade(postgres_db)
    engine = make_engine(postgres_db)
    registry = demo_registry()
    assert store_registry(engine, registry) == 10512
    yield (FacilityIndex(registry.facilities, MAX_AGE),
           PostgisIndex(registry.facilities, MAX_AGE, engine), postgres_db)
    engine.dispose()


CRITERIA = [
    Criteria(),
    Criteria(kinds=frozenset({"together_care_center"})),
    Criteria(programmes=frozenset({"elementary_emergency"}), age_months=100),
    Criteria(services=frozenset({"24h"})),
    Criteria(age_months=30, available_only=True),
    Criteria(start=datetime(2026, 11, 24, 19, tzinfo=SEOUL),
             end=datetime(2026, 11, 24, 23, tzinfo=SEOUL)),
    Criteria(programmes=frozenset({"always_daycare"})),
]


def test_same_answers_as_in_memory(both):
    memory, postgis, _ = both
    rng = np.random.default_rng(5)
    for q in range(70):
        lon, lat = rng.uniform(126.7, 127.6), rng.uniform(37.0, 38.0)
        c = CRITERIA[q % len(CRITERIA)]
        kwargs = {}
        if q % 5 == 1:
            kwargs = {"work": (lon + 0.05, lat + 0.03), "mode": "either"}
        elif q % 5 == 2:
            kwargs = {"work": (lon - 0.04, lat + 0.05), "mode": "commute"}
        elif q % 5 == 3:
            kwargs = {"radius_m": 3000.0}
        a = memory.nearest(lon, lat, c, NOW, 10, **kwargs)
        b = postgis.nearest(lon, lat, c, NOW, 10, **kwargs)
        assert [h.facility.id for h in a] == [h.facility.id for h in b], (q, c, kwargs)
        assert all(abs(x.sort_key - y.sort_key) < 0.01 for x, y in zip(a, b, strict=True))


def test_a_radius_exactly_at_a_distance_is_inclusive_on_both(both):
    """``within``'s radius is inclusive on both backends: a radius equal to a provider's
    distance (to the last bit) includes it, the next smaller float excludes it."""
    memory, postgis, _ = both
    rng = np.random.default_rng(19)
    checked = 0
    for q in range(25):
        lon, lat = rng.uniform(126.8, 127.4), rng.uniform(37.1, 37.8)
        c = CRITERIA[q % len(CRITERIA)]
        ranked = memory.nearest(lon, lat, c, NOW, 10)
        if not ranked:
            continue  # nothing matches (available_only at NOW); compared in the test above
        checked += 1
        for edge in (ranked[0], ranked[len(ranked) // 2], ranked[-1]):
            for radius_m, inside in ((edge.distance_m, True),
                                     (float(np.nextafter(edge.distance_m, 0)), False)):
                a = memory.nearest(lon, lat, c, NOW, 10, radius_m=radius_m)
                b = postgis.nearest(lon, lat, c, NOW, 10, radius_m=radius_m)
                ids = [h.facility.id for h in a]
                assert ids == [h.facility.id for h in b], (q, radius_m)
                assert (edge.facility.id in ids) is inside, (q, radius_m)
    assert checked >= 20


def test_ties_and_boundaries_agree_under_an_icu_collation(both):
    """Providers at one point come back in code-point order of their ids on both backends,
    whatever the database's collation (here ICU, which puts qa-a before qa-B); radius 0 at
    that point finds all of them; a radius equal to a distance includes that provider."""
    _, _, url = both
    engine = make_engine(url)
    demo = demo_registry()
    base = next(f for f in demo.facilities if f.kind == "daycare" and f.is_open_status
                and not f.comes_to_family)
    lon, lat = 127.0450, 37.2636
    tied = ["qa-B", "qa-a", "qa-A", "qa-b", "qa-가", "qa-나", "qa-Z", "QA-a", "qa-a1", "qa-ä"]
    expected = ["QA-a", "qa-A", "qa-B", "qa-Z", "qa-a", "qa-a1", "qa-b", "qa-ä", "qa-가", "qa-나"]
    assert sorted(tied) == expected  # code-point order, checked by hand
    offsets = [(0.0004, 0.0), (0.0, 0.0007), (-0.0011, 0.0003), (0.002, -0.001)]
    facilities = [dataclasses.replace(base, id=i, lon=lon, lat=lat) for i in tied] + [
        dataclasses.replace(base, id=f"ring-{n}", lon=lon + dx, lat=lat + dy)
        for n, (dx, dy) in enumerate(offsets)]
    memory = FacilityIndex(facilities, MAX_AGE)
    postgis = PostgisIndex(facilities, MAX_AGE, engine)
    c = Criteria()

    def both_ids(limit, radius_m=None):
        a = [h.facility.id for h in memory.nearest(lon, lat, c, NOW, limit, radius_m=radius_m)]
        b = [h.facility.id for h in postgis.nearest(lon, lat, c, NOW, limit, radius_m=radius_m)]
        assert a == b, (limit, radius_m)
        return a

    try:
        with engine.begin() as conn:
            conn.exec_driver_sql('ALTER TABLE facilities ALTER COLUMN id TYPE text '
                                 'COLLATE "und-x-icu"')
        store_registry(engine, Registry(meta=demo.meta, facilities=tuple(facilities)))
        assert both_ids(len(tied)) == expected
        assert both_ids(3) == expected[:3]
        assert both_ids(20, radius_m=0.0) == expected
        ring = memory.nearest(lon, lat, c, NOW, 20)[len(tied):]
        assert [h.facility.id for h in ring] == ["ring-0", "ring-1", "ring-2", "ring-3"]
        for n, hit in enumerate(ring):
            assert both_ids(20, radius_m=hit.distance_m) == expected + [
                h.facility.id for h in ring[:n + 1]]
            assert both_ids(20, radius_m=float(np.nextafter(hit.distance_m, 0))) == \
                expected + [h.facility.id for h in ring[:n]]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql('ALTER TABLE facilities ALTER COLUMN id TYPE text '
                                 'COLLATE "default"')
        store_registry(engine, demo)
        engine.dispose()


def test_app_serves_from_postgis_without_data_files(both, tmp_path):
    memory, _, url = both
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SEARCH_BACKEND": "postgis",
                      "REGISTRY_PATH": str(tmp_path / "no-such-file.geojson")},
                     instance_path=str(tmp_path / "instance"))
    try:
        body = app.test_client().get("/api/v1/facilities/nearest",
                                     query_string={"lat": "37.2636", "lon": "127.045"}).json
        expected = memory.nearest(127.045, 37.2636, Criteria(), NOW, 10)
        assert [r["facility"]["id"] for r in body["results"]] == \
            [h.facility.id for h in expected]
        assert body["synthetic"] is True
    finally:
        app.extensions["dolbom_registry"].live.close()
        app.extensions["dolbom_db"].dispose()


def test_a_registry_stored_again_is_served_without_a_restart(both, tmp_path):
    """`flask registry-to-db` while the app serves: searches never fail on ids the loaded
    registry does not know yet, and the new registry is served within moments."""
    _, _, url = both
    engine = make_engine(url)
    demo = demo_registry()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SEARCH_BACKEND": "postgis",
                      "REGISTRY_CHECK_SECONDS": 0,
                      "REGISTRY_PATH": str(tmp_path / "no-such-file.geojson")},
                     instance_path=str(tmp_path / "instance"))
    client = app.test_client()
    near = {"lat": "37.2636", "lon": "127.045", "limit": "20"}
    try:
        before = client.get("/api/v1/facilities/nearest", query_string=near).json["results"]
        # The new registry: the same providers under new ids, so none is known to the app.
        renamed = [dataclasses.replace(f, id="new-" + f.id) for f in demo.facilities]
        store_registry(engine, Registry(meta={**demo.meta, "name": "renamed"},
                                        facilities=tuple(renamed)))
        deadline = time.monotonic() + 20
        while True:
            r = client.get("/api/v1/facilities/nearest", query_string=near)
            assert r.status_code == 200, r.json
            ids = [x["facility"]["id"] for x in r.json["results"]]
            if ids == ["new-" + x["facility"]["id"] for x in before]:
                break
            assert time.monotonic() < deadline, "the new registry was not served"
            time.sleep(0.05)
        assert client.get("/api/v1/meta").json["name"] == "renamed"
    finally:
        store_registry(engine, demo)
        engine.dispose()
        app.extensions["dolbom_registry"].live.close()
        app.extensions["dolbom_db"].dispose()
