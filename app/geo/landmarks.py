"""Stations, schools and 화성's 2026 구 for the offline gazetteer (build time only).

Parents give a place as "판교역" or "near 매탄초등학교" as often as by 동. This module reads the
public lists given on the generator's command line (``python -m app.geo.gazetteer --help``),
never copied into the repository:

- 서울시 역사마스터 (``kr-stations-seoul-master-2025``: 수도권 lines with GTX-A, no address) and
  the national 도시철도역사정보 standard (``kr-stations-urbanrail-standard-2026``: English names
  and road addresses, no GTX-A) are reconciled into one place per station: rows of the same
  name within :data:`MERGE_M` are one station, their lines merged under service names
  (경부선 → 1호선, 분당선 → 수인분당선, ...).
- 전국초중등학교위치표준데이터 (``kr-schools-standard-2026``): 초등학교 in 경기도.
- 법정동코드 화성시 extract (``kr-bjd-hwaseong-2026-extract``): 화성's 만세구, 효행구, 병점구 and
  동탄구 (since 2026-02) with their 읍면동 and 리, which the boundary bundle predates.

A row whose point lies more than :data:`CONTRADICTION_M` outside the 시군구 its address names
is rejected (the standard puts 양원역, 서울 중랑구, at 봉화 in 경북), and so is a school whose
name says it is closed; the generator prints the count per reason. English names are the
standard's where it has them, otherwise the Revised Romanization (``koroman``).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.geo.crs import in_korea_box

# Where stations are kept: 서울, 인천, 경기 (parents commute across all three).
STATION_SIDO = ("11", "28", "41")
MERGE_M = 1000  # rows of one name closer than this are one station
SAME_LINE_M = 5000  # ... and rows of one name on one line closer than this
CONTRADICTION_M = 2000  # a point this far outside the 시군구 its address names is wrong
# Physical line names (경부선) and operator spellings -> the names on the platform signs.
LINE_NAMES = {
    "경부선": "1호선", "경원선": "1호선", "경인선": "1호선", "장항선": "1호선", "1호선": "1호선",
    "분당선": "수인분당선", "수인선": "수인분당선", "안산선": "4호선", "과천선": "4호선",
    "안산과천선": "4호선", "진접선": "4호선", "일산선": "3호선", "중앙선": "경의중앙선",
    "9호선(연장)": "9호선", "서울 도시철도 9호선": "9호선", "수도권 도시철도 9호선": "9호선",
    "7호선(인천)": "7호선", "도시철도 7호선": "7호선", "별내선": "8호선",
    "수도권 광역철도 8호선": "8호선", "신분당선(연장)": "신분당선", "신분당선(연장2)": "신분당선",
    "공항철도1호선": "공항철도", "인천국제공항선": "공항철도", "수도권 광역급행철도": "GTX-A",
    "인천1호선": "인천1호선", "인천지하철 1호선": "인천1호선", "인천2호선": "인천2호선",
    "인천지하철 2호선": "인천2호선", "의정부선": "의정부경전철", "의정부": "의정부경전철",
    "에버라인선": "용인에버라인", "에버라인": "용인에버라인", "김포도시철도": "김포골드라인",
    "수도권 경량도시철도 신림선": "신림선", "자기부상철도": "인천공항자기부상철도",
}
_NOT_NAMES = frozenset({"지하", "지상"})  # brackets that say where, not what: 신촌(지하)
_SIDO_EN = {
    "서울특별시": "Seoul", "부산광역시": "Busan", "대구광역시": "Daegu", "인천광역시": "Incheon",
    "광주광역시": "Gwangju", "대전광역시": "Daejeon", "울산광역시": "Ulsan",
    "세종특별자치시": "Sejong", "경기도": "Gyeonggi-do", "강원특별자치도": "Gangwon-do",
    "강원도": "Gangwon-do", "충청북도": "Chungcheongbuk-do", "충청남도": "Chungcheongnam-do",
    "전라북도": "Jeollabuk-do", "전북특별자치도": "Jeollabuk-do", "전라남도": "Jeollanam-do",
    "경상북도": "Gyeongsangbuk-do", "경상남도": "Gyeongsangnam-do", "제주특별자치도": "Jeju-do",
}
_UNIT_EN = {"시": "si", "군": "gun", "구": "gu", "읍": "eup", "면": "myeon", "동": "dong",
            "리": "ri", "가": "ga", "도": "do"}
_SCHOOL_EN = (("초등학교", "Elementary School"), ("중학교", "Middle School"),
              ("고등학교", "High School"))
# A station word the list's English name may already end with ("Seoul Station", "Seoul station").
_STATION_WORD = re.compile(r"\s*\b(station|stn|sta)\.?\s*$", re.IGNORECASE)


def romanise(word: str) -> str:
    """The Revised Romanization of a Hangul word, first letter capital ("매탄1" -> "Maetan 1")."""
    import koroman

    out = koroman.romanize(word)
    out = re.sub(r"(?<=[a-z])(?=\d)", " ", out)
    return out[:1].upper() + out[1:]


def english_area(name: str) -> str:
    """English name of one administrative component: "수원시" -> "Suwon-si", "매탄동" ->
    "Maetan-dong", "경기도" -> "Gyeonggi-do" (units romanised after a hyphen, as road signs)."""
    if name in _SIDO_EN:
        return _SIDO_EN[name]
    unit = name[-1]
    if len(name) > 1 and unit in _UNIT_EN:
        return f"{romanise(name[:-1])}-{_UNIT_EN[unit]}"
    return romanise(name)


def english_station(name: str) -> str:
    """A station's English label from the list's name, "Station" once: "Pangyo" -> "Pangyo
    Station", "Seoul Station" and "Seoul station" -> "Seoul Station" (not "Seoul Station Station")."""
    return f"{_STATION_WORD.sub('', name).strip() or name.strip()} Station"


