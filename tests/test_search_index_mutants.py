"""Hand-checked cases for app/search/index.py that the property tests do not pin down, found by
mutation testing (bench/mutation.sh index): inclusive radius and detour limits to the last bit,
the commute search's early stop, ties across the walk's batches, the sub-tree and region caches
and their bounds, unknown ages and hours, another registry's time zone and metric CRS, and the
availability figures of every branch. Each answer is checkable by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pyproj import Transformer

from app.geo.crs import geodesic_distance_m
from app.live.record import Closure, LiveRecord
from app.search.index import SUB_INDEX_CACHE_SIZE, Criteria, FacilityIndex
from app.search.locale import KOREA, RegistryLocale

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SEOUL)  # a Monday
MAX_AGE = timedelta(hours=24)
HOME = (127.0, 37.3)
WORK = (127.02, 37.3)  # about 1.77 km east of HOME
ELEMENTARY = frozenset({"elementary_emergency"})


class Overlay:
    """The live layer (app.live.service.LiveOverlay's interface)."""

    def __init__(self, records: dict[str, LiveRecord], reachable: bool = True) -> None:
        self.records = records
        self.reachable = reachable

    def get(self, facility_id: str) -> LiveRecord | None:
        return self.records.get(facility_id)


def report(reported_at, vacancies=None, closures=()) -> LiveRecord:
    return LiveRecord(version=1, reported_at=reported_at, reported_by="t1",
                      vacancies=vacancies if vacancies is not None else {"regular": 2},
                      hours={}, closures=tuple(closures))


# Three providers about 885 m from home and from work, on the way between them: no places, a
# fresh figure of 3 places, and 3 places reported 30 hours ago (stale: unknown).
REPORTED = NOW - timedelta(minutes=30)
ROUTE = (
    facility("a-full", 127.01, 37.3001, vacancies={"regular": 0}, availability_reported_at=REPORTED),
    facility("b-free", 127.01, 37.3009, vacancies={"regular": 3}, availability_reported_at=REPORTED),
    facility("c-stale", 127.01, 37.3018, vacancies={"regular": 3},
             availability_reported_at=NOW - timedelta(hours=30)),
)


def ids(hits) -> list[str]:
    return [h.facility.id for h in hits]


def fields(a) -> tuple:
    return a.status, a.places, a.reported_at, a.age_minutes


# --- the index itself ----------------------------------------------------------------------------
class TestConstruction:
    sited = facility("b-sited", 127.001, 37.3, sigungu_code="41113")
    closed = facility("c-closed", 127.002, 37.3, status="폐지")
    home_visit = facility("a-hv", 127.5, 37.0, kind="home_visit_provider", sigungu_code="41590",
                          service_area_sigungu_codes=frozenset({"41465", "41135"}))

    def test_length_counts_open_sited_and_home_visit_providers(self):
        index = FacilityIndex([self.sited, self.closed, self.home_visit], MAX_AGE)
        assert len(index) == 2
        assert len(FacilityIndex([self.sited, self.closed], MAX_AGE)) == 1
        assert len(FacilityIndex([], MAX_AGE)) == 0

    def test_keeps_its_arguments_and_every_provider_by_id(self):
        live = Overlay({})
        index = FacilityIndex([self.sited, self.closed, self.home_visit], MAX_AGE,
                              sub_index_max_share=7, live=live, locale=KOREA)
        assert (index.max_age, index.sub_index_max_share, index.live, index.locale) == \
            (MAX_AGE, 7, live, KOREA)
        # Closed providers are not searched, but are still looked up by id.
        assert index.by_id == {"b-sited": self.sited, "c-closed": self.closed,
                               "a-hv": self.home_visit}
        assert [f.id for f in index.facilities] == ["b-sited"]
        assert [f.id for f in index.home_visit] == ["a-hv"]

    def test_regions_of_sited_and_home_visit_providers(self):
        # A sited provider belongs to its 시군구 (and 시); a home-visit provider to the areas it
        # serves, not to where its office is (41590).
        index = FacilityIndex([self.sited, self.closed, self.home_visit], MAX_AGE)
        assert index.regions == {"41113", "41110", "41465", "41460", "41135", "41130"}

    def test_an_index_of_home_visit_providers_only(self):
        index = FacilityIndex([self.home_visit], MAX_AGE)
        c = Criteria(kinds=frozenset({"home_visit_provider", "daycare"}), home_sigungu_code="41465")
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["a-hv"]
        assert ids(index.nearest(*HOME, c, NOW, 5, work=WORK, mode="commute")) == ["a-hv"]
        assert index.within_bbox(126.0, 36.0, 128.0, 38.0) == []


# --- radius and detour limits --------------------------------------------------------------------
class TestInclusiveRadius:
    """A radius equal to a provider's distance (to the last bit) includes it; the next smaller
    float excludes it, at a few hundred metres and at kilometres (relative and absolute slack)."""

    near = facility("near", 127.003, 37.3)  # about 265 m
    far = facility("far", 127.06, 37.3)  # about 5.3 km

    @pytest.mark.parametrize("mode", ["home", "either"])
    def test_radius_exactly_at_the_distance(self, mode):
        index = FacilityIndex([self.near, self.far], MAX_AGE)
        d = {h.facility.id: h.distance_m for h in index.nearest(*HOME, Criteria(), NOW, 5)}
        assert 250 < d["near"] < 280 and 5200 < d["far"] < 5400
        kw = {"work": HOME, "mode": mode}
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5, radius_m=d["near"], **kw)) == ["near"]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5,
                                 radius_m=math.nextafter(d["near"], 0), **kw)) == []
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5, radius_m=d["far"], **kw)) == \
            ["near", "far"]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5,
                                 radius_m=math.nextafter(d["far"], 0), **kw)) == ["near"]


