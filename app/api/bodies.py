"""JSON request bodies of the care API: one object, bounded in size and depth, with only the
fields an operation names; each field read with a message naming it and what is allowed."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from flask import current_app, request

from app.search.locale import parse_local_time

from . import jsonsafe
from .params import InvalidParameter

MAX_BODY_BYTES = 16_384  # a child, a booking or an action is a few hundred bytes


class FieldOutOfBounds(InvalidParameter):
    """A field outside its bounds; ``extra`` carries them (``max_chars``, or ``minimum`` and
    ``maximum``) so a page can say what is allowed in its own language."""

    def __init__(self, message: str, field: str, reason: str, bounds: dict[str, int]) -> None:
        super().__init__(message, field, reason)
        self.extra = bounds


def json_object(allowed: frozenset[str], required: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The request's JSON object. Raises :class:`InvalidParameter` (400) for another
    Content-Type, a body over :data:`MAX_BODY_BYTES`, invalid or too deeply nested JSON, a
    value that is not an object, a field not in ``allowed`` or a missing ``required`` one. An
    empty body is ``{}`` (an action without a reason)."""
    raw = request.stream.read(MAX_BODY_BYTES + 1) if (request.content_length or 0) <= MAX_BODY_BYTES else None
    if raw is None or len(raw) > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body may be at most {MAX_BODY_BYTES} bytes", "body", "too_large")
    if not raw.strip():
        body: Any = {}
    else:
        if request.mimetype != "application/json":
            raise InvalidParameter(f"Content-Type must be application/json, got {request.mimetype or 'none'!r}",
                                   "Content-Type", "not_json")
        try:
            body = jsonsafe.loads(raw, int(current_app.config["JSON_MAX_DEPTH"]))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, TooDeep
            raise InvalidParameter(f"the body is not valid JSON: {exc}", "body", "not_json") from None
    if not isinstance(body, dict):
        raise InvalidParameter("the body must be a JSON object", "body", "not_json")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidParameter(f"unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}", unknown[0],
                               "unknown_field")
    missing = sorted(required - set(body))
    if missing:
        raise InvalidParameter(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required",
                               missing[0], "missing")
    return body


def text(body: dict[str, Any], name: str, *, max_chars: int = 200, required: bool = True) -> str | None:
    """A text field (stripped); None when absent or null and not ``required``."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameter(f"{name} is required", name, "missing")
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be text", name, "not_text")
    value = value.strip()
    if required and not value:
        raise InvalidParameter(f"{name} must not be empty", name, "empty")
    if len(value) > max_chars:
        raise FieldOutOfBounds(f"{name} is {len(value)} characters; at most {max_chars}", name, "too_long",
                               {"max_chars": max_chars})
    return value


def moment(body: dict[str, Any], name: str, tz: tzinfo) -> datetime:
    """An ISO 8601 date-time field; without an offset it is a wall-clock time in ``tz`` (the
    registry's zone)."""
    value = text(body, name, max_chars=40)
    assert value is not None
    try:
        return parse_local_time(value, tz)
    except ValueError:
        raise InvalidParameter(f"{name} {value!r} is not a date-time such as 2026-12-01T19:00 or "
                               "2026-12-01T19:00+09:00", name, "not_a_datetime") from None


def whole_number(body: dict[str, Any], name: str, minimum: int, maximum: int, *, required: bool = True) -> int | None:
    """A whole-number field in ``minimum..maximum``."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameter(f"{name} is required", name, "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise FieldOutOfBounds(f"{name} must be a whole number from {minimum} to {maximum}", name, "out_of_range",
                               {"minimum": minimum, "maximum": maximum})
    return value


def point(body: dict[str, Any], name: str) -> tuple[float, float] | None:
    """An optional ``{"lat": …, "lon": …}`` field (WGS84 degrees) as (lon, lat)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"lat", "lon"} or not all(
            isinstance(value[k], int | float) and not isinstance(value[k], bool) for k in ("lat", "lon")):
        raise InvalidParameter(f'{name} must be {{"lat": <degrees>, "lon": <degrees>}}', name, "not_a_point")
    lat, lon = float(value["lat"]), float(value["lon"])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidParameter(f"{name} must have lat in -90..90 and lon in -180..180", name, "not_a_point")
    return lon, lat
