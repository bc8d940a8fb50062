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
ID_CLIP_CHARS = 40
"""Characters of an id kept when a message names it (ids are 32 characters; a longer one
was never issued)."""


def clip(value: object, limit: int = CLIP_CHARS) -> str:
    """A client's value quoted for a message, its first ``limit`` characters and "…" when
    longer: an error names what was sent without echoing kilobytes of it back."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def clip_echoes(message: str, limit: int = ID_CLIP_CHARS) -> str:
    """``message`` with every path value of the request (an id in ``/bookings/<id>``) longer
    than ``limit`` cut to its first ``limit`` characters and "…": a 404 for a 5,000-character
    id names it without echoing it whole, whichever layer wrote the message."""
    try:
        values = request.view_args or {}
    except RuntimeError:  # outside a request
        return message
    for value in values.values():
        if isinstance(value, str) and len(value) > limit and value in message:
            message = message.replace(value, value[:limit] + "…")
    return message


def error_body(code: str, message: str, field: str | None = None, reason: str | None = None) -> dict:
    """The error envelope (``reason`` only when given; path values clipped: :func:`clip_echoes`)."""
    error: dict = {"code": code, "message": clip_echoes(message), "field": field}
    if reason is not None:
        error["reason"] = reason
    return {"error": error}


ALLOWED_DOMAIN_STATUSES = frozenset({400, 401, 403, 404, 409, 410, 422, 423, 429, 503})


def domain_status(exc: DomainError) -> int:
    """The HTTP status of a core error: its ``http_status`` when it is one a refusal may have
    (:data:`ALLOWED_DOMAIN_STATUSES`), else 400."""
    status = getattr(exc, "http_status", 400)
    return status if isinstance(status, int) and status in ALLOWED_DOMAIN_STATUSES else 400


def domain_extra(exc: DomainError) -> dict:
    """The extra envelope fields of a core error (its ``extra``: a mapping, or a property
    giving one); never overrides ``code``, ``message`` or ``field``."""
    extra = getattr(exc, "extra", None)
    if not isinstance(extra, dict):
        return {}
    return {k: v for k, v in extra.items() if k not in ("code", "message", "field")}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


# Page errors answered with the site's own page (ko/en, viewport, a link home) instead of
# Werkzeug's English one; other statuses keep the text the view gave.
PAGE_ERRORS = frozenset({404, 405, 500})


def _error_page(status: int | None, exc: HTTPException | None) -> Response:
    """The error page (templates/error.html) for a page request: 404, 405 or 500, in the
    request's language; the plain status text when the page itself cannot be drawn."""
    from flask import make_response, render_template

    code = status if status in PAGE_ERRORS else 500
    try:
        response = make_response(render_template("error.html", status=code), code)
    except Exception:  # the page's own error must not hide the first one
        log.exception("the error page could not be drawn")
        response = make_response("Internal Server Error" if code == 500 else str(code), code)
        response.mimetype = "text/plain"
    if exc is not None and code == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


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
        # Input or a state the core refused and no view reworded: the request's fault, never a
        # 500. The status is the error's ``http_status`` (400 unless it says otherwise: 404 for
        # an unknown object, 409 for a state conflict, 403 for a role that may not act) and
        # ``extra`` adds what the client needs to recover (a 409's current state and actions).
        status = domain_status(exc)
        if not _wants_json():
            return exc.args[0] if exc.args else "Bad Request", status
        body = error_body(exc.code, str(exc), exc.field, getattr(exc, "reason", None))
        body["error"].update(domain_extra(exc))
        return jsonify(body), status

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> HTTPException | Response:
        if not _wants_json():
            return _error_page(exc.code, exc) if exc.code in PAGE_ERRORS else exc
        code = (exc.name or "error").lower().replace(" ", "_")
        body = error_body(code, exc.description or exc.name)
        allowed = sorted(exc.valid_methods or ()) if isinstance(exc, MethodNotAllowed) else []
        if allowed:  # what the path takes, in the body too: a client reading only JSON can recover
            body["error"].update(message=f"{request.method} is not allowed here; allowed: {', '.join(allowed)}",
                                 reason="method_not_allowed", allowed_methods=allowed)
        response = jsonify(body)
        response.status_code = exc.code or 500
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> tuple[str | Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return _error_page(500, None), 500
        return jsonify(error_body("internal_error", "An internal error occurred.")), 500