class TestCommute:
    def test_on_the_straight_line_is_no_detour(self):
        at_home = facility("h", *HOME)
        hit = FacilityIndex([at_home], MAX_AGE).nearest(*HOME, Criteria(), NOW, 1, work=WORK,
                                                        mode="commute")[0]
        assert hit.anchor == "route"
        assert (hit.distance_m, hit.detour_m) == (pytest.approx(0.0, abs=1e-6),) * 2

    def test_detour_limit_exactly_at_the_detour(self):
        off = facility("off", 127.01, 37.3009)  # about 100 m off the middle of the trip
        index = FacilityIndex([off], MAX_AGE)
        det = index.nearest(*HOME, Criteria(), NOW, 1, work=WORK, mode="commute")[0].detour_m
        assert 10 < det < 13  # 2 * hypot(886, 100) - 1772
        for radius, expected in ((det, ["off"]), (math.nextafter(det, 0), [])):
            hits = index.nearest(*HOME, Criteria(), NOW, 5, radius_m=radius, work=WORK,
                                 mode="commute")
            assert ids(hits) == expected

    @pytest.mark.parametrize(("home", "work"), [
        ((127.0312, 37.3423), (127.0828, 37.3409)),
        ((127.033, 37.3788), (127.0303, 37.3453)),
        (HOME, WORK),
    ])
    def test_providers_at_home_and_at_work_are_on_the_way(self, home, work):
        # Their detour is exactly 0, within a detour limit of 0 (rounding of the search's
        # lower bound, 2 d(mid, f) - d(home, work), must not drop them).
        index = FacilityIndex([facility("at-home", *home), facility("at-work", *work)], MAX_AGE)
        hits = index.nearest(*home, Criteria(), NOW, 5, radius_m=0.0, work=work, mode="commute")
        assert [(h.facility.id, h.detour_m) for h in hits] == [("at-home", 0.0), ("at-work", 0.0)]
        # Tied at 0, by id, whichever is nearer the middle of the trip by a rounding error.
        assert ids(index.nearest(*home, Criteria(), NOW, 1, work=work, mode="commute")) == \
            ["at-home"]

    def test_a_candidate_far_from_the_middle_can_still_be_best(self):
        # Walked from the middle of the trip: P1 (100 m off the middle), P2 (300 m off), then C,
        # 18 m behind home on the same line, 904 m from the middle: its lower bound
        # 2 * 904 - 1772 = 36 m is below P2's detour, and its detour (35 m) beats P2's (98 m).
        p1 = facility("p1", 127.01, 37.3009)
        p2 = facility("p2", 127.01, 37.3027)
        c = facility("c", 126.9998, 37.3)
        index = FacilityIndex([p1, p2, c], MAX_AGE)
        hits = index.nearest(*HOME, Criteria(), NOW, 3, work=WORK, mode="commute")
        assert [(h.facility.id, round(h.detour_m)) for h in hits] == [("p1", 11), ("c", 35),
                                                                      ("p2", 98)]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 2, work=WORK, mode="commute")) == \
            ["p1", "c"]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 1, work=WORK, mode="commute")) == ["p1"]
        # Only C and a provider right at the middle: C's bound (36 m) exceeds the middle one's
        # detour (0 m) and the search may stop; with a limit of 2 it must not.
        mid = facility("mid", 127.01, 37.3)
        index = FacilityIndex([mid, c], MAX_AGE)
        assert ids(index.nearest(*HOME, Criteria(), NOW, 2, work=WORK, mode="commute")) == \
            ["mid", "c"]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 1, work=WORK, mode="commute")) == ["mid"]

    def test_beyond_the_detour_limit_the_search_goes_on(self):
        # Walked from the middle: X 400 m off the middle (detour about 170 m), then Y on the
        # straight line 600 m from the middle (detour about 0).
        x = facility("x", 127.01, 37.3036)
        y = facility("y", 127.0032, 37.3)
        hits = FacilityIndex([x, y], MAX_AGE).nearest(*HOME, Criteria(), NOW, 5, radius_m=100,
                                                      work=WORK, mode="commute")
        assert [(h.facility.id, round(h.detour_m)) for h in hits] == [("y", 0)]

    def test_filters_and_availability_on_the_route(self):
        index = FacilityIndex(ROUTE, MAX_AGE)
        hits = index.nearest(*HOME, Criteria(available_only=True), NOW, 5, work=WORK,
                             mode="commute")
        assert [(h.facility.id, fields(h.availability)) for h in hits] == \
            [("b-free", ("available", 3, REPORTED, 30))]
        hits = index.nearest(*HOME, Criteria(), NOW, 5, work=WORK, mode="commute")
        assert [(h.facility.id, fields(h.availability)) for h in hits] == [
            ("a-full", ("full", 0, REPORTED, 30)), ("b-free", ("available", 3, REPORTED, 30)),
            ("c-stale", ("unknown", 3, NOW - timedelta(hours=30), 30 * 60))]

    def test_a_provider_at_the_middle_of_the_trip(self):
        # Placed (to a nanometre) at the middle of the trip in UTM-K: no detour, and the nearest
        # candidate of the walk from the middle.
        to_5179 = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
        (hx, wx), (hy, wy) = to_5179.transform([HOME[0], WORK[0]], [HOME[1], WORK[1]])
        lon, lat = to_5179.transform((hx + wx) / 2, (hy + wy) / 2, direction="INVERSE")
        index = FacilityIndex([facility("mid", lon, lat), facility("off", 127.01, 37.3009)],
                              MAX_AGE)
        hits = index.nearest(*HOME, Criteria(), NOW, 5, radius_m=1.0, work=WORK, mode="commute")
        assert [(h.facility.id, round(h.detour_m, 6)) for h in hits] == [("mid", 0.0)]

    def test_ties_on_detour_by_id(self):
        # Two providers at the same spot: the same detour, ordered by id whichever is walked first.
        same = [facility(i, 127.01, 37.3009) for i in ("t2", "t1", "t3")]
        hits = FacilityIndex(same, MAX_AGE).nearest(*HOME, Criteria(), NOW, 2, work=WORK,
                                                    mode="commute")
        assert ids(hits) == ["t1", "t2"]


