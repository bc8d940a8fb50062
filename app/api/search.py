"""The /api/v1 blueprint: parse parameters, call the search core, serialise. JSON by default;
a GeoJSON FeatureCollection with ``format=geojson`` or ``Accept: application/geo+json``."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from app.api import params as p
from app.api.openapi import Param, check_query, documented, generate
from app.api.serialize import (
    compact_text,
    facility_json,
    facility_text,
    feature_collection_body,
    hit_text,
    hits_text,
    results_body,
)
from app.care.rules import booking_rules
from app.errors import InvalidParameter, NotFound, clip
from app.extensions.care import get_bookings
from app.extensions.geocoder import get_geocoder
from app.extensions.registry import get_index, get_registry, get_store, sync_live
from app.geo import admin, gazetteer, place_at
from app.geo.address import AREA_LEVELS, Located
from app.geo.crs import geodesic_distance_m
from app.geo.geocoding import Found
from app.reference import programmes_document
from app.search.diagnosis import Diagnosis, diagnose
from app.search.hours import DAY_TYPES
from app.search.index import MODES, Criteria, FacilityIndex, Hit
from app.search.model import KINDS, PROGRAMMES, Facility
from app.security import API_HEADERS

bp = Blueprint("api", __name__, url_prefix="/api/v1")
GEOJSON = "application/geo+json"
# The read-only API may be called from any site; the security headers are set here, at once,
# rather than one by one after the request (this is the search hot path).
READ_HEADERS = {"Access-Control-Allow-Origin": "*", **API_HEADERS}
MAX_OFFSET = 10_000_000


def _point_params(prefix: str, required: bool, what: str, app: Flask) -> list[Param]:
    # The registry's area (South Korea unless the registry says otherwise).
    locale = app.extensions["dolbom_registry"].registry.locale
    min_lon, min_lat, max_lon, max_lat = locale.area
    return [
        Param(f"{prefix}lat", {"type": "number", "minimum": min_lat, "maximum": max_lat},
              f"latitude of {what}, WGS84 degrees ({locale.area_name})", required),
        Param(f"{prefix}lon", {"type": "number", "minimum": min_lon, "maximum": max_lon},
              f"longitude of {what}, WGS84 degrees ({locale.area_name})", required),
    ]


def _kinds_schema() -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(KINDS)}}


def _filter_params(app: Flask) -> list[Param]:
    cfg = app.config
    services = {"type": "array", "minItems": 1,
                "items": {"type": "string", "enum": list(p.SERVICE_FILTERS)}}
    regions, programmes = _known_regions(app), _known_programmes(app)
    window = (f"both ends from {cfg['SEARCH_WINDOW_PAST_DAYS']:g} day(s) before now to "
              f"{cfg['SEARCH_WINDOW_AHEAD_DAYS']:g} days ahead")
    return [
        Param("kind", _kinds_schema(), "provider kinds, comma-separated", explode=False),
        Param("programme", {"type": "string", "enum": list(programmes)} if programmes else
              _none_of("the 언제나돌봄 programmes are run by 경기도 시군, outside this "
                       "registry's area"),
              "언제나돌봄 programme the provider takes part in, with the programme's rules "
              "(app/reference/programmes.json): the child's age (with age_months or birth_date), "
              "where the family lives (the home's 시군구) and the 시군 that run it"),
        Param("service", services, "daycare services it must offer (all of them)",
              explode=False),
        # The codes the region check accepts, listed when the document is made.
        Param("region", {"type": "string", "enum": sorted(regions)} if regions else
              _none_of("this registry has no 시군구 regions"),
              "only providers in this 시군구 or 시군 (a 시 code such as 41110 수원시 covers its "
              "구 41111-41117); home-visit providers: those serving part of it"),
        Param("age_months", {"type": "integer", "minimum": 0, "maximum": p.MAX_AGE_MONTHS},
              "the child's age in whole months (or give birth_date)"),
        Param("birth_date", {"type": "string", "format": "date"},
              "the child's birth date; the age is taken on the day care is needed and may be "
              f"at most {p.MAX_AGE_MONTHS} months"),
        Param("start", {"type": "string", "format": "date-time"},
              "start of the care window, ISO 8601; without an offset, a wall-clock time in the "
              f"registry's time zone (GET /meta: timezone; Asia/Seoul in Korea); {window}"),
        Param("end", {"type": "string", "format": "date-time"},
              "end of the care window; after start, at most 7 days later"),
        Param("open_now", {"type": "boolean"}, "open now (instead of start and end)"),
        Param("available", {"type": "boolean"},
              "only providers with a place, reported within the maximum age"),
        Param("format", {"type": "string", "enum": ["json", "geojson"]},
              "response format (or Accept: application/geo+json)"),
    ]


def _nearest_params(app: Flask) -> list[Param]:
    cfg = app.config
    return [
        *_point_params("", True, "home", app),
        *_point_params("work_", False, "work (optional)", app),
        Param("mode", {"type": "string", "enum": list(MODES)},
              "home; either (nearer of home and work; default with work); commute (detour)"),
        Param("radius_m", {"type": "number", "minimum": 0,
                           "maximum": cfg["SEARCH_MAX_RADIUS_M"]}, "maximum distance, metres"),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": cfg["SEARCH_MAX_LIMIT"]},
              f"number of results (default {cfg['SEARCH_DEFAULT_LIMIT']})"),
        *_filter_params(app),
    ]


def _within_params(app: Flask) -> list[Param]:
    cfg = app.config
    return [
        *_point_params("", True, "the centre", app),
        Param("radius_m", {"type": "number", "minimum": 0,
                           "maximum": cfg["SEARCH_MAX_RADIUS_M"]}, "radius, metres", True),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": cfg["SEARCH_MAX_LIMIT"]},
              "number of results"),
        *_filter_params(app),
    ]


_NUMBER = r"-?([0-9]+\.?[0-9]*|\.[0-9]+)"  # a decimal number, as bbox's four


def _listing_params(app: Flask) -> list[Param]:
    cfg = app.config
    return [
        Param("bbox", {"type": "string", "pattern": "^" + ",".join([_NUMBER] * 4) + "$"},
              "minlon,minlat,maxlon,maxlat in WGS84 degrees", True),
        Param("kind", _kinds_schema(), "provider kinds, comma-separated", explode=False),
        Param("limit", {"type": "integer", "minimum": 1,
                        "maximum": cfg["BBOX_COMPACT_MAX_LIMIT"]},
              f"page size: up to {cfg['BBOX_COMPACT_MAX_LIMIT']} with fields=compact; with "
              f"fields=full (the default) pages hold at most {cfg['SEARCH_MAX_LIMIT']} "
              "whatever limit says (the answer's limit is the page size used; follow next); "
              f"default {cfg['SEARCH_MAX_LIMIT']}"),
        Param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
              "results to skip (see next)"),
        Param("fields", {"type": "string", "enum": ["full", "compact"]},
              f"full (default): every field, pages of at most {cfg['SEARCH_MAX_LIMIT']}; "
              "compact: id, name, kind, lon, lat only, and pages of up to "
              f"{cfg['BBOX_COMPACT_MAX_LIMIT']} (for map layers)"),
        Param("format", {"type": "string", "enum": ["json", "geojson"]}, "response format"),
    ]


def _now() -> datetime:
    """Now in the registry's zone: windows, day types and opening checks are read there."""
    return get_registry().locale.now()


