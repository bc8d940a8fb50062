"""Issue 14, the planner's speed: what does not depend on the period is computed once per
service, the demand units are kept between runs, and the page's data request (map areas,
table rows, desert layers one period at a time), its site suggestion and the admin report
work on the planner's session."""

from datetime import date

import numpy as np
import pytest

from app.extensions.db import get_engine
from app.live import tokens
from app.planning.analysis import Analysis
from app.planning.demand import units_from_points
from app.planning.store import PlanningStore
from app.search.hours import WeeklyHours
from tests.conftest import facility

WEEK_OF = date(2026, 11, 23)  # a Monday
AREA = dict(sigungu_code="41111", emd_code="41111129")


@pytest.fixture
def units(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,age_0_9,age_10_19\n127.0100,37.3000,100,0\n127.0300,37.3000,100,0\n"
                    "127.0500,37.3100,50,0\n")
    return units_from_points(path)


def _facilities():
    night = WeeklyHours.from_mapping({d: ["07:30-24:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
    return [facility("day", 127.0100, 37.3000, capacity=40, **AREA),
            facility("night", 127.0350, 37.3000, capacity=10, hours=night, **AREA),
            facility("far", 127.0500, 37.3100, capacity=20, hours=night, **AREA)]


def test_period_pairs_are_the_service_pairs_filtered(units, monkeypatch):
    """The night measures from the service's pairs (all hours, filtered to the open providers)
    equal those from pairs built for the night alone: 'night' and 'far' are open at night,
    'day' (07:30–19:30) is not."""
    shared = Analysis(units, _facilities(), WEEK_OF)
    night = shared.unit_measures("daycare", "night")
    assert ("daycare", max(shared.params.catchment_m, shared.params.bands_m[-1])) in \
        shared._unit_cache["service_pairs"]
    monkeypatch.setattr(Analysis, "_service_pairs", lambda self, service, reach: None)
    alone = Analysis(units, _facilities(), WEEK_OF).unit_measures("daycare", "night")
    assert list(night.supply.ids) == list(alone.supply.ids) == ["night", "far"]
    for a, b in ((night.sfca, alone.sfca), (night.e2sfca, alone.e2sfca),
                 (night.nearest_m, alone.nearest_m)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # by hand: B is the only demand within 1,500 m of 'night' (10 places, about 440 m away;
    # A is 2.2 km away), and 'far' (20 places) sits on C, with half B's children
    assert night.children[2] == pytest.approx(night.children[1] / 2)
    assert night.sfca[1] == pytest.approx(10 / night.children[1])
    assert night.sfca[2] == pytest.approx(20 / night.children[2])
    assert night.sfca[0] == 0.0


def test_the_same_analysis_is_computed_once_across_threads(units):
    import threading

    a = Analysis(units, _facilities(), WEEK_OF)
    calls = []
    real = a._compute_units

    def counted(service, period):
        calls.append((service, period))
        return real(service, period)

    a._compute_units = counted  # type: ignore[method-assign]
    threads = [threading.Thread(target=a.unit_measures, args=("daycare", "day")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [("daycare", "day")]


def test_demand_units_are_kept_between_runs(tmp_path, monkeypatch):
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,age_0_9,age_10_19\n127.0100,37.3000,100,0\n")
    first = PlanningStore(None, path, "points", 500.0, synthetic=False)  # type: ignore[arg-type]
    first.cache_dir = tmp_path / "cache"
    kept = first.units
    assert len(list((tmp_path / "cache").glob("demand-units-*.pickle"))) == 1

    def no_read(*a, **kw):
        raise AssertionError("the demand file was read again")

    import app.planning.store as store_module
    monkeypatch.setattr(store_module, "units_from_points", no_read)
    again = PlanningStore(None, path, "points", 500.0, synthetic=False)  # type: ignore[arg-type]
    again.cache_dir = tmp_path / "cache"
    np.testing.assert_array_equal(again.units.years, kept.years)
    # another file's content is another cache entry: read, not the kept one
    path.write_text("lon,lat,age_0_9,age_10_19\n127.0100,37.3000,50,0\n")
    changed = PlanningStore(None, path, "points", 500.0, synthetic=False)  # type: ignore[arg-type]
    changed.cache_dir = tmp_path / "cache"
    with pytest.raises(AssertionError, match="read again"):
        _ = changed.units


def test_a_broken_kept_file_is_read_again(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,age_0_9,age_10_19\n127.0100,37.3000,100,0\n")
    store = PlanningStore(None, path, "points", 500.0, synthetic=False)  # type: ignore[arg-type]
    store.cache_dir = tmp_path / "cache"
    _ = store.units
    kept = next((tmp_path / "cache").glob("demand-units-*.pickle"))
    kept.write_bytes(b"not a pickle")
    again = PlanningStore(None, path, "points", 500.0, synthetic=False)  # type: ignore[arg-type]
    again.cache_dir = tmp_path / "cache"
    assert float(again.units.years.sum()) == pytest.approx(100.0)


# --- the page's requests over the demo registry -------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    app = create_app({"TESTING": True, "PLANNER_WARM_UP": False},
                     instance_path=str(tmp_path_factory.mktemp("inst")))
    yield app
    with app.app_context():
        get_engine().dispose()


@pytest.fixture(scope="module")
def signed_in(app):
    with app.app_context():
        token = tokens.issue(get_engine(), "admin")
    client = app.test_client()
    assert client.post("/planner/login", data={"token": token}).status_code == 302
    return client


def test_data_needs_the_session(app):
    r = app.test_client().get("/planner/data.json")
    assert (r.status_code, r.json["error"]["field"]) == (401, "session")
    r = app.test_client().post("/planner/sites", json={"p": 1})
    assert r.status_code == 401
    r = app.test_client().get("/planner/report.json")
    assert r.status_code == 401


def test_the_page_is_sent_without_computing(signed_in, app, monkeypatch):
    from app.api import planning_requests

    def refuse(*a, **kw):
        raise AssertionError("the page computed measures")

    monkeypatch.setattr(planning_requests, "measures_frame", refuse)
    r = signed_in.get("/planner?lang=ko&level=emd")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'aria-busy="true"' in html and 'id="planner-status"' in html
    assert "/planner/data.json?lang=ko&amp;level=emd" in html or \
        "/planner/data.json?lang=ko&level=emd" in html


def test_data_has_every_area_with_its_shape_and_the_period_deserts(signed_in):
    r = signed_in.get("/planner/data.json?service=elementary_emergency&period=night&level=sigungu")
    assert r.status_code == 200
    body = r.json
    keys = [row["key"] for row in body["rows"]]
    assert len(keys) == 44 and [f["properties"]["key"] for f in body["areas"]["features"]] == keys
    deserts = {row["key"] for row in body["rows"] if row["desert"]}
    assert set(body["deserts"]) == {"night"} and set(body["deserts"]["night"]) == deserts
    other = signed_in.get("/planner/data.json?service=elementary_emergency&period=night"
                          "&level=sigungu&deserts=weekend").json
    api = signed_in.get("/planner/data.json?service=elementary_emergency&period=weekend"
                        "&level=sigungu").json
    assert set(other["deserts"]) == {row["key"] for row in api["rows"] if row["desert"]}
    r = signed_in.get("/planner/data.json?deserts=midnight")
    assert (r.status_code, r.json["error"]["field"]) == (400, "deserts")
    assert "day, night, weekend, holiday, 24h" in r.json["error"]["message"]


def test_a_scenario_comes_with_its_baseline(signed_in):
    import json

    add = {"lon": 126.99772, "lat": 37.32164, "service": "elementary_emergency",
           "capacity": 30, "hours_preset": "evenings_weekends"}
    q = json.dumps({"add": [add]})
    body = signed_in.get("/planner/data.json", query_string={
        "service": "elementary_emergency", "period": "night", "level": "emd", "area": "41111",
        "scenario": q}).json
    row = next(r for r in body["rows"] if r["key"] == "41111129")
    assert row["places"] == body["baseline"]["rows"]["41111129"]["places"] + 30
    assert body["baseline"]["summary"]["areas_changed"] >= 1


def test_preset_for_a_service_and_period(app):
    from app.pages.planner import preset_for

    with app.test_request_context("/planner"):
        # weekday nights 19:00–22:00: daycare's 07:30–19:30 does not cover them
        assert preset_for("elementary_emergency", "night") == "evenings_weekends"
        assert preset_for("daycare", "day") == "standard_daycare"
        assert preset_for("daycare", "24h") == "round_the_clock"


def test_sites_from_the_page(signed_in, app):
    r = signed_in.post("/planner/sites", json={"service": "daycare", "period": "night", "p": 2,
                                               "radius_m": 1000, "method": "greedy",
                                               "area": "41111"},
                       headers={"Origin": "http://localhost"})
    assert r.status_code == 200, r.json
    sites = r.json["sites"]
    assert len(sites) == 2 and all(s["sigungu"] and s["emd"] for s in sites)
    assert all(s["newly_covered"] > 0 for s in sites)
    r = signed_in.post("/planner/sites", json={"p": 1}, headers={"Origin": "https://evil.example"})
    assert (r.status_code, r.json["error"]["field"]) == (403, "Origin")
    r = signed_in.post("/planner/sites", json={"p": 0}, headers={"Origin": "http://localhost"})
    assert (r.status_code, r.json["error"]["field"]) == (400, "p")


def test_report_on_the_planner_session(signed_in):
    r = signed_in.get("/planner/report.json?hours=24")
    assert r.status_code == 200 and "not_reported_by_sigungu" in r.json
    r = signed_in.get("/planner/report.json?hours=0")
    assert (r.status_code, r.json["error"]["field"]) == (400, "hours")


def test_session_state(app, signed_in):
    assert app.test_client().get("/planner/session.json").json == {"signed_in": False}
    assert signed_in.get("/planner/session.json").json == {"signed_in": True}
