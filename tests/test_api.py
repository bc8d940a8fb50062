"""The /api/v1 endpoints: answers and formats over the demo registry (the session's shared
demo app), and every error (over the tiny registry: an error does not depend on the data)."""

from __future__ import annotations

import re

import pytest

from .conftest import next_weekday

SUWON = {"lat": "37.2636", "lon": "127.045"}


@pytest.fixture
def demo(demo_app):
    """A client of the session's app over the demo registry (only reads: it is shared)."""
    return demo_app.test_client()


def error_of(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json["error"]
    assert set(body) - {"reason"} == {"code", "message", "field"}  # reason: why, for pages
    return body


class TestNearest:
    def test_default_ten_nearest_in_order(self, demo):
        r = demo.get("/api/v1/facilities/nearest", query_string=SUWON)
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

    def test_tonight_for_a_four_year_old(self, demo):
        tuesday = next_weekday(1)  # windows far from today are refused
        q = {**SUWON, "age_months": "48", "start": f"{tuesday}T19:00",
             "end": f"{tuesday}T23:00", "limit": "5"}
        results = demo.get("/api/v1/facilities/nearest", query_string=q).json["results"]
        assert results
        for x in results:
            f = x["facility"]
            assert f["age_min_months"] <= 48 <= f["age_max_months"]
            assert any(end >= "23:00" for end in
                       (iv.split("-")[1] for iv in f["hours"]["tue"]))

    def test_home_visit_comes_to_you(self, demo):
        q = {**SUWON, "programme": "home_visit_emergency"}
        results = demo.get("/api/v1/facilities/nearest", query_string=q).json["results"]
        assert results and results[0]["comes_to_you"] is True
        assert results[0]["distance_m"] is None
        assert "41117" in results[0]["facility"]["service_area_sigungu_codes"]

    def test_either_mode_says_anchor(self, demo):
        q = {**SUWON, "work_lat": "37.4", "work_lon": "127.11", "limit": "20"}
        r = demo.get("/api/v1/facilities/nearest", query_string=q)
        assert r.json["mode"] == "either"
        assert {x["near"] for x in r.json["results"]} == {"home", "work"}

    def test_geojson(self, demo):
        r = demo.get("/api/v1/facilities/nearest",
                       query_string=SUWON, headers={"Accept": "application/geo+json"})
        assert r.mimetype == "application/geo+json"
        assert r.json["type"] == "FeatureCollection"
        assert len(r.json["features"]) == 10
        r2 = demo.get("/api/v1/facilities/nearest", query_string={**SUWON,
                                                                    "format": "geojson"})
        assert r2.json["features"][0]["geometry"]["type"] == "Point"


class TestOtherEndpoints:
    def test_within(self, demo):
        r = demo.get("/api/v1/facilities/within", query_string={**SUWON, "radius_m": "500"})
        assert r.status_code == 200
        assert all(x["distance_m"] <= 500 for x in r.json["results"])

    def test_bbox_pagination(self, demo):
        q = {"bbox": "127.0,37.25,127.1,37.3", "limit": "50"}
        first = demo.get("/api/v1/facilities", query_string=q).json
        assert first["count"] == 50 and first["total"] > 50
        assert "offset=50" in first["next"]
        second = demo.get(first["next"]).json
        ids = [f["id"] for f in first["results"]] + [f["id"] for f in second["results"]]
        assert len(set(ids)) == len(ids)

    def test_one_and_missing(self, demo):
        fid = demo.get("/api/v1/facilities/nearest", query_string=SUWON).json[
            "results"][0]["facility"]["id"]
        assert demo.get(f"/api/v1/facilities/{fid}").json["result"]["id"] == fid
        assert error_of(demo.get("/api/v1/facilities/nope"), 404)["code"] == "not_found"

    def test_meta(self, demo):
        m = demo.get("/api/v1/meta").json
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
    ({**SUWON, "start": f"{next_weekday(1)}T19:00", "end": f"{next_weekday(1)}T18:00"}, "end",
     "after start"),
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
    refused = client.post("/api/v1/meta")
    assert refused.status_code == 405 and refused.is_json
    body = refused.json["error"]
    assert body["code"] == "method_not_allowed" and body["reason"] == "method_not_allowed"
    # The methods the path takes, in the envelope as in the Allow header (finding 9)
    assert body["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert body["message"] == "POST is not allowed here; allowed: GET, HEAD, OPTIONS"


# --- issue 12: the checks below share the session's demo app (conftest.demo_app) ---------------


def _local(delta) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo("Asia/Seoul")) + delta).strftime("%Y-%m-%dT%H:%M")