def _wants_geojson(args: p.Args, accept: str) -> bool:
    fmt = args.get("format")
    if fmt not in (None, "", "json", "geojson"):
        raise InvalidParameter(f"unknown format {fmt!r}; allowed: json, geojson", "format")
    if fmt:
        return fmt == "geojson"
    if "geo+json" not in accept:
        return False
    accepted = parse_accept_header(accept, MIMEAccept)
    best = accepted.best_match(["application/json", GEOJSON])
    return best == GEOJSON and accepted[GEOJSON] > accepted["application/json"]


def _answer(items: list[tuple[Facility, str]], extra: dict[str, Any], args: p.Args,
            accept: str) -> tuple[str, str]:
    """Results as JSON, or as a GeoJSON FeatureCollection when asked for: (body, media type)."""
    meta = {"synthetic": get_registry().synthetic, **extra}
    if _wants_geojson(args, accept):
        return feature_collection_body(items, meta), GEOJSON
    return results_body([text for _, text in items], meta), "application/json"


def _respond(items: list[tuple[Facility, str]], extra: dict[str, Any]) -> Response:
    return read_response(*_answer(items, extra, p.Args(request.args),
                                  request.environ.get("HTTP_ACCEPT", "")))


def read_response(body: str, mimetype: str) -> Response:
    """A search answer with the read-only API's headers (CORS and security)."""
    return Response(body, mimetype=mimetype, headers=READ_HEADERS)


