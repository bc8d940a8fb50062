"""The search core against a brute-force reference and hand-checkable fixtures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.geo import admin
from app.geo.crs import geodesic_distance_m, to_metric
from app.search.hours import WeeklyHours, is_korean_public_holiday
from app.search.index import Criteria, FacilityIndex, walking_minutes
from app.search.model import KINDS, PROGRAMMES, programme_rules, sigun_code

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SEOUL)  # a Monday
MAX_AGE = timedelta(hours=24)
PROGRAMME_SPEC = json.loads((Path(__file__).resolve().parents[1] / "app" / "reference" /
                             "programmes.json").read_text(encoding="utf-8"))["programmes"]
# Providers' 시군구: 수원 권선구 (runs elementary_emergency only), 용인 수지구 (neither), 부천 coded
# at the 시 level (always_daycare only), 남양주 (both), unknown. Homes: also Seoul (not 경기도).
SIGUNGU_CODES = ["41113", "41465", "41190", "41360", None]
HOME_CODES = [None, "41113", "41465", "11110", ""]  # "" : the home lies in no 시군구
REGIONS = [None, "41110", "41113", "41460", "41190"]
AGE_EDGES = [5, 6, 71, 72, 83, 84, 155, 156]
HOURS = [
    WeeklyHours.from_mapping({d: ["07:30-19:30"] for d in ("mon", "tue", "wed", "thu", "fri")}),
    WeeklyHours.from_mapping({d: ["07:30-31:30"] for d in
                              ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")}),
    WeeklyHours.from_mapping({d: ["13:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri")}),
]


# Strategies built once: building them inside each draw cost Hypothesis most of a minute
# in validation per test.
GRID_STEP = st.integers(0, 20)
KIND = st.sampled_from(KINDS[:3])
STATUS = st.sampled_from(["정상", "정상", "정상", "폐지", "휴지", "재개"])
PROGRAMME_SET = st.sets(st.sampled_from(PROGRAMMES[:2]), max_size=1).map(frozenset)
SERVICE_SET = st.sets(st.sampled_from(["night", "holiday"]), max_size=2).map(frozenset)
AGE_MIN = st.sampled_from([0, 6, 72])
AGE_SPAN = st.sampled_from([35, 83])
HOURS_ANY = st.sampled_from(HOURS)
VACANCIES = st.sampled_from([{}, {"regular": 0}, {"regular": 3}, {"regular": 2, "always_daycare": 1}])
REPORT_AGE_H = st.sampled_from([1, 30])
SIGUNGU = st.sampled_from(SIGUNGU_CODES)
FACILITY_COUNT = st.integers(1, 60)


@st.composite
def registries(draw):
    n = draw(FACILITY_COUNT)
    out = []
    for i in range(n):
        # A coarse grid makes exact distance ties common.
        lon = 127.0 + draw(GRID_STEP) * 0.001
        lat = 37.3 + draw(GRID_STEP) * 0.001
        age_min = draw(AGE_MIN)
        out.append(facility(
            f"f{i:03d}", lon, lat,
            kind=draw(KIND),
            status=draw(STATUS),
            programmes=draw(PROGRAMME_SET),
            services=draw(SERVICE_SET),
            age_min_months=age_min, age_max_months=age_min + draw(AGE_SPAN),
            hours=draw(HOURS_ANY),
            vacancies=dict(draw(VACANCIES)),
            availability_reported_at=NOW - timedelta(hours=draw(REPORT_AGE_H)),
            sigungu_code=draw(SIGUNGU),
        ))
    return out


@st.composite
def criteria(draw):
    start = None
    end = None
    if draw(st.booleans()):
        start = NOW + timedelta(hours=draw(st.integers(-12, 60)))
        end = start + timedelta(hours=draw(st.integers(1, 14)))
    return Criteria(
        kinds=draw(st.none() | st.sets(st.sampled_from(KINDS[:3]), min_size=1).map(frozenset)),
        programmes=draw(st.none() | st.sampled_from(PROGRAMMES[:2]).map(lambda p: frozenset({p}))),
        services=draw(st.none() | st.just(frozenset({"night"}))),
        age_months=draw(st.none() | st.integers(0, 200) | st.sampled_from(AGE_EDGES)),
        start=start, end=end,
        available_only=draw(st.booleans()),
        home_sigungu_code=draw(st.sampled_from(HOME_CODES)),
        region=draw(st.sampled_from(REGIONS)),
    )


def programme_ok(f, c: Criteria) -> bool:
    """Eligibility straight from programmes.json, with 시군 from the 경기도 crosswalk (not the
    code's own rule): the family's age and home, the provider's kind and 시군."""
    for pid in c.programmes:
        spec = PROGRAMME_SPEC[pid]
        if pid not in f.programmes or f.kind not in spec["kinds"]:
            continue
        if c.age_months is not None and not \
                spec["age_min_months"] <= c.age_months <= spec["age_max_months"]:
            continue
        if spec["where"] == "centre" and admin.sigun_of(f.sigungu_code) not in spec["sigun_codes"]:
            continue
        home = c.home_sigungu_code
        if home is not None:
            if spec["where"] == "home" and admin.sigun_of(home) not in spec["sigun_codes"]:
                continue
            residents = spec["sigun_codes"] if spec["residents_of"] == "sigun_codes" \
                else spec["residents_of"]
            if not any(home[:2] == r if len(r) == 2 else r in (home, admin.sigun_of(home))
                       for r in residents):
                continue
        return True
    return False


def region_ok(f, region: str) -> bool:
    return f.sigungu_code is not None and region in (f.sigungu_code,
                                                     admin.sigun_of(f.sigungu_code))


def brute_force(facilities, lon, lat, c: Criteria, limit, radius_m=None, work=None, mode="home"):
    index = FacilityIndex(facilities, MAX_AGE)  # only for its availability rule
    hx, hy = to_metric(lon, lat)
    rows = []
    for f in facilities:
        if f.status not in ("정상", "재개"):
            continue
        if c.kinds is not None and f.kind not in c.kinds:
            continue
        if c.programmes and not programme_ok(f, c):
            continue
        if c.region is not None and not region_ok(f, c.region):
            continue
        if c.services and not c.services <= f.services:
            continue
        if c.age_months is not None and not f.age_min_months <= c.age_months <= f.age_max_months:
            continue
        if c.start and not f.hours.is_open_for(c.start, c.end, is_korean_public_holiday):
            continue
        if c.available_only and index.availability(f, c, NOW).status != "available":
            continue
        fx, fy = to_metric(f.lon, f.lat)
        dh = float(np.hypot(fx - hx, fy - hy))
        if work is None or mode == "home":
            key = dh
        else:
            wx, wy = to_metric(*work)
            dw = float(np.hypot(fx - wx, fy - wy))
            key = min(dh, dw) if mode == "either" else \
                max(dh + dw - float(np.hypot(wx - hx, wy - hy)), 0.0)
        if radius_m is not None and key > radius_m:
            continue
        rows.append((key, f.id))
    rows.sort()
    return rows[:limit]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), criteria(), st.integers(1, 12), st.sampled_from(["home", "either",
                                                                      "commute"]),
       st.none() | st.sampled_from([300.0, 1500.0]), st.sampled_from([1, 32]))
