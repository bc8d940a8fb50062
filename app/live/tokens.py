"""Access tokens for providers and admins: issued and revoked by the admin CLI, stored hashed.

A token reads ``dlb_<id>_<secret>``. Only SHA-256 of the secret is stored; the secret has 256
bits of entropy, so a fast hash is enough, and comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from .db import connection, tokens

ROLES = ("provider", "admin")


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
          label: str | None = None) -> str:
    """Create a token and return its text (shown once; only its hash is kept)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "provider" and not facility_id:
        raise ValueError("a provider token needs the facility id it may change")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(tokens.insert().values(
            id=token_id, secret_hash=_hash(secret), role=role,
            facility_id=facility_id if role == "provider" else None, label=label,
            created_at=datetime.now(UTC)))
    return f"dlb_{token_id}_{secret}"


def revoke(engine: sa.Engine, token_id: str) -> bool:
    """Revoke a token by its id; False when there is no such active token."""
    with engine.begin() as conn:
        result = conn.execute(tokens.update()
                              .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                              .values(revoked_at=datetime.now(UTC)))
    return result.rowcount == 1


_BY_ID = sa.select(tokens).where(tokens.c.id == sa.bindparam("token_id"))


def verify(bind: sa.Engine | sa.Connection, text: str | None) -> Principal | None:
    """The principal of a valid, unrevoked token, else None."""
    if not text or not text.startswith("dlb_"):
        return None
    parts = text.split("_", 2)
    if len(parts) != 3:
        return None
    _, token_id, secret = parts
    with connection(bind) as conn:
        row = conn.execute(_BY_ID, {"token_id": token_id}).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return Principal(token_id=row.id, role=row.role, facility_id=row.facility_id)


def list_tokens(engine: sa.Engine) -> list[dict]:
    """Every token's id, role, facility, label and dates (never the secret)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tokens.c.id, tokens.c.role, tokens.c.facility_id,
                                      tokens.c.label, tokens.c.created_at,
                                      tokens.c.revoked_at).order_by(tokens.c.created_at))
        return [dict(r._mapping) for r in rows]
