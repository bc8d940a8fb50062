"""Index features and outputs the property tests never assert (issue 12, item 24): a
provider's changed hours for a date and its live closures, the sub-tree cache across different
filters on one index, the commute and either anchors, ``age_minutes`` and ``reported_at``, the
home-visit ordering, and the database being out of reach. Every answer is checkable by hand."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from pyproj import Transformer

from app.live.record import Closure, LiveRecord
from app.search.index import Criteria, FacilityIndex

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SEOUL)  # a Monday
MON = date(2026, 11, 23)
SAT = date(2026, 11, 28)
MAX_AGE = timedelta(hours=24)
HOME = (127.0, 37.3)
_TO_5179 = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)


def at(day: date, h: int, m: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=SEOUL)


def window(day: date, h1: int, h2: int) -> Criteria:
    return Criteria(start=at(day, h1), end=at(day, h2))


def metres(a, b) -> float:
    (ax, ay), (bx, by) = _TO_5179.transform(*a), _TO_5179.transform(*b)
    return math.hypot(ax - bx, ay - by)


class Overlay:
    """The live layer: reports by provider id (app.live.service.LiveOverlay's interface)."""

    def __init__(self, records: dict[str, LiveRecord], reachable: bool = True) -> None:
        self.records = records
        self.reachable = reachable

    def get(self, facility_id: str) -> LiveRecord | None:
        return self.records.get(facility_id)


def report(reported_at=NOW - timedelta(minutes=10), vacancies=None, hours=None, closures=()):
    return LiveRecord(version=1, reported_at=reported_at, reported_by="t1",
                      vacancies=vacancies if vacancies is not None else {"regular": 2},
                      hours=hours or {}, closures=tuple(closures))


def ids(hits) -> list[str]:
    return [h.facility.id for h in hits]


class TestChangedHoursInTheIndex:
    near = facility("a-near", 127.001, 37.3)  # weekdays 07:30-19:30
    far = facility("b-far", 127.003, 37.3)

    def index(self, hours) -> FacilityIndex:
        return FacilityIndex([self.near, self.far], MAX_AGE,
                             live=Overlay({"a-near": report(hours=hours)}))

    def test_shorter_hours_for_one_date(self):
        index = self.index({MON: ((780, 1170),)})  # 13:00-19:30 on that Monday only
        assert ids(index.nearest(*HOME, window(MON, 9, 10), NOW, 5)) == ["b-far"]
        assert ids(index.nearest(*HOME, window(MON, 13, 14), NOW, 5)) == ["a-near", "b-far"]
        nxt = MON + timedelta(days=7)
        assert ids(index.nearest(*HOME, window(nxt, 9, 10), NOW, 5)) == ["a-near", "b-far"]

    def test_closed_for_a_date(self):
        index = self.index({MON: ()})
        assert ids(index.nearest(*HOME, window(MON, 9, 10), NOW, 5)) == ["b-far"]

    def test_extra_hours_on_a_day_it_is_usually_closed(self):
        index = self.index({SAT: ((540, 720),)})  # Saturday 09:00-12:00
        assert ids(index.nearest(*HOME, window(SAT, 9, 12), NOW, 5)) == ["a-near"]
        assert ids(index.nearest(*HOME, window(SAT, 9, 13), NOW, 5)) == []

    def test_changed_hours_without_a_window_change_nothing(self):
        index = self.index({MON: ()})
        assert ids(index.nearest(*HOME, Criteria(), NOW, 5)) == ["a-near", "b-far"]


class TestLiveClosures:
    near = facility("a-near", 127.001, 37.3, vacancies={"regular": 3},
                    availability_reported_at=NOW - timedelta(hours=1))
    far = facility("b-far", 127.003, 37.3)
    closed_at = NOW - timedelta(minutes=30)

    def index(self) -> FacilityIndex:
        closure = Closure(at(MON, 11), at(MON, 18), "water leak")
        rec = report(reported_at=self.closed_at, vacancies={"regular": 4}, closures=[closure])
        return FacilityIndex([self.near, self.far], MAX_AGE, live=Overlay({"a-near": rec}))

    def test_window_overlapping_a_closure(self):
        index = self.index()
        assert ids(index.nearest(*HOME, window(MON, 12, 13), NOW, 5)) == ["b-far"]
        assert ids(index.nearest(*HOME, window(MON, 9, 19), NOW, 5)) == ["b-far"]

    def test_window_touching_a_closure_is_open(self):
        index = self.index()
        # Ends exactly when the closure starts; starts exactly when it ends.
        assert ids(index.nearest(*HOME, window(MON, 10, 11), NOW, 5)) == ["a-near", "b-far"]
        assert ids(index.nearest(*HOME, window(MON, 18, 19), NOW, 5)) == ["a-near", "b-far"]

    def test_closed_now(self):
        hit = self.index().nearest(*HOME, Criteria(), NOW, 1)[0]
        a = hit.availability
        assert (hit.facility.id, a.status, a.places, a.reported_at, a.age_minutes) == \
            ("a-near", "closed", 0, self.closed_at, 30)
        assert ids(self.index().nearest(*HOME, Criteria(available_only=True), NOW, 5)) == []

    def test_not_closed_after_the_closure(self):
        later = at(MON, 18)
        a = self.index().nearest(*HOME, Criteria(), later, 1)[0].availability
        assert (a.status, a.places, a.age_minutes) == ("available", 4, 6 * 60 + 30)


class TestAvailabilityOutputs:
    def hit(self, f, now=NOW, live=None):
        return FacilityIndex([f], MAX_AGE, live=live).nearest(*HOME, Criteria(), now, 1)[0] \
            .availability

    def test_registry_figure(self):
        reported = NOW - timedelta(minutes=90, seconds=59)
        a = self.hit(facility("a", 127.001, 37.3, vacancies={"regular": 2},
                              availability_reported_at=reported))
        assert (a.status, a.places, a.reported_at, a.age_minutes) == \
            ("available", 2, reported, 90)

    def test_zero_places_is_full(self):
        a = self.hit(facility("a", 127.001, 37.3, vacancies={"regular": 0},
                              availability_reported_at=NOW - timedelta(minutes=5)))
        assert (a.status, a.places, a.age_minutes) == ("full", 0, 5)

    def test_exactly_max_age_is_fresh_one_second_more_is_not(self):
        f = facility("a", 127.001, 37.3, vacancies={"regular": 1},
                     availability_reported_at=NOW - MAX_AGE)
        assert (self.hit(f).status, self.hit(f).age_minutes) == ("available", 24 * 60)
        late = self.hit(f, now=NOW + timedelta(seconds=1))
        assert (late.status, late.places, late.age_minutes) == ("unknown", 1, 24 * 60)

    def test_report_from_a_clock_ahead_is_zero_minutes_old(self):
        a = self.hit(facility("a", 127.001, 37.3, vacancies={"regular": 1},
                              availability_reported_at=NOW + timedelta(minutes=3)))
        assert (a.status, a.age_minutes) == ("available", 0)

    def test_no_figure_or_no_time(self):
        a = self.hit(facility("a", 127.001, 37.3, vacancies={"regular": 1}))
        assert (a.status, a.places, a.reported_at, a.age_minutes) == ("unknown", None, None, None)
        reported = NOW - timedelta(hours=1)
        a = self.hit(facility("a", 127.001, 37.3, availability_reported_at=reported))
        assert (a.status, a.places, a.reported_at, a.age_minutes) == \
            ("unknown", None, reported, None)

    def test_programme_places_count_for_a_programme(self):
        f = facility("a", 127.001, 37.3, vacancies={"regular": 0, "always_daycare": 2},
                     availability_reported_at=NOW - timedelta(minutes=1))
        assert Criteria(programmes=frozenset({"always_daycare"})).vacancy_key == "always_daycare"
        assert Criteria().vacancy_key == "regular"
        assert self.hit(f).status == "full"

    def test_live_report_replaces_the_registry(self):
        f = facility("a", 127.001, 37.3, vacancies={"regular": 0},
                     availability_reported_at=NOW - timedelta(hours=2))
        live = Overlay({"a": report(reported_at=NOW - timedelta(minutes=7),
                                    vacancies={"regular": 5})})
        a = self.hit(f, live=live)
        assert (a.status, a.places, a.reported_at, a.age_minutes) == \
            ("available", 5, NOW - timedelta(minutes=7), 7)

    def test_live_report_without_the_figure(self):
        f = facility("a", 127.001, 37.3)
        live = Overlay({"a": report(reported_at=NOW - timedelta(minutes=7),
                                    vacancies={"always_daycare": 5})})
        a = self.hit(f, live=live)
        assert (a.status, a.places, a.age_minutes) == ("unknown", None, 7)

    def test_stale_live_report(self):
        live = Overlay({"a": report(reported_at=NOW - timedelta(hours=25), vacancies={"regular": 5})})
        a = self.hit(facility("a", 127.001, 37.3), live=live)
        assert (a.status, a.places, a.age_minutes) == ("unknown", 5, 25 * 60)

    def test_database_out_of_reach(self):
        # Last known figures are shown but not vouched for: unknown, never available.
        live = Overlay({"a": report(vacancies={"regular": 5})}, reachable=False)
        a = self.hit(facility("a", 127.001, 37.3), live=live)
        assert (a.status, a.places, a.age_minutes) == ("unknown", 5, 10)
        f = facility("b", 127.001, 37.3, vacancies={"regular": 3},
                     availability_reported_at=NOW - timedelta(minutes=5))
        a = self.hit(f, live=Overlay({}, reachable=False))
        assert (a.status, a.places, a.age_minutes) == ("unknown", 3, 5)
        index = FacilityIndex([f], MAX_AGE, live=Overlay({}, reachable=False))
        assert index.nearest(*HOME, Criteria(available_only=True), NOW, 1) == []


class TestSubTreeCache:
    """One long-lived index answers every filter as a fresh index does, in any order: the
    cached sub-trees are kept per filter, never shared between filters."""

    facilities: ClassVar = [
        facility(f"f{i:02d}", 127.0 + 0.0007 * i, 37.3 + 0.0003 * (i % 4),
                 kind=("daycare", "community_child_center", "together_care_center")[i % 3],
                 age_min_months=(0, 72)[i % 2], age_max_months=(83, 155)[i % 2],
                 services=frozenset({"night"}) if i % 5 == 0 else frozenset())
        for i in range(30)
    ]
    filters: ClassVar = [
        Criteria(age_months=100),
        Criteria(age_months=30),
        Criteria(kinds=frozenset({"community_child_center"})),
        Criteria(kinds=frozenset({"daycare"})),
        Criteria(kinds=frozenset({"daycare"}), age_months=30),
        Criteria(services=frozenset({"night"})),
        Criteria(kinds=frozenset({"daycare"}), services=frozenset({"night"})),
    ]

    @pytest.mark.parametrize("share", [1, 32])
    def test_every_order_of_filters(self, share):
        fresh = {c: ids(FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=share)
                        .nearest(*HOME, c, NOW, 6)) for c in self.filters}
        assert len(set(map(tuple, fresh.values()))) == len(self.filters)  # all different
        for order in (self.filters, self.filters[::-1],
                      list(itertools.chain(self.filters, self.filters))):
            index = FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=share)
            for c in order:
                assert ids(index.nearest(*HOME, c, NOW, 6)) == fresh[c], c

    def test_by_hand(self):
        index = FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=1)
        assert ids(index.nearest(*HOME, Criteria(age_months=100), NOW, 3)) == \
            ["f01", "f03", "f05"]
        assert ids(index.nearest(*HOME, Criteria(kinds=frozenset({"community_child_center"})),
                                 NOW, 3)) == ["f01", "f04", "f07"]
        assert ids(index.nearest(*HOME, Criteria(age_months=100), NOW, 3)) == \
            ["f01", "f03", "f05"]

    def test_filter_matching_nothing(self):
        index = FacilityIndex(self.facilities, MAX_AGE, sub_index_max_share=1)
        assert index.nearest(*HOME, Criteria(age_months=500), NOW, 3) == []
        assert ids(index.nearest(*HOME, Criteria(age_months=30), NOW, 2)) == ["f00", "f02"]


