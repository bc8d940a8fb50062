"""A new registry reaches a running app without a restart: built aside, then swapped."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from app import create_app
from app.registry.io import atomic_open, read_registry, write_registry

from .conftest import demo_registry

DATA = Path(__file__).parent / "data"
DEMO = demo_registry()


def _write(path: Path, name: str, n: int) -> None:
    """A registry of the demo's first ``n`` open daycares, named ``name``."""
    daycares = [f for f in DEMO.facilities if f.kind == "daycare" and f.is_open_status][:n]
    write_registry(path, {"name": name, "synthetic": True}, daycares)


def _meta_until(client, predicate, seconds: float = 10.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body = client.get("/api/v1/meta").json
        if predicate(body):
            return body
        assert time.monotonic() < deadline, f"still serving {body['name']!r} ({body['total']})"
        time.sleep(0.05)


@pytest.fixture
def app_on(tmp_path):
    made = []

    def make(**config):
        app = create_app({"TESTING": True, "REGISTRY_CHECK_SECONDS": 0, **config},
                         instance_path=str(tmp_path / "instance"))
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["dolbom_registry"].live.close()
        app.extensions["dolbom_db"].dispose()


def test_a_new_registry_file_is_served_without_a_restart(app_on, tmp_path):
    path = tmp_path / "registry.geojson"
    _write(path, "first", 30)
    client = app_on(REGISTRY_PATH=str(path)).test_client()
    first = client.get("/api/v1/meta").json
    assert (first["name"], first["total"]) == ("first", 30)
    _write(path, "second", 12)
    _meta_until(client, lambda b: b["name"] == "second" and b["total"] == 12)
    # Searches use it too: only the second registry's providers come back.
    kept = {f.id for f in read_registry(path).facilities}
    hits = client.get("/api/v1/facilities/nearest",
                      query_string={"lat": "37.2636", "lon": "127.045", "limit": "100"}).json
    assert {r["facility"]["id"] for r in hits["results"]} == kept


def test_a_broken_registry_file_leaves_the_previous_one_served(app_on, tmp_path, caplog):
    path = tmp_path / "registry.geojson"
    _write(path, "good", 20)
    app = app_on(REGISTRY_PATH=str(path))
    client = app.test_client()
    _meta_until(client, lambda b: b["name"] == "good")
    store = app.extensions["dolbom_registry"]
    with caplog.at_level(logging.ERROR, logger="app.registry.store"):
        with atomic_open(path) as fh:
            fh.write('{"type": "FeatureCollection", "features": [')  # cut short
        deadline = time.monotonic() + 10
        while "could not be loaded" not in caplog.text:
            assert time.monotonic() < deadline, "the broken file was never tried"
            assert client.get("/api/v1/meta").json["name"] == "good"
            time.sleep(0.05)
    assert client.get("/api/v1/meta").json["name"] == "good"
    assert store.registry.meta["name"] == "good"
    _write(path, "fixed", 5)
    _meta_until(client, lambda b: b["name"] == "fixed" and b["total"] == 5)


def test_the_first_import_replaces_the_demo_in_a_running_app(app_on):
    app = app_on()  # no REGISTRY_PATH: the demo until an import writes instance/registry
    client = app.test_client()
    assert client.get("/api/v1/meta").json["synthetic"] is True
    result = app.test_cli_runner().invoke(args=["import-facilities",
                                                str(DATA / "portal_tiny.csv")])
    assert result.exit_code == 0, result.output
    body = _meta_until(client, lambda b: b["synthetic"] is False)
    assert body["name"] == "imported registry"
    hits = client.get("/api/v1/facilities/nearest",
                      query_string={"lat": "37.2636", "lon": "127.045", "limit": "1"}).json
    assert hits["results"][0]["facility"]["name"] == "매탄해님어린이집"
