"""What a provider reports: places per programme (and per time slot for the emergency
programmes), changed hours for a date, and temporary closures. Parsing checks every field and
names what is wrong; nothing here touches the database."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from app.domain import DomainError
from app.geo.korea import SEOUL
from app.search.hours import HoursFormatError, parse_interval
from app.search.locale import EARLIEST_YEAR, TimeOutOfRangeError, parse_local_time
from app.search.model import PROGRAMMES, REGULAR

VACANCY_KEYS = (REGULAR, *PROGRAMMES)
MAX_PLACES = 10_000
MAX_ITEMS = 200
# A version is stored in an integer column (32 bits on PostgreSQL) and a write stores version + 1.
MAX_VERSION = 2**31 - 2
_INTERVAL_MAX_CHARS = 32  # "07:30-31:30" is 11


@dataclass(frozen=True)
class ReportLimits:
    """Caps on the size of one report (app.config REPORT_MAX_*): counts of parts, and
    characters of a closure's reason."""

    slots: int = 200  # all programmes together
    hours_dates: int = 62
    intervals_per_date: int = 4
    closures: int = 20
    reason_chars: int = 200
    horizon_days: int = 400  # how far ahead of now a slot, closure or changed date may lie

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReportLimits:
        """The caps set in a Flask config."""
        return cls(slots=int(config["REPORT_MAX_SLOTS"]),
                   hours_dates=int(config["REPORT_MAX_HOURS_DATES"]),
                   intervals_per_date=int(config["REPORT_MAX_INTERVALS_PER_DATE"]),
                   closures=int(config["REPORT_MAX_CLOSURES"]),
                   reason_chars=int(config["REPORT_MAX_REASON_CHARS"]),
                   horizon_days=int(config["REPORT_HORIZON_DAYS"]))


def _clean_text(value: str, where: str, max_chars: int) -> str:
    """Text a person wrote: at most ``max_chars`` characters, none of them a control, format
    (bidi override, zero-width) or lone surrogate character — they spoof what a reader sees
    and some databases cannot store them (PostgreSQL refuses NUL)."""
    if len(value) > max_chars:
        raise RecordError(f"{where} may be at most {max_chars} characters, got {len(value)}",
                          where)
    bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")),
               None)
    if bad is not None:
        raise RecordError(f"{where} contains the control character U+{ord(bad):04X}; send "
                          "plain text", where)
    return value


