"""The /api/v1 endpoints over the demo registry: answers, formats and every error."""

from __future__ import annotations

import pytest

SUWON = {"lat": "37.2636", "lon": "127.045"}


def error_of(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json["error"]
    assert set(body) == {"code", "message", "field"}
    return body


class TestNearest:
    def test_default_ten_nearest_in_order(self, client):
        r = client.get("/api/v1/facilities/nearest", query_string=SUWON)
        assert r.status_code == 200
        results = r.json["results"]
        assert len(results) == 10
        d = [x["distance_m"] for x in results]
        assert d == sorted(d)
        assert r.json["synthetic"] is True
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        first = results[0]
        assert first["near"] == "home"
        assert first["walking_minutes"] == round(first["distance_m"] * 1.3 / (4000 / 60))
        assert first["availability"]["status"] in ("available", "full", "unknown")

    def test_tonight_for_a_four_year_old(self, client):
        q = {**SUWON, "age_months": "48", "start": "2026-11-24T19:00",
             "end": "2026-11-24T23:00", "limit": "5"}
        results = client.get("/api/v1/facilities/nearest", query_string=q).json["results"]
        assert results
        for x in results:
            f = x["facility"]
            assert f["age_min_months"] <= 48 <= f["age_max_months"]
            assert any(end >= "23:00" for end in
                       (iv.split("-")[1] for iv in f["hours"]["tue"]))

    def test_home_visit_comes_to_you(self, client):
        q = {**SUWON, "programme": "home_visit_emergency"}
        results = client.get("/api/v1/facilities/nearest", query_string=q).json["results"]
        assert results and results[0]["comes_to_you"] is True
        assert results[0]["distance_m"] is None
        assert "41117" in results[0]["facility"]["service_area_sigungu_codes"]

    def test_either_mode_says_anchor(self, client):
        q = {**SUWON, "work_lat": "37.4", "work_lon": "127.11", "limit": "20"}
        r = client.get("/api/v1/facilities/nearest", query_string=q)
        assert r.json["mode"] == "either"
        assert {x["near"] for x in r.json["results"]} == {"home", "work"}

    def test_geojson(self, client):
        r = client.get("/api/v1/facilities/nearest",
                       query_string=SUWON, headers={"Accept": "application/geo+json"})
        assert r.mimetype == "application/geo+json"
        assert r.json["type"] == "FeatureCollection"
        assert len(r.json["features"]) == 10
        r2 = client.get("/api/v1/facilities/nearest", query_string={**SUWON,
                                                                    "format": "geojson"})
        assert r2.json["features"][0]["geometry"]["type"] == "Point"


class TestOtherEndpoints:
    def test_within(self, client):
        r = client.get("/api/v1/facilities/within", query_string={**SUWON, "radius_m": "500"})
        assert r.status_code == 200
        assert all(x["distance_m"] <= 500 for x in r.json["results"])

    def test_bbox_pagination(self, client):
        q = {"bbox": "127.0,37.25,127.1,37.3", "limit": "50"}
        first = client.get("/api/v1/facilities", query_string=q).json
        assert first["count"] == 50 and first["total"] > 50
        assert "offset=50" in first["next"]
        second = client.get(first["next"]).json
        ids = [f["id"] for f in first["results"]] + [f["id"] for f in second["results"]]
        assert len(set(ids)) == len(ids)

    def test_one_and_missing(self, client):
        fid = client.get("/api/v1/facilities/nearest", query_string=SUWON).json[
            "results"][0]["facility"]["id"]
        assert client.get(f"/api/v1/facilities/{fid}").json["result"]["id"] == fid
        assert error_of(client.get("/api/v1/facilities/nope"), 404)["code"] == "not_found"

    def test_meta(self, client):
        m = client.get("/api/v1/meta").json
        assert m["synthetic"] is True
        assert m["counts_by_kind"]["daycare"] == 9400
        assert m["total"] == 10512


@pytest.mark.parametrize(("query", "field", "text"), [
    ({}, "lat", "lat is required"),
    ({"lat": "abc", "lon": "127"}, "lat", "must be a number"),
    ({"lat": "nan", "lon": "127"}, "lat", "finite"),
    ({"lat": "inf", "lon": "127"}, "lat", "finite"),
    ({"lat": "91", "lon": "127"}, "lat", "at most 90"),
    ({"lat": "127.045", "lon": "37.26"}, "lat", "look swapped"),
    ({"lat": "48.85", "lon": "2.35"}, "lat", "outside South Korea"),
    ({**SUWON, "kind": "school"}, "kind", "allowed: daycare"),
    ({**SUWON, "programme": "x"}, "programme", "allowed: elementary_emergency"),
    ({**SUWON, "start": "2026-11-24T19:00", "end": "2026-11-24T18:00"}, "end", "after start"),
    ({**SUWON, "start": "tonight", "end": "2026-11-24T18:00"}, "start", "ISO 8601"),
    ({**SUWON, "radius_m": "1000000"}, "radius_m", "at most"),
    ({**SUWON, "limit": "1000"}, "limit", "between 1 and 100"),
    ({**SUWON, "mode": "commute"}, "mode", "needs work_lat"),
    ({**SUWON, "mode": "fly", "work_lat": "37.3", "work_lon": "127"}, "mode", "allowed: home"),
    ({**SUWON, "birth_date": "2030-01-01"}, "birth_date", "after the day"),
    ({**SUWON, "available": "maybe"}, "available", "true or false"),
])
def test_nearest_errors(client, query, field, text):
    body = error_of(client.get("/api/v1/facilities/nearest", query_string=query))
    assert body["field"] == field
    assert text in body["message"]


def test_bbox_errors(client):
    assert error_of(client.get("/api/v1/facilities?bbox=1,2,3"))["field"] == "bbox"
    assert error_of(client.get("/api/v1/facilities?bbox=3,2,1,4"))["field"] == "bbox"
    assert error_of(client.get("/api/v1/facilities"))["field"] == "bbox"


def test_404_405_are_json(client):
    assert error_of(client.get("/api/v1/nothing"), 404)["code"] == "not_found"
    body = error_of(client.post("/api/v1/meta"), 405)
    assert body["code"] == "method_not_allowed"
