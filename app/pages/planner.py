"""The planners' page (``/planner``): a folium choropleth of a chosen measure, desert layers by
time of day, a sortable table, scenario editing on the map, and exports.

Admins sign in with their admin token once (a signed session cookie, HttpOnly, SameSite=Strict,
naming a session kept in the shared database: ``app.pages.planner_sessions``); every page, map script and
export checks it, and the session ends with its token, at sign-out and after its idle and
absolute lifetimes.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import click
import numpy as np
import pandas as pd
from cachetools import LRUCache
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response as BaseResponse

import shapely

from app.api import coverage, planning_requests
from app.api import embed_origins as embed_origins_api
from app.api.providers import report_answer
from app.domain import DomainError
from app.errors import ApiError, InvalidParameter
from app.extensions.db import get_engine
from app.extensions.planning import get_planning
from app.extensions.registry import get_registry
from app.geo import admin
from app.i18n import catalogue, current_language, translate
from app.live import tokens
from app.pages import planner_sessions as sessions
from app.pages.planner_map import MEASURES, build_map, colour_scale, fmt_value, split
from app.planning.analysis import LEVELS, Parameters
from app.planning.demand import DemandUnits
from app.planning.periods import windows
from app.planning.scenario import Scenario, compare
from app.planning.settings import periods, planning_settings, services
from app.planning.shapes import level_shapes
from app.planning.supply import SUPPLY_VALUES
from app.planning.tables import records
from app.search.hours import WeeklyHours

bp = Blueprint("planner", __name__)
log = logging.getLogger(__name__)


class SignInRequired(ApiError):
    """A planner file asked for without a session (answered in the API's JSON envelope)."""

    status = 401
    code = "unauthorized"
class CrossSite(ApiError):
    """A write to the planner from another site's page."""

    status = 403
    code = "forbidden"


_MAPS = "dolbom_planner_maps"  # app.extensions key of this app's MapCache
_SHAPES = "dolbom_planner_shapes"  # and of its ShapeCache


class MapCache:
    """The planner's built maps (folium div and script: the page and its script share one
    build), per app, at most ``size`` of them, safe under threads. A map is kept with the
    registry it was drawn from and used only while that registry is current: after a reload
    it is drawn again (the registry is held, so its id cannot pass to a later one)."""

    def __init__(self, size: int) -> None:
        self._maps: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: str, registry: object) -> Any:
        """The map (or data) under ``key`` drawn from this ``registry``, or None."""
        with self._lock:
            found = self._maps.get(key)
        if found is None or found[0] is not registry:
            return None
        return found[1]

    def put(self, key: str, registry: object, value: Any) -> None:
        """Keep a map (the least recently used one goes when full)."""
        with self._lock:
            self._maps[key] = (registry, value)


def _signed_in() -> bool:
    return session.get("planner_admin") is not None


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return origin is None or urlsplit(origin).netloc == request.host


@bp.post("/planner/login")
def login() -> BaseResponse | tuple[str, int]:
    """Exchange an admin token for a session."""
    if not _same_origin():
        return _login_page("cross_site", 403)
    token = (request.form.get("token") or "").strip()
    try:
        who = tokens.verify(get_engine(), token)
    except DBAPIError:
        return _login_page("database_unreachable", 503)
    if who is None or who.role != "admin":
        return _login_page("token_refused", 401)
    try:
        sessions.start(current_app, session, who.token_id)
    except DBAPIError:
        session.clear()
        return _login_page("database_unreachable", 503)
    return redirect(url_for("planner.page", lang=current_language()))


@bp.post("/planner/logout")
def logout() -> BaseResponse | tuple[str, int]:
    """End the session, on every server (a copy of the cookie no longer works)."""
    if _same_origin():
        try:
            sessions.end(current_app, session)
        except DBAPIError:
            return _login_page("database_unreachable", 503)
    return redirect(url_for("planner.page", lang=current_language()))


def _login_page(error: str | None, status: int = 200) -> tuple[str, int]:
    return render_template("planner_login.html", error=error), status


