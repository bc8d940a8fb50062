"""The admins' list of sites allowed to embed the widget, on SQLite and PostgreSQL: two servers
on one database, a change made on one reaches the other's /embed frame-ancestors within the
cache bound without a restart; the change log is append-only in the database itself."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.db.engine import embed_origin_log
from app.extensions.db import get_engine
from app.live import embed_origins, tokens

SUWON = "https://www.suwon.go.kr"
ADMIN = "/api/v1/admin/embed-origins"


def _frame_ancestors(client) -> str:
    csp = client.get("/embed").headers["Content-Security-Policy"]
    return next(p for p in csp.split("; ") if p.startswith("frame-ancestors"))


def test_a_change_reaches_the_other_server_within_the_bound(make_app):
    one = make_app(EMBED_ORIGINS_CACHE_S=0.5)
    two = make_app(EMBED_ORIGINS_CACHE_S=0.5)
    with one.app_context():
        auth = {"Authorization": f"Bearer {tokens.issue(get_engine(), 'admin')}"}
    other = two.test_client()
    assert _frame_ancestors(other) == "frame-ancestors 'self'"
    r = one.test_client().post(ADMIN, json={"origin": SUWON, "note": "수원시"}, headers=auth)
    assert (r.status_code, r.json["changed"]) == (200, True)
    assert _frame_ancestors(one.test_client()) == f"frame-ancestors 'self' {SUWON}"  # at once
    deadline = time.monotonic() + 0.5 + 0.4
    while _frame_ancestors(other) != f"frame-ancestors 'self' {SUWON}":
        assert time.monotonic() < deadline, "the other server did not see the change in time"
        time.sleep(0.05)
    assert other.get("/api/v1/embed/origins/check", query_string={"origin": SUWON}) \
        .json["allowed_by"] == "database"
    assert one.test_client().delete(ADMIN, query_string={"origin": SUWON},
                                    headers=auth).status_code == 200
    time.sleep(0.6)
    assert _frame_ancestors(other) == "frame-ancestors 'self'"


def test_adding_twice_stores_one_and_logs_one(make_app):
    app = make_app()
    with app.app_context():
        engine = get_engine()
        first = embed_origins.add(engine, SUWON, "cli:a")
        second = embed_origins.add(engine, SUWON + ":443", "cli:b")
        assert (first[1], second[1]) == (True, False)
        assert second[0]["added_by"] == "cli:a"
        assert [e["action"] for e in embed_origins.history(engine)] == ["add"]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(embed_origin_log.update().values(actor="someone else"))
        assert embed_origins.remove(engine, SUWON, "cli:a") is True
        assert embed_origins.remove(engine, SUWON, "cli:a") is False
        assert [e["action"] for e in embed_origins.history(engine)] == ["remove", "add"]
