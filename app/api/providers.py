"""Provider updates (``/api/v1/providers``) and the admin report: authenticated writes,
optimistic versions, the audit history."""

from __future__ import annotations

import functools
import math
import re
import time
from datetime import UTC, datetime
from typing import Any, overload

import limits
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, url_for
from flask_limiter import Limiter, RateLimitExceeded
from sqlalchemy.exc import DBAPIError

from app.api import jsonsafe
from app.api.auth import Forbidden, bearer, database_error, principal, require_role
from app.api.openapi import Param, documented
from app.db import ratelimit
from app.db.engine import MAX_INTEGER, connection
from app.errors import ApiError, InvalidParameter, NotFound, clip, error_body
from app.extensions.db import get_engine
from app.extensions.registry import get_index, get_registry, get_store
from app.live import service, tokens
from app.live.monitoring import monitoring_report
from app.live.record import LiveRecord, ReportLimits, parse_report
from app.search.model import REGULAR, Facility

bp = Blueprint("providers", __name__, url_prefix="/api/v1")
_LIMITER = "dolbom_limiter"
_WRITE_LIMIT = "dolbom_write_limit"


class Conflict(ApiError):
    status = 409
    code = "version_conflict"

    def __init__(self, current: LiveRecord | None, facility_id: str,
                 reporter: bool = False) -> None:
        super().__init__("this record changed since you read it: the current value is in "
                         "'current'; apply your change to it and send its version", "version")
        self.extra = {"current": record_json(facility_id, current, reporter)}


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class RateLimited(ApiError):
    """Too many writes with one token; ``retry_after_s``: when the next one is counted."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, field: str | None, retry_after_s: int) -> None:
        super().__init__(message, field)
        self.retry_after_s = retry_after_s


def record_json(facility_id: str, rec: LiveRecord | None, reporter: bool = False) -> dict:
    """The API form of a provider's report (version 0 when it never reported). ``reporter``:
    include ``reported_by``, the id of the token that wrote it — for admins only."""
    if rec is None:
        out = {"facility_id": facility_id, "version": 0, "reported_at": None,
               "reported_by": None, "vacancies": {}, "slots": {}, "hours": {}, "closures": []}
    else:
        out = {"facility_id": facility_id, "version": rec.version,
               "reported_at": rec.reported_at.isoformat(), "reported_by": rec.reported_by,
               **rec.to_json()}
    if not reporter:
        del out["reported_by"]
    return out


def _facility(facility_id: str) -> Facility:
    f = get_index().by_id.get(facility_id)
    if f is None:
        raise NotFound(f"no facility with id {clip(facility_id)}", "facility_id")
    return f


def _id_param(app: Flask) -> list[Param]:
    return [Param("facility_id", {"type": "string"}, "the provider's id", True, "path")]


@bp.get("/providers/<facility_id>/availability")
@documented("A provider's current report", _id_param, "ProviderReport", errors=(400, 404))
def read_availability(facility_id: str) -> Response:
    """The current report with its version; send that version with your next PUT."""
    _facility(facility_id)
    try:
        # reported_by (a token id) is for admins: shown when an admin token comes along;
        # without a token, or with any other, the report is shown without it.
        token = bearer()
        who = tokens.verify(get_engine(), token) if token else None
        rec = service.get(get_engine(), facility_id)
    except DBAPIError as exc:
        raise database_error(exc) from None
    return jsonify(record_json(facility_id, rec, reporter=who is not None and who.role == "admin"))


@bp.put("/providers/<facility_id>/availability")
@documented("Replace a provider's report (token of that provider or an admin)", _id_param,
            "ProviderReport", errors=(400, 401, 403, 404, 409, 413, 429, 503), method="put",
            body="ProviderReportInput", secured=True)
def write_availability(facility_id: str) -> Response:
    """Replace a provider's report (places, slots, changed hours, closures)."""
    try:
        # One pooled connection for the token check, the write count and the write.
        with connection(get_engine()) as conn:
            return _write(conn, facility_id)
    except DBAPIError as exc:
        raise database_error(exc, "the availability database cannot be reached; your change "
                                  "was not saved. Try again shortly") from None
    except OverflowError:  # a number the driver cannot send (parse_report bounds them first)
        raise InvalidParameter("a number in the body is too large", "body") from None


