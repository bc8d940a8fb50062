"""Planners' API (``/api/v1/coverage``): measures per area, scenario comparisons and site
suggestions, for admin tokens; the same envelope for every error as the rest of the API.

Every request is bounded so none runs near the worker timeout (settings in ``app/config.py``):
a site suggestion's work is estimated first (candidate–demand pairs within ``radius_m``, from a
sample, in milliseconds); too big is a 400 naming the limit, small greedy ones answer at once,
the rest run as background jobs (202 + ``Location: /api/v1/coverage/jobs/<id>``, see
``app/api/planning_jobs.py``). Floating catchments and shape exports have limits of their own.

JSON bodies are checked against the same schemas the OpenAPI document shows (JSON Schema draft
4, the dialect of OpenAPI 3.0, with the ``jsonschema`` library): a field of the wrong type, an
unknown field or a value out of range is a 400 naming the field and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from app.api import planning_jobs
from app.api.auth import require_role
from app.api.openapi import Param, allowed_text, documented
from app.api.planning_requests import (
    EXPORT_FORMATS,
    MAX_BODY_BYTES,
    MEDIA,
    analysis_parameters,
    area_schema,
    checked_scenario,
    choice,
    export,
    measures_frame,
    meta_of,
    parse_scenario_text,
    planning_errors,
    query_options,
)
from app.errors import InvalidParameter, NotFound
from app.extensions.db import get_engine
from app.extensions.planning import get_planning
from app.geo.crs import to_metric
from app.geo.korea import KOREA_LAT_RANGE, KOREA_LON_RANGE
from app.planning.analysis import LEVELS, Parameters
from app.planning.scenario import Scenario, compare
from app.planning.settings import periods, planning_settings, services
from app.planning.sites import METHODS, Progress
from app.planning.siting import SitePlan, plan_sites, run_sites
from app.planning.supply import SUPPLY_VALUES
from app.planning.tables import records
from app.registry.text import TextRuleError, TextRules

if TYPE_CHECKING:
    from werkzeug.local import LocalProxy

    from app.live.tokens import Principal

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")
JOB_ID_PATTERN = "^[A-Za-z0-9_-]{8,64}$"


def require_admin() -> Principal:
    """The admin's principal; 401 without a valid token, 403 for a provider's token."""
    return require_role("admin", "planning data")


# --- request schemas: the OpenAPI document's and the checks' -------------------------------
def _limits() -> dict:
    return planning_settings()["site_suggestion"]


def _option_fields() -> dict[str, dict]:
    return {
        "service": {"type": "string", "enum": list(services()), "description": "kind of care"},
        "period": {"type": "string", "enum": list(periods()), "description": "time of day"},
        "supply": {"type": "string", "enum": list(SUPPLY_VALUES),
                   "description": "capacity or fresh reported vacancies"},
        "area": {**area_schema(),
                 "description": "a 5-digit 시군구 or 8-digit 읍면동 code of the demand layer"},
        "scenario": scenario_schema(),
    }


def scenario_schema() -> dict:
    """A what-if scenario (``app.planning.scenario.parse_scenario`` checks the same, and what
    no schema can say: an added centre in 경기도, the ids of the registry's providers)."""
    s = planning_settings()
    most, cap = s["scenario"]["max_changes"], s["scenario"]["max_capacity"]
    centre_services = [k for k, v in services().items() if not v.get("comes_to_family")]
    (lon_min, lon_max), (lat_min, lat_max) = KOREA_LON_RANGE, KOREA_LAT_RANGE
    add = {"type": "object", "required": ["lon", "lat", "service", "capacity"], "properties": {
        "lon": {"type": "number", "minimum": lon_min, "maximum": lon_max},
        "lat": {"type": "number", "minimum": lat_min, "maximum": lat_max},
        "service": {"type": "string", "enum": centre_services},
        "capacity": {"type": "integer", "minimum": 1, "maximum": cap},
        "hours_preset": {"type": "string", "enum": list(s["hours_presets"])}},
        "description": "a new centre at (lon, lat) in 경기도"}
    resize = {"type": "object", "required": ["id", "capacity"], "properties": {
        "id": {"type": "string", "description": "a provider of the registry"},
        "capacity": {"type": "integer", "minimum": 0, "maximum": cap}}}
    return {"type": "object", "additionalProperties": False,
            "description": f"a what-if scenario: add, close, resize (at most {most} changes in "
                           "all)",
            "properties": {"add": {"type": "array", "maxItems": most, "items": add},
                           "close": {"type": "array", "maxItems": most,
                                     "items": {"type": "string", "description":
                                               "the id of a provider of the registry"}},
                           "resize": {"type": "array", "maxItems": most, "items": resize}}}


def _fca_fields() -> dict[str, dict]:
    from app.planning import analysis as a

    return {
        "catchment_m": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                        "maximum": a.MAX_DISTANCE_M,
                        "description": "the 2SFCA catchment in metres (default "
                                       f"{planning_settings()['fca']['catchment_m']})"},
        "bands_m": {"type": "array", "minItems": 1, "maxItems": 10,
                    "items": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                              "maximum": a.MAX_DISTANCE_M},
                    "description": "E2SFCA distance bands in metres, increasing (default "
                                   f"{planning_settings()['fca']['bands_m']})"},
        "weights": {"type": "array", "minItems": 1, "maxItems": 10,
                    "items": {"type": "number", "minimum": 0, "maximum": a.MAX_WEIGHT},
                    "description": "one E2SFCA weight per band (default "
                                   f"{planning_settings()['fca']['weights']})"},
        "min_children": {"type": "number", "minimum": 0, "maximum": a.MAX_CHILDREN,
                         "description": "care desert: more children than this"},
        "max_children_per_place": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                   "maximum": a.MAX_CHILDREN_PER_PLACE,
                                   "description": "care desert: more children per place"},
    }


