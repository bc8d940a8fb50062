"""Planning jobs shared by every server (app.api.planning_jobs): long site suggestions run in the
background; any server answers a poll, any server's runner may take a job.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planning_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),  # queued, running, done, failed
        sa.Column("request", sa.Text, nullable=False),  # JSON
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("result", sa.Text, nullable=True),  # JSON
        sa.Column("error", sa.Text, nullable=True),  # JSON: {code, message, field}
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("planning_jobs_status", "planning_jobs", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("planning_jobs_status", table_name="planning_jobs")
    op.drop_table("planning_jobs")
