"""Pages, place search and security headers, without a browser."""

from __future__ import annotations

import json

from app.i18n import LANGUAGES, catalogue


def test_catalogues_have_the_same_keys():
    keys = [set(catalogue(lang)) for lang in LANGUAGES]
    assert all(k == keys[0] for k in keys)


def test_places_understands_short_forms(client):
    for q in ("수원 영통", "수원시영통구", "영통구", "수원시 영통구"):
        first = client.get("/api/v1/places", query_string={"q": q}).json["results"][0]
        assert first["name"] == "경기도 수원시 영통구", q
    body = client.get("/api/v1/places", query_string={"q": "영통구 매탄동"}).json
    assert body["results"][0]["name"] == "경기도 수원시 영통구 매탄동"


def test_places_unknown_suggests(client):
    body = client.get("/api/v1/places", query_string={"q": "수원 영퉁"}).json
    assert body["results"] == []
    assert body["suggestions"] == ["경기도 수원시 영통구"]


def test_places_finds_facility_names(client):
    body = client.get("/api/v1/places", query_string={"q": "힐즈파크"}).json
    assert [r["name"] for r in body["results"] if r["type"] == "facility"] == \
        ["시립힐즈파크어린이집"]


def test_places_errors(client):
    r = client.get("/api/v1/places")
    assert r.status_code == 400 and r.json["error"]["field"] == "q"
    r = client.get("/api/v1/places", query_string={"q": "x" * 101})
    assert r.status_code == 400


def test_compact_listing_for_map_layers(demo_client):
    client = demo_client  # the demo's count of providers on the map
    body = client.get("/api/v1/facilities", query_string={
        "bbox": "126,36.8,128,38.4", "fields": "compact", "limit": "20000"}).json
    assert body["total"] == body["count"] == 10480  # open providers with a place on the map
    assert set(body["results"][0]) == {"id", "name", "kind", "lon", "lat"}
    r = client.get("/api/v1/facilities", query_string={"bbox": "126,36,128,38",
                                                       "limit": "20000"})
    # fields=full (the default) pages hold at most SEARCH_MAX_LIMIT: limit=20000 is
    # schema-valid, so it is answered with a full-size page and a next link, not a 400
    assert r.status_code == 200 and r.json["count"] == r.json["limit"] == 100
    assert r.json["next"].endswith("offset=100")


def test_security_headers(client):
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    embed = client.get("/embed")
    assert "frame-ancestors 'self'" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers


def test_page_config_cannot_close_its_script(app, tmp_path):
    from app.pages.site import _page_config

    with app.test_request_context("/?lang=en"):
        text = str(_page_config())
    assert "</" not in text
    assert json.loads(text)["lang"] == "en"


def test_offline_assets(client):
    page = client.get("/").get_data(as_text=True)
    assert "https://" not in page.split("page-config")[0]  # no CDN in the markup
    for url in ("/vendor/leaflet/leaflet.js", "/vendor/markercluster/leaflet.markercluster.js",
                "/geo/gyeonggi-sigungu.geojson"):
        with client.get(url) as r:
            assert r.status_code == 200, url


def test_embed_refuses_unknown_options(client):
    # a mistake is a 400 page naming it (tests/test_query_contract.py), and stays escaped
    r = client.get("/embed?region=99999&kind=<script>&height=abc")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "<script>" not in page and "region" in page and "99999" in page
    r = client.get("/embed?kind=<script>")
    assert r.status_code == 400 and "&lt;script&gt;" in r.get_data(as_text=True)


def test_logs_leave_out_where_families_live(app, caplog):
    import logging

    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now",
                    "GET /api/v1/facilities/nearest?lat=37.2636&lon=127.045&birth_date=2022-01-01"
                    " HTTP/1.1", "200", "-")
    text = caplog.text
    assert "37.2636" not in text and "2022-01-01" not in text
    assert "/api/v1/facilities/nearest?[redacted]" in text


def test_requests_without_a_session_cookie_sign_nothing(app, client, monkeypatch):
    # The search API's hot path must not pay for the planner's session signer.
    def refuse(*args):
        raise AssertionError("a signer was built for a request without a session cookie")

    monkeypatch.setattr(type(app.session_interface), "get_signing_serializer", refuse)
    assert client.get("/api/v1/facilities/nearest?lat=37.27&lon=127.03").status_code == 200


def test_builder_never_reflects_the_host_header(client):
    """The widget snippet's address comes from the browser's own origin, not the Host header
    (issue 12, item 8's kind: request data must not become links)."""
    page = client.get("/embed/builder", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page
    assert 'data-embed-url="/embed"' in page
