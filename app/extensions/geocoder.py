"""The app's geocoder chain (``GEOCODERS``: ``module.path:ClassName`` each)."""

from __future__ import annotations

from flask import Flask, current_app

from app.geo.geocoding import ChainGeocoder, load

EXTENSION = "geocoder"


def init_app(app: Flask) -> None:
    """Build the configured geocoder chain."""
    app.extensions[EXTENSION] = ChainGeocoder([load(p) for p in app.config["GEOCODERS"]])


def get_geocoder() -> ChainGeocoder:
    """The current app's geocoder chain."""
    return current_app.extensions[EXTENSION]
