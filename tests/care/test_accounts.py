"""Accounts (app.care.accounts) on SQLite and PostgreSQL: sign-up, sign-in and its lockout, the
hash run for unknown accounts, rehash on new parameters, reset links, roles as data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.care.accounts import (
    AccountLocked,
    AccountStore,
    EmailTaken,
    InvalidEmail,
    InvalidResetToken,
    RoleError,
    Roles,
    SignInFailed,
    WeakPassword,
    normalise_email,
    token_hash,
)
from app.db.engine import password_resets, users
from tests.live.conftest import db_url, migrated_engine, postgres_db  # noqa: F401  (fixtures: engine)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


class CountingHasher(PasswordHasher):
    """argon2id with tiny parameters (fast tests) that counts its calls."""

    def __init__(self, memory_cost: int = 8) -> None:
        super().__init__(time_cost=1, memory_cost=memory_cost, parallelism=1, hash_len=16, salt_len=8)
        self.hashes = 0
        self.verifies = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifies += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def accounts(engine: sa.Engine, hasher: CountingHasher) -> AccountStore:
    return AccountStore(engine, hasher=hasher, max_failures=3, failure_window=timedelta(minutes=10),
                        lockout=timedelta(minutes=20))


def _row(engine: sa.Engine, email: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(users).where(users.c.email == email)).one()


# -- sign-up ---------------------------------------------------------------------------------

def test_sign_up_stores_the_normalised_email_and_only_an_argon2id_hash(accounts: AccountStore,
                                                                       engine: sa.Engine) -> None:
    user = accounts.sign_up("  Mom@Example.COM ", PASSWORD, now=T0)
    assert user.email == "mom@example.com"
    assert user.roles == ("guardian",)
    row = _row(engine, "mom@example.com")
    assert row.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PASSWORD not in row.password_hash


def test_the_same_email_in_another_case_is_refused(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    with pytest.raises(EmailTaken, match="already exists") as err:
        accounts.sign_up(" MOM@example.com", "another password 1", now=T0)
    assert err.value.field == "email" and err.value.http_status == 409


def test_the_database_refuses_a_second_row_with_the_email(accounts: AccountStore, engine: sa.Engine) -> None:
    """Two servers racing past the check: the unique constraint refuses the second."""
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(users.insert().values(id="x", email="mom@example.com", password_hash="h", created_at=T0,
                                           updated_at=T0, failed_sign_ins=0))


@pytest.mark.parametrize(("password", "message"), [
    ("short pw1", "at least 10 characters"),
    ("mom@example.com", "not be the e-mail"),
    (" MOM@Example.com ", "not be the e-mail"),
    ("mom.family", "not be the e-mail"),
    ("x" * 1025, "at most 1024 characters"),
])
def test_password_rules_name_the_field(accounts: AccountStore, password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message) as err:
        accounts.sign_up("Mom.Family@example.com" if password == "mom.family" else "mom@example.com", password)
    assert err.value.field == "password"


@pytest.mark.parametrize("email", ["", "mom", "mom@", "@example.com", "mom@example", "mo m@example.com",
                                   "mom@.com", "a" * 250 + "@x.kr"])
def test_bad_emails_are_refused_naming_the_field(email: str) -> None:
    with pytest.raises(InvalidEmail, match=r"address like name@example\.com") as err:
        normalise_email(email)
    assert err.value.field == "email"


# -- roles -----------------------------------------------------------------------------------

def test_provider_staff_are_tied_to_one_provider_and_roles_deny_by_default(accounts: AccountStore) -> None:
    staff = accounts.sign_up("staff@daycare.kr", PASSWORD, role="provider_staff", facility_id="F1", now=T0)
    family = accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    roles = accounts.roles
    assert roles.allows(staff, "bookings.confirm", facility_id="F1")
    assert not roles.allows(staff, "bookings.confirm", facility_id="F2")
    assert not roles.allows(staff, "bookings.confirm")
    assert not roles.allows(staff, "tokens.manage", facility_id="F1")
    assert roles.allows(family, "bookings.cancel", owner_id=family.id)
    assert not roles.allows(family, "bookings.cancel", owner_id=staff.id)
    assert not roles.allows(family, "bookings.confirm", owner_id=family.id)
    assert not roles.allows(family, "no.such.permission", owner_id=family.id)
    with pytest.raises(RoleError, match="tied to one provider") as err:
        accounts.sign_up("staff2@daycare.kr", PASSWORD, role="provider_staff")
    assert err.value.field == "facility_id"
    with pytest.raises(RoleError, match="unknown role 'carer'"):
        accounts.sign_up("carer@example.com", PASSWORD, role="carer")


def test_a_new_role_is_data_only(engine: sa.Engine, hasher: CountingHasher) -> None:
    roles = Roles({"caseworker": {"scope": "all", "permissions": ["children.read"]}})
    store = AccountStore(engine, hasher=hasher, roles=roles)
    worker = store.sign_up("case@city.go.kr", PASSWORD, role="caseworker", now=T0)
    assert roles.allows(worker, "children.read", owner_id="someone")
    assert not roles.allows(worker, "bookings.confirm", facility_id="F1")


# -- sign-in and lockout ---------------------------------------------------------------------

def test_sign_in_right_and_wrong(accounts: AccountStore) -> None:
    user = accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    assert accounts.sign_in(" MOM@example.com ", PASSWORD, now=T0).id == user.id
    with pytest.raises(SignInFailed, match="the e-mail or the password is wrong"):
        accounts.sign_in("mom@example.com", PASSWORD + "x", now=T0)


def test_locked_after_n_failures_within_the_window_and_unlocked_after_k_minutes(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    for minute in (0, 1):
        with pytest.raises(SignInFailed, match="wrong"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0 + timedelta(minutes=minute))
    with pytest.raises(AccountLocked, match="try again after 2026-03-02T09:22:00\\+00:00") as err:
        accounts.sign_in("mom@example.com", "wrong password", now=T0 + timedelta(minutes=2))
    assert err.value.until == T0 + timedelta(minutes=22)
    # Locked: even the right password is refused until the lockout ends.
    with pytest.raises(AccountLocked, match="too many failed sign-ins"):
        accounts.sign_in("mom@example.com", PASSWORD, now=T0 + timedelta(minutes=21, seconds=59))
    assert accounts.sign_in("mom@example.com", PASSWORD, now=T0 + timedelta(minutes=22)).email == "mom@example.com"


def test_failures_outside_the_window_do_not_add_up(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    for minute in (0, 5, 10, 15):  # never 3 within 10 minutes
        with pytest.raises(SignInFailed, match="wrong"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0 + timedelta(minutes=minute))
    assert accounts.sign_in("mom@example.com", PASSWORD, now=T0 + timedelta(minutes=16)).email == "mom@example.com"


def test_a_success_clears_the_failure_count(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    for minute in (0, 1):
        with pytest.raises(SignInFailed, match="wrong"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0 + timedelta(minutes=minute))
    accounts.sign_in("mom@example.com", PASSWORD, now=T0 + timedelta(minutes=2))
    with pytest.raises(SignInFailed, match="wrong"):
        accounts.sign_in("mom@example.com", "wrong password", now=T0 + timedelta(minutes=3))


def test_every_sign_in_runs_one_verification_also_for_unknown_and_locked_accounts(accounts: AccountStore,
                                                                                  hasher: CountingHasher) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    assert hasher.hashes == 2  # the store's dummy hash, made when it was created, and the sign-up's
    hasher.verifies = 0
    with pytest.raises(SignInFailed, match="the e-mail or the password is wrong"):
        accounts.sign_in("nobody@example.com", PASSWORD, now=T0)
    assert hasher.verifies == 1
    with pytest.raises(SignInFailed, match="the e-mail or the password is wrong"):
        accounts.sign_in("not an e-mail", PASSWORD, now=T0)
    assert hasher.verifies == 2
    for _ in range(3):
        with pytest.raises((SignInFailed, AccountLocked), match=r"wrong|too many"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0)
    assert hasher.verifies == 5
    with pytest.raises(AccountLocked, match="too many"):
        accounts.sign_in("mom@example.com", PASSWORD, now=T0)
    assert hasher.verifies == 6


def test_a_hash_with_old_parameters_is_renewed_at_sign_in(engine: sa.Engine) -> None:
    old = CountingHasher(memory_cost=8)
    AccountStore(engine, hasher=old).sign_up("mom@example.com", PASSWORD, now=T0)
    assert "$m=8," in _row(engine, "mom@example.com").password_hash
    new = CountingHasher(memory_cost=16)
    store = AccountStore(engine, hasher=new)
    store.sign_in("mom@example.com", PASSWORD, now=T0)
    renewed = _row(engine, "mom@example.com").password_hash
    assert "$m=16," in renewed and not new.check_needs_rehash(renewed)
    assert store.sign_in("mom@example.com", PASSWORD, now=T0).email == "mom@example.com"
    hashes = new.hashes
    store.sign_in("mom@example.com", PASSWORD, now=T0)
    assert new.hashes == hashes  # current parameters: no new hash


def test_a_rehash_never_undoes_a_password_reset_made_meanwhile(engine: sa.Engine) -> None:
    """Sign-in verifies the old password; a reset lands before it stores the renewed hash."""
    AccountStore(engine, hasher=CountingHasher(memory_cost=8)).sign_up("mom@example.com", PASSWORD, now=T0)
    new = CountingHasher(memory_cost=16)
    store = AccountStore(engine, hasher=new)
    issued = store.issue_reset("mom@example.com", now=T0)
    assert issued is not None

    def reset_meanwhile(hash: str | bytes) -> bool:
        store.reset_password(issued[0], "a new password 2", now=T0)
        return True

    new.check_needs_rehash = reset_meanwhile  # type: ignore[method-assign]
    store.sign_in("mom@example.com", PASSWORD, now=T0)
    del new.check_needs_rehash
    with pytest.raises(SignInFailed, match="wrong"):
        store.sign_in("mom@example.com", PASSWORD, now=T0)
    assert store.sign_in("mom@example.com", "a new password 2", now=T0).email == "mom@example.com"


# -- password reset --------------------------------------------------------------------------

def test_a_reset_link_works_once(accounts: AccountStore, engine: sa.Engine) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    issued = accounts.issue_reset(" Mom@Example.com", now=T0)
    assert issued is not None
    token, _user_id = issued
    with engine.connect() as conn:
        stored = conn.execute(sa.select(password_resets.c.token_hash)).scalars().all()
    assert stored == [token_hash(token)] and token not in stored
    accounts.reset_password(token, "a new password 2", now=T0 + timedelta(minutes=5))
    assert accounts.sign_in("mom@example.com", "a new password 2", now=T0 + timedelta(minutes=6))
    with pytest.raises(InvalidResetToken, match="not valid \\(used, or a newer one was sent\\)") as err:
        accounts.reset_password(token, "a third password 3", now=T0 + timedelta(minutes=7))
    assert err.value.field == "token"
    assert accounts.sign_in("mom@example.com", "a new password 2", now=T0 + timedelta(minutes=8))


def test_a_newer_reset_link_ends_the_older_one(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    older = accounts.issue_reset("mom@example.com", now=T0)
    newer = accounts.issue_reset("mom@example.com", now=T0 + timedelta(minutes=1))
    assert older is not None and newer is not None
    with pytest.raises(InvalidResetToken, match="a newer one was sent"):
        accounts.reset_password(older[0], "a new password 2", now=T0 + timedelta(minutes=2))
    accounts.reset_password(newer[0], "a new password 3", now=T0 + timedelta(minutes=2))
    assert accounts.sign_in("mom@example.com", "a new password 3", now=T0 + timedelta(minutes=3))


def test_an_expired_reset_link_is_refused(engine: sa.Engine, hasher: CountingHasher) -> None:
    store = AccountStore(engine, hasher=hasher, reset_ttl=timedelta(minutes=30))
    store.sign_up("mom@example.com", PASSWORD, now=T0)
    issued = store.issue_reset("mom@example.com", now=T0)
    assert issued is not None
    with pytest.raises(InvalidResetToken, match="has expired"):
        store.reset_password(issued[0], "a new password 2", now=T0 + timedelta(minutes=30))
    assert store.sign_in("mom@example.com", PASSWORD, now=T0 + timedelta(minutes=31))


def test_reset_for_an_unknown_email_issues_nothing_and_unknown_tokens_fail(accounts: AccountStore) -> None:
    assert accounts.issue_reset("nobody@example.com", now=T0) is None
    with pytest.raises(InvalidResetToken, match="not valid"):
        accounts.reset_password("made-up-token", "a new password 2", now=T0)


def test_a_reset_ends_the_lockout(accounts: AccountStore) -> None:
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    for _ in range(3):
        with pytest.raises((SignInFailed, AccountLocked), match=r"wrong|too many"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0)
    issued = accounts.issue_reset("mom@example.com", now=T0)
    assert issued is not None
    accounts.reset_password(issued[0], "a new password 2", now=T0 + timedelta(minutes=1))
    assert accounts.sign_in("mom@example.com", "a new password 2", now=T0 + timedelta(minutes=1))


def test_no_password_token_or_email_in_the_log(accounts: AccountStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="app.care.accounts")
    accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    for _ in range(3):
        with pytest.raises((SignInFailed, AccountLocked), match=r"wrong|too many"):
            accounts.sign_in("mom@example.com", "wrong password", now=T0)
    issued = accounts.issue_reset("mom@example.com", now=T0)
    assert issued is not None
    accounts.reset_password(issued[0], "a new password 2", now=T0)
    text = caplog.text
    assert "locked after 3 failed sign-ins" in text
    for secret in ("mom@example.com", PASSWORD, "wrong password", issued[0], "a new password 2"):
        assert secret not in text
