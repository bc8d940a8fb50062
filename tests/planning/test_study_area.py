"""Demand outside the study area (경기도) is set aside and reported row by row with its own
reason, never joined to an area of another 시도 nor pulled into a 경기도 one."""

from __future__ import annotations

import pytest

from app.planning.demand import DemandError, units_from_cells, units_from_points

GRID = (
    "cell_id,age_0_9,age_10_19\n"
    "다사582184,120,40\n"   # line 2: 수원 인계동, inside
    "다사324328,30,2\n"     # line 3: in a gap between 읍면동 polygons (시흥시), 4 m from 월곶동
    "다사330450,10,6\n"     # line 4: 인천 부평구 부개동 (28237107), 86 m from 부천 상동
    "다바556658,5,5\n"      # line 5: 충남 아산시 온천동 (44200101), 15 km from 경기도
    "다사067062,7,1\n"      # line 6: in the sea, 3.6 km from the nearest 경기도 읍면동
)


@pytest.fixture
def grid_csv(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text(GRID, encoding="utf-8")
    return path


def test_cells_of_other_sido_are_set_aside_with_their_reason(grid_csv):
    units = units_from_cells(grid_csv)
    assert len(units) == 2
    assert list(units.area_code) == ["41115141", "41390131"]  # 수원 인계동, 시흥 월곶동 (gap)
    assert all(str(s).startswith("41") for s in units.sigungu_code)
    assert units.years.sum() == pytest.approx(160 + 32)
    r = units.report
    assert r.gap_assigned == 1  # only the 시흥 gap cell; not the 인천 cell 86 m from 부천
    by_line = {row["line"]: row for row in r.set_aside}
    assert sorted(by_line) == [4, 5, 6]
    assert (by_line[4]["reason"], by_line[4]["area"], by_line[4]["children"]) == (
        "outside_study_area", "28237107", 16)
    assert (by_line[5]["reason"], by_line[5]["area"], by_line[5]["children"]) == (
        "outside_study_area", "44200101", 10)
    assert (by_line[6]["reason"], by_line[6]["area"]) == ("gap_too_far", None)
    assert r.as_dict()["set_aside_reasons"] == {"outside_study_area": 2, "gap_too_far": 1}
    text = "\n".join(r.lines())
    assert "line 4 다사330450: 16.0 children, 86 m away, outside_study_area, in 28237107" in text
    assert "2 outside the study area (in another 시도)" in text


def test_no_unit_and_no_area_of_another_sido(grid_csv):
    units = units_from_cells(grid_csv)
    assert not any(c.startswith(("28", "44")) for c in units.area_code)
    assert not any(c.startswith(("28", "44")) for c in units.area_names)


def test_points_in_incheon_are_set_aside(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("lon,lat,age_0_9,age_10_19\n127.0286,37.2636,2,1\n126.7219,37.5070,9,9\n")
    units = units_from_points(path)
    assert len(units) == 1 and units.years.sum() == pytest.approx(3)
    [row] = units.report.set_aside
    assert (row["line"], row["reason"], row["area"]) == (3, "outside_study_area", "28237101")


def test_all_outside_is_an_error(tmp_path):
    path = tmp_path / "grid.csv"
    path.write_text("cell_id,age_0_9,age_10_19\n다바556658,5,5\n")
    with pytest.raises(DemandError, match=r"outside every 읍면동 of 경기도 \(the study area\): in another 시도"):
        units_from_cells(path)
