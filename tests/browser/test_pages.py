"""The pages in a real browser (Debian's Chromium via Playwright) against the real server."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import EVIL_ID, EVIL_NAME

pytestmark = pytest.mark.browser


def wait_until(page, expression: str, timeout_s: float = 10.0):
    """Poll a JavaScript expression from Python: the page's CSP (rightly) forbids the eval
    that Playwright's wait_for_function needs."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)


def set_home_by_typing(page, text="수원 영통"):
    page.fill("#home-input", text)
    page.wait_for_selector("#home-suggestions li")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-list li")


def counts(page):
    return (page.locator("#result-list li").count(),
            page.locator(".result-pin").count())


def test_home_by_typing_filters_list_and_markers(page, live, artifacts):
    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    assert page.input_value("#home-input") == "경기도 수원시 영통구"
    n_list, n_markers = counts(page)
    assert n_list == 20 and n_markers == 20
    # An 8-year-old, 초등 긴급돌봄 only: every result is a centre in the programme.
    page.select_option("#what", "programme:elementary_emergency")
    page.fill("#age-years", "8")
    page.dispatch_event("#age-years", "change")
    wait_until(page, "document.querySelectorAll('#result-list .kind-daycare').length === 0")
    kinds = page.locator("#result-list li .kind").all_inner_texts()
    assert kinds and set(kinds) <= {"지역아동센터", "다함께돌봄센터"}
    n_list, n_markers = counts(page)
    assert n_list == n_markers
    # Tonight (19-23), only with a place: the demo's centres close at 22:00, so nothing is open
    # the whole evening; the page says so and offers the nearest centre without the time (it
    # used to show an empty list, and this test checked every item of it: none).
    page.check("input[name=when][value=tonight]")
    page.check("#available")
    box = page.locator("#results-empty")
    box.filter(has_text="이 시간 내내 여는 곳이 없습니다").wait_for()
    # (the answer of the search with "only with a place", not the one before it)
    wait_until(page, "[...document.querySelectorAll('#results-empty li.result .avail')]"
                     ".some((e) => e.textContent.startsWith('자리 있'))")
    assert page.locator("#result-list li").count() == 0
    offered = box.locator("li.result .avail").all_inner_texts()
    assert len(offered) == 1 and offered[0].startswith(("자리 있음", "자리 있었음"))
    assert box.locator("li.result .kind").inner_text() in {"지역아동센터", "다함께돌봄센터"}
    page.screenshot(path=str(artifacts / "desktop-filters.png"))
    assert page.errors == []


def test_work_by_clicking_the_map(page, live):
    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    page.check("input[name=click-target][value=work]")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.3)
    page.wait_for_selector(".anchor-work")
    wait_until(page, "document.querySelectorAll('path.leaflet-interactive').length >= 0")
    assert page.locator(".anchor-home").count() == 1
    # The home-work line is drawn, and results say which anchor they are near.
    wait_until(page, "document.body.dataset.results > 0")
    near = " ".join(page.locator("#result-list .near").all_inner_texts())
    assert "직장 근처" in near or "m" in near
    assert page.errors == []


def test_unknown_place_offers_closest(page, live):
    page.goto(live["app"] + "/")
    page.fill("#home-input", "수원 영퉁")
    page.keyboard.press("Enter")
    status = page.locator("#home-status")
    status.filter(has_text="찾을 수 없는").wait_for()
    suggestion = status.locator("button").first
    assert suggestion.inner_text() == "경기도 수원시 영통구"
    suggestion.click()
    page.wait_for_selector("#result-list li")


def test_switch_to_english_keeps_the_search(page, live):
    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#result-list li")
    assert page.input_value("#home-input") == "경기도 수원시 영통구"
    assert "min walk" in page.locator("#result-list li .near").first.inner_text()
    assert page.locator("label[for=home-input]").inner_text() == "Home location"


def test_open_a_provider(page, live):
    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    first = page.locator("#result-list li").first
    first.locator(".result-head").click()
    detail = first.locator(".detail-block")
    assert detail.is_visible()
    assert re.match(r"tel:[0-9+]+$", detail.locator("a[href^='tel:']").get_attribute("href"))
    directions = detail.locator("a[target=_blank]")
    assert directions.get_attribute("rel") == "noopener"
    # A marker opens a popup with the same provider.
    name = first.locator(".name").inner_text()
    page.wait_for_load_state("networkidle")  # under load a late answer could redraw the pins under the tap
    page.locator(".result-pin").first.click()
    page.wait_for_selector(".leaflet-popup-content")
    assert name in page.locator(".leaflet-popup-content").inner_text() or \
        page.locator(".leaflet-popup-content strong").count() == 1


def test_registry_text_is_escaped(page, live):
    page.goto(live["app"] + "/")
    set_home_by_typing(page, "영통구 매탄동")
    page.wait_for_selector(f"#result-list li[data-id='{EVIL_ID}']")
    item = page.locator(f"#result-list li[data-id='{EVIL_ID}']")
    assert item.locator(".name").inner_text() == EVIL_NAME
    assert item.locator("img, script, b").count() == 0
    item.locator(".result-head").click()
    assert "<script>" in item.locator(".address").inner_text()
    pin = page.locator(f".result-pin[data-id='{EVIL_ID}']")
    pin.hover()
    pin.click()
    page.wait_for_selector(".leaflet-popup-content")
    assert page.locator(".leaflet-popup-content img, .leaflet-tooltip img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None


def test_tiles_unavailable_still_shows_outlines(page, live):
    page.goto(live["app"] + "/")
    page.wait_for_selector("#tile-status:not([hidden])")
    wait_until(page, "document.querySelectorAll('.leaflet-overlay-pane path').length >= 44")


def test_show_all_providers_clustered(page, live):
    page.goto(live["app"] + "/")
    page.check("#show-all")
    wait_until(page, "Number(document.body.dataset.allLoaded || 0) > 5000")
    # Clusters, not ten thousand markers, in the page.
    assert page.locator(".marker-cluster").count() < 500


def test_phone_layout(browser, live, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="ko-KR")
    page = context.new_page()
    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    map_box = page.locator("#map").bounding_box()
    results_box = page.locator("#results").bounding_box()
    assert map_box["y"] < results_box["y"]  # map first, then the list
    page.screenshot(path=str(artifacts / "phone.png"), full_page=False)
    page.screenshot(path=str(artifacts / "phone-full.png"), full_page=True)
    context.close()


def test_accessibility_no_serious_violations(page, live):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(live["app"] + "/")
    set_home_by_typing(page)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]


