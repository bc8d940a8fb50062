"""Parsing and checking API query parameters; every problem is an :class:`InvalidParameter`
that names the field and what is allowed."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterator, KeysView, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from app.care.rules import age_in_months
from app.errors import InvalidParameter, clip
from app.geo.korea import KOREA_LAT_RANGE, KOREA_LON_RANGE, MAX_CHILD_AGE_MONTHS, SEOUL
from app.search.index import MODES
from app.search.locale import KOREA, RegistryLocale, TimeOutOfRangeError, parse_local_time
from app.search.model import KINDS, PROGRAMMES

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

SERVICE_FILTERS = {"night": "night", "holiday": "holiday", "24h": "24h"}
MAX_WINDOW = timedelta(days=7)
MAX_AGE_MONTHS = MAX_CHILD_AGE_MONTHS
# How far from now a care window may lie (api.py passes the SEARCH_WINDOW_* settings).
WINDOW_PAST = timedelta(days=1)
WINDOW_AHEAD = timedelta(days=366)
CLIP = 80  # characters of a client's parameter name kept in an error's field
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class QueryArgs(Protocol):
    """What the parsers read: :class:`Args`, werkzeug's MultiDict or a dict of the values."""

    def get(self, key: str, /) -> str | None: ...


class MultiArgs(QueryArgs, Protocol):
    """Query parameters that may repeat: :class:`Args` or werkzeug's MultiDict."""

    def getlist(self, key: str, /) -> list[str]: ...


class UnknownParameter(InvalidParameter):
    """A query parameter the operation does not have (a typo must not pass for no filter)."""

    code = "unknown_parameter"


def reject_unknown(args: Args | Mapping[str, Any], allowed: frozenset[str]) -> None:
    """A 400 naming any parameter of ``args`` (anything with ``keys()``: a MultiDict,
    :class:`Args`, a dict) that is not in ``allowed``, with the allowed ones and a guess at the
    one meant (``programe`` -> ``programme``, ``age`` -> ``age_months``)."""
    unknown = args.keys() - allowed
    if not unknown:
        return
    names = sorted(unknown)
    guesses = []
    for name in names:
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6) or \
            sorted(a for a in allowed if name and (a.startswith(name) or name.startswith(a)))[:1]
        if close:
            guesses.append(f"{close[0]!r}" + (f" for {clip(name)}" if len(names) > 1 else ""))
    hint = f" (did you mean {', '.join(guesses)}?)" if guesses else ""
    listed = ", ".join(sorted(allowed)) or "none"
    raise UnknownParameter(f"unknown parameter{'s' if len(names) > 1 else ''} "
                           f"{', '.join(map(clip, names))}{hint}; allowed: {listed}", names[0][:CLIP])


def reject_repeated_or_empty(args: Args | MultiDict[str, str], lists: frozenset[str],
                             allowed: Mapping[str, str]) -> None:
    """A 400 naming a parameter that takes one value but was given more than once
    (``region=41113&region=41115`` must not pass for ``region=41113``), or was given empty
    (``region=`` must not pass for no region). ``lists`` take several values (comma-separated
    or repeated; :func:`choices` answers their empty value); ``allowed`` says, by name, what a
    parameter may be. Parameters not in ``allowed`` (unknown ones) are left to
    :func:`reject_unknown`."""
    for name in args:
        if name in lists or name not in allowed:
            continue
        values = args.getlist(name)
        if len(values) > 1:
            raise InvalidParameter(f"give {name} once (it was given {len(values)} times): "
                                   f"{allowed[name]}", name, reason="repeated")
        if values and values[0] == "":
            raise InvalidParameter(f"{name} is empty: give {allowed[name]}, or leave it out",
                                   name, reason="empty")


