"""Security headers on every response: CSP, no sniffing, a strict referrer policy, framing
allowed only for the embeddable widget from the configured origins, and ``Cache-Control:
no-store`` on the planner's and admins' answers (and any answer to a request that carried a
token or a session cookie), so no browser or proxy cache keeps them. ``TRUSTED_PROXIES``
puts werkzeug's ProxyFix in front, so HTTPS seen by the proxy counts (Secure cookies)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

EMBED_PATHS = ("/embed",)
# Answers never stored by a cache: the planner, the admin pages and the admin/provider APIs.
NO_STORE_PREFIXES = ("/planner", "/admin/", "/api/v1/admin/", "/api/v1/coverage/",
                     "/api/v1/providers/")


def tile_origin(tile_url: str) -> str:
    """The origin pattern of the tile template, for img-src ({s}. subdomains as a wildcard)."""
    parts = urlsplit(tile_url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def content_security_policy(app: Flask, framing: str) -> str:
    """The CSP of a page; ``framing`` is the frame-ancestors source list."""
    tiles = tile_origin(app.config["TILE_URL"])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {tiles}".strip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {framing}",
    ])


API_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Add the headers to every response."""

    from app.extensions import embed_origins

    # /embed: own origin, the setting and the database list, read per request (a few seconds'
    # cache per process: app.extensions.embed_origins), so allowing a site needs no restart.
    def embed_csp() -> str:
        return content_security_policy(app, embed_origins.frame_ancestors(app))

    page_csp = content_security_policy(app, "'none'")
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    session_cookie = app.config["SESSION_COOKIE_NAME"]

    @app.after_request
    def headers(response: Response) -> Response:
        if request.path.startswith(NO_STORE_PREFIXES) or "Authorization" in request.headers \
                or session_cookie in request.cookies:
            response.headers["Cache-Control"] = "no-store"
        if "X-Content-Type-Options" in response.headers:
            return response  # set when the response was made (the search API's hot path)
        embeddable = request.path in EMBED_PATHS
        response.headers.setdefault("Content-Security-Policy",
                                    embed_csp() if embeddable else page_csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not embeddable:
            response.headers["X-Frame-Options"] = "DENY"
        return response