def _hits(hits: list[Hit], c: Criteria) -> list[tuple[Facility, str]]:
    return list(zip([h.facility for h in hits], hits_text(get_index(), hits, _online(hits, c)), strict=True))


def _online(hits: list[Hit], c: Criteria) -> dict[str, frozenset[str]] | None:
    """:func:`books_online` for the search's window (``c.start``, ``c.end``) when it has one.
    Called with the hits alone without one, so a one-argument stand-in (bench/bench_search.py
    swaps the function) still serves the searches without a window."""
    if c.start is None or c.end is None:
        return books_online(hits)
    return books_online(hits, (c.start, c.end))


def books_online(hits: list[Hit], window: tuple[datetime, datetime] | None = None
                 ) -> dict[str, frozenset[str]] | None:
    """The programmes each hit's provider takes bookings for online (it publishes places for
    them, :class:`app.care.bookings.OnlineProgrammes`): with ``window`` (the search's
    ``(start, end)``, aware), places covering that whole window; without, places in a slot
    still to come (now). At most one indexed query for the hits whose provider runs a
    programme booked online and was not read (for this window) in the last seconds, none when
    no hit runs one. None (each hit's ``books_online`` null: not known) while the database is
    out of reach."""
    wanted = [h.facility.id for h in hits if _BOOKED_ONLINE.intersection(h.facility.programmes)]
    if not wanted:
        return {}
    if not get_store().live.reachable:
        return None
    try:
        return get_bookings().online.of(wanted, datetime.now(UTC), window)
    except sa.exc.DBAPIError:
        return None


def _day_type(moment: datetime) -> str:
    """Which hours apply on the day of ``moment`` in the registry's zone: mon … sun, or
    holiday (the registry's holiday calendar)."""
    locale = get_registry().locale
    day = moment.astimezone(locale.tz).date()
    return "holiday" if locale.is_holiday(day) else DAY_TYPES[day.weekday()]


@lru_cache(maxsize=1)
def _gyeonggi_regions() -> frozenset[str]:
    """Every current 경기도 시군구 and 시군 code."""
    areas = admin.gyeonggi_sigungu().values()
    return frozenset({a.sigungu_code for a in areas} | {a.sigun_code for a in areas})


def _known_regions(app: Flask) -> frozenset[str]:
    """The region codes a search accepts, those that can match in the registry's area: the
    regions of its providers and, for a registry in Korea, every 경기도 시군구 and 시군 (none of
    these for a registry elsewhere, whose providers have no 시군구)."""
    store = app.extensions["dolbom_registry"]
    korea = store.registry.locale.is_korea
    return store.index.regions | (_gyeonggi_regions() if korea else frozenset())


def _known_programmes(app: Flask) -> tuple[str, ...]:
    """The programmes a search accepts: the 언제나돌봄 programmes in a registry in Korea; none
    elsewhere (their rules need a home in a 경기도 시군 that runs them)."""
    return PROGRAMMES if app.extensions["dolbom_registry"].registry.locale.is_korea else ()


