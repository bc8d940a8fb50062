"""Planning input from real files (issue 12, item 22) and formula-safe CSV exports (item 4).

A hand-made SGIS-style grid: counts of fewer than 5 written ``N/A``, one cell in a gap between
읍면동 polygons (inside 시흥시, 4 m from 월곶동), one in the sea 3.6 km from any 경기도 읍면동.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from app import create_app
from app.extensions.db import get_engine
from app.live import tokens
from app.planning.demand import CountRule, DemandError, units_from_cells, units_from_points

GRID = (
    "cell_id,age_0_9,age_10_19\n"
    "다사582184,120,40\n"      # line 2: 수원 인계동
    "다사583191,N/A,N/A\n"     # line 3: suppressed twice
    "다사565202, N/A ,12\n"    # line 4: suppressed 0-9 (spaces around it)
    "다사324328,30,N/A\n"      # line 5: in a gap between 읍면동 polygons, 시흥시
    "다사067062,7,N/A\n"       # line 6: in the sea, 3.6 km from the nearest 경기도 읍면동
)
GAP_CELL_CENTRE = (126.736875, 37.392290)  # lon, lat of 다사324328's centre


@pytest.fixture
def grid_csv(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text(GRID, encoding="utf-8")
    return path


class TestSuppressedCounts:
    def test_na_is_fewer_than_five_not_zero(self, grid_csv):
        units = units_from_cells(grid_csv)
        # kept: 120+40, 2.5+2.5, 2.5+12, 30+2.5 (the sea row is set aside)
        assert units.years.sum() == pytest.approx(160 + 5 + 14.5 + 32.5)
        r = units.report
        assert r.rows == 5 and r.suppressed_rows == 4
        assert r.suppressed == {"age_0_9": 2, "age_10_19": 3, "age_0": 0}
        assert r.suppressed_children == pytest.approx(5 * 2.5)
        assert r.as_dict()["suppressed_children_range"] == [5.0, 20.0]  # 1–4 each

    def test_the_value_is_a_parameter(self, grid_csv):
        low = units_from_cells(grid_csv, counts=CountRule(value=1))
        assert low.years.sum() == pytest.approx(160 + 2 + 13 + 31)
        with pytest.raises(DemandError, match="must be >= 0 and < 5"):
            CountRule(value=5)

    def test_other_text_is_an_error_naming_the_line(self, tmp_path):
        path = tmp_path / "bad.csv"
        path.write_text("cell_id,age_0_9,age_10_19\n다사582184,12,3\n다사583191,x,3\n")
        with pytest.raises(DemandError, match=r"line\(s\) 3: age_0_9 must be a number >= 0 or "
                                              r"N/A \(suppressed: fewer than 5\), not 'x'"):
            units_from_cells(path)

    def test_a_suppressed_zero_year_count_stays_within_its_band(self, tmp_path):
        path = tmp_path / "points.csv"
        path.write_text("lon,lat,age_0_9,age_10_19,age_0\n127.0286,37.2636,2,0,N/A\n"
                        "127.0300,37.2700,N/A,0,3\n")
        units = units_from_points(path)
        # row 1: age 0 = min(2.5, 2) = 2; row 2: the band is raised to the known 3 zero-year-olds
        assert units.years[0, 0] == pytest.approx(2) and units.years[0].sum() == pytest.approx(2)
        assert units.years[1, 0] == pytest.approx(3) and units.years[1].sum() == pytest.approx(3)


class TestGapCells:
    def test_a_gap_cell_joins_the_nearest_area_and_a_far_one_is_reported(self, grid_csv):
        units = units_from_cells(grid_csv)
        assert len(units) == 4
        assert units.area_code[3] == "41390131" and units.sigungu_code[3] == "41390"  # 월곶동
        r = units.report
        assert r.gap_assigned == 1 and r.gap_max_m == 1000
        assert len(r.set_aside) == 1
        row = r.set_aside[0]
        assert (row["line"], row["id"], row["children"]) == (6, "다사067062", 9.5)
        assert 3500 < row["distance_m"] < 3800

    def test_the_distance_is_a_setting(self, grid_csv):
        units = units_from_cells(grid_csv, counts=CountRule(gap_max_m=2))  # 4 m is too far now
        assert units.report.gap_assigned == 0 and len(units.report.set_aside) == 2
        assert [r["line"] for r in units.report.set_aside] == [5, 6]


@pytest.fixture
def grid_app(tmp_path, grid_csv):
    app = create_app({"TESTING": True, "PLANNING_DEMAND_PATH": str(grid_csv),
                      "PLANNING_DEMAND_FORMAT": "cells"}, instance_path=str(tmp_path / "inst"))
    yield app
    with app.app_context():
        get_engine().dispose()


def test_planning_measures_reads_the_grid_and_reports_it(grid_app, tmp_path):
    out = tmp_path / "m.csv"
    result = grid_app.test_cli_runner().invoke(args=[
        "planning-measures", "--level", "emd", "--service", "daycare", "--period", "day",
        "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "suppressed counts (N/A = fewer than 5): 4 of 5 rows" in result.output
    assert "1 row(s) in a gap between 읍면동 polygons joined the nearest 읍면동 within 1,000 m" \
        in result.output
    assert "line 6 다사067062: 9.5 children, 3," in result.output
    df = pd.read_csv(out, dtype={"key": str}, encoding="utf-8-sig")
    assert set(df["key"]) == {"41115141", "41115138", "41390131"}
    # daycare is 0–83 months: 7 of the 10 years of the 0–9 band, spread evenly
    assert df["children"].sum() == pytest.approx(0.7 * (120 + 2.5 + 2.5 + 30))


def test_the_catchment_and_bands_are_cli_options(grid_app, tmp_path):
    runner = grid_app.test_cli_runner()
    out = tmp_path / "m.csv"
    result = runner.invoke(args=["planning-measures", "--level", "emd", "--service", "daycare",
                                 "--period", "day", "--catchment-m", "1", "--bands-m", "1",
                                 "--weights", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert (df["sfca"] == 0).all() and (df["e2sfca"] == 0).all()  # nobody within 1 m
    result = runner.invoke(args=["planning-measures", "--bands-m", "500,1000", "--out",
                                 str(out)])
    assert result.exit_code != 0 and "--weights: give weights too" in result.output
    result = runner.invoke(args=["planning-measures", "--bands-m", "1000,500", "--weights",
                                 "1,1", "--out", str(out)])
    assert result.exit_code != 0 and "--bands-m: bands_m must be" in result.output
    assert "Traceback" not in result.output


def test_planning_sites_names_the_chosen_sites(grid_app, tmp_path):
    parcels = tmp_path / "parcels.csv"
    parcels.write_text("id,name,lon,lat\nP-7,월곶 부지,126.736875,37.392290\n"
                       "P-8,,127.5,37.5\n", encoding="utf-8")
    result = grid_app.test_cli_runner().invoke(args=[
        "planning-sites", "--service", "daycare", "--period", "day", "--p", "1", "--radius-m",
        "100", "--method", "greedy", "--candidates-file", str(parcels)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "children aged 0–83 months (daycare, day): 108.5" in lines
    site = json.loads(next(line for line in lines if line.startswith("{")))
    # the gap cell's 0.7 × 30 = 21 daycare-age children, no centre within 100 m of them
    assert site == {"rank": 1, "id": "P-7", "name": "월곶 부지", "lon": 126.736875,
                    "lat": 37.39229, "sigungu_code": "41390", "sigungu": "시흥시",
                    "emd_code": "41390131", "emd": "월곶동", "sigungu_en": site["sigungu_en"],
                    "emd_en": site["emd_en"], "newly_covered": 21.0, "covered_after": site["covered_after"]}
    assert (site["sigungu_en"], site["emd_en"]) == ("Siheung-si", "Wolgot-dong")
    assert any(line.startswith("with 1 new site(s):") and "+21.0 children newly covered" in line
               for line in lines)


def test_a_bad_demand_file_is_a_readable_cli_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("cell_id,age_0_9,age_10_19\n다사067062,3,3\n")  # all in the sea
    app = create_app({"TESTING": True, "PLANNING_DEMAND_PATH": str(bad),
                      "PLANNING_DEMAND_FORMAT": "cells"}, instance_path=str(tmp_path / "i"))
    for args in (["planning-measures", "--out", str(tmp_path / "m.csv")],
                 ["planning-sites", "--service", "daycare"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "the demand layer cannot be read" in result.output
        assert "outside every 읍면동" in result.output
    with app.app_context():
        token = tokens.issue(get_engine(), "admin")
        r = app.test_client().get("/api/v1/coverage/measures",
                                  headers={"Authorization": f"Bearer {token}"})
        get_engine().dispose()
    assert r.status_code == 503 and r.json["error"]["code"] == "planning_data_unavailable"


def test_the_api_reports_the_demand_file(grid_app):
    with grid_app.app_context():
        token = tokens.issue(get_engine(), "admin")
    r = grid_app.test_client().get("/api/v1/coverage/measures?level=emd",
                                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.json
    demand = r.json["meta"]["demand"]
    assert demand["suppressed_rows"] == 4 and demand["suppressed_value"] == 2.5
    assert demand["gap_assigned"] == 1 and demand["set_aside"] == 1
    assert demand["set_aside_rows"][0]["line"] == 6


# --- item 4: every CSV the planner writes is formula-safe ----------------------------------------
EVIL = '=HYPERLINK("http://evil.example","x")'


def test_area_names_starting_with_a_formula_are_neutralised(tmp_path):
    demand = tmp_path / "areas.csv"
    quoted = '"' + EVIL.replace('"', '""') + '"'  # CSV quoting of the name
    demand.write_text("area_code,area_name,age_0_9,age_10_19\n"
                      f"41115141,{quoted},100,20\n41115138,@SUM(1),50,10\n", encoding="utf-8")
    app = create_app({"TESTING": True, "PLANNING_DEMAND_PATH": str(demand)},
                     instance_path=str(tmp_path / "inst"))
    with app.app_context():
        token = tokens.issue(get_engine(), "admin")
    r = app.test_client().get("/api/v1/coverage/measures?level=emd&format=csv",
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    api = pd.read_csv(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")))
    out = tmp_path / "cli.csv"
    result = app.test_cli_runner().invoke(args=["planning-measures", "--level", "emd",
                                                "--service", "daycare", "--period", "day",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(out)
    for table in (api, cli):
        assert set(table["name"]) == {"'" + EVIL, "'@SUM(1)"}
    with app.app_context():
        get_engine().dispose()
