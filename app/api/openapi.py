"""The OpenAPI 3 document, generated from the routes themselves.

Each API view declares its parameters and response with :func:`documented`; the generator walks
the app's URL map, so a route without a declaration, or a declaration without a route, cannot
drift apart silently (``tests/test_openapi.py`` checks both). Allowed values come from the same
constants and settings the parameter checks use.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from flask import Flask, current_app, request
from werkzeug.datastructures import MultiDict

from app import config
from app.api.params import Args, reject_repeated_or_empty, reject_unknown
from app.live.record import MAX_ITEMS, MAX_PLACES, VACANCY_KEYS
from app.search.index import MODES
from app.search.locale import EARLIEST_YEAR
from app.search.model import ESTABLISHMENT_TYPES, KINDS, PROGRAMMES, REGULAR, SERVICES, STATUSES

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Param:
    """One query (or path) parameter of an API operation."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    where: str = "query"
    explode: bool | None = None
    media: str | None = None  # a value in this media type (JSON text), described by schema


@dataclass
class Doc:
    """What :func:`documented` attaches to a view."""

    summary: str
    params: Callable[[Flask], list[Param]]
    response: str  # name of a component schema
    geojson: bool = False
    errors: tuple[int, ...] = (400,)
    method: str = "get"
    body: str | None = None  # component schema of a JSON request body
    secured: bool = False
    media: dict[str, Any] | None = None  # more media types of the 200 answer (CSV, files)
    accepted: str | None = None  # component schema of a 202 answer (a background job)
    created: bool = False  # the answer is 201 Created with a Location (a new resource), not 200


class DocumentedView(Protocol):
    """A view function that :func:`documented` described (its ``openapi``)."""

    openapi: Doc
    __name__: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def documented(summary: str, params: Callable[[Flask], list[Param]], response: str, *,
               geojson: bool = False, errors: tuple[int, ...] = (400,), method: str = "get",
               body: str | None = None, secured: bool = False,
               media: dict[str, Any] | None = None, accepted: str | None = None,
               created: bool = False) -> Callable[[Callable[..., Any]], DocumentedView]:
    """Attach an OpenAPI description to a view function, and hold the view to it: a query
    parameter the description does not list is a 400 naming it (a misspelt filter must not
    pass for no filter), before the view runs."""

    def wrap(view: Callable[..., Any]) -> DocumentedView:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            check_query(request.args, current_app, described)
            return view(*args, **kwargs)

        described = cast(DocumentedView, checked)
        described.openapi = Doc(summary=summary, params=params, response=response,
                                geojson=geojson, errors=errors, method=method, body=body,
                                secured=secured, media=media, accepted=accepted, created=created)
        return described

    return wrap


@dataclass(frozen=True)
class QuerySpec:
    """What a :func:`documented` view's query may hold: the names, those that take several
    values (array schemas), and what each may be (for messages)."""

    names: frozenset[str]
    lists: frozenset[str]
    allowed: dict[str, str]


def query_spec(app: Flask, view: DocumentedView) -> QuerySpec:
    """The query parameters a :func:`documented` view declares: the same list the OpenAPI
    document is made from (computed once per app and view)."""
    cache = app.extensions.setdefault("openapi_query_spec", {})
    spec = cache.get(view)
    if spec is None:
        params = [p for p in view.openapi.params(app) if p.where == "query"]
        spec = cache[view] = QuerySpec(
            frozenset(p.name for p in params),
            frozenset(p.name for p in params if p.schema.get("type") == "array"),
            {p.name: allowed_text(p.schema) for p in params})
    return spec


def query_param_names(app: Flask, view: DocumentedView) -> frozenset[str]:
    """The names of the query parameters a :func:`documented` view declares."""
    return query_spec(app, view).names


def check_query(args: Args | MultiDict[str, str], app: Flask, view: DocumentedView) -> None:
    """A 400 for a query parameter ``view`` does not declare, or one that takes a single value
    given more than once or empty (OpenAPI's default: not repeatable, ``allowEmptyValue``
    false)."""
    spec = query_spec(app, view)
    reject_unknown(args, spec.names)
    reject_repeated_or_empty(args, spec.lists, spec.allowed)


_FORMATS = {"date": "a date such as 2022-05-14",
            "date-time": "an ISO 8601 date-time such as 2026-11-23T19:00"}


