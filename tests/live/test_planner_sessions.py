"""Planner sessions end with their token, at sign-out (a copied cookie is refused, also by
another server with the same key and database), after the idle and absolute lifetimes; the
cookie is Secure when asked or over HTTPS; planner and admin answers are never cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions.db import get_engine
from app.live import tokens
from app.pages import planner as planner_web

SECRET = "one secret key shared by every server of the deployment"


class Clock:
    """A clock the test moves."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def servers(make_app, monkeypatch):
    """make(**config) -> an app (a server) on the shared test database, with the shared secret
    key and a movable clock; the planner's map is stubbed (these tests are about who may see
    it, not about drawing it)."""
    monkeypatch.setattr(planner_web, "_options", lambda: ({}, "share_1000", None))
    monkeypatch.setattr(planner_web, "_build", lambda *args: ("", "// the map\n", None))
    clock = Clock(datetime.now(UTC).replace(microsecond=0))

    def make(**config):
        app = make_app(SECRET_KEY=SECRET, **config)
        app.session_interface.clock = clock
        return app

    make.clock = clock
    return make


def _admin_token(app, **kw) -> str:
    with app.app_context():
        return tokens.issue(get_engine(), "admin", **kw)


def _sign_in(client, token: str) -> str:
    r = client.post("/planner/login", data={"token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed_in(client) -> bool:
    r = client.get("/planner/map.js")
    assert r.status_code in (200, 401)
    return r.status_code == 200


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def test_revoking_the_token_ends_its_sessions_on_every_server(servers):
    one, two = servers(), servers()
    token = _admin_token(one)
    client = one.test_client()
    cookie = _sign_in(client, token)
    copy = _with_cookie(two, cookie)
    assert _signed_in(client) and _signed_in(copy)

    with one.app_context():
        assert tokens.revoke(get_engine(), token.split("_")[1])
    r = client.get("/planner/map.js")
    assert r.status_code == 401
    assert "session=;" in r.headers["Set-Cookie"]  # the browser forgets the cookie
    assert not _signed_in(copy)
    assert not _signed_in(_with_cookie(one, cookie))
    assert client.post("/planner/login", data={"token": token}).status_code == 401


def test_an_expired_token_ends_its_sessions(servers):
    app = servers(PLANNER_SESSION_IDLE_MINUTES=24 * 60, PLANNER_SESSION_MAX_HOURS=48)
    token = _admin_token(app, expires_at=servers.clock.at + timedelta(hours=2))
    client = app.test_client()
    _sign_in(client, token)
    servers.clock.move(hours=1, minutes=59)
    assert _signed_in(client)
    servers.clock.move(minutes=1)
    assert not _signed_in(client)


def test_idle_lifetime(servers):
    app = servers()  # PLANNER_SESSION_IDLE_MINUTES = 30
    client = app.test_client()
    cookie = _sign_in(client, _admin_token(app))
    for _ in range(3):
        servers.clock.move(minutes=29)
        assert _signed_in(client)  # each request starts the idle time again
    servers.clock.move(minutes=30)
    assert not _signed_in(client)
    servers.clock.move(minutes=-30)  # an ended session stays ended
    assert not _signed_in(_with_cookie(app, cookie))


def test_absolute_lifetime(servers):
    app = servers()  # PLANNER_SESSION_MAX_HOURS = 8, busy all day
    client = app.test_client()
    _sign_in(client, _admin_token(app))
    for _ in range(23):
        servers.clock.move(minutes=20)
        assert _signed_in(client)
    servers.clock.move(minutes=19, seconds=59)  # 7 h 59 min 59 s after sign-in
    assert _signed_in(client)
    servers.clock.move(seconds=1)
    assert not _signed_in(client)


def test_lifetimes_are_settings(servers):
    app = servers(PLANNER_SESSION_IDLE_MINUTES=5, PLANNER_SESSION_MAX_HOURS=1)
    client = app.test_client()
    _sign_in(client, _admin_token(app))
    servers.clock.move(minutes=5)
    assert not _signed_in(client)
    _sign_in(client, _admin_token(app))
    for _ in range(14):
        servers.clock.move(minutes=4)
        assert _signed_in(client)
    servers.clock.move(minutes=4)  # 60 minutes
    assert not _signed_in(client)


def test_sign_out_refuses_a_replayed_cookie_everywhere(servers):
    one, two = servers(), servers()
    client = one.test_client()
    cookie = _sign_in(client, _admin_token(one))
    assert _signed_in(_with_cookie(two, cookie))
    r = client.post("/planner/logout")
    assert r.status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(_with_cookie(one, cookie))
    assert not _signed_in(_with_cookie(two, cookie))


def test_a_cookie_without_a_server_side_session_is_refused(servers):
    """A validly signed cookie that names no session (the format before server-side sessions,
    or a made-up session id) signs nobody in."""
    app = servers()
    token = _admin_token(app)
    signer = app.session_interface.get_signing_serializer(app)
    token_id = token.split("_")[1]
    for data in ({"planner_admin": token_id}, {"planner_admin": token_id, "sid": "made-up"}):
        assert not _signed_in(_with_cookie(app, signer.dumps(data)))


@pytest.mark.parametrize(("config", "headers", "secure"), [
    ({}, {}, False),
    ({"SESSION_COOKIE_SECURE": True}, {}, True),
    # Behind a TLS proxy: HTTPS is seen through X-Forwarded-Proto once the proxy is trusted.
    ({"TRUSTED_PROXIES": 1}, {"X-Forwarded-Proto": "https"}, True),
    ({}, {"X-Forwarded-Proto": "https"}, False),  # not trusted: a client could forge it
])
def test_secure_cookie(servers, config, headers, secure):
    app = servers(**config)
    r = app.test_client().post("/planner/login", data={"token": _admin_token(app)}, headers=headers)
    assert r.status_code == 302
    flags = [f.strip().lower() for f in r.headers["Set-Cookie"].split(";")]
    assert ("secure" in flags) is secure
    assert "httponly" in flags and "samesite=strict" in flags


def test_secure_setting_from_the_environment(servers, monkeypatch):
    monkeypatch.setenv("DOLBOM_SESSION_COOKIE_SECURE", "true")
    app = servers()
    r = app.test_client().post("/planner/login", data={"token": _admin_token(app)})
    assert "Secure" in r.headers["Set-Cookie"]


def test_planner_and_admin_answers_are_not_stored(servers):
    app = servers()
    token = _admin_token(app)
    auth = {"Authorization": f"Bearer {token}"}
    anonymous = app.test_client()
    client = app.test_client()
    answers = {
        "login page": anonymous.get("/planner"),
        "map script, signed out": anonymous.get("/planner/map.js"),
        "admin report page": anonymous.get("/admin/report"),
        "sign-in": client.post("/planner/login", data={"token": token}),
        "map script": client.get("/planner/map.js"),
        "export, signed out": anonymous.get("/planner/export"),
        "admin report API": client.get("/api/v1/admin/report", headers=auth),
        "coverage options API": client.get("/api/v1/coverage/options", headers=auth),
        "who am I": client.get("/api/v1/providers/me", headers=auth),
        "history": client.get("/api/v1/providers/demo-dc-00001/history", headers=auth),
        "refused token": anonymous.get("/api/v1/admin/report", headers={"Authorization": "Bearer x"}),
        "sign-out": client.post("/planner/logout"),
    }
    for name, r in answers.items():
        assert r.status_code < 500, name
        assert r.headers.get("Cache-Control") == "no-store", name
    # Public pages keep their caching as before.
    assert "no-store" not in (anonymous.get("/").headers.get("Cache-Control") or "")


def test_cli_issues_tokens_that_expire(servers):
    app = servers()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["token", "issue", "--admin", "--expires-days", "0.5"])
    assert out.exit_code == 0, out.output
    token = out.output.strip()
    with app.app_context():
        assert tokens.verify(get_engine(), token) is not None
        row = next(t for t in tokens.list_tokens(get_engine()) if t["id"] == token.split("_")[1])
        expires_at = row["expires_at"]
        expires_at = expires_at.replace(tzinfo=UTC) if expires_at.tzinfo is None else expires_at
        assert timedelta(hours=11, minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=12)
        assert tokens.expired(row["expires_at"], datetime.now(UTC) + timedelta(hours=12))
        expired = tokens.issue(get_engine(), "admin", expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert tokens.verify(get_engine(), expired) is None
    listed = runner.invoke(args=["token", "list"]).output
    assert f"{expired.split('_')[1]}  admin     -                     expired" in listed
    bad = runner.invoke(args=["token", "issue", "--admin", "--expires-days", "0"])
    assert bad.exit_code == 2 and "--expires-days" in bad.output


def test_database_out_of_reach_signs_out_for_the_moment(servers, monkeypatch):
    """No 500 while the database cannot answer: the request is treated as signed out and the
    cookie is kept, so the session goes on once the database is back."""
    from sqlalchemy.exc import OperationalError

    from app.pages import planner_sessions as sessions

    app = servers()
    client = app.test_client()
    _sign_in(client, _admin_token(app))
    check = sessions.check

    def unreachable(*args):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(sessions, "check", unreachable)
    r = client.get("/planner/map.js")
    assert r.status_code == 401 and "Set-Cookie" not in r.headers
    monkeypatch.setattr(sessions, "check", check)
    assert _signed_in(client)


def test_cli_refuses_a_bad_label_without_a_traceback(servers):
    runner = servers().test_cli_runner()
    out = runner.invoke(args=["token", "issue", "--admin", "--label", "night\x07desk"])
    assert out.exit_code == 1
    assert "printable characters" in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
