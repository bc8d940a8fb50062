"""What the database benchmarks share: their command line, a run on SQLite and then on
PostgreSQL when DOLBOM_TEST_POSTGRES_URL names the test cluster (e.g. eval "$(bash .ci/postgres.sh)")."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa


def on_each_database(run: Callable[[str, str, int], None], default_n: int, sqlite_label: str = "SQLite",
                     own_database: str | None = None) -> None:
    """``run(label, url, n)``, ``n`` the command line's first argument (``default_n`` without one),
    on a SQLite file in a temporary folder, then on PostgreSQL: the database
    DOLBOM_TEST_POSTGRES_URL names, emptied first, or with ``own_database`` a database of that
    name (and this process's id) made on its cluster, with PostGIS, and dropped afterwards."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else default_n
    with tempfile.TemporaryDirectory() as tmp:
        run(sqlite_label, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", n)
    postgres = os.environ.get("DOLBOM_TEST_POSTGRES_URL")
    if not postgres:
        print("PostgreSQL: skipped (set DOLBOM_TEST_POSTGRES_URL, e.g. eval \"$(bash .ci/postgres.sh)\")")
    elif own_database is None:
        from tests.live.servers import reset_postgres

        reset_postgres(postgres)
        run("PostgreSQL", postgres, n)
    else:
        base = sa.make_url(postgres)
        name = f"{own_database}_{os.getpid()}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            ext = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with ext.connect() as conn:  # the schema's migration 0002 needs PostGIS
                conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            ext.dispose()
            run("PostgreSQL", url, n)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()
