"""People's accounts: sign-up, sign-in with a lockout, roles as data, password-reset links.

No Flask here; the web layer passes the settings (``app/config.py``'s ``ACCOUNT_*``) and, in
tests, a clock (``now``) and a cheap hasher.

- **E-mail**: stored normalised (Unicode NFKC, surrounding white space dropped, lower case), so
  ``" Mom@Example.COM "`` and ``"mom@example.com"`` are one account; unique in the database.
- **Passwords**: only an argon2id hash (argon2-cffi's :class:`~argon2.PasswordHasher`, its
  RFC 9106 defaults unless another hasher is given); a hash made with older parameters is
  replaced at the next successful sign-in (``check_needs_rehash``). Rules: at least
  ``min_password_length`` characters (10), at most :data:`MAX_PASSWORD_LENGTH`, not containing
  the e-mail nor its part before the ``@`` (:func:`password_problems`).
- **Sign-in**: every attempt runs exactly one password verification, also for an unknown
  e-mail (against a dummy hash) and a locked account, so the time taken does not tell which
  e-mails have accounts; a wrong password and an unknown e-mail raise the same error.
  ``max_failures`` failures within ``failure_window`` lock the account for ``lockout``; a
  success clears the counter; a failure after the window has passed starts a new count.
- **Roles** are data (``app/reference/roles.json``): each names its permissions and its scope
  (``own``, ``facility``, ``all``); :meth:`Roles.allows` denies anything not granted.
- **Reset links**: a random token; only its SHA-256 is stored; a link works once, a newer link
  supersedes every older one, and a link expires after ``reset_ttl``.

Nothing logged carries a password, a token or an e-mail: only user ids.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.db.engine import password_resets, reads, user_roles, users
from app.db.outbox_tables import user_contacts
from app.domain import DomainError
from app.reference import document

log = logging.getLogger(__name__)

# Built once (a signed-in request reads it): the account with its grants, one row per grant.
_USER_WITH_GRANTS = (
    sa.select(users.c.id, users.c.email, users.c.created_at, user_roles.c.role, user_roles.c.facility_id)
    .select_from(users.outerjoin(user_roles, user_roles.c.user_id == users.c.id))
    .where(users.c.id == sa.bindparam("user_id")).order_by(user_roles.c.role))



def user_of_rows(rows: Sequence[sa.Row[Any, *tuple[Any, ...]]]) -> User:
    """The account from the rows of ``users`` LEFT JOIN ``user_roles`` (one per grant, one with
    a null ``role`` when it has none; at least one row), each with ``id``, ``email``,
    ``created_at``, ``role`` and ``facility_id``: :meth:`AccountStore.get`'s read, and the
    session check's that reads the session and its account in one statement."""
    created = _read(rows[0].created_at)
    assert created is not None
    return User(rows[0].id, rows[0].email,
                tuple(Grant(r.role, r.facility_id) for r in rows if r.role is not None), created)


MAX_FAILURES = 5
"""Default: failed sign-ins within :data:`FAILURE_WINDOW` that lock an account."""
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
"""Default: how long a locked account stays locked."""
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # a longer one is refused before hashing (no free CPU for anyone)
RESET_TTL = timedelta(hours=1)
"""Default: how long a password-reset link works."""
MAX_EMAIL_LENGTH = 254
SCOPES = ("own", "facility", "all")
GUARDIAN = "guardian"
MESSAGE_LANGUAGES = ("ko", "en")
"""The languages a person's messages are written in (``user_contacts.locale``; no row: Korean)."""


class AccountError(DomainError):
    """An account that cannot be made, signed in or changed; ``http_status`` is the API's."""

    http_status = 400


class InvalidEmail(AccountError):
    code = "invalid_email"

    def __init__(self, message: str) -> None:
        super().__init__(message, "email")


class EmailTaken(AccountError):
    """Another account has this e-mail (compared normalised)."""

    code = "email_taken"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("an account with this e-mail already exists: sign in, or reset the password", "email")


class WeakPassword(AccountError):
    """A password the rules refuse (too short, too long, the e-mail)."""

    code = "weak_password"

    def __init__(self, message: str, field: str = "password", reason: str | None = None) -> None:
        super().__init__(message, field, reason)


