"""Planner sessions kept in the shared database (app.pages.planner_sessions), and token expiry.

A planner's signed cookie names a row here; every server checks it on each request, so a
sign-out, a revoked or expired token, or an idle or absolute timeout ends the session on all
servers at once. ``tokens.expires_at`` (NULL: never) lets a token, and its sessions, lapse.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planner_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_planner_sessions_token_id", "planner_sessions", ["token_id"])
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_index("ix_planner_sessions_token_id", table_name="planner_sessions")
    op.drop_table("planner_sessions")
