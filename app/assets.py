"""How the pages' files travel: versioned URLs cached for a year, and compressed answers.

Versioning. ``url_for('static', filename=...)`` (and the Leaflet and Swagger UI files,
``web.vendor`` and ``docs.swagger_assets``) gives ``/static/v/<hash>/<filename>``, where the hash
is of the whole folder's contents (names and bytes). A whole-folder hash in the *path*, not a
per-file ``?v=``, because the page scripts are ES modules whose relative imports
(``./api.js``, ``../common.js``) resolve against the importing module's URL: they land under the
same ``/v/<hash>/`` and so are versioned too. A versioned URL whose hash is the current one is
sent with ``Cache-Control: public, max-age=31536000, immutable``; any other (the plain
``/static/<filename>``, or a hash of an older deployment still in a cached page) keeps a short
cache (``no-cache``: revalidated by ETag each time; the vendor files one day, as before).

Compression. Flask-Compress compresses text answers (HTML, CSS, JS, JSON, GeoJSON, SVG, CSV)
of at least 500 bytes with brotli or gzip, as the browser's ``Accept-Encoding`` prefers, and adds
``Vary: Accept-Encoding``. The search API's fast path (``app.api.fast_path``, which skips Flask)
compresses its answers the same way with :func:`compress_body`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app
from flask_compress import Compress
from flask_compress.flask_compress import _choose_algorithm, _compress_data

LONG_CACHE = "public, max-age=31536000, immutable"
# What is compressed (Flask-Compress's text types, plus GeoJSON and CSV exports).
COMPRESS_MIMETYPES = ["text/html", "text/css", "text/plain", "text/csv", "text/javascript",
                      "application/javascript", "application/json", "application/geo+json",
                      "application/manifest+json", "image/svg+xml"]
# brotli first (smaller), gzip for the rest.
ALGORITHMS = ["br", "gzip"]
_VERSIONS = "dolbom_asset_versions"


def folder_hash(folder: Path) -> str:
    """A short hash of every file's relative path and bytes under ``folder`` (12 hex digits)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def version_of(folder: Path | str) -> str:
    """The folder's hash, computed once per app (the files of a deployment do not change; in
    debug mode, where they do, at each use)."""
    cache: dict[str, str] = current_app.extensions.setdefault(_VERSIONS, {})
    key = str(folder)
    if key not in cache or current_app.debug:
        cache[key] = folder_hash(Path(folder))
    return cache[key]


def cache_file(response: Response, folder: Path | str, version: str | None,
               unversioned_max_age: int | None) -> Response:
    """Long cache for a file asked for under the folder's current version; else the short one
    (``unversioned_max_age`` seconds, or ``no-cache`` when None). A whole file (200) is read
    into the answer, so Flask-Compress compresses it with a Content-Length and answers
    If-None-Match (streamed answers, such as a 206 range, it leaves as they are); the file is
    closed as soon as it is read."""
    if response.status_code == 200 and response.direct_passthrough:
        response.direct_passthrough = False
        source = response.response
        response.make_sequence()
        # The file is read: close it now, not when the response is closed (a client that hangs
        # up mid-answer can leave the response unclosed, and the file open until collected).
        close = getattr(source, "close", None)
        if close is not None:
            close()
    if version is not None and version == version_of(folder):
        response.headers["Cache-Control"] = LONG_CACHE
    elif unversioned_max_age is None:
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={unversioned_max_age}"
    return response


def compress_body(data: bytes, accept_encoding: str) -> tuple[bytes, str | None]:
    """``data`` compressed as Flask-Compress would for this ``Accept-Encoding`` (below its
    minimum size, or with no common encoding: unchanged), and the encoding used or None."""
    app = current_app
    if len(data) < app.config["COMPRESS_MIN_SIZE"]:
        return data, None
    algorithm = _choose_algorithm(tuple(app.config["COMPRESS_ALGORITHM"]), accept_encoding)
    if algorithm is None:
        return data, None
    return _compress_data(app, data, algorithm), algorithm


def init_app(app: Flask) -> None:
    """Compression, and versioned static URLs with their caching."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ALGORITHMS)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)

    static_folder = app.static_folder
    assert static_folder is not None
    plain_static: Callable[..., Response] = app.send_static_file

    def static(filename: str, version: str | None = None) -> Response:
        return cache_file(plain_static(filename), static_folder, version, None)

    # The plain /static/<filename> rule and a versioned one, both the "static" endpoint.
    app.view_functions["static"] = static
    app.add_url_rule(f"{app.static_url_path}/v/<version>/<path:filename>", endpoint="static",
                     view_func=static)

    @app.url_defaults
    def versioned_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "version" not in values:
            values["version"] = version_of(static_folder)
