"""A filter value that can never match in the loaded registry's area is a 400 naming the
filter and what is allowed, not an empty 200 (issue 12): ``region`` (시군구 and 시군 codes) and
``programme`` (the 언제나돌봄 programmes of 경기도 시군) on a registry outside Korea, on the fast
path (``/nearest``, ``/within``: app.api.fast_path) and on Flask's (the same code answers both;
PostGIS: tests/live/test_region_filters_postgis.py)."""

from __future__ import annotations

import pytest

from app import create_app
from app.registry.io import write_registry
from app.search.hours import WeeklyHours

from .conftest import facility
from .test_registry_locale import CITY_HALL, SUWON, TINY, TINY_MAPPING, _client, _import


@pytest.fixture
def toronto(tmp_path):
    return _client(tmp_path, _import(tmp_path, [TINY], TINY_MAPPING))


@pytest.fixture
def korea(tmp_path):
    """A Korean registry of one provider in 수원시 권선구 (41113)."""
    path = tmp_path / "kr.geojson"
    hours = WeeklyHours.from_text("Mo-Fr 07:30-18:00")
    write_registry(path, {"name": "kr"}, [facility("kr-1", 127.0290, 37.2640, hours=hours)])
    app = create_app({"TESTING": True, "REGISTRY_PATH": str(path)},
                     instance_path=str(tmp_path / "instance"))
    return app.test_client()


SEARCHES = [("/api/v1/facilities/nearest", {}),
            ("/api/v1/facilities/within", {"radius_m": "5000"})]


@pytest.mark.parametrize(("path", "extra"), SEARCHES)
def test_a_korean_region_is_refused_outside_korea(toronto, path, extra):
    r = toronto.get(path, query_string={**CITY_HALL, **extra, "region": "41110"})
    assert r.status_code == 400, r.json
    error = r.json["error"]
    assert error["field"] == "region"
    assert error["message"] == ("region '41110' cannot match: allowed: none (this registry has no "
                                "시군구 regions: its area is outside Korea); leave region out")


@pytest.mark.parametrize(("path", "extra"), SEARCHES)
def test_a_programme_is_refused_outside_korea(toronto, path, extra):
    r = toronto.get(path, query_string={**CITY_HALL, **extra, "programme": "always_daycare"})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == "programme"
    assert r.json["error"]["message"].startswith("programme 'always_daycare' cannot match: "
                                                 "allowed: none")


def test_the_flask_path_answers_the_same(toronto):
    """The fast path hands an error to Flask; calling Flask's own app answers alike."""
    app = toronto.application
    with app.test_request_context():
        flask_client = app.test_client()
        app.wsgi_app, fast = app.wsgi_app.flask_wsgi_app, app.wsgi_app  # Flask alone
        try:
            r = flask_client.get("/api/v1/facilities/nearest",
                                 query_string={**CITY_HALL, "region": "41110"})
        finally:
            app.wsgi_app = fast
    assert r.status_code == 400
    assert r.json["error"]["field"] == "region"


def test_the_document_says_none_is_allowed_outside_korea(toronto):
    doc = toronto.get("/api/v1/openapi.json").json
    params = {p["name"]: p for p in doc["paths"]["/api/v1/facilities/nearest"]["get"]["parameters"]}
    assert params["region"]["schema"]["not"] == {}
    assert params["region"]["schema"]["description"] == "none: this registry has no 시군구 regions"
    assert params["programme"]["schema"]["not"] == {}


def test_without_filters_toronto_still_answers(toronto):
    r = toronto.get("/api/v1/facilities/nearest", query_string=CITY_HALL)
    assert r.status_code == 200
    assert [h["facility"]["id"] for h in r.json["results"]] == ["tt-1", "tt-3", "tt-2"]


def test_korean_regions_and_programmes_stay_allowed_in_korea(korea):
    for query in ({"region": "41110"}, {"region": "41113"}, {"region": "41290"},
                  {"programme": "always_daycare"}):
        r = korea.get("/api/v1/facilities/nearest", query_string={**SUWON, **query})
        assert r.status_code == 200, (query, r.json)
    doc = korea.get("/api/v1/openapi.json").json
    params = {p["name"]: p for p in doc["paths"]["/api/v1/facilities/nearest"]["get"]["parameters"]}
    assert {"41110", "41113", "41290"} <= set(params["region"]["schema"]["enum"])


def test_an_unknown_korean_region_lists_what_is_allowed(korea):
    r = korea.get("/api/v1/facilities/nearest", query_string={**SUWON, "region": "11110"})
    assert r.status_code == 400
    message = r.json["error"]["message"]
    assert message.startswith("unknown region '11110': no 시군구 or 시군 of that code in this "
                              "registry's area")
    assert "allowed: " in message and "codes such as 41110" in message
