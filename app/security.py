"""Security headers on every response: CSP, no sniffing, a strict referrer policy, and framing
allowed only for the embeddable widget from the configured origins."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

EMBED_PATHS = ("/embed",)


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

    embed_csp = content_security_policy(
        app, " ".join(["'self'", *app.config["EMBED_ALLOWED_ORIGINS"]]))
    page_csp = content_security_policy(app, "'none'")

    @app.after_request
    def headers(response):
        if "X-Content-Type-Options" in response.headers:
            return response  # set when the response was made (the search API's hot path)
        embeddable = request.path in EMBED_PATHS
        response.headers.setdefault("Content-Security-Policy",
                                    embed_csp if embeddable else page_csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if not embeddable:
            response.headers["X-Frame-Options"] = "DENY"
        return response
