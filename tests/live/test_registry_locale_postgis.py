"""A registry outside Korea in PostGIS answers as in memory: its own metric CRS, unknown ages
never eligible, its own holidays (issue 12, item 21; PostgreSQL only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.db.engine import make_engine, upgrade
from app.geo.crs import geodesic_distance_m
from app.ingest.pipeline import import_files
from app.registry.io import Registry
from app.registry.postgis import PostgisIndex, load_registry, store_registry
from app.search.index import Criteria, FacilityIndex

from ..conftest import DATA
from .servers import reset_postgres, skip_without_postgres

TORONTO = ZoneInfo("America/Toronto")
NOW = datetime(2026, 10, 1, 12, tzinfo=TORONTO)


@pytest.fixture
def toronto(postgres_db):
    if postgres_db is None:
        skip_without_postgres()
    reset_postgres(postgres_db)
    upgrade(postgres_db)
    engine = make_engine(postgres_db)
    result = import_files([DATA / "toronto_tiny.csv"],
                          mapping_path=DATA / "toronto-tiny-mapping.toml")
    registry = Registry(meta=result.locale.to_meta(), facilities=tuple(result.facilities))
    store_registry(engine, registry)
    stored = load_registry(engine, NOW)
    yield registry, stored, engine
    engine.dispose()


@pytest.mark.parametrize(("criteria", "expected"), [
    (Criteria(), ["tt-1", "tt-3", "tt-2"]),
    (Criteria(age_months=24), ["tt-1", "tt-2"]),  # tt-3's ages are unknown
    (Criteria(start=datetime(2027, 2, 15, 9, tzinfo=TORONTO),  # Family Day: PH hours only
              end=datetime(2027, 2, 15, 10, tzinfo=TORONTO)), ["tt-2"]),
])
def test_postgis_equals_memory_in_toronto(toronto, criteria, expected):
    registry, stored, engine = toronto
    assert stored.locale == registry.locale
    memory = FacilityIndex(registry.facilities, timedelta(hours=24), locale=registry.locale)
    postgis = PostgisIndex(stored.facilities, timedelta(hours=24), engine, locale=stored.locale)
    a = memory.nearest(-79.3841, 43.6534, criteria, NOW, 10)
    b = postgis.nearest(-79.3841, 43.6534, criteria, NOW, 10)
    assert [h.facility.id for h in a] == [h.facility.id for h in b]
    assert [h.distance_m for h in a] == pytest.approx([h.distance_m for h in b], abs=0.01)
    assert [h.facility.id for h in b] == expected
    for h in b:  # metres on the ground, not UTM-K's 6 % stretch
        f = h.facility
        assert h.distance_m == pytest.approx(
            float(geodesic_distance_m(-79.3841, 43.6534, f.lon, f.lat)), rel=0.002)
