"""The search's Flask-free ranking entry (app.search.ranking.rank) gives exactly what the parents'
search answers for the same programme, age, window, place and ``available``, and the matching
fixture's hand-checked order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.extensions.registry import get_index, get_registry
from app.search.ranking import RankingError, home_sigungu_code, rank
from tests.care import matching_data as d

POINTS = [(127.0286, 37.2636), (126.766, 37.503), (127.216, 37.636)]  # 수원시청, 부천, 남양주
CASES = [("elementary_emergency", 96), ("always_daycare", 30), ("home_visit_emergency", 30)]


@pytest.mark.parametrize(("programme", "age_months"), CASES)
@pytest.mark.parametrize("point", POINTS)
def test_rank_is_the_searchs_answer(demo_app, demo_client, programme, age_months, point):
    with demo_app.app_context():
        tz = get_registry().locale.tz
        day = (datetime.now(tz) + timedelta(days=1)).date()
        start = datetime(day.year, day.month, day.day, 18, 0, tzinfo=tz)
        end = start + timedelta(hours=3)
        body = demo_client.get("/api/v1/facilities/nearest", query_string={
            "lon": point[0], "lat": point[1], "programme": programme, "age_months": age_months,
            "start": start.isoformat(), "end": end.isoformat(), "available": "true", "limit": 10}).get_json()
        ranked = rank(get_index(), programme, age_months, start, end, point, datetime.now(tz), 10)
    expected = [r["facility"]["id"] for r in body["results"]]
    assert [h.facility.id for h in ranked] == expected
    assert expected or programme == "home_visit_emergency"  # the demo has places near these points


def test_rank_on_the_hand_checked_registry():
    hits = rank(d.index(), d.PROGRAMME, 106, d.START, d.END, d.HOME, d.NOW, 10)
    # The full, the closed-at-night and the stale providers are nearer but never ranked.
    assert [(h.facility.id, round(h.distance_m)) for h in hits] == [
        ("tc-1", 111), ("tc-2", 222), ("tc-3", 333), ("tc-4", 444)]
    assert [h.facility.id for h in rank(d.index(), d.PROGRAMME, 106, d.START, d.END, d.HOME, d.NOW, 10,
                                        available_only=False)][:3] == ["tc-full", "tc-stale", "tc-1"]
    assert rank(d.index(), d.PROGRAMME, 106, d.START, d.END, d.HOME, d.NOW, 2)[-1].facility.id == "tc-2"
    assert rank(d.index(), d.PROGRAMME, 60, d.START, d.END, d.HOME, d.NOW, 10) == []  # too young


def test_home_sigungu_code():
    assert home_sigungu_code(*d.HOME) == "41117"  # 수원시 영통구
    assert home_sigungu_code(129.5, 33.0) == ""  # the sea south of Korea


@pytest.mark.parametrize(("change", "message"), [
    ({"programme": "swimming"}, "unknown programme"),
    ({"mode": "fly"}, "unknown mode"),
    ({"start": d.START.replace(tzinfo=None)}, "start must carry a time zone"),
    ({"end": d.START}, "end must be after start"),
    ({"limit": 0}, "limit must be at least 1"),
])
def test_bad_arguments_are_named(change, message):
    args = dict(index=d.index(), programme=d.PROGRAMME, age_months=106, start=d.START, end=d.END, point=d.HOME,
                now=d.NOW, limit=5)
    mode = change.pop("mode", "home")
    args.update(change)
    with pytest.raises(RankingError, match=message):
        rank(**args, mode=mode)
