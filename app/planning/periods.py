"""Times of day as concrete windows: a period (``planning.json``) on a reference week.

The same opening-hours logic as the search (``WeeklyHours.is_open_for`` with the registry's
public holidays from the ``holidays`` package, Korean by default) decides whether a provider is
open for a period; periods are wall-clock times in the registry's zone (Asia/Seoul by default).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from app.domain import DomainError
from app.planning.settings import periods
from app.search.locale import KOREA, RegistryLocale
from app.search.model import Facility


class PeriodError(DomainError):
    """An unknown period or a malformed window in the settings."""


def _next_day(start: date, ok: Callable[[date], bool]) -> date:
    day = start
    for _ in range(400):
        if ok(day):
            return day
        day += timedelta(days=1)
    raise PeriodError(f"no suitable day within 400 days of {start}")


def reference_day(kind: str, week_of: date, locale: RegistryLocale = KOREA) -> date:
    """The concrete date of a day kind (``weekday``, ``saturday``, ``sunday``, ``holiday``) on or
    after ``week_of``: a weekday that is not a holiday; the next Saturday or Sunday that is not a
    holiday; the next public holiday that falls on a weekday (holidays of ``locale``)."""
    is_holiday = locale.is_holiday  # the registry's calendar (Korean by default)
    if kind == "weekday":
        return _next_day(week_of, lambda d: d.weekday() < 5 and not is_holiday(d))
    if kind == "saturday":
        return _next_day(week_of, lambda d: d.weekday() == 5 and not is_holiday(d))
    if kind == "sunday":
        return _next_day(week_of, lambda d: d.weekday() == 6 and not is_holiday(d))
    if kind == "holiday":
        return _next_day(week_of, lambda d: d.weekday() < 5 and is_holiday(d))
    raise PeriodError(f"day {kind!r} is not weekday, saturday, sunday or holiday")


def _at(day: date, text: str, locale: RegistryLocale = KOREA) -> datetime:
    plus = 0
    if text.endswith("+1"):
        text, plus = text[:-2], 1
    hh, mm = (int(x) for x in text.split(":"))
    return datetime.combine(day + timedelta(days=plus), time(hh, mm), tzinfo=locale.tz)


def windows(period: str, week_of: date,
            locale: RegistryLocale = KOREA) -> list[tuple[datetime, datetime]]:
    """The concrete windows of a period, in the registry's zone and calendar (``locale``); a
    provider must be open for all of them."""
    spec = periods().get(period)
    if spec is None:
        raise PeriodError(f"unknown period {period!r}; allowed: {', '.join(periods())}")
    out = []
    for w in spec["windows"]:
        day = reference_day(w["day"], week_of, locale)
        out.append((_at(day, w["start"], locale), _at(day, w["end"], locale)))
    return out


def open_for(facility: Facility, wins: list[tuple[datetime, datetime]],
             locale: RegistryLocale = KOREA) -> bool:
    """True when the provider is open for the whole of every window; unknown hours are not
    counted as open."""
    if facility.hours is None:
        return False
    return all(facility.hours.is_open_for(s, e, locale.is_holiday, None, locale.tz)
               for s, e in wins)
