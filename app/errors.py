"""Typed errors and the one JSON envelope every API error uses.

``{"error": {"code": "...", "message": "...", "field": "..."}}`` — ``message`` is safe to show
to a user; details meant for operators go to the log, never into the response. An error may add
``reason``: a machine-readable word saying why (e.g. ``http_not_loopback`` for an origin), so a
page can say it in its own language; it is sent only when set.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.domain import DomainError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as JSON with an HTTP status."""

    status = 400
    code = "bad_request"
    challenge: str | None = None  # a WWW-Authenticate header to send (401s)
    reason: str | None = None  # why, for machines (sent only when set)

    def __init__(self, message: str, field: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason


class InvalidParameter(ApiError):
    """A request parameter that is missing, malformed or out of range."""

    code = "invalid_parameter"


class NotFound(ApiError):
    """A resource that does not exist."""

    status = 404
    code = "not_found"


CLIP_CHARS = 80


def clip(value: object, limit: int = CLIP_CHARS) -> str:
    """A client's value quoted for a message, its first ``limit`` characters and "…" when
    longer: an error names what was sent without echoing kilobytes of it back."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def error_body(code: str, message: str, field: str | None = None, reason: str | None = None) -> dict:
    """The error envelope (``reason`` only when given)."""
    error: dict = {"code": code, "message": message, "field": field}
    if reason is not None:
        error["reason"] = reason
    return {"error": error}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Register handlers that turn every error under /api into the JSON envelope."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError) -> tuple[Response, int]:
        body = error_body(exc.code, exc.message, exc.field, exc.reason)
        body["error"].update(getattr(exc, "extra", {}))
        response = jsonify(body)
        if exc.challenge:
            response.headers["WWW-Authenticate"] = exc.challenge
        return response, exc.status

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> tuple[str | Response, int]:
        # Input the core refused and no view reworded: the request's fault, a 400 naming the
        # field; never a 500.
        if not _wants_json():
            return exc.args[0] if exc.args else "Bad Request", 400
        return jsonify(error_body(exc.code, str(exc), exc.field, getattr(exc, "reason", None))), 400

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> HTTPException | Response:
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        response = jsonify(error_body(code, exc.description or exc.name))
        response.status_code = exc.code or 500
        if exc.code == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[str | Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return "Internal Server Error", 500
        return jsonify(error_body("internal_error", "An internal error occurred.")), 500