def _options() -> tuple[dict[str, Any], str, Scenario]:
    args = request.args.to_dict()
    opts = planning_requests.query_options(args)
    if opts["level"] == "grid" and not opts["area"]:
        opts["area"] = "41110"  # a 500 m grid of all 경기도 is too much for one map
    measure = args.get("measure", "share_1000")
    if measure not in MEASURES:
        raise InvalidParameter(f"measure must be one of {', '.join(MEASURES)}",
                                            "measure")
    scenario = planning_requests.parse_scenario_text(args.get("scenario"))
    return opts, measure, scenario


def _build(opts: dict[str, Any], measure: str, scenario: Scenario) -> tuple[str, str, pd.DataFrame]:
    key = json.dumps([opts, measure, scenario.to_json(), current_language()], sort_keys=True)
    df, analysis = planning_requests.measures_frame(opts, scenario)
    if df.empty:  # folium cannot draw a choropleth of no areas: say so in the page instead
        raise InvalidParameter(f"there are no areas to draw at level {opts['level']}; choose "
                               "another level or area", "level")
    cache: MapCache = current_app.extensions[_MAPS]
    registry = get_registry()
    found = cache.get(key, registry)
    if found is not None:
        return (*found, df)
    m = catalogue(current_language())
    cfg = current_app.config
    shapes = level_shapes(analysis.units, opts["level"], list(df["key"]))
    desert_layers = {}
    for period, spec in periods().items():
        pdf = planning_requests.measures_frame({**opts, "period": period}, scenario)[0]
        keys = list(pdf.loc[pdf["desert"].fillna(False).astype(bool), "key"])
        name = m["desert_layer"].replace("{period}", spec[f"name_{current_language()}"])
        desert_layers[period] = (name, level_shapes(analysis.units, opts["level"], keys))
    fmap = build_map(
        df, shapes, measure, desert_layers, cfg["MAP_CENTER"], 11 if opts["area"] else 9,
        cfg["TILE_URL"], cfg["TILE_ATTRIBUTION"],
        {"js": url_for("web.vendor", package="leaflet", filename="leaflet.js"),
         "css": url_for("web.vendor", package="leaflet", filename="leaflet.css")},
        {"tiles": "tiles", "measure": m[f"measure_{measure}"], "area": m["area"],
         "period": opts["period"]})
    div, script = split(fmap)
    cache.put(key, registry, (div, script))
    return div, script, df


def _shell_options() -> tuple[dict[str, Any] | None, str | None, Scenario | None, str | None]:
    """The options as far as they can be checked without the demand layer (the page is sent
    at once; the data request checks the rest): (options, measure, scenario, error)."""
    args = request.args.to_dict()
    try:
        opts: dict[str, Any] = {
            "service": planning_requests.choice(args, "service", list(services()), "daycare"),
            "period": planning_requests.choice(args, "period", list(periods()), "day"),
            "level": planning_requests.choice(args, "level", _levels(), "sigungu"),
            "supply": planning_requests.choice(args, "supply", SUPPLY_VALUES, "capacity")}
        area = args.get("area") or None
        if area is not None and not re.fullmatch(planning_requests.AREA_PATTERN, area):
            raise InvalidParameter("area must be a 5-digit 시군구 or 8-digit 읍면동 code", "area",
                                   reason="not_a_code")
        opts["area"] = area
        if opts["level"] == "grid" and not opts["area"]:
            opts["area"] = "41110"  # a 500 m grid of all 경기도 is too much for one map
        measure = args.get("measure", "share_1000")
        if measure not in MEASURES:
            raise InvalidParameter(f"measure must be one of {', '.join(MEASURES)}", "measure",
                                   reason="unknown_value")
    except (ApiError, DomainError) as exc:
        return None, None, None, _link_problem(exc)
    # A scenario that cannot be used (a centre clicked outside 경기도, a hand-edited URL) never
    # takes the page away: the page shows the baseline and says what was refused.
    try:
        scenario = planning_requests.parse_scenario_text(args.get("scenario"))
    except (ApiError, DomainError) as exc:
        detail = exc.message if isinstance(exc, ApiError) else str(exc)
        return opts, measure, None, translate("planner_scenario_refused", detail=detail)
    return opts, measure, scenario, None


