"""Schemathesis over every operation of /api/v1/openapi.json — the public searches, the
provider API and the admin and planning operations (with an admin token) — against an app over
a tiny registry: any 5xx, or any answer that breaks the documented status codes, media types,
headers or schemas, fails the test. Hypothesis is derandomised, so a run is repeatable.

Run alone: ``.venv/bin/python -m pytest tests/test_schemathesis.py -q`` (about two minutes).
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.config import DEMO_REGISTRY_PATH
from app.registry.io import read_registry, write_registry

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# A request the document allows must not be refused ("schema-valid request rejected"), on every
# operation. Exempt are only requests whose refusal rests on a rule OpenAPI 3.0 cannot say (rules
# between fields or relative to now) or on state (the registry entry a path names): each is
# named below, and checked here independently of the server's code. A state-dependent refusal
# with a status of its own (401, 403, 404, 409, 429) is documented and allowed by schemathesis.
RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?"
                     r"([Zz]|[+-]\d\d:\d\d)?$")


ACCEPTANCE_CHECKED: Counter[tuple[str, str]] = Counter()  # positive cases held to acceptance


def _inexpressible(case, app) -> str | None:
    """Why a schema-valid request may still be refused, for the rules between parameters (or
    relative to today, or to the registry entry named in the path) that OpenAPI 3.0 cannot
    express; ``None`` when none applies."""
    if not case.meta.generation.mode.is_positive:
        return "not schema-valid (the check applies to positive data only)"
    query = case.query or {}
    body = case.body if isinstance(case.body, dict) else {}
    if "start" in query or "end" in query:
        return "the care window lies near now, and start needs end (and not open_now)"
    if "birth_date" in query:
        return "the age from birth_date depends on today; and not with age_months"
    if ("work_lat" in query) != ("work_lon" in query):
        return "work_lat and work_lon go together"
    if query.get("mode") in ("either", "commute") and "work_lat" not in query:
        return "mode either/commute needs work"
    for box in ("bbox", "view"):  # the bbox of /facilities, the map's view of /places
        if box not in query:
            continue
        try:  # (the coverage phase sends malformed values too; those are not schema-valid)
            min_lon, min_lat, max_lon, max_lat = map(float, str(query[box]).split(","))
        except ValueError:
            return None
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            return f"{box} corners ordered and within -180..180, -90..90"
    if _beyond_bmp_format_or_private(body):
        return "no format or private-use character beyond the BMP (no pattern can say it)"
    if case.operation.path.startswith("/api/v1/coverage/"):
        return _planning_rule({**query, **body}, app)
    if case.operation.path == "/api/v1/providers/{facility_id}/availability" and \
            case.method.upper() == "PUT":
        return _report_rule(case, body, app)
    return None


def _beyond_bmp_format_or_private(value) -> bool:
    """Whether any text in a JSON value holds a format or private-use character beyond the BMP
    (refused like those of the BMP, which the documents' patterns name: plain_text_pattern)."""
    if isinstance(value, str):
        return any(ord(ch) > 0xFFFF and unicodedata.category(ch) in ("Cf", "Co") for ch in value)
    if isinstance(value, dict):
        return any(_beyond_bmp_format_or_private(v) for v in value.values())
    if isinstance(value, list):
        return any(_beyond_bmp_format_or_private(v) for v in value)
    return False


def _numbers(value) -> list[float] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [float(v) for v in value]
    return [float(v) for v in str(value).split(",")]


def _planning_rule(data: dict, app) -> str | None:
    bands, weights = _numbers(data.get("bands_m")), _numbers(data.get("weights"))
    if (bands is not None or weights is not None) and (
            len(bands or (500, 1000, 1500)) != len(weights or (1, 0.68, 0.22))
            or any(a >= b for a, b in zip(bands or (), (bands or ())[1:], strict=False))):
        return "one weight per band of bands_m, the bands increasing"
    scenario = data.get("scenario") or {}
    if isinstance(scenario, str):
        scenario = json.loads(scenario)
    if any(scenario.get(part) for part in ("add", "close", "resize")):
        ids = set(_known_ids(app))
        if scenario.get("add") or not set(scenario.get("close") or ()) <= ids or \
                not {r["id"] for r in scenario.get("resize") or ()} <= ids:
            return "a scenario's centres lie in 경기도 (a polygon); its ids are the registry's"
        if sum(len(scenario.get(p) or ()) for p in ("add", "close", "resize")) > 200:
            return "at most 200 changes in a scenario, all parts together"
    candidates = data.get("candidates")
    if int(data.get("p", 10)) > (len(candidates) if candidates else data.get("n_candidates", 20000)):
        return "p at most the number of candidates (candidates, or n_candidates)"
    lon_range, lat_range = (124, 132), (33, 39)
    for point in data.get("candidates") or ():
        lon, lat = (point["lon"], point["lat"]) if isinstance(point, dict) else point
        if not (lon_range[0] <= lon <= lon_range[1] and lat_range[0] <= lat <= lat_range[1]):
            return "a candidate [lon, lat] lies in Korea (a tuple OpenAPI 3.0 cannot type)"
    return None


def _moment(text: str) -> datetime | None:
    """An RFC 3339 date-time (naive ones in Seoul, the tiny registry's zone); None when the
    year is outside 2000-2099 (the report's range)."""
    m = RFC3339.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 2000 <= year <= 2099:
        return None
    zone = m.group(8)
    tz = ZoneInfo("Asia/Seoul") if zone is None else UTC if zone in "Zz" else \
        timezone((-1 if zone[0] == "-" else 1) * timedelta(hours=int(zone[1:3]),
                                                             minutes=int(zone[4:6])))
    return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz)


