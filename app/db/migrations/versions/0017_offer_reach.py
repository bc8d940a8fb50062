"""Offers go only as far as a family can reach (app/reference/offer_reach.json): each offer
keeps its provider's straight-line distance from the place (``offers.distance_m``, metres,
EPSG:5179; null for a carer who comes to the home), the request its ranked providers' distances
(``candidate_distances_m``, a JSON list alongside ``candidates``), the limit it was matched with
(``max_distance_m``; null: none) and, once unmatched, why (``unmatched_reason``, a code such as
``no_provider_within_reach``). All nullable: requests made before this have none of them.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("care_requests", sa.Column("candidate_distances_m", sa.JSON, nullable=True))
    op.add_column("care_requests", sa.Column("max_distance_m", sa.Integer, nullable=True))
    op.add_column("care_requests", sa.Column("unmatched_reason", sa.String(40), nullable=True))
    op.add_column("offers", sa.Column("distance_m", sa.Float, nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of ``offers`` on SQLite would
    # lose the partial unique index offers_one_accepted's WHERE clause.
    op.drop_column("offers", "distance_m")
    op.drop_column("care_requests", "unmatched_reason")
    op.drop_column("care_requests", "max_distance_m")
    op.drop_column("care_requests", "candidate_distances_m")
