"""The app's geocoder chain (``GEOCODERS``: ``module.path:ClassName`` each, built from the
settings when the class has ``from_config``: the address geocoder's ``GEOCODER_*``)."""

from __future__ import annotations

from flask import Flask, current_app

from app.geo.geocoding import ChainGeocoder, load

EXTENSION = "geocoder"


def init_app(app: Flask) -> None:
    """Build the configured geocoder chain (a ``GEOCODER_*`` setting that cannot work stops
    start-up with a ``SettingError`` naming it)."""
    app.extensions[EXTENSION] = ChainGeocoder([load(p, app.config) for p in app.config["GEOCODERS"]])


def get_geocoder() -> ChainGeocoder:
    """The current app's geocoder chain."""
    return current_app.extensions[EXTENSION]
