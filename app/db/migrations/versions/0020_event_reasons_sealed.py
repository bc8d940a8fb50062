"""Event reasons sealed at rest and erasable (:mod:`app.care.reason_sealing`).

- ``reason`` of ``booking_events``, ``care_request_events`` and ``offer_events`` becomes TEXT on
  PostgreSQL (a sealed 500-character Korean reason is about 2,100 characters; SQLite never
  enforced the length, and altering a column there would rebuild the table without its triggers).
- ``reason_erased_at`` (nullable): set when a deleted or purged family's free-text reason was
  erased (the reason then NULL).
- The append-only triggers now let through exactly three changes of one row, nothing else
  changing: an erasure (reason to NULL with ``reason_erased_at`` set, once), and a non-preset
  reason re-written as a sealed one (``sealed:...``: sealing a plain row from before this
  revision, or a key rotation). Every other UPDATE and every DELETE is still refused.

Existing rows are not rewritten here (the keys are the app's, not the migration's): a reason that
is not ``sealed:<token>`` is read as plain text, and
:func:`app.care.reason_sealing.seal_plain_reasons` seals them in place.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# each table with the columns an allowed change must leave alone (SQLite lists them; PostgreSQL
# compares the whole row without reason and reason_erased_at)
TABLES = {
    "booking_events": ("id", "booking_id", "action", "from_state", "to_state", "actor_role", "actor_id", "at"),
    "care_request_events": ("id", "request_id", "action", "from_state", "to_state", "actor_role", "actor_id",
                            "at"),
    "offer_events": ("id", "offer_id", "request_id", "action", "from_state", "to_state", "actor_role", "actor_id",
                     "at"),
}

# old.reason_erased_at IS NULL: an erased reason stays erased
_ERASE = "(NEW.reason IS NULL AND NEW.reason_erased_at IS NOT NULL)"
_SEAL = ("(NEW.reason_erased_at IS NULL AND NEW.reason LIKE 'sealed:%' AND OLD.reason IS NOT NULL "
         "AND OLD.reason NOT LIKE 'preset:%')")


def _sqlite_allowed(columns: tuple[str, ...]) -> str:
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)
    return f"({same} AND OLD.reason_erased_at IS NULL AND ({_ERASE} OR {_SEAL}))"


def _old_sqlite_update_trigger(table: str) -> str:
    return (f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in TABLES.items():
        op.add_column(table, sa.Column("reason_erased_at", sa.DateTime(timezone=True), nullable=True))
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"WHEN NOT coalesce({_sqlite_allowed(columns)}, 0) "  # NULL (a LIKE on NULL): refused
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
            continue
        op.alter_column(table, "reason", type_=sa.Text, existing_type=sa.String(500), existing_nullable=True)
        rest = "(to_jsonb({row}) - 'reason' - 'reason_erased_at')"
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND {rest.format(row='NEW')} = {rest.format(row='OLD')} "
            f"AND OLD.reason_erased_at IS NULL AND ({_ERASE} OR {_SEAL}) THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(_old_sqlite_update_trigger(table))
        else:
            op.execute(f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS "
                       f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql")
            op.alter_column(table, "reason", type_=sa.String(500), existing_type=sa.Text, existing_nullable=True,
                            postgresql_using="left(reason, 500)")
        op.drop_column(table, "reason_erased_at")
