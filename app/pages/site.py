"""Pages for people: the parents' map, the 언제나돌봄 programmes, the embeddable widget and its
builder; plus the local copies of Leaflet and the 시군구 outlines they use."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from markupsafe import Markup

from app.api.params import MAX_WINDOW
from app.assets import cache_file, version_of
from app.care.matching import request_horizon_config
from app.errors import ApiError, clip
from app.extensions.registry import get_registry
from app.geo import admin, area_names, gazetteer
from app.i18n import LANGUAGES, catalogue, current_language, translate
from app.live.embed_origins import origin_pattern
from app.pages import account_sessions as people
from app.reference import programmes_document
from app.search.locale import RegistryLocale
from app.search.model import KINDS, PROGRAMMES

bp = Blueprint("web", __name__)


def _vendor_dirs() -> dict[str, Path]:
    import xstatic.pkg.leaflet
    import xstatic.pkg.leaflet_markercluster

    return {"leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
            "markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)}


def _page_config(embed: dict | None = None) -> Markup:
    """Settings and messages for the page's script, as a JSON data block (not executed)."""
    cfg = current_app.config
    registry = get_registry()
    data = {
        "lang": current_language(),
        "messages": catalogue(current_language()),
        "tiles": {"url": cfg["TILE_URL"], "attribution": cfg["TILE_ATTRIBUTION"],
                  "maxZoom": cfg["TILE_MAX_ZOOM"]},
        "center": _centre(cfg["MAP_CENTER"], registry.locale),
        "zoom": cfg["MAP_ZOOM"],
        "kinds": list(KINDS),
        "programmes": list(PROGRAMMES),
        "synthetic": registry.synthetic,
        "timezone": registry.locale.timezone,  # "now", "tonight" are the registry's wall clock
        "embed": embed,
        "availability_fresh_minutes": cfg["AVAILABILITY_FRESH_MINUTES"],
        "walking_max_minutes": cfg["WALKING_MAX_MINUTES"],
        # How far ahead an emergency request may start: a card offers one only for a window it
        # can cover (map/text.js; app/reference/booking_rules.json, as the API checks it).
        "request_horizon": request_horizon_config(),
        # The custom window's limits, checked on the page as the API checks them (params.window).
        "search_window": {"past_days": cfg["SEARCH_WINDOW_PAST_DAYS"],
                          "ahead_days": cfg["SEARCH_WINDOW_AHEAD_DAYS"],
                          "max_days": MAX_WINDOW / timedelta(days=1)},
        "programmes_url": url_for("web.programmes_page", lang=current_language()),
        # The points the API searches from (min_lon, min_lat, max_lon, max_lat), to check a
        # link's home and work before searching (state.js linkProblem).
        "area": list(registry.locale.area),
        "area_name": translate("area_korea") if registry.locale.is_korea
        else registry.locale.area_name,
    }
    # </ cannot appear in the JSON text, so the data block cannot be closed early.
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return Markup(text)


def _centre(configured: tuple[float, float], locale: RegistryLocale) -> list[float]:
    """Where the map opens, [lat, lon]: ``MAP_CENTER`` for a Korean registry (경기도), else the
    middle of the registry's own area (a Toronto registry opens on Toronto)."""
    if locale.is_korea:
        return list(configured)
    min_lon, min_lat, max_lon, max_lat = locale.area
    return [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]


@bp.get("/")
def index() -> str:
    """The parents' map (its header links to the signed-in person's pages: _header_links)."""
    return render_template("map.html", page_config=_page_config(), registry=get_registry(),
                           **_header_links())


def _header_links() -> dict[str, bool]:
    """Which of the signed-in person's pages the map's header links to, as the family pages'
    header does: ``signed_in`` (내 계정) for anyone signed in, ``family_links`` (우리 가족) too
    for a guardian (may manage children). Neither for a visitor, nor when the sessions cannot
    be read (the map works without its database). A page with a session cookie is never
    cached (``app.security``)."""
    try:
        user = people.current_user()
        if user is None:
            return {"signed_in": False, "family_links": False}
        try:
            guardian = people.check("children.manage") is user
        except people.NotAllowed:
            guardian = False
    except ApiError:
        return {"signed_in": False, "family_links": False}
    return {"signed_in": True, "family_links": guardian}