def english_school(name: str) -> str:
    """"매탄초등학교" -> "Maetan Elementary School"; a 분교장 adds "X Branch"."""
    m = re.match(r"^(.+?)(초등학교|중학교|고등학교)(.*?)(분교장)?$", name)
    if not m:
        return romanise(name)
    level = dict(_SCHOOL_EN)[m.group(2)]
    out = f"{romanise(m.group(1))} {level}"
    if m.group(3):
        out += f" {romanise(m.group(3))} Branch" if m.group(4) else f" {romanise(m.group(3))}"
    return out


@dataclass
class Landmark:
    """A station or school to add, placed by point; ``parts`` are filled by the caller from
    the administrative area the point lies in (or ``sigungu`` from the address)."""

    name: str  # the component itself: "판교역", "매탄초등학교"
    level: str  # station or school
    code: str
    lon: float
    lat: float
    name_en: str
    detail: str = ""
    aliases: tuple[str, ...] = ()
    address_gu: str = ""  # a 일반구 the address names (화성 동탄구) when the bundle has none
    address_emd: str = ""  # the 법정동 (or 읍면) of a lot-number address


@dataclass
class Report:
    """Counts per reason, printed by the generator."""

    counts: Counter = field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        self.counts[reason] += n

    def lines(self) -> list[str]:
        return [f"  {reason}: {n}" for reason, n in sorted(self.counts.items())]


def _read_csv(path: Path, encodings: Iterable[str]) -> list[dict[str, str]]:
    raw = path.read_bytes()
    for enc in encodings:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return list(csv.DictReader(io.StringIO(text, newline="")))
    raise ValueError(f"{path}: not readable as {', '.join(encodings)}")


def _address_sigungu(address: str) -> tuple[str | None, str | None, str]:
    """(시도, 시군구, 일반구) an address names: "경기도 화성시 동탄구 …" -> (경기도, 화성시, 동탄구);
    (None, None, "") when it starts with neither."""
    words = address.replace("_x000D_", " ").split()
    if not words:
        return None, None, ""
    sido = None
    if re.search(r"(도|특별시|광역시|특별자치시|서울시|인천시|서울|인천|경기)$", words[0]):
        sido, words = words[0], words[1:]
    if not words or not re.search(r"(시|군|구)$", words[0]):
        return sido, None, ""
    sigungu, gu = words[0], ""
    if sigungu.endswith("시") and len(words) > 1 and words[1].endswith("구"):
        gu = words[1]
    return sido, sigungu, gu


def _address_emd(address: str) -> str:
    """The 읍면동 a lot-number address names ("경기도 화성시 동탄구 청계동 123" -> "청계동")."""
    for word in address.split()[1:]:
        if re.fullmatch(r"\w+(읍|면|동|가)", word) and not word[0].isdigit():
            return word
    return ""


def _contradicts(lon: list[float], lat: list[float], addresses: list[str]) -> list[bool | None]:
    """For each row, whether its point lies beyond :data:`CONTRADICTION_M` outside the 시군구 its
    address names; ``None`` (unchecked, kept) when it names none the boundaries know."""
    from .named_areas import distance_to_named_sigungu_m

    named = [_address_sigungu(a) for a in addresses]
    dist = distance_to_named_sigungu_m(lon, lat, [n[0] for n in named], [n[1] for n in named])
    return [None if math.isnan(d) else bool(d > CONTRADICTION_M) for d in dist]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, (a[1] - b[1]) * 110_540)


