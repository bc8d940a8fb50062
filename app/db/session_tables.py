"""People's sign-in state kept in the shared database (migration 0013), for
``app.pages.account_sessions`` and ``app.pages.account_oidc``:

- ``user_sessions``: one row per signed-in browser. The cookie holds a random session id; the
  row is keyed by its SHA-256, so the table never holds a usable cookie. ``ended_at`` set ends
  the session on every server (sign-out, idle or absolute timeout, a disabled account, a
  password reset); ``end_reason`` says which.
- ``user_identities``: an OpenID Connect identity (the issuer and its ``sub``) linked to one
  account; the pair is unique, so one identity can never reach two accounts. Never linked by
  e-mail.
- ``oidc_states``: a sign-in with the OpenID Connect provider under way, keyed by the SHA-256
  of its ``state``: the nonce, the PKCE verifier, where to go after, and the SHA-256 of a
  browser-binding cookie. Kept here and not in the session cookie, so a background request
  that rewrites that cookie during the redirect cannot lose it; single use, a few minutes.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.db.engine import metadata

SESSION_END_REASONS = ("sign_out", "idle", "absolute", "disabled", "password_reset", "signed_in_again")

user_sessions = sa.Table(
    "user_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 (hex) of the session id
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),  # ix_user_sessions_user_id
    sa.Column("method", sa.String(10), nullable=False),  # "password" or "oidc"
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("end_reason", sa.String(20), nullable=True),
    sa.CheckConstraint("method IN ('password', 'oidc')", name="user_sessions_method"),
)

user_identities = sa.Table(
    "user_identities", metadata,
    sa.Column("issuer", sa.String(300), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),  # ix_user_identities_user_id
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
)

oidc_states = sa.Table(
    "oidc_states", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 (hex) of the state value
    sa.Column("binding", sa.String(64), nullable=False),  # SHA-256 of the browser-binding cookie
    sa.Column("nonce", sa.String(128), nullable=False),
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("redirect_uri", sa.String(500), nullable=False),
    sa.Column("next_url", sa.String(500), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)
