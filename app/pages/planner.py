"""The planners' page (``/planner``): a folium choropleth of a chosen measure, desert layers by
time of day, a sortable table, scenario editing on the map, and exports.

Admins sign in with their admin token once (a signed session cookie, HttpOnly, SameSite=Strict,
naming a session kept in the shared database: ``app.pages.planner_sessions``); every page, map script and
export checks it, and the session ends with its token, at sign-out and after its idle and
absolute lifetimes.
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pandas as pd
from cachetools import LRUCache
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response as BaseResponse

from app.api import planning_requests
from app.domain import DomainError
from app.errors import ApiError, InvalidParameter
from app.extensions.db import get_engine
from app.extensions.planning import get_planning
from app.extensions.registry import get_registry
from app.i18n import catalogue, current_language
from app.live import tokens
from app.pages import planner_sessions as sessions
from app.pages.planner_map import MEASURES, build_map, split
from app.planning.scenario import Scenario
from app.planning.settings import periods, planning_settings, services
from app.planning.shapes import level_shapes
from app.planning.tables import records

bp = Blueprint("planner", __name__)


class SignInRequired(ApiError):
    """A planner file asked for without a session (answered in the API's JSON envelope)."""

    status = 401
    code = "unauthorized"
_MAPS = "dolbom_planner_maps"  # app.extensions key of this app's MapCache


class MapCache:
    """The planner's built maps (folium div and script: the page and its script share one
    build), per app, at most ``size`` of them, safe under threads. A map is kept with the
    registry it was drawn from and used only while that registry is current: after a reload
    it is drawn again (the registry is held, so its id cannot pass to a later one)."""

    def __init__(self, size: int) -> None:
        self._maps: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: str, registry: object) -> tuple[str, str] | None:
        """The map under ``key`` drawn from this ``registry``, or None."""
        with self._lock:
            found = self._maps.get(key)
        if found is None or found[0] is not registry:
            return None
        return found[1]

    def put(self, key: str, registry: object, div: str, script: str) -> None:
        """Keep a map (the least recently used one goes when full)."""
        with self._lock:
            self._maps[key] = (registry, (div, script))


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
    cache.put(key, registry, div, script)
    return div, script, df


@bp.get("/planner")
def page() -> str | tuple[str, int]:
    """The planner page (the sign-in form when not signed in)."""
    if not _signed_in():
        return _login_page(None)
    try:
        opts, measure, scenario = _options()
        div, _, df = _build(opts, measure, scenario)
        error = None
    except (ApiError, DomainError) as exc:
        opts, measure, scenario, div, df = None, None, None, "", None
        error = exc.message if isinstance(exc, ApiError) else str(exc)
    lang = current_language()
    query = request.query_string.decode()
    rows = [] if df is None else records(df)
    page_config = {
        "lang": lang, "messages": catalogue(lang), "map": "map_planner",
        "service": opts["service"] if opts else "daycare",
        "scenario": scenario.to_json() if scenario else {"add": [], "close": [], "resize": []},
        "services": {k: v for k, v in services().items() if not v.get("comes_to_family")},
        "hours_presets": {k: v[f"name_{lang}"] for k, v in planning_settings()["hours_presets"].items()},
        "kinds": {k: v.get("kinds") or programme_kinds(v) for k, v in services().items()},
    }
    return render_template(
        "planner.html", opts=opts, measure=measure, measures=MEASURES, rows=rows, map_div=Markup(div),
        error=error, services=services(), periods=periods(), levels=get_planning().units.levels(),
        map_script=url_for("planner.map_script") + "?" + query,
        exports={f: url_for("planner.export_file") + "?" + urlencode(
            {**request.args.to_dict(), "format": f}) for f in ("csv", "geojson", "gpkg")},
        page_config=Markup(json.dumps(page_config, ensure_ascii=False).replace("</", "<\\/")),
        synthetic=get_planning().synthetic or get_registry().synthetic, areas=_areas(),
        thresholds=planning_settings()["coverage_thresholds_m"])


@bp.get("/planner/map.js")
def map_script() -> Response:
    """The folium map's script for the same query as the page."""
    if not _signed_in():
        return Response("// sign in first\n", status=401, mimetype="application/javascript")
    opts, measure, scenario = _options()
    _, script, _ = _build(opts, measure, scenario)
    return Response(script, mimetype="application/javascript",
                    headers={"Cache-Control": "private, no-store"})


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
    app.register_blueprint(bp)
