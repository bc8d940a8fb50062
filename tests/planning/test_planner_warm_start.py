"""The planner's first page after a server start (issue 14): computed in the background from the
moment the app starts (never in test apps), with the same answer as a fresh computation; and
the pieces that made the first computation slow (cell ids one by one, the boundaries read once
per 시군구) give the same answers as before, faster."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask

import shapely

from app import create_app
from app.extensions.db import get_engine
from app.extensions.planning import get_planning
from app.live import tokens
from app.pages import planner
from app.planning import demand, grid, shapes
from app.planning.analysis import Analysis
from tests.conftest import TINY_REGISTRY, instance_with_db, tiny_config

# The seven 시군구 of tests/data/tiny_demand.csv (one 읍면동 each).
TINY_SIGUNGU = ["41111", "41113", "41115", "41117", "41135", "41360", "41465"]


# --- cell ids -----------------------------------------------------------------------------
def test_cell_ids_of_many_points_are_those_of_one_point() -> None:
    # 958,001 E: column (958,001 - 700,000) // 100,000 = 2 -> 다, 58,001 m in -> 580 (100 m);
    # 1,952,001 N: row 6 -> 사, 52,001 m in -> 520. The square's corners and a 10 m cell too.
    x = np.array([958_001.0, 700_000.0, 1_399_999.9, 958_050.0])
    y = np.array([1_952_001.0, 1_300_000.0, 2_099_999.9, 1_952_099.0])
    assert list(grid.encode_many(x, y, 3)) == ["다사580520", "가가000000", "사아999999", "다사580520"]
    assert list(grid.encode_many(x, y, 4)) == ["다사58005200", "가가00000000", "사아99999999",
                                               "다사58055209"]
    for digits in (1, 2, 3, 4):
        assert list(grid.encode_many(x, y, digits)) == [grid.encode(a, b, digits) for a, b in zip(x, y, strict=True)]
    assert grid.encode_many(np.array([]), np.array([]), 3).tolist() == []


def test_cell_ids_of_a_point_off_the_grid_name_it() -> None:
    with pytest.raises(grid.GridCodeError, match=r"\(699999, 1952001\) is outside"):
        grid.encode_many(np.array([958_001.0, 699_999.0]), np.array([1_952_001.0, 1_952_001.0]))
    with pytest.raises(grid.GridCodeError, match="outside"):
        grid.encode_many(np.array([np.nan]), np.array([1_952_001.0]))
    with pytest.raises(grid.GridCodeError, match="digits must be 1"):
        grid.encode_many(np.array([958_001.0]), np.array([1_952_001.0]), 5)


# --- 시군구 outlines ----------------------------------------------------------------------
def test_sigungu_outlines_read_the_boundaries_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = shapes.area_polygons

    def counting(codes: Iterable[str]) -> dict[str, shapely.Geometry]:
        codes = list(codes)
        calls.append(codes)
        return real(codes)

    monkeypatch.setattr(shapes, "area_polygons", counting)
    monkeypatch.setattr(shapes, "_SIGUNGU", {}, raising=False)
    made = shapes.level_shapes(None, "sigungu", TINY_SIGUNGU)  # type: ignore[arg-type]
    assert calls == [TINY_SIGUNGU]  # one read for all seven, not one per code
    again = shapes.level_shapes(None, "sigungu", ["41465", "41111"])  # type: ignore[arg-type]
    assert len(calls) == 1  # kept
    # The same outline as one made alone: the area's polygon, simplified and rounded.
    for code, shape in zip(TINY_SIGUNGU, made, strict=True):
        alone = shapely.set_precision(real([code])[code].simplify(0.0005, preserve_topology=True), 1e-5)
        assert shapely.equals_exact(shape, alone, tolerance=0), code
    assert [shapely.equals_exact(a, b, tolerance=0) for a, b in zip(again, [made[6], made[0]], strict=True)] \
        == [True, True]


def test_an_unknown_sigungu_is_refused_and_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shapes, "_SIGUNGU", {}, raising=False)
    with pytest.raises(demand.DemandError, match="'99999' is neither"):
        shapes.level_shapes(None, "sigungu", ["41111", "99999"])  # type: ignore[arg-type]
    assert shapes._SIGUNGU == {}


# --- the first page, computed when the app starts --------------------------------------------
def _app(tmp_path: Path, migrated_db: Path, name: str, **settings: Any) -> Flask:
    return create_app({**tiny_config(TINY_REGISTRY), **settings},
                      instance_path=instance_with_db(tmp_path / name, migrated_db))


def _first_page(app: Flask) -> Any:
    with app.app_context():
        token = tokens.issue(get_engine(), "admin")
    client = app.test_client()
    assert client.post("/planner/login", data={"token": token}).status_code == 302
    r = client.get("/planner/data.json?lang=ko")
    assert r.status_code == 200
    return r.json


def test_a_started_app_computes_the_first_page_and_answers_the_same(tmp_path: Path, migrated_db: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, migrated_db, "started", TESTING=False)
    thread = app.extensions.get("dolbom_planner_warming_at_start")
    assert thread is not None and thread.name == "planner-warm-up"
    thread.join(60)
    assert not thread.is_alive()
    with app.app_context():
        assert get_planning().units_if_read is not None

    def refuse(self: Analysis, service: str, period: str) -> None:
        raise AssertionError(f"computed {service}/{period} after the start")

    with monkeypatch.context() as m:  # the first page is answered from what the start computed
        m.setattr(Analysis, "_compute_units", refuse)
        warmed = _first_page(app)
    fresh_app = _app(tmp_path, migrated_db, "fresh")  # TESTING: nothing computed at start
    assert "dolbom_planner_warming_at_start" not in fresh_app.extensions
    with fresh_app.app_context():
        assert get_planning().units_if_read is None
    fresh = _first_page(fresh_app)
    assert warmed == fresh
    assert [r["key"] for r in warmed["rows"]] == TINY_SIGUNGU
    assert len(warmed["areas"]["features"]) == 7


@pytest.mark.parametrize("settings", [{"PLANNER_WARM_UP_AT_START": False}, {"PLANNER_WARM_UP": False}])
def test_the_start_computes_nothing_when_turned_off(tmp_path: Path, migrated_db: Path, settings: dict) -> None:
    app = _app(tmp_path, migrated_db, "off", TESTING=False, **settings)
    assert app.extensions.get("dolbom_planner_warming_at_start") is None
    assert not planner._warm_at_start(app)
    with app.app_context():
        assert get_planning().units_if_read is None
