"""A home outside the area the registry covers is said so (``outside_coverage``), and a
provider token says which programmes its facility runs (the provider page shows only those)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app
from app.registry.io import write_registry
from app.search.index import FacilityIndex

from .conftest import facility

# Two providers in 수원, 1 km apart: the box around them is about 1 km wide.
SUWON = [facility("a", 127.00, 37.26), facility("b", 127.01, 37.26, programmes=frozenset({"always_daycare"}),
                                                 age_min_months=6)]


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "registry.geojson"
    write_registry(path, {"name": "tiny", "region": "수원시"}, SUWON)
    return create_app({"TESTING": True, "REGISTRY_PATH": str(path), "SEARCH_COVERAGE_MARGIN_M": 5000},
                      instance_path=str(tmp_path / "instance"))


def test_distance_to_the_providers_box():
    index = FacilityIndex(SUWON, timedelta(hours=24))
    assert index.distance_to_extent_m(127.005, 37.26) == 0.0  # between them
    # 0.1° of latitude north of the box: about 11.1 km.
    assert index.distance_to_extent_m(127.005, 37.36) == pytest.approx(11_100, rel=0.01)
    assert FacilityIndex([], timedelta(hours=24)).distance_to_extent_m(127.0, 37.0) is None


@pytest.mark.parametrize(("lat", "lon", "outside"), [
    (37.26, 127.004, False), (37.30, 127.004, False), (37.36, 127.004, True), (35.18, 129.07, True)])
def test_nearest_says_when_home_is_outside_the_area(tiny, lat, lon, outside):
    # 37.30 is 4.4 km north of the box (within the 5 km margin); 37.36 is 11 km; 35.18 is 부산.
    body = tiny.test_client().get(f"/api/v1/facilities/nearest?lat={lat}&lon={lon}").get_json()
    assert body["outside_coverage"] is outside
    assert body["coverage_name"] == "수원시"
    assert [h["facility"]["id"] for h in body["results"]] == (["a", "b"] if lat != 35.18 else ["b", "a"])


def test_whoami_lists_the_programmes_it_runs(tiny):
    from app.extensions.db import get_engine
    from app.live import tokens

    with tiny.app_context():
        plain = tokens.issue(get_engine(), "provider", "a")
        always = tokens.issue(get_engine(), "provider", "b")
        admin = tokens.issue(get_engine(), "admin")
    client = tiny.test_client()

    def me(token):
        return client.get("/api/v1/providers/me", headers={"Authorization": f"Bearer {token}"}).get_json()

    assert me(plain)["programmes"] == []
    assert me(always)["programmes"] == ["always_daycare"]
    assert me(admin) == {"role": "admin", "facility_id": None, "facility_name": None, "programmes": []}