def allowed_text(schema: dict[str, Any]) -> str:
    """What a value of ``schema`` may be, in words, for error messages."""
    kind = schema.get("type")
    if kind == "array":
        return "one or more of " + allowed_text(schema.get("items", {})).removeprefix("one of ") \
            + " (comma-separated)"
    if "enum" in schema:
        values = [str(v) for v in schema["enum"]]
        if len(values) > 12:
            return (f"one of {len(values)} values such as {', '.join(values[:3])} "
                    "(listed in /api/v1/openapi.json)")
        return "one of " + ", ".join(values)
    if kind == "boolean":
        return "true or false"
    if kind in ("number", "integer"):
        what = "a number" if kind == "number" else "a whole number"
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{what} from {low:g} to {high:g}"
        return what + (f" of at least {low:g}" if low is not None else "") + \
            (f" of at most {high:g}" if high is not None else "")
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return f"text matching {schema['pattern']}"
    return "a value"


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _hours_schema() -> dict[str, Any]:
    interval = {"type": "string", "pattern": r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                "description": "HH:MM-HH:MM; an end past 24:00 runs into the next day"}
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
    return {"type": "object", "properties": {d: {"type": "array", "items": interval}
                                             for d in days}}


def component_schemas() -> dict[str, Any]:
    """Schemas of the API's response bodies."""
    text = {"type": "string"}
    facility = {
        "type": "object",
        "required": ["id", "name", "kind", "lon", "lat", "status", "hours"],
        "properties": {
            "id": text, "name": text,
            "kind": {"type": "string", "enum": list(KINDS)},
            "status": {"type": "string", "enum": list(STATUSES)},
            "establishment_type": nullable({"type": "string",
                                            "enum": list(ESTABLISHMENT_TYPES)}),
            "services": {"type": "array", "items": {"type": "string", "enum": list(SERVICES)}},
            "programmes": {"type": "array",
                           "items": {"type": "string", "enum": list(PROGRAMMES)}},
            # null: unknown (the registry does not say); never matches an age or time filter
            "age_min_months": nullable({"type": "integer", "minimum": 0}),
            "age_max_months": nullable({"type": "integer", "minimum": 0}),
            "hours": nullable(_hours_schema()),
            "capacity": nullable({"type": "integer", "minimum": 0}),
            "enrolment": nullable({"type": "integer", "minimum": 0}),
            "vacancies": {"type": "object",
                          "additionalProperties": {"type": "integer", "minimum": 0}},
            "availability_reported_at": nullable({"type": "string", "format": "date-time"}),
            "address": nullable(text), "phone": nullable(text),
            "sido": nullable(text), "sido_code": nullable(text),
            "sigungu": nullable(text), "sigungu_code": nullable(text),
            "emd": nullable(text), "emd_code": nullable(text),
            "service_area_sigungu_codes": {"type": "array", "items": text},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
        },
    }
    hit = {
        "type": "object",
        "required": ["facility", "distance_m", "walking_minutes", "comes_to_you", "near",
                     "availability"],
        "properties": {
            "facility": {"$ref": "#/components/schemas/Facility"},
            "distance_m": nullable({"type": "number", "minimum": 0,
                                    "description": "straight-line metres; null when the "
                                                   "provider comes to the family"}),
            "walking_minutes": nullable({"type": "integer", "minimum": 0}),
            "comes_to_you": {"type": "boolean"},
            "near": {"type": "string", "enum": ["home", "work", "route", "home_visit"]},
            "detour_m": nullable({"type": "number", "minimum": 0}),
            "books_online": nullable({
                "type": "array", "items": {"type": "string"},
                "description": "the programmes booked online (booking_rules.json) the provider takes "
                               "bookings for. With a window (start and end, or open_now): it publishes "
                               "places for them over the whole window (slots covering it without a gap, "
                               "each opening a place; whether those places are all held is not read: a "
                               "full slot is the booking's own refusal, no_places). Without a window: it "
                               "publishes places for them in a slot still to come. Empty: none (offer an "
                               "emergency request or its phone instead); null when not known (the "
                               "database out of reach)"}),
            "availability": {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": {"type": "string", "enum": ["available", "full", "closed", "unknown"]},
                    "places": nullable({"type": "integer", "minimum": 0}),
                    "reported_at": nullable({"type": "string", "format": "date-time"}),
                    "age_minutes": nullable({"type": "integer", "minimum": 0}),
                },
            },
        },
    }
    synthetic = {"type": "boolean", "description": "true for the synthetic demo registry"}
    return {
        "Facility": facility,
        "Hit": hit,
        "HitList": {"type": "object", "required": ["results", "count", "synthetic"],
                    "properties": {"results": {"type": "array",
                                               "items": {"$ref": "#/components/schemas/Hit"}},
                                   "count": {"type": "integer"}, "synthetic": synthetic,
                                   "mode": {"type": "string", "enum": list(MODES)},
                                   "radius_m": {"type": "number"},
                                   "day_type": {"type": "string",
                                                "description": "which hours apply that day: "
                                                               "mon … sun or holiday"},
                                   "outside_coverage": {
                                       "type": "boolean",
                                       "description": "nearest only: the home lies farther than "
                                                      "SEARCH_COVERAGE_MARGIN_M from every "
                                                      "provider's box: outside the area the "
                                                      "registry covers"},
                                   "coverage_name": {"type": "string",
                                                     "description": "nearest only: the area the "
                                                                    "registry covers"},
                                   "coverage_name_en": {"type": "string",
                                                        "description": "nearest only: the same "
                                                                       "in English ('Gyeonggi-do')"},
                                   "empty": {
                                       "type": "object",
                                       "description": "nearest only, when nothing matched: why "
                                                      "(programme rules the family does not meet: "
                                                      "programme_age, programme_not_in_sigun, "
                                                      "programme_residence), the first condition "
                                                      "(available, window, services, programme, "
                                                      "kind, region, radius) whose removal finds a "
                                                      "provider, that nearest provider, and the "
                                                      "언제나돌봄 hotline",
                                       "required": ["reasons", "without", "nearest", "hotline"],
                                       "properties": {
                                           "reasons": {"type": "array", "items": {"type": "object"}},
                                           "without": nullable({"type": "string"}),
                                           "nearest": {"allOf": [{"$ref": "#/components/schemas/Hit"}],
                                                       "nullable": True},
                                           "hotline": nullable({"type": "string"})}}}},
        "FacilityPage": {
            "type": "object", "required": ["results", "count", "total", "next", "synthetic"],
            "properties": {"results": {"type": "array", "items": {"oneOf": [
                               {"$ref": "#/components/schemas/Facility"},
                               {"$ref": "#/components/schemas/CompactFacility"}]}},
                           "count": {"type": "integer"}, "total": {"type": "integer"},
                           "limit": {"type": "integer", "minimum": 1,
                                     "description": "the page size used (fields=full pages "
                                                    "hold at most the search limit)"},
                           "next": nullable({"type": "string",
                                             "description": "the next page as a relative URL "
                                                            "(path and query); null on the last"}),
                           "synthetic": synthetic}},
        "CompactFacility": {
            "type": "object", "required": ["id", "name", "kind", "lon", "lat"],
            "additionalProperties": False,
            "properties": {"id": text, "name": text, "kind": {"type": "string",
                                                              "enum": list(KINDS)},
                           "lon": {"type": "number"}, "lat": {"type": "number"}}},
        "FacilityResult": {"type": "object", "required": ["result", "synthetic"],
                           "properties": {"result": {"$ref": "#/components/schemas/Facility"},
                                          "synthetic": synthetic}},
        "Meta": {"type": "object", "required": ["synthetic", "counts_by_kind", "total"],
                 "properties": {"name": nullable(text), "synthetic": synthetic,
                                "notice": nullable(text), "registry_date": nullable(text),
                                "counts_by_kind": {"type": "object",
                                                   "additionalProperties": {"type": "integer"}},
                                "total": {"type": "integer"},
                                "availability_max_age_hours": {"type": "number"},
                                "limits": {"type": "object"},
                                "timezone": {"type": "string", "description":
                                             "IANA zone of the registry: times without an "
                                             "offset are read in it"},
                                "holidays": {"type": "string", "description":
                                             "public-holiday calendar (holidays package code "
                                             "such as KR or CA-ON, or none)"},
                                "area": {"type": "array", "items": {"type": "number"},
                                         "minItems": 4, "maxItems": 4, "description":
                                         "min_lon, min_lat, max_lon, max_lat: points searched"},
                                "area_name": text}},
        "FeatureCollection": {"type": "object", "required": ["type", "features"],
                              "properties": {"type": {"type": "string",
                                                      "enum": ["FeatureCollection"]},
                                             "features": {"type": "array",
                                                          "items": {"type": "object"}}}},
        "Places": {"type": "object", "required": ["results", "suggestions"],
                   "properties": {
                       "results": {"type": "array", "items": {
                           "type": "object",
                           "required": ["name", "type", "lon", "lat", "precision", "approximate"],
                           "properties": {
                               "name": text,
                               "type": {"type": "string", "enum": ["area", "address", "facility"],
                                        "description": "address: a road-name (도로명) or lot-number "
                                                       "(지번) address"},
                               "level": nullable(text), "code": nullable(text),
                               "lon": {"type": "number"}, "lat": {"type": "number"},
                               "detail": {**nullable(text),
                                          "description": "a station's lines, a school's address, a "
                                                         "facility's 시군구"},
                               "name_en": {**nullable(text),
                                           "description": "the place's name in English (romanised, "
                                                          "or as the station data writes it)"},
                               "detail_en": {**nullable(text),
                                             "description": "a station's lines in English "
                                                            "('Gyeonggang Line, Shinbundang Line'), "
                                                            "a school's address romanised ('91 "
                                                            "Daehak-ro, Yeongtong-gu, Suwon-si, "
                                                            "Gyeonggi-do'); null for other places"},
                               "precision": {
                                   "type": "string", "enum": ["exact", "area"],
                                   "description": "what lon/lat stand for: 'exact' the address, "
                                                  "station, school or facility itself; 'area' a "
                                                  "representative point of an area (level, code)"},
                               "approximate": {
                                   "type": "boolean",
                                   "description": "true when an address is placed at the area it "
                                                  "names (its 읍면동 or 리; for a road name its "
                                                  "시군구), not at the address: no geocoding service "
                                                  "is configured, or it failed or knew no such "
                                                  "address. Say so to the user."},
                               "matched": {
                                   **nullable(text),
                                   "description": "for an address: the area it was placed at when "
                                                  "approximate (e.g. '경기도 수원시 영통구'), else "
                                                  "the address the geocoding service matched"}}}},
                       "suggestions": {"type": "array", "items": text},
                       "abolished": {
                           "type": "array", "description":
                           "only when nothing matches and the query names a 법정동 the "
                           "법정동코드 list marks abolished (폐지), such as 화성시 동탄구 "
                           "오산동: say that it no longer exists",
                           "items": {
                               "type": "object",
                               "required": ["name", "name_en", "code", "label", "label_en",
                                            "listed"],
                               "properties": {
                                   "name": text, "name_en": text,
                                   "code": {"type": "string",
                                            "description": "its last 법정동코드"},
                                   "label": {"type": "string",
                                             "description": "'오산동 (화성시 동탄구)'"},
                                   "label_en": {"type": "string", "description":
                                                "'Osan-dong (Dongtan-gu, Hwaseong-si)'"},
                                   "listed": {**nullable(text), "description":
                                              "the date of the 법정동코드 list that marks it "
                                              "abolished (YYYY-MM-DD); the list does not say "
                                              "when it was abolished nor what it became"}}}},
                       "hint": {
                           "type": "string", "enum": ["road_address_needs_area"],
                           "description": "only when nothing matches: 'road_address_needs_area' "
                                          "when the query is a road-name address without its "
                                          "area ('판교역로 235'): ask for the 시군구 or 동 "
                                          "('분당구 판교역로 235')"}}},
        "PlaceAt": {
            "type": "object",
            "required": ["name", "name_en", "emd", "emd_en", "emd_code", "sigungu", "sigungu_en",
                         "sigungu_code", "sido", "sido_en", "sido_code"],
            "properties": {
                "name": {"type": "string", "description": "'<시군구> <읍면동>', in Korean order (e.g. '수원시 "
                                                          "영통구 매탄동'); the 시군구 alone when no 읍면동"},
                "name_en": {"type": "string", "description": "the same in English ('Maetan-dong, "
                                                             "Yeongtong-gu, Suwon-si')"},
                "emd": {**nullable(text), "description": "the 읍면동; null in a gap between them"},
                "emd_en": nullable(text), "emd_code": nullable(text),
                "sigungu": text, "sigungu_en": text, "sigungu_code": nullable(text),
                "sido": nullable(text), "sido_en": nullable(text), "sido_code": nullable(text)}},
        **_provider_schemas(),
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {
                "type": "object", "required": ["code", "message", "field"],
                "properties": {"code": text, "message": text, "field": nullable(text),
                               "reason": {**nullable(text), "description": (
                                   "optional: why, for machines (an origin: empty, too_long, "
                                   "not_an_origin, scheme, userinfo, port, host, path, "
                                   "http_not_loopback, note), so a page can say it in its "
                                   "language")},
                               "errors": {"type": "array", "description": (
                                   "optional: every problem of the input found at once (a child's "
                                   "missing fields, wrong values and consents), in the form's "
                                   "order, each with its field, reason, message and figures; "
                                   "code, field, reason and message above lead with the first"),
                                   "items": {"type": "object", "required": ["field", "message"],
                                             "properties": {"code": text, "field": nullable(text),
                                                            "reason": nullable(text),
                                                            "message": text}}}}}},
        },
    }


