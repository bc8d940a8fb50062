"""An area code that is well-formed but not an area of the demand layer (for the level asked) is
a 400 naming ``area`` in the API and the export, and an error in the planner page, never a 500
or an empty table."""

import pytest

from app.extensions.db import get_engine
from app.live import tokens
from tests.planning.own_app import own_demo_app  # noqa: F401  (fixture: app)


@pytest.fixture(scope="module")
def token(app):
    with app.app_context():
        return tokens.issue(get_engine(), "admin")


@pytest.fixture(scope="module")
def signed_in(app, token):
    client = app.test_client()
    r = client.post("/planner/login", data={"token": token})
    assert r.status_code == 302
    return client


# 99999: no such area; 11110: 서울 종로구, not in the 경기도 demand layer
UNKNOWN = ["area=99999", "area=11110", "area=99999&level=grid", "area=11110010&level=emd",
           "area=41999"]


@pytest.mark.parametrize("query", UNKNOWN)
def test_api_unknown_area_is_a_400_naming_area(app, token, query):
    r = app.test_client().get(f"/api/v1/coverage/measures?{query}",
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400, r.json
    err = r.json["error"]
    assert err["field"] == "area"
    assert "not an area of the demand layer" in err["message"] and "경기도 시군구" in err["message"]


def test_api_compare_unknown_area_is_a_400(app, token):
    r = app.test_client().post("/api/v1/coverage/compare", json={"area": "11110"},
                               headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json["error"]["field"]) == (400, "area")


def test_api_known_area_still_answers(app, token):
    r = app.test_client().get("/api/v1/coverage/measures?area=41110",
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and {row["key"] for row in r.json["rows"]} == {"41111", "41113", "41115", "41117"}


@pytest.mark.parametrize("query", UNKNOWN)
def test_planner_page_shows_the_error(signed_in, query):
    """The page is sent at once; its data request is the 400 the page shows (#planner-error)."""
    r = signed_in.get(f"/planner?{query}")
    assert r.status_code == 200 and 'id="planner-status"' in r.get_data(as_text=True)
    r = signed_in.get(f"/planner/data.json?{query}")
    assert (r.status_code, r.json["error"]["field"]) == (400, "area")
    assert "not an area of the demand layer" in r.json["error"]["message"]


@pytest.mark.parametrize("query", UNKNOWN[:3])
def test_planner_export_and_script_are_400s(signed_in, query):
    r = signed_in.get(f"/planner/export?{query}&format=csv")
    assert (r.status_code, r.json["error"]["field"]) == (400, "area")
    r = signed_in.get(f"/planner/map.js?{query}")
    assert r.status_code == 400


def test_planner_page_with_a_known_area_draws(signed_in):
    r = signed_in.get("/planner?area=41110&level=grid")
    assert r.status_code == 200 and 'id="planner-error"' not in r.get_data(as_text=True)
    r = signed_in.get("/planner/data.json?area=41110&level=grid")
    assert r.status_code == 200
    assert len(r.json["areas"]["features"]) == len(r.json["rows"]) > 0


def test_an_empty_table_never_reaches_folium(signed_in, monkeypatch):
    from app.api import planning_requests

    real = planning_requests.measures_frame

    def empty(*a, **kw):  # an area with no rows at a level, however it comes about
        df, analysis = real(*a, **kw)
        return df.iloc[0:0], analysis

    monkeypatch.setattr(planning_requests, "measures_frame", empty)
    r = signed_in.get("/planner/data.json?level=sigungu&measure=children")
    assert (r.status_code, r.json["error"]["field"]) == (400, "level")
    assert "no areas to draw at level sigungu" in r.json["error"]["message"]
