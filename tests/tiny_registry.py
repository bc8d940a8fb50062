"""A tiny hand-made registry (tests/data/tiny_registry.geojson): what the ``app`` fixture
serves unless a test asks for the demo.

Eleven providers, ten open, most of them around ``HOME`` in 수원시 영통구 (37.2636°N
127.0450°E). Near HOME one 0.001° of latitude is 111 m and one 0.001° of longitude 88.6 m,
so distances can be checked by hand (on the ground; the search's planar metres run short by
under 0.1 %):

| id | kind | where (sigungu_code) | from HOME | notes |
|---|---|---|---|---|
| tiny-dc-09 | daycare | 수원시 영통구 41117 | 14 m | 폐지 (closed): never in an answer |
| tiny-dc-01 | daycare | 영통구 41117 | 100 m N | 국공립, 3 regular places |
| tiny-dc-02 | daycare | 영통구 41117 | 177 m E | night service, open to 23:00 on weekdays, full |
| tiny-cc-01 | community_child_center | 영통구 41117 | 266 m W | elementary_emergency, 72-215 months |
| tiny-tc-01 | together_care_center | 영통구 41117 | 400 m S | elementary_emergency, 72-155 months |
| tiny-dc-03 | daycare | 수원시 권선구 41113 | 4.0 km W | |
| tiny-dc-04 | daycare | 수원시 장안구 41111 | 5.4 km NNW | no ages or hours known |
| tiny-dc-06 | daycare | 용인시 수지구 41465 | 8.0 km NE | |
| tiny-dc-05 | daycare | 성남시 분당구 41135 | 16.2 km NNE | 56 m from WORK (37.4000, 127.1100) |
| tiny-dc-07 | daycare | 남양주시 41360 | 44 km NE | 시립힐즈파크어린이집: always_daycare, 07:30-07:30 every day |
| tiny-hv-01 | home_visit_provider | 수원시 팔달구 41115 | comes to you | serves 41111, 41113, 41115 and
  41117; home_visit_emergency, 3-144 months, 06:00-24:00 |

So: ``nearest`` from HOME answers the nine open sited providers, tiny-dc-01 first (99.8 m)
and tiny-dc-07 last (44.0 km); the home-visit provider only when asked for by kind or
programme (HOME is in 수원시, which runs home_visit_emergency). ``/api/v1/meta`` counts 10 open
providers (7 daycares), ``/healthz`` 11 records. Report times are an hour before
``generated_at`` and the file asks for them to be rebased to the time it is read, so each
figure is an hour old: tiny-dc-01 and tiny-cc-01 available, tiny-dc-02 full, the rest unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.registry.io import dumps_registry, write_registry
from app.search.hours import WeeklyHours
from app.search.locale import zone
from app.search.model import Facility

HOME = {"lat": "37.2636", "lon": "127.045"}
WORK = {"work_lat": "37.4", "work_lon": "127.11"}
GENERATED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=zone("Asia/Seoul"))
REPORTED = GENERATED_AT - timedelta(hours=1)
META = {
    "name": "테스트용 작은 레지스트리 (합성 데이터)",
    "notice": "SYNTHETIC TEST DATA (tests/tiny_registry.py): not the official registry.",
    "region": "경기도",
    "synthetic": True,
    "generated_at": GENERATED_AT.isoformat(),
    "rebase_availability_times": True,
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
DAY = WeeklyHours.from_mapping({d: ["07:30-19:30"] for d in WEEKDAYS})


def _in(sigungu: str, code: str, emd: str | None = None) -> dict[str, Any]:
    return {"sido": "경기도", "sido_code": "41", "sigungu": sigungu, "sigungu_code": code,
            "emd": emd, "address": f"경기도 {sigungu} {emd or ''}".strip(), "source": "tiny"}


YEONGTONG = _in("수원시 영통구", "41117", "매탄동")
FACILITIES = (
    Facility("tiny-dc-01", "매탄해님어린이집", "daycare", 127.0450, 37.2645, establishment_type="국공립",
             age_max_months=83, hours=DAY, capacity=40, enrolment=37, vacancies={"regular": 3},
             availability_reported_at=REPORTED, **YEONGTONG),
    Facility("tiny-dc-02", "매탄달빛어린이집", "daycare", 127.0470, 37.2636, services=frozenset({"night"}),
             age_max_months=83, capacity=20, enrolment=20, vacancies={"regular": 0},
             availability_reported_at=REPORTED,
             hours=WeeklyHours.from_mapping({d: ["07:30-23:00"] for d in WEEKDAYS}), **YEONGTONG),
    Facility("tiny-cc-01", "영통지역아동센터", "community_child_center", 127.0420, 37.2636,
             programmes=frozenset({"elementary_emergency"}), age_min_months=72, age_max_months=215,
             vacancies={"elementary_emergency": 2, "regular": 1}, availability_reported_at=REPORTED,
             hours=WeeklyHours.from_mapping({**{d: ["13:00-22:00"] for d in WEEKDAYS},
                                             "sat": ["09:00-22:00"], "sun": ["09:00-22:00"],
                                             "holiday": ["09:00-22:00"]}), **YEONGTONG),
    Facility("tiny-tc-01", "매탄다함께돌봄센터", "together_care_center", 127.0450, 37.2600,
             programmes=frozenset({"elementary_emergency"}), age_min_months=72, age_max_months=155,
             hours=WeeklyHours.from_mapping({d: ["13:00-19:00"] for d in WEEKDAYS}), **YEONGTONG),
    Facility("tiny-dc-03", "권선새싹어린이집", "daycare", 127.0000, 37.2600, age_max_months=83, hours=DAY,
             **_in("수원시 권선구", "41113", "권선동")),
    Facility("tiny-dc-04", "장안나무어린이집", "daycare", 127.0200, 37.3080, age_min_months=None,
             age_max_months=None, hours=None, **_in("수원시 장안구", "41111", "정자동")),
    Facility("tiny-dc-09", "문닫은어린이집", "daycare", 127.0451, 37.2637, status="폐지", age_max_months=83,
             hours=DAY, **YEONGTONG),
    Facility("tiny-hv-01", "수원아이돌봄제공기관", "home_visit_provider", 127.0300, 37.2700,
             programmes=frozenset({"home_visit_emergency"}), age_min_months=3, age_max_months=144,
             service_area_sigungu_codes=frozenset({"41111", "41113", "41115", "41117"}),
             hours=WeeklyHours.from_mapping({d: ["06:00-24:00"] for d in (*WEEKDAYS, "sat", "sun",
                                                                          "holiday")}),
             **_in("수원시 팔달구", "41115", "인계동")),
    Facility("tiny-dc-05", "분당정자어린이집", "daycare", 127.1100, 37.4005, age_max_months=83, hours=DAY,
             **_in("성남시 분당구", "41135", "정자동")),
    Facility("tiny-dc-06", "수지풍덕천어린이집", "daycare", 127.0975, 37.3222, age_max_months=83,
             hours=DAY, **_in("용인시 수지구", "41465", "풍덕천동")),
    Facility("tiny-dc-07", "시립힐즈파크어린이집", "daycare", 127.2165, 37.6360,
             programmes=frozenset({"always_daycare"}), services=frozenset({"24h", "holiday"}),
             age_min_months=6, age_max_months=83, vacancies={"always_daycare": 4},
             availability_reported_at=REPORTED,
             hours=WeeklyHours.from_mapping({d: ["07:30-31:30"] for d in (*WEEKDAYS, "sat", "sun",
                                                                          "holiday")}),
             **_in("남양주시", "41360", "다산동")),
)


PATH = Path(__file__).parent / "data" / "tiny_registry.geojson"


def text() -> str:
    """The registry file's text (tests/test_tiny_registry.py checks the committed file is it)."""
    return dumps_registry(META, FACILITIES)


if __name__ == "__main__":  # after a change above: python -m tests.tiny_registry
    write_registry(PATH, META, FACILITIES)
    print(f"wrote {len(FACILITIES)} providers to {PATH}")
