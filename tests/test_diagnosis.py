"""Why a search found nothing (app.search.diagnosis), on a tiny index with hand-checked answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.search.diagnosis import diagnose, programme_reasons
from app.search.index import Criteria, FacilityIndex

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SEOUL)  # a Tuesday
SUNDAY_EVENING = (datetime(2026, 12, 6, 19, 0, tzinfo=SEOUL), datetime(2026, 12, 6, 23, 0, tzinfo=SEOUL))
HOME = (127.0, 37.26)
# One weekday daycare 1 km east, reporting no places now; one 1.5 km west with places.
FULL = facility("full", 127.0112, 37.26, vacancies={"regular": 0}, availability_reported_at=NOW)
FREE = facility("free", 126.983, 37.26, vacancies={"regular": 3}, availability_reported_at=NOW)
INDEX = FacilityIndex([FULL, FREE], timedelta(hours=24))


def test_programme_not_for_this_age_or_this_sigun():
    # 언제나 어린이집 takes 6 months to 7 years; 방문형 긴급돌봄 is not run in 용인 (41460).
    c = Criteria(programmes=frozenset({"always_daycare"}), age_months=2)
    assert programme_reasons(c) == [{"code": "programme_age", "programme": "always_daycare",
                                     "age_min_months": 6, "age_max_months": 83}]
    c = Criteria(programmes=frozenset({"home_visit_emergency"}), age_months=48, home_sigungu_code="41463")
    assert programme_reasons(c) == [{"code": "programme_not_in_sigun", "programme": "home_visit_emergency",
                                     "sigun_name": "용인시", "sigun_name_en": "Yongin-si"}]
    # A home outside 경기도 (서울 종로구): not run there either, with no 시군 name to give.
    c = Criteria(programmes=frozenset({"home_visit_emergency"}), age_months=48, home_sigungu_code="11110")
    assert [(r["code"], r["sigun_name"]) for r in programme_reasons(c)] == [("programme_not_in_sigun", None)]
    # 수원 (41110) runs it: no reason.
    c = Criteria(programmes=frozenset({"home_visit_emergency"}), age_months=48, home_sigungu_code="41113")
    assert programme_reasons(c) == []


def test_nothing_open_all_window_offers_the_nearest_without_it():
    c = Criteria(start=SUNDAY_EVENING[0], end=SUNDAY_EVENING[1])
    assert INDEX.nearest(*HOME, c, NOW, 5) == []
    d = diagnose(INDEX, *HOME, c, NOW)
    assert (d.without, d.nearest.facility.id, d.reasons) == ("window", "full", [])


def test_only_with_places_is_given_up_first():
    # Sunday evening and only with places: dropping "available" alone still finds nothing open;
    # dropping the window (still only with places) finds FREE, not the nearer FULL.
    c = Criteria(start=SUNDAY_EVENING[0], end=SUNDAY_EVENING[1], available_only=True)
    d = diagnose(INDEX, *HOME, c, NOW)
    assert (d.without, d.nearest.facility.id) == ("window", "free")
    # Within 1.2 km with places: none (FREE is 1.5 km away), without "available": FULL.
    c = Criteria(available_only=True)
    assert INDEX.nearest(*HOME, c, NOW, 5, radius_m=1200) == []
    d = diagnose(INDEX, *HOME, c, NOW, radius_m=1200)
    assert (d.without, d.nearest.facility.id) == ("available", "full")


def test_radius_last_and_nothing_at_all():
    d = diagnose(INDEX, *HOME, Criteria(), NOW, radius_m=500)
    assert (d.without, d.nearest.facility.id) == ("radius", "full")
    d = diagnose(FacilityIndex([], timedelta(hours=24)), *HOME, Criteria(age_months=12), NOW)
    assert (d.without, d.nearest, d.reasons) == (None, None, [])