class SignInFailed(AccountError):
    """Wrong e-mail or password: one message for both, so it does not tell which e-mails exist."""

    code = "sign_in_failed"
    http_status = 401

    def __init__(self) -> None:
        super().__init__("the e-mail or the password is wrong", "password")


class AccountLocked(AccountError):
    """Too many failed sign-ins: locked until ``until`` (UTC)."""

    code = "account_locked"
    http_status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many failed sign-ins: try again after {until.isoformat()}", "email")
        self.until = until


class InvalidResetToken(AccountError):
    """A reset link that is unknown, used, superseded by a newer one or expired."""

    code = "invalid_reset_token"

    def __init__(self, message: str) -> None:
        super().__init__(message, "token")


class RoleError(AccountError):
    """An unknown role, or a grant without (or with a needless) facility_id."""

    code = "invalid_role"


@dataclass(frozen=True)
class Role:
    name: str
    scope: str  # "own", "facility" or "all"
    permissions: frozenset[str]


@dataclass(frozen=True)
class Grant:
    role: str
    facility_id: str | None


@dataclass(frozen=True)
class User:
    id: str
    email: str
    grants: tuple[Grant, ...]
    created_at: datetime

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(g.role for g in self.grants)


class Roles:
    """The roles and their permissions (``app/reference/roles.json`` unless given)."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        spec = document("roles.json")["roles"] if spec is None else spec
        self._roles: dict[str, Role] = {}
        for name, body in spec.items():
            scope = body.get("scope")
            perms = body.get("permissions")
            if scope not in SCOPES:
                raise RoleError(f"role {name}: scope must be one of {', '.join(SCOPES)}, not {scope!r}", "scope")
            if not isinstance(perms, list) or not all(isinstance(p, str) and p for p in perms):
                raise RoleError(f"role {name}: permissions must be a list of names", "permissions")
            self._roles[name] = Role(name, scope, frozenset(perms))

    def __contains__(self, name: object) -> bool:
        return name in self._roles

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._roles))

    def get(self, name: str) -> Role:
        try:
            return self._roles[name]
        except KeyError:
            raise RoleError(f"unknown role {name!r}: one of {', '.join(self.names)}", "role") from None

    def check_grant(self, role: str, facility_id: str | None) -> Grant:
        """The grant of ``role``; a role of scope ``facility`` needs the one provider's id, any
        other role must not have one."""
        spec = self.get(role)
        if spec.scope == "facility" and not facility_id:
            raise RoleError(f"the role {role} is tied to one provider: give its facility_id", "facility_id")
        if spec.scope != "facility" and facility_id is not None:
            raise RoleError(f"the role {role} is not tied to a provider: give no facility_id", "facility_id")
        return Grant(role, facility_id)

    def acting_as(self, user: User, permission: str, *, facility_id: str | None = None,
                  owner_id: str | None = None) -> str | None:
        """The role in which the user may take ``permission`` on the object, or None: the
        narrowest first (their own record, then their provider's, then every object's), so a
        guardian who is also staff cancels their own child's booking as its guardian."""
        found: dict[str, str] = {}
        for grant in user.grants:
            role = self._roles.get(grant.role)
            if role is None or permission not in role.permissions:
                continue
            if role.scope == "all" or (role.scope == "facility" and facility_id is not None
                                       and grant.facility_id == facility_id) or \
                    (role.scope == "own" and owner_id is not None and owner_id == user.id):
                found.setdefault(role.scope, role.name)
        return next((found[s] for s in ("own", "facility", "all") if s in found), None)

    def facilities(self, user: User, permission: str) -> tuple[str, ...]:
        """The providers whose objects the user's provider-tied roles may take ``permission`` on."""
        return tuple(sorted({g.facility_id for g in user.grants if g.facility_id and g.role in self._roles
                             and self._roles[g.role].scope == "facility"
                             and permission in self._roles[g.role].permissions}))

    def allows(self, user: User, permission: str, *, facility_id: str | None = None,
               owner_id: str | None = None) -> bool:
        """Whether one of the user's roles grants ``permission`` on the object (its provider
        ``facility_id``, its owner ``owner_id``). Deny by default: unknown roles and
        permissions, and an object outside the role's scope, are refused."""
        for grant in user.grants:
            role = self._roles.get(grant.role)
            if role is None or permission not in role.permissions:
                continue
            if role.scope == "all":
                return True
            if role.scope == "facility" and facility_id is not None and grant.facility_id == facility_id:
                return True
            if role.scope == "own" and owner_id is not None and owner_id == user.id:
                return True
        return False


