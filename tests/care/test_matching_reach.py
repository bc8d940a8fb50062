"""Offers go only as far as a family can reach (app/reference/offer_reach.json), on SQLite and
PostgreSQL, over hand-checkable providers due north or south of the home (0.045° of latitude
is about 5.0 km, 0.36° about 40 km; 1° of latitude is about 111 km at 37-38°N):

| case | home | providers (distance) | limit | offered |
|---|---|---|---|---|
| city | 수원시 영통구 | near (5 km), far (40 km) | 10 km | near only |
| city, only far | 수원시 영통구 | far (40 km) | 10 km | none: unmatched, no_provider_within_reach |
| 군 | 연천군 전곡읍 | dongducheon (15 km S), paju (25 km S) | 20 km | dongducheon only |

Plus a property test against a brute force (distances from pyproj directly, the limit from the
JSON file) and migration 0017 going back and forth."""

from __future__ import annotations

import json
import math
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pyproj import Transformer

from app.care.matching import (
    OUT_OF_REACH,
    MatchingEngine,
    MatchSettings,
    max_offer_distance_m,
)
from app.db.engine import make_engine, outbox, upgrade
from app.search.index import FacilityIndex
from app.search.model import Facility
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

from . import matching_data as d

ROOT = Path(__file__).resolve().parents[2]
REACH = json.loads((ROOT / "app/reference/offer_reach.json").read_text(encoding="utf-8"))
JEONGOK = (127.0620, 38.0260)  # lon, lat: 연천군 전곡읍 (41800)


@pytest.fixture
def engine(db_url):  # noqa: F811
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def centre(fid: str, home: tuple[float, float], dlat: float, dlon: float = 0.0, places: int = 2,
           sigungu_code: str = "41117") -> Facility:
    return Facility(
        id=fid, name=f"{fid} 다함께돌봄센터", kind="together_care_center", lon=home[0] + dlon, lat=home[1] + dlat,
        programmes=frozenset({d.PROGRAMME}), age_min_months=72, age_max_months=155, hours=d.ALWAYS,
        vacancies={d.PROGRAMME: places}, availability_reported_at=d.NOW - timedelta(hours=1),
        sido="경기도", sido_code="41", sigungu_code=sigungu_code)


def matcher(engine: sa.Engine, providers: list[Facility], **settings) -> MatchingEngine:
    index = FacilityIndex(providers, timedelta(hours=24))
    return MatchingEngine(engine, lambda: index, MatchSettings(**settings), first_name=lambda conn, child_id: "지우")


def request(m: MatchingEngine, point: tuple[float, float] = d.HOME, child_id: str = "child-1", **kw):
    args = dict(guardian_id="guardian-1", child_id=child_id, programme=d.PROGRAMME, start=d.START, end=d.END,
                place_kind="home", point=point, birth_date=d.BIRTH, now=d.NOW)
    args.update(kw)
    return m.create(**args)


NEAR = centre("near", d.HOME, 0.045)  # about 5.0 km N
FAR = centre("far", d.HOME, 0.36)  # about 40 km N