class TestWindowAndAgeRange:
    """Item 7: dates far from today are a 400 naming the field, never an overflow (500)."""

    @pytest.mark.parametrize(("route", "query", "field"), [
        ("nearest", {"start": "9999-12-31T00:00", "end": "9999-12-31T00:01"}, "start"),
        ("nearest", {"start": "0001-01-01T00:00", "end": "0001-01-01T00:01"}, "start"),
        ("within", {"radius_m": "900", "start": "9999-12-31T00:00",
                    "end": "9999-12-31T00:01"}, "start"),
        # With an offset, year 1 and 9999 cannot even be moved to Asia/Seoul (OverflowError).
        ("within", {"radius_m": "900", "start": "0001-01-01T00:00+09:00",
                    "end": "0001-01-01T00:01+09:00"}, "start"),
        ("nearest", {"start": "9999-12-31T23:00-12:00", "end": "9999-12-31T23:30-12:00"},
         "start"),
        # The end is out of any range (years 2000-2099), so it is named first.
        ("nearest", {"start": "2026-01-01T09:00", "end": "9999-12-31T00:00"}, "end"),
        ("nearest", {"birth_date": "0001-01-01"}, "birth_date"),
        ("nearest", {"birth_date": "9999-12-31"}, "birth_date"),
        ("nearest", {"age_months": "9" * 5000}, "age_months"),
        ("within", {"radius_m": "900", "age_months": "217"}, "age_months"),
    ])
    def test_far_dates_are_a_400_naming_the_field(self, demo, route, query, field):
        body = error_of(demo.get(f"/api/v1/facilities/{route}", query_string={**SUWON, **query}))
        assert body["field"] == field

    def test_window_bounds_from_the_settings(self, demo, demo_app, monkeypatch):
        from datetime import timedelta as td

        ok = {**SUWON, "start": _local(td(hours=-23)), "end": _local(td(hours=-22))}
        assert demo.get("/api/v1/facilities/nearest", query_string=ok).status_code == 200
        late = {**SUWON, "start": _local(td(days=365)), "end": _local(td(days=365, hours=2))}
        assert demo.get("/api/v1/facilities/nearest", query_string=late).status_code == 200
        early = {**SUWON, "start": _local(td(hours=-25)), "end": _local(td(hours=-24, minutes=-30))}
        body = error_of(demo.get("/api/v1/facilities/nearest", query_string=early))
        assert body["field"] == "start" and "at most 1 day before now" in body["message"]
        too_late = {**SUWON, "start": _local(td(days=367)), "end": _local(td(days=367, hours=2))}
        assert error_of(demo.get("/api/v1/facilities/nearest",
                                 query_string=too_late))["field"] == "start"
        monkeypatch.setitem(demo_app.config, "SEARCH_WINDOW_AHEAD_DAYS", 30)
        body = error_of(demo.get("/api/v1/facilities/nearest", query_string=late))
        assert body["field"] == "start" and "30 days ahead" in body["message"]


