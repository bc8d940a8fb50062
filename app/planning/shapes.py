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
    """One WGS84 polygon per key, simplified by ``tolerance_deg`` (about 50 m) for maps."""
    if level == "grid":
        return [_cell_wgs84(k, units.cell_m) for k in keys]
    if level == "emd":
        return [units.area_geoms[k].simplify(tolerance_deg, preserve_topology=True)
                if k in units.area_geoms else _sigungu_shape(k[:5], tolerance_deg) for k in keys]
    return [_sigungu_shape(k, tolerance_deg) for k in keys]