def normalise_email(email: str) -> str:
    """The e-mail as stored and compared: NFKC, stripped, lower case; refused unless it has the
    form ``local@domain.tld`` without white space, at most :data:`MAX_EMAIL_LENGTH` characters."""
    if not isinstance(email, str):
        raise InvalidEmail("email must be text")
    value = unicodedata.normalize("NFKC", email).strip().lower()
    local, at, domain = value.rpartition("@")
    if (not at or not local or "." not in domain.strip(".") or domain.startswith(".") or domain.endswith(".")
            or any(c.isspace() for c in value) or len(value) > MAX_EMAIL_LENGTH):
        raise InvalidEmail(f"email must be an address like name@example.com, at most {MAX_EMAIL_LENGTH} characters")
    return value


MIN_LOCAL_PART_CHARS = 3
"""The shortest part of the e-mail before the ``@`` that a password may not contain (a shorter
one, such as ``a`` of ``a@b.kr``, is too common a piece of any password to refuse)."""


def password_problems(password: str, email: str, min_length: int = MIN_PASSWORD_LENGTH) -> list[WeakPassword]:
    """Every rule ``password`` breaks (each a :class:`WeakPassword` with its ``reason``): not
    text (``not_text``), shorter than ``min_length`` (``too_short``), longer than
    :data:`MAX_PASSWORD_LENGTH` (``too_long``), or containing (ignoring case and width) the
    e-mail ``email`` or its part before the ``@`` when that has :data:`MIN_LOCAL_PART_CHARS` or
    more (``contains_email``: tester pass 28, ``a@b.kr1234`` for ``a@b.kr``)."""
    if not isinstance(password, str):
        return [WeakPassword("password must be text", reason="not_text")]
    found = []
    if len(password) < min_length:
        found.append(WeakPassword(f"password must have at least {min_length} characters", reason="too_short"))
    if len(password) > MAX_PASSWORD_LENGTH:
        return [WeakPassword(f"password must have at most {MAX_PASSWORD_LENGTH} characters", reason="too_long")]
    said = unicodedata.normalize("NFKC", password).lower()
    address = unicodedata.normalize("NFKC", email).strip().lower() if isinstance(email, str) else ""
    local = address.rpartition("@")[0]
    if (address and address in said) or (len(local) >= MIN_LOCAL_PART_CHARS and local in said):
        found.append(WeakPassword("password must not be the e-mail address, nor contain it or its part before the @",
                                  reason="contains_email"))
    return found


