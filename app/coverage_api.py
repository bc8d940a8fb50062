"""Planners' API (``/api/v1/coverage``): measures per area, scenario comparisons and site
suggestions, for admin tokens; the same envelope for every error as the rest of the API."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from flask import Blueprint, Flask, Response, jsonify, request

from app.errors import InvalidParameter
from app.geo.crs import from_metric, to_metric
from app.openapi import Param, documented
from app.planning.analysis import LEVELS, Analysis, Parameters
from app.planning.scenario import Scenario, ScenarioError, compare, parse_scenario
from app.planning.settings import periods, planning_settings, services
from app.planning.shapes import level_shapes
from app.planning.sites import METHODS, SiteError, suggest_sites
from app.planning.supply import SUPPLY_VALUES
from app.planning_store import get_planning
from app.providers_api import Forbidden, _principal
from app.store import get_index, get_registry

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")
EXPORT_FORMATS = ("json", "geojson", "csv", "gpkg")
MAX_BODY_BYTES = 256 * 1024


def require_admin() -> None:
    """401 without a valid token, 403 for a provider's token."""
    who = _principal()
    if who.role != "admin":
        raise Forbidden("planning data is for admin tokens", "Authorization")


def _choice(args, name: str, allowed, default: str) -> str:
    value = args.get(name, default)
    if value not in allowed:
        raise InvalidParameter(f"{name} must be one of {', '.join(allowed)}", name)
    return value


def query_options(args) -> dict:
    """The service, period, level, supply value and area filter of a request."""
    planning = get_planning()
    opts = {"service": _choice(args, "service", list(services()), "daycare"),
            "period": _choice(args, "period", list(periods()), "day"),
            "level": _choice(args, "level", planning.units.levels(), "sigungu"),
            "supply": _choice(args, "supply", SUPPLY_VALUES, "capacity")}
    area = args.get("area") or None
    if area is not None and not (area.isdigit() and len(area) in (5, 8)):
        raise InvalidParameter("area must be a 5-digit 시군구 or 8-digit 읍면동 code", "area")
    opts["area"] = area
    return opts


def parse_scenario_text(text: str | None) -> Scenario:
    """A scenario from its JSON text (a query parameter or a form field)."""
    if not text:
        return Scenario()
    if len(text) > MAX_BODY_BYTES:
        raise InvalidParameter("the scenario is too long", "scenario")
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidParameter("scenario must be JSON: {\"add\": [...], \"close\": [...], "
                               "\"resize\": [...]}", "scenario") from None
    return checked_scenario(data)


def checked_scenario(data) -> Scenario:
    """A scenario checked against the registry; 400 naming the part at fault."""
    try:
        return parse_scenario(data, get_index().by_id)
    except ScenarioError as exc:
        raise InvalidParameter(str(exc), f"scenario.{exc.field}") from None


def measures_frame(opts: dict, scenario: Scenario) -> tuple[pd.DataFrame, Analysis]:
    """The measures table for the options, filtered to the area when one is given."""
    analysis = get_planning().analysis(scenario, Parameters.defaults(supply_value=opts["supply"]))
    df = analysis.measures(opts["service"], opts["period"], opts["level"])
    if opts.get("area"):
        df = _in_area(df, analysis, opts["level"], opts["area"])
    return df, analysis


def _in_area(df: pd.DataFrame, analysis: Analysis, level: str, area: str) -> pd.DataFrame:
    if level == "grid":
        u = analysis.units
        cells = {c for c, s, a in zip(u.cell_id, u.sigungu_code, u.area_code, strict=True)
                 if (s.startswith(area[:5]) and (len(area) == 5 or a == area))
                 or _sigun(s) == area}
        return df[df["key"].isin(cells)]
    return df[df["key"].str.startswith(area[:5]) | (df["key"].map(_sigun) == area)]


