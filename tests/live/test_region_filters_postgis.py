"""On the PostGIS backend too, a filter that can never match in the registry's area is a 400
naming it (issue 12; the memory backend: tests/test_filters_in_area.py). PostgreSQL only."""

from __future__ import annotations

import pytest

from app import create_app
from app.db.engine import make_engine, upgrade
from app.ingest.pipeline import import_files
from app.registry.io import Registry
from app.registry.postgis import store_registry

from ..conftest import DATA
from .servers import reset_postgres, skip_without_postgres

CITY_HALL = {"lat": "43.6534", "lon": "-79.3841"}


@pytest.fixture
def toronto_app(postgres_db, tmp_path):
    if postgres_db is None:
        skip_without_postgres()
    reset_postgres(postgres_db)
    upgrade(postgres_db)
    engine = make_engine(postgres_db)
    result = import_files([DATA / "toronto_tiny.csv"],
                          mapping_path=DATA / "toronto-tiny-mapping.toml")
    store_registry(engine, Registry(meta=result.locale.to_meta(),
                                    facilities=tuple(result.facilities)))
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_db, "SEARCH_BACKEND": "postgis",
                      "REGISTRY_PATH": str(tmp_path / "no-such-file.geojson")},
                     instance_path=str(tmp_path / "instance"))
    yield app
    app.extensions["dolbom_registry"].live.close()
    app.extensions["dolbom_db"].dispose()


@pytest.mark.parametrize(("path", "extra"), [("/api/v1/facilities/nearest", {}),
                                             ("/api/v1/facilities/within", {"radius_m": "5000"})])
def test_postgis_refuses_what_cannot_match_in_toronto(toronto_app, path, extra):
    client = toronto_app.test_client()
    assert client.get(path, query_string={**CITY_HALL, **extra}).status_code == 200
    r = client.get(path, query_string={**CITY_HALL, **extra, "region": "41110"})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == "region"
    assert "allowed: none" in r.json["error"]["message"]
    r = client.get(path, query_string={**CITY_HALL, **extra, "programme": "always_daycare"})
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == "programme"
