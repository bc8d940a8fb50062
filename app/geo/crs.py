"""Coordinate reference systems: the one place where axis order and units are decided.

Everything the project stores is WGS84 longitude/latitude (EPSG:4326, x = lon, y = lat).
Distances are measured in metres, either in Korea 2000 / Unified CS (EPSG:5179) or
geodesically on the WGS84 ellipsoid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:5179"  # Korea 2000 / Unified CS (UTM-K), metres

# A generous box around South Korea's land and islands, in degrees.
KOREA_LON_RANGE = (124.0, 132.0)
KOREA_LAT_RANGE = (33.0, 39.0)

_GEOD = Geod(ellps="WGS84")


class UnknownCRSError(ValueError):
    """A CRS name that pyproj does not know."""


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def check_crs(name: str) -> str:
    """Return ``name`` if pyproj knows it, else raise :class:`UnknownCRSError`."""
    try:
        CRS.from_user_input(name)
    except CRSError as exc:
        raise UnknownCRSError(
            f"unknown CRS {name!r}: give any CRS pyproj knows, e.g. EPSG:5174 or EPSG:4326"
        ) from exc
    return name


def to_wgs84(x, y, source_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform easting/northing (or lon/lat) arrays in ``source_crs`` to WGS84 lon, lat."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if CRS.from_user_input(source_crs) == CRS.from_user_input(WGS84):
        return x, y
    return _transformer(check_crs(source_crs), WGS84).transform(x, y)


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Transform WGS84 lon/lat arrays (or two floats) to EPSG:5179 easting/northing, metres."""
    if isinstance(lon, float) and isinstance(lat, float):  # one point: skip numpy buffers
        return _transformer(WGS84, METRIC_CRS).transform(lon, lat)
    return _transformer(WGS84, METRIC_CRS).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )


def from_metric(x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Transform EPSG:5179 easting/northing in metres to WGS84 lon/lat arrays."""
    return _transformer(METRIC_CRS, WGS84).transform(
        np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
    )


def geodesic_distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, in metres (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def in_korea_box(lon, lat) -> np.ndarray | bool:
    """True where lon/lat fall in the rough bounding box of South Korea."""
    if isinstance(lon, float) and isinstance(lat, float):  # one point: skip numpy
        return (KOREA_LON_RANGE[0] <= lon <= KOREA_LON_RANGE[1]
                and KOREA_LAT_RANGE[0] <= lat <= KOREA_LAT_RANGE[1])
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (
        (lon >= KOREA_LON_RANGE[0])
        & (lon <= KOREA_LON_RANGE[1])
        & (lat >= KOREA_LAT_RANGE[0])
        & (lat <= KOREA_LAT_RANGE[1])
    )


def looks_swapped(lon: float, lat: float) -> bool:
    """True when (lon, lat) is outside Korea but (lat, lon) would be inside it."""
    return bool(not in_korea_box(lon, lat) and in_korea_box(lat, lon))
