"""What a provider reports: places per programme (and per time slot for the emergency
programmes), changed hours for a date, and temporary closures. Parsing checks every field and
names what is wrong; nothing here touches the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.search.hours import HoursFormatError, parse_interval
from app.search.model import PROGRAMMES, REGULAR

SEOUL = ZoneInfo("Asia/Seoul")
VACANCY_KEYS = (REGULAR, *PROGRAMMES)
MAX_PLACES = 10_000
MAX_ITEMS = 200


class RecordError(ValueError):
    """A report that breaks the rules; ``field`` names the part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


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


def _moment(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise RecordError(f"{where} must be an ISO 8601 date-time text", where)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"{where} {value!r} is not an ISO 8601 date-time", where) from None
    return moment.replace(tzinfo=SEOUL) if moment.tzinfo is None else moment


def _places(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{where} must be a whole number of places, got {value!r}", where)
    if not 0 <= value <= MAX_PLACES:
        raise RecordError(f"{where} must be between 0 and {MAX_PLACES}, got {value}", where)
    return value


def _window(item: Any, where: str) -> tuple[datetime, datetime]:
    if not isinstance(item, dict):
        raise RecordError(f"{where} must be an object with start and end", where)
    start = _moment(item.get("start"), f"{where}.start")
    end = _moment(item.get("end"), f"{where}.end")
    if end <= start:
        raise RecordError(f"{where}.end must be after {where}.start", f"{where}.end")
    return start, end


def parse_report(body: Any) -> tuple[int, dict[str, Any]]:
    """Check a PUT body; returns (the version it was based on, the normalised content)."""
    if not isinstance(body, dict):
        raise RecordError("the body must be a JSON object", "body")
    allowed = {"version", "vacancies", "slots", "hours", "closures"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RecordError(f"unknown field(s) {', '.join(unknown)}; allowed: "
                          f"{', '.join(sorted(allowed))}", unknown[0])
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise RecordError("version must be the whole number you last read (0 for a first "
                          "report)", "version")
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
    for programme, items in slots.items():
        if programme not in PROGRAMMES:
            raise RecordError(f"unknown programme {programme!r} in slots; allowed: "
                              f"{', '.join(PROGRAMMES)}", f"slots.{programme}")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise RecordError(f"slots.{programme} must be a list of at most {MAX_ITEMS}",
                              f"slots.{programme}")
        for i, item in enumerate(items):
            _window(item, f"slots.{programme}[{i}]")
            _places(item.get("places"), f"slots.{programme}[{i}].places")
    hours = body.get("hours", {})
    if not isinstance(hours, dict) or len(hours) > MAX_ITEMS:
        raise RecordError("hours must be an object: date -> list of HH:MM-HH:MM", "hours")
    for day, ivs in hours.items():
        try:
            date.fromisoformat(day)
        except ValueError:
            raise RecordError(f"hours key {day!r} is not a date (YYYY-MM-DD)", "hours") from None
        if not isinstance(ivs, list):
            raise RecordError(f"hours.{day} must be a list ([] for closed)", f"hours.{day}")
        for iv in ivs:
            try:
                parse_interval(iv)
            except HoursFormatError as exc:
                raise RecordError(str(exc), f"hours.{day}") from None
    closures = body.get("closures", [])
    if not isinstance(closures, list) or len(closures) > MAX_ITEMS:
        raise RecordError(f"closures must be a list of at most {MAX_ITEMS}", "closures")
    for i, item in enumerate(closures):
        _window(item, f"closures[{i}]")
        if not isinstance(item.get("reason", ""), str):
            raise RecordError("a closure's reason must be text", f"closures[{i}].reason")
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
