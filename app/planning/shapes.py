"""WGS84 shapes of the areas measures are reported for (grid cells, 읍면동, 시군구)."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=256)
def _sigungu_shape(code: str, tolerance_deg: float) -> shapely.Geometry:
    return area_polygons([code])[code].simplify(tolerance_deg, preserve_topology=True)


def level_shapes(units: DemandUnits, level: str, keys, tolerance_deg: float = 0.0005
                 ) -> list[shapely.Geometry]:
    """One WGS84 polygon per key, simplified by ``tolerance_deg`` (about 50 m) and rounded to
    1e-5° (about 1 m) to keep maps and exports small."""
    if level == "grid":
        shapes = [_cell_wgs84(k, units.cell_m) for k in keys]
    elif level == "emd":
        shapes = [_emd_shape(units, k, tolerance_deg) for k in keys]
    else:
        shapes = [_sigungu_shape(k, tolerance_deg) for k in keys]
    return list(shapely.set_precision(np.array(shapes, dtype=object), 1e-5)) if shapes else []


def _emd_shape(units: DemandUnits, key: str, tolerance_deg: float) -> shapely.Geometry:
    if key in units.area_geoms:
        return units.area_geoms[key].simplify(tolerance_deg, preserve_topology=True)
    return _sigungu_shape(key[:5], tolerance_deg)
