"""Road-name and lot-number addresses, offline: parsing, and placing at the area they name."""

from __future__ import annotations

import pytest

from app.geo import address

# (typed, kind, area words, road or 동·리, number, reference)
PARSED = [
    ("경기도 수원시 영통구 매탄로 1", "road", ("경기도", "수원시", "영통구"), "매탄로", "1", None),
    ("분당구 판교역로 235", "road", ("분당구",), "판교역로", "235", None),
    ("분당구  판교역로235", "road", ("분당구",), "판교역로", "235", None),
    ("수원시영통구매탄로1", "road", ("수원시", "영통구"), "매탄로", "1", None),
    ("경기 수원 영통구 매탄로 12번길 3", "road", ("경기", "수원", "영통구"), "매탄로12번길", "3", None),
    ("매탄로12 번 길 3", "road", (), "매탄로12번길", "3", None),
    ("분당구 판교역로 235, 101동 202호", "road", ("분당구",), "판교역로", "235", None),
    ("판교역로 235 (삼평동, 에이치스퀘어)", "road", (), "판교역로", "235", "삼평동"),
    ("매탄로 1 가나빌딩", "road", (), "매탄로", "1", None),
    ("영통구청로 1", "road", (), "영통구청로", "1", None),  # 청로 is too short to peel 영통구 off
    ("중앙로 지하 10", "road", (), "중앙로", "지하 10", None),
    ("영통동 1000번지", "lot", (), "영통동", "1000", None),
    ("매탄동 123-4", "lot", (), "매탄동", "123-4", None),
    ("매탄동 123 - 4 번지", "lot", (), "매탄동", "123-4", None),
    ("매탄동 １２３－４", "lot", (), "매탄동", "123-4", None),  # full-width digits and dash
    ("매탄동 산 12-3", "lot", (), "매탄동", "산 12-3", None),
    ("매탄동산12-3", "lot", (), "매탄동", "산 12-3", None),
    ("양평군 양평읍 오빈리 12", "lot", ("양평군", "양평읍"), "오빈리", "12", None),
    ("을지로2가 123", "lot", (), "을지로2가", "123", None),
    ("매탄1동 12", "lot", (), "매탄1동", "12", None),
]


@pytest.mark.parametrize(("typed", "kind", "area", "street", "number", "reference"), PARSED)
def test_parse(typed, kind, area, street, number, reference):
    assert address.parse(typed) == address.ParsedAddress(kind, area, street, number, reference)


@pytest.mark.parametrize("typed", ["수원 영통", "판교역", "매탄1동", "수원역 1번 출구", "산 12-3", "123-4",
                                   "매탄로", "매탄동 123-", "매탄로 1호", "x" * 100])
def test_not_an_address(typed):
    assert address.parse(typed) is None


# (typed, the address written out, the area it is placed at, its level, its code)
PLACED = [
    ("경기도 수원시 영통구 매탄로 1", "경기도 수원시 영통구 매탄로 1", "경기도 수원시 영통구", "sigungu", "41117"),
    ("분당구 판교역로 235", "경기도 성남시 분당구 판교역로 235", "경기도 성남시 분당구", "sigungu", "41135"),
    ("판교역로 235 (삼평동)", "경기도 성남시 분당구 판교역로 235 (삼평동)", "경기도 성남시 분당구 삼평동", "emd",
     "41135109"),
    ("영통동 1000번지", "경기도 수원시 영통구 영통동 1000", "경기도 수원시 영통구 영통동", "emd", "41117105"),
    ("매탄동 123-4", "경기도 수원시 영통구 매탄동 123-4", "경기도 수원시 영통구 매탄동", "emd", "41117101"),
    ("매탄1동 12", "경기도 수원시 영통구 매탄동 12", "경기도 수원시 영통구 매탄동", "emd", "41117101"),
    ("양평군 양평읍 오빈리 12", "경기도 양평군 양평읍 오빈리 12", "경기도 양평군 양평읍 오빈리", "ri", "4183025022"),
    # a 동 the gazetteer does not know: the area above it, with the 동 kept in the name
    ("영통구 가나다동 12", "경기도 수원시 영통구 가나다동 12", "경기도 수원시 영통구", "sigungu", "41117"),
    ("양평군 양평읍 중앙로 1", "경기도 양평군 양평읍 중앙로 1", "경기도 양평군 양평읍", "emd", "41830250"),
    ("대한민국 경기도 수원시 영통구 매탄로 1", "경기도 수원시 영통구 매탄로 1", "경기도 수원시 영통구", "sigungu",
     "41117"),
]