def _link_problem(exc: ApiError | DomainError) -> str:
    """What is wrong with a hand-edited planner link, in the page's language: the parameter and
    value refused and the values allowed (with their names), never the API's English text."""
    field = getattr(exc, "field", None) or ""
    value = request.args.get(field, "")
    shown = value if len(value) <= 40 else value[:40] + "…"
    lang = current_language()
    m = catalogue(lang)
    named: dict[str, list[tuple[str, str]]] = {
        "service": [(k, v[f"name_{lang}"]) for k, v in services().items()],
        "period": [(k, v[f"name_{lang}"]) for k, v in periods().items()],
        "level": [(k, m.get(f"level_{k}", k)) for k in _levels()],
        "supply": [(k, m.get(f"planner_supply_{k}", k)) for k in SUPPLY_VALUES],
        "measure": [(k, m.get(f"measure_{k}", k)) for k in MEASURES]}
    if field in named:
        allowed = ", ".join(f"{k} ({name})" if name != k else k for k, name in named[field])
        return translate("planner_link_unknown", param=field, value=shown, allowed=allowed)
    if field == "area":
        return translate("planner_link_area", value=shown)
    return translate("planner_link_other", param=field or "?")


def _without_scenario() -> str:
    """This request's query string without its ``scenario``."""
    return urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "scenario"])


def _levels() -> list[str]:
    """The levels of the demand layer; all of them until it is read (the data request says
    when one is not available)."""
    units = get_planning().units_if_read  # the page never waits for the demand layer
    return list(units.levels()) if units is not None else list(LEVELS)


@bp.get("/planner")
def page() -> str | tuple[str, int]:
    """The planner page (the sign-in form when not signed in). The page is sent at once: the
    map and the table come from ``/planner/data.json``, with a progress line meanwhile."""
    if not _signed_in():
        warm_up(current_app)  # the work of the first page starts while the token is typed
        return _login_page(None)
    opts, measure, scenario, error = _shell_options()
    if opts is not None:
        warm_up(current_app, opts)
    lang = current_language()
    query = request.query_string.decode()
    m = catalogue(lang)
    cfg = current_app.config
    page_config = {
        "lang": lang, "messages": m, "map": "map_planner",
        "service": opts["service"] if opts else "daycare",
        "period": opts["period"] if opts else "day",
        "measure": measure,
        "scenario": scenario.to_json() if scenario else {"add": [], "close": [], "resize": []},
        "services": {k: v for k, v in services().items() if not v.get("comes_to_family")},
        "service_names": {k: v[f"name_{lang}"] for k, v in services().items()},
        "hours_presets": {k: v[f"name_{lang}"] for k, v in planning_settings()["hours_presets"].items()},
        "preset_for": {f"{sv}/{pd_}": preset_for(sv, pd_) for sv in services() for pd_ in periods()},
        "kinds": {k: v.get("kinds") or programme_kinds(v) for k, v in services().items()},
        "periods": {k: v[f"name_{lang}"] for k, v in periods().items()},
        "desert_layers": {k: m["desert_layer"].replace("{period}", v[f"name_{lang}"])
                          for k, v in periods().items()},
        "thresholds": planning_settings()["coverage_thresholds_m"],
        "data_url": url_for("planner.data") + "?" + (query if scenario is not None else _without_scenario())
        if opts else None,
        "tiles": {"url": cfg["TILE_URL"], "attribution": cfg["TILE_ATTRIBUTION"]},
        "center": list(cfg["MAP_CENTER"]), "zoom": 11 if opts and opts["area"] else 9,
        # A new centre must lie in this 시도 (parse_scenario's test, asked of /api/v1/places/at
        # at the click).
        "scenario_sido_code": admin.GYEONGGI_SIDO_CODE,
    }
    return render_template(
        "planner.html", opts=opts, measure=measure, measures=MEASURES,
        error=error, services=services(), periods=periods(), levels=_levels(),
        exports={f: url_for("planner.export_file") + "?" + urlencode(
            {**request.args.to_dict(), "format": f}) for f in ("csv", "geojson", "gpkg")},
        page_config=Markup(json.dumps(page_config, ensure_ascii=False).replace("</", "<\\/")),
        synthetic=get_planning().synthetic or get_registry().synthetic, areas=_areas(),
        thresholds=planning_settings()["coverage_thresholds_m"],
        other_query=urlencode({**request.args.to_dict(), "lang": "en" if lang == "ko" else "ko"}),
        sites_limits=planning_settings()["site_suggestion"])


