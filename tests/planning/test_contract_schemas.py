"""The OpenAPI document says exactly what the planners' and providers' operations accept
(issue 12, item 12): schemathesis's positive-data check (tests/test_schemathesis.py) runs on
every operation, and each disagreement it found is pinned here by its kind — the demand layer's
areas as an enum, a scenario's shape, the services a site can be for, a report's programmes,
slots, intervals and plain-text reasons."""

from __future__ import annotations

import json
import re

import pytest

from app import create_app
from app.api.openapi import INTERVAL_PATTERN, plain_text_pattern
from app.extensions.db import get_engine
from app.live import tokens
from app.live.record import RecordError, _clean_text
from app.search.hours import HoursFormatError, parse_interval

DEMAND = """# SYNTHETIC TEST DATA: three rows copied from the demo layer
area_code,area_name,age_0_9,age_10_19,age_0
41111130,수원시 장안구 정자동,1108,2023,77
41113137,수원시 권선구 권선동,1681,2142,115
41360101,남양주시 호평동,4339,6346,290
"""
# 장안구 41111 and 권선구 41113 of 수원시 41110; 남양주시 41360 has no 구; the three 읍면동.
AREAS = ["41110", "41111", "41111130", "41113", "41113137", "41360", "41360101"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    (tmp / "demand.csv").write_text(DEMAND, encoding="utf-8")
    app = create_app({"TESTING": True, "PLANNING_DEMAND_PATH": str(tmp / "demand.csv")},
                     instance_path=str(tmp / "instance"))
    with app.app_context():
        app.config["_ADMIN"] = tokens.issue(get_engine(), "admin")
    yield app
    with app.app_context():
        get_engine().dispose()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def admin(app):
    return {"Authorization": f"Bearer {app.config['_ADMIN']}"}


@pytest.fixture(scope="module")
def doc(client):
    return client.get("/api/v1/openapi.json").json


def _query_param(doc, path, name):
    return next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_area_is_an_enum_of_the_demand_layers_areas(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["CoverageRequest"]["properties"]["area"]["enum"] == AREAS
    assert schemas["SitesRequest"]["properties"]["area"]["enum"] == AREAS
    assert _query_param(doc, "/api/v1/coverage/measures", "area")["schema"]["enum"] == AREAS


@pytest.mark.parametrize("area", AREAS)
def test_every_documented_area_is_accepted(client, admin, area):
    r = client.post("/api/v1/coverage/compare", json={"area": area, "level": "emd"},
                    headers=admin)
    assert r.status_code == 200, r.json


def test_an_area_outside_the_layer_is_refused_naming_it(client, admin):
    r = client.post("/api/v1/coverage/compare", json={"area": "00000"}, headers=admin)
    assert r.status_code == 400
    assert r.json["error"]["field"] == "area"
    assert r.json["error"]["message"] == ('area must be one of 41110, 41111, 41111130, 41113, '
                                          '41113137, 41360, 41360101, got "00000"')


def test_sites_are_for_centre_services_only(doc, client, admin):
    services = doc["components"]["schemas"]["SitesRequest"]["properties"]["service"]["enum"]
    assert "home_visit_emergency" not in services and "daycare" in services
    r = client.post("/api/v1/coverage/sites", json={"service": "home_visit_emergency"},
                    headers=admin)
    assert r.status_code == 400 and r.json["error"]["field"] == "service"


def test_a_scenario_has_a_shape(doc, client, admin):
    scenario = doc["components"]["schemas"]["CoverageRequest"]["properties"]["scenario"]
    assert scenario["additionalProperties"] is False
    assert set(scenario["properties"]) == {"add", "close", "resize"}
    assert _query_param(doc, "/api/v1/coverage/measures", "scenario")["content"][
        "application/json"]["schema"] == scenario
    r = client.post("/api/v1/coverage/compare", json={"scenario": {"foo": 1}}, headers=admin)
    assert r.status_code == 400 and r.json["error"]["field"] == "scenario"


@pytest.mark.parametrize(("add", "field"), [
    ({"service": ["daycare"]}, "scenario.add[0].service"),
    ({"service": "daycare", "hours_preset": ["x"]}, "scenario.add[0].hours_preset"),
])
def test_a_scenario_of_the_wrong_types_is_a_400_not_a_500(client, admin, add, field):
    """A scenario in the query is read by parse_scenario alone: a list where a name belongs
    was a TypeError (unhashable), a 500."""
    scenario = {"add": [{"lon": 127.0, "lat": 37.27, "capacity": 10, **add}]}
    r = client.get("/api/v1/coverage/measures", headers=admin,
                   query_string={"scenario": json.dumps(scenario)})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field


def test_a_resize_of_a_list_id_is_a_400(client, admin):
    r = client.get("/api/v1/coverage/measures", headers=admin, query_string={
        "scenario": json.dumps({"resize": [{"id": ["demo-dc-00001"], "capacity": 1}]})})
    assert r.status_code == 400 and r.json["error"]["field"] == "scenario.resize[0]"


def test_a_report_names_its_programmes_and_a_slot_needs_places(doc):
    report = doc["components"]["schemas"]["ProviderReportInput"]["properties"]
    keys = {"regular", "elementary_emergency", "always_daycare", "home_visit_emergency"}
    assert report["vacancies"]["additionalProperties"] is False
    assert set(report["vacancies"]["properties"]) == keys
    assert report["slots"]["additionalProperties"] is False
    assert set(report["slots"]["properties"]) == keys - {"regular"}
    slot = report["slots"]["properties"]["always_daycare"]["items"]
    assert slot["required"] == ["start", "end", "places"]
    closure = report["closures"]["items"]["properties"]["reason"]
    assert closure["pattern"] == plain_text_pattern()


def test_the_reason_pattern_is_the_reports_text_rule_over_the_bmp():
    """Every character of the BMP (but lone surrogates): the pattern allows it exactly when
    the report's own check does."""
    pattern = re.compile(plain_text_pattern())
    disagree = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        try:
            _clean_text(chr(cp), "reason", 10)
            accepted = True
        except RecordError:
            accepted = False
        if bool(pattern.fullmatch(chr(cp))) != accepted:
            disagree.append(hex(cp))
    assert disagree == []
    assert pattern.fullmatch("공사로 휴원 (3월 2일까지)")
    assert not pattern.fullmatch("휴원\u202e")  # right-to-left override


@pytest.mark.parametrize(("text", "shape_ok"), [
    ("07:30-19:30", True), ("00:00-48:00", True), ("23:59-24:00", True),
    ("24:00-25:00", False), ("07:60-08:00", False), ("07:30-48:01", False),
    ("07:30-49:00", False), ("7:30-19:30", False), ("08:00-08:00", True),  # end <= start:
])                                                                         # the one rule left
def test_the_interval_pattern_is_the_reports_shape(text, shape_ok):
    assert bool(re.fullmatch(INTERVAL_PATTERN, text)) == shape_ok
    try:
        parse_interval(text)
        parsed = True
    except HoursFormatError as exc:
        parsed = False
        assert not shape_ok or "after the start" in str(exc)
    assert parsed <= shape_ok


SITE = {"service": "daycare", "p": 1, "method": "greedy", "radius_m": 1000}


def test_candidate_names_follow_the_registry_text_rules(client, admin):
    """A named candidate's name is cleaned as a candidates file's is (flask planning-sites
    --candidates-file): the right-to-left override and the zero-width space go."""
    r = client.post("/api/v1/coverage/sites", headers=admin, json={**SITE, "candidates": [
        {"lon": 127.005, "lat": 37.30, "id": "site-1", "name": "새\u200b 센터\u202e"}]})
    assert r.status_code == 200, r.json
    (site,) = r.json["sites"]
    assert (site["id"], site["name"]) == ("site-1", "새 센터")


def test_an_unnamed_pair_keeps_its_position_id(client, admin):
    r = client.post("/api/v1/coverage/sites", headers=admin,
                    json={**SITE, "candidates": [[127.005, 37.30]]})
    assert r.status_code == 200, r.json
    assert (r.json["sites"][0]["id"], r.json["sites"][0]["name"]) == ("candidate 0", None)


@pytest.mark.parametrize(("candidate", "field", "words"), [
    ({"lon": 127.005, "lat": 37.30, "id": "a/b"}, "candidates[0].id", "no '/' or spaces"),
    ({"lon": 127.005, "lat": 37.30, "name": "x" * 201}, "candidates[0].name", "is too long"),
    ({"lon": 127.005}, "candidates[0]", "'lat' is a required property"),
])
def test_a_candidate_breaking_the_rules_is_a_400_naming_it(client, admin, candidate, field,
                                                           words):
    r = client.post("/api/v1/coverage/sites", headers=admin,
                    json={**SITE, "candidates": [candidate]})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field
    assert words in r.json["error"]["message"]
