"""The named place at a point: its 읍면동 and 시군구 (point in polygon, :func:`admin.locate`),
in Korean and in English (the gazetteer's names of each component, romanised when it has none).

For the map's "use my location": the home field shows where the family is ("수원시 영통구
매탄동" in Korean order, "Maetan-dong, Yeongtong-gu, Suwon-si" in English), while the search
keeps the exact point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.geo import admin, gazetteer, landmarks


@dataclass(frozen=True)
class PlaceAt:
    """The areas a point lies in; ``emd`` is ``None`` in a gap between 읍면동 polygons."""

    name: str  # "수원시 영통구 매탄동", Korean order (the 시군구 alone when no 읍면동)
    name_en: str  # "Maetan-dong, Yeongtong-gu, Suwon-si"
    emd: str | None
    emd_en: str | None
    emd_code: str | None
    sigungu: str
    sigungu_en: str
    sigungu_code: str | None
    sido: str | None
    sido_en: str | None
    sido_code: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def english(name: str) -> str:
    """An area's English name, smallest component first: "수원시 영통구" -> "Yeongtong-gu,
    Suwon-si", "매탄동" -> "Maetan-dong" (as the gazetteer writes them)."""
    known = gazetteer._load()[1]
    return ", ".join(known.get(part) or landmarks.english_area(part) for part in reversed(name.split()))


def place_at(lon: float, lat: float) -> PlaceAt | None:
    """The 읍면동 and 시군구 at (lon, lat), WGS84; ``None`` where no 시군구 is (the sea beyond
    the coast's snap distance, or outside South Korea)."""
    area = admin.locate([lon], [lat])[0]
    if area is None or not area.sigungu:
        return None
    sigungu_en = english(area.sigungu)
    emd_en = english(area.emd) if area.emd else None
    return PlaceAt(
        name=f"{area.sigungu} {area.emd}" if area.emd else area.sigungu,  # Korean order
        name_en=f"{emd_en}, {sigungu_en}" if emd_en else sigungu_en,
        emd=area.emd, emd_en=emd_en, emd_code=area.emd_code,
        sigungu=area.sigungu, sigungu_en=sigungu_en, sigungu_code=area.sigungu_code,
        sido=area.sido, sido_en=english(area.sido) if area.sido else None, sido_code=area.sido_code,
    )
