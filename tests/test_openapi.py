"""The generated OpenAPI document matches the routes, and the API keeps to it under
schemathesis: no 5xx and no response that breaks the documented schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app

APP = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


def test_every_api_route_is_documented():
    document = APP.test_client().get("/api/v1/openapi.json").json
    routes = {r.rule for r in APP.url_map.iter_rules()
              if r.rule.startswith("/api/v1") and r.endpoint != "api.openapi_document"}
    documented = {p.replace("{facility_id}", "<facility_id>") for p in document["paths"]}
    assert documented == routes
    nearest = document["paths"]["/api/v1/facilities/nearest"]["get"]
    limit = next(p for p in nearest["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == APP.config["SEARCH_MAX_LIMIT"]
    kinds = next(p for p in nearest["parameters"] if p["name"] == "kind")
    assert kinds["schema"]["items"]["enum"] == ["daycare", "community_child_center",
                                                 "together_care_center", "home_visit_provider"]


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_keeps_to_its_schema(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])


def test_docs_page_served_locally():
    client = APP.test_client()
    page = client.get("/docs/api").get_data(as_text=True)
    assert "/api/v1/openapi.json" in page
    assert "https://" not in page  # nothing from a CDN
    for url in ("/docs/api/assets/swagger-ui-bundle.js", "/static/api_docs.js"):
        with client.get(url) as response:  # closes the streamed file
            assert response.status_code == 200