def preset_for(service: str, period: str) -> str:
    """The hours preset a centre added for ``service`` at ``period`` takes by default: the
    shortest preset that is open for the whole period (round the clock when none is)."""
    presets = planning_settings()["hours_presets"]
    store = get_planning()
    week = store.week_of()
    wins = windows(period, week, store.registry.registry.locale)
    locale = store.registry.registry.locale
    fitting = []
    for name, spec in presets.items():
        hours = WeeklyHours.from_mapping(spec["hours"])
        if all(hours.is_open_for(s, e, locale.is_holiday, None, locale.tz) for s, e in wins):
            fitting.append((sum(b - a for day in hours.by_day for a, b in day), name))
    return min(fitting)[1] if fitting else "round_the_clock"


@bp.get("/planner/data.json")
def data() -> Response:
    """The map's areas (GeoJSON with each area's value and colour), the table's rows and the
    desert areas of the page's period; with ``deserts=<period>`` only that period's desert
    areas (the map's other desert layers, fetched when they are switched on). Kept per
    registry (``MapCache``)."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    opts, measure, scenario = _options()
    lang = current_language()
    only = request.args.get("deserts")
    if only is not None and only not in periods():
        raise InvalidParameter(f"deserts must be one of {', '.join(periods())}", "deserts")
    key = json.dumps(["data", opts, measure, scenario.to_json(), lang, only], sort_keys=True)
    cache: MapCache = current_app.extensions[_MAPS]
    registry = get_registry()
    found = cache.get(key, registry)
    if found is None:
        found = _deserts_json(opts, scenario, only) if only else _data_json(opts, measure, scenario)
        cache.put(key, registry, found)
    return Response(found, mimetype="application/json",
                    headers={"Cache-Control": "private, no-store"})


def _desert_keys(df: pd.DataFrame) -> list[str]:
    return [str(k) for k in df.loc[df["desert"].fillna(False).astype(bool), "key"]]


def _deserts_json(opts: dict[str, Any], scenario: Scenario, period: str) -> str:
    df, _ = planning_requests.measures_frame({**opts, "period": period}, scenario)
    return json.dumps({"period": period, "deserts": _desert_keys(df)})


def _data_json(opts: dict[str, Any], measure: str, scenario: Scenario) -> str:
    df, analysis = planning_requests.measures_frame(opts, scenario)
    if df.empty:  # Leaflet cannot fit a map to no areas: say so in the page instead
        raise InvalidParameter(f"there are no areas to draw at level {opts['level']}; choose "
                               "another level or area", "level")
    keys = [str(k) for k in df["key"]]
    geometries = current_app.extensions[_SHAPES].get(analysis.units, opts["level"], keys)
    scale = colour_scale(df[measure], measure)
    features = []
    for key, name, value, geometry in zip(keys, df["name"], df[measure], geometries, strict=True):
        finite = value is not None and not pd.isna(value) and math.isfinite(value)
        props = {"key": key, "name": str(name), "value": fmt_value(measure, value),
                 "colour": scale(value) if finite else "#9e9e9e"}
        features.append('{"type":"Feature","properties":' + json.dumps(props, ensure_ascii=False)
                        + ',"geometry":' + geometry + "}")
    baseline = None
    if not scenario.is_baseline:  # the same areas without the scenario, to show side by side
        base_df, _ = planning_requests.measures_frame(opts, Scenario())
        result = compare(base_df, df)
        baseline = {"summary": result.summary,
                    "rows": {r["key"]: {c: r.get(f"{c}_baseline") for c in ("places", "sfca", measure,
                                                                           "desert")}
                             for r in records(result.table)}}
    head = json.dumps({"level": opts["level"], "period": opts["period"], "measure": measure,
                       "rows": records(df), "deserts": {opts["period"]: _desert_keys(df)},
                       "baseline": baseline}, ensure_ascii=False)
    return head[:-1] + ',"areas":{"type":"FeatureCollection","features":[' + ",".join(features) + "]}}"


class ShapeCache:
    """The areas' simplified outlines as GeoJSON geometry text, per level and key: they depend
    on the demand layer only (not on the registry, the period or the scenario), so they are
    made once and kept (at most ``size``, safe under threads)."""

    def __init__(self, size: int) -> None:
        self._shapes: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self._making = threading.Lock()  # outlines are made by one thread at a time
        self._units: object = None

    def get(self, units: DemandUnits, level: str, keys: list[str]) -> list[str]:
        """The geometry text of each key (made now for the keys not kept yet)."""
        with self._lock:
            if self._units is not units:
                self._shapes.clear()
                self._units = units
            found = {k: self._shapes.get((level, k)) for k in keys}
        missing = [k for k, v in found.items() if v is None]
        if missing:
            with self._making:
                return self._make(units, level, keys)
        return [str(found[k]) for k in keys]

    def _make(self, units: DemandUnits, level: str, keys: list[str]) -> list[str]:
        with self._lock:
            found = {k: self._shapes.get((level, k)) for k in keys}  # made meanwhile?
        missing = [k for k, v in found.items() if v is None]
        if missing:
            made = shapely.to_geojson(np.array(level_shapes(units, level, missing), dtype=object))
            with self._lock:
                for k, text in zip(missing, made, strict=True):
                    found[k] = str(text)
                    if self._units is units:
                        self._shapes[(level, k)] = str(text)
        return [str(found[k]) for k in keys]


_WARMING = "dolbom_planner_warming"  # app.extensions key: the options being warmed


def warm_up(app: Flask, opts: dict[str, Any] | None = None) -> threading.Thread | None:
    """Start, in the background, what the planner page will need: the demand layer, the
    registry and the measures of ``opts`` (default: the first page's). Errors are left for the
    request that needs the result to report; each set of options is warmed once at a time.
    The thread started (None: none was, ``PLANNER_WARM_UP`` is off or it is under way)."""
    opts = opts or {"service": "daycare", "period": "day", "level": "sigungu",
                    "supply": "capacity", "area": None}
    key = json.dumps([opts[k] for k in ("service", "period", "level", "supply")])
    warming: set = app.extensions.setdefault(_WARMING, set())
    warmed: dict = app.extensions.setdefault(_WARMING + "_done", {})  # key -> registry warmed
    lock: threading.Lock = app.extensions.setdefault(_WARMING + "_lock", threading.Lock())
    with lock:
        if key in warming or app.config.get("PLANNER_WARM_UP") is False:
            return None
        warming.add(key)

    def work() -> None:
        try:
            with app.app_context():
                store = get_planning()
                if warmed.get(key) is store.registry.registry:
                    return  # done for this registry already
                analysis = store.analysis(Scenario(), Parameters.defaults(supply_value=opts["supply"]))
                # the page's level, then the province by 읍면동 (the next thing often asked
                # for); grid cells are drawn one 시군 at a time, so only their measures
                analysis.measures(opts["service"], opts["period"], opts["level"])
                for level in dict.fromkeys([opts["level"], "sigungu", "emd"]):
                    if level == "grid" or level not in store.units.levels():
                        continue
                    df = analysis.measures(opts["service"], opts["period"], level)
                    app.extensions[_SHAPES].get(store.units, level, [str(k) for k in df["key"]])
                with lock:
                    current = store.registry.registry
                    if any(r is not current for r in warmed.values()):
                        warmed.clear()  # an older registry is not held on to
                    warmed[key] = current
        except Exception as exc:  # the request that needs it says what is wrong
            log.info("planner warm-up stopped: %s", type(exc).__name__)
        finally:
            with lock:
                warming.discard(key)

    thread = threading.Thread(target=work, name="planner-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_at_start(app: Flask) -> bool:
    """Whether this app computes the planner's first page when it starts: when
    ``PLANNER_WARM_UP_AT_START`` (and ``PLANNER_WARM_UP``) are on, except in apps made with
    ``TESTING`` (the test suite makes many) and for ``flask`` commands other than ``run``
    (an import or an export has no planner to serve)."""
    if not app.config.get("PLANNER_WARM_UP_AT_START") or app.config.get("PLANNER_WARM_UP") is False \
            or app.testing:
        return False
    command = click.get_current_context(silent=True)
    return command is None or command.info_name == "run"


@bp.get("/planner/map.js")
def map_script() -> Response:
    """The folium map's script for the same query as the page."""
    if not _signed_in():
        return Response("// sign in first\n", status=401, mimetype="application/javascript")
    opts, measure, scenario = _options()
    _, script, _ = _build(opts, measure, scenario)
    return Response(script, mimetype="application/javascript",
                    headers={"Cache-Control": "private, no-store"})


@bp.post("/planner/sites")
def sites() -> Response:
    """Site suggestion from the page: the API's ``POST /api/v1/coverage/sites`` with the
    session's token (a long run is a job polled at ``/planner/jobs/<id>``)."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    if not _same_origin():
        raise CrossSite("a site suggestion is asked for from the planner page only", "Origin")
    return coverage.sites_answer(str(session[sessions.WHO_KEY]), _page_job_url)


def _page_job_url(job_id: str) -> str:
    return url_for("planner.job", job_id=job_id)


@bp.get("/planner/jobs/<job_id>")
def job(job_id: str) -> Response:
    """A site suggestion job started from the page: its status, progress and result."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    return coverage.job_answer(job_id, _page_job_url)


@bp.get("/planner/session.json")
def session_state() -> Response:
    """Whether this browser is signed in to the planner (other admin pages use its session)."""
    return jsonify({"signed_in": _signed_in()})


@bp.get("/planner/report.json")
def report() -> Response:
    """The admin monitoring report (``/api/v1/admin/report``) for the signed-in planner: the
    report page uses the planner's session instead of asking for the token again."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    return report_answer()


@bp.route("/planner/embed-origins", methods=["GET", "POST", "DELETE"])
def embed_origins() -> Response:
    """The admin list of sites allowed to embed the widget (``/api/v1/admin/embed-origins``)
    for the signed-in planner: /admin/embed-origins uses the planner's session instead of
    asking for the token again. Changes come from our own pages only, recorded as the
    session's token."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    if request.method == "GET":
        return embed_origins_api.list_answer()
    if not _same_origin():
        raise CrossSite("the embed origins are changed from the admin page only", "Origin")
    by = f"token:{session[sessions.WHO_KEY]}"
    if request.method == "POST":
        return embed_origins_api.add_answer(by)
    return embed_origins_api.remove_answer(by)


@bp.get("/planner/export")
def export_file() -> Response:
    """The table as CSV, GeoJSON or GeoPackage."""
    if not _signed_in():
        raise SignInRequired("sign in at /planner first", "session")
    opts, _, scenario = _options()
    fmt = planning_requests.choice(request.args, "format", ("csv", "geojson", "gpkg"), "csv")
    df, analysis = planning_requests.measures_frame(opts, scenario)
    return planning_requests.export(df, analysis, opts["level"], fmt, planning_requests.meta_of(opts, scenario))


def _areas() -> list[tuple[str, str]]:
    """The 31 시군 and, under each city with 구, its 구, for the area menu."""
    from app.geo import admin

    infos = sorted(admin.gyeonggi_sigungu().values(), key=lambda i: i.sigungu_code)
    out: list[tuple[str, str]] = []
    for code, name in admin.gyeonggi_siguns().items():
        out.append((code, name))
        out.extend((i.sigungu_code, f"· {i.sigungu_name}") for i in infos
                   if i.sigun_code == code and i.gu_name)
    return out


def programme_kinds(service: dict) -> list[str]:
    """The provider kinds that run a service's programmes."""
    from app.reference import programmes

    return sorted({k for p in service.get("programmes", ()) for k in programmes()[p]["kinds"]})


def _secret_key(app: Flask) -> str:
    # One random key per instance folder, kept there: sessions survive restarts, and every
    # worker of one deployment signs with the same key.
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Register the planner routes; sessions need a secret key (made once per instance)."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # The cookie's signature lapses with the absolute lifetime too (the database decides first).
    app.config["PERMANENT_SESSION_LIFETIME"] = sessions.lifetimes(app)[1]
    app.session_interface = sessions.PlannerSessionInterface()
    app.extensions[_MAPS] = MapCache(int(app.config["PLANNER_MAP_CACHE_SIZE"]))
    app.extensions[_SHAPES] = ShapeCache(50_000)
    planning = app.extensions.get("dolbom_planning")
    if planning is not None and planning.cache_dir is None:  # the demand units, kept between runs
        planning.cache_dir = Path(app.instance_path) / "planning-cache"
    app.register_blueprint(bp)
    if planning is not None and _warm_at_start(app):
        # The first sign-in after a start finds the first page computed (or under way: the
        # page shows its progress line meanwhile); start-up does not wait for it.
        app.extensions[_WARMING + "_at_start"] = warm_up(app)
