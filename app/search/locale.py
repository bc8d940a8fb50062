"""Where and when a registry is: its time zone, public-holiday calendar and area.

These are settings **of the registry**, stored in the registry file's metadata by the import
(from the mapping's ``[registry]`` section), never of the machine: a time written without an
offset — in a registry file, a setting, a request or a provider's report — is a wall-clock time
in the registry's zone, whatever the server's ``TZ``. A registry that says nothing (every Korean
registry, the demo) is in Asia/Seoul, keeps Korean public holidays and covers South Korea.

:func:`parse_local_time` is the one place where time text is read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain import DomainError
from app.geo.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE, METRIC_CRS, utm_crs

from .hours import check_holiday_calendar, holiday_calendar, holiday_name

DEFAULT_TIMEZONE = "Asia/Seoul"
DEFAULT_HOLIDAYS = "KR"
# min_lon, min_lat, max_lon, max_lat in WGS84 degrees: a generous box around South Korea.
KOREA_AREA = (KOREA_LON_RANGE[0], KOREA_LAT_RANGE[0], KOREA_LON_RANGE[1], KOREA_LAT_RANGE[1])
KOREA_AREA_NAME = "South Korea"
# The metadata keys of a registry file that hold these settings.
META_KEYS = ("timezone", "holidays", "area", "area_name")
# The years a time in this service may fall in (a report, a registry's report time, a search
# window). Outside them a time is a typo (year 1, 9999) and shifting it across an offset or a
# demo time shift would overflow Python's datetime.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
# A registry's report time may run ahead of this machine's clock by this much (clocks differ);
# later than that it is a typo, and would read as "fresh" for as long as it stays in the future.
REPORT_CLOCK_SKEW = timedelta(days=1)


class TimeOutOfRangeError(DomainError):
    """A well-formed date-time outside the years EARLIEST_YEAR..LATEST_YEAR."""


class LocaleError(DomainError):
    """A time zone, holiday calendar or area that cannot be used; ``field`` names it."""


def zone(name: Any, field: str = "timezone") -> ZoneInfo:
    """The IANA time zone called ``name`` (``"Asia/Seoul"``, ``"America/Toronto"``).

    Raises :class:`LocaleError` naming ``field`` and the value when there is no such zone.
    """
    if not isinstance(name, str) or not name.strip():
        raise LocaleError(f"{field} must be an IANA time zone name such as Asia/Seoul or "
                          f"America/Toronto, got {name!r}", field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LocaleError(f"{field} {name!r} is not an IANA time zone; write e.g. Asia/Seoul "
                          "or America/Toronto", field) from None


def parse_local_time(text: str, tz: tzinfo | None) -> datetime:
    """Read ISO 8601 date-time text (``2026-11-29T20:45:23``, ``2026-11-29 20:45:23+09:00``).

    Text without an offset is a wall-clock time in ``tz`` (the registry's zone) — never in the
    server's own zone. Returns an aware datetime (in its own offset when the text had one).
    Raises ``ValueError`` (from :meth:`datetime.fromisoformat`) for text that is not a date-time
    and :class:`TimeOutOfRangeError` (a ``ValueError``) for one outside the years
    ``EARLIEST_YEAR``..``LATEST_YEAR``.
    """
    value = datetime.fromisoformat(text)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise TimeOutOfRangeError(f"{text!r} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def aware(value: datetime, tz: tzinfo) -> datetime:
    """``value`` itself when it carries a zone; else the same wall-clock time in ``tz``."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _area(value: Any, field: str = "area") -> tuple[float, float, float, float]:
    try:
        box = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or isinstance(value, str):
        raise LocaleError(f"{field} must be [min_lon, min_lat, max_lon, max_lat] in WGS84 "
                          f"degrees, got {value!r}", field)
    min_lon, min_lat, max_lon, max_lat = box
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise LocaleError(f"{field} {list(box)} must have min_lon < max_lon within -180..180 "
                          "and min_lat < max_lat within -90..90", field)
    return box


@dataclass(frozen=True)
class RegistryLocale:
    """The registry's time zone (IANA name), public-holiday calendar (a ``holidays`` package
    code: ``KR``, ``CA-ON`` for Ontario, or ``none``) and area (a lon/lat box in degrees,
    ``(min_lon, min_lat, max_lon, max_lat)``, with a name for messages).

    Raises :class:`LocaleError` naming the setting when one is not usable.
    """

    timezone: str = DEFAULT_TIMEZONE
    holidays: str = DEFAULT_HOLIDAYS
    area: tuple[float, float, float, float] = KOREA_AREA
    area_name: str = KOREA_AREA_NAME

    def __post_init__(self) -> None:
        zone(self.timezone)
        if not isinstance(self.holidays, str):
            raise LocaleError(f"holidays must be text such as KR or CA-ON, got {self.holidays!r}",
                              "holidays")
        try:
            check_holiday_calendar(self.holidays)
        except ValueError as exc:
            raise LocaleError(str(exc), "holidays") from None
        object.__setattr__(self, "area", _area(self.area))
        if not isinstance(self.area_name, str) or not self.area_name.strip():
            raise LocaleError(f"area_name must be text, got {self.area_name!r}", "area_name")

    @cached_property
    def tz(self) -> ZoneInfo:
        """The time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def is_holiday(self) -> Callable[[date], bool]:
        """``is_holiday(day)``: True on a public holiday of the registry's calendar."""
        return holiday_calendar(self.holidays)

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name on ``day`` (from the ``holidays`` package), or ``None``."""
        return holiday_name(self.holidays, day)

    @cached_property
    def metric_crs(self) -> str:
        """The projected CRS (metres) distances are measured in: EPSG:5179 (UTM-K) for Korea;
        elsewhere the UTM zone of the area's centre (UTM-K is 6 % off in Toronto)."""
        if self.is_korea:
            return METRIC_CRS
        min_lon, min_lat, max_lon, max_lat = self.area
        return utm_crs((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)

    @property
    def is_korea(self) -> bool:
        """True for the default Korean area (where a swapped lat/lon gets its own hint)."""
        return self.area == KOREA_AREA

    def now(self) -> datetime:
        """The current time in the registry's zone (aware)."""
        return datetime.now(self.tz)

    def parse_time(self, text: str) -> datetime:
        """:func:`parse_local_time` in this registry's zone."""
        return parse_local_time(text, self.tz)

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point (degrees) lies in the registry's area (edges included)."""
        min_lon, min_lat, max_lon, max_lat = self.area
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat

    def looks_swapped(self, lon: float, lat: float) -> bool:
        """True when (lon, lat) is outside the area but (lat, lon) would be inside it."""
        return not self.contains(lon, lat) and self.contains(lat, lon)

    def to_meta(self) -> dict[str, Any]:
        """The registry-file metadata form (see :meth:`from_meta`)."""
        return {"timezone": self.timezone, "holidays": self.holidays,
                "area": [round(v, 6) for v in self.area], "area_name": self.area_name}

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> RegistryLocale:
        """The settings in a registry file's metadata; a missing one takes the Korean default
        (files written before these settings existed are all Korean registries)."""
        given = {k: meta[k] for k in META_KEYS if meta.get(k) is not None}
        if "area" in given:
            given["area"] = _area(given["area"])
        return cls(**given)


KOREA = RegistryLocale()
