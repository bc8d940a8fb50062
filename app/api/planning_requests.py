"""What the planners' API and the planner page both read from a request about planning data:
the options (service, period, level, supply, area), the analysis parameters, a scenario, and the
measures table in the format asked for. Errors of the planning core become API errors here."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import pandas as pd
from flask import Response, current_app, jsonify

from app.api.jsonsafe import loads as json_loads
from app.api.params import number
from app.errors import ApiError, InvalidParameter
from app.extensions.planning import get_planning
from app.extensions.registry import get_index, get_registry
from app.geo.admin import sigun_of
from app.planning import export as planning_export
from app.planning.analysis import Analysis, Parameters
from app.planning.demand import DemandError
from app.planning.scenario import Scenario, ScenarioError, parse_scenario
from app.planning.settings import periods, services
from app.planning.supply import SUPPLY_VALUES
from app.planning.tables import in_area, records

EXPORT_FORMATS = ("json", "geojson", "csv", "gpkg")
MAX_BODY_BYTES = 256 * 1024
AREA_PATTERN = "^[0-9]{5}([0-9]{3})?$"
#: What each media type of ``/measures`` is (the OpenAPI document and the responses agree).
MEDIA = {"json": "application/json", "geojson": "application/geo+json", "csv": "text/csv",
         "gpkg": "application/geopackage+sqlite3"}


class PlanningUnavailable(ApiError):
    """The demand layer cannot be read (a server-side file problem, told to the admin)."""

    status = 503
    code = "planning_data_unavailable"


@contextlib.contextmanager
def planning_errors() -> Iterator[None]:
    """A demand file that cannot be read is the server's problem: a 503 saying why (any other
    planning error is a 400 naming its field, by the one DomainError handler)."""
    try:
        yield
    except DemandError as exc:
        raise PlanningUnavailable(f"the planning demand layer cannot be read: {exc}",
                                  "PLANNING_DEMAND_PATH") from None


def choice(args: Mapping[str, Any], name: str, allowed: Collection[str], default: str) -> str:
    """``args[name]`` (default ``default``) when it is one of ``allowed``; else a 400."""
    value = args.get(name, default)
    if value not in allowed:
        raise InvalidParameter(f"{name} must be one of {', '.join(allowed)}", name,
                               reason="unknown_value")
    return value


def query_options(args: Mapping[str, Any]) -> dict[str, Any]:
    """The service, period, level, supply value and area filter of a request."""
    planning = get_planning()
    with planning_errors():
        levels = planning.units.levels()
    opts: dict[str, Any] = {"service": choice(args, "service", list(services()), "daycare"),
            "period": choice(args, "period", list(periods()), "day"),
            "level": choice(args, "level", levels, "sigungu"),
            "supply": choice(args, "supply", SUPPLY_VALUES, "capacity")}
    area = args.get("area") or None
    if area is not None and not re.fullmatch(AREA_PATTERN, area):
        raise InvalidParameter("area must be a 5-digit 시군구 or 8-digit 읍면동 code", "area",
                               reason="not_a_code")
    opts["area"] = area
    return opts


def area_codes() -> list[str] | None:
    """Every ``area`` the planners' API accepts, from the demand layer the requests are checked
    against: its 시군구 codes, the 시 codes that take in 일반구, and its 읍면동 codes (an 읍면동
    in its 시군구, so every level has rows of it). ``None`` when the layer cannot be read (the
    document then gives the pattern; the requests answer 503 anyway). Kept per demand layer."""
    try:
        units = get_planning().units
    except DemandError:
        return None
    cache = current_app.extensions.setdefault("planning_area_codes", {})
    held = cache.get("codes")
    if held is not None and held[0] is units:
        return held[1]
    pairs = set(zip(units.sigungu_code.astype(str), units.area_code.astype(str), strict=True))
    sigungu = {s for s, _ in pairs}
    codes = sigungu | {sigun_of(s) for s in sigungu} | \
        {a for s, a in pairs if len(a) == 8 and s.startswith(a[:5])}
    found = sorted(c for c in codes if re.fullmatch(AREA_PATTERN, c))
    cache["codes"] = (units, found)
    return found


def area_schema() -> dict[str, Any]:
    """The JSON schema of ``area``: an enum of :func:`area_codes` (the pattern when the demand
    layer cannot be read)."""
    codes = area_codes()
    if codes is None:
        return {"type": "string", "pattern": AREA_PATTERN}
    return {"type": "string", "enum": codes}


def _number_list(args: Mapping[str, Any], name: str) -> tuple[float, ...] | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    parts = [p.strip() for p in str(raw).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InvalidParameter(f"{name} must be numbers separated by commas, e.g. "
                               "500,1000,1500", name) from None
    if not values or len(values) > 10 or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(f"{name} must be 1 to 10 finite numbers separated by commas",
                               name)
    return values


def analysis_parameters(source: Mapping[str, Any], supply: str, from_query: bool) -> Parameters:
    """The analysis parameters of a request: the 2SFCA catchment, the E2SFCA bands and weights
    and the desert thresholds (each optional, else the ``planning.json`` default); a 400
    naming the one at fault."""
    if from_query:
        given = {"catchment_m": number(source, "catchment_m"),
                 "bands_m": _number_list(source, "bands_m"),
                 "weights": _number_list(source, "weights"),
                 "min_children": number(source, "min_children"),
                 "max_children_per_place": number(source, "max_children_per_place")}
    else:
        given = {k: (tuple(source[k]) if isinstance(source.get(k), list) else source.get(k))
                 for k in ("catchment_m", "bands_m", "weights", "min_children",
                           "max_children_per_place")}
    with planning_errors():
        return Parameters.defaults(supply_value=supply, **given)


def parse_scenario_text(text: str | None) -> Scenario:
    """A scenario from its JSON text (a query parameter or a form field)."""
    if not text:
        return Scenario()
    if len(text) > MAX_BODY_BYTES:
        raise InvalidParameter("the scenario is too long", "scenario")
    try:
        data = json_loads(text)
    except ValueError:
        raise InvalidParameter("scenario must be JSON: {\"add\": [...], \"close\": [...], "
                               "\"resize\": [...]}", "scenario") from None
    return checked_scenario(data)


def checked_scenario(data: Any) -> Scenario:
    """A scenario checked against the registry; 400 naming the part at fault."""
    try:
        return parse_scenario(data, get_index().by_id)
    except ScenarioError as exc:
        raise InvalidParameter(str(exc), f"scenario.{exc.field}") from None


def measures_frame(opts: dict, scenario: Scenario, params: Parameters | None = None
                   ) -> tuple[pd.DataFrame, Analysis]:
    """The measures table for the options, filtered to the area when one is given."""
    params = params or Parameters.defaults(supply_value=opts["supply"])
    with planning_errors():
        analysis = get_planning().analysis(scenario, params)
        df = analysis.measures(opts["service"], opts["period"], opts["level"])
    if opts.get("area"):
        df = in_area(df, analysis.units, opts["level"], opts["area"])
        if df.empty:
            raise unknown_area(opts["area"], opts["level"], bool(analysis.in_area(opts["area"]).any()))
    return df, analysis


def unknown_area(area: str, level: str, has_demand: bool) -> InvalidParameter:
    """The 400 for a well-formed ``area`` with no rows at ``level``: not an area of the demand
    layer (e.g. a code of another 시도), or an area without rows at that level."""
    listing = ("the planner page's area menu lists the 시군구; GET /api/v1/coverage/measures?"
               "level=sigungu (or level=emd) lists every area's key")
    if not has_demand:
        exc = InvalidParameter(
            f"area {area} is not an area of the demand layer: give a 경기도 시군구 (5 digits, e.g. "
            f"41110) or 읍면동 (8 digits) code that the layer has ({listing})", "area",
            reason="unknown_area")
    else:
        exc = InvalidParameter(
            f"area {area} has no rows at level {level}: choose another level, or a 경기도 시군구 "
            f"(5 digits) or 읍면동 (8 digits) code with demand at this level ({listing})", "area",
            reason="no_rows_at_level")
    exc.extra = {"value": area}  # type: ignore[attr-defined]  # the page names the code sent
    return exc


def export(df: pd.DataFrame, analysis: Analysis, level: str, fmt: str, meta: dict) -> Response:
    """The measures as JSON, GeoJSON, CSV (every text cell neutralised against formula
    injection, :mod:`app.csvsafe`) or GeoPackage (:mod:`app.planning.export`); GeoJSON and
    GeoPackage hold at most ``PLANNING_SHAPES_MAX_ROWS`` areas (a 400 naming the limit beyond)."""
    if fmt == "json":
        return jsonify({"meta": meta, "rows": records(df)})
    if fmt == "csv":
        return Response(planning_export.csv_text(df), mimetype=MEDIA["csv"],
                        headers={"Content-Disposition": f'attachment; filename="{_name(meta)}.csv"'})
    limit = int(current_app.config.get("PLANNING_SHAPES_MAX_ROWS", 10_000))
    if len(df) > limit:
        raise InvalidParameter(
            f"a {fmt} export holds at most {limit:,} areas (setting PLANNING_SHAPES_MAX_ROWS); "
            f"this one has {len(df):,}: give area=<a 시군구 code> or use format=csv or json",
            "format")
    if fmt == "geojson":
        return Response(planning_export.to_geojson(df, analysis.units, level, meta),
                        mimetype=MEDIA["geojson"])
    data = planning_export.to_gpkg(df, analysis.units, level, layer=_name(meta))
    return Response(data, mimetype=MEDIA["gpkg"],
                    headers={"Content-Disposition": f'attachment; filename="{_name(meta)}.gpkg"'})


def _name(meta: dict) -> str:
    return f"coverage-{meta['service']}-{meta['period']}-{meta.get('level', 'sites')}"


def meta_of(opts: dict, scenario: Scenario, params: Parameters | None = None) -> dict:
    """What the rows are: the options, the parameters used, the demand layer (with how many
    suppressed counts and gap rows it had) and whether it is synthetic."""
    planning = get_planning()
    params = params or Parameters.defaults(supply_value=opts.get("supply", "capacity"))
    return {**opts, "scenario": scenario.to_json(), "week_of": str(planning.week_of()),
            "demand_synthetic": planning.synthetic, "registry_synthetic": get_registry().synthetic,
            "demand": planning.units.report.as_dict(),
            "settings": {"coverage_thresholds_m": list(params.thresholds_m),
                         "fca": {"catchment_m": params.catchment_m,
                                 "bands_m": list(params.bands_m), "weights": list(params.weights)},
                         "desert": {"min_children": params.min_children,
                                    "max_children_per_place": params.max_children_per_place}}}
