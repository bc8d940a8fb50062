"""Korean addresses as parents type them, understood offline.

Two forms (with or without 시도/시군구, spaced or not):

- road-name (도로명주소): ``시도 시군구 [구] 도로명 건물번호``, e.g. ``경기도 수원시 영통구 매탄로 1``,
  ``분당구 판교역로 235``, ``매탄로12번길 3``, ``판교역로 235 (삼평동)``;
- lot-number (지번주소): ``[시도 시군구] 동·리 [산] 번지``, e.g. ``영통동 1000번지``, ``매탄동 123-4``,
  ``매탄동 산 12-3``, ``양평군 양평읍 오빈리 12``.

:func:`parse` splits the text; :func:`place` finds, in the offline gazetteer, the finest area the
address names: the 읍면동 or 리 of a lot number, and for a road name the 시군구 (or 구) it names,
or the 읍면동 of its reference item in brackets. There is no road→area table offline, so a road
name alone (``판교역로 235``) has no area. Such a placement is approximate (``Located.precision``
is ``"area"``); a geocoding service (:mod:`app.geo.geocoding`) places the address exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.geo import gazetteer

# The administrative levels an address's area may be (the gazetteer may hold other kinds).
AREA_LEVELS = ("sido", "sigungu", "emd", "ri")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D~]")
# "12 번 길" -> "12번길", and "매탄로 12번길" -> "매탄로12번길" (one road name).
_GIL_NUMBER = re.compile(r"(\d+)\s*번\s*길")
_ROAD_GIL = re.compile(r"(로|길)\s+(\d+(?:번)?길)")
_BRACKETS = re.compile(r"\(([^()]*)\)")
# The address proper: the road or 동·리 (ending the head), 산 (a mountain lot), 지하 (an
# underground building), the number and its sub-number, "번지"; then details after a space
# (building names, 101동 202호). The number is not one of a road's "12번길", "2가" (을지로2가
# is a 동) or a longer number. A 행정동 with a number (매탄1동) is read as its 법정동 (매탄동).
_ADDRESS = re.compile(
    r"(?P<head>.*?[가-힣](?:로|길|동|리|가|\d+동|\d+가))\s*(?P<san>산\s*)?(?P<under>지하\s*)?"
    r"(?P<main>\d{1,5})(?:\s*-\s*(?P<sub>\d{1,5}))?(?!\d|\s*-|\s*번?\s*길|가(?![가-힣]))\s*(?:번지)?"
    r"(?:\s+(?P<detail>.*))?")
_NUMBERED_DONG = re.compile(r"([가-힣]+?)\d+동")
_ADMIN_SUFFIX = ("도", "시", "군", "구", "읍", "면", "동")


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of one address."""

    kind: str  # "road" (도로명주소) or "lot" (지번주소)
    area: tuple[str, ...]  # the words naming areas, as typed ("분당구"; "수원시", "영통구")
    street: str  # the road name ("판교역로", "매탄로12번길") or the 동·리 ("매탄동")
    number: str  # "235", "123-4", "산 12-3", "지하 10"
    reference: str | None = None  # a road address's 동 in brackets, "(삼평동)"

    @property
    def text(self) -> str:
        """The address without details, normalised: ``분당구 판교역로 235``."""
        return " ".join([*self.area, self.street, self.number])


@dataclass(frozen=True)
class Located:
    """An address with a point (WGS84) and how precise that point is."""

    name: str  # the address, written out from what was understood or what a service returned
    kind: str  # "road" or "lot"
    precision: str  # "exact": the address itself; "area": the area named by the address
    lon: float
    lat: float
    area: gazetteer.Place | None = None  # the area the point stands for when precision is "area"

    @property
    def approximate(self) -> bool:
        """Whether the point stands for an area rather than the address itself."""
        return self.precision != "exact"