class TestAnchors:
    home, work = (127.0, 37.3), (127.02, 37.3)

    def test_commute_anchor_detour_and_distance(self):
        on_way = facility("on_way", 127.01, 37.3005)
        behind = facility("behind", 126.997, 37.3)
        hits = FacilityIndex([on_way, behind], MAX_AGE).nearest(
            *self.home, Criteria(), NOW, 2, work=self.work, mode="commute")
        base = metres(self.home, self.work)
        for hit, f in zip(hits, (on_way, behind), strict=True):
            dh, dw = metres(self.home, (f.lon, f.lat)), metres((f.lon, f.lat), self.work)
            assert hit.facility.id == f.id and hit.anchor == "route"
            assert hit.detour_m == pytest.approx(dh + dw - base, abs=1e-6)
            assert hit.sort_key == hit.detour_m
            assert hit.distance_m == pytest.approx(min(dh, dw), abs=1e-6)
        assert hits[1].detour_m == pytest.approx(2 * metres(self.home, (126.997, 37.3)), abs=0.01)

    def test_commute_detour_limit(self):
        on_way = facility("on_way", 127.01, 37.3005)
        behind = facility("behind", 126.997, 37.3)  # a detour of about 530 m
        index = FacilityIndex([on_way, behind], MAX_AGE)
        hits = index.nearest(*self.home, Criteria(), NOW, 5, radius_m=100, work=self.work,
                             mode="commute")
        assert ids(hits) == ["on_way"]

    def test_either_says_which_anchor(self):
        near_home = facility("h", 127.001, 37.3)
        near_work = facility("w", 127.0195, 37.3)
        hits = FacilityIndex([near_home, near_work], MAX_AGE).nearest(
            *self.home, Criteria(), NOW, 2, work=self.work, mode="either")
        assert [(h.facility.id, h.anchor) for h in hits] == [("w", "work"), ("h", "home")]
        assert hits[0].distance_m == pytest.approx(metres(self.work, (127.0195, 37.3)), abs=1e-6)
        assert hits[0].detour_m is None and hits[0].walking_minutes is not None

    def test_home_mode_ignores_work(self):
        near_work = facility("w", 127.0195, 37.3)
        hit = FacilityIndex([near_work], MAX_AGE).nearest(*self.home, Criteria(), NOW, 1,
                                                          work=self.work, mode="home")[0]
        assert (hit.anchor, hit.detour_m) == ("home", None)
        assert hit.distance_m == pytest.approx(metres(self.home, (127.0195, 37.3)), abs=1e-6)


