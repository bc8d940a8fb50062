"""Pages for people: the start page and the health check."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, Flask, render_template

from app.search.model import KIND_NAMES_KO
from app.store import get_registry

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    """The start page: what the service holds, clearly labelled when it is the demo."""
    registry = get_registry()
    counts = Counter(f.kind for f in registry.facilities)
    return render_template(
        "index.html",
        registry=registry,
        counts=[(KIND_NAMES_KO[k], counts[k]) for k in KIND_NAMES_KO],
    )


@bp.get("/healthz")
def healthz():
    """Liveness and what is loaded."""
    registry = get_registry()
    return {"status": "ok", "facilities": len(registry.facilities),
            "synthetic": registry.synthetic}


def init_app(app: Flask) -> None:
    """Register the page routes."""
    app.register_blueprint(bp)
