"""The committed synthetic demo registry follows the published facts and is reproducible."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from app.config import DEMO_REGISTRY_PATH
from app.geo import admin
from app.reference import programmes

from .conftest import demo_registry


@pytest.fixture(scope="module")
def demo():
    return demo_registry()


def test_labelled_synthetic(demo):
    assert demo.synthetic
    assert "SYNTHETIC" in demo.meta["notice"]


def test_counts(demo):
    kinds = Counter(f.kind for f in demo.facilities)
    assert kinds == {"daycare": 9400, "community_child_center": 780,
                     "together_care_center": 300, "home_visit_provider": 32}
    assert len({f.id for f in demo.facilities}) == len(demo.facilities)


def test_every_facility_in_its_emd(demo):
    facilities = demo.facilities
    areas = admin.locate([f.lon for f in facilities], [f.lat for f in facilities], snap_m=0)
    assert all(a is not None and a.emd_code == f.emd_code and a.sigungu_code == f.sigungu_code
               for f, a in zip(facilities, areas, strict=True))


def test_covers_all_siguns_and_polygons(demo):
    daycares = [f for f in demo.facilities if f.kind == "daycare"]
    assert len({f.sigungu_code for f in daycares}) == 44
    assert {admin.sigun_of(f.sigungu_code) for f in daycares} == set(admin.gyeonggi_siguns())
    assert len(admin.gyeonggi_siguns()) == 31


def test_denser_in_small_emds(demo):
    polygons = {p.emd_code: p for p in admin.gyeonggi_emd_polygons()}
    per_emd = Counter(f.emd_code for f in demo.facilities if f.kind == "daycare")
    area = {c: p.geometry.area for c, p in polygons.items()}
    codes = sorted(polygons, key=lambda c: area[c])
    small, large = codes[: len(codes) // 3], codes[-len(codes) // 3:]
    density = lambda cs: sum(per_emd[c] for c in cs) / sum(area[c] for c in cs)  # noqa: E731
    assert density(small) > 5 * density(large)


def test_programmes_only_where_offered(demo):
    spec = programmes()
    for f in demo.facilities:
        sigun = admin.sigun_of(f.sigungu_code)
        for p in f.programmes:
            assert sigun in spec[p]["sigun_codes"], (f.id, p, sigun)
    always = [f for f in demo.facilities if "always_daycare" in f.programmes]
    assert sorted(admin.sigun_of(f.sigungu_code) for f in always) == \
        sorted(spec["always_daycare"]["sigun_codes"])
    for f in always:
        assert all(ivs == ["07:30-31:30"] for ivs in f.hours.to_mapping().values())
        assert (f.age_min_months, f.age_max_months) == (6, 83)
    centres = [f for f in demo.facilities if "elementary_emergency" in f.programmes]
    assert centres and all(f.kind in ("together_care_center", "community_child_center")
                           for f in centres)
    assert {admin.sigun_of(f.sigungu_code) for f in centres} == \
        set(spec["elementary_emergency"]["sigun_codes"])


def test_home_visit_areas_cover_gyeonggi(demo):
    providers = [f for f in demo.facilities if f.kind == "home_visit_provider"]
    covered = set().union(*(f.service_area_sigungu_codes for f in providers))
    assert covered == {i.sigungu_code for i in admin.gyeonggi_sigungu().values()}
    offering = {admin.sigun_of(f.sigungu_code) for f in providers
                if "home_visit_emergency" in f.programmes}
    assert offering == set(programmes()["home_visit_emergency"]["sigun_codes"])


def test_daycare_hours_and_services(demo):
    daycares = [f for f in demo.facilities if f.kind == "daycare"
                and "always_daycare" not in f.programmes]
    standard = [f for f in daycares if not f.services & {"night", "holiday", "24h"}]
    assert all(f.hours.to_mapping()["mon"] == ["07:30-19:30"] for f in standard)
    assert all(f.hours.to_mapping()["sun"] == [] for f in standard)
    share = Counter(s for f in daycares for s in f.services)
    assert 0.03 < share["night"] / len(daycares) < 0.10
    assert 0.005 < share["holiday"] / len(daycares) < 0.05
    assert 10 < share["24h"] < 100


def test_fresh_and_stale_vacancies(demo):
    generated = np.datetime64(demo.meta["generated_at"][:19])
    ages_h = [(generated - np.datetime64(f.availability_reported_at.replace(tzinfo=None)))
              / np.timedelta64(1, "h") for f in demo.facilities if f.availability_reported_at]
    assert sum(a <= 24 for a in ages_h) > 1000
    assert sum(a > 48 for a in ages_h) > 1000


def test_regeneration_is_byte_identical(tmp_path):
    from app.demo.cli_main import main

    out = tmp_path / "demo.geojson"
    assert main([str(out)]) == 0
    assert out.read_bytes() == DEMO_REGISTRY_PATH.read_bytes()
    demand = tmp_path / "demo-demand-emd.csv"  # written beside the registry, not over ours
    assert demand.read_bytes() == (DEMO_REGISTRY_PATH.parents[1] / "demand" /
                                   "gyeonggi-demo-demand-emd.csv").read_bytes()