class TestEither:
    def test_filters_and_availability_near_either(self):
        index = FacilityIndex(ROUTE, MAX_AGE)
        hits = index.nearest(*HOME, Criteria(available_only=True), NOW, 5, work=WORK,
                             mode="either")
        assert [(h.facility.id, fields(h.availability)) for h in hits] == \
            [("b-free", ("available", 3, REPORTED, 30))]
        hits = index.nearest(*HOME, Criteria(), NOW, 5, work=WORK, mode="either")
        assert [(h.facility.id, h.availability.status) for h in hits] == \
            [("a-full", "full"), ("b-free", "available"), ("c-stale", "unknown")]
        assert all(h.sort_key == h.distance_m for h in hits)

    def test_as_near_to_work_as_to_home_says_home(self):
        f = facility("f", 127.001, 37.3)
        hit = FacilityIndex([f], MAX_AGE).nearest(*HOME, Criteria(), NOW, 1, work=HOME,
                                                  mode="either")[0]
        assert hit.anchor == "home"

    def test_mode_defaults_to_home(self):
        near_work = facility("w", 127.0195, 37.3)
        hit = FacilityIndex([near_work], MAX_AGE).nearest(*HOME, Criteria(), NOW, 1, work=WORK)[0]
        assert (hit.anchor, hit.detour_m) == ("home", None)
        assert 1700 < hit.distance_m < 1750