@pytest.mark.parametrize(("typed", "name", "area", "level", "code"), PLACED)
def test_place_offline_at_the_finest_area(typed, name, area, level, code):
    first = address.place(address.parse(typed))[0]
    assert (first.name, first.area.name, first.area.level, first.area.code) == (name, area, level, code)
    assert first.precision == "area" and first.approximate
    assert (first.lon, first.lat) == (first.area.lon, first.area.lat)


def test_a_road_is_never_placed_at_a_village():
    """수원 names 수원시 and five villages called 수원리: a road address names no 리."""
    found = address.place(address.parse("수원 매탄로 1"))
    assert [(f.name, f.area.level) for f in found] == [("경기도 수원시 매탄로 1", "sigungu")]


def test_a_road_without_an_area_has_no_place_offline():
    assert address.place(address.parse("판교역로 235")) == []


def test_the_text_sent_to_a_service_names_the_area_in_full():
    parsed = address.parse("분당구 판교역로235, 101동")
    assert address.service_query(parsed, address.place(parsed)) == "경기도 성남시 분당구 판교역로 235"
    parsed = address.parse("판교역로 235 (삼평동)")
    assert address.service_query(parsed, address.place(parsed)) == "경기도 성남시 분당구 판교역로 235"
    parsed = address.parse("매탄동 산 12-3")
    assert address.service_query(parsed, address.place(parsed)) == "경기도 수원시 영통구 매탄동 산 12-3"
    parsed = address.parse("중앙동 12-3")  # several 중앙동: as typed
    assert address.service_query(parsed, address.place(parsed)) == "중앙동 12-3"


@pytest.mark.parametrize(("typed", "name", "area", "level", "code"), PLACED[:5])
def test_places_api_marks_addresses_approximate(client, typed, name, area, level, code):
    body = client.get("/api/v1/places", query_string={"q": typed}).json
    first = body["results"][0]
    assert first["type"] == "address" and first["name"] == name
    assert (first["precision"], first["approximate"], first["matched"]) == ("area", True, area)
    assert (first["level"], first["code"]) == (level, code)


def test_places_api_areas_and_facilities_are_not_approximate(client):
    first = client.get("/api/v1/places", query_string={"q": "영통구 매탄동"}).json["results"][0]
    assert (first["type"], first["precision"], first["approximate"], first["matched"]) == \
        ("area", "area", False, None)
    body = client.get("/api/v1/places", query_string={"q": "힐즈파크"}).json
    facility = next(r for r in body["results"] if r["type"] == "facility")
    assert (facility["precision"], facility["approximate"]) == ("exact", False)


def test_a_station_is_an_exact_point_an_area_is_not(app):
    from app.api.search import _place_json
    from app.geo.gazetteer import Place

    parts = ("경기도", "성남시", "분당구", "판교역")
    station = Place(" ".join(parts), "station", "S1", 127.111, 37.395, parts)
    area = Place("경기도 성남시 분당구", "sigungu", "41135", 127.094612, 37.375937, parts[:3])
    assert (_place_json(station)["precision"], _place_json(station)["approximate"]) == ("exact", False)
    assert (_place_json(area)["precision"], _place_json(area)["approximate"]) == ("area", False)


def test_places_schema_documents_precision(client):
    doc = client.get("/api/v1/openapi.json").json
    item = doc["components"]["schemas"]["Places"]["properties"]["results"]["items"]
    assert item["properties"]["type"]["enum"] == ["area", "address", "facility"]
    assert item["properties"]["precision"]["enum"] == ["exact", "area"]
    assert {"precision", "approximate"} <= set(item["required"])
    assert "matched" in item["properties"]
