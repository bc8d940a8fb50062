"""Tester 29, findings 5, 6 and 7, on a phone (390x844), in Korean and English. Finding 5: a booking or request link
whose times cannot be read (``start=garbage&end=2026-99-99``, or shaped right but no time:
``2026-13-45T25:99``) filled a window of the page's own without a word, so a parent from a broken
or old link could book a window they never chose. The page now says so under the window; a link
with readable times says nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE = "demo-dc-09396"  # 아람어린이집: 언제나 어린이집
SAID = {"ko": ("ko-KR", "링크에 적힌 돌봄 시간을 읽을 수 없어"),
        "en": ("en-US", "The link's care times could not be read")}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_unreadable_link_times_are_said_not_silently_replaced(browser, live, lang):
    locale, said = SAID[lang]
    app_url = live["app"]
    steps.publish_places(live["flask_app"], DAYCARE, "always_daycare")
    context, page, errors = steps.phone(browser, live, locale)
    try:
        today = datetime.now(SEOUL).date()
        steps.family_with(page, app_url, lang, [("지우", birth_date_for(4, today))])
        good = (today + timedelta(days=2)).isoformat()
        for path in (f"/family/book?facility_id={DAYCARE}&programme=always_daycare",
                     "/family/request?programme=always_daycare"):
            for times, unreadable in (("&start=garbage&end=2026-99-99", True),
                                      ("&start=2026-13-45T25:99&end=2026-13-45T26:99", True),
                                      (f"&start={good}T19:00", True),  # an end missing
                                      (f"&start={good}T19:00&end={good}T21:00", False)):
                page.goto(f"{app_url}{path}{times}&lang={lang}")
                steps.ready(page)
                note = page.locator("#link-times")
                if unreadable:
                    assert note.is_visible() and note.inner_text().startswith(said), (path, times)
                else:
                    assert not note.is_visible(), (path, times)
                    assert page.input_value("[name=day]") == good and page.input_value("[name=from]") == "19:00"
            steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


WHY = {"ko": "직장 근처 돌봄도 집 위치가 필요합니다", "en": "Care near work needs your home too"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_care_at_work_says_why_the_home_is_asked_for(browser, live, lang):
    # Tester 29, finding 7: with care "at work", sending without a home said only "find and choose
    # your home"; the residence rules need it, and the page now says so before and at sending.
    locale, _ = SAID[lang]
    app_url = live["app"]
    context, page, errors = steps.phone(browser, live, locale)
    try:
        today = datetime.now(SEOUL).date()
        steps.family_with(page, app_url, lang, [("지우", birth_date_for(4, today))])
        page.goto(f"{app_url}/family/request?programme=always_daycare&lang={lang}")
        steps.ready(page)
        why = page.locator("#home-why")
        assert not why.is_visible()  # care at home: the home is the place itself
        page.check("input[name=place][value=work]")
        assert why.is_visible() and why.inner_text().startswith(WHY[lang])
        page.tap("#request-button")
        assert page.locator("#request-error").inner_text().startswith(WHY[lang])
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


NOT_A_NUMBER = {"ko": "자리 수 항목은 0부터 1000까지의 정수여야 합니다.",
                "en": "The places must be a whole number from 0 to 1000."}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_places_typed_as_no_number_are_refused_not_taken_as_blank(browser, live, lang):
    # Tester 29, finding 6: "abc" in the places field read as empty, so "Open places" opened the
    # hours with the reported places and said nothing of the entry; it is now refused as -1 is.
    from .test_tester_pass_24_inbox import PROGRAMME, _desk

    context, desk, errors = _desk(browser, live, SAID[lang][0], lang)
    try:
        form = desk.locator(f"form.derive[data-programme='{PROGRAMME}']")
        field = form.locator("input[name=places]")
        field.focus()
        desk.keyboard.type("e")  # a number field takes the letter but has no number: badInput
        assert field.evaluate("f => f.validity.badInput")
        form.locator("button[type=submit]").tap()
        assert form.locator(".result").inner_text() == NOT_A_NUMBER[lang]
        assert steps.script_errors(errors) == []
    finally:
        context.close()
