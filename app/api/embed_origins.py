"""Which sites may embed the widget: a public check for the builder (``/embed/builder``), and
the admins' list kept in the database (list, add, remove) — no restart needed; every server
process sees a change within ``EMBED_ORIGINS_CACHE_S`` seconds (:mod:`app.live.embed_origins`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from sqlalchemy.exc import DBAPIError

from app.api.auth import UNREACHABLE, database_error, require_role
from app.api.openapi import Param, documented, plain_text_pattern
from app.errors import InvalidParameter, NotFound
from app.extensions import embed_origins as allowed
from app.extensions.db import get_engine
from app.live import embed_origins as store
from app.live.embed_origins import ALLOWED_TEXT, ORIGIN_MAX_CHARS, OriginError, parse_origin

bp = Blueprint("embed_origins", __name__, url_prefix="/api/v1")

SETTING = "EMBED_ALLOWED_ORIGINS"


def _origin_param(wildcard: bool, what: str) -> list[Param]:
    return [Param("origin", {"type": "string", "pattern": store.origin_pattern(wildcard),
                             "maxLength": ORIGIN_MAX_CHARS}, what, required=True)]


def _origin_arg(wildcard: bool = False) -> str:
    try:
        return parse_origin(request.args.get("origin"), wildcard=wildcard)
    except OriginError as exc:
        raise InvalidParameter(f"origin: {exc}", "origin", exc.reason) from None


def own_origin() -> str:
    """This service's origin as the request reached it."""
    return request.host_url.rstrip("/")


def check_answer(origin: str) -> dict[str, Any]:
    """Whether ``origin`` may frame /embed now, by which list, and if not how an operator
    allows it (the admin page, the CLI, the API, or the setting with its exact new value)."""
    configured, stored = allowed.configured(), allowed.stored()
    via, source = None, None
    if store.allows(own_origin(), origin):
        via, source = "self", "'self'"
    elif (found := store.first_allowing(configured, origin)) is not None:
        via, source = "setting", found
    elif (found := store.first_allowing(stored, origin)) is not None:
        via, source = "database", found
    cache_s = float(current_app.config["EMBED_ORIGINS_CACHE_S"])
    how = None
    if via is None:
        value = [*configured, origin]
        how = {
            "admin_page": url_for("embed_admin.page", origin=origin),
            "cli": f"flask embed-origins add {origin}",
            "api": "POST /api/v1/admin/embed-origins {\"origin\": \"" + origin + "\"}",
            "setting": SETTING,
            "setting_value": value,
            "environment": f"DOLBOM_{SETTING}=" + ",".join(value),
            "note": f"the admin page, the CLI and the API need no restart: every server allows "
                    f"the site within {cache_s:g} seconds; the setting needs a restart",
        }
    return {"origin": origin, "allowed": via is not None, "allowed_by": via, "source": source,
            "how": how, "propagation_s": cache_s}


@bp.get("/embed/origins/check")
@documented("Whether a site may embed the widget now, and how an operator allows it",
            lambda app: _origin_param(False, "the site's origin: scheme https (http only for "
                                             "localhost), host and optional port, no path"),
            "EmbedOriginCheck")
def check_embed_origin() -> Response:
    """For the widget builder: may pages of ``origin`` frame ``/embed`` now (the service's
    own origin, the ``EMBED_ALLOWED_ORIGINS`` setting, or the admins' database list)? If not,
    ``how`` says exactly how an operator allows it."""
    return jsonify(check_answer(_origin_arg()))


def _entries() -> dict[str, Any]:
    engine = get_engine()
    return {"stored": store.list_origins(engine), "configured": list(allowed.configured()),
            "propagation_s": float(current_app.config["EMBED_ORIGINS_CACHE_S"]),
            "log": store.history(engine, 20)}


@bp.get("/admin/embed-origins")
@documented("The sites allowed to embed the widget (admin)", lambda app: [], "EmbedOriginList",
            errors=(400, 401, 403, 503), secured=True)
def list_embed_origins() -> Response:
    """The database list (with who added each), the setting's list, and the latest changes."""
    _admin()
    return list_answer()


_NOT_ADDED = "the database cannot be reached; the site was not added. Try again shortly"
_NOT_REMOVED = "the database cannot be reached; the site was not removed. Try again shortly"


def _admin(outage_message: str = UNREACHABLE) -> str:
    """Who asks, as stored with a change (``token:<id>``): an admin token, else 401/403."""
    try:
        return f"token:{require_role('admin', 'the embed origins').token_id}"
    except DBAPIError as exc:
        raise database_error(exc, outage_message) from None


def list_answer() -> Response:
    """The lists, the caller having checked who asks: the API (an admin token) and the
    planner's session (``/planner/embed-origins``)."""
    try:
        return jsonify(_entries())
    except DBAPIError as exc:
        raise database_error(exc) from None


@bp.post("/admin/embed-origins")
@documented("Allow a site to embed the widget, without a restart (admin)", lambda app: [],
            "EmbedOriginChange", errors=(400, 401, 403, 503), method="post",
            body="EmbedOriginInput", secured=True)
def add_embed_origin() -> Response:
    """Store ``origin`` (``*.`` allows every subdomain); every server allows it within
    ``EMBED_ORIGINS_CACHE_S`` seconds. Already stored: nothing changes (``changed`` false)."""
    return add_answer(_admin(_NOT_ADDED))