# --- walking the tree ----------------------------------------------------------------------------
class CountingTree:
    """A k-d tree that counts the candidates asked for."""

    def __init__(self, tree) -> None:
        self.tree, self.n, self.asked = tree, tree.n, []

    def query(self, *args, **kw):
        self.asked.append(kw["k"])
        return self.tree.query(*args, **kw)


class TestWalk:
    line: tuple = tuple(facility(f"f{i:03d}", 127.0 + 0.0002 * (i + 1), 37.3) for i in range(100))

    def test_an_unfiltered_search_asks_the_tree_once(self):
        # Without filters nearly every candidate matches: one query, a little above the limit.
        index = FacilityIndex(self.line, MAX_AGE)
        index.tree = tree = CountingTree(index.tree)
        hits = index.nearest(*HOME, Criteria(), NOW, 10)
        assert ids(hits) == [f"f{i:03d}" for i in range(10)]
        assert len(tree.asked) == 1 and 10 <= tree.asked[0] <= 20
        # 0.0002 degrees of longitude apart: 17.7 m at 37.3 degrees north.
        assert [h.distance_m for h in hits] == \
            pytest.approx([17.7 * (i + 1) for i in range(10)], rel=0.01)
        assert [h.sort_key for h in hits] == [h.distance_m for h in hits]

    def test_a_selective_filter_walks_on_until_enough_match(self):
        # Only the three farthest have places: found after several growing batches.
        places = {i: {"regular": 1} for i in (97, 98, 99)}
        facilities = [facility(f.id, f.lon, f.lat, vacancies=places.get(i, {"regular": 0}),
                               availability_reported_at=NOW - timedelta(hours=1))
                      for i, f in enumerate(self.line)]
        index = FacilityIndex(facilities, MAX_AGE)
        c = Criteria(available_only=True)
        assert ids(index.nearest(*HOME, c, NOW, 3)) == ["f097", "f098", "f099"]
        assert ids(index.nearest(*HOME, c, NOW, 2)) == ["f097", "f098"]

    def test_a_large_limit_returns_every_match(self):
        index = FacilityIndex(self.line[:40], MAX_AGE)
        assert len(index.nearest(*HOME, Criteria(age_months=12), NOW, 133)) == 40
        assert len(index.nearest(*HOME, Criteria(), NOW, 133)) == 40

    @pytest.mark.parametrize("first", range(4))
    def test_ties_held_back_across_batches(self, first):
        # 31 nearer providers without places fill the first batch (32 candidates); then four
        # with places at one spot, one of which the tree returns in the first batch. The
        # nearest is the smallest id of the four, whichever that was.
        busy = [facility(f"b{i:02d}", 127.0 + 0.00002 * (i + 1), 37.3,
                         vacancies={"regular": 0}, availability_reported_at=NOW)
                for i in range(31)]
        names = [f"t{(first + j) % 4}" for j in range(4)]
        tied = [facility(n, 127.001, 37.3, vacancies={"regular": 1}, availability_reported_at=NOW)
                for n in names]
        index = FacilityIndex(busy + tied, MAX_AGE)
        assert ids(index.nearest(*HOME, Criteria(available_only=True), NOW, 1)) == ["t0"]
        assert ids(index.nearest(*HOME, Criteria(available_only=True), NOW, 2)) == ["t0", "t1"]

    def test_take_stops_pulling_batches_at_the_limit(self):
        batches = iter([[(0, 1.0), (1, 2.0)], [(2, 3.0)]])
        assert FacilityIndex._take(batches, 2) == [(0, 1.0), (1, 2.0)]
        assert next(batches) == [(2, 3.0)]  # not walked
        assert FacilityIndex._take(iter([[(0, 1.0)], [(1, 2.0), (2, 3.0)]]), 2) == \
            [(0, 1.0), (1, 2.0)]


