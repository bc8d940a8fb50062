"""Imprecise and misplaced coordinates are rejected with their own reasons (issue 12, item 15).

``tests/data/portal_coordinates.csv`` (portal layout; rows by number as a spreadsheet shows them):

| rows | what | outcome |
|---|---|---|
| 2–6 | five 시군구, 위도 37 / 경도 127 (the point lies in 평택시) | imprecise_coordinates |
| 7 | 37.26 / 127.05 (1/100 degree: 1.1 km steps) | imprecise_coordinates |
| 8 | 37.000000 / 127.000000 (whole degrees padded with zeros) | imprecise_coordinates |
| 9 | a precise point in 수원시 영통구; the row names 파주시, 52.7 km away | far_from_named_sigungu |
| 10 | a point in 영통구 1.9 km from 용인시 기흥구, which the row names | accepted + disagreement |
| 11 | 37.264 / 127.046 (1/1000 degree: 111 m steps) | accepted |
| 12–14 | one precise point named by 장안구, 팔달구, 권선구 | placeholder (stand-in point) |
| 15–16 | one point named by 영통구 and 기흥구 (two 시군구: a building on a boundary) | accepted |
"""

from __future__ import annotations

from collections import Counter

import pytest

from app.ingest.pipeline import ImportRules, coordinate_step_m, import_files

from .conftest import DATA

FIXTURE = DATA / "portal_coordinates.csv"


def by_row(result) -> dict[int, str]:
    return {r.row: r.reason for r in result.rejects}


def test_every_row_has_its_reason():
    result = import_files([FIXTURE])
    assert result.read == 15
    assert len(result.facilities) + len(result.rejects) == result.read
    assert by_row(result) == {
        2: "imprecise_coordinates", 3: "imprecise_coordinates", 4: "imprecise_coordinates",
        5: "imprecise_coordinates", 6: "imprecise_coordinates", 7: "imprecise_coordinates",
        8: "imprecise_coordinates", 9: "far_from_named_sigungu", 12: "placeholder",
        13: "placeholder", 14: "placeholder",
    }
    assert sorted(f.name for f in result.facilities) == [
        "경계어린이집", "두이름기흥어린이집", "두이름영통어린이집", "천분의일어린이집"]


def test_whole_degrees_are_not_relabelled_pyeongtaek():
    """The issue's example: five rows of five 시군구 at (37, 127) were all placed there and
    relabelled 평택시. None of them becomes a facility now, and the reason says why."""
    result = import_files([FIXTURE])
    assert not any(f.sigungu == "평택시" for f in result.facilities)
    five = [r for r in result.rejects if r.row in (2, 3, 4, 5, 6)]
    assert {r.record["시군구"] for r in five} == {
        "수원시 영통구", "성남시 분당구", "용인시 기흥구", "화성시", "평택시"}
    assert all("x 127, y 37 in EPSG:4326 are written in steps of 111,320 m" in r.detail
               for r in five)


def test_far_point_names_the_area_and_distance():
    far = next(r for r in import_files([FIXTURE]).rejects if r.row == 9)
    assert "52.7 km from 경기도 파주시" in far.detail
    assert "(in 수원시 영통구)" in far.detail
    assert "IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M" in far.detail


def test_small_boundary_disagreement_is_kept_and_reported():
    result = import_files([FIXTURE])
    kept = {f.name: f for f in result.facilities}
    assert kept["경계어린이집"].sigungu == "수원시 영통구"
    assert [(d["row"], d["in_file"], d["from_point"]) for d in result.disagreements] == [
        ("10", "용인시 기흥구", "수원시 영통구"), ("16", "용인시 기흥구", "수원시 영통구")]


def test_settings_move_the_limits():
    strict = ImportRules(named_sigungu_max_distance_m=1000, max_coordinate_step_m=100,
                         shared_point_min_sigungu=2)
    result = import_files([FIXTURE], rules=strict)
    reasons = by_row(result)
    assert reasons[10] == "far_from_named_sigungu"  # 1.9 km > 1 km
    assert reasons[11] == "imprecise_coordinates"  # 111 m steps > 100 m
    assert reasons[15] == reasons[16] == "placeholder"  # two 시군구 at one point
    loose = ImportRules(max_coordinate_step_m=2000, named_sigungu_max_distance_m=60_000,
                        shared_point_min_sigungu=4)
    reasons = by_row(import_files([FIXTURE], rules=loose))
    assert 7 not in reasons and 9 not in reasons and 12 not in reasons
    assert reasons[2] == "imprecise_coordinates"


def test_the_real_import_uses_the_settings(tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M": 1000},
                     instance_path=str(tmp_path / "instance"))
    out = tmp_path / "reg.geojson"
    result = app.test_cli_runner().invoke(args=["import-facilities", str(FIXTURE), "--out",
                                                str(out)])
    assert result.exit_code == 0, result.output
    assert "read 15 = accepted 3 + rejected 12" in result.output
    assert "far_from_named_sigungu 2" in result.output


