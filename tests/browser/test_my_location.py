"""Issue 14, "location allowed: the home field shows the place, not the button's label": after
내 위치 사용 the home field names the 읍면동 and 시군구 of the browser's location (English names on
the English page), a note says the location is near it, and the search keeps the exact point;
"현재 위치" only when the place cannot be named (at sea, or the lookup fails).

Places checked by hand on a map: (37.2636, 127.0450) lies in 매탄동, 수원시 영통구 (HOME of
tests/tiny_registry.py); (37.2636, 127.0286), near 수원시청, in 인계동, 수원시 팔달구; (36.0, 125.0)
is the open Yellow Sea."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Request

from .conftest import Page

pytestmark = pytest.mark.browser

MAETAN = (37.2636, 127.0450)
INGYE = (37.2636, 127.0286)
SEA = (36.0, 125.0)


def locate(browser: Browser, live: dict[str, Any], where: tuple[float, float], lang: str = "ko",
           block_lookup: bool = False) -> tuple[BrowserContext, Page, list[tuple[float, float]]]:
    """A phone whose browser gives ``where`` (lat, lon); the map page in ``lang`` after
    내 위치 사용 and its first results. Returns (context, page, the searches' (lat, lon))."""
    # A phone (tests/browser/test_speed.py's PHONE) in the page's language.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="ko-KR" if lang == "ko" else "en-US",
                                  geolocation={"latitude": where[0], "longitude": where[1]},
                                  permissions=["geolocation"])
    page = Page(context.new_page(), live["tiles"])
    if block_lookup:
        page.route("**/api/v1/places/at?*", lambda route: route.abort())
    searched: list[tuple[float, float]] = []

    def record(request: Request) -> None:
        url = urlsplit(request.url)
        if url.path == "/api/v1/facilities/nearest":
            q = parse_qs(url.query)
            searched.append((float(q["lat"][0]), float(q["lon"][0])))

    page.on("request", record)
    page.goto(f"{live['app']}/?lang={lang}")
    # The page's own start-up requests (the 시군구 outlines) done first: under load, one that ended
    # after the tap set the filters again and searched a second time from the same point.
    page.wait_for_load_state("networkidle")
    page.click("#locate-btn")
    page.wait_for_selector("#result-list li")
    return context, page, searched


def unexpected(page: Page) -> list[str]:
    """Script errors besides the browser's own line for an answer it was told to fail."""
    return [e for e in page.errors if "status of 404" not in e and "ERR_FAILED" not in e]


@pytest.mark.parametrize(("where", "name"), [(MAETAN, "수원시 영통구 매탄동"),
                                             (INGYE, "수원시 팔달구 인계동")])
def test_the_home_field_names_the_place_in_korean(browser: Browser, live: dict[str, Any],
                                                  where: tuple[float, float], name: str) -> None:
    context, page, searched = locate(browser, live, where)
    assert page.input_value("#home-input") == name
    assert page.locator("#home-status").inner_text() == \
        f"현재 위치는 {name} 근처입니다. 검색은 기기가 알려 준 정확한 위치에서 합니다."
    # The search is from the exact point, not from the 동's centre; 찾기 keeps it.
    assert searched == [where]
    page.evaluate("document.getElementById('search-form').requestSubmit()")
    for _ in range(100):  # the submit's search
        if len(searched) > 1:
            break
        page.wait_for_timeout(50)
    assert searched == [where, where]
    assert page.input_value("#home-input") == name
    assert unexpected(page) == []
    context.close()


def test_the_home_field_names_the_place_in_english(browser: Browser, live: dict[str, Any]) -> None:
    context, page, searched = locate(browser, live, MAETAN, lang="en")
    assert page.input_value("#home-input") == "Maetan-dong, Yeongtong-gu, Suwon-si"
    assert page.locator("#home-status").inner_text() == ("Your location is near Maetan-dong, "
                                                         "Yeongtong-gu, Suwon-si. The search uses "
                                                         "the exact location your device gave.")
    assert searched == [MAETAN]
    assert unexpected(page) == []
    context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_at_sea_the_field_falls_back_to_my_location(browser: Browser, live: dict[str, Any],
                                                    lang: str) -> None:
    context, page, searched = locate(browser, live, SEA, lang=lang)
    assert page.input_value("#home-input") == ("현재 위치" if lang == "ko" else "My location")
    assert page.locator("#home-status").inner_text() == ""
    assert searched == [SEA]
    assert unexpected(page) == []
    context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_failed_lookup_falls_back_to_my_location(browser: Browser, live: dict[str, Any],
                                                   lang: str) -> None:
    context, page, searched = locate(browser, live, MAETAN, lang=lang, block_lookup=True)
    assert page.input_value("#home-input") == ("현재 위치" if lang == "ko" else "My location")
    assert searched == [MAETAN]
    assert unexpected(page) == []
    context.close()
