"""GET /api/v1/places/at (issue 14): the 읍면동 and 시군구 at the browser's location, for the
map's home field. Points checked by hand on a map: HOME of the tiny registry (tests/tiny_registry.py)
lies in 매탄동, 수원시 영통구 (its providers 100-400 m away are registered in 매탄동); WORK, the
판교 테크노밸리, in 삼평동, 성남시 분당구; 서울시청 in 태평로1가, 중구; (36.0, 125.0) is the open
Yellow Sea, 100 km west of 태안, and (35.8, 130.0) the East Sea, 70 km east of 포항."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.privacy import redact_text

URL = "/api/v1/places/at"


def at(client: FlaskClient, **query: str | float) -> TestResponse:
    return client.get(URL, query_string=query)


def body(res: TestResponse) -> dict[str, Any]:
    """The answer's JSON object."""
    data = res.get_json()
    assert isinstance(data, dict)
    return data


def test_home_of_the_tiny_registry_is_maetan_dong_in_korean_and_english(client: FlaskClient) -> None:
    res = at(client, lat=37.2636, lon=127.0450)
    assert res.status_code == 200
    assert res.json == {
        "name": "수원시 영통구 매탄동", "name_en": "Maetan-dong, Yeongtong-gu, Suwon-si",
        "emd": "매탄동", "emd_en": "Maetan-dong", "emd_code": "41117101",
        "sigungu": "수원시 영통구", "sigungu_en": "Yeongtong-gu, Suwon-si", "sigungu_code": "41117",
        "sido": "경기도", "sido_en": "Gyeonggi-do", "sido_code": "41",
    }


@pytest.mark.parametrize(("lat", "lon", "name", "name_en"), [
    (37.4000, 127.1100, "성남시 분당구 삼평동", "Sampyeong-dong, Bundang-gu, Seongnam-si"),  # WORK, 판교
    (37.5665, 126.9780, "중구 태평로1가", "Taepyeongno 1-ga, Jung-gu"),  # 서울시청: not 경기도, still known
])
def test_other_places(client: FlaskClient, lat: float, lon: float, name: str, name_en: str) -> None:
    res = at(client, lat=lat, lon=lon)
    assert res.status_code == 200
    assert (body(res)["name"], body(res)["name_en"]) == (name, name_en)


@pytest.mark.parametrize(("lat", "lon"), [(36.0, 125.0), (35.8, 130.0)])
def test_a_point_at_sea_is_a_404_outside_the_covered_areas(client: FlaskClient, lat: float, lon: float) -> None:
    res = at(client, lat=lat, lon=lon)
    assert res.status_code == 404
    error = body(res)["error"]
    assert error["code"] == "outside_areas"
    assert "outside the covered areas" in error["message"]


@pytest.mark.parametrize(("query", "field", "says"), [
    ({"lat": 200, "lon": 127.045}, "lat", "lat must be at most 90"),
    ({"lat": 37.26, "lon": 200}, "lon", "lon must be at most 180"),
    ({"lat": 40, "lon": 127}, "lat", "allowed: lat 33-39, lon 124-132"),
    ({"lat": 127.045, "lon": 37.2636}, "lat", "look swapped"),
    ({"lat": "abc", "lon": 127}, "lat", "lat must be a number"),
    ({"lat": 37.2636}, "lon", "lon is required"),
    ({"lat": 37.2636, "lon": 127.045, "q": "x"}, "q", "unknown parameter 'q'; allowed: lat, lon"),
])
def test_bad_coordinates_are_a_400_naming_the_field(client: FlaskClient, query: dict, field: str,
                                                     says: str) -> None:
    res = client.get(URL, query_string=query)
    assert res.status_code == 400
    assert body(res)["error"]["field"] == field
    assert says in body(res)["error"]["message"]


def test_the_document_describes_the_answer_and_the_404(client: FlaskClient) -> None:
    doc = body(client.get("/api/v1/openapi.json"))
    op = doc["paths"]["/api/v1/places/at"]["get"]
    assert [(p["name"], p["required"]) for p in op["parameters"]] == [("lat", True), ("lon", True)]
    assert {"200", "400", "404"} <= set(op["responses"])
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PlaceAt"}
    schema = doc["components"]["schemas"]["PlaceAt"]
    answer = body(at(client, lat=37.2636, lon=127.0450))
    assert set(schema["required"]) == set(answer)


def test_no_coordinates_in_logs(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for lat, lon in [(37.26361, 127.04512), (36.00017, 125.00013), (200.00019, 127.04512)]:
        at(client, lat=lat, lon=lon)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for coordinate in ("37.26361", "127.04512", "36.00017", "125.00013", "200.00019"):
        assert coordinate not in logged
    # The request line the servers log loses its query string (app.privacy).
    line = redact_text('127.0.0.1 - - "GET /api/v1/places/at?lat=37.26361&lon=127.04512 HTTP/1.1" 200 -')
    assert "37.26361" not in line and "/api/v1/places/at?[redacted]" in line