def _report_rule(case, body: dict, app) -> str | None:
    ids = _known_ids(app)
    facility_id = (case.path_parameters or {}).get("facility_id")
    if facility_id not in ids:
        return None  # a 404: documented, and allowed
    if len(json.dumps(body).encode()) > app.config["REPORT_MAX_BODY_BYTES"]:
        return "the body's size in bytes (a 413)"
    with app.app_context():
        from app.extensions.registry import get_index

        runs = get_index().by_id[facility_id].programmes
    for part in ("vacancies", "slots"):
        if set(body.get(part) or {}) - {"regular", *runs}:
            return "places only for the programmes the provider (named in the path) runs"
    slots = body.get("slots") or {}
    if sum(len(items) for items in slots.values()) > app.config["REPORT_MAX_SLOTS"]:
        return "at most REPORT_MAX_SLOTS slots, all programmes together"
    latest = datetime.now(UTC) + timedelta(days=app.config["REPORT_HORIZON_DAYS"])
    windows = [*(w for items in slots.values() for w in items), *(body.get("closures") or ())]
    for window in windows:
        start, end = _moment(window["start"]), _moment(window["end"])
        if start is None or end is None or end <= start or start > latest:
            return "a window's end after its start, from 2000 until the horizon after now"
    for closure in body.get("closures") or ():
        if any(ord(ch) > 0xFFFF and unicodedata.category(ch) in ("Cf", "Co")
               for ch in closure.get("reason", "")):
            return "no format or private-use character beyond the BMP (no pattern can say it)"
    for day, intervals in (body.get("hours") or {}).items():
        try:
            when = date.fromisoformat(day)
        except ValueError:
            return "hours are keyed by dates (a key OpenAPI 3.0 cannot type)"
        if not (when.year >= 2000 and when <= latest.date()):
            return "a changed date from 2000 until the horizon after now"
        for interval in intervals:
            start, end = interval.split("-")
            if int(end.replace(":", "")) <= int(start.replace(":", "")):
                return "an interval's end after its start"
    return None


EXAMPLES_PER_OPERATION = 25


TINY_AREAS = ("41117", "41113", "41192")
DEMO_DEMAND = Path(__file__).resolve().parents[1] / "data/demand/gyeonggi-demo-demand-emd.csv"


def _tiny(facilities):
    """A few providers of every kind around 수원 (and the 언제나 어린이집 of 부천), one closed."""
    by_kind: dict[str, list] = {}
    for f in facilities:
        if f.sigungu_code in TINY_AREAS or f.kind == "home_visit_provider" \
                or "always_daycare" in f.programmes:
            by_kind.setdefault(f.kind, []).append(f)
    chosen = [*by_kind["daycare"][:4], *by_kind["community_child_center"][:2],
              *by_kind["together_care_center"][:2], *by_kind["home_visit_provider"][:2]]
    chosen += [f for f in facilities if "always_daycare" in f.programmes][:1]
    chosen.append(replace(by_kind["daycare"][5], status="폐지"))
    return sorted({f.id: f for f in chosen}.values(), key=lambda f: f.id)


