"""The lean WSGI path for searches (app.api.fast_path) answers exactly as the Flask routes do."""

from __future__ import annotations

from datetime import datetime

import pytest
from werkzeug.test import Client

from app.api import search as api
from app.api.fast_path import ROUTES, FastReads
from app.geo.korea import SEOUL

NOW = datetime(2026, 11, 24, 18, 30, tzinfo=SEOUL)  # a Tuesday evening
HOME = {"lat": "37.2636", "lon": "127.045"}
WORK = {"work_lat": "37.4017", "work_lon": "127.1087"}
ASK_GEOJSON = {"Accept": "application/geo+json"}

CASES = [  # (path, query, headers)
    ("nearest", HOME, {}),
    ("nearest", {**HOME, "limit": "3", "kind": "daycare,community_child_center"}, {}),
    ("nearest", {**HOME, "age_months": "48", "start": "2026-11-24T19:00",
                 "end": "2026-11-24T23:00", "available": "true"}, {}),
    ("nearest", {**HOME, **WORK, "mode": "either", "programme": "always_daycare"}, {}),
    ("nearest", {**HOME, **WORK, "mode": "commute", "radius_m": "3000"}, {}),
    ("nearest", {**HOME, "kind": "home_visit_provider"}, {}),
    ("nearest", {**HOME, "format": "geojson"}, {}),
    ("nearest", HOME, ASK_GEOJSON),
    ("nearest", HOME, {"Accept": "application/json, application/geo+json;q=0.5"}),
    ("within", {**HOME, "radius_m": "800"}, {}),
    ("within", {**HOME, "radius_m": "1500", "service": "night", "limit": "2"}, ASK_GEOJSON),
    ("nearest", {**HOME, "region": "41110", "limit": "20"}, {}),
    ("within", {**HOME, "radius_m": "2500", "region": "41117", "programme": "elementary_emergency",
                "age_months": "100"}, {}),
    ("nearest", {**HOME, "programme": "home_visit_emergency", "age_months": "30"}, {}),
    # errors: answered by Flask on both paths
    ("nearest", {"lat": "37.26"}, {}),
    ("nearest", {"lat": "127.045", "lon": "37.2636"}, {}),
    ("nearest", {**HOME, "lat": "nan"}, {}),
    ("nearest", {**HOME, "kind": "zoo"}, {}),
    ("nearest", {**HOME, "format": "xml"}, {}),
    ("within", HOME, {}),
    ("within", {**HOME, "radius_m": "1e9"}, {}),
    ("nearest", {**HOME, "programe": "always_daycare"}, {}),
    ("within", {**HOME, "radius_m": "800", "kinds": "daycare"}, {}),
    ("nearest", {**HOME, "start": "9999-12-31T00:00", "end": "9999-12-31T00:01"}, {}),
    ("within", {**HOME, "radius_m": "800", "start": "0001-01-01T00:00+09:00",
                "end": "0001-01-01T00:01+09:00"}, {}),
    ("nearest", {**HOME, "service": ","}, {}),
    ("nearest", {**HOME, "region": "41119"}, {}),
]


@pytest.fixture
def paths(demo_app, monkeypatch):
    """Clients for the fast path (the app as served) and for Flask alone, at a fixed time, over
    the session's demo app (its variety of providers gives every case an answer to compare)."""
    monkeypatch.setattr(api, "_now", lambda: NOW)
    assert isinstance(demo_app.wsgi_app, FastReads)
    return Client(demo_app), Client(demo_app.wsgi_app.flask_wsgi_app)


@pytest.mark.parametrize(("route", "query", "headers"), CASES)
def test_same_answer_as_flask(paths, route, query, headers):
    fast, flask_only = paths
    url = f"/api/v1/facilities/{route}"
    a = fast.get(url, query_string=query, headers=headers)
    b = flask_only.get(url, query_string=query, headers=headers)
    assert a.status_code == b.status_code
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    assert a.get_data() == b.get_data()


@pytest.mark.parametrize(("encoding", "expected"), [
    ("gzip", "gzip"), ("gzip, deflate, br, zstd", "br"), ("br;q=0.5, gzip", "gzip"),
    ("identity", None), ("", None)])
