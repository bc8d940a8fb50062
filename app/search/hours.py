"""Weekly opening hours, overnight hours, and whether a provider is open for a whole window.

Hours are written per day type as ``"HH:MM-HH:MM"`` intervals in the GTFS style: an end past
``24:00`` runs into the next day (``"07:30-31:30"`` is 07:30 to 07:30 the next morning) and
``"00:00-24:00"`` is the whole day. Day types are ``mon`` … ``sun`` and ``holiday``; on a public
holiday of the registry's calendar (Korean by default, substitute holidays included; see
:func:`holiday_calendar`) the ``holiday`` hours apply instead of the weekday's. Hours are
wall-clock times in the registry's zone (``app.search.locale``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

import holidays

from app.domain import DomainError

DAY_TYPES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
MINUTES_PER_DAY = 24 * 60
MAX_END_MINUTES = 2 * MINUTES_PER_DAY

_INTERVAL_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class HoursFormatError(DomainError):
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


_DAY_NAMES = {"mo": "mon", "tu": "tue", "we": "wed", "th": "thu", "fr": "fri", "sa": "sat",
              "su": "sun", "ph": "holiday"}
_DAY = r"(?:mon?|tue?|wed?|thu?|fri?|sat?|sun?|ph)"
_RULE_RE = re.compile(
    rf"^(?P<days>{_DAY}(?:\s*-\s*{_DAY})?(?:\s*,\s*{_DAY}(?:\s*-\s*{_DAY})?)*)?\s*"
    r"(?P<times>\S.*)$", re.IGNORECASE)
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _days_of(selector: str, text: str) -> list[str]:
    week = list(DAY_TYPES[:7])
    out: list[str] = []
    for part in selector.split(","):
        ends = [_DAY_NAMES[e.strip().lower()[:2]] for e in part.split("-")]
        if len(ends) == 1:
            out.append(ends[0])
            continue
        if "holiday" in ends:
            raise HoursFormatError(f"hours {text!r}: PH cannot be part of a range ({part.strip()!r})")
        i, j = week.index(ends[0]), week.index(ends[1])
        out.extend(week[i:j + 1] if i <= j else week[i:] + week[:j + 1])
    return out


def _intervals_of(times: str, text: str) -> list[str]:
    if times.strip().lower() in ("off", "closed"):
        return []
    out = []
    for part in times.split(","):
        m = _TIME_RE.match(part.strip())
        if not m:
            raise HoursFormatError(f"hours {text!r}: {part.strip()!r} is not HH:MM-HH:MM, off or "
                                   "closed (e.g. Mo-Fr 07:30-19:30; Sa 08:00-12:00)")
        sh, sm, eh, em = (int(g) for g in m.groups())
        problem = None
        if sm >= 60 or em >= 60 or sh >= 24 or eh > 24 or (eh == 24 and em):
            problem = "is not a time of day (00:00-24:00)"
        elif (eh, em) == (sh, sm):
            problem = "starts and ends at the same time (write 00:00-24:00 for the whole day)"
        if problem:
            raise HoursFormatError(f"hours {text!r}: {part.strip()!r} {problem}")
        if eh * 60 + em < sh * 60 + sm:
            eh += 24  # past midnight: 19:00-07:00 is 19:00 to 07:00 the next morning
        out.append(f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}")
    return out


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
        if not isinstance(hours, Mapping):
            raise HoursFormatError(f"hours {hours!r} must map day types to lists of HH:MM-HH:MM, "
                                   'such as {"mon": ["07:30-19:30"]}')
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
    def from_text(cls, text: str) -> WeeklyHours:
        """Build from hours written as text: the JSON object of :meth:`from_mapping`, or the
        OpenStreetMap ``opening_hours`` form (the subset registries use):

        - rules separated by ``;``, each ``<days> <times>``: ``Mo-Fr 07:30-19:30; Sa 08:00-12:00``;
        - days ``Mo Tu We Th Fr Sa Su`` (or ``Mon`` … ``Sun``, any case), ranges (``Mo-Fr``,
          ``Fr-Mo``) and lists (``Mo,We,Fr``); ``PH`` is public holidays; no days: every day, public holidays included;
        - times ``HH:MM-HH:MM`` (comma-separated; ``H:MM`` is fine; an end before the start runs
          past midnight: ``19:00-07:00``), or ``off``/``closed``; ``24/7`` alone is always open;
        - a later rule replaces an earlier one for its days; days never named are closed, public
          holidays included (give ``PH`` hours when the provider opens on them).

        Raises :class:`HoursFormatError` quoting the text and the part that is wrong.
        """
        if not isinstance(text, str) or not text.strip():
            raise HoursFormatError(f"hours {text!r} are empty; write e.g. Mo-Fr 07:30-19:30; Sa 07:30-15:30")
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                doc = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise HoursFormatError(f"hours {text!r} are not a JSON object ({exc.msg})") \
                    from None
            return cls.from_mapping(doc)
        if stripped.lower() == "24/7":
            return cls.from_mapping({d: ["00:00-24:00"] for d in DAY_TYPES})
        days: dict[str, list[str]] = {}
        for rule in (r.strip() for r in stripped.split(";")):
            if not rule:
                continue
            m = _RULE_RE.match(rule)
            if not m:
                raise HoursFormatError(f"hours {text!r}: rule {rule!r} is not <days> <times>, "
                                       "e.g. Mo-Fr 07:30-19:30")
            selected = _days_of(m.group("days"), text) if m.group("days") else list(DAY_TYPES)
            intervals = _intervals_of(m.group("times"), text)
            for day in selected:
                days[day] = intervals
        return cls.from_mapping(days)

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
        overrides: Mapping[date, tuple] | None = None, tz: tzinfo | None = None,
    ) -> bool:
        """True when the provider is open for the whole of ``[start, end]``.

        The hours are wall-clock times in ``tz``, the registry's zone: aware ``start`` and
        ``end`` are converted to it, so the day (weekday, holiday, changed hours) is the one
        in the registry's zone whatever zone they were given in. Without ``tz``, ``start`` and
        ``end`` are both naive wall-clock times or both aware (read in ``start``'s zone).
        Intervals of consecutive days that touch (``…-24:00`` then ``00:00-…``, or an overnight
        end past the next day's opening) count as one continuous opening.
        """
        if start.tzinfo is not None and end.tzinfo is not None:
            if tz is not None and start.tzinfo is not tz:
                start = start.astimezone(tz)
            if end.tzinfo is not start.tzinfo:
                end = end.astimezone(start.tzinfo)
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
            if cur_start is not None and cur_end is not None and cur_start <= start and cur_end >= end:
                return True
            cur_start, cur_end = s, e
        return cur_start is not None and cur_end is not None and cur_start <= start and cur_end >= end


@lru_cache(maxsize=4096)
def _parse_cached(key: tuple[tuple[str, ...], ...]) -> WeeklyHours:
    # Registries repeat a few hour patterns thousands of times; parse each pattern once.
    return WeeklyHours._parse(key)


NO_HOLIDAYS = "none"


def _split_calendar(code: str) -> tuple[str, str | None]:
    country, _, subdiv = code.partition("-")
    return country, subdiv or None


@lru_cache(maxsize=64)
def check_holiday_calendar(code: str) -> str:
    """Return ``code`` if it names a public-holiday calendar of the ``holidays`` package: a
    country (``KR``) or a country and subdivision (``CA-ON`` for Ontario), or ``none``.

    Raises ``ValueError`` naming the value and, for a known country, its subdivisions.
    """
    if code == NO_HOLIDAYS:
        return code
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"holidays must be a country code such as KR or a country and "
                         f"subdivision such as CA-ON (holidays package), or none; got {code!r}")
    country, subdiv = _split_calendar(code)
    try:
        whole = holidays.country_holidays(country)
    except NotImplementedError:
        raise ValueError(f"holidays {code!r}: no holiday calendar for country {country!r}; "
                         "write an ISO 3166 code such as KR, CA, US, or none") from None
    if subdiv is None and code != country:  # "KR-": a dash and no subdivision
        raise ValueError(f"holidays {code!r}: the subdivision after '-' is empty; write "
                         f"{country} alone or {country}-<subdivision> (allowed: "
                         f"{', '.join(whole.subdivisions) or 'none'})")
    if subdiv is not None:
        try:
            holidays.country_holidays(country, subdiv=subdiv)
        except NotImplementedError:
            raise ValueError(f"holidays {code!r}: {country} has no subdivision {subdiv!r}; "
                             f"allowed: {', '.join(whole.subdivisions) or 'none'}") from None
    return code


@lru_cache(maxsize=256)
def _calendar(code: str, year: int) -> holidays.HolidayBase | dict:
    if code == NO_HOLIDAYS:
        return {}
    country, subdiv = _split_calendar(code)
    return holidays.country_holidays(country, subdiv=subdiv, years=year)


@lru_cache(maxsize=64)
def holiday_calendar(code: str) -> Callable[[date], bool]:
    """``is_holiday(day)`` for a calendar code (see :func:`check_holiday_calendar`): True on
    that calendar's public holidays, substitute (observed) days included."""
    check_holiday_calendar(code)

    def is_holiday(day: date) -> bool:
        return day in _calendar(code, day.year)

    is_holiday.__name__ = f"is_holiday_{code}"
    return is_holiday


def holiday_name(code: str, day: date) -> str | None:
    """The holiday's name on ``day`` in calendar ``code`` (``holidays`` package), or ``None``."""
    return _calendar(check_holiday_calendar(code), day.year).get(day)


is_korean_public_holiday = holiday_calendar("KR")
is_korean_public_holiday.__doc__ = "True on a Korean public holiday, substitute and election days included."


def korean_holiday_name(day: date) -> str | None:
    """The holiday's name (from the ``holidays`` package), or ``None``."""
    return holiday_name("KR", day)
