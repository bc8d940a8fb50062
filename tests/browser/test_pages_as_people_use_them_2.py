"""Issue 14, "Pages as people use them", the second tester's findings in a real browser: an
abolished 화성 area is never offered as current, a road-name address without its area says
what to add, a future birth date and a hand-edited planner link say what is wrong in the
page's language, a 300-character site address neither widens the builder nor gets an invalid
suggestion, and an unknown page is the site's own, in Korean or English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from .test_planner import admin_token, sign_in  # noqa: F401 (admin_token: a fixture)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_an_abolished_area_is_not_offered_as_current(page, live):
    page.goto(f"{live['app']}/?lang=ko")
    page.fill("#home-input", "동탄")
    page.locator("#home-suggestions li", has_text="동탄구").first.wait_for()
    offered = page.locator("#home-suggestions li").all_inner_texts()
    assert not any("동탄면" in o for o in offered), offered  # 폐지 in the 2026 법정동코드 list
    page.fill("#home-input", "화성시 남양동")
    page.keyboard.press("Enter")
    page.locator("#home-status", has_text="남양동 (화성시)은 폐지된 법정동입니다").wait_for()
    assert page.errors == []


@pytest.mark.parametrize("lang, expected", [
    ("ko", "도로명 주소는 시군구나 동과 함께 입력해 주세요: 예) 분당구 판교역로 235"),
    ("en", "Type a road-name address with its city or district (시군구) or dong"),
])
def test_a_road_address_without_its_area_says_what_to_add(page, live, lang, expected):
    page.goto(f"{live['app']}/?lang={lang}")
    page.fill("#home-input", "판교역로 235")
    page.keyboard.press("Enter")
    status = page.locator("#home-status")
    status.filter(has_text=expected).wait_for()
    assert "찾을 수 없는" not in status.inner_text() and "No place" not in status.inner_text()
    assert page.errors == []


@pytest.mark.parametrize("lang, expected", [
    ("ko", "생년월일이 미래 날짜입니다: 돌봄이 필요한 날보다 뒤입니다."),
    ("en", "The birth date is in the future: it is after the day care is needed."),
])
def test_a_future_birth_date_is_said_in_the_pages_language(page, live, lang, expected):
    page.goto("about:blank")
    page.goto(f"{live['app']}/?lang={lang}#home=37.2636|127.0286|home")
    page.wait_for_selector("#result-list li")
    page.fill("#birth-date", (date.today() + timedelta(days=400)).isoformat())
    page.locator("#birth-date").dispatch_event("change")
    page.locator("#results-status", has_text=expected).wait_for()
    assert "birth_date" not in page.locator("#results-status").inner_text()
    assert [e for e in page.errors if "status of 400" not in e] == []  # the API's refusal


@pytest.mark.parametrize("lang, query, expected", [
    ("ko", "service=bogus", ["링크의 service=bogus는 쓸 수 없는 값입니다", "daycare (어린이집"]),
    ("en", "service=bogus", ["The link's service=bogus is not a value", "daycare (Daycare"]),
    ("ko", "service=daycare&area=99999", ["링크의 area=99999: 그런 지역이 없습니다", "41111"]),
    ("en", "service=daycare&area=99999", ["No area 99999: use a Gyeonggi city or district (시군구) code", "41111"]),
])
def test_a_hand_edited_planner_link_says_what_is_wrong(page, live, admin_token,  # noqa: F811
                                                       lang, query, expected):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang={lang}&period=day&level=sigungu&{query}")
    error = page.locator("#planner-error")
    error.filter(has_text=expected[0]).wait_for(timeout=120_000)
    text = error.inner_text()
    assert all(e in text for e in expected), text
    assert "must be one of" not in text and "GET /api" not in text and "입력값을 확인" not in text


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_very_long_site_address_wraps_and_gets_no_invalid_suggestion(browser, live, lang):
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{live['app']}/embed/builder?lang={lang}")
    page.fill("#origin", "x" * 300)
    page.locator("#origin-form button[type=submit]").click()
    result = page.locator("#origin-result")
    result.filter(has_text="63").wait_for()
    assert "x" * 64 not in result.inner_text()  # no suggested origin with a 300-letter name
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # the check button stays clickable (nothing covers it)
    page.locator("#origin-form button[type=submit]").click(trial=True, timeout=5000)
    context.close()


@pytest.mark.parametrize("lang, title, home", [
    ("ko", "페이지를 찾을 수 없습니다", "돌봄지도 첫 화면으로"),
    ("en", "Page not found", "Go to the Dolbom Map home page"),
])
def test_an_unknown_page_is_the_sites_own(browser, live, lang, title, home):
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    page = context.new_page()
    response = page.goto(f"{live['app']}/no-such-page?lang={lang}")
    assert response is not None and response.status == 404
    assert page.locator("h2").inner_text() == title
    assert page.locator("meta[name=viewport]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#error-home")
    page.wait_for_selector("#home-input")
    # every script of the map loaded before the context goes (a response cut off mid-file
    # leaves the test server's file open: a ResourceWarning in whichever test runs next)
    page.wait_for_load_state("networkidle")
    context.close()