def test_compressed_like_flask(paths, encoding, expected):
    """Both paths compress a search answer alike: brotli when offered, else gzip; the same
    headers (Content-Encoding, Vary, Content-Length) and the same text once decoded."""
    import gzip

    import brotli

    decode = {"gzip": gzip.decompress, "br": brotli.decompress, None: lambda b: b}[expected]
    fast, flask_only = paths
    url = "/api/v1/facilities/nearest"
    a = fast.get(url, query_string=HOME, headers={"Accept-Encoding": encoding})
    b = flask_only.get(url, query_string=HOME, headers={"Accept-Encoding": encoding})
    assert a.status_code == b.status_code == 200
    assert a.headers.get("Content-Encoding") == expected
    # the same headers (a Date's second may differ: both have one when compressed)
    assert sorted((k, v) for k, v in a.headers.items() if k != "Date") \
        == sorted((k, v) for k, v in b.headers.items() if k != "Date")
    assert ("Date" in a.headers) == ("Date" in b.headers)
    assert "Accept-Encoding" in a.headers["Vary"]
    assert decode(a.get_data()) == decode(b.get_data())
    assert decode(a.get_data()).startswith(b'{"')


def test_only_plain_searches_skip_flask(app, monkeypatch):
    monkeypatch.setattr(api, "_now", lambda: NOW)
    fast = app.wsgi_app
    calls = []
    flask_wsgi_app = fast.flask_wsgi_app
    fast.flask_wsgi_app = lambda environ, start: calls.append(environ["PATH_INFO"]) or \
        flask_wsgi_app(environ, start)
    client = Client(app)
    assert client.get("/api/v1/facilities/nearest", query_string=HOME).status_code == 200
    assert client.get("/api/v1/facilities/within",
                      query_string={**HOME, "radius_m": "500"}).status_code == 200
    assert calls == []
    assert client.get("/api/v1/facilities/nearest", query_string={"lat": "x"}).status_code == 400
    assert client.head("/api/v1/facilities/nearest", query_string=HOME).status_code == 200
    assert client.get("/api/v1/facilities/nearest/", query_string=HOME).status_code == 404
    assert client.get("/api/v1/meta").status_code == 200
    assert calls == ["/api/v1/facilities/nearest"] * 2 + ["/api/v1/facilities/nearest/",
                     "/api/v1/meta"]


def test_no_request_hook_that_the_fast_path_would_skip(app):
    """The fast path sets the read API's headers itself and runs no Flask hooks. A hook added
    later (logging, metrics, headers) must be added to app.api.fast_path too, or its routes taken
    out of ROUTES; this test is here to make that a decision."""
    hooks = {name: {bp: [f.__qualname__ for f in funcs] for bp, funcs in table.items() if funcs}
             for name, table in (("before", app.before_request_funcs),
                                 ("after", app.after_request_funcs),
                                 ("teardown", app.teardown_request_funcs),
                                 ("url_value", app.url_value_preprocessors))}
    # People's sessions (app.pages.account_sessions) add three hooks the fast path may skip: the
    # two CSRF checks act on writes only (the fast path serves GETs), and write_cookie acts only
    # when a view read the session (the search never does) or marks answers to cookie-carrying
    # requests no-store — the search's answers hold nobody's data (its query is never cached
    # by person: it is the same answer for everyone). vary_by_language (app.i18n) marks HTML
    # pages only: the fast path's JSON is the same in every language.
    assert hooks == {"before": {None: ["CSRFProtect.init_app.<locals>.csrf_protect",
                                       "init_app.<locals>.protect_writes"]},
                     "teardown": {}, "url_value": {},
                     "after": {None: ["init_app.<locals>.headers", "Compress.after_request",
                                      "init_app.<locals>.vary_by_language", "init_app.<locals>.write_cookie"],
                               "api": ["allow_cross_origin_reads"]}}
    # Those leave the read API's answers as they are (they set the same headers), and the fast
    # path compresses as Flask-Compress does (test_compressed_like_flask).
    assert set(api.READ_HEADERS) >= {"Access-Control-Allow-Origin", "X-Content-Type-Options"}
    assert app.teardown_appcontext_funcs == []
    assert set(ROUTES) == {"/api/v1/facilities/nearest", "/api/v1/facilities/within"}