def _station_base(name: str) -> tuple[str, str]:
    """("광교중앙", "아주대") from "광교중앙(아주대)", ("수원", "") from "수원역(분당)": the name
    without 역 and the subtitle in brackets (a bracket after 역 names a line, not a place)."""
    m = re.match(r"^(.*?)\s*(?:\((.*?)\))?\s*$", name.strip())
    base, sub = (m.group(1), m.group(2) or "") if m else (name, "")
    if base.endswith("역") and len(base) > 2:
        return base[:-1], ""
    return base, sub


def _located_sido(lon: list[float], lat: list[float]) -> list[str | None]:
    from . import admin

    return [a.sido_code if a else None for a in admin.locate(lon, lat)]


def stations(seoul_master: Path, standard: Path, report: Report) -> list[Landmark]:
    """One Landmark per station of 서울·인천·경기 from both lists, lines merged."""
    rows: list[dict[str, Any]] = []
    for row in _read_csv(standard, ("utf-8-sig", "cp949")):
        rows.append({"id": row["역번호"].strip(), "name": row["역사명"], "line": row["노선명"],
                     "lat": row["역위도"], "lon": row["역경도"], "en": row["영문역사명"],
                     "address": row["역사도로명주소"], "source": "standard"})
    report.add("station rows read (standard)", len(rows))
    n = len(rows)
    for row in _read_csv(seoul_master, ("cp949", "utf-8-sig")):
        rows.append({"id": row["역사_ID"].strip(), "name": row["역사명"], "line": row["호선"],
                     "lat": row["위도"], "lon": row["경도"], "en": "", "address": "",
                     "source": "master"})
    report.add("station rows read (seoul master)", len(rows) - n)
    good = []
    for r in rows:
        try:
            r["x"], r["y"] = float(r["lon"]), float(r["lat"])
        except ValueError:
            report.add("station rejected: no coordinates")
            continue
        if not in_korea_box(r["x"], r["y"]):
            report.add("station rejected: coordinates outside Korea")
            continue
        good.append(r)
    wrong = _contradicts([r["x"] for r in good], [r["y"] for r in good],
                         [r["address"] for r in good])
    kept = []
    for r, bad in zip(good, wrong, strict=True):
        if bad:
            report.add(f"station rejected: point over {CONTRADICTION_M} m outside the 시군구 "
                       "its address names")
            continue
        if bad is None:
            report.add("station rows unchecked (no address, or no 시군구 in it)")
        kept.append(r)
    sido = _located_sido([r["x"] for r in kept], [r["y"] for r in kept])
    inside = []
    for r, s in zip(kept, sido, strict=True):
        if s in STATION_SIDO:
            inside.append(r)
        else:
            report.add("station rows outside 서울·인천·경기 (not kept)")
    # Reconcile: rows of one name are one station when within MERGE_M of each other (a
    # transfer station, or both lists), or on the same line within SAME_LINE_M (the two lists
    # disagree by up to 1.5 km: 마곡, 청산, 인천공항2터미널).
    clusters: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for r in sorted(inside, key=lambda r: (r["source"] != "standard", r["id"])):
        r["base"], r["sub"] = _station_base(r["name"])
        r["service"] = LINE_NAMES.get(" ".join(r["line"].split()), " ".join(r["line"].split()))
        for cluster in clusters[r["base"]]:
            d = _metres((cluster[0]["x"], cluster[0]["y"]), (r["x"], r["y"]))
            same_line = any(c["service"] == r["service"] for c in cluster)
            if d < MERGE_M or (same_line and d < SAME_LINE_M):
                if d >= MERGE_M:
                    report.add(f"station rows of one line over {MERGE_M} m apart (merged, the "
                               "standard's point kept)")
                cluster.append(r)
                break
        else:
            clusters[r["base"]].append([r])
    out = []
    for base, group in sorted(clusters.items()):
        if len(group) > 1:
            report.add(f"station names used by stations over {MERGE_M} m apart (kept apart)")
        for cluster in group:
            report.add("station rows merged into another row", len(cluster) - 1)
            lines = sorted({r["service"] for r in cluster})
            en = next((r["en"] for r in cluster if r["en"].strip()), "")
            # "Pangyo(Pangyo Techno Valley)" -> "Pangyo", "Jongno 3(sam)-ga" -> "Jongno 3-ga"
            en = re.sub(r"\s*\([^)]*\)\s*$", "", " ".join(en.split()))
            en = re.sub(r"\([^)]*\)", "", en).strip() or romanise(base)
            subs = sorted({r["sub"] for r in cluster if r["sub"] and r["sub"] not in _NOT_NAMES})
            ids = sorted({r["id"] for r in cluster})
            # The standard's point where it has the station (it has addresses to check it by).
            placed = [r for r in cluster if r["source"] == "standard"] or cluster
            out.append(Landmark(
                name=base + "역", level="station", code="station:" + ids[0],
                lon=round(sum(r["x"] for r in placed) / len(placed), 6),
                lat=round(sum(r["y"] for r in placed) / len(placed), 6),
                name_en=english_station(en), detail=", ".join(lines),
                aliases=tuple(f"{s}역" for s in subs)))
    report.add("stations kept", len(out))
    return out