# --- the sub-tree cache --------------------------------------------------------------------------
class TestSubTrees:
    # 64 daycares on a line; f00 and f32 take 6-12 year olds (2 in 64, 1 in 32).
    facilities: tuple = tuple(
        facility(f"f{i:02d}", 127.0 + 0.0003 * (i + 1), 37.3,
                 age_min_months=72 if i % 32 == 0 else 0, age_max_months=155 if i % 32 == 0 else 83)
        for i in range(64))

    def test_a_selective_filter_gets_its_own_tree_once(self):
        index = FacilityIndex(self.facilities, MAX_AGE)  # 1 in 32
        c = Criteria(age_months=100)
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["f00", "f32"]
        tree, members = index._tree_for(c)
        assert tree is not index.tree and members.tolist() == [0, 32]
        assert index._tree_for(c)[0] is tree  # built once, then reused
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["f00", "f32"]
        assert len(index._sub_trees) == 1

    def test_a_common_filter_walks_the_whole_tree(self):
        index = FacilityIndex(self.facilities, MAX_AGE)
        tree, members = index._tree_for(Criteria(age_months=30))  # 62 in 64
        assert tree is index.tree and members is None
        index = FacilityIndex(self.facilities[:63], MAX_AGE)  # 2 in 63: more than 1 in 32
        tree, members = index._tree_for(Criteria(age_months=100))
        assert tree is index.tree and members is None
        assert ids(index.nearest(*HOME, Criteria(age_months=100), NOW, 5)) == ["f00", "f32"]

    def test_no_filter_builds_no_tree(self):
        index = FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=1)
        assert len(index.nearest(*HOME, Criteria(), NOW, 5)) == 5
        assert len(index.nearest(*HOME, Criteria(start=NOW, end=NOW + timedelta(hours=1)),
                                 NOW, 5)) == 5
        assert index._sub_trees == {}

    def test_a_single_match(self):
        index = FacilityIndex(self.facilities[1:], MAX_AGE)  # f32 only
        assert ids(index.nearest(*HOME, Criteria(age_months=100), NOW, 5)) == ["f32"]
        assert ids(index.nearest(*HOME, Criteria(age_months=200), NOW, 5)) == []

    def test_least_recently_used_trees_are_dropped(self):
        index = FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=1)
        filters = [Criteria(age_months=a) for a in range(SUB_INDEX_CACHE_SIZE + 44)]
        first = [index._tree_for(c) for c in filters]
        assert len(index._sub_trees) == SUB_INDEX_CACHE_SIZE
        assert index._tree_for(filters[-1]) is first[-1]  # the newest is kept
        assert index._tree_for(filters[44]) is first[44]  # and the oldest kept
        assert index._tree_for(filters[43]) is not first[43]  # dropped, built again
        # A cached tree used again is kept longer than one not used since: 46 is now the
        # oldest; used again, 47 is dropped in its place.
        assert index._tree_for(filters[46]) is first[46]
        index._tree_for(Criteria(age_months=1000))
        assert index._tree_for(filters[46]) is first[46]
        assert index._tree_for(filters[47]) is not first[47]
        assert len(index._sub_trees) == SUB_INDEX_CACHE_SIZE

    def test_the_family_home_is_part_of_the_filter(self):
        # The elementary programme is for 경기도 families: none for a 서울 home, the 수원 centre
        # for a 수원 home, on one index (the first answer must not be reused for the second).
        cc = {"kind": "community_child_center", "age_min_months": 72, "age_max_months": 215,
              "programmes": ELEMENTARY}
        facilities = [facility("cc", 127.01, 37.3, sigungu_code="41113", **cc),
                      *(facility(f"d{i}", 127.0 + 0.001 * i, 37.31) for i in range(40))]
        index = FacilityIndex(facilities, MAX_AGE)
        seoul = Criteria(programmes=ELEMENTARY, home_sigungu_code="11110")
        suwon = Criteria(programmes=ELEMENTARY, home_sigungu_code="41113")
        assert ids(index.nearest(*HOME, seoul, NOW, 5)) == []
        assert ids(index.nearest(*HOME, suwon, NOW, 5)) == ["cc"]
        assert ids(index.nearest(*HOME, seoul, NOW, 5)) == []


