"""The JSON API under /api/v1: one module per resource (``search``, ``providers``, ``coverage``),
with their query parameters (``params``), response shapes (``serialize``), the OpenAPI
document generated from the same parameter lists (``openapi``, ``docs``) and the lean WSGI
path for the busiest reads (``fast_path``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every API resource, the docs, and the fast path in front of them."""
    from . import (
        care_bookings,
        care_family,
        care_notices,
        care_requests,
        coverage,
        docs,
        embed_origins,
        fast_path,
        providers,
        search,
    )

    search.init_app(app)
    providers.init_app(app)
    coverage.init_app(app)
    embed_origins.init_app(app)
    care_family.init_app(app)
    care_bookings.init_app(app)
    care_requests.init_app(app)
    care_notices.init_app(app)
    docs.init_app(app)
    fast_path.init_app(app)  # last: it wraps the finished app
