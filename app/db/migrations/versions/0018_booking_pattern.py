"""The bookings of one weekly pattern are linked: ``bookings.pattern_id`` is one id shared by
every booking a ``repeat`` request made (app.care.bookings.BookingStore.book_many), so the
provider's staff answer the pattern as one (accept all, decline all) and a lapse or a decline of
its dates is one message to the family. Null for a single booking and for every booking made
before this revision (they were never linked); indexed, as the inbox and the answers find a
pattern's bookings by it.

Branches from 0016 (0017, offer reach, landed in parallel): :func:`app.db.engine.upgrade`
upgrades every head; chain it when both are in.

Revision ID: 0018
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite, PostgreSQL): a nullable column without a default needs no
    # table copy, which on SQLite would rebuild bookings' CHECK constraints and indexes.
    op.add_column("bookings", sa.Column("pattern_id", sa.String(40), nullable=True))
    op.create_index("bookings_pattern", "bookings", ["pattern_id"])


def downgrade() -> None:
    op.drop_index("bookings_pattern", "bookings")
    op.drop_column("bookings", "pattern_id")