# --- static filters together ------------------------------------------------------------------
class TestStaticFilters:
    def test_every_service_asked_for(self):
        index = FacilityIndex([
            facility("night", 127.001, 37.3, services=frozenset({"night"})),
            facility("holiday", 127.002, 37.3, services=frozenset({"holiday"})),
            facility("both", 127.003, 37.3, services=frozenset({"night", "holiday", "24h"})),
            facility("none", 127.004, 37.3),
        ], MAX_AGE)
        assert ids(index.nearest(*HOME, Criteria(services=frozenset({"holiday"})), NOW, 5)) == \
            ["holiday", "both"]
        assert ids(index.nearest(*HOME, Criteria(services=frozenset({"night", "holiday"})),
                                 NOW, 5)) == ["both"]
        assert ids(index.nearest(*HOME, Criteria(services=frozenset({"24h"})), NOW, 5)) == ["both"]

    def test_kind_and_programme_both_apply(self):
        # 수원 runs the elementary programme at both kinds of centre.
        centre = {"programmes": ELEMENTARY, "sigungu_code": "41113", "age_min_months": 72,
                  "age_max_months": 155}
        index = FacilityIndex([
            facility("cc", 127.001, 37.3, kind="community_child_center", **centre),
            facility("tc", 127.002, 37.3, kind="together_care_center", **centre),
            facility("tc-plain", 127.003, 37.3, kind="together_care_center", sigungu_code="41113"),
        ], MAX_AGE)
        assert ids(index.nearest(*HOME, Criteria(programmes=ELEMENTARY), NOW, 5)) == ["cc", "tc"]
        c = Criteria(kinds=frozenset({"together_care_center"}), programmes=ELEMENTARY)
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["tc"]
        c = Criteria(region="41113", programmes=ELEMENTARY, kinds=frozenset({"daycare"}))
        assert ids(index.nearest(*HOME, c, NOW, 5)) == []


# --- the region filter's cache -------------------------------------------------------------------
class TestRegionCache:
    def test_computed_once_per_region_and_bounded(self):
        index = FacilityIndex([facility("a", 127.001, 37.3, sigungu_code="41113"),
                               facility("b", 127.002, 37.3, sigungu_code="41465")], MAX_AGE)
        columns = index.columns
        found = columns.in_region("41110")
        assert found.tolist() == [True, False] and found.dtype == bool
        assert columns.in_region("41110") is found
        for i in range(1, 1024):
            columns.in_region(f"x{i}")
        assert len(columns._in_region) == 1024
        columns.in_region("x1024")  # the 1025th region empties the cache first
        assert len(columns._in_region) == 1
        assert columns.in_region("41110") is not found
        assert columns.in_region("41110").tolist() == [True, False]

    def test_filters_with_no_home_visit_providers(self):
        # The home-visit providers' columns are empty arrays: every filter still applies.
        index = FacilityIndex([facility("a", 127.001, 37.3, sigungu_code="41113",
                                        services=frozenset({"night"}))], MAX_AGE)
        both = frozenset({"home_visit_provider", "daycare"})
        c = Criteria(kinds=both, home_sigungu_code="41113", region="41110")
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["a"]
        assert index.home_visit_columns.in_region("41110").dtype == bool
        c = Criteria(kinds=both, home_sigungu_code="41113", services=frozenset({"night"}))
        assert ids(index.nearest(*HOME, c, NOW, 5)) == ["a"]
        c = Criteria(programmes=frozenset({"home_visit_emergency"}), home_sigungu_code="41113")
        assert ids(index.nearest(*HOME, c, NOW, 5)) == []


