"""The residence refusal goes from the core to the API as data: :func:`app.care.rules.check_family`
raises :class:`HomeOutsideArea` with its parts (programme, the area's 시군 count, the home's 시군구),
and :func:`app.api.residence.home_outside` says the rule from those parts, never by cutting the
core's English message apart (a reworded core message still gives the API's own words)."""

from __future__ import annotations

import pytest

from app.api.residence import home_outside
from app.care.rules import HomeOutsideArea, NotEligible, booking_rule, check_family

BUSAN_SAHA = (128.9747, 35.1046)  # (lon, lat): 부산광역시 사하구청
YELLOW_SEA = (125.0, 36.0)  # in no 시군구


def test_check_family_gives_the_residence_refusal_as_parts():
    with pytest.raises(HomeOutsideArea) as caught:
        check_family(booking_rule("always_daycare"), 30, "26380")
    exc = caught.value
    assert isinstance(exc, NotEligible)
    assert (exc.programme, exc.sigun_count, exc.home_sigungu_code) == ("always_daycare", None, "26380")
    assert (exc.field, exc.reason, exc.extra) == ("home", "home_outside_area", {})
    assert exc.rule == "always_daycare is for families living in 경기도"
    assert str(exc) == "always_daycare is for families living in 경기도; the home is in 26380"
    some = HomeOutsideArea("home_visit_care", 3, "")
    assert str(some) == ("home_visit_care is for families living in the 3 시군 that run it; "
                         "the home is in no known 시군구")


def test_the_api_words_the_rule_from_its_parts_not_from_the_core_message():
    exc = HomeOutsideArea("elementary_emergency", None, "26380")
    exc.args = ("elementary_emergency: 경기도 families only (home 26380)",)  # the core reworded
    said = home_outside(exc, "home", BUSAN_SAHA)
    assert str(said) == "elementary_emergency is for families living in 경기도; the home is in 부산광역시 사하구"
    assert (said.code, said.field, said.reason, said.extra) == (
        "not_eligible", "home", "home_outside_area", {"place_name": "부산광역시 사하구"})
    exc = HomeOutsideArea("home_visit_care", 3, "")
    exc.args = ("home_visit_care — not here",)
    said = home_outside(exc, "point", YELLOW_SEA)
    assert str(said) == ("home_visit_care is for families living in the 3 시군 that run it; "
                         "the point (the home) is in no known 시군구")
    assert (said.field, said.extra) == ("point", {"place_name": ""})