#: An opening interval as the report checks it: a start from 00:00 to 23:59, an end at most
#: 48:00 (that the end is after the start is the one rule a pattern does not say).
INTERVAL_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([0-3][0-9]|4[0-7]):[0-5][0-9]|48:00)$"


@functools.lru_cache(maxsize=1)
def plain_text_pattern() -> str:
    """A pattern for text with no control, format (bidi, zero-width) or private-use character
    of the BMP: the Unicode categories Cc, Cf and Co that ``app.live.record`` refuses, from
    :mod:`unicodedata`. Those beyond the BMP (tags, planes 15-16) and lone surrogates (Cs) are
    refused too, but a pattern cannot name them portably (ECMA 262 without the u flag, and
    the generators that read it, see UTF-16 units)."""
    runs: list[list[int]] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF or unicodedata.category(chr(cp)) not in ("Cc", "Cf", "Co"):
            continue
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    chars = (f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in runs)
    return "^[^" + "".join(chars) + "]*$"


def _provider_schemas() -> dict[str, Any]:
    text = {"type": "string"}
    places = {"type": "integer", "minimum": 0, "maximum": MAX_PLACES}
    when = {"type": "string", "format": "date-time",
            "description": "ISO 8601; without an offset, in the registry's zone; from "
                           f"{EARLIEST_YEAR} on, starting at most {config.REPORT_HORIZON_DAYS} "
                           "days ahead of now"}
    window: dict[str, Any] = {"type": "object", "required": ["start", "end"],
                              "properties": {"start": when, "end": when}}
    slots = {"type": "array", "maxItems": min(MAX_ITEMS, config.REPORT_MAX_SLOTS), "items": {
        **window, "required": ["start", "end", "places"], "additionalProperties": False,
        "properties": {**window["properties"], "places": places}}}
    content = {
        "vacancies": {"type": "object", "additionalProperties": False,
                      "properties": {key: places for key in VACANCY_KEYS},
                      "description": f"places per programme ('{REGULAR}' for ordinary places; "
                                     "only the programmes the provider runs)"},
        "slots": {"type": "object", "additionalProperties": False,
                  "properties": {key: slots for key in PROGRAMMES},
                  "description": f"at most {config.REPORT_MAX_SLOTS} slots in all, of the "
                                 "programmes the provider runs"},
        "hours": {"type": "object", "maxProperties": config.REPORT_MAX_HOURS_DATES,
                  "additionalProperties": {"type": "array", "items": {
                      "type": "string", "pattern": INTERVAL_PATTERN,
                      "description": "HH:MM-HH:MM, the end after the start"},
                      "maxItems": config.REPORT_MAX_INTERVALS_PER_DATE},
                  "description": "changed hours for a date (YYYY-MM-DD, from "
                                 f"{EARLIEST_YEAR} until {config.REPORT_HORIZON_DAYS} days "
                                 "ahead): [] for closed"},
        "closures": {"type": "array", "maxItems": config.REPORT_MAX_CLOSURES, "items": {
            **window, "additionalProperties": False,
            "properties": {**window["properties"],
                           "reason": {"type": "string",
                                      "maxLength": config.REPORT_MAX_REASON_CHARS,
                                      "pattern": plain_text_pattern(),
                                      "description": "plain text, no control characters"}}}},
    }
    return {
        "ProviderReportInput": {"type": "object", "required": ["version"],
                                "additionalProperties": False,
                                "properties": {"version": {"type": "integer", "minimum": 0,
                                                           "maximum": 2**31 - 2},
                                               **content}},
        "ProviderReport": {"type": "object", "required": ["facility_id", "version"],
                           "properties": {"facility_id": text,
                                          "version": {"type": "integer", "minimum": 0},
                                          "reported_at": nullable({"type": "string"}),
                                          "reported_by": {**nullable(text), "description":
                                                          "the writing token's id; only in "
                                                          "answers to admin tokens"},
                                          **content}},
        "History": {"type": "object", "required": ["facility_id", "changes", "next"],
                    "properties": {"facility_id": text,
                                   "changes": {"type": "array", "items": {"type": "object"}},
                                   "next": {**nullable(text),
                                            "description": "the next page (relative URL)"}}},
        "WhoAmI": {"type": "object", "required": ["role"],
                   "properties": {"role": {"type": "string", "enum": ["provider", "admin"]},
                                  "facility_id": nullable(text),
                                  "facility_name": nullable(text),
                                  "programmes": {"type": "array", "items": {
                                      "type": "string", "enum": list(PROGRAMMES)},
                                      "description": "the programmes the facility runs, "
                                                     "whose places it reports (empty for admin)"}}},
        **_coverage_schemas(),
        **_embed_origin_schemas(),
        **_care_schemas(),
        "Report": {"type": "object", "required": ["not_reported_by_sigungu", "over_capacity"],
                   "properties": {"not_reported_by_sigungu": {"type": "object"},
                                  "over_capacity": {"type": "array"}}},
    }