# --- unknown ages and hours ----------------------------------------------------------------------
class TestUnknowns:
    def test_unknown_ages_never_match_an_age(self):
        index = FacilityIndex([
            facility("no-min", 127.001, 37.3, age_min_months=None, age_max_months=83),
            facility("no-max", 127.002, 37.3, age_min_months=0, age_max_months=None),
            facility("known", 127.003, 37.3, age_min_months=0, age_max_months=83),
        ], MAX_AGE)
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5)) == ["no-min", "no-max", "known"]
        for age in (0, 12, 83):
            assert ids(index.nearest(*HOME, Criteria(age_months=age), NOW, 5)) == ["known"]

    def test_unknown_hours_are_never_open(self):
        index = FacilityIndex([facility("no-hours", 127.001, 37.3, hours=None),
                               facility("weekdays", 127.002, 37.3)], MAX_AGE)
        window = Criteria(start=NOW, end=NOW + timedelta(hours=1))
        assert ids(index.nearest(*HOME, window, NOW, 5)) == ["weekdays"]
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5)) == ["no-hours", "weekdays"]

    def test_a_start_without_an_end_filters_nothing(self):
        index = FacilityIndex([facility("weekdays", 127.001, 37.3)], MAX_AGE)
        sunday = datetime(2026, 11, 29, 10, 0, tzinfo=SEOUL)
        assert ids(index.nearest(*HOME, Criteria(start=sunday), NOW, 5)) == ["weekdays"]
        assert ids(index.nearest(*HOME, Criteria(start=sunday, end=sunday + timedelta(hours=1)),
                                 NOW, 5)) == []


