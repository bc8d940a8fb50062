"""Server-rendered pages: the parents' map and the embeddable widget, the provider and admin
pages (``site``), the planners' pages with their sessions (``planner``), and people's
accounts: sign-up, sign-in, sessions, roles (``account``); the care cycle's family pages and
provider inbox (``family``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages (the planner's first: it sets up the session cookie)."""
    from app.care.rules import window_step_minutes

    from . import account, embed_admin, family, planner, site

    # Every page's time pickers step as the API checks windows (booking_rules.json).
    app.jinja_env.globals["window_step_s"] = window_step_minutes() * 60
    planner.init_app(app)
    account.init_app(app)  # people's accounts: after the planner, which sets the secret key
    site.init_app(app)
    embed_admin.init_app(app)
    family.init_app(app)  # the care cycle's pages (after account: they use its sessions)
