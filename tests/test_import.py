"""Importing registries: every row accounted for, each reject reason, encodings, CRSs, files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter

import pytest

from app.geo.crs import geodesic_distance_m
from app.ingest.pipeline import import_files
from app.ingest.readers import InputFileError
from app.registry.io import read_registry

from .conftest import DATA, shared

PORTAL_TINY = DATA / "portal_tiny.csv"


def reasons(result) -> dict[str, int]:
    return dict(Counter(r.reason for r in result.rejects))


class TestTinyPortal:
    def test_every_row_accounted_for(self):
        result = import_files([PORTAL_TINY])
        assert result.read == 11
        assert len(result.facilities) == 3
        assert reasons(result) == {
            "closed": 2, "no_coordinates": 1, "placeholder": 1, "outside_region": 1,
            "duplicate": 1, "unparsable_field": 1, "invalid_coordinates": 1,
        }
        assert {r.row: r.reason for r in result.rejects} == {
            3: "closed", 4: "closed", 5: "no_coordinates", 6: "placeholder",
            7: "outside_region", 8: "duplicate", 9: "unparsable_field",
            12: "invalid_coordinates",
        }
        unparsable = next(r for r in result.rejects if r.reason == "unparsable_field")
        assert "capacity" in unparsable.detail and "열명" in unparsable.detail

    def test_admin_areas_from_point_and_disagreement(self):
        result = import_files([PORTAL_TINY])
        by_name = {f.name: f for f in result.facilities}
        assert by_name["매탄해님어린이집"].sigungu == "수원시 영통구"
        assert by_name["매탄해님어린이집"].emd == "매탄동"
        assert by_name["주소다른어린이집"].sigungu == "수원시 영통구"
        assert by_name["부평재개어린이집"].status == "재개"
        assert result.disagreements == [{
            "file": "portal_tiny.csv", "row": "11", "id": by_name["주소다른어린이집"].id,
            "field": "sigungu", "in_file": "용인시 기흥구", "from_point": "수원시 영통구",
        }]

    def test_region_gyeonggi_only(self):
        result = import_files([PORTAL_TINY], region="41")
        assert len(result.facilities) == 2
        assert reasons(result)["outside_region"] == 2

    def test_portal_defaults(self):
        f = next(f for f in import_files([PORTAL_TINY]).facilities if f.name == "매탄해님어린이집")
        assert (f.kind, f.capacity, f.enrolment) == ("daycare", 40, 30)
        assert f.hours.to_mapping()["mon"] == ["07:30-19:30"]
        assert f.hours.to_mapping()["sun"] == []
        # A CSV has no 기준일, so no vacancy figure is claimed.
        assert f.vacancies == {}

    @pytest.mark.parametrize("encoding", ["cp949", "utf-8-sig", "utf-8"])
    def test_encodings_detected(self, tmp_path, encoding):
        path = tmp_path / "portal.csv"
        path.write_bytes(PORTAL_TINY.read_text(encoding="utf-8").encode(encoding))
        result = import_files([path])
        assert len(result.facilities) == 3
        assert {f.name for f in result.facilities} >= {"매탄해님어린이집"}

    def test_wrong_encoding_given(self, tmp_path):
        path = tmp_path / "portal.csv"
        path.write_bytes(PORTAL_TINY.read_text(encoding="utf-8").encode("cp949"))
        with pytest.raises(InputFileError, match="cannot be decoded as utf-8"):
            import_files([path], encoding="utf-8")


class TestBadFiles:
    def test_missing_columns(self, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("시도,어린이집명,운영현황,위도,경도\n경기도,a,정상,37.3,127.0\n")
        with pytest.raises(InputFileError, match="missing required column"):
            import_files([path])

    def test_unrecognised_columns(self, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("foo,bar\n1,2\n")
        with pytest.raises(InputFileError, match="unrecognised columns"):
            import_files([path])

    def test_not_excel(self, tmp_path):
        path = tmp_path / "x.xls"
        path.write_text("this is not a workbook")
        with pytest.raises(InputFileError, match="not a readable Excel workbook"):
            import_files([path])

    def test_unknown_extension(self, tmp_path):
        path = tmp_path / "x.pdf"
        path.write_text("x")
        with pytest.raises(InputFileError, match=r"allowed: \.xls"):
            import_files([path])

    def test_missing_file(self, tmp_path):
        with pytest.raises(InputFileError, match="no such file"):
            import_files([tmp_path / "nope.csv"])

    def test_unknown_crs(self):
        with pytest.raises(InputFileError, match="unknown CRS"):
            import_files([PORTAL_TINY], crs="EPSG:999999")

    def test_unknown_region(self):
        with pytest.raises(InputFileError, match="unknown region"):
            import_files([PORTAL_TINY], region="Gyeonggi")


class TestGeoFormats:
    def _features(self):
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.045, 37.2636]},
             "properties": {"id": "a", "name": "가", "kind": "together_care_center",
                            "hours": {"mon": ["13:00-19:00"]}}},
            {"type": "Feature", "geometry": None, "properties": {"id": "b", "name": "나"}},
            {"type": "Feature", "geometry": {"type": "LineString",
                                             "coordinates": [[127, 37], [127.1, 37.1]]},
             "properties": {"id": "c", "name": "다"}},
        ]}

    def test_geojson(self, tmp_path):
        path = tmp_path / "f.geojson"
        path.write_text(json.dumps(self._features(), ensure_ascii=False))
        result = import_files([path])
        assert [f.id for f in result.facilities] == ["a"]
        assert result.facilities[0].kind == "together_care_center"
        assert result.facilities[0].hours.to_mapping()["mon"] == ["13:00-19:00"]
        assert reasons(result) == {"no_coordinates": 1, "invalid_coordinates": 1}

    def test_geopackage_in_tm(self, tmp_path):
        import geopandas as gpd
        from shapely.geometry import Point

        frame = gpd.GeoDataFrame(
            {"name": ["가", "나"], "id": ["a", "b"]},
            geometry=[Point(127.045, 37.2636), Point(127.046, 37.266)], crs="EPSG:4326",
        ).to_crs("EPSG:5186")
        path = tmp_path / "f.gpkg"
        frame.to_file(path, driver="GPKG")
        result = import_files([path])
        assert sorted(f.id for f in result.facilities) == ["a", "b"]
        a = next(f for f in result.facilities if f.id == "a")
        assert geodesic_distance_m(a.lon, a.lat, 127.045, 37.2636) < 0.01

    def test_registry_round_trip(self, tmp_path):
        from app.registry.io import write_registry

        src = import_files([PORTAL_TINY]).facilities
        path = tmp_path / "r.geojson"
        write_registry(path, {"name": "t"}, src)
        again = import_files([path]).facilities
        assert sorted(f.id for f in again) == sorted(f.id for f in src)


class TestRealFiles:
    def test_all_portal_files(self):
        folder = shared("kr-childcare-portal-2023")
        paths = sorted(folder.glob("*_202411.xls"))
        assert len(paths) == 15
        result = import_files(paths)
        assert result.read == 31826
        # 15,626 open (정상 15,216 + 재개 410) minus 104 placeholders, 17 points outside
        # Korea (checked one by one in the rejects: sea points and two 백령도 centres the
        # boundary bundle's coastline leaves out), 1 longitude written to 1/10 degree and 96
        # points more than 5 km from the 시군구 their row names (24 of them within 1 km of
        # Seoul City Hall; see test_import_coordinates.py for rows checked by hand).
        assert len(result.facilities) == 15408
        assert reasons(result) == {"closed": 16198, "unparsable_field": 2, "placeholder": 104,
                                   "outside_region": 17, "imprecise_coordinates": 1,
                                   "far_from_named_sigungu": 96}
        assert all(f.status in ("정상", "재개") for f in result.facilities)
        assert len(result.facilities) + len(result.rejects) == result.read
        # Vacancies from 정원/현원 carry the sheet's 기준일 as their report time.
        f = result.facilities[0]
        assert f.availability_reported_at.date().isoformat() == "2023-11-30"

    def test_localdata_tm_cp949(self):
        path = shared("kr-localdata-tm-sample", "서울시 광진구 병원 인허가 정보.csv")
        result = import_files([path])
        assert result.read == 18
        assert len(result.facilities) == 13
        assert reasons(result) == {"closed": 5}
        konkuk = next(f for f in result.facilities if f.name == "건국대학교병원")
        assert geodesic_distance_m(konkuk.lon, konkuk.lat, 127.07211, 37.54044) <= 25
        assert konkuk.sigungu == "광진구"

    def test_toronto_with_mapping(self):
        path = shared("ca-toronto-licensed-child-care-centres", "raw_childcare_data.csv")
        result = import_files([path], mapping_path=DATA / "toronto-mapping.toml")
        assert result.read == 1066
        # Two rows carry an empty MultiPoint (rows 502 and 1039).
        assert len(result.facilities) == 1064
        assert {r.row: r.reason for r in result.rejects} == {502: "no_coordinates",
                                                              1039: "no_coordinates"}
        first = next(f for f in result.facilities if f.id == "toronto-1013")
        assert first.name == "Lakeshore Community Child Care Centre"
        assert first.capacity == 164
        assert (round(first.lon, 5), round(first.lat, 5)) == (-79.50419, 43.59992)


class TestCli:
    def test_import_writes_registry_and_rejects(self, runner, tmp_path):
        out = tmp_path / "reg.geojson"
        result = runner.invoke(args=["import-facilities", str(PORTAL_TINY), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "read 11 = accepted 3 + rejected 8" in result.output
        assert len(read_registry(out).facilities) == 3
        rejects = (tmp_path / "reg.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(rejects) == 1 + 8
        assert (tmp_path / "reg.rejects.disagreements.csv").exists()

    def test_no_csv_cell_opens_as_a_formula(self, runner, tmp_path):
        """Issue 12, item 4: registry text such as ``=HYPERLINK(...)`` or ``@SUM(1)`` lands in
        the rejects and disagreements CSVs (opened in Excel: they carry a BOM) as text."""
        evil = '=HYPERLINK("http://evil.example","x")'
        with PORTAL_TINY.open(encoding="utf-8") as fh:
            header, row = next(csv.reader(fh)), next(csv.reader(fh))
        portal = tmp_path / "=HYPERLINK(1).csv"  # the file name is a cell too
        with portal.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            cells = dict(zip(header, row, strict=True))
            writer.writerow([{**cells, "시군구": "@SUM(1)", "어린이집명": "+1+1어린이집"}[c]
                             for c in header])  # accepted; a disagreement
            writer.writerow([{**cells, "운영현황": "폐지", "주소": "-3.5", "어린이집명": "\t=1"}[c]
                             for c in header])  # closed: a reject
            writer.writerow([{**cells, "어린이집명": f"해님{chr(0x202E)}cba" + "가" * 300,
                              "인가일자": "2002-02-02"}[c] for c in header])  # invalid_text
        geo = tmp_path / "@ids.geojson"
        geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.0451, 37.2637]},
             "properties": {"id": evil, "name": "-가"}}]}), encoding="utf-8")
        out = tmp_path / "reg.geojson"
        result = runner.invoke(args=["import-facilities", str(portal), str(geo), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "read 4 = accepted 1 + rejected 3" in result.output
        cells = []
        for name in ("reg.rejects.csv", "reg.rejects.disagreements.csv"):
            raw = (tmp_path / name).read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf")  # still a BOM for Excel
            text = raw.decode("utf-8-sig")
            assert chr(0x202E) not in text  # no character that reorders what Excel shows
            cells += [c for r in csv.reader(io.StringIO(text, newline="")) for c in r]
        assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "'@SUM(1)" in cells and "'=HYPERLINK(1).csv" in cells and "'@ids.geojson" in cells
        assert any("\\u202e" in c for c in cells)  # shown, escaped, in the rejected record
        assert [f.name for f in read_registry(out).facilities] == ["+1+1어린이집"]

    def test_failed_import_leaves_previous_registry(self, runner, tmp_path):
        out = tmp_path / "reg.geojson"
        assert runner.invoke(args=["import-facilities", str(PORTAL_TINY), "--out",
                                   str(out)]).exit_code == 0
        before = out.read_bytes()
        bad = tmp_path / "bad.csv"
        bad.write_text("foo,bar\n1,2\n")
        result = runner.invoke(args=["import-facilities", str(PORTAL_TINY), str(bad),
                                     "--out", str(out)])
        assert result.exit_code == 1
        assert "Error: bad.csv: unrecognised columns" in result.output
        assert "Traceback" not in result.output
        assert out.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    def test_default_output_is_served(self, tmp_path):
        from app import create_app

        instance = tmp_path / "instance"
        app = create_app({"TESTING": True}, instance_path=str(instance))
        result = app.test_cli_runner().invoke(args=["import-facilities", str(PORTAL_TINY)])
        assert result.exit_code == 0, result.output
        served = create_app({"TESTING": True}, instance_path=str(instance))
        assert served.test_client().get("/healthz").json["facilities"] == 3

    def test_bad_option_value(self, runner):
        result = runner.invoke(args=["import-facilities", str(PORTAL_TINY), "--format", "pdf"])
        assert result.exit_code == 2
        assert "'pdf' is not one of" in result.output


def test_copy_of_shared_is_not_needed(tmp_path):
    """Importing reads files in place; nothing is copied next to them."""
    src = tmp_path / "in.csv"
    shutil.copy(PORTAL_TINY, src)
    import_files([src])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


