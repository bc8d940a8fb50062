"""The orchestrated measures on a hand-checkable fixture: periods, levels, scenarios."""

from datetime import date

import numpy as np
import pytest

from app.geo.crs import geodesic_distance_m, to_metric
from app.planning.analysis import Analysis, AnalysisError
from app.planning.demand import units_from_points
from app.planning.periods import reference_day, windows
from app.planning.scenario import ScenarioError, apply_scenario, compare, parse_scenario
from app.search.hours import WeeklyHours
from tests.conftest import facility

WEEK_OF = date(2026, 11, 23)  # a Monday
A = (127.0100, 37.3000)
B = (127.0300, 37.3000)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
AREA = dict(sigungu_code="41111", emd_code="41111129")


@pytest.fixture
def units(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text(f"lon,lat,age_0_9,age_10_19\n{A[0]},{A[1]},100,0\n{B[0]},{B[1]},100,0\n")
    return units_from_points(path)


def registry():
    night = WeeklyHours.from_mapping({d: ["07:30-24:00"] for d in WEEKDAYS})
    holiday = WeeklyHours.from_mapping({"holiday": ["07:30-19:30"], "sat": ["09:00-18:00"],
                                        "sun": ["09:00-18:00"]})
    return [
        facility("day", *A, capacity=40, **AREA),
        facility("night", B[0] + 0.005, B[1], capacity=10, hours=night, **AREA),
        facility("holiday", B[0], B[1] + 0.01, capacity=30, hours=holiday, **AREA),
        facility("closed", *A, capacity=99, status="폐지", **AREA),
    ]


def test_reference_days_use_korean_holidays():
    assert reference_day("weekday", WEEK_OF) == WEEK_OF
    assert reference_day("holiday", WEEK_OF) == date(2026, 12, 25)  # 성탄절, a Friday
    assert reference_day("sunday", WEEK_OF) == date(2026, 11, 29)
    start, end = windows("24h", WEEK_OF)[0]
    assert (end - start).total_seconds() == 24 * 3600


def test_measures_by_period(units):
    a = Analysis(units, registry(), WEEK_OF)
    day = a.measures("daycare", "day", "sigungu").iloc[0]
    # Ages 0-6 of an evenly split 0-9 band: 70 children per point.
    assert day["children"] == pytest.approx(140)
    assert day["places"] == 50  # day + night providers; the closed one never counts
    d_b = float(geodesic_distance_m(B[0], B[1], B[0] + 0.005, B[1]))
    assert day["nearest_m"] == pytest.approx((0 + d_b) / 2, rel=0.005)
    assert day["share_500"] == 1.0
    night = a.measures("daycare", "night", "sigungu").iloc[0]
    assert night["places"] == 10
    d_a = float(geodesic_distance_m(A[0], A[1], B[0] + 0.005, B[1]))
    assert night["nearest_m"] == pytest.approx((d_a + d_b) / 2, rel=0.005)
    assert night["share_500"] == 0.5
    # 2SFCA at night: 10 places shared by the 70 children within 1,500 m (B only; A is 2.2 km off).
    assert d_a > 1500
    assert night["sfca"] == pytest.approx(0.5 * 10 / 70)
    holiday = a.measures("daycare", "holiday", "sigungu").iloc[0]
    assert holiday["places"] == 30
    assert not day["desert"]  # 140 children, not more than 3 x 50 places
    assert holiday["desert"] and night["desert"]  # 140 > 3 x 30; 140 > 3 x 10


def test_levels_and_errors(units):
    a = Analysis(units, registry(), WEEK_OF)
    cells = a.measures("daycare", "day", "grid")
    assert len(cells) == 2 and cells["children"].sum() == pytest.approx(140)
    assert a.measures("daycare", "day", "emd")["children"].sum() == pytest.approx(140)
    with pytest.raises(AnalysisError, match="unknown service 'nope'; allowed: daycare"):
        a.measures("nope", "day", "grid")
    with pytest.raises(AnalysisError, match="unknown period"):
        a.measures("daycare", "dusk", "grid")


def test_scenario_close_add_resize(units):
    base = registry()
    ids = {f.id: f for f in base}
    scenario = parse_scenario({"close": ["day"],
                               "add": [{"lon": B[0], "lat": B[1], "service": "daycare",
                                        "capacity": 50, "hours_preset": "standard_daycare"}],
                               "resize": [{"id": "night", "capacity": 12}]}, ids)
    changed = apply_scenario(base, scenario)
    assert {f.id for f in changed} == {"night", "holiday", "closed", "scenario-1"}
    before = Analysis(units, base, WEEK_OF).measures("daycare", "day", "sigungu")
    after = Analysis(units, changed, WEEK_OF).measures("daycare", "day", "sigungu")
    assert after.iloc[0]["places"] == 62
    cmp = compare(before, after)
    assert cmp.table.iloc[0]["places_change"] == 12
    assert cmp.summary["share_500_baseline"] == 1.0 and cmp.summary["share_500_scenario"] == 0.5


@pytest.mark.parametrize("data, field, message", [
    ({"close": ["nope"]}, "close[0]", "no provider"),
    ({"add": [{"lon": 127.0, "lat": 37.3, "service": "home_visit_emergency", "capacity": 5}]},
     "add[0].service", "must be one of"),
    ({"add": [{"lon": 129.0, "lat": 35.1, "service": "daycare", "capacity": 5}]},
     "add[0].lon", "not in 경기도"),
    ({"add": [{"lon": 127.0, "lat": 37.3, "service": "daycare", "capacity": 2.5}]},
     "add[0].capacity", "whole number"),
    ({"resize": [{"id": "day", "capacity": -1}]}, "resize[0].capacity", "between"),
    ({"move": []}, "scenario", "unknown scenario part"),
])
def test_bad_scenarios(data, field, message):
    with pytest.raises(ScenarioError, match=message) as err:
        parse_scenario(data, {f.id: f for f in registry()})
    assert err.value.field == field


def test_demand_points_in_metres(units):
    x, y = to_metric(*A)
    assert np.isclose(units.x_m[0], x) and np.isclose(units.y_m[0], y)