def _none_of(what: str) -> dict[str, Any]:
    """The schema of a filter no value of which can match in this registry's area."""
    return {"type": "string", "not": {}, "description": f"none: {what}"}


def _criteria(args: p.Args, home: tuple[float, float] | None, now: datetime) -> Criteria:
    cfg = current_app.config
    start, end = p.window(args, now, timedelta(days=cfg["SEARCH_WINDOW_PAST_DAYS"]),
                          timedelta(days=cfg["SEARCH_WINDOW_AHEAD_DAYS"]))
    filters = p.filters(args, _known_programmes(current_app))
    region = p.region(args, lambda: _known_regions(current_app))
    home_sigungu = None
    # Home-visit providers (their service areas) and programmes (their residence rules) need
    # the home's 시군구 ("" when it lies in none); don't look it up otherwise.
    needs_home_area = (filters["kinds"] and "home_visit_provider" in filters["kinds"]) or \
        filters["programmes"]
    if home is not None and needs_home_area:
        area = admin.locate([home[0]], [home[1]])[0]
        home_sigungu = (area.sigungu_code or "") if area else ""
    return Criteria(**filters, age_months=p.age_months(args, start, now),
                    start=start, end=end, available_only=p.boolean(args, "available"),
                    home_sigungu_code=home_sigungu, region=region)


_PLAIN_NEAREST = frozenset({"lat", "lon"})
_PLAIN = Criteria()
_BOOKED_ONLINE = frozenset(booking_rules())
"""The programmes booked online (``booking_rules.json``): a hit's provider running none of them
needs no look-up of its published places."""


def nearest_answer(args: p.Args, accept: str) -> tuple[str, str]:
    """Nearest providers that match, to home (and work): (body, media type). Used by the
    route below and by app.api.fast_path."""
    cfg, now = current_app.config, _now()
    # Unknown, repeated and empty parameters are 400s here too: app.api.fast_path calls this
    # without the route's check.
    check_query(args, current_app, nearest)
    plain = args.keys() <= _PLAIN_NEAREST  # the most common query: nothing else to read
    home = p.point(args, "lat", "lon", required=True, area=get_registry().locale)
    if plain:
        work, mode, radius, c = None, "home", None, _PLAIN
        limit = cfg["SEARCH_DEFAULT_LIMIT"]
    else:
        work = p.point(args, "work_lat", "work_lon", required=False, area=get_registry().locale)
        mode = p.mode(args, work is not None)
        limit = p.integer(args, "limit", default=cfg["SEARCH_DEFAULT_LIMIT"], minimum=1,
                          maximum=cfg["SEARCH_MAX_LIMIT"])
        radius = p.number(args, "radius_m", minimum=0, maximum=cfg["SEARCH_MAX_RADIUS_M"])
        c = _criteria(args, home, now)
    sync_live()
    index = get_index()
    hits = index.nearest(*home, c, now, limit, radius_m=radius, work=work, mode=mode)
    extra: dict[str, Any] = {"mode": mode, "count": len(hits), "day_type": _day_type(c.start or now),
                             **_coverage_meta(index, home)}
    if not hits:
        extra["empty"] = _empty_meta(diagnose(index, *home, c, now, radius_m=radius, work=work, mode=mode), c)
    return _answer(_hits(hits, c), extra, args, accept)


def _empty_meta(d: Diagnosis, c: Criteria) -> dict[str, Any]:
    """Why nothing was found (:func:`app.search.diagnosis.diagnose`), with the hotline from
    ``programmes.json`` for a family that needs a person."""
    return {"reasons": d.reasons, "without": d.without,
            "nearest": json.loads(hit_text(get_index(), d.nearest, _online([d.nearest], c)))
            if d.nearest else None,
            "hotline": programmes_document().get("hotline")}


