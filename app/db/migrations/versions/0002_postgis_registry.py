"""The registry in PostGIS (PostgreSQL only): facilities with EPSG:5179 points for KNN search.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite deployments keep the registry in files and memory
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("""
        CREATE TABLE facilities (
            id text PRIMARY KEY,
            kind text NOT NULL,
            status text NOT NULL,
            programme_bits integer NOT NULL,
            service_bits integer NOT NULL,
            age_min integer NOT NULL,
            age_max integer NOT NULL,
            feature jsonb NOT NULL,
            geom geometry(Point, 5179) NOT NULL
        )""")
    op.execute("CREATE INDEX facilities_geom_idx ON facilities USING gist (geom)")
    op.execute("CREATE TABLE registry_meta (id integer PRIMARY KEY CHECK (id = 1), "
               "meta jsonb NOT NULL)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS registry_meta")
    op.execute("DROP TABLE IF EXISTS facilities")
