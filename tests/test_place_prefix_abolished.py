"""The place search as parents type it (issue 14, "Pages as people use them"): the start of a
station's or school's name offers it ("광교" -> 광교중앙역), and a 법정동 the 법정동코드 list
marks abolished (화성시 동탄구 오산동) is said to be gone instead of finding nothing.

The first tests run on a tiny gazetteer file written here in the committed file's format; the
others on the committed file and through ``/api/v1/places``."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.geo import gazetteer, landmarks

_CACHED = (gazetteer._load, gazetteer.abolished, gazetteer._vocabulary, gazetteer._landmark_keys,
           gazetteer._sido_names, gazetteer._compact_names)

TINY = {
    "places": [
        ["경기도", "sido", "41", 127.2, 37.4],
        ["전북특별자치도", "sido", "52", 127.1, 35.7],
        ["경기도 수원시", "sigungu", "41110", 127.01, 37.28],
        ["경기도 수원시 영통구", "sigungu", "41117", 127.05, 37.26],
        ["경기도 화성시", "sigungu", "41590", 126.9, 37.2],
        ["경기도 화성시 동탄구", "sigungu", "41597", 127.1, 37.2],
        ["경기도 오산시", "sigungu", "41370", 127.07, 37.15],
        ["경기도 오산시 오산동", "emd", "41370101", 127.066, 37.148],
        ["전북특별자치도 군산시", "sigungu", "52130", 126.7, 35.97],
        ["경기도 수원시 영통구 광교1동", "emd", "41117560", 127.05, 37.29],  # an area: no prefix
        ["전북특별자치도 군산시 대야면 광교리", "ri", "5213035024", 126.85, 35.93],
        ["경기도 수원시 영통구 광교역", "station", "station:4319", 127.0449, 37.3017, "신분당선",
         "경기대역"],
        ["경기도 수원시 영통구 광교중앙역", "station", "station:4318", 127.0526, 37.2877, "신분당선",
         "아주대역"],
        ["경기도 수원시 영통구 광교호수초등학교", "school", "school:B2", 127.0588, 37.2797,
         "경기도 수원시 영통구 광교호수공원로 205", "광교호수초|광교호수초교"],
        ["경기도 수원시 영통구 광교초등학교", "school", "school:B1", 127.0458, 37.3039,
         "경기도 수원시 영통구 대학로 91", "광교초|광교초교"],
    ],
    "english": {
        "경기도": "Gyeonggi-do", "전북특별자치도": "Jeollabuk-do", "수원시": "Suwon-si",
        "영통구": "Yeongtong-gu", "화성시": "Hwaseong-si", "동탄구": "Dongtan-gu",
        "오산시": "Osan-si", "오산동": "Osan-dong", "군산시": "Gunsan-si", "대야면": "Daeya-myeon",
        "광교1동": "Gwanggyo 1-dong", "광교리": "Gwanggyo-ri", "광교역": "Gwanggyo Station",
        "광교중앙역": "Gwanggyo Jungang Station", "광교초등학교": "Gwanggyo Elementary School",
        "광교호수초등학교": "Gwanggyohosu Elementary School",
    },
    "abolished": [["4159710400", "경기도 화성시 동탄구 오산동", "2026-09-29"]],
}


@pytest.fixture
def tiny(monkeypatch):
    """The gazetteer reading :data:`TINY` instead of the committed file."""
    for f in _CACHED:
        f.cache_clear()
    monkeypatch.setattr(gazetteer, "_document", lambda: TINY)
    yield
    for f in _CACHED:
        f.cache_clear()


def names(query: str, limit: int = 8, **kw) -> list[str]:
    return [p.name.split()[-1] for p in gazetteer.search(query, limit, **kw)]


# --- prefixes of station and school names -----------------------------------------------------

def test_the_start_of_a_landmark_name_offers_it_after_whole_names(tiny):
    # 광교역 is the whole name; the stations and schools starting with 광교 follow (a station
    # before a school, shorter names first); 전북's 광교리 (another 시도) comes last; an area
    # starting with 광교 (광교1동) is not offered by its start.
    assert names("광교") == ["광교역", "광교중앙역", "광교초등학교", "광교호수초등학교", "광교리"]
    assert names("광교", landmark_prefixes=False) == ["광교역", "광교리"]
    assert names("광교중") == names("광교 중앙") == names("광교중앙") == ["광교중앙역"]
    assert names("광교호") == ["광교호수초등학교"]
    assert names("아주") == ["광교중앙역"]  # the start of its other name, 아주대역


def test_prefixes_under_the_areas_typed_before(tiny):
    assert names("수원 광교중") == names("영통구 광교중") == ["광교중앙역"]
    assert names("군산 광교중") == []  # no such station in 군산


def test_prefixes_in_english(tiny):
    assert names("Gwanggyo J") == names("gwanggyo-jung") == ["광교중앙역"]
    assert names("Gwanggyoh") == ["광교호수초등학교"]


def test_too_short_a_start_offers_nothing(tiny):
    assert names("광") == []  # one syllable would offer every 광… in the country
    assert names("Gw") == []


# --- abolished 법정동 ---------------------------------------------------------------------------

def test_an_abolished_dong_is_found_as_abolished(tiny):
    assert gazetteer.search("화성시 동탄구 오산동") == []
    for q in ("화성시 동탄구 오산동", "동탄구 오산동", "화성 동탄구 오산동", "동탄구오산동",
              "Osan-dong, Dongtan-gu"):
        gone = gazetteer.abolished_matches(q)
        assert [(a.code, a.name, a.listed) for a in gone] == \
            [("4159710400", "경기도 화성시 동탄구 오산동", "2026-09-29")], q
    assert gazetteer.abolished()[0].name_en == "Osan-dong, Dongtan-gu, Hwaseong-si, Gyeonggi-do"
    assert gazetteer.abolished_matches("오산시 오산동") == []  # a 오산동 that exists
    assert gazetteer.abolished_matches("영통구 오산동") == []


def test_the_generator_reads_abolished_rows_and_the_list_date(tmp_path: Path):
    path = tmp_path / "법정동코드_화성시_발췌_20260929.csv"
    path.write_bytes("법정동코드,법정동명,폐지여부\r\n4159700000,경기도 화성시 동탄구,존재\r\n"
                     "4159710400,경기도 화성시 동탄구 오산동,폐지\r\n"
                     "4159710500,경기도 화성시 동탄구 청계동,존재\r\n"
                     "4159012900,경기도 화성시 오산동,폐지\r\n".encode("cp949"))
    assert landmarks.abolished(path) == [
        landmarks.AbolishedRow("4159012900", "경기도 화성시 오산동", "2026-09-29"),
        landmarks.AbolishedRow("4159710400", "경기도 화성시 동탄구 오산동", "2026-09-29")]
    undated = tmp_path / "bjd.csv"
    undated.write_bytes(path.read_bytes())
    assert {r.listed for r in landmarks.abolished(undated)} == {""}


# --- the committed gazetteer and the API ----------------------------------------------------

def test_gwanggyo_offers_gwanggyo_jungang_station():
    got = [p.name for p in gazetteer.search("광교")]
    assert got[:2] == ["경기도 수원시 영통구 광교역", "경기도 수원시 영통구 광교중앙역"]
    assert "경기도 수원시 영통구 광교초등학교" in got


def test_committed_gazetteer_knows_dongtan_gu_osan_dong_is_abolished():
    assert [a.code for a in gazetteer.abolished_matches("화성시 동탄구 오산동")] == ["4159710400"]
    # every abolished row of the 화성 extract is kept (286 of its 499 rows)
    assert len(gazetteer.abolished()) == 286


def test_places_api_offers_prefixes(client):
    got = [r["name"] for r in client.get("/api/v1/places?q=광교").json["results"]]
    assert "경기도 수원시 영통구 광교중앙역" in got
    got = client.get("/api/v1/places?q=Gwanggyo Jung").json["results"]
    assert got[0]["name_en"].startswith("Gwanggyo Jungang Station")


@pytest.mark.parametrize("q", ["화성시 동탄구 오산동", "동탄구 오산동"])
def test_places_api_says_a_dong_is_abolished(client, q):
    body = client.get("/api/v1/places", query_string={"q": q}).json
    assert body["results"] == [] and body["suggestions"] == []  # not 오산시's or 광주's 오산동
    assert body["abolished"] == [{
        "name": "경기도 화성시 동탄구 오산동", "code": "4159710400",
        "name_en": "Osan-dong, Dongtan-gu, Hwaseong-si, Gyeonggi-do",
        "label": "오산동 (화성시 동탄구)", "label_en": "Osan-dong (Dongtan-gu, Hwaseong-si)",
        "listed": "2026-09-29"}]


def test_places_api_leaves_out_abolished_when_a_place_is_found(client):
    body = client.get("/api/v1/places", query_string={"q": "오산동"}).json
    assert body["results"] and "abolished" not in body
