"""Provider updates (``/api/v1/providers``) and the admin report: authenticated writes,
optimistic versions, the audit history."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify, request
from sqlalchemy.exc import DBAPIError

from app.errors import ApiError, InvalidParameter, NotFound
from app.live import service, tokens
from app.live.db import connection, get_engine
from app.live.record import LiveRecord, RecordError, parse_report
from app.openapi import Param, documented
from app.store import get_index, get_store

bp = Blueprint("providers", __name__, url_prefix="/api/v1")
MAX_BODY_BYTES = 64 * 1024


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class Conflict(ApiError):
    status = 409
    code = "version_conflict"

    def __init__(self, current: LiveRecord | None, facility_id: str) -> None:
        super().__init__("this record changed since you read it: the current value is in "
                         "'current'; apply your change to it and send its version", "version")
        self.extra = {"current": record_json(facility_id, current)}


class Unavailable(ApiError):
    status = 503
    code = "database_unavailable"


def record_json(facility_id: str, rec: LiveRecord | None) -> dict:
    """The API form of a provider's report (version 0 when it never reported)."""
    if rec is None:
        return {"facility_id": facility_id, "version": 0, "reported_at": None,
                "reported_by": None, "vacancies": {}, "slots": {}, "hours": {}, "closures": []}
    return {"facility_id": facility_id, "version": rec.version,
            "reported_at": rec.reported_at.isoformat(), "reported_by": rec.reported_by,
            **rec.to_json()}


def _principal(bind: sa.Engine | sa.Connection | None = None) -> tokens.Principal:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    try:
        who = tokens.verify(bind if bind is not None else get_engine(), token)
    except DBAPIError:
        raise Unavailable("the availability database cannot be reached; try again shortly") \
            from None
    if who is None:
        raise Unauthorized("a valid token is required: Authorization: Bearer dlb_…",
                           "Authorization")
    return who


def _facility(facility_id: str):
    f = get_index().by_id.get(facility_id)
    if f is None:
        raise NotFound(f"no facility with id {facility_id!r}", "facility_id")
    return f


def _id_param(app: Flask) -> list[Param]:
    return [Param("facility_id", {"type": "string"}, "the provider's id", True, "path")]


@bp.get("/providers/<facility_id>/availability")
@documented("A provider's current report", _id_param, "ProviderReport", errors=(400, 404))
def read_availability(facility_id: str):
    """The current report with its version; send that version with your next PUT."""
    _facility(facility_id)
    try:
        rec = service.get(get_engine(), facility_id)
    except DBAPIError:
        raise Unavailable("the availability database cannot be reached; try again shortly") \
            from None
    return jsonify(record_json(facility_id, rec))


@bp.put("/providers/<facility_id>/availability")
@documented("Replace a provider's report (token of that provider or an admin)", _id_param,
            "ProviderReport", errors=(400, 401, 403, 404, 409, 503), method="put",
            body="ProviderReportInput", secured=True)
def write_availability(facility_id: str):
    """Replace a provider's report (places, slots, changed hours, closures)."""
    try:
        # One pooled connection for the token check and the write.
        with connection(get_engine()) as conn:
            return _write(conn, facility_id)
    except DBAPIError:
        raise Unavailable("the availability database cannot be reached; your change was not "
                          "saved. Try again shortly") from None


def _write(conn: sa.Connection, facility_id: str):
    who = _principal(conn)
    _facility(facility_id)
    if not who.may_change(facility_id):
        raise Forbidden(f"this token may change {who.facility_id!r} only", "facility_id")
    if not request.mimetype == "application/json":
        raise InvalidParameter(f"Content-Type must be application/json, got "
                               f"{request.mimetype or 'none'!r}", "Content-Type")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body may be at most {MAX_BODY_BYTES} bytes", "body")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidParameter(f"the body may be at most {MAX_BODY_BYTES} bytes", "body")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}", "body") from None
    try:
        based_on, content = parse_report(body)
    except RecordError as exc:
        raise InvalidParameter(str(exc), exc.field) from None
    try:
        rec = service.put(conn, facility_id, based_on, content, actor=who.token_id)
    except service.VersionConflict as exc:
        raise Conflict(exc.current, facility_id) from None
    return jsonify(record_json(facility_id, rec))


@bp.get("/providers/<facility_id>/history")
@documented("A provider's change history (admin)", _id_param, "History",
            errors=(400, 401, 403, 404, 503), secured=True)
def read_history(facility_id: str):
    """Every change of a provider's report (admin tokens only)."""
    who = _principal()
    if who.role != "admin":
        raise Forbidden("the history is for admin tokens", "Authorization")
    _facility(facility_id)
    return jsonify({"facility_id": facility_id,
                    "changes": service.history(get_engine(), facility_id)})


@bp.get("/providers/me")
@documented("The facility a token may change", lambda app: [], "WhoAmI",
            errors=(400, 401, 503), secured=True)
def whoami():
    """Which facility a token may change (for the provider page)."""
    who = _principal()
    facility = get_index().by_id.get(who.facility_id) if who.facility_id else None
    return jsonify({"role": who.role, "facility_id": who.facility_id,
                    "facility_name": facility.name if facility else None})


def monitoring_report(engine, facilities, live_records, not_reported_hours: float,
                      now: datetime) -> dict:
    """Providers silent for more than ``not_reported_hours`` by 시군구, and providers
    reporting more places than their capacity."""
    cutoff = now - timedelta(hours=not_reported_hours)
    silent: dict[str, list[dict]] = defaultdict(list)
    over: list[dict] = []
    for f in facilities:
        if not f.is_open_status:
            continue
        rec = live_records.get(f.id)
        reported = rec.reported_at if rec else f.availability_reported_at
        if reported is None or reported < cutoff:
            silent[f.sigungu or "?"].append({"id": f.id, "name": f.name,
                                             "last_report": reported.isoformat()
                                             if reported else None})
        vacancies = rec.vacancies if rec else f.vacancies
        if f.capacity is not None and any(v > f.capacity for v in vacancies.values()):
            over.append({"id": f.id, "name": f.name, "sigungu": f.sigungu,
                         "capacity": f.capacity, "vacancies": dict(vacancies)})
    return {
        "not_reported_hours": not_reported_hours,
        "generated_at": now.isoformat(timespec="seconds"),
        "not_reported_by_sigungu": {k: {"count": len(v), "providers": v}
                                    for k, v in sorted(silent.items())},
        "over_capacity": over,
    }


@bp.get("/admin/report")
@documented("Providers not reporting, and over capacity (admin)",
            lambda app: [Param("hours", {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                         "maximum": 8760},
                               "silent for more than this many hours (default 24)")],
            "Report", errors=(400, 401, 403, 503), secured=True)
def admin_report():
    """Monitoring report (admin tokens only); ``hours``: silent for more than this."""
    who = _principal()
    if who.role != "admin":
        raise Forbidden("the report is for admin tokens", "Authorization")
    try:
        hours = float(request.args.get("hours", "24"))
    except ValueError:
        raise InvalidParameter("hours must be a number", "hours") from None
    if not 0 < hours <= 24 * 365:
        raise InvalidParameter("hours must be between 0 and 8760", "hours")
    store = get_store()
    store.live.sync(get_engine())
    return jsonify(monitoring_report(get_engine(), store.registry.facilities,
                                     store.live.records, hours, datetime.now(UTC)))


def init_app(app: Flask) -> None:
    """Register the provider routes."""
    app.register_blueprint(bp)
