"""The widget out of the box (issue 14): what an origin is, the builder's check (may this site
embed the widget now, and exactly how an operator allows it), the admins' database list (API
and CLI) that reaches /embed's frame-ancestors without a restart, within the cache bound, and
the audit of every change (never a token)."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app import create_app
from app.db.engine import embed_origin_log
from app.extensions import embed_origins as allowed
from app.extensions.db import get_engine
from app.extensions.registry import get_registry
from app.live import embed_origins, tokens
from app.live.embed_origins import OriginCache, OriginError, allows, parse_origin

from .conftest import tiny_config

SUWON = "https://www.suwon.go.kr"
YONGIN = "https://www.yongin.go.kr"
CHECK = "/api/v1/embed/origins/check"
ADMIN = "/api/v1/admin/embed-origins"


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(tmp_path, tiny_registry, instance: str = "instance", **config):
    return create_app({**tiny_config(tiny_registry), "EMBED_ALLOWED_ORIGINS": [YONGIN],
                       **config}, instance_path=str(tmp_path / instance))


@pytest.fixture
def app(tmp_path, tiny_registry):
    return _app(tmp_path, tiny_registry)


def _admin(app) -> tuple[dict, str]:
    with app.app_context():
        text = tokens.issue(get_engine(), "admin", label="operator")
    return {"Authorization": f"Bearer {text}"}, text


def _frame_ancestors(client) -> str:
    csp = client.get("/embed").headers["Content-Security-Policy"]
    return next(p for p in csp.split("; ") if p.startswith("frame-ancestors"))


# What an origin is -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "origin"), [
    (SUWON, SUWON),
    (" https://WWW.Suwon.go.kr/ ", SUWON),            # case, spaces and a trailing slash
    ("HTTPS://www.suwon.go.kr:443", SUWON),           # the default port written out
    ("https://www.suwon.go.kr:8443", "https://www.suwon.go.kr:8443"),
    ("http://localhost:8080", "http://localhost:8080"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("https://수원.kr", "https://xn--9p4bi0g.kr"),       # as the browser reports it
])
def test_origins_are_normalised(text, origin):
    assert parse_origin(text) == origin


@pytest.mark.parametrize(("text", "message"), [
    ("", r"^give the site's origin: an origin: https://host\[:port\]"),
    ("www.suwon.go.kr", r"is not an origin: it must start with https://"),
    ("https://www.suwon.go.kr/childcare/map.do",
     r"an origin has no path, query or fragment; write 'https://www.suwon.go.kr'"),
    ("https://www.suwon.go.kr?x=1", r"no path, query or fragment; write 'https://www.suwon.go.kr'"),
    ("http://www.suwon.go.kr", r"http:// is allowed only for localhost.*must use "
                               r"https://www.suwon.go.kr"),
    ("ftp://www.suwon.go.kr", r"the scheme must be https \(http only for localhost\), not ftp"),
    ("https://admin:pw@www.suwon.go.kr", r"no user name or password"),
    ("https://www.suwon.go.kr:0", r"the port must be a number from 1 to 65535"),
    ("https://www.suwon.go.kr:65536", r"the port must be a number from 1 to 65535"),
    ("https://*.suwon.go.kr", r"'\*\.suwon\.go\.kr' is not a host name"),
    ("https://www_suwon.go.kr", r"is not a host name"),
])
def test_what_is_not_an_origin_is_said(text, message):
    with pytest.raises(OriginError, match=message):
        parse_origin(text)


def test_a_wildcard_only_where_asked():
    assert parse_origin("https://*.Suwon.go.kr", wildcard=True) == "https://*.suwon.go.kr"


@pytest.mark.parametrize(("source", "origin", "expected"), [
    (SUWON, SUWON, True),
    (SUWON, "https://suwon.go.kr", False),
    ("https://*.suwon.go.kr", SUWON, True),
    ("https://*.suwon.go.kr", "https://a.b.suwon.go.kr", True),
    ("https://*.suwon.go.kr", "https://suwon.go.kr", False),         # not the bare domain
    ("https://*.suwon.go.kr", "https://evilsuwon.go.kr", False),
    ("https://www.suwon.go.kr:443", SUWON, True),
    ("https://www.suwon.go.kr:8443", SUWON, False),
    (SUWON, "https://www.suwon.go.kr:8443", False),
    ("http://localhost:8080", "http://localhost:8080", True),
    ("http://localhost:8080", "http://localhost:8081", False),
    ("http://www.suwon.go.kr", SUWON, True),                         # http source, https page
    (SUWON, "http://www.suwon.go.kr", False),
])
def test_a_source_allows_as_browsers_match(source, origin, expected):
    assert allows(source, origin) is expected


# The builder's check ---------------------------------------------------------------------------

def test_check_of_a_site_not_allowed(app):
    r = app.test_client().get(CHECK, query_string={"origin": SUWON + "/"})
    assert r.status_code == 200
    body = r.json
    assert body["origin"] == SUWON and body["allowed"] is False and body["allowed_by"] is None
    how = body["how"]
    assert how["environment"] == f"DOLBOM_EMBED_ALLOWED_ORIGINS={YONGIN},{SUWON}"
    assert how["setting"] == "EMBED_ALLOWED_ORIGINS" and how["setting_value"] == [YONGIN, SUWON]
    assert how["cli"] == f"flask embed-origins add {SUWON}"
    assert how["admin_page"] == "/admin/embed-origins?origin=https://www.suwon.go.kr"
    assert body["propagation_s"] == 5.0
    assert "within 5 seconds" in how["note"] and "setting needs a restart" in how["note"]


@pytest.mark.parametrize(("origin", "by", "source"), [
    (YONGIN, "setting", YONGIN),
    ("http://localhost", "self", "'self'"),              # the test client's own origin
])
def test_check_of_allowed_sites(app, origin, by, source):
    body = app.test_client().get(CHECK, query_string={"origin": origin}).json
    assert (body["allowed"], body["allowed_by"], body["source"], body["how"]) == \
        (True, by, source, None)


def test_check_follows_a_wildcard_setting(tmp_path, tiny_registry):
    app = _app(tmp_path, tiny_registry, EMBED_ALLOWED_ORIGINS=["https://*.suwon.go.kr"])
    body = app.test_client().get(CHECK, query_string={"origin": SUWON}).json
    assert (body["allowed"], body["source"]) == (True, "https://*.suwon.go.kr")
    assert app.test_client().get(CHECK, query_string={"origin": "https://suwon.go.kr"}) \
        .json["allowed"] is False


@pytest.mark.parametrize(("query", "message"), [
    ({"origin": "https://www.suwon.go.kr/childcare/map.do"},
     r"^origin: .*no path, query or fragment; write 'https://www.suwon.go.kr'"),
    ({"origin": "http://www.suwon.go.kr"}, r"^origin: .*http:// is allowed only for localhost"),
    ({"origin": "www.suwon.go.kr"}, r"^origin: .*must start with https://"),
    ({}, r"^origin: give the site's origin: an origin: https://host\[:port\]"),
])
def test_check_of_a_malformed_origin_is_a_400_naming_what_is_allowed(app, query, message):
    r = app.test_client().get(CHECK, query_string=query)
    assert r.status_code == 400
    error = r.json["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", "origin")
    assert re.search(message, error["message"]), error["message"]


def test_check_is_in_the_api_document(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    get = doc["paths"]["/api/v1/embed/origins/check"]["get"]
    assert get["parameters"][0]["name"] == "origin" and get["parameters"][0]["required"]
    assert set(doc["paths"]["/api/v1/admin/embed-origins"]) == {"get", "post", "delete"}
    assert doc["paths"]["/api/v1/admin/embed-origins"]["post"]["security"] == [{"bearer": []}]
    assert "EmbedOriginCheck" in doc["components"]["schemas"]


# The admins' list: no restart ------------------------------------------------------------------

def test_admin_adds_and_removes_without_restart(app):
    client = app.test_client()
    auth, _ = _admin(app)
    assert _frame_ancestors(client) == f"frame-ancestors 'self' {YONGIN}"
    r = client.post(ADMIN, json={"origin": SUWON + "/", "note": "수원시 정보통신과"}, headers=auth)
    assert r.status_code == 200, r.json
    assert (r.json["origin"], r.json["changed"]) == (SUWON, True)
    # This server: at once; the check says so.
    assert _frame_ancestors(client) == f"frame-ancestors 'self' {YONGIN} {SUWON}"
    body = client.get(CHECK, query_string={"origin": SUWON}).json
    assert (body["allowed"], body["allowed_by"]) == (True, "database")
    # Adding again changes nothing and logs nothing.
    again = client.post(ADMIN, json={"origin": SUWON}, headers=auth)
    assert (again.status_code, again.json["changed"]) == (200, False)
    listing = client.get(ADMIN, headers=auth).json
    assert [e["origin"] for e in listing["stored"]] == [SUWON]
    assert listing["stored"][0]["note"] == "수원시 정보통신과"
    assert listing["configured"] == [YONGIN]
    r = client.delete(ADMIN, query_string={"origin": SUWON}, headers=auth)
    assert (r.status_code, r.json["changed"]) == (200, True)
    assert _frame_ancestors(client) == f"frame-ancestors 'self' {YONGIN}"
    assert [e["action"] for e in client.get(ADMIN, headers=auth).json["log"]] == ["remove", "add"]


def test_removing_what_is_not_stored_is_a_404_saying_where_it_is(app):
    auth, _ = _admin(app)
    r = app.test_client().delete(ADMIN, query_string={"origin": YONGIN}, headers=auth)
    assert r.status_code == 404
    assert r.json["error"]["message"] == (f"{YONGIN} is not in the database list; it is in the "
                                          "EMBED_ALLOWED_ORIGINS setting: remove it there and restart")
    r = app.test_client().delete(ADMIN, query_string={"origin": SUWON}, headers=auth)
    assert r.json["error"]["message"] == f"{SUWON} is not in the database list"


def test_only_admin_tokens_change_the_list(app):
    client = app.test_client()
    assert client.post(ADMIN, json={"origin": SUWON}).status_code == 401
    with app.app_context():
        provider = tokens.issue(get_engine(), "provider", get_registry().facilities[0].id)
    r = client.post(ADMIN, json={"origin": SUWON}, headers={"Authorization": f"Bearer {provider}"})
    assert (r.status_code, r.json["error"]["message"]) == (403, "the embed origins is for admin tokens")
    assert client.get(ADMIN).status_code == 401
    assert client.delete(ADMIN, query_string={"origin": SUWON}).status_code == 401
    assert _frame_ancestors(client) == f"frame-ancestors 'self' {YONGIN}"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"origin": "http://www.suwon.go.kr"}, "origin", r"^origin: .*http:// is allowed only"),
    ({"origin": SUWON + "/a"}, "origin", r"^origin: .*no path"),
    ({}, "origin", r"^origin: give the site's origin"),
    ({"origin": SUWON, "note": "a\u0007b"}, "note", r"^note: a note is text of at most 200"),
    ({"origin": SUWON, "note": "x" * 201}, "note", r"^note: a note is text of at most 200"),
    ({"origin": SUWON, "who": "me"}, "who", r"^who is not a field; allowed: origin, note$"),
    ([SUWON], "body", r"^the body must be a JSON object"),
])
def test_a_bad_addition_is_a_400_and_stores_nothing(app, body, field, message):
    auth, _ = _admin(app)
    client = app.test_client()
    r = client.post(ADMIN, json=body, headers=auth)
    assert (r.status_code, r.json["error"]["field"]) == (400, field)
    assert re.search(message, r.json["error"]["message"]), r.json["error"]["message"]
    assert client.get(ADMIN, headers=auth).json["stored"] == []


def test_every_change_is_audited_without_the_token(app, caplog):
    auth, secret = _admin(app)
    token_id = tokens.parse(secret)[0]
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="app.live.embed_origins"):
        client.post(ADMIN, json={"origin": SUWON}, headers=auth)
        client.delete(ADMIN, query_string={"origin": SUWON}, headers=auth)
    with app.app_context(), get_engine().connect() as conn:
        rows = conn.execute(sa.select(embed_origin_log).order_by(embed_origin_log.c.id)).all()
    assert [(r.origin, r.action, r.actor) for r in rows] == \
        [(SUWON, "add", f"token:{token_id}"), (SUWON, "remove", f"token:{token_id}")]
    assert [r.getMessage() for r in caplog.records] == [
        f"embed origin added: {SUWON} by token:{token_id}",
        f"embed origin removed: {SUWON} by token:{token_id}"]
    secret_part = secret.split("_", 2)[2]
    assert all(secret_part not in r.getMessage() for r in caplog.records)
    # The log is append-only in the database itself.
    with app.app_context(), pytest.raises(sa.exc.DatabaseError, match="append-only"), \
            get_engine().begin() as conn:
        conn.execute(embed_origin_log.delete())


# Every server process within the cache bound ---------------------------------------------------

def test_another_server_sees_a_change_within_the_cache_bound(tmp_path, tiny_registry):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one = _app(tmp_path, tiny_registry, "one", DATABASE_URL=url)
    two = _app(tmp_path, tiny_registry, "two", DATABASE_URL=url)
    clock = Clock()
    two.extensions[allowed.EXTENSION] = OriginCache(5.0, clock)
    other = two.test_client()
    assert _frame_ancestors(other) == f"frame-ancestors 'self' {YONGIN}"  # read: nothing stored
    auth, _ = _admin(one)
    assert one.test_client().post(ADMIN, json={"origin": SUWON}, headers=auth).status_code == 200
    clock.now += 4.9
    assert _frame_ancestors(other) == f"frame-ancestors 'self' {YONGIN}"  # still cached
    clock.now += 0.2
    assert _frame_ancestors(other) == f"frame-ancestors 'self' {YONGIN} {SUWON}"
    one.test_client().delete(ADMIN, query_string={"origin": SUWON}, headers=auth)
    clock.now += 5.1
    assert _frame_ancestors(other) == f"frame-ancestors 'self' {YONGIN}"


def test_an_unreadable_database_keeps_the_last_list(app, monkeypatch, caplog):
    client = app.test_client()
    auth, _ = _admin(app)
    client.post(ADMIN, json={"origin": SUWON}, headers=auth)
    clock = Clock()
    app.extensions[allowed.EXTENSION] = OriginCache(5.0, clock)
    assert _frame_ancestors(client) == f"frame-ancestors 'self' {YONGIN} {SUWON}"

    def down(bind):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(embed_origins, "list_origins", down)
    clock.now += 6
    with caplog.at_level(logging.WARNING, logger="app.live.embed_origins"):
        r = client.get("/embed")
    assert r.status_code == 200
    assert f"frame-ancestors 'self' {YONGIN} {SUWON}" in r.headers["Content-Security-Policy"]
    assert "keeping the 1 origins read before" in caplog.text


# The CLI ---------------------------------------------------------------------------------------

def test_cli_add_list_remove_log(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["embed-origins", "add", SUWON + "/", "--note", "ticket 12"])
    assert r.exit_code == 0, r.output
    assert r.output == f"added {SUWON}: every server allows it within 5 seconds, no restart needed\n"
    assert _frame_ancestors(app.test_client()) == f"frame-ancestors 'self' {YONGIN} {SUWON}"
    lines = runner.invoke(args=["embed-origins", "list"]).output.splitlines()
    assert lines[0] == f"{YONGIN}  setting (EMBED_ALLOWED_ORIGINS)"
    assert lines[1].startswith(f"{SUWON}  database, added ") and lines[1].endswith("  ticket 12")
    r = runner.invoke(args=["embed-origins", "remove", SUWON])
    assert (r.exit_code, r.output) == (0, f"removed {SUWON}: every server refuses it within 5 seconds\n")
    log_lines = runner.invoke(args=["embed-origins", "log"]).output.splitlines()
    assert [line.split("  ")[1].strip() for line in log_lines] == ["remove", "add"]
    assert all(" by cli" in line for line in log_lines)


@pytest.mark.parametrize(("args", "message"), [
    (["add", "http://www.suwon.go.kr"], "Error: 'http://www.suwon.go.kr': http:// is allowed only"),
    (["add", "suwon.go.kr"], "Error: 'suwon.go.kr' is not an origin: it must start with https://"),
    (["remove", YONGIN], f"Error: {YONGIN} is not in the database list (it is in the "
                         "EMBED_ALLOWED_ORIGINS setting: remove it there and restart)"),
])
def test_cli_errors_are_readable(app, args, message):
    r = app.test_cli_runner().invoke(args=["embed-origins", *args])
    assert r.exit_code == 1
    assert r.output.startswith(message) and "Traceback" not in r.output
