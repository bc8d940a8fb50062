"""A booking names the emergency care request and the accepted offer it was made from
(``request_id``, ``offer_id``; null for a booking made at the booking desk): when a provider
accepts an offer, the child is booked there in the acceptance's transaction. At most one
booking per request (the unique index ``bookings_request``; nulls are not compared).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("request_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("offer_id", sa.String(40), nullable=True))
    op.create_index("bookings_request", "bookings", ["request_id"], unique=True)


def downgrade() -> None:
    op.drop_index("bookings_request", "bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("offer_id")
        batch.drop_column("request_id")
