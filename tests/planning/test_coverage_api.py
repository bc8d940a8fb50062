"""The planners' API over the demo registry and the synthetic demand layer."""

import json
import re
import time

import pytest

from app.extensions.db import get_engine
from app.live import tokens
from tests.planning.own_app import own_demo_app  # noqa: F401  (fixture: app)


@pytest.fixture(scope="module")
def headers(app):
    with app.app_context():
        admin = tokens.issue(get_engine(), "admin")
        provider = tokens.issue(get_engine(), "provider", "demo-dc-00010")
    return {"admin": {"Authorization": f"Bearer {admin}"},
            "provider": {"Authorization": f"Bearer {provider}"}}


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def test_needs_an_admin_token(client, headers):
    r = client.get("/api/v1/coverage/measures")
    assert r.status_code == 401 and r.json["error"]["field"] == "Authorization"
    r = client.get("/api/v1/coverage/measures", headers=headers["provider"])
    assert r.status_code == 403


def test_measures_by_sigungu(client, headers):
    r = client.get("/api/v1/coverage/measures?service=daycare&period=night&level=sigungu",
                   headers=headers["admin"])
    assert r.status_code == 200
    body = r.json
    assert body["meta"]["demand_synthetic"] is True and body["meta"]["period"] == "night"
    rows = body["rows"]
    assert len(rows) == 44  # the 44 시군구 of the 읍면동 the demo demand is given for
    assert {"key", "name", "children", "places", "nearest_m", "share_500", "share_1000",
            "share_2000", "sfca", "e2sfca", "children_per_place", "desert"} <= set(rows[0])
    total = sum(r["children"] for r in rows)
    day = client.get("/api/v1/coverage/measures?service=daycare&period=day",
                     headers=headers["admin"]).json["rows"]
    assert sum(r["children"] for r in day) == pytest.approx(total)
    # fewer daycare places at night than in the day, everywhere
    by_key = {r["key"]: r for r in day}
    assert all(r["places"] <= by_key[r["key"]]["places"] for r in rows)
    assert sum(r["desert"] for r in rows) >= sum(r["desert"] for r in day)


@pytest.mark.parametrize("fmt, mimetype", [("geojson", "application/geo+json"),
                                           ("csv", "text/csv"),
                                           ("gpkg", "application/geopackage+sqlite3")])