def _tiny_app(tmp: Path):
    """The app over the tiny registry, its instance folder (SQLite) in ``tmp``, with an admin
    token in ``app.config["_SCHEMATHESIS_ADMIN"]``."""
    demo = read_registry(DEMO_REGISTRY_PATH)
    registry = tmp / "registry.geojson"
    write_registry(registry, demo.meta, _tiny(demo.facilities))
    # The demand of the same few 시군구 (the planning operations compute over all of it).
    demand = tmp / "demand.csv"
    lines = DEMO_DEMAND.read_text(encoding="utf-8").splitlines()
    demand.write_text("\n".join(line for line in lines if line.startswith(("area_code", *TINY_AREAS)))
                      + "\n", encoding="utf-8")
    app = create_app({"TESTING": True, "REGISTRY_PATH": str(registry),
                      "PLANNING_DEMAND_PATH": str(demand),
                      # schemathesis writes far more often than any admin would
                      "ADMIN_WRITE_RATE_LIMIT": "100000 per minute"},
                     instance_path=str(tmp / "instance"))
    from app.extensions.db import get_engine
    from app.live import tokens

    with app.app_context():
        app.config["_SCHEMATHESIS_ADMIN"] = tokens.issue(get_engine(), "admin",
                                                         label="schemathesis")
    return app


# schemathesis parametrises at collection, from a loaded schema (its fixture-based lazy loader
# does not work with this pytest), so the app is made on import, in a temporary folder that
# goes with the process.
_TMP = tempfile.TemporaryDirectory(prefix="dolbom-schemathesis-")
APP = _tiny_app(Path(_TMP.name))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture
def tiny_app():
    return APP


def _known_ids(app) -> list[str]:
    from app.extensions.registry import get_registry

    with app.app_context():
        return [f.id for f in get_registry().facilities]


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_to_the_document(case, tiny_app):
    # Half of the generated provider ids become real ones, so the operations get past 404.
    params = case.path_parameters or {}
    if "facility_id" in params and len(str(params["facility_id"])) % 2 == 0:
        ids = _known_ids(tiny_app)
        params["facility_id"] = ids[len(str(params["facility_id"])) % len(ids)]
    token = tiny_app.config["_SCHEMATHESIS_ADMIN"]
    accept = not _inexpressible(case, tiny_app)
    if accept:
        ACCEPTANCE_CHECKED[(case.method.upper(), case.operation.path)] += 1
    # identity: schemathesis's WSGI transport reads bodies as sent, and compressed answers
    # (app.assets) are a matter of transport, not of the document.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}",
                                    "Accept-Encoding": "identity"},
                           checks=[*CHECKS, positive_data_acceptance] if accept else CHECKS)


def test_every_operation_is_tested(tiny_app):
    """Nothing in the document is left out of the run above (it parametrises over the same
    document; this pins that the document has the operations we expect)."""
    doc = tiny_app.test_client().get("/api/v1/openapi.json").json
    ops = {(m.upper(), re.sub(r"\{\w+\}", "{}", p)) for p, item in doc["paths"].items()
           for m in item}
    assert {("GET", "/api/v1/facilities/nearest"), ("GET", "/api/v1/facilities/within"),
            ("GET", "/api/v1/facilities"), ("GET", "/api/v1/facilities/{}"),
            ("GET", "/api/v1/meta"), ("GET", "/api/v1/places"),
            ("PUT", "/api/v1/providers/{}/availability"),
            ("GET", "/api/v1/providers/{}/history"), ("GET", "/api/v1/admin/report"),
            ("GET", "/api/v1/coverage/measures"), ("POST", "/api/v1/coverage/sites"),
            ("POST", "/api/v1/coverage/compare")} <= ops


def test_acceptance_was_checked_on_every_operation(tiny_app):
    """The exemptions above leave schema-valid requests to check on every operation (runs
    after the parametrised test, in this file's order)."""
    if not ACCEPTANCE_CHECKED:
        pytest.skip("run with test_every_operation_keeps_to_the_document (the whole file)")
    doc = tiny_app.test_client().get("/api/v1/openapi.json").json
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert {op for op in ops if ACCEPTANCE_CHECKED[op] == 0} == set()