def add_answer(by: str) -> Response:
    """Store the body's origin, added ``by`` (``token:<id>``) as the caller checked."""
    try:
        if not request.is_json:
            raise InvalidParameter("send JSON (Content-Type: application/json)", "Content-Type")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidParameter('the body must be a JSON object: {"origin": '
                                   '"https://www.suwon.go.kr", "note": "…"}', "body")
        unknown = sorted(set(body) - {"origin", "note"})
        if unknown:
            raise InvalidParameter(f"{unknown[0]} is not a field; allowed: origin, note",
                                   str(unknown[0])[:80])
        try:
            origin = parse_origin(body.get("origin"), wildcard=True)
        except OriginError as exc:
            raise InvalidParameter(f"origin: {exc}", "origin", exc.reason) from None
        try:
            entry, added = store.add(get_engine(), origin, by, body.get("note"))
        except OriginError as exc:
            raise InvalidParameter(f"note: {exc}", "note", exc.reason) from None
    except DBAPIError as exc:
        raise database_error(exc, _NOT_ADDED) from None
    allowed.cache().invalidate()
    return jsonify({"origin": entry["origin"], "changed": added, "entry": entry,
                    "propagation_s": float(current_app.config["EMBED_ORIGINS_CACHE_S"])})


@bp.delete("/admin/embed-origins")
@documented("Stop allowing a site the database list allows (admin)",
            lambda app: _origin_param(True, "the stored origin to remove"),
            "EmbedOriginChange", errors=(400, 401, 403, 404, 503), method="delete", secured=True)
def remove_embed_origin() -> Response:
    """Remove ``origin`` from the database list; every server refuses it within
    ``EMBED_ORIGINS_CACHE_S`` seconds (unless the setting also allows it)."""
    return remove_answer(_admin(_NOT_REMOVED))


def remove_answer(by: str) -> Response:
    """Remove ``?origin=``, removed ``by`` (``token:<id>``) as the caller checked."""
    try:
        origin = _origin_arg(wildcard=True)
        removed = store.remove(get_engine(), origin, by)
    except DBAPIError as exc:
        raise database_error(exc, _NOT_REMOVED) from None
    if not removed:
        where = (f"; it is in the {SETTING} setting: remove it there and restart"
                 if origin in allowed.configured() else "")
        raise NotFound(f"{origin} is not in the database list{where}", "origin")
    allowed.cache().invalidate()
    return jsonify({"origin": origin, "changed": True, "entry": None,
                    "propagation_s": float(current_app.config["EMBED_ORIGINS_CACHE_S"])})


def openapi_schemas() -> dict[str, Any]:
    """The response and body schemas of these operations."""
    text = {"type": "string"}
    maybe_text = {"type": "string", "nullable": True}
    entry = {"type": "object", "required": ["origin", "added_by", "added_at"],
             "properties": {"origin": text, "note": maybe_text, "added_by": text,
                            "added_at": {"type": "string", "format": "date-time"}}}
    return {
        "EmbedOriginCheck": {
            "type": "object",
            "required": ["origin", "allowed", "allowed_by", "source", "how", "propagation_s"],
            "properties": {
                "origin": {**text, "description": "the origin checked, normalised"},
                "allowed": {"type": "boolean"},
                "allowed_by": {"type": "string", "enum": ["self", "setting", "database"],
                               "nullable": True},
                "source": {**maybe_text, "description": "the frame-ancestors source allowing it"},
                "how": {"type": "object", "nullable": True,
                        "description": "when not allowed: how an operator allows it",
                        "required": ["admin_page", "cli", "api", "setting", "setting_value",
                                     "environment"],
                        "properties": {"admin_page": text, "cli": text, "api": text,
                                       "setting": text,
                                       "setting_value": {"type": "array", "items": text},
                                       "environment": text, "note": text}},
                "propagation_s": {"type": "number", "description":
                                  "a database change reaches every server within this"}}},
        "EmbedOriginList": {
            "type": "object", "required": ["stored", "configured", "propagation_s", "log"],
            "properties": {"stored": {"type": "array", "items": entry},
                           "configured": {"type": "array", "items": text},
                           "propagation_s": {"type": "number"},
                           "log": {"type": "array", "items": {"type": "object"}}}},
        "EmbedOriginInput": {
            "type": "object", "required": ["origin"], "additionalProperties": False,
            "properties": {
                "origin": {"type": "string", "pattern": store.origin_pattern(True),
                           "maxLength": ORIGIN_MAX_CHARS, "description": ALLOWED_TEXT
                           + "; *. allows every subdomain"},
                "note": {"type": "string", "maxLength": store.NOTE_MAX_CHARS,
                         "pattern": plain_text_pattern(),
                         "description": "who asked, a ticket (plain text)"}}},
        "EmbedOriginChange": {
            "type": "object", "required": ["origin", "changed", "entry", "propagation_s"],
            "properties": {"origin": text, "changed": {"type": "boolean"},
                           "entry": {**entry, "nullable": True},
                           "propagation_s": {"type": "number"}}},
    }


def init_app(app: Flask) -> None:
    """Register the routes."""
    app.register_blueprint(bp)
