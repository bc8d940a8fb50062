"""What each section of a column-mapping file does (issue 12, item 24): ``[geometry] crs``,
``[status_values]``, ``[defaults]``, ``[source] id_from`` and ``id_prefix``, candidate columns,
unknown sections and fields, a missing ``name``. Each answer is checkable by hand; the ids follow
the recipe SHA-1 of the ``id_from`` values joined by ``|`` (coordinates to 7 decimals)."""

from __future__ import annotations

import hashlib

import pytest

from pyproj import Transformer

from app.ingest.mapping import FIELDS, MappingError, load_mapping_file
from app.ingest.pipeline import import_files

SUWON = (127.0450, 37.2636)  # lon, lat: 수원시 영통구 매탄동
PALDAL = (127.0138, 37.2813)  # 수원시 팔달구


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sha(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


CSV = (
    "기관명,주소,상태,경도,위도,유형\n"
    f"해님어린이집,수원시 영통구 매탄동 1,운영중,{SUWON[0]},{SUWON[1]},\n"
    f"별빛센터,수원시 팔달구 남창동 14,폐원,{PALDAL[0]},{PALDAL[1]},community_child_center\n"
)
BASE = """
[columns]
name = "기관명"
address = "주소"
status = "상태"
kind = "유형"
[geometry]
x = "경도"
y = "위도"
[defaults]
kind = "daycare"
"""


class TestSections:
    def test_status_values_translate_and_keep_the_built_in_ones(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + '[status_values]\n"운영중" = "정상"\n"폐원" = "폐지"\n')
        m = load_mapping_file(mapping)
        assert (m.status_values["운영중"], m.status_values["폐원"]) == ("정상", "폐지")
        assert m.status_values["휴업"] == "휴지"  # LOCALDATA's, still there
        result = import_files([write(tmp_path, "a.csv", CSV)], mapping_path=mapping)
        assert [(f.name, f.status) for f in result.facilities] == [("해님어린이집", "정상")]
        assert [(r.row, r.reason) for r in result.rejects] == [(3, "closed")]

    def test_status_values_must_be_statuses(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + '[status_values]\n"운영중" = "open"\n')
        with pytest.raises(MappingError, match=r"\[status_values\] translates to \['open'\]"):
            load_mapping_file(mapping)

    def test_defaults_fill_empty_cells_only(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + '[status_values]\n"운영중" = "정상"\n'
                        '"폐원" = "정상"\n')
        result = import_files([write(tmp_path, "a.csv", CSV)], mapping_path=mapping)
        kinds = {f.name: f.kind for f in result.facilities}
        # The empty 유형 cell takes the default; a cell with a value keeps it.
        assert kinds == {"해님어린이집": "daycare", "별빛센터": "community_child_center"}

    def test_defaults_of_unknown_fields_are_refused(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + 'colour = "red"\n')
        with pytest.raises(MappingError, match=r"unknown field\(s\) \['colour'\] in \[defaults\]"):
            load_mapping_file(mapping)

    def test_geometry_crs(self, tmp_path):
        x, y = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True).transform(*SUWON)
        csv = f"기관명,X,Y\n해님어린이집,{x:.3f},{y:.3f}\n"
        mapping = write(tmp_path, "m.toml", '[columns]\nname = "기관명"\n[geometry]\nx = "X"\n'
                        'y = "Y"\ncrs = "EPSG:5179"\n[defaults]\nkind = "daycare"\n')
        assert load_mapping_file(mapping).crs == "EPSG:5179"
        f = import_files([write(tmp_path, "a.csv", csv)], mapping_path=mapping).facilities[0]
        assert (f.lon, f.lat) == pytest.approx(SUWON, abs=1e-6)
        assert f.sigungu == "수원시 영통구"

    def test_source_crs_wins_over_geometry_crs_and_wgs84_is_the_default(self, tmp_path):
        both = '[source]\ncrs = "EPSG:5186"\n' + BASE.replace('y = "위도"', 'y = "위도"\ncrs = "EPSG:5179"')
        assert load_mapping_file(write(tmp_path, "both.toml", both)).crs == "EPSG:5186"
        assert load_mapping_file(write(tmp_path, "none.toml", BASE)).crs == "EPSG:4326"

    def test_unknown_crs(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE.replace('y = "위도"', 'y = "위도"\ncrs = "EPSG:0"'))
        with pytest.raises(MappingError, match="EPSG:0"):
            load_mapping_file(mapping)

    def test_id_from_and_prefix(self, tmp_path):
        mapping = write(tmp_path, "m.toml", '[source]\nid_prefix = "sw-"\nid_from = ["name", "address"]\n'
                        + BASE + '[status_values]\n"운영중" = "정상"\n"폐원" = "정상"\n')
        ids = {f.name: f.id for f in
               import_files([write(tmp_path, "a.csv", CSV)], mapping_path=mapping).facilities}
        assert ids == {"해님어린이집": "sw-" + sha("해님어린이집", "수원시 영통구 매탄동 1"),
                       "별빛센터": "sw-" + sha("별빛센터", "수원시 팔달구 남창동 14")}

    def test_default_id_from_is_name_and_point(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + '[status_values]\n"운영중" = "정상"\n')
        m = load_mapping_file(mapping)
        assert (m.id_from, m.id_prefix) == (("name", "x", "y"), "")
        f = import_files([write(tmp_path, "a.csv", CSV)], mapping_path=mapping).facilities[0]
        assert f.id == "imp-" + sha("해님어린이집", f"{SUWON[0]:.7f}", f"{SUWON[1]:.7f}")

    def test_an_id_column_wins_over_id_from(self, tmp_path):
        csv = f"번호,기관명,경도,위도\nA-17,해님어린이집,{SUWON[0]},{SUWON[1]}\n"
        mapping = write(tmp_path, "m.toml", '[source]\nid_prefix = "sw-"\n[columns]\nid = "번호"\n'
                        'name = "기관명"\n[geometry]\nx = "경도"\ny = "위도"\n[defaults]\nkind = "daycare"\n')
        f = import_files([write(tmp_path, "a.csv", csv)], mapping_path=mapping).facilities[0]
        assert f.id == "sw-A-17"

    def test_candidate_columns_first_non_empty_wins(self, tmp_path):
        csv = ("기관명,도로명주소,지번주소,경도,위도\n"
               f"해님어린이집,,매탄동 1,{SUWON[0]},{SUWON[1]}\n"
               f"달님어린이집,매탄로 2,매탄동 2,{PALDAL[0]},{PALDAL[1]}\n")
        mapping = write(tmp_path, "m.toml", '[columns]\nname = "기관명"\naddress = ["도로명주소", "지번주소"]\n'
                        '[geometry]\nx = "경도"\ny = "위도"\n[defaults]\nkind = "daycare"\n')
        assert load_mapping_file(mapping).columns["address"] == ["도로명주소", "지번주소"]
        result = import_files([write(tmp_path, "a.csv", csv)], mapping_path=mapping)
        assert {f.name: f.address for f in result.facilities} == \
            {"해님어린이집": "매탄동 1", "달님어린이집": "매탄로 2"}

    def test_region_from_source(self, tmp_path):
        mapping = write(tmp_path, "m.toml", '[source]\nregion = "41"\n' + BASE)
        assert load_mapping_file(mapping).region == "41"
        assert load_mapping_file(write(tmp_path, "n.toml", BASE)).region is None


