"""경기도 area names in a page's language: Korean from the boundary bundle's crosswalk
(:mod:`app.geo.admin`), English from the gazetteer the map's place search answers from
(:mod:`app.geo.gazetteer`: "Suwon-si", "Gwonseon-gu, Suwon-si"), so every English page names an
area as the map's search does."""

from __future__ import annotations

from functools import lru_cache

from . import admin, gazetteer

_PROVINCE_EN = ", Gyeonggi-do"


@lru_cache(maxsize=1)
def english_sigungu_names() -> dict[str, str]:
    """시군구 and 시군 code -> the gazetteer's English name without the province every one of them
    is in ("41110" -> "Suwon-si", "41113" -> "Gwonseon-gu, Suwon-si")."""
    return {p.code: p.name_en.removesuffix(_PROVINCE_EN)
            for p in gazetteer.places() if p.level == "sigungu" and p.name_en}


def sigun_names(lang: str) -> dict[str, str]:
    """The 31 경기도 시군, code -> name in ``lang`` ("ko": "수원시"; "en": "Suwon-si"; a code the
    gazetteer lacks keeps its Korean name), sorted by code."""
    names = admin.gyeonggi_siguns()
    if lang != "en":
        return names
    english = english_sigungu_names()
    return {code: english.get(code) or name for code, name in names.items()}
