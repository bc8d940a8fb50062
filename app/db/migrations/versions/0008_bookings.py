"""Bookings (app.care.bookings): bookable places per provider, programme and time slot, the
bookings that hold them, their append-only event log, and the transactional outbox.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The booking lifecycle's states when this migration was written (app.care.states.BOOKING); a
# later change to the lifecycle adds a migration that replaces the constraint.
BOOKING_STATES = ("requested", "accepted", "in-progress", "rejected", "expired", "no-show", "cancelled",
                  "completed")


def upgrade() -> None:
    op.create_table(
        "booking_capacity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("programme", sa.String(60), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("held", sa.Integer, nullable=False),
        sa.UniqueConstraint("facility_id", "programme", "slot_start", name="booking_capacity_slot"),
        sa.CheckConstraint("slot_end > slot_start", name="booking_capacity_slot_order"),
        sa.CheckConstraint("held >= 0 AND held <= places", name="booking_capacity_held_in_places"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("programme", sa.String(60), nullable=False),
        sa.Column("child_id", sa.String(40), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("window_end > window_start", name="bookings_window_order"),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in BOOKING_STATES) + ")",
                           name="bookings_status"),
    )
    op.create_index("bookings_facility_status", "bookings", ["facility_id", "status"])
    op.create_index("bookings_child", "bookings", ["child_id"])
    op.create_index("bookings_hold_deadline", "bookings", ["status", "hold_expires_at"])
    op.create_table(
        "booking_holds",
        sa.Column("booking_id", sa.String(40), primary_key=True),
        sa.Column("capacity_id", sa.Integer, primary_key=True),
    )
    op.create_table(
        "booking_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("booking_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_booking_events_booking_id", "booking_events", ["booking_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("outbox_pending", "outbox", ["sent_at", "available_at"])
    # The event log is append-only in the database itself, as audit_log is (0001).
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER booking_events_no_{event.lower()} BEFORE {event} ON "
                       "booking_events BEGIN SELECT RAISE(ABORT, 'booking_events is "
                       "append-only'); END")
    else:
        op.execute("CREATE OR REPLACE FUNCTION booking_events_append_only() RETURNS trigger AS "
                   "$$ BEGIN RAISE EXCEPTION 'booking_events is append-only'; END $$ "
                   "LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER booking_events_append_only BEFORE UPDATE OR DELETE ON "
                   "booking_events FOR EACH ROW EXECUTE FUNCTION booking_events_append_only()")


def downgrade() -> None:
    for table in ("outbox", "booking_events", "booking_holds", "bookings", "booking_capacity"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS booking_events_append_only()")
