"""The API documentation page: the operations listed from the OpenAPI document, and the
interactive explorer (Swagger UI served from the swagger-ui-bundle package, so it works without
the internet) loaded on the page only when asked for."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from app.api.openapi import generate
from app.assets import cache_file, version_of

bp = Blueprint("docs", __name__, url_prefix="/docs")


@bp.get("/api")
def api_docs() -> str:
    """The operations of the API, listed from its OpenAPI document (light on a phone), with
    Swagger UI over /api/v1/openapi.json loaded only when asked for."""
    return render_template("api_docs.html", operations=operations(generate(current_app)),
                           spec_url=url_for("api.openapi_document"))


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of an OpenAPI document, in its order: method, path, summary, description,
    parameters (name, in, required, description), responses (code, description), secured."""
    out = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            out.append({
                "id": op.get("operationId") or f"{method}-{path}",
                "method": method, "path": path, "summary": op.get("summary", ""),
                # paragraphs kept, each on one line (docstrings wrap and indent)
                "description": "\n\n".join(" ".join(part.split()) for part in
                                            re.split(r"\n\s*\n", op.get("description", ""))),
                "params": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                            "description": p.get("description", "")}
                           for p in op.get("parameters", [])],
                "responses": [(code, r.get("description", ""))
                              for code, r in op.get("responses", {}).items()],
                "secured": bool(op.get("security")),
            })
    return out


@bp.get("/api/assets/<path:filename>")
@bp.get("/api/assets/v/<version>/<path:filename>")
def swagger_assets(filename: str, version: str | None = None) -> Response:
    """Swagger UI's own files, from the installed package (under the package's current hash,
    as ``url_for`` gives them, cached for a year; else one day)."""
    return cache_file(send_from_directory(swagger_ui_path, filename), swagger_ui_path, version,
                      86400)


@bp.url_defaults
def _versioned_assets(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "docs.swagger_assets" and "version" not in values:
        values["version"] = version_of(swagger_ui_path)


def init_app(app: Flask) -> None:
    """Register the documentation routes."""
    app.register_blueprint(bp)