# --- another registry: its time zone and metric CRS ----------------------------------------------
class TestOtherRegistry:
    ontario = RegistryLocale("America/Toronto", "CA-ON", (-79.7, 43.55, -79.05, 43.9))

    def test_window_given_in_another_zone_is_read_in_the_registry_zone(self):
        # 00:00-01:00 UTC on Monday is 09:00-10:00 in Seoul: open (weekdays 07:30-19:30).
        index = FacilityIndex([facility("a", 127.001, 37.3)], MAX_AGE)
        utc = Criteria(start=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
                       end=datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
        assert ids(index.nearest(*HOME, utc, NOW, 5)) == ["a"]
        # 23:00-24:00 UTC on Sunday is also 08:00-09:00 on Monday in Seoul.
        sunday_utc = Criteria(start=datetime(2026, 11, 22, 23, 0, tzinfo=UTC),
                              end=datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
        assert ids(index.nearest(*HOME, sunday_utc, NOW, 5)) == ["a"]

    def test_distances_in_the_registry_metric_crs(self):
        # Toronto: UTM zone 17N, not UTM-K (6 % off there); within 0.5 % of the geodesic.
        home, work = (-79.38, 43.65), (-79.40, 43.66)
        f = facility("t", -79.37, 43.655, hours=None)
        index = FacilityIndex([f], MAX_AGE, locale=self.ontario)
        true_home = float(geodesic_distance_m(*home, f.lon, f.lat))
        true_work = float(geodesic_distance_m(*work, f.lon, f.lat))
        assert 900 < true_home < 1000
        hit = index.nearest(*home, Criteria(), NOW, 1)[0]
        assert hit.distance_m == pytest.approx(true_home, rel=0.005)
        hit = index.nearest(*home, Criteria(), NOW, 1, work=work, mode="either")[0]
        assert (hit.anchor, hit.distance_m) == ("home", pytest.approx(true_home, rel=0.005))
        hit = index.nearest(*home, Criteria(), NOW, 1, work=work, mode="commute")[0]
        base = float(geodesic_distance_m(*home, *work))
        assert hit.detour_m == pytest.approx(true_home + true_work - base, rel=0.01)


# --- availability: every branch, every field -----------------------------------------------------
class TestAvailabilityBranches:
    def availability(self, f, live=None, now=NOW):
        index = FacilityIndex([f], MAX_AGE, live=live)
        return fields(index.nearest(*HOME, Criteria(), now, 1)[0].availability)

    def test_reports_from_a_clock_ahead_are_zero_minutes_old(self):
        ahead = NOW + timedelta(minutes=3)
        closure = Closure(NOW - timedelta(hours=1), NOW + timedelta(hours=1), "closed today")
        f = facility("a", 127.001, 37.3)
        closed = Overlay({"a": report(ahead, {"regular": 4}, [closure])})
        assert self.availability(f, closed) == ("closed", 0, ahead, 0)
        no_figure = Overlay({"a": report(ahead, {"always_daycare": 1})})
        assert self.availability(f, no_figure) == ("unknown", None, ahead, 0)
        unreachable = Overlay({"a": report(ahead, {"regular": 4})}, reachable=False)
        assert self.availability(f, unreachable) == ("unknown", 4, ahead, 0)
        assert self.availability(f, Overlay({"a": report(ahead, {"regular": 4})})) == \
            ("available", 4, ahead, 0)

    def test_report_times_in_every_branch(self):
        reported = NOW - timedelta(minutes=61)
        f = facility("a", 127.001, 37.3)
        assert self.availability(f, Overlay({"a": report(reported, {"always_daycare": 1})})) == \
            ("unknown", None, reported, 61)
        assert self.availability(f, Overlay({"a": report(reported)}, reachable=False)) == \
            ("unknown", 2, reported, 61)
        stale = NOW - timedelta(hours=30)
        assert self.availability(f, Overlay({"a": report(stale)})) == \
            ("unknown", 2, stale, 30 * 60)
        registry = facility("a", 127.001, 37.3, vacancies={"regular": 1},
                            availability_reported_at=stale)
        assert self.availability(registry) == ("unknown", 1, stale, 30 * 60)

    def test_a_report_without_closures_is_not_closed(self):
        f = facility("a", 127.001, 37.3)
        reported = NOW - timedelta(minutes=5)
        assert self.availability(f, Overlay({"a": report(reported, {"regular": 0})})) == \
            ("full", 0, reported, 5)

    def test_one_place_is_available(self):
        f = facility("a", 127.001, 37.3, vacancies={"regular": 1},
                     availability_reported_at=NOW - timedelta(minutes=2))
        assert self.availability(f)[:2] == ("available", 1)


class TestHomeVisitHits:
    def test_availability_of_home_visits(self):
        reported = NOW - timedelta(minutes=30)
        area = frozenset({"41117"})
        hv = [facility("hv-full", 127.5, 37.0, kind="home_visit_provider", vacancies={"regular": 0},
                       availability_reported_at=reported, service_area_sigungu_codes=area),
              facility("hv-free", 127.5, 37.0, kind="home_visit_provider", vacancies={"regular": 2},
                       availability_reported_at=reported, service_area_sigungu_codes=area)]
        index = FacilityIndex(hv, MAX_AGE)
        c = Criteria(kinds=frozenset({"home_visit_provider"}), home_sigungu_code="41117")
        assert [(h.facility.id, fields(h.availability)) for h in index.nearest(*HOME, c, NOW, 5)] \
            == [("hv-free", ("available", 2, reported, 30)), ("hv-full", ("full", 0, reported, 30))]
        available = Criteria(kinds=c.kinds, home_sigungu_code="41117", available_only=True)
        assert ids(index.nearest(*HOME, available, NOW, 5)) == ["hv-free"]

    def test_home_visits_sort_before_every_distance(self):
        hv = facility("hv", 127.5, 37.0, kind="home_visit_provider",
                      service_area_sigungu_codes=frozenset({"41117"}))
        at_home = facility("dc", *HOME)
        c = Criteria(kinds=frozenset({"home_visit_provider", "daycare"}), home_sigungu_code="41117")
        hits = FacilityIndex([hv, at_home], MAX_AGE).nearest(*HOME, c, NOW, 5)
        assert [(h.facility.id, h.anchor, h.distance_m, h.detour_m, h.sort_key) for h in hits] == \
            [("hv", "home_visit", None, None, -1.0),
             ("dc", "home", pytest.approx(0.0, abs=1e-6), None, pytest.approx(0.0, abs=1e-6))]
