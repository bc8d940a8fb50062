"""The generated OpenAPI document matches the routes (the API keeps to it under schemathesis:
tests/test_schemathesis.py, every operation with an admin token)."""

from __future__ import annotations

import re
import tempfile

from app import create_app

from .conftest import tiny_config

_TMP = tempfile.TemporaryDirectory(prefix="dolbom-openapi-")
# Over the tiny registry and demand layer: the document lists the demand layer's area codes
# (spreading the demo layer's 720 areas on the planning grid takes seconds).
APP = create_app(tiny_config(), instance_path=_TMP.name)


def test_every_api_route_is_documented():
    document = APP.test_client().get("/api/v1/openapi.json").json
    routes = {r.rule for r in APP.url_map.iter_rules()
              if r.rule.startswith("/api/v1") and r.endpoint != "api.openapi_document"}
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", p) for p in document["paths"]}
    assert documented == routes
    nearest = document["paths"]["/api/v1/facilities/nearest"]["get"]
    limit = next(p for p in nearest["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == APP.config["SEARCH_MAX_LIMIT"]
    kinds = next(p for p in nearest["parameters"] if p["name"] == "kind")
    assert kinds["schema"]["items"]["enum"] == ["daycare", "community_child_center",
                                                 "together_care_center", "home_visit_provider"]


def test_operations_that_create_say_201_with_a_location():
    """The care API answers 201 Created with a Location for a new booking, request or child;
    its document must say so (a client keyed on the documented status would take the answer
    for an error)."""
    paths = APP.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/bookings", "/api/v1/care-requests", "/api/v1/children"):
        responses = paths[path]["post"]["responses"]
        assert "201" in responses and "200" not in responses, path
        assert "Location" in responses["201"]["headers"], path


def test_docs_page_served_locally():
    client = APP.test_client()
    page = client.get("/docs/api").get_data(as_text=True)
    assert "/api/v1/openapi.json" in page
    assert "https://" not in page  # nothing from a CDN
    for url in ("/docs/api/assets/swagger-ui-bundle.js", "/static/js/api_docs/main.js"):
        with client.get(url) as response:  # closes the streamed file
            assert response.status_code == 200