def _coverage_meta(index: FacilityIndex, home: tuple[float, float]) -> dict[str, Any]:
    """``outside_coverage``: the home lies farther than ``SEARCH_COVERAGE_MARGIN_M`` from the
    box around the registry's providers; ``coverage_name``: the area the registry covers (its
    ``region``, else its locale's area name), ``coverage_name_en`` the same in English
    ("Gyeonggi-do": the gazetteer's name of a Korean area)."""
    away_m = index.distance_to_extent_m(*home)
    registry = get_registry()
    name = registry.meta.get("region") or registry.locale.area_name
    return {"outside_coverage": away_m is not None
            and away_m > current_app.config["SEARCH_COVERAGE_MARGIN_M"],
            "coverage_name": name,
            "coverage_name_en": place_at.english(name) if re.search("[가-힣]", name) else name}


@bp.get("/facilities/nearest")
@documented("Nearest providers that can take the child", _nearest_params, "HitList",
            geojson=True)
def nearest() -> Response:
    """Nearest providers that match, to home (and work)."""
    return read_response(*nearest_answer(p.Args(request.args),
                                         request.environ.get("HTTP_ACCEPT", "")))


def within_answer(args: p.Args, accept: str) -> tuple[str, str]:
    """Every matching provider within ``radius_m`` of a point, nearest first: (body, media
    type). Used by the route below and by app.api.fast_path."""
    cfg, now = current_app.config, _now()
    check_query(args, current_app, within)  # as in nearest_answer
    home = p.point(args, "lat", "lon", required=True, area=get_registry().locale)
    radius = p.number(args, "radius_m", required=True, minimum=0,
                      maximum=cfg["SEARCH_MAX_RADIUS_M"])
    limit = p.integer(args, "limit", default=cfg["SEARCH_MAX_LIMIT"], minimum=1,
                      maximum=cfg["SEARCH_MAX_LIMIT"])
    c = _criteria(args, home, now)
    sync_live()
    hits = get_index().nearest(*home, c, now, limit, radius_m=radius)
    return _answer(_hits(hits, c), {"radius_m": radius, "count": len(hits)}, args, accept)


@bp.get("/facilities/within")
@documented("Providers within a radius", _within_params, "HitList", geojson=True)
def within() -> Response:
    """Every matching provider within ``radius_m`` of a point, nearest first."""
    return read_response(*within_answer(p.Args(request.args),
                                        request.environ.get("HTTP_ACCEPT", "")))


@bp.get("/facilities")
@documented("Providers in a bounding box, paged", _listing_params, "FacilityPage",
            geojson=True)