def region(args: QueryArgs, known: Callable[[], Collection[str]]) -> str | None:
    """A ``region`` filter: a 5-digit 시군구 or 시군 code that ``known()`` holds (called only
    when a region is given: the regions of the registry's area, :func:`app.api.search.
    known_regions`; none for a registry outside Korea); ``None`` when absent. A region that
    can never match in the registry's area is a 400 saying which ones can."""
    raw = args.get("region")
    if raw is None or raw == "":
        return None
    codes = known()
    if not codes:
        raise InvalidParameter(f"region {clip(raw)} cannot match: allowed: none (this registry "
                               "has no 시군구 regions: its area is outside Korea); leave region "
                               "out", "region", reason="no_match")
    if len(raw) != 5 or not all("0" <= ch <= "9" for ch in raw):
        raise InvalidParameter(f"region must be a 5-digit 시군구 or 시군 code such as 41110 "
                               f"(수원시) or 41113 (수원시 권선구), got {clip(raw)}", "region",
                               reason="not_a_code")
    if raw not in codes:
        close = difflib.get_close_matches(raw, sorted(codes), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InvalidParameter(f"unknown region {clip(raw)}: no 시군구 or 시군 of that code in this "
                               f"registry's area{hint}; allowed: {_listed(codes)}", "region",
                               reason="unknown_value")
    return raw


def _listed(values: Collection[str]) -> str:
    """Allowed values for a message: all of a few, or a count and a sample of many."""
    ordered = sorted(values)
    if len(ordered) <= 12:
        return ", ".join(ordered)
    return (f"{len(ordered)} codes such as {', '.join(ordered[:3])} (listed in "
            "/api/v1/openapi.json)")


class Args:
    """Query parameters as a plain dict of lists: werkzeug's MultiDict raises and catches an
    exception for every absent key, which cost more than the search itself."""

    def __init__(self, multi: MultiDict[str, str]) -> None:
        self._values: dict[str, list[str]] = dict(multi.lists())

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``."""
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        """Every value of ``name``."""
        return self._values.get(name, [])

    def keys(self) -> KeysView[str]:
        """The names of the parameters given."""
        return self._values.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def to_dict(self) -> dict[str, str]:
        """First values, for building links."""
        return {k: v[0] for k, v in self._values.items() if v}


@overload
def number(args: QueryArgs, name: str, *, required: Literal[True], default: float | None = None,
           minimum: float | None = None, maximum: float | None = None) -> float: ...
@overload
def number(args: QueryArgs, name: str, *, required: bool = False, default: float | None = None,
           minimum: float | None = None, maximum: float | None = None) -> float | None: ...
def number(args: QueryArgs, name: str, *, required: bool = False, default: float | None = None,
           minimum: float | None = None, maximum: float | None = None) -> float | None:
    """A finite number parameter within [minimum, maximum]."""
    raw = args.get(name)
    if raw is None or raw == "":
        if required:
            raise InvalidParameter(f"{name} is required", name, reason="missing")
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a number, got {clip(raw)}", name,
                               reason="not_a_number") from None
    if not math.isfinite(value):
        raise InvalidParameter(f"{name} must be a finite number, got {clip(raw)}", name,
                               reason="not_a_number")
    if minimum is not None and value < minimum:
        raise InvalidParameter(f"{name} must be at least {minimum:g}, got {clip(raw)}", name,
                               reason="out_of_range")
    if maximum is not None and value > maximum:
        raise InvalidParameter(f"{name} must be at most {maximum:g}, got {clip(raw)}", name,
                               reason="out_of_range")
    return value


def integer(args: QueryArgs, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """A whole-number parameter within [minimum, maximum]."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a whole number, got {clip(raw)}", name,
                               reason="not_a_number") from None
    if not minimum <= value <= maximum:
        raise InvalidParameter(f"{name} must be between {minimum} and {maximum}, got "
                               f"{clip(raw)}", name, reason="out_of_range")
    return value


def boolean(args: QueryArgs, name: str) -> bool:
    """A true/false parameter (1/0, true/false, yes/no)."""
    raw = (args.get(name) or "").lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise InvalidParameter(f"{name} must be true or false, got {clip(raw)}", name,
                           reason="not_a_boolean")


@overload
def point(args: QueryArgs, lat_name: str, lon_name: str, *, required: Literal[True],
          area: RegistryLocale = KOREA) -> tuple[float, float]: ...
@overload
def point(args: QueryArgs, lat_name: str, lon_name: str, *, required: bool,
          area: RegistryLocale = KOREA) -> tuple[float, float] | None: ...
