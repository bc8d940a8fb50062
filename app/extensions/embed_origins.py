"""The sites allowed to frame ``/embed`` for the current app: its own origin, the
``EMBED_ALLOWED_ORIGINS`` setting, and the database list (:mod:`app.live.embed_origins`) read
through a per-process cache of ``EMBED_ORIGINS_CACHE_S`` seconds."""

from __future__ import annotations

from flask import Flask, current_app

from app.live.embed_origins import OriginCache

EXTENSION = "dolbom_embed_origins"


def cache(app: Flask | None = None) -> OriginCache:
    """This app's (process's) cache of the stored origins."""
    app = app or current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = OriginCache(float(app.config["EMBED_ORIGINS_CACHE_S"]))
    return found


def configured(app: Flask | None = None) -> tuple[str, ...]:
    """The origins of the ``EMBED_ALLOWED_ORIGINS`` setting."""
    return tuple((app or current_app).config["EMBED_ALLOWED_ORIGINS"])


def stored(app: Flask | None = None) -> tuple[str, ...]:
    """The origins stored in the database, at most ``EMBED_ORIGINS_CACHE_S`` seconds old."""
    app = app or current_app
    engine = app.extensions.get("dolbom_db")
    return cache(app).get(engine) if engine is not None else ()


def frame_ancestors(app: Flask | None = None) -> str:
    """The ``frame-ancestors`` source list of ``/embed``: 'self', the setting, the database."""
    app = app or current_app
    sources = dict.fromkeys(["'self'", *configured(app), *stored(app)])  # in order, once each
    return " ".join(sources)