@pytest.mark.parametrize(("x", "y", "crs", "step_m"), [
    (127, 37, "EPSG:4326", 111_320),  # whole degrees
    (127.05, 37.26, "EPSG:4326", 1113.2),  # 1/100 degree, latitude the coarser
    (127.0, 37.2636, "EPSG:4326", 88_595),  # a whole-degree longitude alone is imprecise
    (127.0450, 37.2636, "EPSG:4326", 88.6),  # 127.045: 1/1000 degree of longitude at 37.3°N
    (207510, 451417, "EPSG:5174", 1.0),  # whole metres in Korean TM: fine
    (207510.1, 451417.86, "EPSG:5174", 0.1),  # the coarser of 0.1 m and 0.01 m
    (207510.076791915, 451417.864438667, "EPSG:5174", 1e-9),  # LOCALDATA's 9 decimals
])
def test_coordinate_step(x, y, crs, step_m):
    assert coordinate_step_m(x, y, crs) == pytest.approx(step_m, rel=1e-3)


def test_integral_tm_metres_are_accepted(tmp_path):
    """LOCALDATA files in Korean TM often give whole metres: a 1 m step places a building."""
    path = tmp_path / "localdata.csv"
    path.write_text(
        "관리번호,사업장명,영업상태명,전화번호,도로명주소,좌표정보(X),좌표정보(Y)\n"
        "3040000-1,건국대학교병원,영업/정상,1588-1533,서울특별시 광진구 능동로 120-1,206303,448690\n",
        encoding="utf-8")
    result = import_files([path])
    assert [f.sigungu for f in result.facilities] == ["광진구"]


def test_real_portal_files_rows_checked_by_hand():
    """In the 15 real portal files: the one open row written to 1/10 degree, and far points."""
    from .conftest import shared

    folder = shared("kr-childcare-portal-2023")
    result = import_files(sorted(folder.glob("*_202411.xls")))
    rejects = {(r.file, r.row): r for r in result.rejects}
    # 충청남도 예산군 이지더원어린이집: 경도 126.8 (8.9 km steps; 36.5184 has 4 decimals).
    yesan = rejects[("충청남도_어린이집_현황_202411.xls", 2505)]
    assert yesan.reason == "imprecise_coordinates" and yesan.record["경도"] == "126.8"
    # 부산 동래구 명륜자이어린이집 placed 300 m from Seoul City Hall (a geocoder's fallback).
    assert rejects[("부산시_어린이집_현황_202411.xls", 556)].reason == "far_from_named_sigungu"
    # 대구 수성구 황금동 address, point in 경산시 압량면: 5.0 km outside 수성구.
    suseong = rejects[("대구시_어린이집_현황_202411.xls", 1264)]
    assert suseong.reason == "far_from_named_sigungu" and "(in 경산시)" in suseong.detail
    # 세종 고운동 가락마을5단지 placed in 보은군.
    assert rejects[("세종시_어린이집_현황_202411.xls", 154)].reason == "far_from_named_sigungu"
    # 청주시 청원구 오창 rows are inside today's 청주시 (청원군 in the boundary data): kept.
    assert not [r for r in result.rejects if r.reason == "far_from_named_sigungu"
                and r.record["시군구"].startswith("청주시") and "(in 청원군)" in r.detail]
    counts = Counter(r.reason for r in result.rejects)
    assert counts["far_from_named_sigungu"] == 96 and counts["imprecise_coordinates"] == 1
    assert result.unchecked_sigungu == Counter()


@pytest.mark.parametrize(("sido", "sigungu", "bundle_names"), [
    ("경기도", "수원시 영통구", ["수원시권선구", "수원시영통구", "수원시장안구", "수원시팔달구"]),
    ("경기도", "고양시 일산동구", ["덕양구", "일산동구", "일산서구"]),  # bundle: 구 without 고양시
    ("충청북도", "청주시 청원구", ["청원군", "청주시상당구", "청주시흥덕구"]),  # merged 2014
    ("인천광역시", "미추홀구", ["남구"]),  # renamed 2018
    ("세종특별자치시", "세종특별자치시", ["세종시"]),
    ("대구광역시", "군위군", ["군위군"]),  # 경상북도 in the bundle, 대구 since 2023
    ("경상남도", "김해시장유출장소", ["김해시"]),  # a branch office of 김해시
    ("서울특별시", "성북구", ["서울시성북구"]),
    ("전북특별자치도", "전주시 완산구", ["전주시덕진구", "전주시완산구"]),
    ("제주도", "제주시", ["제주시"]),
    (None, "중구", ["중구"] * 6),  # no 시도: every 중구
    ("경기도", "@SUM(1)", None),  # unknown: not checked
    ("경기도", "", None),
])
def test_named_sigungu_resolution(sido, sigungu, bundle_names):
    from app.geo import admin
    from app.geo.named_areas import resolve

    found = resolve(sido, sigungu)
    metas = admin.load_level("sigungu").metas
    assert (None if found is None else sorted(metas[i]["sigungu"] for i in found)) == bundle_names