def schools(path: Path, report: Report) -> list[Landmark]:
    """경기도's 초등학교 with their coordinates, rows contradicting their address rejected."""
    rows: list[dict[str, Any]] = list(_read_csv(path, ("cp949", "utf-8-sig")))
    report.add("school rows read", len(rows))
    chosen = []
    for r in rows:
        if r["시도교육청명"] != "경기도교육청" or r["학교급구분"] != "초등학교":
            continue
        if "폐교" in r["학교명"] or r.get("운영상태", "운영") != "운영":
            report.add("school rejected: closed (폐교)")
            continue
        try:
            r["x"], r["y"] = float(r["경도"]), float(r["위도"])
        except ValueError:
            report.add("school rejected: no coordinates")
            continue
        chosen.append(r)
    report.add("school rows in scope (경기도 초등학교, open)", len(chosen))
    addresses = [r["소재지도로명주소"].strip() or r["소재지지번주소"] for r in chosen]
    wrong = _contradicts([r["x"] for r in chosen], [r["y"] for r in chosen], addresses)
    out = []
    for r, address, bad in zip(chosen, addresses, wrong, strict=True):
        if bad:
            report.add(f"school rejected: point over {CONTRADICTION_M} m outside the 시군구 "
                       "its address names")
            continue
        if bad is None:
            report.add("school rows unchecked (no 시군구 in the address)")
        name = r["학교명"].strip()
        aliases: tuple[str, ...] = ()
        if name.endswith("초등학교"):
            aliases = (name[:-4] + "초", name[:-4] + "초교")
        out.append(Landmark(name=name, level="school", code="school:" + r["학교ID"],
                            lon=round(r["x"], 6), lat=round(r["y"], 6),
                            name_en=english_school(name), detail=address, aliases=aliases,
                            address_gu=_address_sigungu(address)[2],
                            address_emd=_address_emd(r["소재지지번주소"])))
    report.add("schools kept", len(out))
    return out


@dataclass(frozen=True)
class BjdRow:
    """One current 법정동 of 화성 from the 2026 extract: its name's parts below 화성시."""

    code: str
    parts: tuple[str, ...]  # e.g. ("동탄구", "청계동") or ("만세구", "남양읍", "신남리")


@dataclass(frozen=True)
class AbolishedRow:
    """One 법정동 a 법정동코드 list marks abolished (폐지): its code and full name, and the date
    of the list's edition ("2026-09-29", from the file name; "" when the name has none). The
    list says only that it is gone, not when it went nor what it became."""

    code: str
    name: str  # "경기도 화성시 동탄구 오산동"
    listed: str


def _edition(path: Path) -> str:
    """"2026-09-29" from "법정동코드_화성시_발췌_20260929.csv"; "" when the name has no date."""
    m = re.search(r"(\d{4})(\d{2})(\d{2})\D*$", path.stem)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""


def abolished(path: Path) -> list[AbolishedRow]:
    """The abolished (폐지) rows of a 법정동코드 list (any extract with the columns 법정동코드,
    법정동명, 폐지여부), by code."""
    listed = _edition(path)
    rows = _read_csv(path, ("cp949", "utf-8-sig"))
    out = [AbolishedRow(code=r["법정동코드"].strip(), name=" ".join(r["법정동명"].split()),
                        listed=listed)
           for r in rows if r["폐지여부"].strip() == "폐지" and r["법정동명"].strip()]
    return sorted(out, key=lambda r: r.code)


def hwaseong_2026(path: Path) -> list[BjdRow]:
    """The existing (존재) rows of the 화성 법정동 extract below the city."""
    rows = _read_csv(path, ("cp949", "utf-8-sig"))
    out = []
    for r in rows:
        if r["폐지여부"].strip() != "존재":
            continue
        words = r["법정동명"].split()
        if words[:2] != ["경기도", "화성시"] or len(words) < 3:
            continue
        out.append(BjdRow(code=r["법정동코드"].strip(), parts=tuple(words[2:])))
    return out
