"""People's session store (app.pages.account_sessions.Sessions) on SQLite and PostgreSQL: the
table keeps only the id's SHA-256; a session ends at sign-out, after its idle and absolute
lifetimes, when the account is disabled, and when its password is reset through the core by any
path; ending all of an account's sessions leaves other accounts' alone."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.care.accounts import AccountStore
from app.db.engine import users
from app.db.session_tables import user_sessions
from app.pages.account_sessions import Sessions
from tests.live.conftest import db_url, migrated_engine, postgres_db  # noqa: F401  (fixtures: engine)

from .conftest import PASSWORD, Clock


@pytest.fixture
def store(engine: sa.Engine) -> AccountStore:
    return AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16,
                                                      salt_len=8))


@pytest.fixture
def sessions(engine: sa.Engine, clock: Clock) -> Sessions:
    return Sessions(engine, idle=timedelta(minutes=30), longest=timedelta(hours=8), clock=clock)


def _reasons(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return sorted((r.end_reason or "") for r in conn.execute(sa.select(user_sessions)).all())


def test_only_the_ids_hash_is_stored_and_sign_out_ends_it(sessions: Sessions, store: AccountStore,
                                                          engine: sa.Engine) -> None:
    user = store.sign_up("mom@example.com", PASSWORD)
    sid = sessions.start(user.id, "password")
    with engine.connect() as conn:
        (row,) = conn.execute(sa.select(user_sessions)).all()
    assert row.id == hashlib.sha256(sid.encode()).hexdigest() and sid not in row.id
    assert sessions.resolve(sid) == user.id
    sessions.end(sid, "sign_out")
    assert sessions.resolve(sid) is None
    assert _reasons(engine) == ["sign_out"]
    with pytest.raises(ValueError, match="method must be one of password, oidc"):
        sessions.start(user.id, "magic")


def test_idle_and_absolute_lifetimes(sessions: Sessions, store: AccountStore, clock: Clock,
                                     engine: sa.Engine) -> None:
    user = store.sign_up("mom@example.com", PASSWORD)
    idle = sessions.start(user.id, "password")
    busy = sessions.start(user.id, "oidc")
    for _ in range(16):
        clock.move(minutes=29)
        assert sessions.resolve(busy) == user.id  # each request starts the idle time again
    assert sessions.resolve(idle) is None  # 29 min × 16 without a request
    clock.move(minutes=16)  # 8 h after sign-in
    assert sessions.resolve(busy) is None
    assert _reasons(engine) == ["absolute", "idle"]


def test_a_disabled_account_and_a_reset_password_end_sessions(sessions: Sessions, store: AccountStore,
                                                              clock: Clock, engine: sa.Engine) -> None:
    mom = store.sign_up("mom@example.com", PASSWORD)
    dad = store.sign_up("dad@example.com", PASSWORD)
    phone, laptop, other = (sessions.start(mom.id, "password"), sessions.start(mom.id, "password"),
                            sessions.start(dad.id, "password"))
    clock.move(minutes=1)
    issued = store.issue_reset("mom@example.com", now=clock())
    assert issued is not None
    store.reset_password(issued[0], "a brand new password", now=clock())  # not through the web
    assert sessions.resolve(phone) is None and sessions.resolve(laptop) is None
    assert sessions.resolve(other) == dad.id
    clock.move(seconds=1)
    after = sessions.start(mom.id, "password")  # signed in with the new password
    assert sessions.resolve(after) == mom.id

    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == dad.id).values(disabled_at=clock()))
    assert sessions.resolve(other) is None
    assert sessions.end_all(mom.id, "disabled") == 1
    assert sessions.resolve(after) is None
    assert _reasons(engine) == ["disabled", "disabled", "password_reset", "password_reset"]


def test_a_signed_in_request_reads_its_session_and_account_with_grants_in_one_statement(
        sessions: Sessions, store: AccountStore, engine: sa.Engine) -> None:
    user = store.sign_up("staff@example.com", PASSWORD)
    store.grant(user.id, "provider_staff", "F1")
    sid = sessions.start(user.id, "password")
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        found = sessions.resolve_user(sid)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    sent = [s for s in sent if not s.startswith("BEGIN")]  # SQLite's own deferred BEGIN
    assert len(sent) == 1, sent  # read on every signed-in request: one round trip, not two
    assert found is not None and found.id == user.id and found.email == "staff@example.com"
    assert sorted((g.role, g.facility_id) for g in found.grants) == sorted(
        (g.role, g.facility_id) for g in store.get(user.id).grants)
    assert ("provider_staff", "F1") in {(g.role, g.facility_id) for g in found.grants}
    sessions.end(sid, "sign_out")
    assert sessions.resolve_user(sid) is None
