"""Why an origin was refused, in the page's language (error.reason): a city that types
http://www.suwon.go.kr on the Korean builder is told that its site must use
https://www.suwon.go.kr, not only what an origin looks like; the admin page says the same."""

from __future__ import annotations

import json

import pytest

from app.extensions.db import get_engine
from app.live import tokens

pytestmark = pytest.mark.browser

GENERIC_KO = "사이트 주소는 https://호스트[:포트] 형식입니다"
HTTP_KO = ("http://는 테스트용(localhost, 127.0.0.1, [::1])으로만 쓸 수 있습니다. "
           "시·군 사이트는 https를 써야 합니다: https://www.suwon.go.kr")
PATH_KO = ("사이트 주소(origin)에는 경로·물음표(?)·# 뒤 내용이 없습니다. "
           "이렇게 입력해 보세요: https://www.suwon.go.kr")


def _builder(page, url: str) -> None:
    """Open the builder and let its preview finish loading."""
    page.goto(url)
    page.frame_locator("#preview").locator("#map .leaflet-overlay-pane path").first.wait_for()


def _answer(page, origin: str) -> str:
    """The builder's check result for ``origin``, once it is there."""
    page.fill("#origin", origin)
    page.click("#origin-form button[type=submit]")
    out = page.locator("#origin-result")
    page.wait_for_function("() => { const o = document.getElementById('origin-result');"
                           " return o.classList.contains('origin-no') || o.classList.contains('origin-ok'); }")
    return out.inner_text()


def test_the_korean_builder_says_why_an_origin_is_refused(page, live):
    _builder(page, live["app"] + "/embed/builder")
    text = _answer(page, "http://www.suwon.go.kr")
    assert text == HTTP_KO
    text = _answer(page, "https://www.suwon.go.kr/path")
    assert text == PATH_KO
    # A page address on http with a path: the origin to type is the https one.
    assert _answer(page, "http://www.suwon.go.kr/childcare/index.html") == PATH_KO
    assert _answer(page, "ftp://www.suwon.go.kr") == (
        "사이트 주소는 https://로 시작해야 합니다. 다른 방식(ftp:// 등)은 쓸 수 없고, "
        "http://는 localhost에서만 쓸 수 있습니다.")
    assert _answer(page, "https://www.suwon.go.kr:99999") == (
        "포트는 1부터 65535까지의 숫자여야 합니다 (예: https://www.suwon.go.kr:8443).")
    assert _answer(page, "") == (
        "사이트 주소를 입력하세요. 형식은 https://호스트[:포트]입니다 (예: https://www.suwon.go.kr).")
    # Without a scheme: what an origin starts with, and the origin to try.
    assert [line for line in _answer(page, "www.suwon.go.kr").splitlines() if line] == [
        "사이트 주소는 https://로 시작해야 합니다 (예: https://www.suwon.go.kr).",
        "이렇게 입력해 보세요: https://www.suwon.go.kr"]
    # A wildcard is for the operator's list; no percent-encoded "origin" is suggested.
    text = _answer(page, "https://*.suwon.go.kr")
    assert text.startswith("와일드카드(*.)는 운영자의 허용 목록") and "%2A" not in text
    assert [e for e in page.errors if "status of 400" not in e] == []


def test_the_english_builder_says_it_in_english(page, live):
    _builder(page, live["app"] + "/embed/builder?lang=en")
    assert _answer(page, "https://www.suwon.go.kr/path") == (
        "An origin has no path, query or fragment; type: https://www.suwon.go.kr")
    assert _answer(page, "http://www.suwon.go.kr") == (
        "http:// is allowed only for localhost, 127.0.0.1 or [::1] (testing); a city's site must "
        "use https://www.suwon.go.kr")


def test_a_reason_the_page_does_not_know_falls_back_to_the_generic_text(page, live):
    body = {"error": {"code": "invalid_parameter", "message": "origin: something new",
                      "field": "origin", "reason": "something_new"}}
    page.route("**/api/v1/embed/origins/check*", lambda route: route.fulfill(
        status=400, content_type="application/json", body=json.dumps(body)))
    _builder(page, live["app"] + "/embed/builder")
    assert _answer(page, "https://www.suwon.go.kr") == (
        "사이트 주소는 https://호스트[:포트] 형식입니다 (예: https://www.suwon.go.kr). 경로·물음표 뒤 "
        "내용 없이 쓰고, http://는 localhost에서만 쓸 수 있습니다.")


def test_the_admin_page_says_why_it_refused_an_origin(page, live):
    with live["flask_app"].app_context():
        token = tokens.issue(get_engine(), "admin", label="browser test")
    page.goto(live["app"] + "/admin/embed-origins")
    page.fill("#admin-token", token)
    status = page.locator("#embed-status")
    for typed, expected in [("http://www.suwon.go.kr", HTTP_KO),
                            ("https://www.suwon.go.kr/path?x=1", PATH_KO)]:
        page.evaluate("() => { document.getElementById('embed-status').textContent = ''; }")
        page.fill("#add-origin", typed)
        page.click("#add-form button[type=submit]")
        status.filter(has_text="://").wait_for(timeout=10_000)
        assert status.inner_text() == expected
    assert GENERIC_KO not in status.inner_text()