def compare_schema() -> dict:
    """The JSON body of ``POST /compare``."""
    return {"type": "object", "additionalProperties": False, "properties": {
        **_option_fields(),
        "level": {"type": "string", "enum": list(LEVELS), "description": "grid, emd or sigungu"},
        **_fca_fields()}}


def sites_schema() -> dict:
    """The JSON body of ``POST /sites``."""
    lim = _limits()
    rules = TextRules.from_config(current_app.config)
    pair = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"},
            "description": "[lon, lat] in WGS84 degrees, in Korea"}
    named = {"type": "object", "required": ["lon", "lat"], "additionalProperties": False,
             "description": "a candidate with its id and name (the registry's text rules: "
                            "the name loses control, format and invisible characters)",
             "properties": {"lon": {"type": "number"}, "lat": {"type": "number"},
                            "id": {"type": "string", "pattern": f"^(?:{rules.id_pattern})$",
                                   "maxLength": rules.id_max_chars,
                                   "description": "an id as the registry's: letters, digits, "
                                                  ". _ : - (no '/' or spaces), at most "
                                                  f"{rules.id_max_chars} characters"},
                            "name": {"type": "string", "maxLength": rules.name_max_chars}}}
    point = {"oneOf": [pair, named]}
    centre_services = [k for k, v in services().items() if not v.get("comes_to_family")]
    return {"type": "object", "additionalProperties": False, "properties": {
        **_option_fields(),
        "service": {"type": "string", "enum": centre_services,
                    "description": "a kind of care at a centre (home-visit providers serve "
                                   "areas, not sites)"},
        "p": {"type": "integer", "minimum": 1, "maximum": lim["max_p"],
              "description": "how many new sites"},
        "radius_m": {"type": "number", "minimum": 1, "maximum": lim["max_radius_m"],
                     "description": "a site covers children within this many metres"},
        "method": {"type": "string", "enum": list(METHODS), "description": "greedy, exact or auto"},
        "candidates": {"type": "array", "minItems": 1, "maxItems": lim["max_candidates"],
                       "items": point, "description": "candidate sites; default: grid cells"},
        "n_candidates": {"type": "integer", "minimum": 1, "maximum": lim["max_candidates"],
                         "description": "grid cells with the most children to try as sites "
                                        f"when no candidates are given (default "
                                        f"{lim['max_candidates']})"},
    }}


