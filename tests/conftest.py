"""Shared fixtures: the app over a tiny registry (``app``, ``client``, ``runner``), one shared app
over the demo registry (``demo_app``, ``demo_client``, ``demo_runner``), and the real datasets
in ../shared/data."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app
from app.config import DEMO_REGISTRY_PATH
from app.registry.io import Registry, read_registry
from app.search.hours import WeeklyHours
from app.search.model import Facility

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@functools.cache
def demo_registry() -> Registry:
    """The committed demo registry, read once per test process (9.3 MB: over a second each
    time). Shared: only read it (its records are frozen; leave its ``meta`` as it is)."""
    return read_registry(DEMO_REGISTRY_PATH)


def shared(*parts: str) -> Path:
    """A path in ../shared/data, skipping the test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent (../shared is not beside the checkout)")
    return path


def next_weekday(weekday: int = 1) -> str:
    """The next such weekday (0 Monday … 6 Sunday; default Tuesday) that is not a Korean public
    holiday, at least a day ahead in Asia/Seoul, as YYYY-MM-DD: searches refuse care windows far
    from today (SEARCH_WINDOW_* settings), so tests that search at a fixed weekday use this."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import holidays

    day = datetime.now(ZoneInfo("Asia/Seoul")).date() + timedelta(days=1)
    while day.weekday() != weekday or day in holidays.country_holidays("KR", years=day.year):
        day += timedelta(days=1)
    return day.isoformat()


def facility(id: str, lon: float, lat: float, **kw: Any) -> Facility:
    """A facility with plain defaults: an open daycare, weekdays 07:30-19:30, ages 0-83."""
    kw.setdefault("name", f"시설 {id}")
    kw.setdefault("kind", "daycare")
    kw.setdefault("age_max_months", 83)
    kw.setdefault("hours", WeeklyHours.from_mapping(
        {d: ["07:30-19:30"] for d in ("mon", "tue", "wed", "thu", "fri")}))
    return Facility(id=id, lon=lon, lat=lat, **kw)


# The tiny hand-made registry (tests/tiny_registry.py says what is in it and where), and
# children per 읍면동 where its providers are (seven rows of the demo layer: spreading the demo
# layer's 720 areas on the planning grid takes seconds per app).
TINY_REGISTRY = DATA / "tiny_registry.geojson"
TINY_DEMAND = DATA / "tiny_demand.csv"


def tiny_config(registry: Path = TINY_REGISTRY) -> dict[str, Any]:
    """Settings for an app over the tiny registry and the tiny demand layer."""
    return {"TESTING": True, "REGISTRY_PATH": str(registry), "PLANNING_DEMAND_PATH": str(TINY_DEMAND)}


@pytest.fixture(scope="session")
def tiny_registry() -> Path:
    """The tiny registry file (only read: apps and tests never write it)."""
    return TINY_REGISTRY


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the newest migration, made once per session: an app's instance
    folder can start with a copy of it (migrating a new file takes half a second per app)."""
    instance = tmp_path_factory.mktemp("migrated")
    app = create_app(tiny_config(), instance_path=str(instance))
    app.extensions["dolbom_db"].dispose()
    return instance / "dolbom.sqlite3"


def instance_with_db(path: Path, migrated_db: Path) -> str:
    """``path`` as an instance folder holding a copy of ``migrated_db`` (the app's start-up
    migration then finds it current)."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_db, path / "dolbom.sqlite3")
    return str(path)


@pytest.fixture
def app(tmp_path: Path, tiny_registry: Path, migrated_db: Path) -> Flask:
    """The app over the tiny registry (tests/tiny_registry.py) and the tiny demand layer
    (tests/data/tiny_demand.csv), its instance folder in tmp: for tests whose subject is not
    the demo (reading the demo takes seconds). The planners' demand counts as real data here
    (a configured PLANNING_DEMAND_PATH); the registry says it is synthetic."""
    return create_app(tiny_config(tiny_registry),
                      instance_path=instance_with_db(tmp_path / "instance", migrated_db))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app over the committed demo registry for the whole session, for tests whose subject
    is the demo's data. Shared: a test using it must only read (its changes would leak into
    other tests); a test that writes makes its own app."""
    app = create_app({"TESTING": True}, instance_path=str(tmp_path_factory.mktemp("demo") / "instance"))
    app.extensions["dolbom_registry"].warm()
    return app


@pytest.fixture
def demo_client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def demo_runner(demo_app: Flask) -> FlaskCliRunner:
    return demo_app.test_cli_runner()