def point(args: QueryArgs, lat_name: str, lon_name: str, *, required: bool,
          area: RegistryLocale = KOREA) -> tuple[float, float] | None:
    """(lon, lat) in the registry's area (``area.area``: South Korea unless the registry says
    otherwise); a swapped pair is named as such."""
    if not required and not args.get(lat_name) and not args.get(lon_name):
        return None
    lat = number(args, lat_name, required=True)
    lon = number(args, lon_name, required=True)
    swapped = area.looks_swapped(lon, lat)
    if not swapped:
        number(args, lat_name, minimum=-90, maximum=90)
        number(args, lon_name, minimum=-180, maximum=180)
    if not area.contains(lon, lat):
        min_lon, min_lat, max_lon, max_lat = area.area
        if area.is_korea:
            lats = "-".join(f"{v:g}" for v in KOREA_LAT_RANGE)
            lons = "-".join(f"{v:g}" for v in KOREA_LON_RANGE)
            hint = (f" ({lat_name} and {lon_name} look swapped: {lat_name} is about {lats} and "
                    f"{lon_name} about {lons} in Korea)") if swapped else \
                f" (allowed: {lat_name} {lats}, {lon_name} {lons})"
        else:
            hint = (f" (allowed: {lat_name} {min_lat:g} to {max_lat:g}, {lon_name} {min_lon:g} "
                    f"to {max_lon:g}" + ("; the two look swapped)" if swapped else ")"))
        raise InvalidParameter(f"the point ({lat}, {lon}) is outside {area.area_name}{hint}",
                               lat_name, reason="outside_area")
    return lon, lat


def choices(args: MultiArgs, name: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
    """A comma-separated (or repeated) list of values from ``allowed``; ``None`` when the
    parameter is absent. Given but empty (``service=``, ``service=,``) is an error: a filter
    that filters nothing would answer as if it had not been asked for."""
    given = args.getlist(name)
    values = [v.strip() for raw in given for v in raw.split(",") if v.strip()]
    if not values:
        if given:
            raise InvalidParameter(f"{name} is empty; give one or more of {', '.join(allowed)} "
                                   "(comma-separated), or leave it out", name,
                                   reason="empty")
        return None
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidParameter(
            f"unknown {name} {', '.join(map(clip, bad[:5]))}; allowed: {', '.join(allowed)}", name,
            reason="unknown_value")
    return frozenset(values)


def one_of(args: QueryArgs, name: str, allowed: Collection[str], what: str = "") -> str | None:
    """A filter taking one value of a closed set (a booking's ``status``); ``None`` when absent.
    Any other value is a 400 (reason ``unknown_value``) naming the field and every allowed value
    (``what`` says what they are, e.g. "a booking's states"): a typo must never answer as an
    empty list."""
    raw = args.get(name)
    if raw is None:
        return None
    values = list(allowed)
    if raw not in values:
        raise InvalidParameter(f"unknown {name} {clip(raw)}; allowed{f' ({what})' if what else ''}: "
                               f"{', '.join(values)}", name, reason="unknown_value")
    return raw


def moment(args: QueryArgs, name: str, tz: tzinfo | None = SEOUL) -> datetime | None:
    """An ISO 8601 date-time in ``tz`` (the registry's zone), which a time without an offset
    is read in."""
    raw = args.get(name)
    if not raw:
        return None
    try:
        return parse_local_time(raw, tz).astimezone(tz)
    except TimeOutOfRangeError:
        raise InvalidParameter(f"{name} {clip(raw)} is too far from today; give a date-time such "
                               "as 2026-11-23T19:00 in the coming months", name,
                               reason="out_of_range") from None
    except ValueError:
        raise InvalidParameter(
            f"{name} must be an ISO 8601 date-time such as 2026-11-23T19:00, got {clip(raw)}",
            name, reason="not_a_datetime") from None


def window(args: QueryArgs, now: datetime, past: timedelta = WINDOW_PAST,
           ahead: timedelta = WINDOW_AHEAD) -> tuple[datetime | None, datetime | None]:
    """The care window from ``start``/``end`` or ``open_now``, in the zone of ``now`` (the
    registry's). Both ends must lie from ``past`` before ``now`` to ``ahead`` after it (else
    a 400 naming the field): care is sought for now or the coming months, and dates far from
    today would only overflow the date arithmetic (year 1, year 9999)."""
    start, end = moment(args, "start", now.tzinfo), moment(args, "end", now.tzinfo)
    earliest, latest = now - past, now + ahead
    for name, value in (("start", start), ("end", end)):
        if value is not None and not earliest <= value <= latest:
            raise InvalidParameter(
                f"{name} must lie from {earliest:%Y-%m-%dT%H:%M} to {latest:%Y-%m-%dT%H:%M} "
                f"(at most {_days(past)} before now and {_days(ahead)} ahead), got "
                f"{clip(args.get(name))}", name, reason="out_of_range")
    if boolean(args, "open_now"):
        if start or end:
            raise InvalidParameter("give either open_now or start and end, not both",
                                   "open_now", reason="conflict")
        return now, now + timedelta(minutes=1)
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise InvalidParameter(f"{missing} is required when "
                               f"{'start' if missing == 'end' else 'end'} is given", missing,
                               reason="missing")
    if start is not None and end is not None:
        if end <= start:
            raise InvalidParameter(f"end ({end.isoformat()}) must be after start "
                                   f"({start.isoformat()})", "end", reason="not_after_start")
        if end - start > MAX_WINDOW:
            raise InvalidParameter("the window from start to end may be at most 7 days", "end",
                                   reason="window_too_long")
    return start, end


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} day" + ("" if days == 1 else "s")


