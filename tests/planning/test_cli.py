"""The planners' commands, with readable errors."""

import pandas as pd

from tests.conftest import shared

MOIS = "kr-mois-resident-pop-by-age"


def test_planning_demand_from_mois(runner, tmp_path):
    ages = shared(MOIS, "202312_202312_연령별인구현황_월간.xlsx")
    zeros = shared(MOIS, "2023_0세인구.xlsx")
    out = tmp_path / "demand.csv"
    result = runner.invoke(args=["planning-demand", str(ages), "--zeros", str(zeros), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "read 290 rows: 42 areas" in result.output
    assert "office_without_population: 6" in result.output
    df = pd.read_csv(out, dtype={"area_code": str})
    assert len(df) == 42 and df["age_0_9"].sum() == 989_550 and "41670" in set(df["area_code"])


def test_planning_demand_bad_file(runner, tmp_path):
    result = runner.invoke(args=["planning-demand", str(tmp_path / "none.xlsx"), "--out",
                                 str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "no such file" in result.output
    assert "Traceback" not in result.output


def test_planning_measures_and_sites(runner, tmp_path):
    out = tmp_path / "m.gpkg"
    result = runner.invoke(args=["planning-measures", "--level", "sigungu", "--service", "daycare",
                                 "--period", "day", "--period", "night", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import geopandas as gpd

    gdf = gpd.read_file(out)
    # the tiny demand layer (tests/data/tiny_demand.csv) spans 7 시군구: 7 rows per period
    assert len(gdf) == 14 and set(gdf["period"]) == {"day", "night"}
    assert sorted(set(gdf["key"])) == ["41111", "41113", "41115", "41117", "41135", "41360", "41465"]
    # 영통구's places: tiny-dc-01 (capacity 40) and tiny-dc-02 (20) by day, only tiny-dc-02
    # (the night service) at night
    yeongtong = gdf[gdf["key"] == "41117"].set_index("period")["places"]
    assert (yeongtong["day"], yeongtong["night"]) == (60, 20)
    result = runner.invoke(args=["planning-measures", "--out", str(tmp_path / "m.txt")])
    assert result.exit_code != 0 and ".csv, .geojson or .gpkg" in result.output
    result = runner.invoke(args=["planning-sites", "--service", "always_daycare", "--period",
                                 "night", "--p", "2", "--method", "greedy"])
    assert result.exit_code == 0, result.output
    assert result.output.count('"rank"') == 2


def test_planning_sites_from_a_parcel_file(runner, tmp_path):
    parcels = tmp_path / "parcels.csv"
    parcels.write_text("lon,lat\n127.0286,37.2636\n126.7660,37.6584\n127.2700,37.0060\n")
    result = runner.invoke(args=["planning-sites", "--service", "always_daycare", "--period", "night",
                                 "--p", "2", "--candidates-file", str(parcels)])
    assert result.exit_code == 0, result.output
    assert result.output.count('"rank"') == 2
    parcels.write_text("lon,lat\n127.0,37.2\n200,37\n")
    result = runner.invoke(args=["planning-sites", "--service", "daycare", "--candidates-file",
                                 str(parcels)])
    assert result.exit_code != 0 and "line(s) 3" in result.output
