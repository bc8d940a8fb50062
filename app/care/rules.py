"""How each programme is booked (``app/reference/booking_rules.json``) and who may book it.

Eligibility is the search's own rule (:func:`app.search.model.programme_rules`, from
``programmes.json``): a booking applies exactly what the search applied when it showed the place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

from app.domain import DomainError
from app.reference import document
from app.search.model import Facility, ProgrammeRule, programme_rules

PATTERNS = ("one_off", "weekly", "daily")
BOOKING_KINDS = ("real_time", "provider_confirms")


class BookingRuleError(DomainError):
    """A programme that cannot be booked, or a family or provider outside its rules."""


class NotEligible(BookingRuleError):
    """The child, the family's home or the provider is outside the programme's rule."""

    code = "not_eligible"


class HomeOutsideArea(NotEligible):
    """A home outside the area a programme is for (reason ``home_outside_area``, field ``home``),
    its parts as data for a caller that says the place its own way (:mod:`app.api.residence`):
    ``programme``; ``sigun_count``, the number of 시군 that run it at home (``None``: the programme
    is for all 경기도); ``home_sigungu_code``, the home's 5-digit 시군구 (``""`` in none). The
    message: "<rule>; the home is in <code>" (:attr:`rule`: "… is for families living in 경기도")."""

    reason = "home_outside_area"

    def __init__(self, programme: str, sigun_count: int | None, home_sigungu_code: str) -> None:
        self.programme, self.sigun_count, self.home_sigungu_code = programme, sigun_count, home_sigungu_code
        super().__init__(f"{self.rule}; the home is in {home_sigungu_code or 'no known 시군구'}", "home")

    @property
    def area(self) -> str:
        """Where the families it is for live, in words: "경기도" or "the <n> 시군 that run it"."""
        return "경기도" if self.sigun_count is None else f"the {self.sigun_count} 시군 that run it"

    @property
    def rule(self) -> str:
        """The rule the home breaks, without the place: "<programme> is for families living in <area>"."""
        return f"{self.programme} is for families living in {self.area}"


@dataclass(frozen=True)
class BookingRule:
    """The booking rules of one programme; ``eligibility`` is the search's rule for it.

    Day counts are calendar dates in the registry's zone (see :mod:`app.care.windows`);
    money is in won; ``None`` means the sources give no such figure.
    """

    programme: str
    booking: str  # "real_time": the hold is the booking; "provider_confirms"
    patterns: frozenset[str]
    max_consecutive_days: int | None
    max_range_days: int | None
    same_day_booking_until: time | None  # booking for today closes at this local time
    fee_krw_per_hour: int | None
    billing_unit_minutes: int | None
    eligibility: ProgrammeRule
    weekly_max_weeks: int | None = None  # a weekly pattern's most weeks (None: max_range_days only)

    @property
    def weekly_max_range_days(self) -> int | None:
        """The most dates a weekly pattern's range (first date to end date) may span: the
        smaller of ``max_range_days`` and ``weekly_max_weeks`` weeks."""
        limits = [n for n in (self.max_range_days, self.weekly_max_weeks and self.weekly_max_weeks * 7) if n]
        return min(limits) if limits else None

    @property
    def daily_max_days(self) -> int | None:
        """The most calendar dates a daily pattern's windows may touch together (first window's
        first date to the last window's last date): ``max_consecutive_days``, for a programme
        whose ``patterns`` have ``daily``; None otherwise."""
        return self.max_consecutive_days if "daily" in self.patterns else None

    @property
    def max_days(self) -> int | None:
        """The most calendar dates one window may touch."""
        return self.max_consecutive_days if self.max_consecutive_days is not None else self.max_range_days


def _rule(pid: str, spec: dict[str, Any], eligibility: ProgrammeRule, fee_krw_per_hour: int | None) -> BookingRule:
    until = spec.get("same_day_booking_until")
    rule = BookingRule(
        programme=pid, booking=spec["booking"], patterns=frozenset(spec["patterns"]),
        max_consecutive_days=spec.get("max_consecutive_days"), max_range_days=spec.get("max_range_days"),
        same_day_booking_until=time.fromisoformat(until) if until else None,
        fee_krw_per_hour=fee_krw_per_hour, billing_unit_minutes=spec.get("billing_unit_minutes"),
        eligibility=eligibility, weekly_max_weeks=spec.get("weekly_max_weeks"))
    problems = []
    if rule.booking not in BOOKING_KINDS:
        problems.append(f"booking {rule.booking!r} not one of {BOOKING_KINDS}")
    if not rule.patterns or not rule.patterns <= set(PATTERNS):
        problems.append(f"patterns {sorted(rule.patterns)} not a subset of {PATTERNS}")
    if rule.max_days is None or rule.max_days < 1:
        problems.append("needs max_consecutive_days or max_range_days of at least 1")
    if "weekly" in rule.patterns and not rule.max_range_days:
        problems.append("a weekly pattern needs max_range_days")
    if "daily" in rule.patterns and not rule.max_consecutive_days:
        problems.append("a daily pattern needs max_consecutive_days (the most dates its windows may touch)")
    weeks = rule.weekly_max_weeks
    if weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1
                              or "weekly" not in rule.patterns):
        problems.append("weekly_max_weeks must be a whole number of at least 1, for a programme with weekly")
    if (rule.fee_krw_per_hour is None) != (rule.billing_unit_minutes is None):
        problems.append("fee_krw_per_hour and billing_unit_minutes go together")
    elif rule.fee_krw_per_hour is not None and rule.billing_unit_minutes is not None and (
            rule.billing_unit_minutes < 1 or rule.fee_krw_per_hour * rule.billing_unit_minutes % 60):
        problems.append("a billing unit must cost whole won")
    if spec.get("billing_rounding") not in (None, "up"):
        problems.append("billing_rounding must be 'up'")
    if problems:
        raise RuntimeError(f"booking_rules.json, {pid}: " + "; ".join(problems))
    return rule


@lru_cache(maxsize=1)
def booking_rules() -> dict[str, BookingRule]:
    """The booking rule of every bookable programme, read once from ``booking_rules.json`` (the
    hourly fee from ``programmes.json``)."""
    eligibility = programme_rules()
    # The hourly fee is the programme's, written once in programmes.json (with its source).
    described = document("programmes.json")["programmes"]
    out = {}
    for pid, spec in document("booking_rules.json")["programmes"].items():
        if pid not in eligibility:
            raise RuntimeError(f"booking_rules.json: {pid} has no rule in programmes.json")
        out[pid] = _rule(pid, spec, eligibility[pid], described[pid].get("fee_krw_per_hour"))
    return out


@lru_cache(maxsize=1)
def check_in_lead() -> timedelta:
    """How long before a booking's start its provider's staff may check the child in
    (``check_in_opens_minutes_before_start`` in ``booking_rules.json``)."""
    minutes = document("booking_rules.json")["check_in_opens_minutes_before_start"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 24 * 60:
        raise RuntimeError("booking_rules.json: check_in_opens_minutes_before_start must be 0 to 1440 minutes")
    return timedelta(minutes=minutes)


@lru_cache(maxsize=1)
def check_out_delay() -> timedelta | None:
    """How long after a booking's start its provider's staff may first check the child out
    (``check_out_opens_minutes_after_start`` in ``booking_rules.json``); None (the rule's
    ``null``, the default): at any time once the child is checked in, early or not."""
    minutes = document("booking_rules.json")["check_out_opens_minutes_after_start"]
    if minutes is None:
        return None
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 24 * 60:
        raise RuntimeError("booking_rules.json: check_out_opens_minutes_after_start must be null or 0 to 1440 "
                           "minutes")
    return timedelta(minutes=minutes)


@lru_cache(maxsize=1)
def family_cancel_lead() -> timedelta:
    """How long before a booking's start the family's last moment to cancel it is
    (``family_cancel_until_minutes_before_start`` in ``booking_rules.json``; 0: the start)."""
    minutes = document("booking_rules.json")["family_cancel_until_minutes_before_start"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 7 * 24 * 60:
        raise RuntimeError("booking_rules.json: family_cancel_until_minutes_before_start must be 0 to 10080 minutes")
    return timedelta(minutes=minutes)


@lru_cache(maxsize=1)
def window_step_minutes() -> int:
    """The step, in minutes after local midnight, that every care window's start and end fall
    on (``window_step_minutes`` in ``booking_rules.json``: 15, the pages' time pickers); a
    divisor of a day (1,440 minutes), so every day's steps start at its midnight."""
    minutes = document("booking_rules.json")["window_step_minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440 or 1440 % minutes:
        raise RuntimeError("booking_rules.json: window_step_minutes must be a whole number of minutes that divides "
                           "a day (1440), such as 5, 15, 30 or 60")
    return minutes


@lru_cache(maxsize=1)
def booking_max_days_ahead() -> int:
    """How many days ahead a booking's window may start (``booking_max_days_ahead`` in
    ``booking_rules.json``, with its source: 92)."""
    days = document("booking_rules.json")["booking_max_days_ahead"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
        raise RuntimeError("booking_rules.json: booking_max_days_ahead must be 1 to 366 days")
    return days


PLACES_AHEAD_DAYS = (7, 14, 28)  # the inbox's choices of how far ahead to open places (days from today)


def pattern_reach_days(programme: str) -> int | None:
    """How many days a weekly pattern of ``programme`` may span (``weekly_max_weeks`` x 7, else
    its range cap); None for a programme not booked as a weekly pattern (or not bookable)."""
    rule = booking_rules().get(programme)
    return rule.weekly_max_range_days if rule is not None and "weekly" in rule.patterns else None


def places_ahead_choices(programme: str) -> list[int]:
    """How many days ahead (from today, today included) staff may open ``programme``'s places
    in one go, ascending: :data:`PLACES_AHEAD_DAYS` and, for a programme booked as a weekly
    pattern, the pattern's whole reach (:func:`pattern_reach_days`), so that a pattern may run
    as long as the rules allow. Unknown programme: the plain choices."""
    reach = pattern_reach_days(programme)
    return sorted({*PLACES_AHEAD_DAYS, *([reach] if reach else [])})


def max_places_ahead_days() -> int:
    """The most days ahead places may be opened in one go (``derive.days``): the longest
    choice of any bookable programme (:func:`places_ahead_choices`)."""
    return max(max(places_ahead_choices(p)) for p in [*booking_rules(), ""])


def booking_rule(programme: str) -> BookingRule:
    """The rule of ``programme``; :class:`BookingRuleError` naming the bookable ones otherwise."""
    rules = booking_rules()
    if programme not in rules:
        raise BookingRuleError(f"programme {programme!r} cannot be booked; bookable: {', '.join(sorted(rules))}",
                               "programme", "not_bookable")
    return rules[programme]


def age_in_months(birth_date: date, on: date) -> int:
    """The child's age in whole months on the date ``on`` (a birthday in the month counts from
    that day: born 2024-05-31, on 2024-06-30 -> 0, on 2024-07-01 -> 1)."""
    if birth_date > on:
        raise BookingRuleError(f"birth_date {birth_date} is after the day care is needed ({on})", "birth_date",
                               "after_care_day", {"care_day": on.isoformat()})
    return (on.year - birth_date.year) * 12 + (on.month - birth_date.month) - (on.day < birth_date.day)


def check_family(rule: BookingRule, age_months: int, home_sigungu_code: str | None) -> None:
    """Refuse (:class:`NotEligible`) a child or home outside the programme, as the search would
    (a home outside: :class:`HomeOutsideArea`, its parts as data).

    ``home_sigungu_code``: the 5-digit 시군구 of the family's home, ``""`` when it lies in none;
    ``None`` skips the residence rules (:meth:`ProgrammeRule.family_may_use`).
    """
    e = rule.eligibility
    if not e.family_may_use(age_months, None):
        raise NotEligible(f"{rule.programme} takes children of {e.age_min_months}-{e.age_max_months} months; "
                          f"this child is {age_months} months old on the first day", "child", "age_outside_programme",
                          {"age_min_months": e.age_min_months, "age_max_months": e.age_max_months,
                           "age_months": age_months})
    if not e.family_may_use(None, home_sigungu_code):
        raise HomeOutsideArea(rule.programme, len(e.sigun_codes) if e.where == "home" else None,
                              home_sigungu_code or "")


def check_provider(rule: BookingRule, facility: Facility, age_months: int | None = None) -> None:
    """Refuse (:class:`NotEligible`) a provider the search would not show for this booking: one
    that does not offer the programme (its kind, its programmes, and for centres its 시군), is not
    open (휴지, 폐지), or whose own ages leave out the child (unknown ages never match)."""
    if not rule.eligibility.offered_by(facility):
        raise NotEligible(f"{facility.name} does not offer {rule.programme}", "facility_id", "not_offered")
    if not facility.is_open_status:
        raise NotEligible(f"{facility.name} is not open (status {facility.status})", "facility_id", "not_open")
    low, high = facility.age_min_months, facility.age_max_months
    if age_months is not None and (low is None or high is None or not low <= age_months <= high):
        if low is None or high is None:
            raise NotEligible(f"{facility.name} takes unknown ages; this child is {age_months} months old", "child",
                              "provider_ages_unknown", {"age_months": age_months})
        raise NotEligible(f"{facility.name} takes children of {low}-{high} months; this child is {age_months} "
                          "months old", "child", "age_outside_provider",
                          {"age_min_months": low, "age_max_months": high, "age_months": age_months})