def test_nearest_equals_brute_force(facilities, c, limit, mode, radius_m, sub_share):
    # sub_share 1: every static filter walks its own sub-index; 32: only selective ones.
    index = FacilityIndex(facilities, MAX_AGE, sub_index_max_share=sub_share)
    home, work = (127.004, 37.305), (127.018, 37.317)
    hits = index.nearest(*home, c, NOW, limit, radius_m=radius_m, work=work, mode=mode)
    expected = brute_force(facilities, *home, c, limit, radius_m, work, mode)
    assert [h.facility.id for h in hits] == [fid for _, fid in expected]
    for h, (key, _) in zip(hits, expected, strict=True):
        assert abs(h.sort_key - key) < 0.01


@settings(max_examples=200, deadline=None)
@given(registries(), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20),
       st.integers(0, 20))
def test_bbox_equals_brute_force(facilities, a, b, c, d):
    # Box edges on the registries' grid, so points on the boundary (inside) are common.
    min_lon, max_lon = sorted((127.0 + a * 0.001, 127.0 + b * 0.001))
    min_lat, max_lat = sorted((37.3 + c * 0.001, 37.3 + d * 0.001))
    index = FacilityIndex(facilities, MAX_AGE)
    found = [f.id for f in index.within_bbox(min_lon, min_lat, max_lon, max_lat)]
    expected = sorted(f.id for f in facilities if f.is_open_status and not f.comes_to_family
                      and min_lon <= f.lon <= max_lon and min_lat <= f.lat <= max_lat)
    assert found == expected


