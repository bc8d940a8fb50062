"""The app's database engine (:mod:`app.db.engine`), migrated at start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from app.db.engine import make_engine, upgrade

EXTENSION = "dolbom_db"


def database_url(app: Flask) -> str:
    """``DATABASE_URL``, or a SQLite file in the instance folder."""
    url = app.config.get("DATABASE_URL")
    if url:
        return url
    path = Path(app.instance_path) / "dolbom.sqlite3"
    return f"sqlite:///{path}"


def init_app(app: Flask) -> None:
    """Create the engine (migrating the schema unless ``DATABASE_AUTO_MIGRATE`` is off)."""
    url = database_url(app)
    if app.config.get("DATABASE_AUTO_MIGRATE", True):
        upgrade(url)
    app.extensions[EXTENSION] = make_engine(url)


def get_engine() -> sa.Engine:
    """The current app's database engine."""
    return current_app.extensions[EXTENSION]