def age_months(args: QueryArgs, start: datetime | None, now: datetime) -> int | None:
    """The child's age in whole months on the day care is needed."""
    months = args.get("age_months")
    birth = args.get("birth_date")
    if months and birth:
        raise InvalidParameter("give age_months or birth_date, not both", "birth_date",
                               reason="conflict")
    if months:
        return integer(args, "age_months", default=0, minimum=0, maximum=MAX_AGE_MONTHS)
    if not birth:
        return None
    try:
        born = date.fromisoformat(birth)
    except ValueError:
        raise InvalidParameter(f"birth_date must be a date such as 2022-05-14, got {clip(birth)}",
                               "birth_date", reason="not_a_date") from None
    on = (start or now).date()
    if born > on:
        raise InvalidParameter("birth_date is after the day care is needed", "birth_date",
                               reason="after_care_day")
    months_old = age_in_months(born, on)
    if months_old > MAX_AGE_MONTHS:
        raise InvalidParameter(f"birth_date {birth} makes the child {months_old} months old on "
                               f"the day care is needed; at most {MAX_AGE_MONTHS} months "
                               f"({MAX_AGE_MONTHS // 12} years)", "birth_date", reason="too_old")
    return months_old


def bbox(args: QueryArgs, name: str = "bbox") -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` in degrees, from the parameter ``name`` (required)."""
    raw = args.get(name)
    if not raw:
        raise InvalidParameter(f"{name} is required: minlon,minlat,maxlon,maxlat", name,
                               reason="missing")
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"{name} must be four numbers minlon,minlat,maxlon,maxlat, got "
                               f"{clip(raw)}", name, reason="not_a_bbox")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidParameter(f"{name} must have minlon <= maxlon within -180..180 and "
                               "minlat <= maxlat within -90..90", name, reason="not_a_bbox")
    return min_lon, min_lat, max_lon, max_lat


def mode(args: QueryArgs, has_work: bool) -> str:
    """``home`` (default without work), ``either`` (default with work) or ``commute``."""
    raw = args.get("mode") or ("either" if has_work else "home")
    if raw not in MODES:
        raise InvalidParameter(f"unknown mode {clip(raw)}; allowed: {', '.join(MODES)}", "mode",
                               reason="unknown_value")
    if raw != "home" and not has_work:
        raise InvalidParameter(f"mode {raw} needs work_lat and work_lon", "mode",
                               reason="needs_work")
    return raw


def filters(args: MultiArgs, programmes: tuple[str, ...] = PROGRAMMES) -> dict[str, Any]:
    """Kind, programme and service filters; ``programmes``: those that can match in the
    registry's area (the 언제나돌봄 programmes are run by 경기도 시군: none outside Korea)."""
    services = choices(args, "service", tuple(SERVICE_FILTERS))
    if not programmes and args.getlist("programme"):
        raise InvalidParameter(
            f"programme {clip(args.getlist('programme')[0])} cannot match: allowed: none (the "
            "언제나돌봄 programmes are run by 경기도 시군, outside this registry's area); leave "
            "programme out", "programme", reason="no_match")
    return {
        "kinds": choices(args, "kind", KINDS),
        "programmes": choices(args, "programme", programmes),
        "services": frozenset(SERVICE_FILTERS[s] for s in services) if services else None,
    }