def test_list_works_by_keyboard(page, live):
    page.goto(live["app"] + "/")
    page.focus("#home-input")
    page.keyboard.type("수원 영통")
    page.wait_for_selector("#home-suggestions li")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-list li")
    page.focus("#result-list li .result-head")
    page.keyboard.press("Enter")
    assert page.locator("#result-list li").first.locator(".detail-block").is_visible()
    focused = page.evaluate("document.activeElement.className")
    assert "result-head" in focused


def test_programmes_page(page, live):
    page.goto(live["app"] + "/programmes")
    text = page.locator("main").inner_text()
    for name in ("초등 시설형 긴급돌봄", "언제나 어린이집", "방문형 긴급돌봄", "010-9979-7722"):
        assert name in text
    page.goto(live["app"] + "/programmes?lang=en")
    assert "Who" in page.locator("main").inner_text()


def test_widget_embedded_from_allowed_origin(page, live, artifacts):
    page.goto(live["allowed_host"])
    frame = page.frame_locator("#w")
    frame.locator("#map .leaflet-overlay-pane path").first.wait_for()
    frame.locator("#home-input").fill("수원 영통")
    frame.locator("#home-suggestions li").first.wait_for()
    frame.locator("#home-input").press("Enter")
    frame.locator("#result-list li").first.wait_for()
    # Links leaving the widget open in a new tab.
    hrefs = frame.locator("a[href]:not([href^='tel:']):not([href='#'])")
    for i in range(hrefs.count()):
        assert hrefs.nth(i).get_attribute("target") == "_blank"
    # Scrolling over the widget scrolls the page, not the map.
    zoom_before = page.frames[1].evaluate("window.dolbom.map.getZoom()")
    page.mouse.move(400, 500)
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(400)
    assert page.evaluate("window.scrollY") > 0
    assert page.frames[1].evaluate("window.dolbom.map.getZoom()") == zoom_before
    page.screenshot(path=str(artifacts / "widget-in-host.png"))


def test_widget_refused_from_other_origin(page, live):
    page.goto(live["refused_host"])
    page.wait_for_timeout(1500)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.locator("#map").count() == 0


def test_widget_builder_preview_and_snippet(page, live):
    page.goto(live["app"] + "/embed/builder")
    page.select_option("select[name=region]", "41110")
    page.select_option("select[name=what]", "programme:elementary_emergency")
    snippet = page.input_value("#snippet")
    assert "region=41110" in snippet and "programme=elementary_emergency" in snippet
    assert snippet.startswith("<iframe")
    page.frame_locator("#preview").locator("#map").wait_for()


def test_other_pages_refuse_framing(page, live):
    response = page.goto(live["app"] + "/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    embed = page.goto(live["app"] + "/embed")
    assert "frame-ancestors 'self' http://localhost:" in \
        embed.headers["content-security-policy"]


def test_home_from_browser_location(browser, live):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR",
                                  geolocation={"latitude": 37.2636, "longitude": 127.045},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.goto(live["app"] + "/")
    page.click("#locate-btn")
    page.wait_for_selector("#result-list li")
    assert page.locator(".anchor-home").count() == 1
    context.close()


def test_provider_updates_places_on_a_phone(browser, live):
    from app.extensions.db import get_engine
    from app.live import tokens

    app = live["flask_app"]
    with app.app_context():
        token = tokens.issue(get_engine(), "provider", "demo-dc-00010")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  locale="ko-KR")
    page = context.new_page()
    page.goto(live["app"] + "/provider")
    page.fill("#token", "dlb_wrong_token")
    page.click("#token-form button[type=submit]")
    page.locator("#token-status").filter(has_text="올바르지 않습니다").wait_for()
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#report-form:not([hidden])")
    page.fill("input[name=regular]", "7")
    page.click("#report-form button[type=submit]")
    page.locator("#save-status").filter(has_text="버전 1").wait_for()
    # Someone else changes it meanwhile: the next save is refused and the page reloads values.
    from tests.live.servers import request

    request("PUT", live["app"] + "/api/v1/providers/demo-dc-00010/availability",
            {"version": 1, "vacancies": {"regular": 2}}, token)
    page.fill("input[name=regular]", "9")
    page.click("#report-form button[type=submit]")
    page.locator("#save-status").filter(has_text="다른 곳에서").wait_for()
    assert page.input_value("input[name=regular]") == "2"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    # The parents' search shows the reported figure at once.
    _, one = request("GET", live["app"] + "/api/v1/facilities/demo-dc-00010")
    f = one["result"]
    _, near = request("GET", f"{live['app']}/api/v1/facilities/nearest?lat={f['lat']}"
                      f"&lon={f['lon']}&kind=daycare&limit=5")
    hit = next(h for h in near["results"] if h["facility"]["id"] == "demo-dc-00010")
    assert (hit["availability"]["status"], hit["availability"]["places"]) == ("available", 2)