def _coverage_schemas() -> dict[str, Any]:
    from app.api.coverage import openapi_schemas  # the planners' API keeps its own (and checks
    return openapi_schemas()                      # request bodies against the same)


def _care_schemas() -> dict[str, Any]:
    from app.api.care_schemas import openapi_schemas
    return openapi_schemas()


def _embed_origin_schemas() -> dict[str, Any]:
    from app.api.embed_origins import openapi_schemas
    return openapi_schemas()


_ERROR_TEXT = {400: "A parameter is missing, malformed or out of range",
               401: "No valid token or session", 403: "This token or account may not do that",
               404: "Not found", 405: "Method not allowed",
               409: "A conflict: a stale version (error.current or current_version), or an "
                    "action the record's state does not allow (current_state, allowed_actions)",
               413: "The body is larger than allowed",
               429: "Too many requests or waiting jobs: try again later",
               500: "Internal error", 503: "The availability database cannot be reached"}


def _operation(view: DocumentedView, app: Flask) -> dict[str, Any]:
    doc: Doc = view.openapi
    params = []
    for p in doc.params(app):
        schema = p.schema
        if p.where == "query" and schema.get("type") == "string" and \
                not {"enum", "pattern", "minLength"} & schema.keys():
            schema = {**schema, "minLength": 1}  # an empty value is a 400 (check_query)
        item = {"name": p.name, "in": p.where, "required": p.required or p.where == "path",
                "description": p.description}
        if p.media:
            item["content"] = {p.media: {"schema": schema}}
        else:
            item["schema"] = schema
        if p.explode is not None:
            item["style"], item["explode"] = "form", p.explode
        params.append(item)
    ok: dict[str, Any] = {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{doc.response}"}}}
    if doc.geojson:
        ok["application/geo+json"] = {
            "schema": {"$ref": "#/components/schemas/FeatureCollection"}}
    ok.update(doc.media or {})
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": ok}}
    if doc.created:
        responses = {"201": {"description": "Created", "content": ok, "headers": {"Location": {
            "description": "the new resource's URL", "schema": {"type": "string"}}}}}
    if doc.accepted:
        responses["202"] = {
            "description": "Accepted: the work runs as a background job; poll Location",
            "headers": {"Location": {"description": "the job's URL", "schema": {"type": "string"}}},
            "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{doc.accepted}"}}}}
    # 400 always: any operation answers an unknown query parameter with it.
    for status in sorted({*doc.errors, 400, 405, 500}):
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": error}
    op = {"summary": doc.summary, "description": (view.__doc__ or "").strip(),
          "operationId": view.__name__, "parameters": params, "responses": responses}
    if doc.body:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{doc.body}"}}}}
    if doc.secured:
        op["security"] = [{"bearer": []}]
    return op


def generate(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every documented route under ``/api/v1``."""
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "openapi"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        paths.setdefault(path, {})[view.openapi.method] = _operation(view, app)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Dolbom Map API (돌봄지도)", "version": "1",
                 "description": "Nearest child care that is open and has a place, in 경기도. "
                                "Coordinates are WGS84 degrees; distances are metres."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": component_schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
