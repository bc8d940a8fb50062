"""Demand: the MOIS tables with the boundary crosswalk, grid and point input, the demo layer."""

import numpy as np
import pandas as pd
import pytest

import shapely

from app.planning.demand import (
    DemandError,
    area_polygons,
    mois_demand,
    read_demand_csv,
    read_mois_age_table,
    read_mois_zero_table,
    units_from_areas,
    units_from_cells,
    units_from_points,
)
from tests.conftest import ROOT, shared

MOIS = ("kr-mois-resident-pop-by-age",)
DEMO_DEMAND = ROOT / "data" / "demand" / "gyeonggi-demo-demand-emd.csv"


def _table(rows):
    return pd.DataFrame(rows, columns=["code10", "name", "age_0_9", "age_10_19"])


class TestCrosswalk:
    def test_yeoju_gun_code_joins_yeoju_si(self):
        df, report = mois_demand(_table([["4173000000", "경기도 여주군", 900, 1000]]))
        assert list(df["area_code"]) == ["41670"] and report.used == 1
        assert area_polygons(["41730"])["41730"].equals(area_polygons(["41670"])["41670"])

    def test_bucheon_without_gu_is_the_union_of_its_gu(self):
        df, _ = mois_demand(_table([["4119000000", "경기도 부천시", 100, 100]]))
        poly = area_polygons(list(df["area_code"]))["41190"]
        parts = [area_polygons([c])[c] for c in ("41192", "41194", "41196")]
        assert poly.area == pytest.approx(sum(p.area for p in parts), rel=1e-3)  # slight overlaps

    def test_city_rows_with_gu_rows_are_aggregates(self):
        rows = [["4100000000", "경기도", 30, 30], ["4111000000", "경기도 수원시", 30, 30],
                ["4111100000", "경기도 수원시 장안구", 10, 10], ["4111300000", "… 권선구", 20, 20],
                ["4122200000", "경기도 송탄출장소", 0, 0], ["1100000000", "서울특별시", 5, 5],
                ["4199900000", "경기도 어딘가", 3, 3]]
        df, report = mois_demand(_table(rows))
        assert list(df["area_code"]) == ["41111", "41113"]
        assert report.read == 7 and report.used == 2
        assert report.set_aside == {"other_sido": 1, "sido_total": 1, "aggregate_of_used_rows": 1,
                                    "office_without_population": 1, "unknown_area": 1,
                                    "unreadable_numbers": 0}
        assert report.read == report.used + sum(report.set_aside.values())
        assert any("41999" in n or "4199900000" in n for n in report.notes)

    def test_unknown_area_code_is_refused_by_name(self):
        with pytest.raises(DemandError, match="'99999'"):
            area_polygons(["99999"])


class TestMoisFiles:
    @pytest.mark.parametrize("month, zero, used", [("202312", "2023", 44 - 3 + 1),
                                                    ("201912", "2019", 44 - 3 + 1)])
    def test_real_tables(self, month, zero, used):
        ages = read_mois_age_table(shared(*MOIS, f"{month}_{month}_연령별인구현황_월간.xlsx"))
        zeros = read_mois_zero_table(shared(*MOIS, f"{zero}_0세인구.xlsx"))
        df, report = mois_demand(ages, zeros)
        # 44 시군구 polygons, 부천's three 구 given as one 시: 42 areas.
        assert report.used == used == len(df)
        assert report.read == report.used + sum(report.set_aside.values())
        assert report.notes == []  # the used rows add up to the 경기도 row
        total = ages[ages["code10"] == "4100000000"].iloc[0]
        assert df["age_0_9"].sum() == total["age_0_9"]
        assert df["age_0"].notna().all() and (df["age_0"] < df["age_0_9"]).all()
        if month == "202312":
            assert report.set_aside["office_without_population"] == 6  # 북부 + 5 출장소
            assert df["age_0_9"].sum() == 989_550

    def test_not_a_table(self, tmp_path):
        bad = tmp_path / "x.xlsx"
        bad.write_text("not excel")
        with pytest.raises(DemandError, match=r"not a readable \.xlsx"):
            read_mois_age_table(bad)


class TestUnits:
    def test_area_spread_keeps_every_child(self):
        table = pd.DataFrame({"area_code": ["41111129", "41111130"], "area_name": ["a", "b"],
                              "age_0_9": [900.0, 450.0], "age_10_19": [100.0, 0.0],
                              "age_0": [np.nan, 45.0]})
        units = units_from_areas(table, 500)
        assert units.years.sum() == pytest.approx(1450)
        by_area = pd.Series(units.years.sum(axis=1)).groupby(units.area_code).sum()
        assert by_area["41111129"] == pytest.approx(1000) and by_area["41111130"] == pytest.approx(450)
        assert set(units.levels()) == {"grid", "emd", "sigungu"}
        assert set(units.sigungu_code) == {"41111"}

    def test_grid_cells_from_csv(self, tmp_path):
        path = tmp_path / "cells.csv"
        path.write_text("cell_id,age_0_9,age_10_19\n다사642368,10,5\n다사6423 3680,4,0\n")
        units = units_from_cells(path)
        assert len(units) == 2
        assert units.x_m[0] == 964_250 and units.y_m[0] == 1_936_850  # the 100 m cell centre
        bad = tmp_path / "bad.csv"
        bad.write_text("cell_id,age_0_9,age_10_19\n하사6423,1,1\n")
        with pytest.raises(DemandError, match="line 2"):
            units_from_cells(bad)

    def test_points_from_csv(self, tmp_path):
        path = tmp_path / "points.csv"
        path.write_text("lon,lat,age_0_9,age_10_19\n127.0286,37.2636,20,10\n")
        units = units_from_points(path)
        assert units.sigungu_code[0].startswith("411") and units.years.sum() == 30
        path.write_text("lon,lat,age_0_9,age_10_19\n140.0,37.0,20,10\n")
        with pytest.raises(DemandError, match="outside every 읍면동"):
            units_from_points(path)


class TestDemoDemand:
    def test_labelled_and_consistent(self):
        assert DEMO_DEMAND.read_text(encoding="utf-8").startswith("# SYNTHETIC")
        table = read_demand_csv(DEMO_DEMAND)
        assert len(table) == 719 and table["area_code"].is_unique
        from app.demo.generate import load_children_by_area

        want = sum(v["0_9"] for v in load_children_by_area().values())
        assert table["age_0_9"].sum() == want

    def test_regeneration_is_identical(self):
        from app.demo.demand import demand_csv_text

        assert demand_csv_text() == DEMO_DEMAND.read_text(encoding="utf-8")

    def test_every_area_has_a_polygon(self):
        table = read_demand_csv(DEMO_DEMAND)
        polys = area_polygons(list(table["area_code"][:50]))
        assert all(isinstance(p, shapely.Geometry) for p in polys.values())