def listing() -> Response:
    """Open providers inside a bounding box, in id order, a page at a time."""
    args, cfg = p.Args(request.args), current_app.config
    box = p.bbox(args)
    fields = args.get("fields") or "full"
    if fields not in ("full", "compact"):
        raise InvalidParameter(f"unknown fields {fields!r}; allowed: full, compact", "fields")
    limit = p.integer(args, "limit", default=cfg["SEARCH_MAX_LIMIT"], minimum=1,
                      maximum=cfg["BBOX_COMPACT_MAX_LIMIT"])
    # Full pages are at most SEARCH_MAX_LIMIT long whatever limit says (the document says so
    # and the answer's ``limit`` shows it; ``next`` goes on from there): OpenAPI 3.0 cannot
    # make limit's maximum depend on fields, and a schema-valid request must not be a 400.
    if fields == "full":
        limit = min(limit, cfg["SEARCH_MAX_LIMIT"])
    offset = p.integer(args, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
    kinds = p.choices(args, "kind", KINDS)
    found = [f for f in get_index().within_bbox(*box) if kinds is None or f.kind in kinds]
    page = found[offset:offset + limit]
    extra: dict[str, Any] = {"count": len(page), "total": len(found), "limit": limit,
                             "next": None}
    if offset + limit < len(found):
        # A relative link (path and query): nothing of the request's Host header, and only
        # the parameters this operation has (the view checked them) as query text — never
        # as url_for arguments, where endpoint, _external, _method … have meanings.
        query = [(k, v) for k in args if k != "offset" for v in args.getlist(k)]
        query.append(("offset", str(offset + limit)))
        extra["next"] = f"{url_for('api.listing')}?{urlencode(query, safe=',')}"
    index = get_index()
    text = facility_text if fields == "full" else compact_text
    return _respond([(f, text(index, f)) for f in page], extra)


@bp.get("/facilities/<facility_id>")
@documented("One provider", lambda app: [Param("facility_id", {"type": "string"},
                                               "the provider's id", True, "path")],
            "FacilityResult", errors=(400, 404))
def one(facility_id: str) -> Response:
    """One provider by id."""
    f = get_index().by_id.get(facility_id)
    if f is None or not f.is_open_status:
        raise NotFound(f"no open facility with id {clip(facility_id)}", "facility_id")
    return jsonify({"result": facility_json(f), "synthetic": get_registry().synthetic})


@bp.get("/meta")
@documented("What the registry holds", lambda app: [], "Meta")
def meta() -> Response:
    """What the registry holds: counts by kind, its date, whether it is the synthetic demo."""
    registry = get_registry()
    counts = Counter(f.kind for f in registry.facilities if f.is_open_status)
    m = registry.meta
    return jsonify({
        "name": m.get("name"),
        "synthetic": registry.synthetic,
        "notice": m.get("notice"),
        "registry_date": m.get("generated_at") or m.get("imported_at"),
        "counts_by_kind": {k: counts[k] for k in KINDS},
        "total": sum(counts.values()),
        "availability_max_age_hours": current_app.config["AVAILABILITY_MAX_AGE_HOURS"],
        "limits": {"max_limit": current_app.config["SEARCH_MAX_LIMIT"],
                   "max_radius_m": current_app.config["SEARCH_MAX_RADIUS_M"]},
        **registry.locale.to_meta(),  # timezone, holidays, area, area_name of the registry
    })


# The longest place query (characters, spaces at either end not counted); the pages' place inputs
# have this maxlength, and gunicorn.conf.py lets a request line of any length reach the check.
PLACE_QUERY_MAX = 100


def _places_params(app: Flask) -> list[Param]:
    return [
        Param("q", {"type": "string", "minLength": 1, "maxLength": PLACE_QUERY_MAX, "pattern": r"[^\s]"},
              "a place (시도, 시군구, 읍면동, 리; short forms and spacing are fine), an address "
              "(road name: 시군구 도로명 건물번호, e.g. 분당구 판교역로 235; lot number: 동·리 번지, "
              "e.g. 매탄동 123-4) or a facility name", True),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": 20}, "suggestions"),
        Param("view", {"type": "string", "pattern": "^" + ",".join([_NUMBER] * 4) + "$"},
              "the map's bounds, minlon,minlat,maxlon,maxlat (degrees): places in view rank first "
              "(수원 in view: 수원시 before any 수원리)"),
    ]


def _place_json(pl: Found) -> dict[str, Any]:
    """One place found by the geocoders: an administrative area, or an address placed exactly
    (by a geocoding service) or at the area it names (``approximate``, ``matched`` naming it)."""
    if isinstance(pl, Located):
        area = pl.area if pl.approximate else None
        return {"name": pl.name, "type": "address", "level": area.level if area else None,
                "code": area.code if area else None, "lon": pl.lon, "lat": pl.lat, "detail": None,
                "detail_en": None,
                "name_en": area.name_en or None if area else None,
                "precision": pl.precision, "approximate": pl.approximate,
                "matched": area.name if area else pl.name}
    # an administrative area is a representative point; a station or a school is the place itself
    return {"name": pl.name, "type": "area", "level": pl.level, "code": pl.code,
            "lon": pl.lon, "lat": pl.lat, "detail": pl.detail or None, "name_en": pl.name_en or None,
            "detail_en": gazetteer.lines_en(pl) or gazetteer.address_en(pl) or None,
            "precision": "area" if pl.level in AREA_LEVELS else "exact", "approximate": False,
            "matched": None}


@bp.get("/places")
@documented("Find a place, an address or a facility by name", _places_params, "Places")
def places() -> Response:
    """Addresses, administrative areas and facilities matching ``q``; when nothing matches, the
    closest known names as ``suggestions``. Without a geocoding service (the default) an address
    is placed at the area it names and marked ``approximate`` (``precision`` "area")."""
    args = p.Args(request.args)
    q = (args.get("q") or "").strip()
    if not q:
        raise InvalidParameter("q is required: a place or facility name", "q")
    if len(q) > PLACE_QUERY_MAX:
        raise InvalidParameter(f"q may be at most {PLACE_QUERY_MAX} characters (it has {len(q)})", "q")
    limit = p.integer(args, "limit", default=8, minimum=1, maximum=20)
    view = p.bbox(args, "view") if "view" in args else None
    locale = get_registry().locale
    # Only places the search can use: a registry outside Korea is not offered Korean places.
    found = [_place_json(pl) for pl in get_geocoder().search(q, limit, view=view)
             if locale.contains(pl.lon, pl.lat)]
    # Places outside the area the registry covers (a 수원리 in 충북 for a 경기도 registry) come
    # after the registry's own facilities of that name: the family searches where it has care.
    index = get_index()
    margin_m = current_app.config["SEARCH_COVERAGE_MARGIN_M"]

    def covered(place: dict[str, Any]) -> bool:
        away_m = index.distance_to_extent_m(place["lon"], place["lat"])
        return away_m is None or away_m <= margin_m

    results = [r for r in found if covered(r)]
    elsewhere = [r for r in found if not covered(r)]
    if len(results) < limit:
        compact = "".join(q.split())
        for f in index.facilities:
            if compact in "".join(f.name.split()):
                results.append({"name": f.name, "type": "facility", "level": None, "code": f.id,
                                "lon": f.lon, "lat": f.lat, "detail": _facility_detail(f), "name_en": None,
                                "detail_en": None,
                                "precision": "exact", "approximate": False, "matched": None})
                if len(results) >= limit:
                    break
    results = _distinct_places(results + elsewhere)[:limit]
    # A 법정동 that no longer exists (화성 동탄구 오산동) is said to be gone, not answered with
    # look-alike names from other cities.
    gone = [] if results or not locale.is_korea else gazetteer.abolished_matches(q)
    # A road-name address alone ("판교역로 235") names no area: many 시군구 have a road of that
    # name, so the page asks for the 시군구 or 동 rather than offering look-alike names.
    road = not results and not gone and locale.is_korea and ROAD_ADDRESS_ONLY.match(q) is not None
    suggestions = [] if results or gone or road or not locale.is_korea else gazetteer.suggest(q)
    body: dict[str, Any] = {"results": results, "suggestions": suggestions}
    if gone:
        body["abolished"] = [_abolished_json(a) for a in gone]
    if road:
        body["hint"] = "road_address_needs_area"
    return jsonify(body)


def _facility_detail(f: Facility) -> str | None:
    """What tells a facility found by name apart from others of that name (eight
    "수원시청직장어린이집" in 수원, three in 권선구): its 시군구 and the rest of its address
    ("수원시 권선구 서둔동 792-18"), each area word of it kept only while it is still a place
    (the registry's addresses predate 화성's 2026 구: "화성시 동탄면 203-27" is said "화성시
    203-27", never offering the abolished 동탄면 as current); the 시군구 alone when the address
    does not start with it."""
    if not f.sigungu:
        return None
    parts = (f.address or "").split()
    if f.sido and parts[:1] == [f.sido]:
        parts = parts[1:]
    area = f.sigungu.split()
    if not parts and f.emd:  # no address: its 읍면동
        parts = [*area, f.emd]
    if parts[:len(area)] != area:
        return f.sigungu
    current = _current_place_names()
    kept: list[str] = []
    within = f"{f.sido or '경기도'} {f.sigungu}"
    for i, word in enumerate(parts[len(area):]):
        if i < 2 and _AREA_WORD.search(word):  # 읍면동 and 리: the words a reorganisation renames
            if f"{within} {word}" not in current:
                continue
            within = f"{within} {word}"
        kept.append(word)
    return " ".join([f.sigungu, *kept])


_AREA_WORD = re.compile(r"[동읍면리가]$")


@lru_cache(maxsize=1)
def _current_place_names() -> frozenset[str]:
    """The full names of the gazetteer's current places ("경기도 화성시 동탄구 반송동")."""
    return frozenset(" ".join(p.parts) for p in gazetteer.places())


SAME_PLACE_M = 30.0
"""Two answers of one name and detail closer than this (metres) are one place, said once."""


def _distinct_places(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``found`` without repeats: an answer whose name and detail an earlier one has and which lies
    within :data:`SAME_PLACE_M` of it (the gazetteer and the registry naming one building) is
    dropped; answers that read alike but lie apart are kept (their details tell them apart)."""
    kept: list[dict[str, Any]] = []
    for r in found:
        if not any(k["name"] == r["name"] and (k.get("detail") or "") == (r.get("detail") or "")
                   and float(geodesic_distance_m(k["lon"], k["lat"], r["lon"], r["lat"])) < SAME_PLACE_M
                   for k in kept):
            kept.append(r)
    return kept


# A road name ending in 로/길 (with its 번길, 가: "판교역로", "중부대로 123번길", "세종대로") and a
# building number ("235", "235-1"), and nothing before it.
ROAD_ADDRESS_ONLY = re.compile(
    r"^\s*[가-힣A-Za-z0-9]+(로|길)(\s*\d+(번길|가길|길))?\s*\d+(-\d+)?\s*(번지)?\s*$")


def _abolished_json(a: gazetteer.Abolished) -> dict[str, Any]:
    """An abolished 법정동 as the places answer gives it; ``label``: "오산동 (화성시 동탄구)"."""
    own, above = a.parts[-1], a.parts[1:-1]  # without the 시도
    own_en, *above_en = a.name_en.split(", ")[:len(a.parts) - 1]
    return {"name": a.name, "name_en": a.name_en, "code": a.code,
            "label": f"{own} ({' '.join(above)})" if above else own,
            "label_en": f"{own_en} ({', '.join(above_en)})" if above_en else own_en,
            "listed": a.listed or None}


class OutsideAreas(NotFound):
    """A point in no 시군구 (the sea, or outside South Korea)."""

    code = "outside_areas"


def _place_at_params(app: Flask) -> list[Param]:
    return _point_params("", True, "the point", app)


@bp.get("/places/at")
@documented("The 읍면동 and 시군구 at a point", _place_at_params, "PlaceAt", errors=(400, 404))
def places_at() -> Response:
    """The 읍면동 (and its 시군구) containing the point, in Korean and English: what the map
    shows for the browser's location. A 404 where no area is (the sea, or outside South
    Korea)."""
    lon, lat = p.point(p.Args(request.args), "lat", "lon", required=True, area=get_registry().locale)
    found = place_at.place_at(lon, lat)
    if found is None:
        raise OutsideAreas("the point is outside the covered areas: it lies in no 읍면동 or 시군구 "
                           "of South Korea (the sea, or another country)")
    return jsonify(found.to_json())


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 document of this API, generated from the routes."""
    return jsonify(generate(current_app))


@bp.after_request
def allow_cross_origin_reads(response: Response) -> Response:
    """Municipal sites may call the read-only API from their pages."""
    if request.method in ("GET", "HEAD", "OPTIONS") and \
            "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def init_app(app: Flask) -> None:
    """Register the API blueprint."""
    app.register_blueprint(bp)
