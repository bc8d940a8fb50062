"""The search's ``books_online`` look-up (:func:`app.care.bookings.open_online`: which programmes
each provider of the results publishes places for in a slot that has not ended) reads only the
slots that have not ended: an index on ``booking_capacity (facility_id, slot_end)``. Before it,
the look-up went through the ``(facility_id, programme, slot_start)`` index and read every slot a
provider ever published (past slots are kept), so its cost grew with each provider's history
(bench/bench_search.py --books-online, 90 days of hourly slots at 202 providers: the look-up's
median 1.7 ms on SQLite and 4.2 ms on PostgreSQL before, 0.7 ms and 1.4 ms with the index).
The answers are the same; only the plan changes.

Branches from 0016 (0017 and 0018 landed in parallel): :func:`app.db.engine.upgrade` upgrades
every head; chain it when they are in.

Revision ID: 0019
Revises: 0016
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("booking_capacity_open", "booking_capacity", ["facility_id", "slot_end"])


def downgrade() -> None:
    op.drop_index("booking_capacity_open", "booking_capacity")
