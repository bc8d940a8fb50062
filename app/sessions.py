"""Signed-cookie sessions that cost nothing on requests without a session cookie.

Flask's default builds an itsdangerous signer on every request once a secret key is set
(tens of microseconds); the search API never carries a session cookie, so it skips that.
Only the planner page signs anyone in.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class LazySessionInterface(SecureCookieSessionInterface):
    """The default signed-cookie sessions, with the signer made only when a cookie is sent."""

    def open_session(self, app: Flask, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