def _field_name(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _describe(schema: dict[str, Any]) -> str:
    if "enum" in schema:  # a long list (the areas) is counted, not listed
        return (f"{schema['description']} ({allowed_text(schema)})"
                if "description" in schema and len(schema["enum"]) > 12 else allowed_text(schema))
    if "description" in schema and "pattern" in schema:
        return schema["description"]
    kind: Any = schema.get("type")  # a JSON Schema type name, if any
    word = {"string": "a string", "number": "a number", "integer": "a whole number",
            "array": "a list", "object": "a JSON object", "boolean": "true or false"}.get(kind, kind)
    bounds = []
    if "minimum" in schema:
        bounds.append(f"{'>' if schema.get('exclusiveMinimum') else '>='} {schema['minimum']:g}")
    if "maximum" in schema:
        bounds.append(f"<= {schema['maximum']:g}")
    if "minItems" in schema or "maxItems" in schema:
        bounds.append(f"of {schema.get('minItems', 0)} to {schema.get('maxItems', 'any')} items")
    return f"{word}{' ' + ' and '.join(bounds) if bounds else ''}"


def _non_finite(value: object, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, (*path, k))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _non_finite(v, (*path, i))
            if found is not None:
                return found
    return None


def check_body(data: Any, schema: dict) -> dict:
    """``data`` checked against ``schema`` (JSON Schema draft 4, as OpenAPI 3.0): a 400 naming
    the first field at fault and what it must be. Returns ``data``."""
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import best_match

    if not isinstance(data, dict):
        raise InvalidParameter("the body must be a JSON object", "body")
    allowed = schema.get("properties", {})
    unknown = sorted(set(data) - set(allowed))
    if unknown and schema.get("additionalProperties") is False:
        guess = difflib.get_close_matches(unknown[0], list(allowed), n=1, cutoff=0.6)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        raise InvalidParameter(f"unknown field {unknown[0]!r}{hint}; allowed: "
                               f"{', '.join(allowed)}", unknown[0])
    bad = _non_finite(data)
    if bad is not None:
        raise InvalidParameter("numbers must be finite (no NaN or Infinity)", _field_name(bad))
    error = best_match(Draft4Validator(schema).iter_errors(data))
    if error is None:
        return data
    field = _field_name(error.absolute_path)
    sub = error.schema if isinstance(error.schema, dict) else {}
    if error.validator in ("type", "enum", "pattern", "minimum", "maximum", "minItems",
                           "maxItems", "exclusiveMinimum"):
        got = json.dumps(error.instance, ensure_ascii=False)
        got = got if len(got) <= 40 else got[:37] + "…"
        raise InvalidParameter(f"{field} must be {_describe(sub)}, got {got}", field)
    raise InvalidParameter(f"{field}: {error.message}", field)


def _json_body(schema: dict) -> dict:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body is larger than {MAX_BODY_BYTES} bytes", "body")
    if not request.is_json:
        raise InvalidParameter("send JSON (Content-Type: application/json)", "Content-Type")
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidParameter("the body must be a JSON object (valid JSON, not nested too "
                               "deeply)", "body")
    return check_body(data, schema)


def _options_params(app: Flask) -> list[Param]:
    fca = _fca_fields()
    return [
        Param("service", {"type": "string", "enum": list(services())}, "kind of care (default daycare)"),
        Param("period", {"type": "string", "enum": list(periods())}, "time of day (default day)"),
        Param("level", {"type": "string", "enum": list(LEVELS)}, "grid, emd (읍면동) or sigungu"),
        Param("supply", {"type": "string", "enum": list(SUPPLY_VALUES)}, "capacity or fresh vacancies"),
        Param("area", area_schema(),
              "only rows inside this 시군구 (5 digits) or 읍면동 (8 digits) of the demand layer"),
        Param("scenario", scenario_schema(), "a what-if scenario as JSON (add/close/resize)",
              media="application/json"),
        Param("format", {"type": "string", "enum": list(EXPORT_FORMATS)},
              "json (default), geojson, csv or gpkg (GeoPackage); geojson and gpkg hold at most "
              f"{app.config.get('PLANNING_SHAPES_MAX_ROWS', 10_000):,} areas"),
        *(Param(name, {k: v for k, v in schema.items() if k != "description"},
                schema["description"] + (", comma-separated" if schema["type"] == "array" else ""),
                explode=False if schema["type"] == "array" else None)
          for name, schema in fca.items()),
    ]


@bp.get("/options")
@documented("What the planning measures can be computed for (admin)", lambda app: [],
            "CoverageOptions", errors=(401, 403, 503), secured=True)
def options() -> Response:
    """Services, periods, levels and settings."""
    require_admin()
    s = planning_settings()
    with planning_errors():
        levels = list(get_planning().units.levels())
    return jsonify({"services": s["services"], "periods": s["periods"], "levels": levels,
                    "hours_presets": {k: {kk: vv for kk, vv in v.items() if kk != "hours"}
                                      for k, v in s["hours_presets"].items()},
                    "settings": {k: s[k] for k in ("coverage_thresholds_m", "fca", "desert",
                                                   "site_suggestion")}})


@bp.get("/measures")
@documented("Coverage, 2SFCA/E2SFCA and care deserts per area (admin)", _options_params,
            "CoverageMeasures", errors=(400, 401, 403, 503), secured=True, geojson=True,
            media={MEDIA["csv"]: {"schema": {"type": "string"}},
                   MEDIA["gpkg"]: {"schema": {"type": "string", "format": "binary"}}})
def measures() -> Response:
    """One row per area for a service and a period (optionally under a scenario), as JSON,
    GeoJSON, CSV or GeoPackage (``format``); the catchment, bands, weights and desert thresholds
    are parameters (defaults in ``planning.json``)."""
    require_admin()
    opts = query_options(request.args)
    fmt = choice(request.args, "format", EXPORT_FORMATS, "json")
    params = analysis_parameters(request.args, opts["supply"], from_query=True)
    scenario = parse_scenario_text(request.args.get("scenario"))
    df, analysis = measures_frame(opts, scenario, params)
    return export(df, analysis, opts["level"], fmt, meta_of(opts, scenario, params))


@bp.post("/compare")
@documented("A scenario against the baseline, per area (admin)", lambda app: [],
            "CoverageComparison", method="post", body="CoverageRequest",
            errors=(400, 401, 403, 503), secured=True)
def compare_scenario() -> Response:
    """Body: ``{"service", "period", "level", "supply", "area", "scenario", "catchment_m",
    "bands_m", "weights", "min_children", "max_children_per_place"}``, all optional."""
    require_admin()
    data = _json_body(compare_schema())
    opts = query_options({k: v for k, v in data.items() if k in ("service", "period", "level",
                                                                  "supply", "area")})
    params = analysis_parameters(data, opts["supply"], from_query=False)
    scenario = checked_scenario(data.get("scenario") or {})
    base, _ = measures_frame(opts, Scenario(), params)
    changed, _ = measures_frame(opts, scenario, params)
    result = compare(base, changed)
    return jsonify({"meta": meta_of(opts, scenario, params), "summary": result.summary,
                    "rows": records(result.table)})


# --- site suggestion ---------------------------------------------------------------------------
def sites_request(data: dict) -> dict:
    """A checked ``/sites`` body with every default filled in (what a job stores)."""
    lim = _limits()
    req = {"service": data.get("service", "daycare"), "period": data.get("period", "day"),
           "supply": data.get("supply", "capacity"), "area": data.get("area"),
           "p": data.get("p", 10), "radius_m": data.get("radius_m", lim["radius_m"]),
           "method": data.get("method", "auto"), "candidates": data.get("candidates"),
           "n_candidates": data.get("n_candidates", lim["max_candidates"]),
           "scenario": data.get("scenario") or {}}
    if services()[req["service"]].get("comes_to_family"):
        raise InvalidParameter("home-visit providers serve areas, not sites; choose a centre "
                               "service", "service")
    return req


def _candidate_points(candidates: list) -> tuple[np.ndarray, list[str], list[str | None]]:
    """Points (EPSG:5179 m), ids and names of a request's candidates: ``[lon, lat]`` or
    ``{"lon", "lat", "id"?, "name"?}``. Ids and names follow the registry's text rules
    (:mod:`app.registry.text`), as a candidates file's do in ``flask planning-sites``: an id
    must be an allowed registry id, a name is cleaned of control, format (bidi, zero-width) and
    invisible characters (nothing left: no name); a 400 names the candidate at fault."""
    rules = TextRules.from_config(current_app.config)
    points: list[list[float]] = []
    ids: list[str] = []
    names: list[str | None] = []
    for k, c in enumerate(candidates):
        if not isinstance(c, dict):
            points.append(c)
            ids.append(f"candidate {k}")
            names.append(None)
            continue
        points.append([c["lon"], c["lat"]])
        try:
            ids.append(rules.check_id(c["id"], f"candidates[{k}].id") if c.get("id")
                       else f"candidate {k}")
            names.append(rules.clean("name", c["name"]) if c.get("name") else None)
        except TextRuleError as exc:
            raise InvalidParameter(str(exc), f"candidates[{k}].{(exc.field or 'name').split('.')[-1]}") \
                from None
    arr = np.array(points, float)
    (lon_min, lon_max), (lat_min, lat_max) = KOREA_LON_RANGE, KOREA_LAT_RANGE
    outside = ~((arr[:, 0] >= lon_min) & (arr[:, 0] <= lon_max)
                & (arr[:, 1] >= lat_min) & (arr[:, 1] <= lat_max))
    if outside.any():
        raise InvalidParameter(f"candidates must lie in Korea (lon {lon_min:g}–{lon_max:g}, "
                               f"lat {lat_min:g}–{lat_max:g}); "
                               f"candidates[{int(np.flatnonzero(outside)[0])}] does not",
                               "candidates")
    x, y = to_metric(arr[:, 0], arr[:, 1])
    return np.column_stack([x, y]), ids, names


def _plan(req: dict) -> tuple[SitePlan, Scenario]:
    scenario = checked_scenario(req["scenario"])
    cand = _candidate_points(req["candidates"]) if req["candidates"] is not None else None
    with planning_errors():
        analysis = get_planning().analysis(scenario, Parameters.defaults(supply_value=req["supply"]))
        plan = plan_sites(analysis, req["service"], req["period"], req["p"],
                          float(req["radius_m"]), req["method"], req["area"],
                          req["n_candidates"], cand)
    return plan, scenario


def _check_size(plan: SitePlan) -> None:
    cfg = current_app.config
    max_pairs = float(cfg.get("PLANNING_SITES_MAX_PAIRS", 10_000_000))
    if plan.pairs > max_pairs:
        raise InvalidParameter(
            f"radius_m={plan.radius_m:g} over {len(plan.cand_xy):,} candidates links about "
            f"{plan.pairs:,.0f} candidate–demand pairs; the limit is {max_pairs:,.0f} (setting "
            "PLANNING_SITES_MAX_PAIRS): use a smaller radius_m, fewer candidates "
            "(n_candidates) or an area", "radius_m")
    exact_max = float(cfg.get("PLANNING_EXACT_MAX_PAIRS", 1_000_000))
    if plan.method == "exact" and plan.pairs > exact_max:
        raise InvalidParameter(
            f"method exact takes at most {exact_max:,.0f} candidate–demand pairs (setting "
            f"PLANNING_EXACT_MAX_PAIRS); this suggestion has about {plan.pairs:,.0f}: use "
            "greedy or auto, a smaller radius_m or fewer candidates", "method")


def _solve(plan: SitePlan, scenario: Scenario, req: dict, progress: Progress | None = None,
           deadline_s: float | None = None) -> dict:
    cfg = current_app.config
    with planning_errors():
        result = run_sites(plan, time_limit_s=float(cfg.get("PLANNING_CBC_TIME_LIMIT_S", 60)),
                           deadline_s=deadline_s, progress=progress,
                           exact_max_pairs=float(cfg.get("PLANNING_EXACT_MAX_PAIRS", 1_000_000)))
    opts = {k: req[k] for k in ("service", "period", "supply", "area")}
    meta = meta_of(opts, scenario) | {"p": plan.p, "radius_m": plan.radius_m,
                                      "candidates": len(plan.cand_xy),
                                      "pairs_estimate": round(plan.pairs)}
    return {"meta": meta, **result}


def _sites_job(req: dict, progress: Progress) -> dict:
    """The job handler: the same checks and answer as an inline suggestion, with a deadline."""
    plan, scenario = _plan(req)
    _check_size(plan)
    return _solve(plan, scenario, req, progress,
                  deadline_s=float(current_app.config.get("PLANNING_JOB_MAX_SECONDS", 240)))


planning_jobs.HANDLERS["sites"] = _sites_job


def _job_url(job_id: str) -> str:
    return f"{bp.url_prefix}/jobs/{job_id}"


@bp.post("/sites")
@documented("Where p new centres cover the most children (admin)", lambda app: [],
            "SiteSuggestion", method="post", body="SitesRequest",
            errors=(400, 401, 403, 429, 503), secured=True, accepted="PlanningJob")
def sites() -> Response:
    """Body: ``{"service", "period", "p", "radius_m", "candidates"?, "n_candidates"?, "method"?,
    "area"?, "scenario"?}``; candidates are ``[[lon, lat], …]`` or, by default, the centres of
    the demand grid cells with the most children (of ``area`` when given).

    The work is estimated first (candidate–demand pairs within ``radius_m``): beyond
    ``PLANNING_SITES_MAX_PAIRS`` it is a 400 naming the limit; a greedy suggestion of at most
    ``PLANNING_SITES_SYNC_MAX_WORK`` (p × pairs) answers 200 at once; anything else (or any
    request with ``Prefer: respond-async``) answers 202 with ``Location:
    /api/v1/coverage/jobs/<id>`` to poll."""
    who = require_admin()
    return sites_answer(who.token_id, _job_url)


def sites_answer(created_by: str, job_url: Callable[[str], str]) -> Response:
    """The answer to a site suggestion request (this request's JSON body) by ``created_by``
    (a token id): 200 with the sites, or 202 with the job to poll at ``job_url(id)``. The API
    and the planner page (signed in with the same token) share it."""
    req = sites_request(_json_body(sites_schema()))
    plan, scenario = _plan(req)
    _check_size(plan)
    cfg = current_app.config
    inline = (plan.method == "greedy" and "respond-async" not in request.headers.get("Prefer", "")
              and plan.work <= float(cfg.get("PLANNING_SITES_SYNC_MAX_WORK", 10_000_000)))
    if inline:
        return jsonify(_solve(plan, scenario, req))
    engine = get_engine()
    job_id = planning_jobs.submit(engine, "sites", req, created_by,
                                  int(cfg.get("PLANNING_JOB_MAX_WAITING", 20)))
    planning_jobs.ensure_runner(cast("LocalProxy[Flask]", current_app)._get_current_object()).wake()
    body = planning_jobs.load(engine, job_id, float(cfg.get("PLANNING_JOB_KEEP_S", 86_400)))
    response = jsonify({**cast(dict[str, Any], body), "status_url": job_url(job_id)})  # just queued: found
    response.status_code = 202
    response.headers["Location"] = job_url(job_id)
    response.headers["Retry-After"] = "2"
    return response


@bp.get("/jobs/<job_id>")
@documented("A planning job: its status, progress and result (admin)",
            lambda app: [Param("job_id", {"type": "string", "pattern": JOB_ID_PATTERN},
                               "the id from a 202 answer's Location", where="path")],
            "PlanningJob", errors=(401, 403, 404, 503), secured=True)
def job(job_id: str) -> Response:
    """Any server answers: the job lives in the shared database. ``status`` is queued,
    running, done (``result`` holds the answer) or failed (``error`` says why); finished jobs
    are kept ``PLANNING_JOB_KEEP_S`` seconds (``expires_at``)."""
    require_admin()
    return job_answer(job_id, _job_url)


def job_answer(job_id: str, job_url: Callable[[str], str]) -> Response:
    """A planning job's status, progress and result, or a 404 (the API and the planner page)."""
    # A job left by a stopped server is taken up by this one's runner.
    planning_jobs.ensure_runner(cast("LocalProxy[Flask]", current_app)._get_current_object())
    keep_s = float(current_app.config.get("PLANNING_JOB_KEEP_S", 86_400))
    body = None
    if re.fullmatch(JOB_ID_PATTERN, job_id):
        body = planning_jobs.load(get_engine(), job_id, keep_s)
    if body is None:
        raise NotFound(f"no planning job {job_id!r} (finished jobs are kept "
                       f"{keep_s / 3600:g} hours)", "job_id")
    return jsonify({**body, "status_url": job_url(job_id)})


# --- the OpenAPI schemas of these operations --------------------------------------------------
def openapi_schemas() -> dict[str, Any]:
    """Component schemas of the planners' API (requests are checked against the same)."""
    text = {"type": "string"}
    num = {"type": "number"}
    nnum = {"type": "number", "nullable": True}
    error = {"type": "object", "required": ["code", "message", "field"],
             "properties": {"code": text, "message": text, "field": {**text, "nullable": True}}}
    row = {"type": "object", "required": ["key", "name", "service", "period", "children"],
           "properties": {"key": text, "name": text, "service": text, "period": text,
                          "children": num, "places": nnum, "nearest_m": nnum, "sfca": nnum,
                          "e2sfca": nnum, "children_per_place": nnum,
                          "desert": {"type": "boolean", "nullable": True}}}
    site = {"type": "object", "required": ["rank", "id", "lon", "lat", "newly_covered"],
            "properties": {"rank": {"type": "integer", "minimum": 1}, "id": text,
                           "name": {**text, "nullable": True},
                           "lon": num, "lat": num,
                           "sigungu_code": {**text, "nullable": True},
                           "sigungu": {**text, "nullable": True},
                           "emd_code": {**text, "nullable": True},
                           "emd": {**text, "nullable": True},
                           "sigungu_en": {**text, "nullable": True,
                                          "description": "'Jangan-gu, Suwon-si'"},
                           "emd_en": {**text, "nullable": True, "description": "'Pajang-dong'"},
                           "newly_covered": {"type": "number", "minimum": 0},
                           "covered_after": num}}
    share = {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}
    return {
        "CoverageOptions": {"type": "object", "required": ["services", "periods", "levels"],
                            "properties": {"services": {"type": "object"},
                                           "periods": {"type": "object"},
                                           "levels": {"type": "array", "items": text},
                                           "hours_presets": {"type": "object"},
                                           "settings": {"type": "object"}}},
        "CoverageMeasures": {"type": "object", "required": ["meta", "rows"],
                             "properties": {"meta": {"type": "object"},
                                            "rows": {"type": "array", "items": row}}},
        "CoverageComparison": {"type": "object", "required": ["meta", "summary", "rows"],
                               "properties": {"meta": {"type": "object"},
                                              "summary": {"type": "object"},
                                              "rows": {"type": "array",
                                                       "items": {"type": "object"}}}},
        "SiteSuggestion": {
            "type": "object",
            "required": ["meta", "method", "proven_optimal", "children", "covered_before",
                         "covered_after", "share_before", "share_after", "sites"],
            "properties": {"meta": {"type": "object"},
                           "method": {"type": "string", "enum": ["greedy", "exact"]},
                           "proven_optimal": {"type": "boolean"},
                           "stopped_early": {"type": "boolean"},
                           "children": num, "covered_before": num, "covered_after": num,
                           "share_before": share, "share_after": share,
                           "sites": {"type": "array", "items": site}}},
        "PlanningJob": {
            "type": "object",
            "required": ["id", "kind", "status", "progress", "created_at", "status_url",
                         "result", "error"],
            "properties": {
                "id": text, "kind": {"type": "string", "enum": ["sites"]},
                "status": {"type": "string", "enum": list(planning_jobs.STATUSES)},
                "progress": {"type": "number", "minimum": 0, "maximum": 1},
                "note": {**text, "nullable": True},
                "created_at": {"type": "string", "format": "date-time"},
                "started_at": {"type": "string", "format": "date-time", "nullable": True},
                "finished_at": {"type": "string", "format": "date-time", "nullable": True},
                "expires_at": {"type": "string", "format": "date-time", "nullable": True},
                "attempts": {"type": "integer", "minimum": 0},
                "status_url": text,
                "result": {"nullable": True,
                           "allOf": [{"$ref": "#/components/schemas/SiteSuggestion"}]},
                "error": {**error, "nullable": True}}},
        "CoverageRequest": compare_schema(),
        "SitesRequest": sites_schema(),
    }


def init_app(app: Flask) -> None:
    """Register the planners' API."""
    app.register_blueprint(bp)