class TestHomeVisitOrdering:
    hv: ClassVar = [facility(i, 127.5, 37.0, kind="home_visit_provider", age_max_months=155,
                   service_area_sigungu_codes=frozenset({"41117", "41115"}))
          for i in ("hv-c", "hv-a", "hv-b")]
    other_area = facility("hv-0", 127.5, 37.0, kind="home_visit_provider", age_max_months=155,
                          service_area_sigungu_codes=frozenset({"41135"}))
    closed = facility("hv-00", 127.5, 37.0, kind="home_visit_provider", status="폐지",
                      service_area_sigungu_codes=frozenset({"41117"}))
    centre = facility("dc", 127.0451, 37.2636)
    c = Criteria(kinds=frozenset({"home_visit_provider", "daycare"}), home_sigungu_code="41117")

    def index(self) -> FacilityIndex:
        return FacilityIndex([*self.hv, self.other_area, self.closed, self.centre], MAX_AGE)

    def test_home_visits_first_by_id_then_centres_by_distance(self):
        hits = self.index().nearest(127.045, 37.2636, self.c, NOW, 10)
        assert [(h.facility.id, h.anchor, h.distance_m, h.walking_minutes) for h in hits[:3]] \
            == [("hv-a", "home_visit", None, None), ("hv-b", "home_visit", None, None),
                ("hv-c", "home_visit", None, None)]
        assert ids(hits) == ["hv-a", "hv-b", "hv-c", "dc"]
        assert hits[3].anchor == "home" and hits[3].distance_m < 20

    def test_limit_cuts_the_home_visits(self):
        assert ids(self.index().nearest(127.045, 37.2636, self.c, NOW, 2)) == ["hv-a", "hv-b"]

    def test_only_when_asked_and_the_home_is_known(self):
        index = self.index()
        assert ids(index.nearest(127.045, 37.2636, Criteria(home_sigungu_code="41117"),
                                 NOW, 10)) == ["dc"]
        no_home = Criteria(kinds=frozenset({"home_visit_provider"}))
        assert index.nearest(127.045, 37.2636, no_home, NOW, 10) == []

    def test_home_visits_need_the_window_open(self):
        sunday = Criteria(kinds=frozenset({"home_visit_provider"}), home_sigungu_code="41117",
                          start=at(date(2026, 11, 29), 10), end=at(date(2026, 11, 29), 11))
        assert self.index().nearest(127.045, 37.2636, sunday, NOW, 10) == []