@bp.get("/embed")
def embed() -> str | tuple[str, int]:
    """The compact widget for municipal sites, configured by URL parameters. A mistake in them
    (an unknown option, a value not allowed, an option given twice or empty) is a 400 page in
    the widget's language naming the option, the value and what is allowed: a web team must
    see it, not a widget silently showing all of 경기도."""
    siguns = admin.gyeonggi_sigungu()
    known = {i.sigungu_code for i in siguns.values()} | {i.sigun_code for i in siguns.values()}
    allowed: dict[str, tuple[Callable[[str], bool], str]] = {
        "region": (known.__contains__, translate("embed_allowed_region")),
        "limit": (("1", "true", "0", "false").__contains__, "1, true, 0, false"),
        "kind": (KINDS.__contains__, ", ".join(KINDS)),
        "programme": (PROGRAMMES.__contains__, ", ".join(PROGRAMMES)),
        "height": (lambda v: v.isascii() and v.isdigit() and 240 <= int(v) <= 1600, "240–1600"),
        "lang": (LANGUAGES.__contains__, ", ".join(LANGUAGES)),
    }
    for option in request.args:
        values = request.args.getlist(option)
        if option not in allowed:
            return _embed_error(translate("embed_error_unknown", option=clip(option),
                                          allowed=", ".join(allowed)))
        if len(values) > 1:
            return _embed_error(translate("embed_error_repeated", option=option))
        ok, what = allowed[option]
        if not ok(values[0]):
            return _embed_error(translate("embed_error_value", option=option,
                                          value=clip(values[0]), allowed=what))
    args = request.args
    height = int(args.get("height", "480"))
    embed_cfg = {
        "region": args.get("region"),
        "limitToRegion": args.get("limit") in ("1", "true"),
        "kind": args.get("kind"),
        "programme": args.get("programme"),
        "height": height,
    }
    return render_template("embed.html", page_config=_page_config(embed_cfg),
                           registry=get_registry(), height=height)


def _embed_error(message: str) -> tuple[str, int]:
    return render_template("embed.html", error=message, registry=get_registry()), 400


@bp.get("/embed/builder")
def embed_builder() -> str:
    """Where a municipal web team configures the widget and copies the iframe snippet."""
    regions = sorted({(i.sigun_code, i.sigun_name) for i in admin.gyeonggi_sigungu().values()}
                     | {(i.sigungu_code, i.sigungu_name)
                        for i in admin.gyeonggi_sigungu().values() if i.gu_name})
    if current_language() == "en":  # romanised names (the gazetteer's), sorted by code as in Korean
        english = area_names.english_sigungu_names()
        regions = [(code, english.get(code) or name) for code, name in regions]
    return render_template("embed_builder.html", regions=regions, kinds=KINDS,
                           programmes=PROGRAMMES, languages=LANGUAGES,
                           origin_pattern=origin_pattern(),
                           page_config=_page_config())


@bp.get("/programmes")
def programmes_page() -> str:
    """The three 언제나돌봄 programmes: who, when, where and how to apply."""
    doc = programmes_document()
    siguns = area_names.sigun_names(current_language())
    return render_template("programmes.html", doc=doc, siguns=siguns)


@bp.get("/provider")
def provider_page() -> str:
    """Where a centre's staff, with their token, see and update their places on a phone."""
    return render_template("provider.html", programmes=PROGRAMMES, page_config=_page_config(),
                           reason_max_chars=current_app.config["REPORT_MAX_REASON_CHARS"])


@bp.get("/admin/report")
def admin_report_page() -> str:
    """The monitoring report for admins (the token is asked for on the page)."""
    return render_template("admin_report.html", page_config=_page_config())


@bp.get("/vendor/<package>/<path:filename>")
@bp.get("/vendor/<package>/v/<version>/<path:filename>")
def vendor(package: str, filename: str, version: str | None = None) -> Response:
    """Leaflet and its plugin from their Python packages: no CDN, works offline. Under the
    package folder's current hash (``url_for`` puts it in), cached for a year; else one day."""
    folder = _vendor_dirs().get(package)
    if folder is None:
        abort(404)
    return cache_file(send_from_directory(folder, filename), folder, version, 86400)


@bp.url_defaults
def _versioned_vendor(endpoint: str, values: dict[str, Any]) -> None:
    folder = _vendor_dirs().get(values.get("package", "")) if endpoint == "web.vendor" else None
    if folder is not None and "version" not in values:
        values["version"] = version_of(folder)


@bp.get("/geo/gyeonggi-sigungu.geojson")
def sigungu_outlines() -> Response:
    """The 44 경기도 시군구 outlines (simplified), drawn when no base map tiles load."""
    return Response(gazetteer.boundaries_geojson(), mimetype="application/geo+json",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    """Liveness, what is loaded, and whether the availability database answers."""
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    from app.extensions.db import get_engine

    registry = get_registry()
    try:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        database = "ok"
    except DBAPIError:
        database = "unreachable"
    body = {"status": "ok" if database == "ok" else "degraded",
            "facilities": len(registry.facilities), "synthetic": registry.synthetic,
            "database": database}
    return body, 200 if database == "ok" else 503


def init_app(app: Flask) -> None:
    """Register the page routes."""
    app.register_blueprint(bp)
