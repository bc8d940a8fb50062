"""The PostGIS search path gives the same answers as the in-memory one (PostgreSQL only)."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from app import create_app
from app.config import DEMO_REGISTRY_PATH
from app.live.db import make_engine, upgrade
from app.live.postgis_index import PostgisIndex, store_registry
from app.registry.io import Registry, read_registry
from app.search.index import Criteria, FacilityIndex

from .servers import reset_postgres

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, tzinfo=SEOUL)
MAX_AGE = timedelta(hours=24)


@pytest.fixture(scope="module")
def both(postgres_db):
    if postgres_db is None:
        pytest.skip("no PostgreSQL (see .ci/postgres.sh)")
    reset_postgres(postgres_db)
    upgrade(postgres_db)
    engine = make_engine(postgres_db)
    registry = read_registry(DEMO_REGISTRY_PATH)
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
    demo = read_registry(DEMO_REGISTRY_PATH)
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