def _sigun(code: str) -> str:
    from app.geo.admin import sigun_of

    return sigun_of(code[:5])


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON objects: NaN and unknown as null."""
    out = []
    for row in df.to_dict(orient="records"):
        out.append({k: (None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                        else bool(v) if isinstance(v, (bool, np.bool_))
                        else float(v) if isinstance(v, (np.floating, float)) else v)
                    for k, v in row.items()})
    return out


def export(df: pd.DataFrame, analysis: Analysis, level: str, fmt: str, meta: dict) -> Response:
    """The measures as JSON, GeoJSON, CSV or GeoPackage."""
    if fmt == "json":
        return jsonify({"meta": meta, "rows": records(df)})
    if fmt == "csv":
        body = df.to_csv(index=False)
        return Response("\ufeff" + body, mimetype="text/csv",  # BOM: Excel reads Hangul
                        headers={"Content-Disposition": f'attachment; filename="{_name(meta)}.csv"'})
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(df.reset_index(drop=True),
                           geometry=level_shapes(analysis.units, level, list(df["key"])),
                           crs="EPSG:4326")
    if fmt == "geojson":
        doc = json.loads(gdf.to_json(na="null", drop_id=True))
        doc["meta"] = meta
        return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/geo+json")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "measures.gpkg"
        gdf["desert"] = gdf["desert"].astype("float")  # GeoPackage has no nullable boolean
        gdf.to_file(path, layer=_name(meta), driver="GPKG")
        data = path.read_bytes()
    return Response(data, mimetype="application/geopackage+sqlite3",
                    headers={"Content-Disposition": f'attachment; filename="{_name(meta)}.gpkg"'})


def _name(meta: dict) -> str:
    return f"coverage-{meta['service']}-{meta['period']}-{meta['level']}"


def meta_of(opts: dict, scenario: Scenario) -> dict:
    """What the rows are: the options, the demand layer and whether it is synthetic."""
    planning = get_planning()
    return {**opts, "scenario": scenario.to_json(), "week_of": str(_week()),
            "demand_synthetic": planning.synthetic, "registry_synthetic": get_registry().synthetic,
            "settings": {k: planning_settings()[k] for k in ("coverage_thresholds_m", "fca", "desert")}}


def _week():
    from app.planning_store import week_of

    return week_of()


def _options_params(app: Flask) -> list[Param]:
    return [
        Param("service", {"type": "string", "enum": list(services())}, "kind of care (default daycare)"),
        Param("period", {"type": "string", "enum": list(periods())}, "time of day (default day)"),
        Param("level", {"type": "string", "enum": list(LEVELS)}, "grid, emd (읍면동) or sigungu"),
        Param("supply", {"type": "string", "enum": list(SUPPLY_VALUES)}, "capacity or fresh vacancies"),
        Param("area", {"type": "string", "pattern": "^[0-9]{5}([0-9]{3})?$"},
              "only rows inside this 시군구 (5 digits) or 읍면동 (8 digits)"),
        Param("scenario", {"type": "string"}, "a what-if scenario as JSON (add/close/resize)"),
        Param("format", {"type": "string", "enum": list(EXPORT_FORMATS)}, "json (default), geojson, csv, gpkg"),
    ]


@bp.get("/options")
@documented("What the planning measures can be computed for (admin)", lambda app: [],
            "CoverageOptions", errors=(401, 403, 503), secured=True)
def options():
    """Services, periods, levels and settings."""
    require_admin()
    s = planning_settings()
    return jsonify({"services": s["services"], "periods": s["periods"],
                    "levels": list(get_planning().units.levels()),
                    "hours_presets": {k: {kk: vv for kk, vv in v.items() if kk != "hours"}
                                      for k, v in s["hours_presets"].items()},
                    "settings": {k: s[k] for k in ("coverage_thresholds_m", "fca", "desert",
                                                   "site_suggestion")}})


@bp.get("/measures")
@documented("Coverage, 2SFCA/E2SFCA and care deserts per area (admin)", _options_params,
            "CoverageMeasures", errors=(400, 401, 403, 503), secured=True)
def measures():
    """One row per area for a service and a period (optionally under a scenario)."""
    require_admin()
    opts = query_options(request.args)
    fmt = _choice(request.args, "format", EXPORT_FORMATS, "json")
    scenario = parse_scenario_text(request.args.get("scenario"))
    df, analysis = measures_frame(opts, scenario)
    return export(df, analysis, opts["level"], fmt, meta_of(opts, scenario))


def _json_body() -> dict:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body is larger than {MAX_BODY_BYTES} bytes", "body")
    if not request.is_json:
        raise InvalidParameter("send JSON (Content-Type: application/json)", "Content-Type")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidParameter("the body must be a JSON object", "body")
    return data


@bp.post("/compare")
@documented("A scenario against the baseline, per area (admin)", lambda app: [],
            "CoverageComparison", method="post", body="CoverageRequest",
            errors=(400, 401, 403, 503), secured=True)
def compare_scenario():
    """Body: ``{"service", "period", "level", "supply", "area", "scenario"}``."""
    require_admin()
    data = _json_body()
    opts = query_options({k: v for k, v in data.items() if isinstance(v, str)})
    scenario = checked_scenario(data.get("scenario") or {})
    base, _ = measures_frame(opts, Scenario())
    changed, _ = measures_frame(opts, scenario)
    result = compare(base, changed)
    return jsonify({"meta": meta_of(opts, scenario), "summary": result.summary,
                    "rows": records(result.table)})


@bp.post("/sites")
@documented("Where p new centres cover the most children (admin)", lambda app: [],
            "SiteSuggestion", method="post", body="SitesRequest",
            errors=(400, 401, 403, 503), secured=True)
def sites():
    """Body: ``{"service", "period", "p", "radius_m", "candidates"?, "method"?, "scenario"?}``;
    candidates are ``[[lon, lat], …]`` or, by default, the centres of the demand grid cells."""
    require_admin()
    data = _json_body()
    opts = query_options({k: v for k, v in data.items() if isinstance(v, str)})
    limits = planning_settings()["site_suggestion"]
    p = data.get("p", 10)
    if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= limits["max_p"]:
        raise InvalidParameter(f"p must be a whole number from 1 to {limits['max_p']}", "p")
    radius = data.get("radius_m", limits["radius_m"])
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not (
            math.isfinite(radius) and 0 < radius <= limits["max_radius_m"]):
        raise InvalidParameter(f"radius_m must be a distance in metres, 0 < radius_m <= "
                               f"{limits['max_radius_m']}", "radius_m")
    method = data.get("method", "auto")
    if method not in METHODS:
        raise InvalidParameter(f"method must be one of {', '.join(METHODS)}", "method")
    scenario = checked_scenario(data.get("scenario") or {})
    analysis = get_planning().analysis(scenario, Parameters.defaults(supply_value=opts["supply"]))
    if services()[opts["service"]].get("comes_to_family"):
        raise InvalidParameter("home-visit providers serve areas, not sites; choose a centre "
                               "service", "service")
    um = analysis.unit_measures(opts["service"], opts["period"])
    u = analysis.units
    candidates = data.get("candidates")
    if candidates is None:
        cand_xy = analysis.grid_candidates(opts["service"], opts["period"], limits["max_candidates"])
    else:
        cand_xy = _candidate_points(candidates, limits["max_candidates"])
    try:
        result = suggest_sites(np.column_stack([u.x_m, u.y_m]), um.children,
                               np.column_stack([um.supply.x_m, um.supply.y_m]), cand_xy,
                               float(radius), p, method=method)
    except SiteError as exc:
        raise InvalidParameter(str(exc), "p") from None
    lon, lat = from_metric(cand_xy[result.chosen, 0], cand_xy[result.chosen, 1])
    return jsonify({
        "meta": meta_of(opts, scenario) | {"p": p, "radius_m": radius, "candidates": len(cand_xy)},
        "method": result.method, "proven_optimal": result.proven_optimal,
        "children": result.total_children, "covered_before": result.covered_before,
        "covered_after": result.covered_after, "share_before": result.share_before,
        "share_after": result.share_after,
        "sites": [{"lon": round(float(a), 6), "lat": round(float(b), 6), "newly_covered": float(n)}
                  for a, b, n in zip(np.atleast_1d(lon), np.atleast_1d(lat), result.newly_covered,
                                     strict=True)]})


def _candidate_points(candidates, max_n: int) -> np.ndarray:
    ok = isinstance(candidates, list) and 1 <= len(candidates) <= max_n and all(
        isinstance(c, list) and len(c) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in c)
        for c in candidates)
    if not ok:
        raise InvalidParameter(f"candidates must be 1 to {max_n} [lon, lat] pairs", "candidates")
    arr = np.array(candidates, float)
    if not ((arr[:, 0] >= 124) & (arr[:, 0] <= 132) & (arr[:, 1] >= 33) & (arr[:, 1] <= 39)).all():
        raise InvalidParameter("candidates must lie in Korea (lon 124–132, lat 33–39)", "candidates")
    x, y = to_metric(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y])


def init_app(app: Flask) -> None:
    """Register the planners' API."""
    app.register_blueprint(bp)
