"""Who is asking: the bearer token of an API request, checked against the tokens table, and the
one role check every admin-only endpoint uses. Deny by default: no token, an unknown, revoked
or expired one is a 401; a token of the wrong role a 403."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import DataError, DBAPIError

from app.db.engine import is_outage
from app.errors import ApiError, InvalidParameter, error_body
from app.extensions.db import get_engine
from app.live import tokens

ROLES = ("provider", "admin")
UNREACHABLE = "the availability database cannot be reached; try again shortly"
CARE_UNREACHABLE = "the care database cannot be reached; nothing was changed. Try again shortly"


class Unauthorized(ApiError):
    """No valid token (answered with ``WWW-Authenticate: Bearer``)."""

    status = 401
    code = "unauthorized"
    challenge = 'Bearer realm="dolbom"'


class Forbidden(ApiError):
    """A valid token whose role or facility may not do this."""

    status = 403
    code = "forbidden"


class Unavailable(ApiError):
    """The database is out of reach: try again."""

    status = 503
    code = "database_unavailable"


def database_error(exc: DBAPIError, outage_message: str = UNREACHABLE) -> ApiError:
    """The answer to a database error: 503 only when the database is out of reach
    (:func:`app.db.engine.is_outage`); a value the database refused (DataError: out of range,
    text it cannot hold) is the request's fault, a 400. Anything else is ours: re-raised, so
    it is logged and answered 500 — never reported as an outage."""
    if is_outage(exc):
        return Unavailable(outage_message)
    if isinstance(exc, DataError):
        return InvalidParameter("a value in the request cannot be stored (out of range, or "
                                "text with characters the database refuses)", "body")
    raise exc


def answer_database_errors(bp: Blueprint, outage_message: str = UNREACHABLE) -> None:
    """Answer a database error in any view of ``bp`` as :func:`database_error` says: a 503 in
    the error envelope while the database is out of reach (nothing was changed: the
    transaction rolled back; the next request after it is back works, no restart), a 400 for a
    value it refused, and anything else a 500."""

    @bp.errorhandler(DBAPIError)
    def _database(exc: DBAPIError) -> tuple[Response, int]:
        error = database_error(exc, outage_message)
        return jsonify(error_body(error.code, error.message, error.field)), error.status


def bearer() -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def principal(bind: sa.Engine | sa.Connection | None = None) -> tokens.Principal:
    """The verified token of the request (checked on ``bind``, default the app's engine);
    raises :class:`Unauthorized` without a valid one, :class:`Unavailable` when the database
    is out of reach."""
    try:
        who = tokens.verify(bind if bind is not None else get_engine(), bearer())
    except DBAPIError as exc:
        raise database_error(exc) from None
    if who is None:
        raise Unauthorized("a valid token is required: Authorization: Bearer dlb_…",
                           "Authorization")
    return who


def require_role(role: str, what: str, bind: sa.Engine | sa.Connection | None = None
                 ) -> tokens.Principal:
    """The request's principal when its role is ``role`` (one of ROLES); else 401 (no valid
    token) or 403 naming ``what`` ("the history", "planning data") as for ``role`` tokens."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    who = principal(bind)
    if who.role != role:
        raise Forbidden(f"{what} is for {role} tokens", "Authorization")
    return who
