"""A hand-checkable registry for the matching tests: four 다함께돌봄센터 due north of HOME in
수원시 영통구 (41117), each 111 m further (0.001° of latitude), all taking part in 초등 시설형
긴급돌봄, open round the clock, with two fresh places; and three that must never be offered:
one full (50 m), one closed on the night of the window (60 m), one reporting a day too late
(70 m). A home-visit provider serves 41117 for 방문형 긴급돌봄.

| id | from HOME | offered? |
|---|---|---|
| tc-1 | 111 m N | rank 1 |
| tc-2 | 222 m N | rank 2 |
| tc-3 | 333 m N | rank 3 |
| tc-4 | 444 m N | rank 4 |
| tc-full | 50 m | no: no free place |
| tc-shut | 60 m | no: closed 18:00-22:00 |
| tc-stale | 70 m | no: report older than 24 h |
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.search.hours import WeeklyHours
from app.search.index import FacilityIndex
from app.search.locale import zone
from app.search.model import Facility

SEOUL = zone("Asia/Seoul")
HOME = (127.045, 37.2636)  # lon, lat: 수원시 영통구
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SEOUL)  # a Wednesday morning
START = datetime(2026, 12, 2, 18, 0, tzinfo=SEOUL)
END = datetime(2026, 12, 2, 22, 0, tzinfo=SEOUL)
BIRTH = date(2018, 1, 15)  # 106 months on 2026-12-02
PROGRAMME = "elementary_emergency"
ALWAYS = WeeklyHours.from_mapping({d: ["00:00-24:00"] for d in
                                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")})
DAYTIME = WeeklyHours.from_mapping({d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
RANKED = ("tc-1", "tc-2", "tc-3", "tc-4")


def _centre(fid: str, dlat: float, places: int = 2, hours: WeeklyHours = ALWAYS,
            reported: datetime | None = None) -> Facility:
    return Facility(
        id=fid, name=f"{fid} 다함께돌봄센터", kind="together_care_center", lon=HOME[0], lat=HOME[1] + dlat,
        programmes=frozenset({PROGRAMME}), age_min_months=72, age_max_months=155, hours=hours,
        vacancies={PROGRAMME: places}, availability_reported_at=reported or NOW - timedelta(hours=1),
        sido="경기도", sido_code="41", sigungu="수원시 영통구", sigungu_code="41117")


def facilities() -> list[Facility]:
    ranked = [_centre(fid, 0.001 * (i + 1)) for i, fid in enumerate(RANKED)]
    visit = Facility(
        id="hv-1", name="영통 아이돌봄", kind="home_visit_provider", lon=127.02, lat=37.27,
        programmes=frozenset({"home_visit_emergency"}), age_min_months=3, age_max_months=144, hours=ALWAYS,
        vacancies={"home_visit_emergency": 1}, availability_reported_at=NOW - timedelta(hours=1),
        sigungu_code="41115", service_area_sigungu_codes=frozenset({"41117"}))
    return [*ranked, _centre("tc-full", 0.00045, places=0), _centre("tc-shut", 0.00054, hours=DAYTIME),
            _centre("tc-stale", 0.00063, reported=NOW - timedelta(hours=25)), visit]


def index(only: tuple[str, ...] | None = None) -> FacilityIndex:
    """The index over :func:`facilities` (or those of them with an id in ``only``)."""
    found = [f for f in facilities() if only is None or f.id in only]
    return FacilityIndex(found, timedelta(hours=24))
