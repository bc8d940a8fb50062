"""The ``flask`` command line, one module per area: the registry and provider data
(``registry``), planning (``planning``), the sites allowed to embed the
widget (``embed``), people's accounts made by operators (``accounts``), the demo's accounts
(``demo``), the care clock (``care``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add every command group to ``flask``."""
    from . import accounts, care, demo, embed, planning, registry

    registry.init_app(app)
    accounts.init_app(app)
    planning.init_app(app)
    embed.init_app(app)
    demo.init_app(app)
    care.init_app(app)
