"""The admins' page of sites allowed to embed the widget: list, add, remove (the token is asked
for on the page; the work is done by the admin API, ``app.api.embed_origins``)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from app.pages.site import _page_config

bp = Blueprint("embed_admin", __name__)


@bp.get("/admin/embed-origins")
def page() -> str:
    """List, add and remove allowed sites (``?origin=`` fills the add form: the builder's link)."""
    return render_template("admin_embed_origins.html", page_config=_page_config(),
                           propagation_s=f"{float(current_app.config['EMBED_ORIGINS_CACHE_S']):g}")


def init_app(app: Flask) -> None:
    """Register the page."""
    app.register_blueprint(bp)
