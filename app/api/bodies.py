"""JSON request bodies of the care API: one object, bounded in size and depth, with only the
fields an operation names; each field read with a message naming it and what is allowed."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from flask import current_app, request

from app.care.windows import next_on_step
from app.errors import clip
from app.search.locale import LATEST_YEAR, TimeOutOfRangeError, parse_local_time

from . import jsonsafe
from .params import InvalidParameter

MAX_BODY_BYTES = 16_384  # a child, a booking or an action is a few hundred bytes


class FieldOutOfBounds(InvalidParameter):
    """A field outside its bounds; ``extra`` carries them (``max_chars``, or ``minimum`` and
    ``maximum``) so a page can say what is allowed in its own language."""

    def __init__(self, message: str, field: str, reason: str, bounds: dict[str, int | str]) -> None:
        super().__init__(message, field, reason)
        self.extra = bounds


class MissingField(InvalidParameter):
    """A required field not sent (reason ``missing``); when its values are a closed set the
    message lists them and ``extra`` carries them as ``allowed``."""

    reason = "missing"  # always (read by the refusal-reason check in tests/pages)

    def __init__(self, name: str, allowed: Sequence[str] | None = None) -> None:
        listed = f": one of {', '.join(allowed)}" if allowed else ""
        super().__init__(f"{name} is required{listed}", name, "missing")
        if allowed:
            self.extra = {"allowed": list(allowed)}


class UnknownValue(InvalidParameter):
    """A field of a closed set (``choices``) given another value (reason ``unknown_value``): the
    message names the field and its values, ``extra`` carries them as ``allowed``. Said before
    any field that depends on it is asked for (a care request's ``place`` before its ``point``:
    tester pass 28 got "point is required" for ``"place": "moon"``)."""

    reason = "unknown_value"  # always (read by the refusal-reason check in tests/pages)

    def __init__(self, name: str, sent: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{name} must be one of {', '.join(allowed)}, not {clip(sent)}", name, "unknown_value")
        self.extra = {"allowed": list(allowed)}


JSON_KINDS = {list: "a list", str: "a string", bool: "true or false", int: "a number", float: "a number"}
"""What a JSON value other than an object is called in a refusal (a client sees JSON's words,
not Python's ``str``: tester pass 28)."""
NOT_AN_OBJECT = "the body must be a JSON object (Content-Type: application/json)"
"""The start of every refusal of a body that is not one JSON object: said before any field is
asked for, so a form-encoded or ``null`` body is never answered "… is required"."""
CONTROL_CATEGORIES = frozenset({"Cc", "Cf"})
"""Unicode categories a date-time may never hold (NUL, newline, zero-width and direction marks)."""


def json_object(allowed: frozenset[str], required: frozenset[str] = frozenset(),
                allow_empty: bool | None = None,
                choices: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The request's JSON object. Raises :class:`InvalidParameter` (400) for a body over
    :data:`MAX_BODY_BYTES`; field ``body`` (reason ``not_json``, message starting
    :data:`NOT_AN_OBJECT`) for a body sent as another Content-Type (a form), invalid or too
    deeply nested JSON, or a value that is not an object (``null``, a list); then a field not
    in ``allowed`` or a missing ``required`` one. An empty body is ``{}`` (an action without a
    reason) when ``allow_empty`` (default: when nothing is ``required``); else it too is not an
    object. A field of ``choices`` (its closed set of values) sent with another value is an
    :class:`UnknownValue` naming them, before any missing field; a missing one is a
    :class:`MissingField` listing them."""
    raw = request.stream.read(MAX_BODY_BYTES + 1) if (request.content_length or 0) <= MAX_BODY_BYTES else None
    if raw is None or len(raw) > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body may be at most {MAX_BODY_BYTES} bytes", "body", "too_large")
    if request.mimetype != "application/json" and (raw.strip() or (request.content_length or 0) > 0):
        # a form's body was read (and emptied) by the form parser already: its length still shows
        raise InvalidParameter(f"{NOT_AN_OBJECT}; it was sent as {request.mimetype or 'no Content-Type'}", "body",
                               "not_json")
    if not raw.strip():
        if not (allow_empty if allow_empty is not None else not required):
            raise InvalidParameter(f"{NOT_AN_OBJECT}; the body was empty", "body", "not_json")
        body: Any = {}
    else:
        try:
            body = jsonsafe.loads(raw, int(current_app.config["JSON_MAX_DEPTH"]))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, TooDeep
            raise InvalidParameter(f"{NOT_AN_OBJECT}; it is not valid JSON: {exc}", "body", "not_json") from None
    if not isinstance(body, dict):
        kind = "null" if body is None else JSON_KINDS.get(type(body), "a value")
        raise InvalidParameter(f"{NOT_AN_OBJECT}, not {kind}", "body", "not_json")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidParameter(f"unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}", unknown[0],
                               "unknown_field")
    for name, values in sorted((choices or {}).items()):  # a value outside a closed set before what depends on it
        sent = body.get(name)
        if isinstance(sent, str) and sent.strip() and values and sent.strip() not in values:
            raise UnknownValue(name, sent, values)
    missing = sorted(required - set(body))
    if missing and (choices or {}).get(missing[0]):
        raise MissingField(missing[0], (choices or {})[missing[0]])
    if missing:
        raise InvalidParameter(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required",
                               missing[0], "missing")
    return body


def text(body: dict[str, Any], name: str, *, max_chars: int = 200, required: bool = True,
         choices: Sequence[str] | None = None) -> str | None:
    """A text field (stripped); None when absent or null and not ``required`` (else a
    :class:`MissingField`, listing ``choices`` when the values are a closed set); a NUL
    anywhere in it is refused (reason ``control_character``)."""
    value = body.get(name)
    if value is None:
        if required:
            raise MissingField(name, choices)
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be text", name, "not_text")
    if "\x00" in value:  # never stored (PostgreSQL's text cannot hold it) nor silently cut
        raise InvalidParameter(f"{name} holds a NUL character (U+0000)", name, "control_character")
    value = value.strip()
    if required and not value:
        raise InvalidParameter(f"{name} must not be empty", name, "empty")
    if len(value) > max_chars:
        raise FieldOutOfBounds(f"{name} is {len(value)} characters; at most {max_chars}", name, "too_long",
                               {"max_chars": max_chars})
    return value


def moment(body: dict[str, Any], name: str, tz: tzinfo) -> datetime:
    """An ISO 8601 date-time field; without an offset it is a wall-clock time in ``tz`` (the
    registry's zone). Refused (400 naming ``name``): a control character anywhere in it (a
    trailing NUL or newline is not ignored; reason ``control_character``), text that is not a
    date-time (``not_a_datetime``), and a date-time outside the years the service takes
    (:data:`~app.search.locale.EARLIEST_YEAR` to ``LATEST_YEAR``; ``time_out_of_range`` with
    ``earliest`` and ``latest``: a care window lies from now into the coming months)."""
    raw = body.get(name)
    if isinstance(raw, str):
        bad = next((ch for ch in raw if unicodedata.category(ch) in CONTROL_CATEGORIES), None)
        if bad is not None:
            raise InvalidParameter(f"{name} holds a control character (U+{ord(bad):04X}): give only a date-time "
                                   "such as 2026-12-01T19:00", name, "control_character")
    value = text(body, name, max_chars=40)
    assert value is not None
    try:
        return parse_local_time(value, tz)
    except TimeOutOfRangeError:
        now = next_on_step(datetime.now(tz), tz)  # the next start on the step, itself accepted
        raise FieldOutOfBounds(f"{name} {clip(value)} is out of range: a care window lies from now "
                               f"({now:%Y-%m-%dT%H:%M}) into the coming months, and never past "
                               f"{LATEST_YEAR}-12-31", name, "time_out_of_range",
                               {"earliest": now.isoformat(), "latest": f"{LATEST_YEAR}-12-31"}) from None
    except ValueError:
        raise InvalidParameter(f"{name} {clip(value)} is not a date-time such as 2026-12-01T19:00 or "
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
