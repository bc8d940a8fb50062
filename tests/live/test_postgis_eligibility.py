"""Programme eligibility and the region filter give the same answers on PostGIS as in memory
(issue 12, items 16 and 17; PostgreSQL only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from app.db.engine import make_engine, upgrade
from app.registry.postgis import PostgisIndex, store_registry
from app.search.index import Criteria, FacilityIndex

from ..conftest import demo_registry
from .servers import reset_postgres

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, tzinfo=SEOUL)
MAX_AGE = timedelta(hours=24)
ELEMENTARY = frozenset({"elementary_emergency"})
ALWAYS = frozenset({"always_daycare"})


@pytest.fixture(scope="module")
def indexes(postgres_db):
    if postgres_db is None:
        pytest.skip("no PostgreSQL (see .ci/postgres.sh)")
    reset_postgres(postgres_db)
    upgrade(postgres_db)
    engine = make_engine(postgres_db)
    registry = demo_registry()
    store_registry(engine, registry)
    yield FacilityIndex(registry.facilities, MAX_AGE), PostgisIndex(registry.facilities,
                                                                    MAX_AGE, engine)
    engine.dispose()


CRITERIA = [
    Criteria(programmes=ELEMENTARY, age_months=180),  # past the programme's 155 months
    Criteria(programmes=ELEMENTARY, age_months=155, home_sigungu_code="41465"),
    Criteria(programmes=ELEMENTARY, age_months=100, home_sigungu_code="11140"),  # 서울
    Criteria(programmes=ALWAYS, age_months=40, home_sigungu_code="41113"),
    Criteria(programmes=ALWAYS | ELEMENTARY, age_months=80, home_sigungu_code="41113"),
    Criteria(region="41110"),
    Criteria(region="41113", kinds=frozenset({"daycare"})),
    Criteria(region="41590", programmes=ELEMENTARY, age_months=90, home_sigungu_code="41590"),
    Criteria(region="41460", age_months=30),
]


def test_same_answers_as_in_memory(indexes):
    memory, postgis = indexes
    rng = np.random.default_rng(12)
    nonempty = 0
    for q in range(45):
        lon, lat = rng.uniform(126.8, 127.3), rng.uniform(37.1, 37.5)
        c = CRITERIA[q % len(CRITERIA)]
        kwargs = {"radius_m": 5000.0} if q % 3 == 1 else {}
        a = memory.nearest(lon, lat, c, NOW, 10, **kwargs)
        b = postgis.nearest(lon, lat, c, NOW, 10, **kwargs)
        assert [h.facility.id for h in a] == [h.facility.id for h in b], (q, c, kwargs)
        nonempty += bool(a)
        if q % len(CRITERIA) == 0:
            assert a == []
    assert nonempty >= 25
