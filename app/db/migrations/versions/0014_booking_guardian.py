"""Bookings name the guardian they were made for (``guardian_id``: the user the booking's
messages go to, and whose bookings the guardian's list and the object-level checks show);
null only for rows made before this revision; and each provider's booking settings
(``auto_confirm``: bookings confirmed without staff).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("guardian_id", sa.String(40), nullable=True))
    op.create_index("bookings_guardian", "bookings", ["guardian_id", "window_start"])
    op.create_table(
        "provider_booking_settings",
        sa.Column("facility_id", sa.String(100), primary_key=True),
        sa.Column("auto_confirm", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("provider_booking_settings")
    op.drop_index("bookings_guardian", "bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("guardian_id")