def test_selective_filter_still_finds_true_nearest():
    # 2,000 providers on a line; only every 500th takes 6-12 year olds.
    facilities = [facility(f"f{i:04d}", 127.0 + i * 0.0005, 37.3,
                           age_min_months=72 if i % 500 == 499 else 0,
                           age_max_months=155 if i % 500 == 499 else 83) for i in range(2000)]
    index = FacilityIndex(facilities, MAX_AGE)
    hits = index.nearest(127.0, 37.3, Criteria(age_months=100), NOW, 3)
    assert [h.facility.id for h in hits] == ["f0499", "f0999", "f1499"]


def test_ties_broken_by_id():
    same = [facility(f"z{i}", 127.01, 37.3) for i in (3, 1, 2)]
    hits = FacilityIndex(same, MAX_AGE).nearest(127.0, 37.3, Criteria(), NOW, 3)
    assert [h.facility.id for h in hits] == ["z1", "z2", "z3"]


def test_distance_close_to_geodesic_across_korea():
    for lon, lat in [(126.1, 33.3), (129.3, 35.2), (128.9, 38.3), (124.7, 37.9)]:
        f = facility("a", lon + 0.05, lat + 0.03)
        hit = FacilityIndex([f], MAX_AGE).nearest(lon, lat, Criteria(), NOW, 1)[0]
        geo = float(geodesic_distance_m(lon, lat, lon + 0.05, lat + 0.03))
        assert abs(hit.distance_m - geo) / geo < 0.005


def test_stale_vacancy_is_unknown_and_not_available():
    fresh = facility("fresh", 127.01, 37.3, vacancies={"regular": 2},
                     availability_reported_at=NOW - timedelta(hours=2))
    stale = facility("stale", 127.001, 37.3, vacancies={"regular": 5},
                     availability_reported_at=NOW - timedelta(days=3))
    index = FacilityIndex([fresh, stale], MAX_AGE)
    hits = index.nearest(127.0, 37.3, Criteria(available_only=True), NOW, 5)
    assert [h.facility.id for h in hits] == ["fresh"]
    every = index.nearest(127.0, 37.3, Criteria(), NOW, 5)
    assert [(h.facility.id, h.availability.status) for h in every] == \
        [("stale", "unknown"), ("fresh", "available")]


def test_overnight_and_substitute_holiday():
    night = facility("night", 127.01, 37.3, hours=HOURS[1])
    day = facility("day", 127.001, 37.3)
    index = FacilityIndex([night, day], MAX_AGE)
    tonight = Criteria(start=datetime(2026, 11, 23, 19, tzinfo=SEOUL),
                       end=datetime(2026, 11, 23, 23, tzinfo=SEOUL))
    assert [h.facility.id for h in index.nearest(127.0, 37.3, tonight, NOW, 5)] == ["night"]
    # 2026-03-02 is the substitute holiday for 삼일절: the weekday daycare is closed.
    holiday = Criteria(start=datetime(2026, 3, 2, 9, tzinfo=SEOUL),
                       end=datetime(2026, 3, 2, 12, tzinfo=SEOUL))
    assert [h.facility.id for h in index.nearest(127.0, 37.3, holiday, NOW, 5)] == ["night"]


