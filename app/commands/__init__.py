"""The ``flask`` command line, one module per area: the registry and provider data
(``registry``), planning (``planning``), the sites allowed to embed the
widget (``embed``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add every command group to ``flask``."""
    from . import embed, planning, registry

    registry.init_app(app)
    planning.init_app(app)
    embed.init_app(app)
