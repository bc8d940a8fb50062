"""The offline gazetteer as parents use it: stations, schools, 화성's 2026 구, ranking and
English names (issue 14, "Place search: what parents actually type").

The first part reads the committed place list; the second builds one from small lists written
here in the shapes of the real ones (``../shared/data/kr-stations-*``, ``kr-schools-*``)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from app.geo import gazetteer, landmarks
from app.geo.gazetteer import Place, abolished_matches, search


def names(query: str, limit: int = 8, **kw) -> list[str]:
    return [p.name for p in search(query, limit, **kw)]


# --- stations and schools in the committed place list ---------------------------------------

def test_stations_are_found_once_with_their_lines_merged():
    first = search("판교역")[0]
    assert (first.name, first.level) == ("경기도 성남시 분당구 판교역", "station")
    assert first.detail == "경강선, 신분당선"  # 신분당선 (two lists) and 경강선: one place
    assert first.code.startswith("station:")
    assert [p.name for p in gazetteer.places() if p.parts[-1] == "판교역"] == [first.name]
    suwon = search("수원역")[0]
    assert (suwon.name, suwon.detail) == ("경기도 수원시 팔달구 수원역", "1호선, 수인분당선")
    assert names("광교중앙역") == ["경기도 수원시 영통구 광교중앙역"]
    assert names("아주대역") == ["경기도 수원시 영통구 광교중앙역"]  # its bracketed name
    assert names("수원 광교중앙") == ["경기도 수원시 영통구 광교중앙역"]


def test_gtx_station_only_in_the_seoul_list_is_there():
    dongtan = search("동탄역")[0]
    assert (dongtan.name, dongtan.detail) == ("경기도 화성시 동탄구 동탄역", "GTX-A")
    assert (dongtan.lat, dongtan.lon) == (37.20034, 127.09569)


def test_station_placed_in_bonghwa_by_the_standard_is_in_seoul():
    yangwon = search("양원역")[0]
    assert yangwon.name == "서울특별시 중랑구 양원역"
    assert 37.5 < yangwon.lat < 37.7 and 127.0 < yangwon.lon < 127.2  # not 36.96, 129.09


def test_schools_by_full_and_short_name():
    school = search("매탄초등학교")[0]
    assert (school.name, school.level) == ("경기도 수원시 영통구 매탄초등학교", "school")
    assert school.detail == "경기도 수원시 영통구 매탄로 139"
    assert (school.lat, school.lon) == (37.264157, 127.043192)
    assert names("매탄초") == names("매탄초교") == [school.name]
    assert names("영통구 매탄초") == [school.name]
    # 1,379 초등학교 in 경기 less one closed (천보초등학교(폐교))
    assert sum(p.level == "school" for p in gazetteer.places()) == 1378
    assert names("천보초등학교(폐교)") == []


def test_seoul_districts_are_not_under_a_city_named_seoul():
    assert names("서울 성북구") == ["서울특별시 성북구"]


# --- 화성's 2026 구 -------------------------------------------------------------------------

def test_hwaseong_2026_gu_and_their_dong():
    gu = search("동탄구")[0]
    assert (gu.name, gu.level, gu.code) == ("경기도 화성시 동탄구", "sigungu", "41597")
    dong = search("화성시 동탄구 청계동")[0]
    assert (dong.name, dong.level, dong.code) == ("경기도 화성시 동탄구 청계동", "emd", "41597105")
    assert 37.15 < dong.lat < 37.25 and 127.05 < dong.lon < 127.15  # 동탄, not the city centre
    assert names("만세구 남양읍") == ["경기도 화성시 만세구 남양읍"]
    assert [search(q)[0].name for q in ("효행구", "병점구")] == \
        ["경기도 화성시 효행구", "경기도 화성시 병점구"]


def test_hwaseong_names_before_2026_still_found():
    # written without the 구: the current place
    assert names("화성시 청계동") == ["경기도 화성시 동탄구 청계동"]
    assert names("화성시 반송동") == ["경기도 화성시 동탄구 반송동"]  # one place, not two
    # names the 2026 법정동 list marks abolished (폐지) are never offered as current places;
    # the place search says they no longer exist (issue 14: a tester took 동탄면 for current)
    assert names("화성시 동탄면") == [] and names("동탄면 청계리") == []
    assert [a.name for a in abolished_matches("화성시 동탄면")][:1] == ["경기도 화성시 동탄면"]
    assert [a.name for a in abolished_matches("동탄면 청계리")][:1] == ["경기도 화성시 동탄면 청계리"]


# --- ranking --------------------------------------------------------------------------------

def test_suwon_is_the_city_first():
    got = names("수원", 3)
    assert got[:2] == ["경기도 수원시", "경기도 수원시 팔달구 수원역"]
    # then 경기's stations (and schools) whose name starts with 수원, before 충북's 수원리
    assert got[2] == "경기도 수원시 팔달구 수원시청역"
    assert search("수원")[0].code == "41110"
    assert names("수원", 8, landmark_prefixes=False)[2] == "충청북도 영동군 매곡면 수원리"


def test_pangyo_lists_gyeonggi_first():
    got = names("판교")
    assert got[:5] == ["경기도 성남시 분당구 판교동", "경기도 성남시 분당구 판교역",
                       "경기도 성남시 분당구 판교초등학교", "경기도 성남시 분당구 판교대장초등학교",
                       "충청남도 서천군 판교면"]
    assert all(not n.startswith("경기도") for n in got[4:])


def test_map_view_and_a_point_nearby_come_first():
    seocheon = (126.6, 36.0, 126.8, 36.2)  # the map shows 서천 (충남)
    assert names("판교", 2, view=seocheon) == ["충청남도 서천군 판교면", "충청남도 서천군 판교면 판교리"]
    # of 경기's two 중앙동 (성남 first by code), the one nearest the point first
    assert names("중앙동", 2) == ["경기도 성남시 중원구 중앙동", "경기도 과천시 중앙동"]
    assert names("중앙동", 2, near=(126.99, 37.43)) == ["경기도 과천시 중앙동", "경기도 성남시 중원구 중앙동"]


def test_prefer_another_sido():
    # two stations called 양평: 경기's first, or 서울's for a registry of 서울
    assert names("양평역") == ["경기도 양평군 양평역", "서울특별시 영등포구 양평역"]
    assert names("양평역", prefer_sido="11") == ["서울특별시 영등포구 양평역", "경기도 양평군 양평역"]


# --- English --------------------------------------------------------------------------------

def test_english_queries():
    assert names("Suwon", 1) == ["경기도 수원시"]
    assert names("suwon-si", 1) == names("Suwon si", 1) == ["경기도 수원시"]
    assert names("Pangyo", 2) == ["경기도 성남시 분당구 판교동", "경기도 성남시 분당구 판교역"]
    assert names("Pangyo Station") == ["경기도 성남시 분당구 판교역"]
    assert names("Yeongtong", 2) == ["경기도 수원시 영통구", "경기도 수원시 영통구 영통동"]
    assert names("Yeongtong-gu, Suwon-si") == ["경기도 수원시 영통구"]  # English order
    assert names("Maetan Elementary School") == ["경기도 수원시 영통구 매탄초등학교"]
    assert names("Dongtan-gu", 1) == ["경기도 화성시 동탄구"]


def test_places_carry_english_names():
    assert search("수원")[0].name_en == "Suwon-si, Gyeonggi-do"
    assert search("영통구 매탄동")[0].name_en == "Maetan-dong, Yeongtong-gu, Suwon-si, Gyeonggi-do"
    assert search("판교역")[0].name_en == "Pangyo Station, Bundang-gu, Seongnam-si, Gyeonggi-do"
    assert search("매탄초")[0].name_en.startswith("Maetan Elementary School, Yeongtong-gu")
    assert search("서울 종로구")[0].name_en == "Jongno-gu, Seoul"
    # a Place made by other code keeps working without them
    p = Place(name="x", level="emd", code="1", lon=0.0, lat=0.0, parts=("x",))
    assert (p.name_en, p.detail, p.aliases) == ("", "", ())


def test_romanisation():
    assert landmarks.english_area("수원시") == "Suwon-si"
    assert landmarks.english_area("매탄동") == "Maetan-dong"
    assert landmarks.english_area("종로1가") == "Jongno 1-ga"
    assert landmarks.english_area("서울특별시") == "Seoul"
    assert landmarks.english_area("신라동") == "Silla-dong"  # pronunciation rules (ㄴ+ㄹ)
    assert landmarks.english_school("매탄초등학교") == "Maetan Elementary School"
    assert landmarks.english_school("금광초등학교조령분교장") == \
        "Geumgwang Elementary School Joryeong Branch"


# --- the generator, on small lists ----------------------------------------------------------

STANDARD_HEADER = ["역번호", "역사명", "노선번호", "노선명", "영문역사명", "한자역사명", "환승역구분",
                   "환승노선번호", "환승노선명", "역위도", "역경도", "운영기관명", "역사도로명주소",
                   "역사전화번호", "데이터기준일자"]
SCHOOL_HEADER = ["학교ID", "학교명", "학교급구분", "설립일자", "설립형태", "본교분교구분", "운영상태",
                 "소재지지번주소", "소재지도로명주소", "시도교육청코드", "시도교육청명", "교육지원청코드",
                 "교육지원청명", "생성일자", "변경일자", "위도", "경도", "데이터기준일자", "제공기관코드",
                 "제공기관명"]


def _csv(path: Path, header: list[str], rows: list[dict], encoding: str) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, restval="")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _standard(no, name, line, lat, lon, address, en=""):
    return {"역번호": no, "역사명": name, "노선명": line, "영문역사명": en, "역위도": lat, "역경도": lon,
            "역사도로명주소": address}


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("lists")
    standard = _csv(d / "subway_data.csv", STANDARD_HEADER, [
        _standard("D011", "판교", "신분당선", "37.3957147534829", "127.111210738619",
                  "경기도 성남시 분당구 판교역로 지하 160", "Pangyo(Pangyo Techno Valley)"),
        _standard("1501", "판교역", "경강선", "37.394798", "127.111135",
                  "경기도 성남시 분당구 판교역로 160", "Pangyo"),
        _standard("1713", "수원역", "경부선", "37.266162", "126.999821",
                  "경기도 수원시 팔달구 덕영대로 924", "Suwon"),
        _standard("1846", "수원역(분당)", "분당선", "37.266162", "127.000082",
                  "경기도 수원시 팔달구 덕영대로 944", "Suwon"),
        # the standard's quirk: 서울 중랑구 by address, 봉화 (경북) by point
        _standard("1204", "양원역", "경의중앙선", "36.963729", "129.091321",
                  "서울시 중랑구 송림길 147(망우동)", "Yangwon"),
        _standard("0514", "마곡", "5호선", "37.55865", "126.837693",
                  "서울특별시 강서구 마곡중앙로 지하 161", "Magok"),
        _standard("1217", "양평역", "경의중앙선", "37.492674", "127.491858",
                  "경기도 양평군 양평읍 역전길 30", "Yangpyeong"),
    ], "utf-8-sig")
    master = _csv(d / "master.csv", ["역사_ID", "역사명", "호선", "위도", "경도"], [
        {"역사_ID": "4311", "역사명": "판교", "호선": "신분당선", "위도": "37.394761", "경도": "127.112217"},
        {"역사_ID": "9010", "역사명": "동탄", "호선": "수도권 광역급행철도", "위도": "37.20034",
         "경도": "127.09569"},
        {"역사_ID": "1204", "역사명": "양원", "호선": "중앙선", "위도": "37.606596", "경도": "127.107906"},
        # 1.1 km from the standard's 마곡, same line: one station, the standard's point
        {"역사_ID": "2515", "역사명": "마곡", "호선": "5호선", "위도": "37.560183", "경도": "126.825448"},
        # another station of the same name 43 km away
        {"역사_ID": "2523", "역사명": "양평", "호선": "5호선", "위도": "37.525569", "경도": "126.886129"},
        {"역사_ID": "1407", "역사명": "온양온천", "호선": "장항선", "위도": "36.780483",
         "경도": "127.003249"},  # 충남: not kept
    ], "cp949")

    def school(sid, name, level, lat, lon, jibun, road, office="경기도교육청"):
        return {"학교ID": sid, "학교명": name, "학교급구분": level, "운영상태": "운영",
                "소재지지번주소": jibun, "소재지도로명주소": road, "시도교육청명": office,
                "위도": lat, "경도": lon}

    schools = _csv(d / "schools.csv", SCHOOL_HEADER, [
        school("B1", "매탄초등학교", "초등학교", "37.26415677", "127.0431916",
               "경기도 수원시 영통구 매탄동 946", "경기도 수원시 영통구 매탄로 139"),
        school("B2", "화성청계초등학교", "초등학교", "37.199192", "127.1021055",
               "경기도 화성시 동탄구 청계동 518", "경기도 화성시 동탄구 동탄대로시범길 39"),
        school("B3", "천보초등학교(폐교)", "초등학교", "37.74", "127.05",
               "경기도 의정부시 고산동 1", "경기도 의정부시 고산로 1"),
        # 수원 by address, a point in 부산
        school("B4", "틀린초등학교", "초등학교", "35.1796", "129.0756",
               "경기도 수원시 장안구 정자동 1", "경기도 수원시 장안구 정자로 1"),
        school("B5", "매탄중학교", "중학교", "37.265", "127.045",
               "경기도 수원시 영통구 매탄동 1", "경기도 수원시 영통구 매탄로 1"),
        school("B6", "서울초등학교", "초등학교", "37.5", "127.0", "서울특별시 서초구 1",
               "서울특별시 서초구 1", "서울특별시교육청"),
    ], "cp949")
    bjd = d / "bjd.csv"
    bjd.write_bytes("법정동코드,법정동명,폐지여부\r\n4159000000,경기도 화성시,존재\r\n"
                    "4159700000,경기도 화성시 동탄구,존재\r\n"
                    "4159710500,경기도 화성시 동탄구 청계동,존재\r\n"
                    "4159710200,경기도 화성시 동탄구 반송동,존재\r\n"
                    "4159012700,경기도 화성시 반송동,폐지\r\n".encode("cp949"))
    return {"master": master, "standard": standard, "schools": schools, "bjd": bjd}


def test_stations_reconciled_and_contradicting_rows_rejected(lists):
    report = landmarks.Report()
    got = {(s.name, s.lat, s.lon): s for s in landmarks.stations(lists["master"],
                                                                 lists["standard"], report)}
    assert sorted((s.name, s.detail) for s in got.values()) == [
        ("동탄역", "GTX-A"), ("마곡역", "5호선"), ("수원역", "1호선, 수인분당선"),
        ("양원역", "경의중앙선"), ("양평역", "5호선"), ("양평역", "경의중앙선"),
        ("판교역", "경강선, 신분당선")]
    by_name = {s.name: s for s in got.values()}
    assert (by_name["양원역"].lat, by_name["양원역"].lon) == (37.606596, 127.107906)  # master's
    assert (by_name["마곡역"].lat, by_name["마곡역"].lon) == (37.55865, 126.837693)  # standard's
    assert by_name["판교역"].name_en == "Pangyo Station"
    assert by_name["동탄역"].name_en == "Dongtan Station"  # romanised: not in the standard
    assert by_name["수원역"].aliases == ()  # "(분당)" after 역 names a line, not the station
    assert report.counts == {
        "station rows read (standard)": 7, "station rows read (seoul master)": 6,
        "station rejected: point over 2000 m outside the 시군구 its address names": 1,
        "station rows unchecked (no address, or no 시군구 in it)": 6,
        "station rows outside 서울·인천·경기 (not kept)": 1,
        "station rows of one line over 1000 m apart (merged, the standard's point kept)": 1,
        "station rows merged into another row": 4,  # 판교 2, 수원 1, 마곡 1
        "station names used by stations over 1000 m apart (kept apart)": 1,  # 양평
        "stations kept": 7}


def test_schools_in_scope_and_contradicting_rows_rejected(lists):
    report = landmarks.Report()
    got = landmarks.schools(lists["schools"], report)
    assert [(s.name, s.aliases, s.address_gu, s.address_emd) for s in got] == [
        ("매탄초등학교", ("매탄초", "매탄초교"), "영통구", "매탄동"),
        ("화성청계초등학교", ("화성청계초", "화성청계초교"), "동탄구", "청계동")]
    assert report.counts == {
        "school rows read": 6, "school rejected: closed (폐교)": 1,
        "school rows in scope (경기도 초등학교, open)": 3,
        "school rejected: point over 2000 m outside the 시군구 its address names": 1,
        "schools kept": 2}


def test_generator_builds_a_searchable_list(lists, tmp_path, capsys):
    out = tmp_path / "data" / "gazetteer.json.gz"
    code = gazetteer.main(["--stations-seoul-master", str(lists["master"]),
                           "--stations-standard", str(lists["standard"]),
                           "--schools", str(lists["schools"]), "--hwaseong-2026", str(lists["bjd"]),
                           "--output", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "  stations kept: 7\n" in err and "  schools kept: 2\n" in err
    assert "  화성 2026 구, 읍면동 and 리 added: 3\n" in err
    assert f"places to {out} (" in err and (tmp_path / "data" / "gyeonggi_sigungu.geojson.gz").exists()
    doc = json.loads(gzip.decompress(out.read_bytes()))
    rows = {r[0]: r for r in doc["places"]}
    assert rows["경기도 화성시 동탄구 화성청계초등학교"][:3] == \
        ["경기도 화성시 동탄구 화성청계초등학교", "school", "school:B2"]
    assert rows["경기도 화성시 동탄구 동탄역"][5:] == ["GTX-A", ""]
    assert "경기도 화성시 반송동" not in rows and "경기도 화성시 동탄구 반송동" in rows
    # 청계동 is new (the bundle has 동탄면 청계리): the 동탄면 청계리 point
    assert rows["경기도 화성시 동탄구 청계동"][3:5] == rows["경기도 화성시 동탄면 청계리"][3:5]
    assert doc["english"]["화성청계초등학교"] == "Hwaseongcheonggye Elementary School"


def test_generator_names_a_missing_input(tmp_path, capsys):
    with pytest.raises(SystemExit, match="2"):
        gazetteer.main(["--stations-seoul-master", str(tmp_path / "nope.csv"),
                        "--stations-standard", "x", "--schools", "x", "--hwaseong-2026", "x"])
    assert "--stations-seoul-master: no such file:" in capsys.readouterr().err


def test_places_api_finds_stations_schools_and_english(client):
    for q, name in (("판교역", "경기도 성남시 분당구 판교역"), ("Suwon", "경기도 수원시"),
                    ("매탄초등학교", "경기도 수원시 영통구 매탄초등학교"), ("동탄구", "경기도 화성시 동탄구")):
        first = client.get("/api/v1/places", query_string={"q": q}).json["results"][0]
        assert first["name"] == name, q