def _write(conn: sa.Connection, facility_id: str) -> Response:
    who = principal(conn)
    _count_write(conn, who)
    facility = _facility(facility_id)
    if not who.may_change(facility_id):
        raise Forbidden(f"this token may change {who.facility_id!r} only", "facility_id")
    if not request.mimetype == "application/json":
        raise InvalidParameter(f"Content-Type must be application/json, got "
                               f"{clip(request.mimetype or 'none')}", "Content-Type")
    cfg = current_app.config
    max_bytes = int(cfg["REPORT_MAX_BODY_BYTES"])
    too_large = PayloadTooLarge(f"the body may be at most {max_bytes} bytes", "body")
    if (request.content_length or 0) > max_bytes:
        raise too_large
    raw = request.stream.read(max_bytes + 1)  # never more, even without a Content-Length
    if len(raw) > max_bytes:
        raise too_large
    try:
        body = jsonsafe.loads(raw, int(cfg["JSON_MAX_DEPTH"]))
    except jsonsafe.TooDeep as exc:
        raise InvalidParameter(f"the body is not a report: {exc}", "body") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise InvalidParameter(f"the body is not valid JSON: {exc}", "body") from None
    # A RecordError is answered by the one DomainError handler: a 400 naming the field.
    based_on, content = parse_report(body, get_registry().locale.tz,
                                     limits=ReportLimits.from_config(cfg))
    _programmes_it_runs(facility, content)
    admin = who.role == "admin"
    try:
        rec = service.put(conn, facility_id, based_on, content, actor=who.token_id)
    except service.VersionConflict as exc:
        raise Conflict(exc.current, facility_id, reporter=admin) from None
    # This server's next search shows the write (other servers: when their watcher sees it).
    get_store().live.apply(facility_id, rec)
    return jsonify(record_json(facility_id, rec, reporter=admin))


def _programmes_it_runs(facility: Facility, content: dict[str, Any]) -> None:
    """Places (and slots) may be reported only for the programmes the registry says the
    provider runs, besides ordinary ("regular") places: a 400 naming the first other one."""
    runs = sorted(facility.programmes)
    for part in ("vacancies", "slots"):
        for key in content.get(part) or {}:
            if key != REGULAR and key not in facility.programmes:
                raise InvalidParameter(
                    f"{facility.id!r} does not run the programme {clip(key)}; it runs "
                    f"{', '.join(runs) or 'no programme'} (report ordinary places as "
                    f"{REGULAR!r})", f"{part}.{key[:80]}")


def _writer_id() -> str:
    """The rate-limit key: the id of the token writing (never the token itself)."""
    return g.dolbom_writer.token_id


def _write_limit_value() -> str:
    who = g.dolbom_writer
    return current_app.config["ADMIN_WRITE_RATE_LIMIT" if who.role == "admin"
                              else "PROVIDER_WRITE_RATE_LIMIT"]


def _count_write(conn: sa.Connection, who: tokens.Principal) -> None:
    """Count one write against the token's limits, shared by every server (the counts live in
    the database: app.db.ratelimit); 429 with Retry-After when over a limit. The count is
    committed at once, so it stands whatever becomes of the write (on SQLite this also lets
    the write lock go until the write itself)."""
    g.dolbom_writer = who
    try:
        with ratelimit.using(conn):
            try:
                with current_app.extensions[_WRITE_LIMIT]:
                    pass
            except RateLimitExceeded as exc:
                window_s = exc.limit.limit.get_expiry()
                current = current_app.extensions[_LIMITER].current_limit  # its window's end
                retry_s = math.ceil(current.window.reset_time - time.time()) if current else 0
                retry_s = min(max(retry_s, 1), window_s)
                raise RateLimited(f"this token may write at most {exc.limit.limit}; try again "
                                  f"in {retry_s} s", "Authorization", retry_s) from None
    finally:
        conn.commit()


def _history_params(app: Flask) -> list[Param]:
    return [*_id_param(app),
            Param("limit", {"type": "integer", "minimum": 1,
                            "maximum": app.config["HISTORY_MAX_LIMIT"]},
                  f"changes per page (default {app.config['HISTORY_DEFAULT_LIMIT']})"),
            Param("before", {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER},
                  "only changes older than this change id (the next link sets it)")]


