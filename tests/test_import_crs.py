"""A GeoJSON's legacy ``crs`` member is honoured, and a conflicting --crs refused (issue 12, item 14).

The place: a point in 수원시 팔달구 인계동 (127.03147 E, 37.26994 N, WGS84). Its Korean 1985
(EPSG:4162, Bessel) longitude/latitude read as WGS84 lie about 365 m south-east, in 영통구
매탄동: what the import did before. Each file below holds the same place in one CRS; the import
must put it within a metre of where the GeoPackage path (which always read the CRS) puts it.
"""

from __future__ import annotations

import json

import pytest

from pyproj import Transformer

from app.geo import admin
from app.geo.crs import geodesic_distance_m
from app.ingest.pipeline import import_files
from app.ingest.readers import InputFileError
from app.registry.io import RegistryFileError, read_registry, write_registry

PLACE = (127.03147, 37.26994)  # WGS84 lon, lat: 수원시 팔달구 인계동


def in_crs(crs: str) -> tuple[float, float]:
    """PLACE as x, y in ``crs`` (easting/northing or lon/lat)."""
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*PLACE)


def geojson(tmp_path, x: float, y: float, crs_name: str | None, name: str = "f.geojson"):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
         "properties": {"id": "p1", "name": "인계어린이집"}}]}
    if crs_name is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs_name}}
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def gpkg(tmp_path, crs: str):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"id": ["p1"], "name": ["인계어린이집"]},
                             geometry=[Point(*PLACE)], crs="EPSG:4326").to_crs(crs)
    path = tmp_path / f"f{crs.replace(':', '')}.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


def test_the_example_was_365_m_off_in_another_gu():
    """Why it matters: 4162 coordinates taken for WGS84 land in the wrong 구."""
    x, y = in_crs("EPSG:4162")
    assert 360 <= geodesic_distance_m(x, y, *PLACE) <= 370
    right, wrong = admin.locate([PLACE[0], x], [PLACE[1], y])
    assert (right.sigungu, right.emd) == ("수원시 팔달구", "인계동")
    assert (wrong.sigungu, wrong.emd) == ("수원시 영통구", "매탄동")


@pytest.mark.parametrize(("crs", "member"), [
    ("EPSG:4162", "urn:ogc:def:crs:EPSG::4162"),  # Korean 1985 geographic: the case
    ("EPSG:4162", "EPSG:4162"),
    ("EPSG:5179", "urn:ogc:def:crs:EPSG::5179"),  # was "not a place on Earth"
    ("EPSG:5179", "EPSG:5179"),
    ("EPSG:5186", "urn:ogc:def:crs:EPSG::5186"),
    ("EPSG:5174", "urn:ogc:def:crs:EPSG:6.18.3:5174"),  # a version between the colons
    ("OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84"),
    ("OGC:CRS84", "OGC:CRS84"),
    ("EPSG:4326", "urn:ogc:def:crs:EPSG::4326"),  # GeoJSON writes lon, lat whatever the CRS
])
def test_crs_member_places_the_point_like_the_geopackage(tmp_path, crs, member):
    x, y = in_crs(crs)
    facility = import_files([geojson(tmp_path, x, y, member)]).facilities[0]
    assert geodesic_distance_m(facility.lon, facility.lat, *PLACE) < 1.0
    assert (facility.sigungu, facility.emd) == ("수원시 팔달구", "인계동")
    if crs.startswith("EPSG"):
        from_gpkg = import_files([gpkg(tmp_path, crs)]).facilities[0]
        assert geodesic_distance_m(facility.lon, facility.lat, from_gpkg.lon, from_gpkg.lat) < 1.0


def test_no_crs_member_is_wgs84(tmp_path):
    facility = import_files([geojson(tmp_path, *PLACE, None)]).facilities[0]
    assert (facility.lon, facility.lat) == PLACE


def test_crs_member_without_crs_option_on_the_cli(runner, tmp_path):
    out = tmp_path / "reg.geojson"
    path = geojson(tmp_path, *in_crs("EPSG:5179"), "urn:ogc:def:crs:EPSG::5179")
    result = runner.invoke(args=["import-facilities", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (f,) = read_registry(out).facilities
    assert geodesic_distance_m(f.lon, f.lat, *PLACE) < 1.0


@pytest.mark.parametrize(("declared", "option"), [
    ("urn:ogc:def:crs:EPSG::5179", "EPSG:5186"),
    ("EPSG:4162", "EPSG:4326"),
    ("urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:5174"),
])
def test_conflicting_crs_option_is_refused_naming_both(runner, tmp_path, declared, option):
    out = tmp_path / "reg.geojson"
    path = geojson(tmp_path, 1.0, 2.0, declared)
    result = runner.invoke(args=["import-facilities", str(path), "--crs", option,
                                 "--out", str(out)])
    assert result.exit_code == 1
    short = declared.replace("urn:ogc:def:crs:EPSG::", "EPSG:").replace(
        "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84")
    assert (f"Error: f.geojson: the file declares its coordinates in {short}, but --crs says "
            f"{option}") in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_agreeing_crs_option_is_fine(tmp_path):
    x, y = in_crs("EPSG:5179")
    path = geojson(tmp_path, x, y, "urn:ogc:def:crs:EPSG::5179")
    facility = import_files([path], crs="EPSG:5179").facilities[0]
    assert geodesic_distance_m(facility.lon, facility.lat, *PLACE) < 1.0
    # WGS84 and CRS84 differ only in axis order, which GeoJSON does not follow: the same.
    path = geojson(tmp_path, *PLACE, "urn:ogc:def:crs:OGC:1.3:CRS84", name="g.geojson")
    assert import_files([path], crs="EPSG:4326").facilities[0].lon == PLACE[0]


def test_geopackage_crs_conflicts_too(tmp_path):
    with pytest.raises(InputFileError, match=r"declares its coordinates in EPSG:5186, but "
                                             r"--crs says EPSG:5179"):
        import_files([gpkg(tmp_path, "EPSG:5186")], crs="EPSG:5179")


@pytest.mark.parametrize(("member", "message"), [
    ({"type": "link", "properties": {"href": "http://x/crs", "type": "proj4"}},
     "crs member .* is not supported"),
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}, "unknown CRS"),
    ("EPSG:5179", "crs member .* is not supported"),
])
def test_unusable_crs_member_is_refused(tmp_path, member, message):
    path = tmp_path / "f.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": member, "features": []}))
    with pytest.raises(InputFileError, match=message):
        import_files([path])


def test_feature_crs_that_differs_is_refused(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "crs": {"type": "name", "properties": {"name": "EPSG:5179"}},
         "geometry": {"type": "Point", "coordinates": list(in_crs("EPSG:5179"))},
         "properties": {"id": "p1", "name": "가"}}]}
    path = tmp_path / "f.geojson"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match=r"feature 1: its crs member says EPSG:5179 but the "
                                             r"file's coordinates are WGS84"):
        import_files([path])


def test_registry_file_with_another_crs_is_refused(tmp_path):
    from tests.conftest import facility

    path = tmp_path / "r.geojson"
    write_registry(path, {"name": "t"}, [facility("a", *PLACE)])
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5179"}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RegistryFileError, match=r"declares its coordinates in EPSG:5179; "
                                                r"registry files are WGS84"):
        read_registry(path)
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert read_registry(path).facilities[0].lon == PLACE[0]