class TestReach:
    def test_only_the_provider_within_reach_is_offered_with_its_distance(self, engine):
        m = matcher(engine, [FAR, NEAR])
        r = request(m)
        assert r.status == "requested" and r.candidates == ("near",) and r.max_distance_m == 10_000
        [offer] = m.offers_of(r.id)
        assert offer.facility_id == "near" and offer.distance_m is not None
        assert 4_900 < offer.distance_m < 5_100  # 0.045° of latitude
        assert m.get(r.id).candidate_distances_m == (offer.distance_m,)
        # the only one asked declines: nobody farther is asked
        m.decline(offer.id, "staff-near", d.NOW + timedelta(minutes=1))
        done = m.get(r.id)
        assert done.status == "unmatched" and done.unmatched_reason == "everyone_asked"
        assert [o.facility_id for o in m.offers_of(r.id)] == ["near"]

    def test_only_far_providers_go_to_people_at_once_with_the_reason(self, engine):
        m = matcher(engine, [FAR])
        r = request(m)
        assert r.status == "unmatched" and r.candidates == () and m.offers_of(r.id) == []
        assert r.unmatched_reason == OUT_OF_REACH == "no_provider_within_reach"
        stored = m.get(r.id)
        assert stored.unmatched_reason == OUT_OF_REACH and stored.max_distance_m == 10_000
        assert [q.id for q in m.unmatched()] == [r.id]  # the call-centre queue
        assert "no provider within 10 km" in m.events(r.id)[-1]["reason"]
        with engine.connect() as conn:
            topic, payload = conn.execute(sa.select(outbox.c.topic, outbox.c.payload)).one()
        assert topic == "request.unmatched"
        assert payload["reason_code"] == OUT_OF_REACH and payload["max_distance_m"] == 10_000

    def test_nobody_eligible_at_all_is_not_called_out_of_reach(self, engine):
        m = matcher(engine, [centre("full", d.HOME, 0.001, places=0)])
        r = request(m)
        assert r.status == "unmatched" and r.unmatched_reason == "no_provider"

    def test_a_family_in_a_gun_reaches_farther(self, engine):
        providers = [centre("dongducheon", JEONGOK, -0.135, sigungu_code="41250"),  # about 15 km S
                     centre("paju", JEONGOK, -0.225, sigungu_code="41480")]  # about 25 km S
        m = matcher(engine, providers)
        r = request(m, point=JEONGOK)
        assert r.sigun_code == "41800" and r.max_distance_m == 20_000
        assert r.candidates == ("dongducheon",)
        [offer] = m.offers_of(r.id)
        assert 14_800 < (offer.distance_m or 0) < 15_200

    def test_home_visit_carers_are_not_limited_and_have_no_distance(self, engine):
        m = matcher(engine, [f for f in d.facilities() if f.id == "hv-1"])
        r = request(m, programme="home_visit_emergency")
        assert r.candidates == ("hv-1",) and r.max_distance_m is None
        assert [o.distance_m for o in m.offers_of(r.id)] == [None]

    def test_the_limits_are_data(self):
        assert max_offer_distance_m("elementary_emergency", "41110") == 10_000
        assert max_offer_distance_m("always_daycare", "41830") == 20_000
        assert max_offer_distance_m("elementary_emergency", None) == 10_000
        assert max_offer_distance_m("home_visit_emergency", "41110") is None

    def test_migration_0017_goes_back_and_forth(self, engine, db_url):  # noqa: F811
        def columns() -> set[str]:
            with engine.connect() as conn:
                found = {c["name"] for c in sa.inspect(conn).get_columns("care_requests")}
                return found | {f"offers.{c['name']}" for c in sa.inspect(conn).get_columns("offers")}

        added = {"candidate_distances_m", "max_distance_m", "unmatched_reason", "offers.distance_m"}
        m = matcher(engine, [NEAR])
        before = request(m)
        assert added <= columns()
        engine.dispose()
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "app/db/migrations"))
        cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
        command.downgrade(cfg, "0016")
        assert not added & columns()
        upgrade(db_url)
        assert added <= columns()
        again = m.get(before.id)  # a request from before the columns: read with none of them
        assert again.candidates == ("near",) and again.candidate_distances_m == () and again.max_distance_m is None
        assert [o.distance_m for o in m.offers_of(before.id)] == [None]


# -- against a brute force --------------------------------------------------------------------

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
_TO_DEGREES = Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)
_HX, _HY = _TO_METRIC.transform(*d.HOME)
LIMIT_M = REACH["programmes"][d.PROGRAMME]["by_sigun_m"].get("41110",
                                                             REACH["programmes"][d.PROGRAMME]["max_offer_distance_m"])
MAX_PROVIDERS = 10

PROVIDERS = st.lists(st.tuples(st.floats(-25_000, 25_000), st.floats(-25_000, 25_000), st.booleans()),
                     min_size=1, max_size=14)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('reach') / 'reach.db'}"
    upgrade(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PROVIDERS)
def test_offers_are_the_eligible_providers_within_reach_nearest_first(sqlite_engine, layout):
    providers, expected_far_only = [], []
    brute: list[tuple[float, str]] = []
    for i, (dx, dy, free) in enumerate(layout):
        lon, lat = _TO_DEGREES.transform(_HX + dx, _HY + dy)
        fid = f"p{i:02d}"
        providers.append(centre(fid, (lon, lat), 0.0, places=2 if free else 0))
        x, y = _TO_METRIC.transform(lon, lat)
        dist = math.hypot(x - _HX, y - _HY)
        assume(abs(dist - LIMIT_M) > 1.0)  # no provider on the limit's edge, to a metre
        if free:
            (brute if dist <= LIMIT_M else expected_far_only).append((dist, fid))
    brute.sort()
    expected = [fid for _, fid in brute][:MAX_PROVIDERS]
    m = matcher(sqlite_engine, providers, max_providers=MAX_PROVIDERS)
    r = request(m, child_id=uuid.uuid4().hex)
    assert list(r.candidates) == expected
    assert r.candidate_distances_m == pytest.approx([dist for dist, _ in brute][:MAX_PROVIDERS], abs=0.1)
    if expected:
        assert r.status == "requested" and r.unmatched_reason is None
    else:
        assert r.status == "unmatched"
        assert r.unmatched_reason == (OUT_OF_REACH if expected_far_only else "no_provider")
