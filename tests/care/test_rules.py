"""Booking rules from app/reference/booking_rules.json, and eligibility through the search's rule."""

from datetime import date, time

import pytest

from app.care.rules import (
    BookingRuleError,
    NotEligible,
    age_in_months,
    booking_rule,
    booking_rules,
    check_family,
    check_provider,
)
from app.reference import document, programmes
from app.search.model import Facility, programme_rules


def test_the_rules_as_published():
    daycare = booking_rule("always_daycare")
    assert (daycare.booking, daycare.patterns, daycare.max_consecutive_days, daycare.fee_krw_per_hour,
            daycare.billing_unit_minutes, daycare.same_day_booking_until) == (
        "real_time", {"one_off", "daily"}, 5, 3000, 60, time(15, 0))
    elementary = booking_rule("elementary_emergency")
    assert (elementary.booking, elementary.patterns, elementary.max_range_days, elementary.fee_krw_per_hour) == (
        "provider_confirms", {"one_off", "weekly"}, 92, None)
    assert sorted(booking_rules()) == ["always_daycare", "elementary_emergency"]


def test_eligibility_is_the_searchs_rule_not_a_copy():
    for pid, rule in booking_rules().items():
        assert rule.eligibility is programme_rules()[pid]
        assert "age_min_months" not in document("booking_rules.json")["programmes"][pid]
    assert (booking_rule("always_daycare").eligibility.age_min_months,
            booking_rule("always_daycare").eligibility.age_max_months) == (6, 83)  # 6 months to 7 years
    assert (booking_rule("elementary_emergency").eligibility.age_min_months,
            booking_rule("elementary_emergency").eligibility.age_max_months) == (72, 155)  # 6-12 years


def test_the_fee_agrees_with_the_programme_description():
    assert booking_rule("always_daycare").fee_krw_per_hour == programmes()["always_daycare"]["fee_krw_per_hour"]


def test_every_figure_names_its_source():
    for pid, spec in document("booking_rules.json")["programmes"].items():
        for key in ("max_consecutive_days", "max_range_days", "fee_krw_per_hour", "same_day_booking_until"):
            if spec.get(key) is not None:
                assert "DOMAIN.md" in spec[f"{key}_source" if key != "fee_krw_per_hour" else "fee_source"], (pid, key)


def test_an_unbookable_programme_names_the_bookable_ones():
    with pytest.raises(BookingRuleError, match="'home_visit_emergency' cannot be booked; bookable: always_daycare, "
                                               "elementary_emergency") as caught:
        booking_rule("home_visit_emergency")
    assert caught.value.field == "programme"


@pytest.mark.parametrize(("born", "on", "months"), [
    (date(2024, 5, 31), date(2024, 6, 30), 0),
    (date(2024, 5, 31), date(2024, 7, 1), 1),
    (date(2020, 2, 29), date(2026, 2, 28), 71),
    (date(2020, 2, 29), date(2026, 3, 1), 72),
    (date(2019, 12, 3), date(2026, 12, 3), 84),
])
def test_age_in_months(born, on, months):
    assert age_in_months(born, on) == months


def test_birth_after_the_day_is_refused():
    with pytest.raises(BookingRuleError, match="birth_date 2026-12-04 is after the day care is needed"):
        age_in_months(date(2026, 12, 4), date(2026, 12, 3))


@pytest.mark.parametrize(("months", "ok"), [(5, False), (6, True), (83, True), (84, False)])
def test_always_daycare_ages(months, ok):
    rule = booking_rule("always_daycare")
    if ok:
        check_family(rule, months, "41195")  # 부천시 (a 구 of 41190)
    else:
        with pytest.raises(NotEligible, match=f"takes children of 6-83 months; this child is {months} months"):
            check_family(rule, months, "41195")


def test_a_family_outside_gyeonggi_is_refused():
    with pytest.raises(NotEligible, match="for families living in 경기도; the home is in 11110") as caught:
        check_family(booking_rule("always_daycare"), 30, "11110")  # 서울 종로구
    assert caught.value.field == "home"


def centre(**kw):
    base = dict(id="c1", name="수원 다함께돌봄센터 1호점", kind="together_care_center", lon=127.03, lat=37.26,
                sigungu_code="41111", programmes=frozenset({"elementary_emergency"}), age_min_months=72,
                age_max_months=155)
    return Facility(**{**base, **kw})


def test_provider_checks_follow_the_search():
    rule = booking_rule("elementary_emergency")
    check_provider(rule, centre(), age_months=100)  # 수원 (41110) runs the programme
    with pytest.raises(NotEligible, match="does not offer elementary_emergency"):
        check_provider(rule, centre(sigungu_code="41460"))  # 용인: not a pilot 시군
    with pytest.raises(NotEligible, match="does not offer elementary_emergency"):
        check_provider(rule, centre(programmes=frozenset()))
    with pytest.raises(NotEligible, match=r"is not open \(status 휴지\)"):
        check_provider(rule, centre(status="휴지"))
    with pytest.raises(NotEligible, match="takes children of 72-144 months; this child is 150"):
        check_provider(rule, centre(age_max_months=144), age_months=150)
    with pytest.raises(NotEligible, match="takes unknown ages"):
        check_provider(rule, centre(age_min_months=None, age_max_months=None), age_months=100)
