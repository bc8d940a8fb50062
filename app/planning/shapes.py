"""WGS84 shapes of the areas measures are reported for (grid cells, 읍면동, 시군구)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

import shapely

from app.geo.crs import from_metric
from app.planning import grid
from app.planning.demand import DemandUnits, area_polygons


def _cell_wgs84(cell_id: str, cell_m: float) -> shapely.Polygon:
    east, north, _ = grid.decode(cell_id)
    xs = np.array([east, east + cell_m, east + cell_m, east, east])
    ys = np.array([north, north, north + cell_m, north + cell_m, north])
    lon, lat = from_metric(xs, ys)
    return shapely.Polygon(np.column_stack([lon, lat]))


def _cells_wgs84(cell_ids: list[str], cell_m: float) -> list[shapely.Polygon]:
    """:func:`_cell_wgs84` for many cells with one coordinate transformation."""
    if not cell_ids:
        return []
    corners = np.array([grid.decode(k)[:2] for k in cell_ids], float)
    dx = np.array([0, cell_m, cell_m, 0, 0], float)
    dy = np.array([0, 0, cell_m, cell_m, 0], float)
    xs = (corners[:, :1] + dx).ravel()
    ys = (corners[:, 1:] + dy).ravel()
    lon, lat = from_metric(xs, ys)
    rings = np.stack([np.asarray(lon), np.asarray(lat)], axis=-1).reshape(len(cell_ids), 5, 2)
    return list(shapely.polygons(rings))


# (code, tolerance) -> simplified 시군구 shape: at most the boundaries' codes (codes that are
# not one raise and are not kept), kept for the process.
_SIGUNGU: dict[tuple[str, float], shapely.Geometry] = {}
_SIGUNGU_LOCK = threading.Lock()


def _sigungu_shapes(codes: list[str], tolerance_deg: float) -> list[shapely.Geometry]:
    """The simplified shape of each 시군구 (or 시) code, the boundaries read once for all the
    codes not kept yet (read once per code, they took seconds for 경기도's 44)."""
    with _SIGUNGU_LOCK:
        missing = [c for c in dict.fromkeys(codes) if (c, tolerance_deg) not in _SIGUNGU]
        if missing:
            for code, geom in area_polygons(missing).items():
                _SIGUNGU[(code, tolerance_deg)] = geom.simplify(tolerance_deg, preserve_topology=True)
        return [_SIGUNGU[(c, tolerance_deg)] for c in codes]


def level_shapes(units: DemandUnits, level: str, keys: Iterable[str], tolerance_deg: float = 0.0005
                 ) -> list[shapely.Geometry]:
    """One WGS84 polygon per key, simplified by ``tolerance_deg`` (about 50 m) and rounded to
    1e-5° (about 1 m) to keep maps and exports small."""
    if level == "grid":
        shapes = _cells_wgs84(list(keys), units.cell_m)
    elif level == "emd":
        shapes = [_emd_shape(units, k, tolerance_deg) for k in keys]
    else:
        shapes = _sigungu_shapes(list(keys), tolerance_deg)
    return list(shapely.set_precision(np.array(shapes, dtype=object), 1e-5)) if shapes else []


def _emd_shape(units: DemandUnits, key: str, tolerance_deg: float) -> shapely.Geometry:
    if key in units.area_geoms:
        return units.area_geoms[key].simplify(tolerance_deg, preserve_topology=True)
    return _sigungu_shapes([key[:5]], tolerance_deg)[0]
