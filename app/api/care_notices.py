"""The signed-in person's own in-page notices under /api/v1 (the outbox's ``in_page`` channel:
``app.db.outbox_tables.notifications``, written by :class:`app.care.notify.senders.InPageSender`),
for every role (guardian, provider staff, admin): each reads and marks only their own rows; an id
of another person's notice is answered as an unknown one, a 404 (nothing changes, nothing is told
about it: the API's way with another's objects). Signed in through the session cookie; the write
carries the CSRF token (X-CSRFToken)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify, request

from app.care.accounts import User
from app.db.outbox_tables import notifications
from app.errors import NotFound, clip
from app.extensions.db import get_engine
from app.extensions.registry import get_registry
from app.pages.account_sessions import SignInRequired, current_user

from . import bodies, params
from .auth import CARE_UNREACHABLE, answer_database_errors
from .openapi import Param, documented
from .params import InvalidParameter

bp = Blueprint("care_notices", __name__, url_prefix="/api/v1")
answer_database_errors(bp, CARE_UNREACHABLE)

NOTICES_LIMIT = 30  # notices per page, newest first
NOTICES_MAX = 100
READ_IDS_MAX = 200  # ids in one "mark read" request
NOTICE_ID_MAX = 2**31 - 1  # the notices' id column is a 32-bit integer
ERRORS = (400, 401)
READ_ERRORS = (400, 401, 404)


def _signed_in() -> User:
    """The signed-in person (any role: everyone has their own notices); 401 signed out."""
    user = current_user()
    if user is None:
        raise SignInRequired("sign in first", "session")
    return user


def _page(app: Flask) -> list[Param]:
    return [Param("limit", {"type": "integer", "minimum": 1, "maximum": NOTICES_MAX},
                  f"how many of the latest notices (default {NOTICES_LIMIT})"),
            Param("offset", {"type": "integer", "minimum": 0}, "notices to skip (default 0)")]


def _none(app: Flask) -> list[Param]:
    return []


@bp.get("/notifications")
@documented("The signed-in person's own notices (newest first) and how many are unread", _page, "Notices",
            errors=ERRORS)
def list_notices() -> Response:
    """``{"notices": [{id, topic, title, body, created_at, read_at}], "unread": n, "total": n,
    "limit", "offset"}``: the title and body as rendered in the person's language when sent;
    times on the registry's clock (+09:00). 401 signed out; 400 for a bad ``limit``/``offset``."""
    user = _signed_in()
    limit = params.integer(request.args, "limit", default=NOTICES_LIMIT, minimum=1, maximum=NOTICES_MAX)
    offset = params.integer(request.args, "offset", default=0, minimum=0, maximum=10**9)
    n, tz = notifications, get_registry().locale.tz
    own = n.c.user_id == user.id
    with get_engine().connect() as conn:
        rows = conn.execute(sa.select(n.c.id, n.c.topic, n.c.title, n.c.body, n.c.created_at, n.c.read_at)
                            .where(own).order_by(n.c.created_at.desc(), n.c.id.desc())
                            .limit(limit).offset(offset)).all()
        total, unread = conn.execute(sa.select(
            sa.func.count(), sa.func.count().filter(n.c.read_at.is_(None))).where(own)).one()

    def at(moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz).isoformat()

    return jsonify({"notices": [{"id": r.id, "topic": r.topic, "title": r.title, "body": r.body,
                                 "created_at": at(r.created_at), "read_at": at(r.read_at)} for r in rows],
                    "unread": int(unread or 0), "total": int(total or 0), "limit": limit, "offset": offset})


@bp.post("/notifications/read")
@documented("Mark the signed-in person's own notices read: {\"ids\": [...]} or {\"all\": true}", _none,
            "NoticesRead", method="post", body="NoticesReadInput", errors=READ_ERRORS)
def mark_read() -> Response:
    """``{"marked": n, "unread": n}``: the person's own unread notices among ``ids`` (or all of
    them with ``all``) are marked read now; already read ones are not counted again. 404
    (``not_found``, field ``ids``, nothing marked): an id that is not one of the person's own
    notices, another person's or an unknown one alike. 400 (field and what is allowed named):
    neither or both of ``ids`` and ``all``; ``ids`` not a list (``not_a_list``), an item not a
    notice id, an integer from 1 (``not_an_id``), more than 200 (``too_many``); ``all`` not true."""
    user = _signed_in()
    body: dict[str, Any] = bodies.json_object(frozenset({"ids", "all"}))
    if ("ids" in body) == ("all" in body):
        raise InvalidParameter("send either ids (a list of notice ids) or all: true", "ids", "missing")
    n = notifications
    chosen = sa.and_(n.c.user_id == user.id, n.c.read_at.is_(None))
    ids: list[int] | None = None
    if "all" in body:
        if body["all"] is not True:
            raise InvalidParameter("all must be true", "all", "invalid")
    else:
        ids = _notice_ids(body["ids"])
        chosen = sa.and_(chosen, n.c.id.in_(ids))
    with get_engine().begin() as conn:
        if ids is not None:
            own = set(conn.execute(sa.select(n.c.id).where(n.c.user_id == user.id, n.c.id.in_(ids))).scalars())
            stranger = next((i for i in ids if i not in own), None)
            if stranger is not None:  # another's or unknown: the same answer, and nothing marked
                raise NotFound(f"no notice {stranger} of yours", "ids")
        marked = conn.execute(n.update().where(chosen).values(read_at=datetime.now(UTC))).rowcount
        unread = conn.execute(sa.select(sa.func.count()).where(n.c.user_id == user.id,
                                                                n.c.read_at.is_(None))).scalar_one()
    return jsonify({"marked": int(marked or 0), "unread": int(unread)})


def _notice_ids(ids: object) -> list[int]:
    """``ids`` as sent, checked: a list of at most :data:`READ_IDS_MAX` notice ids (integers, as
    GET /api/v1/notifications gives them); otherwise an :class:`InvalidParameter` on ``ids``
    saying what is allowed and what was sent."""
    allowed = (f"a list of at most {READ_IDS_MAX} notice ids (integers from 1, as GET /api/v1/notifications "
               "gives them)")
    if not isinstance(ids, list):
        raise InvalidParameter(f"ids must be {allowed}, such as [12, 15], not {clip(ids)}", "ids", "not_a_list")
    if len(ids) > READ_IDS_MAX:
        raise InvalidParameter(f"ids must be {allowed}, not {len(ids)} of them", "ids", "too_many")
    for i in ids:
        if not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= NOTICE_ID_MAX:
            raise InvalidParameter(f"ids must be {allowed}; {clip(i)} is not a notice id", "ids", "not_an_id")
    return ids


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
