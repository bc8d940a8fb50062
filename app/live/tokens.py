"""Access tokens for providers and admins: issued and revoked by the admin CLI, stored hashed.

A token reads ``dlb_<id>_<secret>``. Only SHA-256 of the secret is stored; the secret has 256
bits of entropy, so a fast hash is enough, and comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from app.db.engine import connection, tokens

ROLES = ("provider", "admin")
# What a token can look like: ``dlb_`` + an id of letters and digits + ``_`` + a URL-safe secret
# (ids are 12 hex digits, secrets 43 characters; the bounds leave room). Text of any other form
# (a NUL, a control character, a long string) is refused here, before it reaches SQL, so no
# caller turns a client's typo into a database error.
TOKEN_ID_PATTERN = re.compile(r"[0-9A-Za-z]{1,40}")
_TOKEN_PATTERN = re.compile(r"dlb_([0-9A-Za-z]{1,40})_([0-9A-Za-z_-]{16,128})")
LABEL_MAX_CHARS = 200


def parse(text: str | None) -> tuple[str, str] | None:
    """(token id, secret) of text shaped like a token, else None. Never touches the database."""
    if not isinstance(text, str):
        return None
    m = _TOKEN_PATTERN.fullmatch(text)
    return (m.group(1), m.group(2)) if m else None


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    token_id: str
    role: str
    facility_id: str | None

    def may_change(self, facility_id: str) -> bool:
        """Admins change any record; a provider only its own."""
        return self.role == "admin" or self.facility_id == facility_id


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(engine: sa.Engine, role: str, facility_id: str | None = None,
          label: str | None = None, expires_at: datetime | None = None) -> str:
    """Create a token and return its text (shown once; only its hash is kept).

    ``expires_at`` (aware datetime; None: never) is when it stops working, with every planner
    session made from it."""
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValueError("expires_at needs a time zone")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "provider" and not facility_id:
        raise ValueError("a provider token needs the facility id it may change")
    if label is not None and (len(label) > LABEL_MAX_CHARS
                              or any(not ch.isprintable() for ch in label)):
        raise ValueError(f"a label is at most {LABEL_MAX_CHARS} printable characters")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(tokens.insert().values(
            id=token_id, secret_hash=_hash(secret), role=role,
            facility_id=facility_id if role == "provider" else None, label=label,
            created_at=datetime.now(UTC),
            expires_at=expires_at.astimezone(UTC) if expires_at else None))
    return f"dlb_{token_id}_{secret}"


def revoke(engine: sa.Engine, token_id: str) -> bool:
    """Revoke a token by its id; False when there is no such active token."""
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.fullmatch(token_id):
        return False  # no token has such an id (and it never reaches SQL)
    with engine.begin() as conn:
        result = conn.execute(tokens.update()
                              .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                              .values(revoked_at=datetime.now(UTC)))
    return result.rowcount == 1


_BY_ID = sa.select(tokens).where(tokens.c.id == sa.bindparam("token_id"))


def verify(bind: sa.Engine | sa.Connection, text: str | None) -> Principal | None:
    """The principal of a valid, unrevoked token, else None (also for text that is not
    shaped like a token: it is refused before any SQL; see :func:`parse`)."""
    parsed = parse(text)
    if parsed is None:
        return None
    token_id, secret = parsed
    with connection(bind) as conn:
        row = conn.execute(_BY_ID, {"token_id": token_id}).first()
    if row is None or row.revoked_at is not None or expired(row.expires_at):
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return Principal(token_id=row.id, role=row.role, facility_id=row.facility_id)


def expired(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """True when a token's ``expires_at`` (as stored: SQLite gives naive UTC) has passed."""
    if expires_at is None:
        return False
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at <= (now or datetime.now(UTC))


def list_tokens(engine: sa.Engine) -> list[dict]:
    """Every token's id, role, facility, label and dates (never the secret)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tokens.c.id, tokens.c.role, tokens.c.facility_id,
                                      tokens.c.label, tokens.c.created_at,
                                      tokens.c.revoked_at, tokens.c.expires_at)
                           .order_by(tokens.c.created_at))
        return [dict(r._mapping) for r in rows]