@overload
def _whole_number(name: str, default: int, minimum: int, maximum: int) -> int: ...
@overload
def _whole_number(name: str, default: None, minimum: int, maximum: int) -> int | None: ...
def _whole_number(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not minimum <= int(raw) <= maximum:
        raise InvalidParameter(f"{name} must be a whole number from {minimum} to {maximum}, "
                               f"got {raw[:20]!r}", name)
    return int(raw)


@bp.get("/providers/<facility_id>/history")
@documented("A provider's change history (admin), newest first, a page at a time",
            _history_params, "History", errors=(400, 401, 403, 404, 503), secured=True)
def read_history(facility_id: str) -> Response:
    """Changes of a provider's report, newest first (admin tokens only); ``next`` links the
    following page (null on the last)."""
    require_role("admin", "the history")
    _facility(facility_id)
    cfg = current_app.config
    limit = _whole_number("limit", int(cfg["HISTORY_DEFAULT_LIMIT"]), 1,
                          int(cfg["HISTORY_MAX_LIMIT"]))
    before = _whole_number("before", None, 1, MAX_INTEGER)
    try:
        changes = service.history(get_engine(), facility_id, limit + 1, before)
    except DBAPIError as exc:
        raise database_error(exc) from None
    more, changes = len(changes) > limit, changes[:limit]
    next_url = url_for("providers.read_history", facility_id=facility_id, limit=limit,
                       before=changes[-1]["id"]) if more else None
    return jsonify({"facility_id": facility_id, "changes": changes, "next": next_url})


@bp.get("/providers/me")
@documented("The facility a token may change", lambda app: [], "WhoAmI",
            errors=(400, 401, 503), secured=True)
def whoami() -> Response:
    """Which facility a token may change (for the provider page)."""
    who = principal()
    facility = get_index().by_id.get(who.facility_id) if who.facility_id else None
    return jsonify({"role": who.role, "facility_id": who.facility_id,
                    "facility_name": facility.name if facility else None,
                    "programmes": sorted(facility.programmes) if facility else []})


@bp.get("/admin/report")
@documented("Providers not reporting, and over capacity (admin)",
            lambda app: [Param("hours", {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                         "maximum": 8760},
                               "silent for more than this many hours (default 24)")],
            "Report", errors=(400, 401, 403, 503), secured=True)
def admin_report() -> Response:
    """Monitoring report (admin tokens only); ``hours``: silent for more than this."""
    require_role("admin", "the report")
    return report_answer()


def report_answer() -> Response:
    """The monitoring report for this request's ``hours`` (a number, 0 < hours <= 8760), the
    caller having checked who asks: the API (an admin token) and the planner's session."""
    try:
        hours = float(request.args.get("hours", "24"))
    except ValueError:
        raise InvalidParameter("hours must be a number", "hours") from None
    if not 0 < hours <= 24 * 365:
        raise InvalidParameter("hours must be between 0 and 8760", "hours")
    store = get_store()
    store.live.sync(get_engine())
    return jsonify(monitoring_report(store.registry.facilities,
                                     store.live.records, hours, datetime.now(UTC)))


def init_app(app: Flask) -> None:
    """Register the provider routes, and the per-token write limits (Flask-Limiter)."""
    app.register_blueprint(bp)
    for setting in ("PROVIDER_WRITE_RATE_LIMIT", "ADMIN_WRITE_RATE_LIMIT"):
        try:
            limits.parse_many(app.config[setting])
        except ValueError:
            raise RuntimeError(f"{setting} = {app.config[setting]!r} is not a rate limit such "
                               "as '30 per minute; 500 per day'") from None
    uri = app.config.get("RATELIMIT_STORAGE_URI") or f"{ratelimit.SCHEME}://"
    options = ({"engine": app.extensions["dolbom_db"]}
               if uri.startswith(f"{ratelimit.SCHEME}:") else {})
    limiter = Limiter(_writer_id, app=app, storage_uri=uri, storage_options=options,
                      strategy="fixed-window", key_prefix="dolbom")
    _without_request_hooks(app, limiter)
    app.extensions[_LIMITER] = limiter
    app.extensions[_WRITE_LIMIT] = limiter.shared_limit(_write_limit_value, "report-writes",
                                                        key_func=_writer_id)

    @app.errorhandler(RateLimited)
    def too_many_writes(exc: RateLimited) -> tuple[Response, int]:
        response = jsonify(error_body(exc.code, exc.message, exc.field))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response, 429


def _without_request_hooks(app: Flask, limiter: Limiter) -> None:
    """Take out the app-wide request hooks Flask-Limiter adds: the write limit is checked
    explicitly in the write (``_count_write``), with no default or application limits and no
    rate-limit headers, so the hooks do nothing — and the searches' fast path
    (app.api.fast_path) runs no hooks at all."""
    def ours(f: object) -> bool:
        return getattr(f, "__self__", None) is limiter or (
            isinstance(f, functools.partial) and any(a is limiter for a in f.args))

    tables: tuple[dict[Any, list[Any]], ...] = (app.before_request_funcs, app.after_request_funcs,
                                                app.teardown_request_funcs)  # hooks of 3 kinds
    for table in tables:
        if None in table:
            table[None] = [f for f in table[None] if not ours(f)]
