"""Coordinate reference systems: the one place where axis order and units are decided.

Everything the project stores is WGS84 longitude/latitude (EPSG:4326, x = lon, y = lat).
Distances are measured in metres, either in Korea 2000 / Unified CS (EPSG:5179) or
geodesically on the WGS84 ellipsoid.
"""

from __future__ import annotations

from functools import lru_cache
from typing import overload

import numpy as np
import numpy.typing as npt

from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

from app.domain import DomainError

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:5179"  # Korea 2000 / Unified CS (UTM-K), metres

from .korea import KOREA_LAT_RANGE, KOREA_LON_RANGE  # noqa: E402  (re-exported: the CRS checks use them)

_GEOD = Geod(ellps="WGS84")


class UnknownCRSError(DomainError):
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


def to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike, source_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform easting/northing (or lon/lat) arrays in ``source_crs`` to WGS84 lon, lat."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if CRS.from_user_input(source_crs) == CRS.from_user_input(WGS84):
        return x, y
    return _transformer(check_crs(source_crs), WGS84).transform(x, y)


@overload
def to_metric(lon: float, lat: float, crs: str = METRIC_CRS) -> tuple[float, float]: ...
@overload
def to_metric(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str = METRIC_CRS) -> tuple[np.ndarray, np.ndarray]: ...
def to_metric(lon: npt.ArrayLike, lat: npt.ArrayLike,
              crs: str = METRIC_CRS) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Transform WGS84 lon/lat arrays (or two floats) to easting/northing in metres, in
    EPSG:5179 unless ``crs`` names the registry's own metric CRS (see :func:`utm_crs`)."""
    if isinstance(lon, float) and isinstance(lat, float):  # one point: skip numpy buffers
        return _transformer(WGS84, crs).transform(lon, lat)
    return _transformer(WGS84, crs).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone CRS (``EPSG:326nn`` north, ``EPSG:327nn`` south) holding the point:
    planar distances within about 300 km of its central meridian are within 0.1 % of the
    geodesic (scale factor 0.9996 on the meridian)."""
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def from_metric(x_m: npt.ArrayLike, y_m: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Transform EPSG:5179 easting/northing in metres to WGS84 lon/lat arrays."""
    return _transformer(METRIC_CRS, WGS84).transform(
        np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)
    )


def geodesic_distance_m(lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike,
                        lat2: npt.ArrayLike) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, in metres (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def in_korea_box(lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray | bool:
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


def crs_label(name: str) -> str:
    """A short name for a CRS pyproj knows (``EPSG:4162``, ``OGC:CRS84``), else ``name``."""
    try:
        auth = CRS.from_user_input(name).to_authority(min_confidence=100)
    except CRSError:
        return name
    return f"{auth[0]}:{auth[1]}" if auth else name


def same_crs(a: str, b: str) -> bool:
    """True when two CRS names mean the same coordinates, axis order aside (files give x, y:
    ``EPSG:4326`` and ``OGC:CRS84`` are the same here)."""
    return CRS.from_user_input(a).equals(CRS.from_user_input(b), ignore_axis_order=True)


# The legacy GeoJSON (2008) "crs" member names a CRS as an OGC URN or "EPSG:n"; RFC 7946
# dropped it (coordinates are then OGC:CRS84) but Korean GIS exports still write it.
_CRS84_NAMES = ("CRS84", "OGC CRS84", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84",
                "URN:OGC:DEF:CRS:OGC::CRS84")


def crs_from_geojson_member(member: object) -> str:
    """The CRS named by a GeoJSON ``crs`` member, as a short name (``EPSG:5179``).

    Accepts ``{"type": "name", "properties": {"name": N}}`` with N one of
    ``urn:ogc:def:crs:EPSG::NNNN`` (also with a version between the colons), ``EPSG:NNNN``,
    ``urn:ogc:def:crs:OGC:1.3:CRS84`` or ``OGC:CRS84``. Raises :class:`UnknownCRSError` saying
    what is wrong for any other shape (``link`` members, names pyproj does not know).
    """
    if not isinstance(member, dict) or member.get("type") != "name" or not isinstance(
            member.get("properties"), dict) or not isinstance(member["properties"].get("name"), str):
        raise UnknownCRSError(
            f"the crs member {str(member)[:120]} is not supported: give "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5179"}} '
            "(or EPSG:5179, OGC:CRS84), or leave it out for WGS84 longitude/latitude"
        )
    name = member["properties"]["name"].strip()
    if name.upper() in _CRS84_NAMES:
        return "OGC:CRS84"
    check_crs(name)
    return crs_label(name)


def metres_per_unit(name: str, lat_deg: float) -> tuple[float, float]:
    """Metres per coordinate unit along x and y for a CRS, near latitude ``lat_deg``.

    Geographic CRSs (degrees): about 111.3 km per degree of latitude, times cos(latitude) per
    degree of longitude. Projected CRSs: the axis unit in metres (1 for metres).
    """
    geographic, factor = _axis_unit(name)
    if geographic:
        per_degree = 111_320.0
        return per_degree * max(float(np.cos(np.radians(lat_deg))), 0.01), per_degree
    return factor, factor


@lru_cache(maxsize=32)
def _axis_unit(name: str) -> tuple[bool, float]:
    crs = CRS.from_user_input(name)
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return crs.is_geographic, factor
