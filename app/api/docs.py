"""The interactive API documentation page (Swagger UI served from the swagger-ui-bundle
package, so it works without the internet)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("docs", __name__, url_prefix="/docs")


@bp.get("/api")
def api_docs() -> str:
    """Swagger UI over /api/v1/openapi.json."""
    return render_template("api_docs.html")


@bp.get("/api/assets/<path:filename>")
def swagger_assets(filename: str) -> Response:
    """Swagger UI's own files, from the installed package."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def init_app(app: Flask) -> None:
    """Register the documentation routes."""
    app.register_blueprint(bp)
