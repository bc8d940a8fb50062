"""Sites allowed to frame the widget, kept in the database (app.live.embed_origins), and their
append-only change log.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embed_origins",
        sa.Column("origin", sa.String(300), primary_key=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("added_by", sa.String(60), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "embed_origin_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
    )
    # Append-only in the database itself, as audit_log is (0001).
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER embed_origin_log_no_{event.lower()} BEFORE {event} ON "
                       "embed_origin_log BEGIN SELECT RAISE(ABORT, 'embed_origin_log is "
                       "append-only'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION embed_origin_log_append_only() RETURNS trigger AS "
                   "$$ BEGIN RAISE EXCEPTION 'embed_origin_log is append-only'; END $$ "
                   "LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER embed_origin_log_append_only BEFORE UPDATE OR DELETE ON "
                   "embed_origin_log FOR EACH ROW EXECUTE FUNCTION embed_origin_log_append_only()")


def downgrade() -> None:
    op.drop_table("embed_origin_log")
    op.drop_table("embed_origins")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS embed_origin_log_append_only()")
