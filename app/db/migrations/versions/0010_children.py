"""Children, consent and family-data privacy (app.care.children): children (care notes sealed),
consents per text version, each family's last use (the retention purge's clock) and the
append-only log of staff reads of a child's record.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "children",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("relation", sa.String(30), nullable=False),
        sa.Column("emergency_contact_name", sa.String(100), nullable=False),
        sa.Column("emergency_contact_phone", sa.String(20), nullable=False),
        sa.Column("care_notes", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_children_guardian_id", "children", ["guardian_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("text_version", sa.String(40), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("consents_guardian_purpose", "consents", ["guardian_id", "purpose"])
    op.create_table(
        "guardian_activity",
        sa.Column("guardian_id", sa.String(40), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "child_access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor_id", sa.String(40), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=True),
        sa.Column("child_id", sa.String(40), nullable=False),
        sa.Column("booking_id", sa.String(40), nullable=True),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('granted', 'denied')", name="child_access_log_outcome"),
    )
    op.create_index("ix_child_access_log_child_id", "child_access_log", ["child_id"])
    # The access log is append-only in the database itself, as booking_events is (0008): not even
    # the deletion of a family's data rewrites who read what.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER child_access_log_no_{event.lower()} BEFORE {event} ON "
                       "child_access_log BEGIN SELECT RAISE(ABORT, 'child_access_log is "
                       "append-only'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION child_access_log_append_only() RETURNS trigger AS "
                   "$$ BEGIN RAISE EXCEPTION 'child_access_log is append-only'; END $$ "
                   "LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER child_access_log_append_only BEFORE UPDATE OR DELETE ON "
                   "child_access_log FOR EACH ROW EXECUTE FUNCTION child_access_log_append_only()")


def downgrade() -> None:
    for table in ("child_access_log", "guardian_activity", "consents", "children"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS child_access_log_append_only()")
