"""Care requests are found by child: every booking and every new request checks that the child
has no open request for an overlapping window (``app.care.bookings.check_child_window``), so
``care_requests`` gets an index on (``child_id``, ``status``).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("care_requests_child", "care_requests", ["child_id", "status"])


def downgrade() -> None:
    op.drop_index("care_requests_child", "care_requests")
