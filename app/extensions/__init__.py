"""The app's shared resources, each built once per app by its ``init_app`` and reached in a
request through ``get_*`` (Flask's tutorial pattern): the database engine, the registry store,
the planning store, the geocoder. The resources themselves are Flask-free (``app.db``,
``app.registry``, ``app.planning``, ``app.geo``); only this package knows about Flask."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Build every resource, in the order they need each other."""
    from . import care, db, geocoder, planning, registry

    db.init_app(app)
    geocoder.init_app(app)
    registry.init_app(app)  # reads the database engine for a PostGIS registry
    planning.init_app(app)  # follows the registry
    care.init_app(app)  # children, bookings: on the database engine
