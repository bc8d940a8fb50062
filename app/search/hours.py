"""Weekly opening hours, overnight hours, and whether a provider is open for a whole window.

Hours are written per day type as ``"HH:MM-HH:MM"`` intervals in the GTFS style: an end past
``24:00`` runs into the next day (``"07:30-31:30"`` is 07:30 to 07:30 the next morning) and
``"00:00-24:00"`` is the whole day. Day types are ``mon`` … ``sun`` and ``holiday``; on a Korean
public holiday (substitute holidays included) the ``holiday`` hours apply instead of the weekday's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

DAY_TYPES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
MINUTES_PER_DAY = 24 * 60
MAX_END_MINUTES = 2 * MINUTES_PER_DAY

_INTERVAL_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class HoursFormatError(ValueError):
    """An opening-hours text that does not follow the ``HH:MM-HH:MM`` rules."""


def parse_interval(text: str) -> tuple[int, int]:
    """Parse ``"HH:MM-HH:MM"`` into (start, end) minutes after the day's midnight.

    The start lies in ``00:00``–``23:59``; the end is after the start and at most ``48:00``.
    """
    if not isinstance(text, str):
        raise HoursFormatError(f"hours {text!r} are not text of the form HH:MM-HH:MM")
    m = _INTERVAL_RE.match(text.strip())
    if not m:
        raise HoursFormatError(f"hours {text!r} are not of the form HH:MM-HH:MM")
    sh, sm, eh, em = (int(g) for g in m.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    if sm >= 60 or em >= 60 or start >= MINUTES_PER_DAY:
        raise HoursFormatError(f"hours {text!r}: the start must be 00:00-23:59")
    if not start < end <= MAX_END_MINUTES:
        raise HoursFormatError(
            f"hours {text!r}: the end must be after the start and at most 48:00 "
            "(write 07:30-31:30 for 07:30 to 07:30 the next day)"
        )
    return start, end


def format_interval(start_min: int, end_min: int) -> str:
    """Format minutes after midnight back to ``"HH:MM-HH:MM"``."""
    return f"{start_min // 60:02d}:{start_min % 60:02d}-{end_min // 60:02d}:{end_min % 60:02d}"


@dataclass(frozen=True)
class WeeklyHours:
    """Opening intervals per day type, in minutes after that day's midnight."""

    by_day: tuple[tuple[tuple[int, int], ...], ...]  # index-aligned with DAY_TYPES

    @classmethod
    def from_mapping(cls, hours: Mapping[str, Iterable[str]]) -> WeeklyHours:
        """Build from ``{"mon": ["07:30-19:30"], …}``; a missing day type means closed."""
        unknown = set(hours) - set(DAY_TYPES)
        if unknown:
            raise HoursFormatError(
                f"unknown day type(s) {sorted(unknown)}; allowed: {', '.join(DAY_TYPES)}"
            )
        try:
            key = tuple(tuple(hours.get(day, ())) for day in DAY_TYPES)
            return _parse_cached(key)
        except TypeError as exc:
            raise HoursFormatError(f"hours must map day types to lists of text: {exc}") from exc

    @classmethod
    def _parse(cls, key: tuple[tuple[str, ...], ...]) -> WeeklyHours:
        by_day = tuple(tuple(sorted(parse_interval(t) for t in day)) for day in key)
        return cls(by_day=by_day)

    def to_mapping(self) -> dict[str, list[str]]:
        """The ``{"mon": ["07:30-19:30"], …}`` form, every day type present."""
        return {
            day: [format_interval(s, e) for s, e in ivs]
            for day, ivs in zip(DAY_TYPES, self.by_day, strict=True)
        }

    def intervals_on(self, day: date, is_holiday: Callable[[date], bool],
                     overrides: Mapping[date, tuple] | None = None) -> tuple:
        """The intervals that start on ``day`` (holiday hours on a public holiday; a
        provider's changed hours for that date when ``overrides`` has them)."""
        if overrides and day in overrides:
            return overrides[day]
        key = 7 if is_holiday(day) else day.weekday()
        return self.by_day[key]

    def is_open_for(
        self, start: datetime, end: datetime, is_holiday: Callable[[date], bool],
        overrides: Mapping[date, tuple] | None = None,
    ) -> bool:
        """True when the provider is open for the whole of ``[start, end]``.

        ``start`` and ``end`` are naive local (Asia/Seoul) times or aware times in one zone.
        Intervals of consecutive days that touch (``…-24:00`` then ``00:00-…``, or an overnight
        end past the next day's opening) count as one continuous opening.
        """
        if end <= start:
            return False
        first_day = start.date() - timedelta(days=1)  # yesterday's overnight hours
        n_days = (end.date() - first_day).days + 1
        spans: list[tuple[datetime, datetime]] = []
        for offset in range(n_days):
            day = first_day + timedelta(days=offset)
            midnight = datetime.combine(day, datetime.min.time(), tzinfo=start.tzinfo)
            for s, e in self.intervals_on(day, is_holiday, overrides):
                spans.append((midnight + timedelta(minutes=s), midnight + timedelta(minutes=e)))
        spans.sort()
        cur_start: datetime | None = None
        cur_end: datetime | None = None
        for s, e in spans:
            if cur_end is not None and s <= cur_end:
                cur_end = max(cur_end, e)
                continue
            if cur_start is not None and cur_start <= start and cur_end >= end:
                return True
            cur_start, cur_end = s, e
        return cur_start is not None and cur_start <= start and cur_end >= end


@lru_cache(maxsize=4096)
def _parse_cached(key: tuple[tuple[str, ...], ...]) -> WeeklyHours:
    # Registries repeat a few hour patterns thousands of times; parse each pattern once.
    return WeeklyHours._parse(key)


@lru_cache(maxsize=64)
def _korean_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year)


def is_korean_public_holiday(day: date) -> bool:
    """True on a Korean public holiday, substitute and election days included."""
    return day in _korean_holidays(day.year)


def korean_holiday_name(day: date) -> str | None:
    """The holiday's name (from the ``holidays`` package), or ``None``."""
    return _korean_holidays(day.year).get(day)
