"""The planners' API over the demo registry and the synthetic demand layer."""

import json

import pytest

from app.live import tokens
from app.live.db import get_engine


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from app import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path_factory.mktemp("inst")))
    yield app
    with app.app_context():
        get_engine().dispose()


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
