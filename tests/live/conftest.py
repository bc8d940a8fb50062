"""Fixtures that run every availability test on SQLite and on PostgreSQL (``python3 manage.py
test`` starts a PostgreSQL cluster and sets DOLBOM_TEST_POSTGRES_URL, or says in
DOLBOM_TEST_POSTGRES_SKIP why it could not)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app import create_app
from app.db.engine import make_engine, upgrade
from app.extensions.db import get_engine
from app.live import tokens

from .demo_subset import DEMO, live_registry
from .servers import reset_postgres, skip_without_postgres

POSTGRES_URL = os.environ.get("DOLBOM_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_db():
    """A database of this test run's own on the test cluster, dropped afterwards, so runs
    that share a cluster never see each other's tables."""
    if not POSTGRES_URL:
        yield None
        return
    base = sa.make_url(POSTGRES_URL)
    name = f"dolbom_test_{os.getpid()}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        postgis = conn.execute(sa.text("SELECT 1 FROM pg_available_extensions "
                                       "WHERE name = 'postgis'")).first() is not None
        if postgis:
            # FORCE: a database of this name is an earlier run's (process ids are reused),
            # possibly with a client still connected; it is not ours to keep.
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    if not postgis:
        # The schema needs PostGIS (migration 0002): the PostgreSQL cases skip with this
        # reason instead of failing with a traceback each.
        os.environ["DOLBOM_TEST_POSTGRES_SKIP"] = (
            f"the test PostgreSQL ({base.host}:{base.port}) has no PostGIS, which the schema "
            "needs (apt-get install postgresql-15-postgis-3)")
        admin.dispose()
        yield None
        return
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, postgres_db):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'live.sqlite3'}"
    if postgres_db is None:
        skip_without_postgres()
    reset_postgres(postgres_db)
    return postgres_db


@pytest.fixture(name="engine")
def migrated_engine(db_url):
    """``engine``: an engine on ``db_url`` migrated to the newest revision, disposed afterwards
    (elsewhere: ``from tests.live.conftest import migrated_engine``)."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def make_app(db_url, tmp_path, request):
    """Apps on the test database (each stands for a server) over the demo's providers near
    수원시청 (tests/live/demo_subset.py), or the whole demo for a test marked ``full_demo``;
    their pools close afterwards."""
    apps = []
    registry = DEMO if request.node.get_closest_marker("full_demo") else live_registry()

    def make(**config):
        app = create_app({"TESTING": True, "DATABASE_URL": db_url,
                          "REGISTRY_PATH": str(registry), **config},
                         instance_path=str(tmp_path / f"instance{len(apps)}"))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["dolbom_registry"].live.close()
        app.extensions["dolbom_db"].dispose()


@pytest.fixture
def live_app(make_app):
    return make_app()


@pytest.fixture
def live_client(live_app):
    return live_app.test_client()


@pytest.fixture
def issue(live_app):
    """Issue a token: issue("provider", facility_id) or issue("admin")."""

    def make(role: str, facility_id: str | None = None) -> dict:
        with live_app.app_context():
            text = tokens.issue(get_engine(), role, facility_id)
        return {"Authorization": f"Bearer {text}"}

    return make