def test_home_visit_service_area():
    hv = facility("hv", 127.5, 37.0, kind="home_visit_provider",
                  service_area_sigungu_codes=frozenset({"41117"}), age_max_months=155)
    index = FacilityIndex([hv], MAX_AGE)
    wanted = Criteria(kinds=frozenset({"home_visit_provider"}), home_sigungu_code="41117")
    hits = index.nearest(127.045, 37.2636, wanted, NOW, 5)
    assert [(h.facility.id, h.distance_m, h.anchor) for h in hits] == [("hv", None, "home_visit")]
    elsewhere = Criteria(kinds=frozenset({"home_visit_provider"}), home_sigungu_code="41135")
    assert index.nearest(127.1, 37.38, elsewhere, NOW, 5) == []


def test_commute_prefers_on_the_way():
    home, work = (127.0, 37.3), (127.02, 37.3)
    on_way = facility("on_way", 127.01, 37.3005)
    near_home_behind = facility("behind", 126.997, 37.3)
    hits = FacilityIndex([on_way, near_home_behind], MAX_AGE).nearest(
        *home, Criteria(), NOW, 2, work=work, mode="commute")
    assert [h.facility.id for h in hits] == ["on_way", "behind"]
    assert hits[0].detour_m < 20


def test_walking_minutes():
    assert walking_minutes(1000) == 20  # 1.3 km of streets at 4 km/h


# --- programme eligibility and the region filter (issue 12, items 16 and 17) --------------------
ELEMENTARY = frozenset({"elementary_emergency"})
ALWAYS = frozenset({"always_daycare"})
HOME_VISIT = frozenset({"home_visit_emergency"})


def test_programme_rules_from_the_reference_data():
    # DOMAIN.md: 6-12 years, 6 months to 7 years, 3 months to 12 years.
    rules = programme_rules()
    assert {p: (r.age_min_months, r.age_max_months, r.where) for p, r in rules.items()} == {
        "elementary_emergency": (72, 155, "centre"), "always_daycare": (6, 83, "centre"),
        "home_visit_emergency": (3, 155, "home")}
    assert rules["home_visit_emergency"].residents_of == rules["home_visit_emergency"].sigun_codes
    assert rules["always_daycare"].residents_of == {"41"}


def test_sigun_code_agrees_with_the_crosswalk():
    for info in admin.gyeonggi_sigungu().values():
        assert sigun_code(info.sigungu_code) == info.sigun_code, info
    assert sigun_code(None) is None and sigun_code("M5V") == "M5V"


def _ids(index, **kw):
    return [h.facility.id for h in index.nearest(127.0, 37.3, Criteria(**kw), NOW, 10)]


