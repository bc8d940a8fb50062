"""Server-rendered pages: the parents' map and the embeddable widget, the provider and admin
pages (``site``), and the planners' pages with their sessions (``planner``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages (the planner's first: it sets up the session cookie)."""
    from . import embed_admin, planner, site

    planner.init_app(app)
    site.init_app(app)
    embed_admin.init_app(app)
