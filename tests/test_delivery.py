"""How pages travel (issue 14, page speed): compressed text, versioned files cached for a year,
deferred scripts, a meta description on every page, /docs/api light (app/assets.py)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

from app.assets import LONG_CACHE, folder_hash

PAGES = ["/", "/embed", "/embed/builder", "/programmes", "/provider", "/docs/api",
         "/admin/report", "/planner"]


def page_text(client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, path
    return r.get_data(as_text=True)


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:static|vendor|docs/api/assets)/[^"]+)"', html)


@pytest.mark.parametrize(("encoding", "name", "decode"), [
    ("gzip", "gzip", gzip.decompress), ("br", "br", brotli.decompress),
    ("gzip, deflate, br, zstd", "br", brotli.decompress)])
def test_page_and_script_compressed(client, encoding, name, decode):
    """/ and a page script are sent compressed as the browser asks (brotli preferred), and
    decode to exactly what an uncompressing client gets."""
    plain_page = client.get("/")
    assert "Content-Encoding" not in plain_page.headers
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == name
    assert "Accept-Encoding" in page.headers["Vary"]
    assert decode(page.get_data()) == plain_page.get_data()
    assert int(page.headers["Content-Length"]) == len(page.get_data()) < len(plain_page.get_data()) / 2
    script = next(u for u in asset_urls(plain_page.get_data(as_text=True))
                  if u.endswith("js/map/main.js"))
    with client.get(script) as plain, \
            client.get(script, headers={"Accept-Encoding": encoding}) as packed:
        assert packed.headers["Content-Encoding"] == name
        assert packed.mimetype == "text/javascript"
        assert decode(packed.get_data()) == plain.get_data()
        assert b"import " in plain.get_data()


@pytest.mark.parametrize("path", ["/static/app.css", "/vendor/leaflet/leaflet.js",
                                  "/geo/gyeonggi-sigungu.geojson", "/api/v1/openapi.json",
                                  "/docs/api/assets/swagger-ui.css"])
def test_text_files_compressed(client, path):
    with client.get(path, headers={"Accept-Encoding": "gzip"}) as r, client.get(path) as plain:
        assert r.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(r.get_data()) == plain.get_data()


def test_small_and_binary_answers_left_alone(client):
    # under 500 bytes (the favicon), an image, and a client that wants no compression
    for path, headers in (("/static/favicon.svg", {"Accept-Encoding": "gzip"}),
                          ("/vendor/leaflet/images/marker-icon.png", {"Accept-Encoding": "gzip"}),
                          ("/", {"Accept-Encoding": "identity"})):
        with client.get(path, headers=headers) as r:
            assert r.status_code == 200 and "Content-Encoding" not in r.headers, path


def test_compressed_file_revalidates(client):
    """A compressed file's ETag names its encoding, and asking again with it gives a 304."""
    with client.get("/static/app.css", headers={"Accept-Encoding": "br"}) as r:
        etag = r.headers["ETag"]
    assert etag.endswith(':br"')
    with client.get("/static/app.css", headers={"Accept-Encoding": "br",
                                                "If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_assets_versioned_and_cached_long(client, app):
    """Every file a page links is under its folder's content hash and cached for a year;
    the plain URL keeps the short cache it had; an old hash is not cached long."""
    html = page_text(client, "/")
    urls = asset_urls(html)
    static_version = folder_hash(Path(app.static_folder))
    assert f"/static/v/{static_version}/app.css" in urls
    assert f"/static/v/{static_version}/js/map/main.js" in urls
    assert any(re.fullmatch(r"/vendor/leaflet/v/[0-9a-f]{12}/leaflet\.js", u) for u in urls)
    assert any(re.fullmatch(r"/vendor/markercluster/v/[0-9a-f]{12}/leaflet\.markercluster\.js", u)
               for u in urls)
    docs_urls = re.findall(r'"(/docs/api/assets/[^"]+)"', page_text(client, "/docs/api"))
    assert docs_urls and all(re.match(r"/docs/api/assets/v/[0-9a-f]{12}/", u) for u in docs_urls)
    # the page script's own imports (./api.js, ../common.js) resolve under the same version
    for url in [*urls, *docs_urls, f"/static/v/{static_version}/js/common.js",
                f"/static/v/{static_version}/js/map/api.js"]:
        with client.get(url) as r:
            assert r.status_code == 200, url
            assert r.headers["Cache-Control"] == LONG_CACHE, url
    for url, short in (("/static/app.css", "no-cache"),
                       ("/static/v/000000000000/app.css", "no-cache"),
                       ("/vendor/leaflet/leaflet.js", "public, max-age=86400"),
                       ("/vendor/leaflet/v/000000000000/leaflet.js", "public, max-age=86400"),
                       ("/docs/api/assets/swagger-ui.css", "public, max-age=86400")):
        with client.get(url) as r:
            assert r.status_code == 200 and r.headers["Cache-Control"] == short, url
    assert client.get("/vendor/nope/v/000000000000/x.js").status_code == 404


def test_folder_hash_follows_content(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    first = folder_hash(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{12}", first) and folder_hash(tmp_path) == first
    (tmp_path / "js" / "a.js").write_text("export const a = 2;\n")
    assert folder_hash(tmp_path) != first
    (tmp_path / "js" / "a.js").rename(tmp_path / "js" / "b.js")
    assert folder_hash(tmp_path) not in (first,)


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_classic_scripts_deferred(client, path):
    """No script blocks the first paint: Leaflet is deferred (it still runs before the page's
    module script, which is deferred by being a module); the clustering plugin is only for
    "all providers" (not on the widget): inert in a <template> until that is ticked."""
    html = page_text(client, path)
    inert = re.findall(r'<template id="cluster-assets">(.*?)</template>', html, re.S)
    assert len(inert) == (1 if path == "/" else 0)
    assert all("leaflet.markercluster.js" in t and "MarkerCluster.css" in t for t in inert)
    live = re.sub(r"<template\b.*?</template>", "", html, flags=re.S)
    scripts = re.findall(r"<script\b[^>]*>", live)
    classic = [s for s in scripts if "src=" in s and 'type="module"' not in s]
    assert len(classic) == 1 and "leaflet.js" in classic[0]
    assert all(" defer" in s for s in classic), classic
    assert [s for s in scripts if 'type="module"' in s]
    assert "<script" not in html.split("</head>")[0]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_has_a_meta_description(client, lang):
    seen = set()
    for path in PAGES:
        html = page_text(client, f"{path}?lang={lang}")
        found = re.findall(r'<meta name="description" content="([^"]{40,300})">', html)
        assert len(found) == 1, path
        assert bool(re.search("[가-힣]{2}", found[0].replace("언제나돌봄", ""))) == (lang == "ko"), \
            (path, found)
        seen.add(found[0])
        assert re.search(r'<link rel="icon" href="/static/v/[0-9a-f]{12}/favicon\.svg"', html), path
    assert len(seen) >= 7  # each page says what it is


def test_phone_criteria_sent_folded(client):
    html = page_text(client, "/")
    assert re.search(r'<details id="criteria" class="criteria">', html)


def test_api_docs_lists_operations_without_swagger(client):
    """/docs/api is light: the operations from the OpenAPI document, and Swagger UI's files
    only as the button's data (loaded by the page script when asked for)."""
    html = page_text(client, "/docs/api?lang=en")
    assert "<script src=" not in html and "swagger-ui.css\" rel" not in html
    assert not re.search(r'<link[^>]+swagger-ui', html)
    assert re.search(r'data-js="/docs/api/assets/v/[0-9a-f]{12}/swagger-ui-bundle\.js"', html)
    spec = client.get("/api/v1/openapi.json").get_json()
    count = sum(len(methods) for methods in spec["paths"].values())
    assert html.count('<details class="operation"') == count
    assert ">GET</span>\n        <code class=\"path\">/api/v1/facilities/nearest</code>" in html
    assert "<main" in html and "<h1>" in html


def test_a_static_file_is_closed_as_soon_as_it_is_read(app):
    # A browser that hangs up mid-answer can leave the answer unclosed: the file must not stay
    # open until it is collected (a ResourceWarning, made an error by the test settings).
    import gc

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(path="/static/favicon.svg").get_environ()
    app_iter, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=False)
    assert status.startswith("200")
    del app_iter  # never closed, as when the client went away
    gc.collect()