def test_exports(client, headers, fmt, mimetype, tmp_path):
    r = client.get(f"/api/v1/coverage/measures?level=emd&area=41111&format={fmt}",
                   headers=headers["admin"])
    assert r.status_code == 200 and r.mimetype == mimetype
    if fmt == "geojson":
        features = r.json["features"]
        assert features and all(f["properties"]["key"].startswith("41111") for f in features)
        assert features[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    elif fmt == "csv":
        text = r.get_data(as_text=True)
        assert text.startswith("\ufeffkey,name,service") and "장안구" in text
    else:
        import geopandas as gpd

        path = tmp_path / "x.gpkg"
        path.write_bytes(r.data)
        gdf = gpd.read_file(path)
        assert len(gdf) > 5 and gdf.crs.to_epsg() == 4326


@pytest.mark.parametrize("query, field", [
    ("service=nope", "service"), ("period=dusk", "period"), ("level=county", "level"),
    ("area=41", "area"), ("format=xlsx", "format"), ("scenario={", "scenario"),
    ("scenario=" + json.dumps({"close": ["nope"]}), "scenario.close[0]"),
])
def test_bad_parameters(client, headers, query, field):
    r = client.get(f"/api/v1/coverage/measures?{query}", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == field
    assert "must" in r.json["error"]["message"] or "no provider" in r.json["error"]["message"]


def test_compare_a_new_centre(client, headers):
    body = {"service": "always_daycare", "period": "night", "level": "sigungu",
            "scenario": {"add": [{"lon": 127.0286, "lat": 37.2636, "service": "always_daycare",
                                  "capacity": 40, "hours_preset": "round_the_clock"}]}}
    r = client.post("/api/v1/coverage/compare", json=body, headers=headers["admin"])
    assert r.status_code == 200
    changed = [row for row in r.json["rows"] if row["places_change"]]
    assert [row["key"] for row in changed] == ["41115"]  # 팔달구 holds the new centre
    assert changed[0]["places_change"] == 40
    assert r.json["summary"]["share_2000_scenario"] > r.json["summary"]["share_2000_baseline"]


def test_compare_refuses_bad_bodies(client, headers):
    r = client.post("/api/v1/coverage/compare", data="x", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "Content-Type"
    r = client.post("/api/v1/coverage/compare", json={"scenario": {"add": [{"lon": 1}]}},
                    headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"].startswith("scenario.add[0]")


def test_site_suggestion(client, headers):
    r = client.post("/api/v1/coverage/sites", headers=headers["admin"],
                    json={"service": "elementary_emergency", "period": "night", "p": 3,
                          "radius_m": 1000, "method": "greedy"})
    assert r.status_code == 200
    body = r.json
    assert len(body["sites"]) == 3
    assert body["share_after"] > body["share_before"]
    gains = [s["newly_covered"] for s in body["sites"]]
    assert gains == sorted(gains, reverse=True)
    assert body["covered_after"] == pytest.approx(body["covered_before"] + sum(gains))


@pytest.mark.parametrize("body, field", [({"p": 0}, "p"), ({"p": 1000}, "p"),
                                         ({"radius_m": -5}, "radius_m"),
                                         ({"method": "magic"}, "method"),
                                         ({"candidates": [[0, 0]]}, "candidates"),
                                         ({"service": "home_visit_emergency"}, "service")])
def test_site_suggestion_errors(client, headers, body, field):
    r = client.post("/api/v1/coverage/sites", json=body, headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == field


# --- issue 12 ---------------------------------------------------------------------------------
def test_the_issue_example_is_a_quick_400_not_a_500(client, headers):
    """Item 10: p=50 within 10 km over the default 20,000 candidate cells ran 31 s and hit the
    worker timeout. Its size is estimated first (from 512 candidates, in milliseconds): about
    1,600 of the 55,116 demand units lie within 10 km of each candidate, so some 32 million
    pairs, over the 10 million PLANNING_SITES_MAX_PAIRS allows."""
    client.get("/api/v1/coverage/options", headers=headers["admin"])  # demand layer read once
    client.post("/api/v1/coverage/sites", headers=headers["admin"],  # the registry, the analysis
                json={"service": "daycare", "period": "day", "p": 1, "radius_m": 100,
                      "method": "greedy", "n_candidates": 10})
    started = time.perf_counter()
    r = client.post("/api/v1/coverage/sites", headers=headers["admin"],
                    json={"service": "daycare", "period": "day", "p": 50, "radius_m": 10000})
    elapsed = time.perf_counter() - started
    assert r.status_code == 400 and r.json["error"]["field"] == "radius_m"
    message = r.json["error"]["message"]
    assert "PLANNING_SITES_MAX_PAIRS" in message and "20,000 candidates" in message
    estimate = int(re.search(r"about ([\d,]+) candidate", message).group(1).replace(",", ""))
    assert 25_000_000 < estimate < 40_000_000
    assert elapsed < 10


def test_a_big_catchment_or_a_big_shape_export_is_a_400_naming_the_limit(client, headers):
    r = client.get("/api/v1/coverage/measures?catchment_m=100000", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "catchment_m"
    assert "PLANNING_FCA_MAX_PAIRS" in r.json["error"]["message"]
    r = client.get("/api/v1/coverage/measures?level=grid&format=geojson",
                   headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "format"
    assert "PLANNING_SHAPES_MAX_ROWS" in r.json["error"]["message"]


@pytest.mark.parametrize("path, body, field, words", [
    ("compare", {"level": False}, "level", "one of grid, emd, sigungu, got false"),
    ("compare", {"service": 1}, "service", "one of daycare"),
    ("compare", {"period": None}, "period", "one of day, night"),
    ("compare", {"scenario": []}, "scenario", "a JSON object"),
    ("compare", {"area": "4111"}, "area", "a 5-digit 시군구 or 8-digit 읍면동 code"),
    ("compare", {"area": 41111}, "area", "a 5-digit"),
    ("compare", {"catchment_m": "1500"}, "catchment_m", "a number > 0"),
    ("compare", {"bands_m": [1000, 500]}, "bands_m", "strictly increasing"),
    ("compare", {"bands_m": [500, 1000]}, "weights", "one weight per band"),
    ("compare", {"weights": [1, "a", 0.2]}, "weights[1]", "a number"),
    ("compare", {"lvl": "emd"}, "lvl", "did you mean 'level'"),
    ("sites", {"p": "3"}, "p", "a whole number"),
    ("sites", {"p": 2.5}, "p", "a whole number"),
    ("sites", {"p": True}, "p", "a whole number"),
    ("sites", {"radius_m": None}, "radius_m", "a number"),
    ("sites", {"method": ["greedy"]}, "method", "one of auto, greedy, exact"),
    ("sites", {"service": False}, "service", "one of daycare"),
    ("sites", {"candidates": [[127.0, "37.2"]]}, "candidates[0][1]", "a number"),
    ("sites", {"candidates": [[127.0]]}, "candidates[0]", "of 2 to 2 items"),
    ("sites", {"level": "emd"}, "level", "unknown field 'level'"),
])
def test_every_body_field_is_checked_by_type(client, headers, path, body, field, words):
    """Item 12: a non-string level (and every other field of the wrong type) was silently
    ignored; now a 400 names the field and what it must be."""
    r = client.post(f"/api/v1/coverage/{path}", json=body, headers=headers["admin"])
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field
    assert words in r.json["error"]["message"]


def test_non_finite_numbers_are_refused(client, headers):
    r = client.post("/api/v1/coverage/sites", data='{"radius_m": NaN}',
                    headers={**headers["admin"], "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["error"]["field"] == "radius_m"
    assert "finite" in r.json["error"]["message"]


def test_the_catchment_and_bands_are_options(client, headers):
    """Item 22: 2SFCA's catchment and E2SFCA's bands and weights are parameters of the API.
    With a 1 m catchment no provider reaches any demand unit (each unit is a cell's centroid),
    so every area's 2SFCA is 0; with one band of weight 0 every E2SFCA is 0."""
    base = client.get("/api/v1/coverage/measures?level=sigungu", headers=headers["admin"]).json
    r = client.get("/api/v1/coverage/measures?level=sigungu&catchment_m=1&bands_m=1000"
                   "&weights=0", headers=headers["admin"])
    assert r.status_code == 200, r.json
    assert r.json["meta"]["settings"]["fca"] == {"catchment_m": 1.0, "bands_m": [1000.0],
                                                 "weights": [0.0]}
    assert all(row["sfca"] == 0 and row["e2sfca"] == 0 for row in r.json["rows"])
    assert sum(row["sfca"] for row in base["rows"]) > 0
    assert [row["children"] for row in r.json["rows"]] == [row["children"] for row in base["rows"]]
    r = client.get("/api/v1/coverage/measures?bands_m=1000,500", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "bands_m"
    r = client.get("/api/v1/coverage/measures?bands_m=500,x", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "bands_m"


def test_the_openapi_document_shows_what_the_planners_api_answers(client):
    doc = client.get("/api/v1/openapi.json").json
    measures = doc["paths"]["/api/v1/coverage/measures"]["get"]
    assert set(measures["responses"]["200"]["content"]) == {
        "application/json", "application/geo+json", "text/csv", "application/geopackage+sqlite3"}
    names = {p["name"] for p in measures["parameters"]}
    assert {"catchment_m", "bands_m", "weights", "format"} <= names
    sites = doc["paths"]["/api/v1/coverage/sites"]["post"]
    assert "Location" in sites["responses"]["202"]["headers"]
    assert sites["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PlanningJob")
    assert "404" in doc["paths"]["/api/v1/coverage/jobs/{job_id}"]["get"]["responses"]
    schemas = doc["components"]["schemas"]
    assert schemas["CoverageRequest"]["additionalProperties"] is False
    assert schemas["CoverageRequest"]["properties"]["level"]["enum"] == ["grid", "emd", "sigungu"]
    assert schemas["SitesRequest"]["properties"]["p"]["type"] == "integer"


def test_unknown_query_parameters_are_refused(client, headers):
    """Item 11 on the planners' API: a misspelt option is a 400, not the default silently."""
    r = client.get("/api/v1/coverage/measures?servic=always_daycare", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "servic"
    assert "'service'" in r.json["error"]["message"]
    r = client.get("/api/v1/coverage/jobs/abcdefgh12345678?verbose=1", headers=headers["admin"])
    assert r.status_code == 400 and r.json["error"]["field"] == "verbose"
