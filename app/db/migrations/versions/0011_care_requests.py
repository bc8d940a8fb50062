"""Emergency care requests and offers (app.care.matching; tables in app/db/request_tables.py):
the requests with their total deadline and ranked providers, the offers with their response
deadline, a partial unique index so at most one offer of a request is accepted, and the two
append-only event logs.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The lifecycles' states when this migration was written (app.care.states CARE_REQUEST, OFFER); a
# later change to a lifecycle adds a migration that replaces the constraint.
CARE_REQUEST_STATES = ("requested", "unmatched", "accepted", "in-progress", "completed", "cancelled", "failed")
OFFER_STATES = ("requested", "accepted", "rejected", "expired", "cancelled")
EVENT_TABLES = ("care_request_events", "offer_events")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "care_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("guardian_id", sa.String(40), nullable=False),
        sa.Column("child_id", sa.String(40), nullable=False),
        sa.Column("programme", sa.String(60), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place_kind", sa.String(10), nullable=False),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("sigungu_code", sa.String(10), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("match_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offer_mode", sa.String(20), nullable=False),
        sa.Column("offer_batch", sa.Integer, nullable=False),
        sa.Column("response_minutes", sa.Integer, nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("offered_count", sa.Integer, nullable=False),
        sa.Column("unmatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("window_end > window_start", name="care_requests_window_order"),
        sa.CheckConstraint(_in("status", CARE_REQUEST_STATES), name="care_requests_status"),
        sa.CheckConstraint(_in("place_kind", ("home", "work")), name="care_requests_place_kind"),
        sa.CheckConstraint(_in("offer_mode", ("sequential", "top_n")), name="care_requests_offer_mode"),
        sa.CheckConstraint("offer_batch >= 1 AND response_minutes >= 1 AND offered_count >= 0",
                           name="care_requests_counts"),
    )
    op.create_index("care_requests_deadline", "care_requests", ["status", "match_by"])
    op.create_index("care_requests_guardian", "care_requests", ["guardian_id"])
    op.create_index("care_requests_unmatched", "care_requests", ["unmatched_at"])
    op.create_table(
        "care_request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        *_event_columns(),
    )
    op.create_index("ix_care_request_events_request_id", "care_request_events", ["request_id"])
    op.create_table(
        "offers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_by", sa.String(40), nullable=True),
        sa.CheckConstraint(_in("status", OFFER_STATES), name="offers_status"),
        sa.UniqueConstraint("request_id", "facility_id", name="offers_request_facility"),
    )
    # Both databases support partial indexes: a second accepted offer of one request is refused
    # by the database itself, whatever code path tries it.
    op.create_index("offers_one_accepted", "offers", ["request_id"], unique=True,
                    sqlite_where=sa.text("status = 'accepted'"),
                    postgresql_where=sa.text("status = 'accepted'"))
    op.create_index("offers_deadline", "offers", ["status", "respond_by"])
    op.create_index("offers_facility_status", "offers", ["facility_id", "status"])
    op.create_table(
        "offer_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("offer_id", sa.String(40), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        *_event_columns(),
    )
    op.create_index("ix_offer_events_offer_id", "offer_events", ["offer_id"])
    # The event logs are append-only in the database itself, as booking_events is (0008).
    if op.get_bind().dialect.name == "sqlite":
        for table in EVENT_TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    else:
        for table in EVENT_TABLES:
            op.execute(f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS "
                       f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")


def downgrade() -> None:
    for table in ("offer_events", "offers", "care_request_events", "care_requests"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        for table in EVENT_TABLES:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
