"""The widget out of the box, in Debian's Chromium (issue 14): the builder checks the city's site
and says exactly how an operator allows it; the operator allows it on the admin page and the
city's page shows the widget — no restart — and refuses it again once removed."""

from __future__ import annotations

import re

import pytest

from app.extensions.db import get_engine
from app.korean import particle
from app.live import embed_origins, tokens

from .conftest import _host_page_server, free_port

pytestmark = pytest.mark.browser


def _result(page, text: str):
    """The builder's check result once it holds ``text``."""
    found = page.locator("#origin-result").filter(has_text=text)
    found.wait_for(timeout=10_000)
    return found


def _builder(page, url: str) -> None:
    """Open the builder and let its preview finish loading (leaving mid-load aborts the
    preview's script downloads)."""
    page.goto(url)
    page.frame_locator("#preview").locator("#map .leaflet-overlay-pane path").first.wait_for()


def _check(page, origin: str) -> None:
    page.fill("#origin", origin)
    page.click("#origin-form button[type=submit]")


def test_builder_says_whether_a_site_may_embed_and_how_to_allow_it(page, live, artifacts):
    allowed = live["allowed_host"].rstrip("/")
    refused = live["refused_host"].rstrip("/")
    _builder(page, live["app"] + "/embed/builder")
    # A page address with a path: why it is refused, and the origin of what was typed.
    _check(page, refused + "/childcare/index.html")
    _result(page, "사이트 주소(origin)에는 경로·물음표(?)·# 뒤 내용이 없습니다.")
    _result(page, f"이렇게 입력해 보세요: {refused}")
    # Not allowed: said, with the admin page, the command and the setting's exact value.
    _check(page, refused)
    result = _result(page, f"{refused}{particle(refused, '은(는)')} 아직 허용되지 않았습니다")
    codes = result.locator("code").all_inner_texts()
    assert codes == [f"flask embed-origins add {refused}",
                     f"DOLBOM_EMBED_ALLOWED_ORIGINS={allowed},{refused}"]
    link = result.locator("a")
    assert link.get_attribute("href") == f"/admin/embed-origins?origin={refused}"
    assert "5초 안에" in result.inner_text()
    page.screenshot(path=str(artifacts / "builder-origin-refused.png"), full_page=True)
    # Allowed by the setting.
    _check(page, allowed + "/")
    _result(page, f"{allowed}에서 위젯을 쓸 수 있습니다: 서버 설정 EMBED_ALLOWED_ORIGINS로 허용됨")
    # English: the server's own words for a malformed origin.
    _builder(page, live["app"] + "/embed/builder?lang=en")
    _check(page, "http://www.suwon.go.kr")
    _result(page, "http:// is allowed only for localhost, 127.0.0.1 or [::1] (testing); a city's "
                  "site must use https://www.suwon.go.kr")
    # The browser logs the refused checks itself (400); nothing else went wrong.
    assert [e for e in page.errors if "status of 400" not in e] == []


def test_operator_allows_a_city_on_the_admin_page_without_restart(page, live, artifacts):
    port = free_port()
    city = f"http://127.0.0.1:{port}"
    server = _host_page_server(port, live["app"])
    app = live["flask_app"]
    with app.app_context():
        token = tokens.issue(get_engine(), "admin", label="browser test")
    try:
        # Before: the city's page shows a refused frame.
        page.goto(city + "/")
        page.wait_for_timeout(1500)
        frame = next(f for f in page.frames if f != page.main_frame)
        assert frame.locator("#map").count() == 0
        # The builder's link opens the admin page with the origin filled in.
        _builder(page, live["app"] + "/embed/builder")
        _check(page, city)
        _result(page, "아직 허용되지 않았습니다").locator("a").click()
        page.wait_for_url(re.compile(r"/admin/embed-origins\?origin=http"))
        assert page.input_value("#add-origin") == city
        page.fill("#admin-token", token)
        page.click("#add-form button[type=submit]")
        page.locator("#embed-status").filter(has_text=f"{city}{particle(city, '을(를)')} 추가했습니다").wait_for()
        assert city in page.locator("#stored").inner_text()
        page.screenshot(path=str(artifacts / "admin-embed-origins.png"), full_page=True)
        # After: the same server, not restarted, lets the city's page show the widget.
        page.goto(city + "/")
        page.frame_locator("#w").locator("#map .leaflet-overlay-pane path").first.wait_for()
        _builder(page, live["app"] + "/embed/builder")
        _check(page, city)
        _result(page, f"{city}에서 위젯을 쓸 수 있습니다: 운영자의 허용 목록에 있음")
        # Removed on the admin page: refused again.
        page.goto(live["app"] + "/admin/embed-origins")
        page.fill("#admin-token", token)
        page.click("#token-form button[type=submit]")
        page.get_by_role("button", name=f"삭제 {city}").click()
        page.locator("#embed-status").filter(has_text=f"{city}{particle(city, '을(를)')} 삭제했습니다").wait_for()
        page.goto(city + "/")
        page.wait_for_timeout(1500)
        frame = next(f for f in page.frames if f != page.main_frame)
        assert frame.locator("#map").count() == 0
    finally:
        with app.app_context():
            embed_origins.remove(get_engine(), city, "cli:test-cleanup")
        server.stop()


def test_the_admin_page_uses_the_planner_session(page, live, artifacts):
    """/admin/embed-origins asked for the admin token again although the browser was signed in
    to the planner (the admin report did not). Signed in, the lists show at once, no token field,
    and adding and removing work on the session; signed out, the token is asked for."""
    city = "https://session-test.example.kr"
    app = live["flask_app"]
    with app.app_context():
        token = tokens.issue(get_engine(), "admin", label="browser test")
    try:
        page.goto(live["app"] + "/admin/embed-origins")
        page.wait_for_load_state("networkidle")
        assert page.locator("#admin-token").is_visible()
        assert page.locator("#lists").is_hidden()
        r = page.request.get(live["app"] + "/planner/embed-origins")
        assert r.status == 401 and r.json()["error"]["field"] == "session"

        page.goto(live["app"] + "/planner?lang=ko")
        page.fill("input[name=token]", token)
        page.click("#planner-login button[type=submit]", no_wait_after=True)
        page.wait_for_selector("#planner-query", timeout=60_000)
        page.goto(live["app"] + "/admin/embed-origins")
        page.locator("#lists").wait_for(timeout=10_000)
        assert not page.locator("#admin-token").is_visible()
        assert "관리자 세션" in page.locator("#embed-status").inner_text()
        page.fill("#add-origin", city)
        page.click("#add-form button[type=submit]")
        page.locator("#embed-status").filter(has_text=f"{city}{particle(city, '을(를)')} 추가했습니다").wait_for()
        stored = page.locator("#stored li", has_text=city).inner_text()
        assert "token:" in stored  # recorded as the session's admin token
        page.screenshot(path=str(artifacts / "admin-embed-origins-session.png"), full_page=True)
        # a change from another site's page is refused, even with the session's cookie
        r = page.request.delete(live["app"] + "/planner/embed-origins?origin=" + city,
                                headers={"Origin": "https://evil.example"})
        assert r.status == 403 and r.json()["error"]["field"] == "Origin"
        page.get_by_role("button", name=f"삭제 {city}").click()
        page.locator("#embed-status").filter(has_text=f"{city}{particle(city, '을(를)')} 삭제했습니다").wait_for()
        assert city not in page.locator("#stored").inner_text()
        assert page.errors == []
    finally:
        with app.app_context():
            embed_origins.remove(get_engine(), city, "cli:test-cleanup")
