"""A lean WSGI path for the parents' searches: ``GET /api/v1/facilities/nearest`` and
``/within``.

They are most of the traffic, and Flask's per-request machinery (request and app contexts,
signals, routing, hooks, building a Response and its headers) cost about as much as the search
itself. This path runs the very same code (``app.api.search.nearest_answer`` / ``within_answer``)
inside an app context and answers with the same headers as the Flask routes; anything else —
another path or method, or any error — goes to Flask, which answers it as before (the JSON
error envelope, logging, 500s). Its answers are compressed as Flask-Compress compresses the
Flask path's (``app.assets.compress_body``: brotli or gzip as ``Accept-Encoding`` asks, from
500 bytes, ``Vary: Accept-Encoding`` always). ``tests/test_fast_reads.py`` checks that both paths
give identical answers, and that no request hook was added that this path would skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.http import http_date
from werkzeug.wrappers import Request

from app.api import search as api
from app.api.params import Args
from app.assets import compress_body

PREFIX = api.bp.url_prefix
ROUTES: dict[str, Callable[[Args, str], tuple[str, str]]] = {
    f"{PREFIX}/facilities/nearest": api.nearest_answer,
    f"{PREFIX}/facilities/within": api.within_answer,
}


class FastReads:
    """WSGI middleware in front of ``app.wsgi_app`` (see the module docstring)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.flask_wsgi_app = app.wsgi_app
        self.headers = list(api.READ_HEADERS.items())

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        answer = ROUTES.get(environ.get("PATH_INFO", ""))
        if answer is None or environ.get("REQUEST_METHOD") != "GET":
            return self.flask_wsgi_app(environ, start_response)
        try:
            with self.app.app_context():
                body, mimetype = answer(Args(Request(environ).args),
                                        environ.get("HTTP_ACCEPT", ""))
                # Compressed as Flask-Compress does on the Flask path (app.assets).
                data, encoding = compress_body(body.encode(),
                                               environ.get("HTTP_ACCEPT_ENCODING", ""))
        except Exception:  # Flask answers every error, in the usual envelope
            return self.flask_wsgi_app(environ, start_response)
        headers = [("Content-Type", mimetype), ("Content-Length", str(len(data))), *self.headers,
                   ("Vary", "Accept-Encoding")]
        if encoding is not None:  # and a Date, as werkzeug's make_conditional adds there
            headers += [("Content-Encoding", encoding), ("Date", http_date())]
        start_response("200 OK", headers)
        return [data]


def init_app(app: Flask) -> None:
    """Put the fast path in front of Flask."""
    app.wsgi_app = FastReads(app)  # type: ignore[method-assign]