def _only_keys(item: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise RecordError(f"unknown field(s) {', '.join(repr(k) for k in unknown)} in {where}; "
                          f"allowed: {', '.join(allowed)}", f"{where}.{unknown[0]}")


class RecordError(DomainError):
    """A report that breaks the rules; ``field`` names the part."""


@dataclass(frozen=True)
class Slot:
    """Places for one programme in one time slot."""

    start: datetime
    end: datetime
    places: int


@dataclass(frozen=True)
class Closure:
    """A temporary closure."""

    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class LiveRecord:
    """A provider's current report."""

    version: int
    reported_at: datetime
    reported_by: str
    vacancies: dict[str, int] = field(default_factory=dict)
    slots: dict[str, tuple[Slot, ...]] = field(default_factory=dict)
    hours: dict[date, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()

    def closed_during(self, start: datetime, end: datetime) -> bool:
        """True when a closure overlaps ``[start, end]``."""
        return any(c.start < end and start < c.end for c in self.closures)

    def to_json(self) -> dict[str, Any]:
        """The API and storage form (without version and report time)."""
        return {
            "vacancies": dict(sorted(self.vacancies.items())),
            "slots": {p: [{"start": s.start.isoformat(), "end": s.end.isoformat(),
                           "places": s.places} for s in slots]
                      for p, slots in sorted(self.slots.items())},
            "hours": {d.isoformat(): [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
                                      for a, b in ivs]
                      for d, ivs in sorted(self.hours.items())},
            "closures": [{"start": c.start.isoformat(), "end": c.end.isoformat(),
                          "reason": c.reason} for c in self.closures],
        }


def _moment(value: Any, where: str, tz: tzinfo = SEOUL) -> datetime:
    """A report time; without an offset it is a wall-clock time in ``tz``, the registry's zone
    (reports stored before times were normalised on write all came from Korean registries)."""
    if not isinstance(value, str):
        raise RecordError(f"{where} must be an ISO 8601 date-time text", where)
    try:
        return parse_local_time(value, tz)
    except TimeOutOfRangeError:
        raise RecordError(f"{where} {value!r} is out of range: give a date-time from "
                          f"{EARLIEST_YEAR} on, at most a year or so ahead", where) from None
    except ValueError:
        raise RecordError(f"{where} {value!r} is not an ISO 8601 date-time", where) from None


def _places(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{where} must be a whole number of places, got {value!r}", where)
    if not 0 <= value <= MAX_PLACES:
        raise RecordError(f"{where} must be between 0 and {MAX_PLACES}, got {value}", where)
    return value


def _window(item: Any, where: str, tz: tzinfo = SEOUL,
            latest: datetime | None = None) -> tuple[datetime, datetime]:
    if not isinstance(item, dict):
        raise RecordError(f"{where} must be an object with start and end", where)
    start = _moment(item.get("start"), f"{where}.start", tz)
    end = _moment(item.get("end"), f"{where}.end", tz)
    if end <= start:
        raise RecordError(f"{where}.end must be after {where}.start", f"{where}.end")
    if latest is not None and start > latest:
        raise RecordError(f"{where}.start {item['start']!r} is too far ahead: a report covers at "
                          f"most until {latest.date().isoformat()}", f"{where}.start")
    # Stored with the offset, so no later reader has to guess the zone.
    item["start"], item["end"] = start.isoformat(), end.isoformat()
    return start, end


def parse_report(body: Any, tz: tzinfo = SEOUL, *, limits: ReportLimits = ReportLimits(),
                 now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """Check a PUT body; returns (the version it was based on, the normalised content).

    Raises :class:`RecordError` naming the field for anything out of shape or over a cap of
    ``limits``; the content holds only known fields (nothing a client adds is stored). Times
    lie in the years ``EARLIEST_YEAR`` on, and no slot, closure or changed date starts more
    than ``limits.horizon_days`` after ``now`` (default: the current time).

    Times without an offset (slots, closures) are wall-clock times in ``tz``, the registry's
    zone; the content carries them with their offset.
    """
    if not isinstance(body, dict):
        raise RecordError("the body must be a JSON object", "body")
    latest = (now or datetime.now(UTC)) + timedelta(days=limits.horizon_days)
    allowed = {"version", "vacancies", "slots", "hours", "closures"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RecordError(f"unknown field(s) {', '.join(unknown)}; allowed: "
                          f"{', '.join(sorted(allowed))}", unknown[0])
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise RecordError("version must be the whole number you last read (0 for a first "
                          "report)", "version")
    if version > MAX_VERSION:
        raise RecordError(f"version must be between 0 and {MAX_VERSION}: send the version "
                          "you last read", "version")
    vacancies = body.get("vacancies", {})
    if not isinstance(vacancies, dict):
        raise RecordError("vacancies must be an object of places per programme", "vacancies")
    for key, value in vacancies.items():
        if key not in VACANCY_KEYS:
            raise RecordError(f"unknown programme {key!r} in vacancies; allowed: "
                              f"{', '.join(VACANCY_KEYS)}", f"vacancies.{key}")
        _places(value, f"vacancies.{key}")
    slots = body.get("slots", {})
    if not isinstance(slots, dict):
        raise RecordError("slots must be an object: programme -> list of slots", "slots")
    total = sum(len(items) for items in slots.values() if isinstance(items, list))
    if total > limits.slots:
        raise RecordError(f"a report may hold at most {limits.slots} slots (all programmes "
                          f"together), got {total}", "slots")
    for programme, items in slots.items():
        if programme not in PROGRAMMES:
            raise RecordError(f"unknown programme {programme!r} in slots; allowed: "
                              f"{', '.join(PROGRAMMES)}", f"slots.{programme}")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise RecordError(f"slots.{programme} must be a list of at most {MAX_ITEMS}",
                              f"slots.{programme}")
        for i, item in enumerate(items):
            _window(item, f"slots.{programme}[{i}]", tz, latest)
            _only_keys(item, ("start", "end", "places"), f"slots.{programme}[{i}]")
            _places(item.get("places"), f"slots.{programme}[{i}].places")
    hours = body.get("hours", {})
    if not isinstance(hours, dict):
        raise RecordError("hours must be an object: date -> list of HH:MM-HH:MM", "hours")
    if len(hours) > limits.hours_dates:
        raise RecordError(f"hours may change at most {limits.hours_dates} dates, got "
                          f"{len(hours)}", "hours")
    for day, ivs in hours.items():
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise RecordError(f"hours key {day!r} is not a date (YYYY-MM-DD)", "hours") from None
        if when.year < EARLIEST_YEAR or when > latest.astimezone(tz).date():
            raise RecordError(f"hours key {day!r} is out of range: give a date from "
                              f"{EARLIEST_YEAR} until {latest.astimezone(tz).date().isoformat()}",
                              f"hours.{day}")
        if not isinstance(ivs, list):
            raise RecordError(f"hours.{day} must be a list ([] for closed)", f"hours.{day}")
        if len(ivs) > limits.intervals_per_date:
            raise RecordError(f"hours.{day} may hold at most {limits.intervals_per_date} "
                              f"intervals, got {len(ivs)}", f"hours.{day}")
        for iv in ivs:
            if isinstance(iv, str) and len(iv) > _INTERVAL_MAX_CHARS:
                raise RecordError(f"hours.{day}: an interval is HH:MM-HH:MM", f"hours.{day}")
            try:
                parse_interval(iv)
            except HoursFormatError as exc:
                raise RecordError(str(exc), f"hours.{day}") from None
    closures = body.get("closures", [])
    if not isinstance(closures, list) or len(closures) > limits.closures:
        raise RecordError(f"closures must be a list of at most {limits.closures}", "closures")
    for i, item in enumerate(closures):
        _window(item, f"closures[{i}]", tz, latest)
        _only_keys(item, ("start", "end", "reason"), f"closures[{i}]")
        if not isinstance(item.get("reason", ""), str):
            raise RecordError("a closure's reason must be text", f"closures[{i}].reason")
        _clean_text(item.get("reason", ""), f"closures[{i}].reason", limits.reason_chars)
    content = {"vacancies": vacancies, "slots": slots, "hours": hours, "closures": closures}
    return version, content


def from_storage(version: int, reported_at: datetime, reported_by: str,
                 data: str) -> LiveRecord:
    """Rebuild a record from its stored JSON."""
    doc = json.loads(data)
    if reported_at.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import UTC

        reported_at = reported_at.replace(tzinfo=UTC)
    return LiveRecord(
        version=version,
        reported_at=reported_at,
        reported_by=reported_by,
        vacancies={k: int(v) for k, v in doc.get("vacancies", {}).items()},
        slots={p: tuple(Slot(_moment(s["start"], "slot"), _moment(s["end"], "slot"),
                             int(s["places"])) for s in items)
               for p, items in doc.get("slots", {}).items()},
        hours={date.fromisoformat(d): tuple(sorted(parse_interval(iv) for iv in ivs))
               for d, ivs in doc.get("hours", {}).items()},
        closures=tuple(Closure(_moment(c["start"], "closure"), _moment(c["end"], "closure"),
                               c.get("reason", "")) for c in doc.get("closures", [])),
    )