class TestRefused:
    def test_unknown_section(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE + "[colums]\nname = \"x\"\n")
        with pytest.raises(MappingError, match=r"unknown section\(s\) \['colums'\]; allowed: source, columns"):
            load_mapping_file(mapping)

    def test_unknown_field_in_columns(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE.replace('name = "기관명"', 'name = "기관명"\nnmae = "x"'))
        with pytest.raises(MappingError, match=r"unknown field 'nmae' in \[columns\]; allowed: id, name"):
            load_mapping_file(mapping)
        assert "nmae" not in FIELDS

    def test_missing_name(self, tmp_path):
        mapping = write(tmp_path, "m.toml", BASE.replace('name = "기관명"\n', ""))
        with pytest.raises(MappingError, match=r"\[columns\] must name the 'name' column"):
            load_mapping_file(mapping)

    def test_missing_file(self, tmp_path):
        with pytest.raises(MappingError, match=r"mapping file .*nope\.toml does not exist"):
            load_mapping_file(tmp_path / "nope.toml")

    def test_not_toml(self, tmp_path):
        with pytest.raises(MappingError, match=r"mapping file m\.toml is not valid UTF-8 TOML"):
            load_mapping_file(write(tmp_path, "m.toml", "[columns\nname = 1"))
        path = tmp_path / "latin.toml"
        path.write_bytes('[columns]\nname = "caf\xe9"\n'.encode("latin-1"))
        with pytest.raises(MappingError, match=r"mapping file latin\.toml is not valid UTF-8 TOML"):
            load_mapping_file(path)

    def test_mapping_name_names_the_file(self, tmp_path):
        assert load_mapping_file(write(tmp_path, "suwon.toml", BASE)).name == "mapping suwon.toml"
