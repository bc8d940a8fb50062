"""Query parameters keep to the documented contract: a single-value parameter given twice or
empty is a 400 naming it (on the Flask routes and on the fast path alike), echoed client values
are clipped, and the /embed widget answers a mistake in its options with a 400 page."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.errors import InvalidParameter

SUWON = "lat=37.26&lon=127.02"


@pytest.fixture(scope="module")
def qapp(tmp_path_factory, tiny_registry):
    """One app over the tiny registry (tests/tiny_registry.py) for the module: these checks only
    read, and a parameter's contract does not depend on the data."""
    from app import create_app

    from .conftest import tiny_config

    return create_app(tiny_config(tiny_registry),
                      instance_path=str(tmp_path_factory.mktemp("query") / "instance"))


@pytest.fixture
def c(qapp):
    return qapp.test_client()


def error_of(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.json["error"]


class TestRepeated:
    @pytest.mark.parametrize(("url", "field"), [
        (f"facilities/within?{SUWON}&radius_m=1500&region=41113&region=41115", "region"),
        (f"facilities/within?{SUWON}&radius_m=1500&age_months=30&age_months=100", "age_months"),
        ("facilities/nearest?lat=37.26&lat=38&lon=127.02", "lat"),  # the plain (lat, lon) path
        (f"facilities/nearest?{SUWON}&limit=3&limit=5", "limit"),
        (f"facilities/nearest?{SUWON}&open_now=true&open_now=false", "open_now"),
        ("facilities?bbox=126,36,128,38&fields=full&fields=compact", "fields"),
        ("places?q=수원&q=성남", "q"),
    ])
    def test_single_value_given_twice_is_a_400(self, c, url, field):
        body = error_of(c.get(f"/api/v1/{url}"))
        assert body["field"] == field
        assert f"give {field} once" in body["message"]

    def test_list_parameters_still_repeat(self, c):
        one = c.get(f"/api/v1/facilities/within?{SUWON}&radius_m=3000"
                    "&kind=daycare,community_child_center")
        two = c.get(f"/api/v1/facilities/within?{SUWON}&radius_m=3000"
                    "&kind=daycare&kind=community_child_center")
        assert one.status_code == two.status_code == 200
        assert one.json["results"] == two.json["results"]
        assert {r["facility"]["kind"] for r in two.json["results"]} == \
            {"daycare", "community_child_center"}

    def test_fast_path_answers_check_it(self, qapp):
        from app.api import search
        from app.api.params import Args

        args = Args(MultiDict([("lat", "37.26"), ("lat", "38"), ("lon", "127.02")]))
        with qapp.app_context(), pytest.raises(InvalidParameter, match="give lat once"):
            search.nearest_answer(args, "")
        args = Args(MultiDict([("lat", "37.26"), ("lon", "127.02"), ("radius_m", "900"),
                               ("region", "41113"), ("region", "41115")]))
        with qapp.app_context(), pytest.raises(InvalidParameter, match="give region once"):
            search.within_answer(args, "")


class TestEmpty:
    @pytest.mark.parametrize(("query", "field", "allowed"), [
        (f"within?{SUWON}&radius_m=1500&region=", "region", "one of"),
        (f"nearest?{SUWON}&age_months=", "age_months", "whole number from 0 to"),
        (f"nearest?{SUWON}&open_now=", "open_now", "true or false"),
        (f"nearest?{SUWON}&mode=", "mode", "one of home"),
        (f"nearest?{SUWON}&start=", "start", "ISO 8601"),
        ("nearest?lat=&lon=127.02", "lat", "a number from"),
    ])
    def test_empty_is_a_400_naming_what_is_allowed(self, c, query, field, allowed):
        body = error_of(c.get(f"/api/v1/facilities/{query}"))
        assert body["field"] == field
        assert f"{field} is empty" in body["message"] and allowed in body["message"]

    def test_empty_list_still_says_so(self, c):
        body = error_of(c.get(f"/api/v1/facilities/nearest?{SUWON}&kind="))
        assert body["field"] == "kind" and "kind is empty" in body["message"]

    def test_document_forbids_empty_strings(self, c):
        doc = c.get("/api/v1/openapi.json").json
        for item in doc["paths"].values():
            for op in item.values():
                for param in op["parameters"]:
                    if "content" in param:  # a JSON value (scenario): not a plain string
                        assert list(param["content"]) == ["application/json"], param["name"]
                        continue
                    schema = param["schema"]
                    if param["in"] == "query" and schema.get("type") == "string":
                        assert {"enum", "pattern", "minLength"} & schema.keys(), param["name"]


class TestClipped:
    def test_unknown_facility_id(self, c):
        body = error_of(c.get("/api/v1/facilities/" + "x" * 5000), 404)
        assert body["message"] == f"no open facility with id '{'x' * 80}…'"

    def test_unknown_parameter_name(self, c):
        body = error_of(c.get(f"/api/v1/facilities/nearest?{SUWON}&{'y' * 3000}=1"))
        assert f"'{'y' * 80}…'" in body["message"] and "y" * 81 not in body["message"]
        assert body["field"] == "y" * 80

    @pytest.mark.parametrize("query", [f"kind={'z' * 4000}", f"region={'9' * 4000}",
                                       f"age_months={'9' * 4000}"])
    def test_unknown_value(self, c, query):
        body = error_of(c.get(f"/api/v1/facilities/nearest?{SUWON}&{query}"))
        assert len(body["message"]) < 400 and "…" in body["message"]


class TestRegionContract:
    def test_schema_lists_the_codes_accepted(self, c):
        doc = c.get("/api/v1/openapi.json").json
        params = {p["name"]: p for p in doc["paths"]["/api/v1/facilities/within"]["get"]
                  ["parameters"]}
        codes = params["region"]["schema"]["enum"]
        assert "41110" in codes and "41113" in codes and "00000" not in codes
        for code in ("41110", codes[-1]):
            assert c.get(f"/api/v1/facilities/within?{SUWON}&radius_m=900&region={code}"
                         ).status_code == 200
        assert error_of(c.get(f"/api/v1/facilities/within?{SUWON}&radius_m=900&region=00000")
                        )["field"] == "region"


class TestEmbedOptions:
    @pytest.mark.parametrize(("query", "named"), [
        ("region=4111O&limit=1", ["region", "4111O", "41110"]),
        ("regoin=41110", ["regoin", "region"]),
        ("region=99999", ["region", "99999"]),
        ("kind=daycares", ["kind", "daycares", "daycare, "]),
        ("programme=nightcare", ["programme", "nightcare", "always_daycare"]),
        ("height=abc", ["height", "abc", "240–1600"]),
        ("height=5000", ["height", "5000", "240–1600"]),
        ("limit=yes", ["limit", "yes", "1, true"]),
        ("region=", ["region", "&#39;&#39;"]),
        ("lang=fr", ["lang", "fr", "ko, en"]),
    ])
    def test_mistake_is_a_400_page(self, c, query, named):
        r = c.get(f"/embed?{query}")
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        assert "위젯 설정이 잘못되었습니다" in page and 'id="page-config"' not in page
        for text in named:
            assert text in page

    def test_in_english_with_lang_en(self, c):
        r = c.get("/embed?lang=en&kind=daycares")
        assert r.status_code == 400
        page = r.get_data(as_text=True)
        assert "The widget&#39;s settings are wrong" in page
        assert "kind: &#39;daycares&#39; is not allowed" in page

    def test_repeated_option(self, c):
        r = c.get("/embed?region=41110&region=41113")
        assert r.status_code == 400 and "region 설정은 한 번만" in r.get_data(as_text=True)

    def test_long_value_clipped(self, c):
        page = c.get("/embed?kind=" + "k" * 5000).get_data(as_text=True)
        assert "k" * 80 + "…" in page and "k" * 81 not in page

    def test_good_options_still_work(self, c):
        r = c.get("/embed?region=41113&limit=1&kind=daycare&lang=en&height=600")
        assert r.status_code == 200
        assert '"region": "41113"' in r.get_data(as_text=True)
