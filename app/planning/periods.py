"""Times of day as concrete windows: a period (``planning.json``) on a reference week.

The same opening-hours logic as the search (``WeeklyHours.is_open_for`` with Korean public
holidays from the ``holidays`` package) decides whether a provider is open for a period.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.planning.settings import periods
from app.search.hours import is_korean_public_holiday
from app.search.model import Facility

SEOUL = ZoneInfo("Asia/Seoul")


class PeriodError(ValueError):
    """An unknown period or a malformed window in the settings."""


def _next_day(start: date, ok) -> date:
    day = start
    for _ in range(400):
        if ok(day):
            return day
        day += timedelta(days=1)
    raise PeriodError(f"no suitable day within 400 days of {start}")


def reference_day(kind: str, week_of: date) -> date:
    """The concrete date of a day kind (``weekday``, ``saturday``, ``sunday``, ``holiday``) on or
    after ``week_of``: a weekday that is not a holiday; the next Saturday or Sunday that is not a
    holiday; the next public holiday that falls on a weekday."""
    if kind == "weekday":
        return _next_day(week_of, lambda d: d.weekday() < 5 and not is_korean_public_holiday(d))
    if kind == "saturday":
        return _next_day(week_of, lambda d: d.weekday() == 5 and not is_korean_public_holiday(d))
    if kind == "sunday":
        return _next_day(week_of, lambda d: d.weekday() == 6 and not is_korean_public_holiday(d))
    if kind == "holiday":
        return _next_day(week_of, lambda d: d.weekday() < 5 and is_korean_public_holiday(d))
    raise PeriodError(f"day {kind!r} is not weekday, saturday, sunday or holiday")


def _at(day: date, text: str) -> datetime:
    plus = 0
    if text.endswith("+1"):
        text, plus = text[:-2], 1
    hh, mm = (int(x) for x in text.split(":"))
    return datetime.combine(day + timedelta(days=plus), time(hh, mm), tzinfo=SEOUL)


def windows(period: str, week_of: date) -> list[tuple[datetime, datetime]]:
    """The concrete windows of a period; a provider must be open for all of them."""
    spec = periods().get(period)
    if spec is None:
        raise PeriodError(f"unknown period {period!r}; allowed: {', '.join(periods())}")
    out = []
    for w in spec["windows"]:
        day = reference_day(w["day"], week_of)
        out.append((_at(day, w["start"]), _at(day, w["end"])))
    return out


def open_for(facility: Facility, wins: list[tuple[datetime, datetime]]) -> bool:
    """True when the provider is open for the whole of every window."""
    return all(facility.hours.is_open_for(s, e, is_korean_public_holiday) for s, e in wins)