def test_programme_eligibility_hand_checked():
    centre = {"kind": "community_child_center", "age_min_months": 72, "age_max_months": 215}
    index = FacilityIndex([
        facility("cc-suwon", 127.01, 37.3, programmes=ELEMENTARY, sigungu_code="41113", **centre),
        # 용인 does not run the elementary programme, whatever the record says
        facility("cc-yongin", 127.002, 37.3, programmes=ELEMENTARY, sigungu_code="41465",
                 **centre),
        # a daycare is not a kind the elementary programme runs at
        facility("dc-elem", 127.003, 37.3, programmes=ELEMENTARY, sigungu_code="41113",
                 age_max_months=155),
        facility("ad-bucheon", 127.02, 37.3, programmes=ALWAYS, sigungu_code="41192",
                 age_max_months=155),
        facility("ad-suwon", 127.004, 37.3, programmes=ALWAYS, sigungu_code="41113",
                 age_max_months=155),
    ], MAX_AGE)
    assert _ids(index, programmes=ELEMENTARY) == ["cc-suwon"]
    assert _ids(index, programmes=ELEMENTARY, age_months=72) == ["cc-suwon"]
    assert _ids(index, programmes=ELEMENTARY, age_months=155) == ["cc-suwon"]
    # the centre takes 180-month-olds, the programme does not (issue: 지역아동센터 at 180)
    assert _ids(index, programmes=ELEMENTARY, age_months=180) == []
    assert _ids(index, age_months=180) == ["cc-yongin", "cc-suwon"]
    assert _ids(index, programmes=ELEMENTARY, age_months=71) == []
    assert _ids(index, programmes=ELEMENTARY, home_sigungu_code="41465") == ["cc-suwon"]
    assert _ids(index, programmes=ELEMENTARY, home_sigungu_code="11110") == []  # 서울
    assert _ids(index, programmes=ELEMENTARY, home_sigungu_code="") == []  # nowhere known
    assert _ids(index, programmes=ALWAYS) == ["ad-bucheon"]
    assert [_ids(index, programmes=ALWAYS, age_months=a) for a in (5, 6, 83, 84)] == \
        [[], ["ad-bucheon"], ["ad-bucheon"], []]
    assert _ids(index, programmes=ALWAYS | ELEMENTARY, age_months=100) == ["cc-suwon"]
    assert _ids(index, programmes=ALWAYS | ELEMENTARY, age_months=30) == ["ad-bucheon"]


def test_home_visit_programme_where_the_family_lives():
    hv = facility("hv", 127.5, 37.0, kind="home_visit_provider", programmes=HOME_VISIT,
                  service_area_sigungu_codes=frozenset({"41113", "41465"}), age_max_months=155,
                  sigungu_code="41113")
    index = FacilityIndex([hv], MAX_AGE)
    assert _ids(index, programmes=HOME_VISIT, home_sigungu_code="41113") == ["hv"]
    # It serves 용인 수지구, but 용인 does not run the programme: ordinary home visits only.
    assert _ids(index, programmes=HOME_VISIT, home_sigungu_code="41465") == []
    assert _ids(index, kinds=frozenset({"home_visit_provider"}), home_sigungu_code="41465") == \
        ["hv"]
    assert [_ids(index, programmes=HOME_VISIT, home_sigungu_code="41113", age_months=a)
            for a in (2, 3, 155, 156)] == [[], ["hv"], ["hv"], []]
    # the region filter: home-visit providers serving part of the region
    assert _ids(index, programmes=HOME_VISIT, home_sigungu_code="41113", region="41110") == \
        ["hv"]
    assert _ids(index, programmes=HOME_VISIT, home_sigungu_code="41113", region="41590") == []


def test_region_filter_hand_checked():
    sited = [facility("a", 127.001, 37.3, sigungu_code="41113"),
             facility("b", 127.0005, 37.3, sigungu_code="41465"),
             facility("c", 127.002, 37.3, sigungu_code="41110"),  # coded at the 시 level
             facility("d", 127.003, 37.3, sigungu_code="41111"),
             facility("e", 127.0001, 37.3, sigungu_code=None)]
    for share in (1, 32):  # with and without a sub-tree per filter (one index, several filters)
        index = FacilityIndex(sited, MAX_AGE, sub_index_max_share=share)
        assert _ids(index, region="41110") == ["a", "c", "d"]
        assert _ids(index, region="41113") == ["a"]
        assert _ids(index, region="41460") == ["b"]
        assert _ids(index, region="41111") == ["d"]
        assert _ids(index) == ["e", "b", "a", "c", "d"]
        assert _ids(index, region="41110", age_months=10) == ["a", "c", "d"]
        assert _ids(index, region="41460", age_months=10) == ["b"]
    assert {"41113", "41110", "41465", "41460", "41111"} == index.regions