class TestNextLink:
    """Item 8: the bbox page link is relative, and url_for never sees request parameters."""

    def test_relative_whatever_the_host(self, demo):
        q = {"bbox": "126,36,128,38", "kind": "daycare,community_child_center", "limit": "100"}
        for headers in ({}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
            r = demo.get("/api/v1/facilities", query_string=q, headers=headers)
            assert r.status_code == 200
            assert r.json["next"] == ("/api/v1/facilities?bbox=126,36,128,38"
                                      "&kind=daycare,community_child_center&limit=100&offset=100")
        second = demo.get(r.json["next"]).json
        assert second["results"][0]["id"] != r.json["results"][0]["id"]

    def test_repeated_values_kept(self, demo):
        r = demo.get("/api/v1/facilities?bbox=126,36,128,38&kind=daycare&kind=together_care_center"
                     "&offset=5&limit=7")
        assert r.json["next"] == ("/api/v1/facilities?bbox=126,36,128,38&kind=daycare"
                                  "&kind=together_care_center&limit=7&offset=12")

    @pytest.mark.parametrize("name", ["endpoint", "_external", "_method", "_anchor", "_scheme",
                                      "values"])
    def test_url_for_arguments_are_unknown_parameters(self, demo, name):
        body = error_of(demo.get("/api/v1/facilities",
                                 query_string={"bbox": "126,36,128,38", name: "x"}))
        assert body["code"] == "unknown_parameter" and body["field"] == name


class TestUnknownParameters:
    """Item 11: a misspelt filter is a 400, never a search without the filter."""

    @pytest.mark.parametrize(("typo", "meant"), [("programe", "programme"), ("kinds", "kind"),
                                                 ("age", "age_months"), ("radius", "radius_m")])
    def test_typos_named_with_a_guess(self, demo, typo, meant):
        body = error_of(demo.get("/api/v1/facilities/nearest",
                                 query_string={**SUWON, typo: "always_daycare"}))
        assert (body["code"], body["field"]) == ("unknown_parameter", typo)
        assert f"did you mean {meant!r}" in body["message"]
        assert "allowed: age_months, available, birth_date" in body["message"]

    def test_every_operation_refuses_unknown_parameters(self, demo):
        """Every operation of the OpenAPI document, with the parameters it lists as the
        allowed ones (one list for the document and the check)."""
        doc = demo.get("/api/v1/openapi.json").json
        seen = 0
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                url = re.sub(r"\{\w+\}", "demo-dc-00001", path)
                r = demo.open(url, method=method.upper(), query_string={"programe": "x"},
                              json={} if method in ("put", "post") else None)
                body = error_of(r)
                assert (body["code"], body["field"]) == ("unknown_parameter", "programe"), url
                listed = sorted(p["name"] for p in op["parameters"] if p["in"] == "query")
                assert body["message"].endswith("allowed: " + (", ".join(listed) or "none")), url
                assert "400" in op["responses"], url
                seen += 1
        assert seen >= 14

    def test_two_unknown_named(self, demo):
        body = error_of(demo.get("/api/v1/facilities/nearest",
                                 query_string={**SUWON, "zzz": "1", "kinds": "daycare"}))
        assert body["field"] == "kinds"
        assert "unknown parameters 'kinds', 'zzz' (did you mean 'kind' for 'kinds'?)" in \
            body["message"]


class TestEmptyLists:
    """Item 12: a list parameter given empty is a 400, not 'no filter'."""

    @pytest.mark.parametrize(("route", "query", "field"), [
        ("facilities/nearest", {**SUWON, "service": ","}, "service"),
        ("facilities/nearest", {**SUWON, "service": ""}, "service"),
        ("facilities/within", {**SUWON, "radius_m": "900", "kind": " , "}, "kind"),
        ("facilities", {"bbox": "126,36,128,38", "kind": ","}, "kind"),
    ])
    def test_empty_list_is_a_400(self, demo, route, query, field):
        body = error_of(demo.get(f"/api/v1/{route}", query_string=query))
        assert body["field"] == field and "is empty" in body["message"]

    def test_bbox_limit_documented_for_both_field_sets(self, demo, demo_app):
        doc = demo.get("/api/v1/openapi.json").json
        params = {p["name"]: p for p in doc["paths"]["/api/v1/facilities"]["get"]["parameters"]}
        cfg = demo_app.config
        assert params["limit"]["schema"]["maximum"] == cfg["BBOX_COMPACT_MAX_LIMIT"]
        for name in ("limit", "fields"):
            text = params[name]["description"]
            assert f"{cfg['SEARCH_MAX_LIMIT']} with fields=full" in text or \
                f"at most {cfg['SEARCH_MAX_LIMIT']}" in text
            assert str(cfg["BBOX_COMPACT_MAX_LIMIT"]) in text
        # fields=full pages hold at most SEARCH_MAX_LIMIT whatever (schema-valid) limit says
        for limit in (101, 19999):
            r = demo.get(f"/api/v1/facilities?bbox=126,36,128,38&limit={limit}&fields=full")
            assert r.status_code == 200
            assert r.json["count"] == r.json["limit"] == cfg["SEARCH_MAX_LIMIT"]
            assert r.json["next"].endswith(f"offset={cfg['SEARCH_MAX_LIMIT']}")
        r = demo.get("/api/v1/facilities?bbox=126,36,128,38&limit=101&fields=compact")
        assert r.status_code == 200 and r.json["count"] == 101


class TestProgrammeEligibility:
    """Item 16: a programme filter applies the programme's rules (programmes.json)."""

    @pytest.mark.parametrize(("age", "found"), [("71", False), ("72", True), ("155", True),
                                                ("156", False), ("180", False)])
    def test_elementary_emergency_ages_72_to_155(self, demo, age, found):
        q = {**SUWON, "programme": "elementary_emergency", "age_months": age, "limit": "20"}
        results = demo.get("/api/v1/facilities/nearest", query_string=q).json["results"]
        assert bool(results) is found
        for x in results:
            f = x["facility"]
            assert "elementary_emergency" in f["programmes"]
            assert f["kind"] in ("community_child_center", "together_care_center")
            assert f["age_min_months"] <= int(age) <= f["age_max_months"]

    def test_where_the_family_lives(self, demo):
        yongin = {"lat": "37.3222", "lon": "127.0975"}  # 용인시 수지구: no home-visit programme
        seoul = {"lat": "37.5665", "lon": "126.978"}  # 서울 중구: not 경기도
        near = "/api/v1/facilities/nearest"
        # A 경기도 family anywhere may use any 언제나 어린이집 (five, in five 시군).
        always = demo.get(near, query_string={**yongin, "programme": "always_daycare"}).json
        assert always["count"] == 5
        assert demo.get(near, query_string={**seoul, "programme": "always_daycare"}).json[
            "count"] == 0
        # 방문형 긴급돌봄 only where the family's 시군 runs it: 수원 yes, 용인 no (though a
        # home-visit provider serves 용인).
        assert demo.get(near, query_string={**yongin, "programme": "home_visit_emergency"}).json[
            "count"] == 0
        assert demo.get(near, query_string={**yongin, "kind": "home_visit_provider"}).json[
            "count"] == 1
        suwon = demo.get(near, query_string={**SUWON, "programme": "home_visit_emergency"}).json
        assert [x["facility"]["id"] for x in suwon["results"]] == ["demo-hv-00002"]  # 수원 영통구 is in its area
        assert demo.get(near, query_string={**SUWON, "programme": "home_visit_emergency",
                                            "age_months": "2"}).json["count"] == 0


# A home in 수원시 권선구 near the 화성 border: of its 20 nearest providers only one is in 수원시.
GWONSEON = {"lat": "37.2301", "lon": "126.9743"}


class TestRegion:
    """Item 17: region is a filter of the search itself."""

    def test_twenty_of_the_region(self, demo):
        near = "/api/v1/facilities/nearest"
        plain = demo.get(near, query_string={**GWONSEON, "limit": "20"}).json["results"]
        assert sum(x["facility"]["sigungu_code"].startswith("4111") for x in plain) == 1
        r = demo.get(near, query_string={**GWONSEON, "limit": "20", "region": "41110"}).json
        codes = {x["facility"]["sigungu_code"] for x in r["results"]}
        assert r["count"] == 20 and codes <= {"41111", "41113", "41115", "41117"}
        d = [x["distance_m"] for x in r["results"]]
        assert d == sorted(d) and d[0] > 500 and d[-1] < 2200
        gu = demo.get(near, query_string={**GWONSEON, "limit": "20", "region": "41113"}).json
        assert {x["facility"]["sigungu_code"] for x in gu["results"]} == {"41113"}

    def test_within_and_home_visit(self, demo):
        r = demo.get("/api/v1/facilities/within",
                     query_string={**GWONSEON, "radius_m": "1500", "region": "41590"}).json
        assert r["count"] > 0 and {x["facility"]["sigungu_code"] for x in r["results"]} == \
            {"41590"}
        hv = {**SUWON, "kind": "home_visit_provider"}
        near = "/api/v1/facilities/nearest"
        assert demo.get(near, query_string={**hv, "region": "41110"}).json["count"] == 1
        assert demo.get(near, query_string={**hv, "region": "41460"}).json["count"] == 0

    @pytest.mark.parametrize(("value", "text"), [("4111", "5-digit"), ("abcde", "5-digit"),
                                                 ("41119", "did you mean"),
                                                 ("99990", "unknown region")])
    def test_bad_region(self, demo, value, text):
        body = error_of(demo.get("/api/v1/facilities/nearest",
                                 query_string={**SUWON, "region": value}))
        assert body["field"] == "region" and text in body["message"]