def normalise(text: str) -> str:
    """Unicode-normalised text (NFKC: full-width digits, composed Hangul), dashes as ``-``,
    single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text).replace(",", " , ")
    return " ".join(text.split())


def _peel(token: str) -> tuple[list[str], str]:
    """A road name typed glued to its areas ("영통구매탄로") -> (["영통구"], "매탄로"): the
    longest prefix that is whole area names (each ending in its unit, 2 letters or more),
    leaving 3 letters or more ("영통구청로" stays whole: 청로 is too short to be sure)."""
    for i in range(len(token) - 3, 1, -1):  # a road name of 3 letters or more is left
        prefix = token[:i]
        if not prefix.endswith(_ADMIN_SUFFIX):
            continue
        words = gazetteer.segment(prefix)
        if words and all(len(w) >= 2 and w.endswith(_ADMIN_SUFFIX) for w in words):
            return words, token[i:]
    return [], token


def parse(query: str) -> ParsedAddress | None:
    """The address in ``query``, or ``None`` when it is not shaped like one (no road name or
    동·리 followed by a number)."""
    text = normalise(query)
    reference = None
    for inside in _BRACKETS.findall(text):
        first = inside.split(",")[0].strip()
        if reference is None and re.fullmatch(r"[가-힣0-9]+[동리가]", first):
            reference = first
    text = _BRACKETS.sub(" ", text).split(" , ")[0]  # details after a comma are not the address
    text = _ROAD_GIL.sub(r"\1\2", _GIL_NUMBER.sub(r"\1번길", " ".join(text.split())))
    m = _ADDRESS.fullmatch(text)
    if m is None:
        return None
    tokens = m["head"].split()
    street = tokens[-1]
    area = tokens[:-1]
    kind = "road" if street.endswith(("로", "길")) else "lot"
    if kind == "road":
        glued, street = _peel(street)
        area += glued
        if len(street) < 2:
            return None
    number = m["main"] + (f"-{m['sub']}" if m["sub"] else "")
    if m["san"]:
        number = f"산 {number}"
    if m["under"]:
        number = f"지하 {number}"
    if kind == "lot" and m["under"]:
        return None
    return ParsedAddress(kind, tuple(area), street, number,
                         reference if kind == "road" else None)


def _areas(words: list[str], limit: int) -> list[gazetteer.Place]:
    """Administrative areas named by ``words``; leading words that name nothing known
    ("대한민국") are dropped one by one."""
    for start in range(len(words)):
        query = " ".join(words[start:])
        hits = [p for p in gazetteer.search(query, limit, landmark_prefixes=False)
                if p.level in AREA_LEVELS]
        if hits:
            return hits
    return []


def _name(address: ParsedAddress, area: gazetteer.Place, by_reference: bool = False) -> str:
    """The address written out with the full name of the area found."""
    if address.kind == "lot" and area.level in ("emd", "ri"):
        return f"{area.name} {address.number}"
    if by_reference:  # a road address's 동 in brackets: "시군구 도로명 번호 (동)"
        above = " ".join(area.parts[:-1])
        return f"{above} {address.street} {address.number} ({area.parts[-1]})"
    return f"{area.name} {address.street} {address.number}"


def place(address: ParsedAddress, limit: int = 8) -> list[Located]:
    """Offline: the address placed at the finest area it names, best first (the gazetteer's
    order: 경기도 first), each marked approximate. Empty when it names no known area."""
    hits: list[gazetteer.Place] = []
    if address.kind == "lot":
        hits = _areas([*address.area, address.street], limit)
        numbered = _NUMBERED_DONG.fullmatch(address.street)
        if numbered and not any(h.level in ("emd", "ri") for h in hits):  # 매탄1동 -> 매탄동
            hits = _areas([*address.area, numbered[1] + "동"], limit)
        # a 동·리 not known (mistyped, or a 행정동 such as 매탄1동): the areas above it
        hits = [h for h in hits if h.level in ("emd", "ri")] or \
            (_areas(list(address.area), limit) if address.area else [])
    else:
        if address.reference:
            hits = [h for h in _areas([*address.area, address.reference], limit)
                    if h.level in ("emd", "ri")]
            if hits:
                return [Located(_name(address, h, True), "road", "area", h.lon, h.lat, h)
                        for h in hits]
        if address.area:  # a road address names its 시도, 시군구, 구 and 읍·면, never a 리
            hits = [h for h in _areas(list(address.area), limit) if h.level != "ri"]
    return [Located(_name(address, h), address.kind, "area", h.lon, h.lat, h) for h in hits]


def service_query(address: ParsedAddress, areas: list[Located]) -> str:
    """The text to send to a geocoding service: the address with its areas written out in full
    when the offline gazetteer found exactly one ("분당구 판교역로 235" -> "경기도 성남시 분당구
    판교역로 235"), otherwise as typed (without details)."""
    if len(areas) != 1 or areas[0].area is None:
        return address.text
    area = areas[0].area
    if address.kind == "road":
        parts = area.parts[:-1] if area.level in ("emd", "ri") else area.parts
        return " ".join([*parts, address.street, address.number])
    if area.level in ("emd", "ri"):
        return f"{area.name} {address.number}"
    return f"{area.name} {address.street} {address.number}"