def check_password(password: str, email: str, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    """Refuse (:class:`WeakPassword`, the first problem) a password breaking a rule of
    :func:`password_problems`."""
    found = password_problems(password, email, min_length)
    if found:
        raise found[0]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise AccountError(f"{field} must carry a time zone (an offset or Z)", field)
    return value.astimezone(UTC)


def _read(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else _utc(now, "now")


class AccountStore:
    """Accounts on one engine (SQLite or PostgreSQL, from :func:`app.db.engine.make_engine`).

    Settings (keyword arguments; ``app/config.py``'s ``ACCOUNT_*`` give the service's):
    ``max_failures`` (5) failed sign-ins within ``failure_window`` (15 min) lock the account
    for ``lockout`` (15 min); ``min_password_length`` (10); ``reset_ttl`` (1 h), how long a
    reset link works. ``hasher``: argon2-cffi's ``PasswordHasher()`` unless given (tests pass
    one with small parameters); ``roles``: :class:`Roles` from ``roles.json`` unless given.
    """

    def __init__(self, engine: sa.Engine, *, hasher: PasswordHasher | None = None, roles: Roles | None = None,
                 max_failures: int = MAX_FAILURES, failure_window: timedelta = FAILURE_WINDOW,
                 lockout: timedelta = LOCKOUT, min_password_length: int = MIN_PASSWORD_LENGTH,
                 reset_ttl: timedelta = RESET_TTL) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.engine = engine
        self.hasher = hasher if hasher is not None else PasswordHasher()
        self.roles = roles if roles is not None else Roles()
        self.max_failures = max_failures
        self.failure_window = failure_window
        self.lockout = lockout
        self.min_password_length = min_password_length
        self.reset_ttl = reset_ttl
        self._dummy_hash: str | None = None
        self._dummy()  # made now, so no sign-in pays for it

    # -- accounts ----------------------------------------------------------------------------

    def sign_up(self, email: str, password: str, role: str = GUARDIAN, facility_id: str | None = None,
                now: datetime | None = None, locale: str | None = None) -> User:
        """Make an account with one role (a guardian by default; provider staff name their
        provider); ``locale`` (one of :data:`MESSAGE_LANGUAGES`, the sign-up page's language):
        the language of the person's messages, kept with the account (None: Korean). Raises
        :class:`InvalidEmail`, :class:`WeakPassword`, :class:`RoleError`, :class:`EmailTaken`
        (also when another server made it a moment before), ``ValueError`` for another locale."""
        if locale is not None and locale not in MESSAGE_LANGUAGES:
            raise ValueError(f"locale must be one of {', '.join(MESSAGE_LANGUAGES)}, not {locale!r}")
        at = _now(now)
        address = normalise_email(email)
        check_password(password, address, self.min_password_length)
        grant = self.roles.check_grant(role, facility_id)
        with self.engine.connect() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.email == address)).first() is not None:
                raise EmailTaken()
        hashed = self.hasher.hash(password)
        user_id = uuid.uuid4().hex
        try:
            with self.engine.begin() as conn:
                conn.execute(users.insert().values(
                    id=user_id, email=address, password_hash=hashed, created_at=at, updated_at=at,
                    failed_sign_ins=0, first_failed_at=None, locked_until=None, disabled_at=None))
                conn.execute(user_roles.insert().values(user_id=user_id, role=grant.role,
                                                        facility_id=grant.facility_id, granted_at=at))
                if locale is not None:
                    conn.execute(user_contacts.insert().values(user_id=user_id, phone=None, locale=locale,
                                                               email_opt_in=True, sms_opt_in=False, updated_at=at))
        except sa.exc.IntegrityError:
            raise EmailTaken() from None
        log.info("account %s signed up as %s", user_id, grant.role)
        return User(user_id, address, (grant,), at)

    def language(self, user_id: str) -> str:
        """The language of the person's messages (:data:`MESSAGE_LANGUAGES`; never set: ``ko``)."""
        return self.saved_language(user_id) or "ko"

    def saved_language(self, user_id: str) -> str | None:
        """The language the person chose (at sign-up, or on /account: one of
        :data:`MESSAGE_LANGUAGES`), or None when they never chose one."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(user_contacts.c.locale).where(user_contacts.c.user_id == user_id)).scalar()
        return found if found in MESSAGE_LANGUAGES else None

    def set_language(self, user_id: str, locale: str, now: datetime | None = None) -> bool:
        """Write ``locale`` as the language of the person's messages (the outbox renders each
        message in it when delivering); True when it changed. Keeps the phone and opt-ins. Raises
        ``ValueError`` for a locale not in :data:`MESSAGE_LANGUAGES`."""
        if locale not in MESSAGE_LANGUAGES:
            raise ValueError(f"locale must be one of {', '.join(MESSAGE_LANGUAGES)}, not {locale!r}")
        at, c = _now(now), user_contacts
        for _ in range(2):  # a second try when another request made the row meanwhile
            try:
                with self.engine.begin() as conn:
                    if conn.execute(c.update().where(c.c.user_id == user_id, c.c.locale != locale)
                                    .values(locale=locale, updated_at=at)).rowcount:
                        return True
                    if conn.execute(sa.select(c.c.user_id).where(c.c.user_id == user_id)).first() is not None:
                        return False
                    conn.execute(c.insert().values(user_id=user_id, phone=None, locale=locale, email_opt_in=True,
                                                   sms_opt_in=False, updated_at=at))
                    return True
            except sa.exc.IntegrityError:
                continue
        return False

    def grant(self, user_id: str, role: str, facility_id: str | None = None, now: datetime | None = None) -> User:
        """Give the user another role (or move a role to another provider)."""
        at = _now(now)
        grant = self.roles.check_grant(role, facility_id)
        with self.engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
                raise AccountError(f"no account {user_id}", "user_id")
            conn.execute(user_roles.delete().where(user_roles.c.user_id == user_id, user_roles.c.role == role))
            conn.execute(user_roles.insert().values(user_id=user_id, role=role, facility_id=grant.facility_id,
                                                    granted_at=at))
        log.info("account %s granted %s", user_id, role)
        return self.get(user_id)

    def get(self, user_id: str) -> User:
        """The account and its grants (read on every signed-in request: one statement, no write
        lock); :class:`AccountError` naming ``user_id`` when there is none."""
        with reads(self.engine).connect() as conn:
            rows = conn.execute(_USER_WITH_GRANTS, {"user_id": user_id}).all()
        if not rows:
            raise AccountError(f"no account {user_id}", "user_id")
        return user_of_rows(rows)

    @staticmethod
    def _user(conn: sa.Connection, row: sa.Row[Any]) -> User:
        grants = conn.execute(sa.select(user_roles.c.role, user_roles.c.facility_id)
                              .where(user_roles.c.user_id == row.id).order_by(user_roles.c.role)).all()
        created = _read(row.created_at)
        assert created is not None
        return User(row.id, row.email, tuple(Grant(g.role, g.facility_id) for g in grants), created)

    # -- sign-in -----------------------------------------------------------------------------

    def _dummy(self) -> str:
        """A hash made with the current parameters, verified for unknown and locked accounts so
        that every sign-in costs one verification."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def sign_in(self, email: str, password: str, now: datetime | None = None) -> User:
        """The account whose e-mail and password these are. Raises :class:`SignInFailed` (a
        wrong password or an unknown e-mail, alike) or :class:`AccountLocked` (with ``until``)."""
        at = _now(now)
        try:
            address = normalise_email(email)
        except InvalidEmail:
            address = None
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            password = ""
        row = None
        if address is not None:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(users).where(users.c.email == address)).first()
        if row is None or row.disabled_at is not None:
            self._verify(self._dummy(), password)
            raise SignInFailed()
        locked_until = _read(row.locked_until)
        if locked_until is not None and at < locked_until:
            self._verify(self._dummy(), password)
            raise AccountLocked(locked_until)
        if not self._verify(row.password_hash, password):
            until = self._count_failure(row.id, at)
            if until is not None:
                raise AccountLocked(until)
            raise SignInFailed()
        renewed = self.hasher.hash(password) if self.hasher.check_needs_rehash(row.password_hash) else None
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row.id).values(
                failed_sign_ins=0, first_failed_at=None, locked_until=None))
            # Only over the hash just verified: a password reset meanwhile is never undone.
            if renewed is not None and conn.execute(users.update().where(
                    users.c.id == row.id, users.c.password_hash == row.password_hash).values(
                    password_hash=renewed, updated_at=at)).rowcount:
                log.info("account %s: password hash renewed with the current parameters", row.id)
            return self._user(conn, row)

    def _count_failure(self, user_id: str, at: datetime) -> datetime | None:
        """Count a failed sign-in under the row's lock; the lockout's end when this one locks it."""
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(users.c.failed_sign_ins, users.c.first_failed_at, users.c.locked_until)
                               .where(users.c.id == user_id).with_for_update()).first()
            if row is None:
                return None
            first = _read(row.first_failed_at)
            locked = _read(row.locked_until)
            if locked is not None and at < locked:  # locked by a concurrent failure meanwhile
                return locked
            if first is None or at - first >= self.failure_window:
                count, first = 1, at
            else:
                count = row.failed_sign_ins + 1
            if count >= self.max_failures:
                until = at + self.lockout
                conn.execute(users.update().where(users.c.id == user_id).values(
                    failed_sign_ins=0, first_failed_at=None, locked_until=until))
                log.warning("account %s locked after %d failed sign-ins", user_id, count)
                return until
            conn.execute(users.update().where(users.c.id == user_id).values(
                failed_sign_ins=count, first_failed_at=first))
            return None

    # -- password reset ----------------------------------------------------------------------

    def issue_reset(self, email: str, now: datetime | None = None,
                    announce: Callable[[sa.Connection, str, str], None] | None = None) -> tuple[str, str] | None:
        """A new reset link's token and the account's id, or None when no account has this
        e-mail (the caller answers the same either way). Every older link of the account stops
        working. The token is returned once and stored only as its SHA-256. ``announce(conn,
        token, user_id)``, when given, runs in the same transaction (the web layer writes the
        outbox row that sends the link: both are kept, or neither)."""
        at = _now(now)
        try:
            address = normalise_email(email)
        except InvalidEmail:
            return None
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(users.c.id).where(users.c.email == address, users.c.disabled_at.is_(None))
                               .with_for_update()).first()
            if row is None:
                return None
            conn.execute(password_resets.update().where(
                password_resets.c.user_id == row.id, password_resets.c.used_at.is_(None),
                password_resets.c.revoked_at.is_(None)).values(revoked_at=at))
            conn.execute(password_resets.insert().values(
                user_id=row.id, token_hash=token_hash(token), created_at=at, expires_at=at + self.reset_ttl,
                used_at=None, revoked_at=None))
            if announce is not None:
                announce(conn, token, row.id)
        log.info("account %s: password reset link issued", row.id)
        return token, row.id

    def check_reset(self, token: str, now: datetime | None = None) -> None:
        """Whether a reset link's token still works (unused, the newest, not expired), spending
        nothing: the link's page shows the new-password form only then. Raises
        :class:`InvalidResetToken` otherwise."""
        self._live_reset(token, _now(now))

    def _live_reset(self, token: str, at: datetime) -> tuple[Any, Any]:
        """The reset row and the account row of a working ``token``, else :class:`InvalidResetToken`."""
        if not isinstance(token, str) or not token:
            raise InvalidResetToken("the reset link is not valid: ask for a new one")
        digest = token_hash(token)
        pr = password_resets
        with self.engine.connect() as conn:
            reset = conn.execute(sa.select(pr).where(pr.c.token_hash == digest)).first()
            user_row = None if reset is None else conn.execute(
                sa.select(users).where(users.c.id == reset.user_id)).first()
        if reset is None or user_row is None or reset.used_at is not None or reset.revoked_at is not None:
            raise InvalidResetToken("the reset link is not valid (used, or a newer one was sent): ask for a new one")
        expires = _read(reset.expires_at)
        assert expires is not None
        if at >= expires:
            raise InvalidResetToken("the reset link has expired: ask for a new one")
        return reset, user_row

    def reset_password(self, token: str, new_password: str, now: datetime | None = None) -> User:
        """Set a new password with a reset link's token: once, only the newest link, before it
        expires. Clears the lockout. Raises :class:`InvalidResetToken` or :class:`WeakPassword`."""
        at = _now(now)
        reset, user_row = self._live_reset(token, at)
        pr = password_resets
        check_password(new_password, user_row.email, self.min_password_length)
        hashed = self.hasher.hash(new_password)
        with self.engine.begin() as conn:
            # Spend the link only if it is still unspent: two uses racing, one wins.
            spent = conn.execute(pr.update().where(
                pr.c.id == reset.id, pr.c.used_at.is_(None), pr.c.revoked_at.is_(None),
                pr.c.expires_at > at).values(used_at=at)).rowcount
            if spent != 1:
                raise InvalidResetToken("the reset link is not valid (used, or a newer one was sent): "
                                        "ask for a new one")
            conn.execute(pr.update().where(pr.c.user_id == reset.user_id, pr.c.used_at.is_(None),
                                           pr.c.revoked_at.is_(None)).values(revoked_at=at))
            conn.execute(users.update().where(users.c.id == reset.user_id).values(
                password_hash=hashed, updated_at=at, failed_sign_ins=0, first_failed_at=None, locked_until=None))
            user = self._user(conn, user_row)
        log.info("account %s: password reset", reset.user_id)
        return user
