"""Tester 27's findings 5 and 13 on a phone (390x844), in Korean and English:

- the booking form keeps what the parent typed (child, times, weekly repeat with its weekdays and
  end date) in the page's URL, so after a sign-out elsewhere "sign in again" brings it all back
  rather than the window the page first came with (finding 5);
- a window whose end time before the start makes it run past midnight for more than 12 hours
  (19:00 -> 18:00: 23 hours) is booked only once the parent ticks that they mean it; the English
  labels are capitalised like their neighbours ("Repeat until");
- the child form says every problem it can see at once: a birth date in the future AND a phone
  that cannot be one (finding 13)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for

from . import care_steps as steps
from .test_pages import wait_until

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00037"  # 교동지역아동센터: 초등 시설형 긴급돌봄 (72-155 months), weekly repeat
DAYCARE = "demo-dc-09396"  # 아람어린이집: 언제나 어린이집, across midnight
LOCALE = {"ko": "ko-KR", "en": "en-US"}


def _day(days: int) -> str:
    return (datetime.now(SEOUL).date() + timedelta(days=days)).isoformat()


def _weekday(day: str) -> str:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][datetime.fromisoformat(day).weekday()]


def _quoted(page) -> None:
    """The fee of the window as typed shows (no quote in flight)."""
    wait_until(page, "!!document.querySelector('#quote .fee') && !document.querySelector('#quote.stale')")
    page.wait_for_timeout(200)


def _changed(page, name: str, value: str) -> None:
    page.fill(f"[name={name}]", value)
    page.locator(f"[name={name}]").dispatch_event("change")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_signing_in_again_brings_back_what_the_parent_typed(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    steps.publish_places(flask_app, CENTRE, "elementary_emergency")
    email, _ = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        today = datetime.now(SEOUL).date()
        steps.family_with(page, app_url, lang, [("서준", birth_date_for(8, today)), ("하윤", birth_date_for(9, today))],
                          email)
        day = _day(1)
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                  f"&start={day}T18:00&end={day}T21:00&lang={lang}")
        steps.ready(page)
        if lang == "en":  # capitalised as "Date", "From", "To" beside it
            labels = page.locator("#repeat-box label").all_inner_texts()
            assert any(x.strip().startswith("Repeat until") for x in labels), labels
            assert any(x.strip().startswith("Repeat weekly") for x in labels), labels
            assert page.get_attribute("#repeat-box .weekdays", "aria-label") == "Weekdays to repeat"
        # the parent edits: the second child, 17:00-20:30, weekly on the day's weekday and another until +14 days
        hayun = page.locator("select[name=child] option", has_text="하윤").get_attribute("value")
        page.select_option("select[name=child]", hayun)
        _changed(page, "from", "17:00")
        _changed(page, "to", "20:30")
        page.locator("#repeat-box label.check").tap()
        other = _weekday(_day(3))
        page.locator(f"input[name=weekday][value={other}]").check()
        until = _day(15)
        _changed(page, "until", until)
        steps.fits(page)

        steps.sign_out_in_another_tab(context, app_url, lang)
        page.locator("#signed-out").wait_for(timeout=8000)
        steps.sign_in_again(page, page.locator("#sign-in-again"), email, "/family/book?**")
        steps.ready(page)

        assert page.input_value("select[name=child]") == hayun
        assert (page.input_value("[name=day]"), page.input_value("[name=from]"), page.input_value("[name=to]")) \
            == (day, "17:00", "20:30")
        assert page.is_checked("input[name=repeat_on]") and page.is_visible("#repeat-fields")
        ticked = page.eval_on_selector_all("input[name=weekday]:checked", "bs => bs.map((b) => b.value)")
        assert sorted(ticked) == sorted({_weekday(day), other}), ticked
        assert page.input_value("input[name=until]") == until
        assert page.locator("#signed-out").count() == 0
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_long_overnight_window_is_booked_only_once_the_parent_says_so(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    steps.publish_places(flask_app, DAYCARE, "always_daycare")
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.family_with(page, app_url, lang, [("지우", birth_date_for(3, datetime.now(SEOUL).date()))])
        day = _day(1)
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare"
                  f"&start={day}T19:00&end={day}T21:00&lang={lang}")
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        button = page.locator("#book-button")
        assert not button.is_disabled() and page.locator("#long-window").count() == 0

        _changed(page, "to", "18:00")  # a slip: 19:00 -> 18:00 the next day, 23 hours
        ask = page.locator("#long-window")
        ask.wait_for()
        assert "23" in ask.inner_text()
        assert ("자정을 넘겨" if lang == "ko" else "past midnight") in ask.inner_text()
        _quoted(page)
        assert button.is_disabled()  # the fee shows, Book waits for the parent's yes
        steps.fits(page)
        ask.locator("input[type=checkbox]").check()
        assert not button.is_disabled()
        ask.locator("input[type=checkbox]").uncheck()
        assert button.is_disabled()

        _changed(page, "to", "23:00")  # 4 hours across nothing: no question
        _quoted(page)
        assert page.locator("#long-window").count() == 0 and not button.is_disabled()
        _changed(page, "to", "02:00")  # across midnight, 7 hours: the hint only
        _quoted(page)
        assert page.locator("#long-window").count() == 0 and not button.is_disabled()
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_child_form_says_every_problem_at_once(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.family_page(page, live["app"], lang)
        steps.open_child_form(page, "서준", "김", _day(30))  # born in the future
        page.select_option("select[name=relation]", "mother")
        page.fill("input[name=emergency_contact_name]", "김하늘")
        page.fill("input[name=emergency_contact_phone]", "12345")  # no phone number
        for purpose in steps.BOOKING_CONSENTS:
            page.locator(f"#consents input[value={purpose}]").check()
        text, sent = steps.child_form_refused(page)
        future, phone = {"ko": ("생년월일이 미래 날짜입니다", "국내 전화번호로 적어 주세요"),
                         "en": ("The birth date is in the future", "as a Korean phone number")}[lang]
        assert future in text and phone in text, text
        assert page.get_attribute("input[name=birth_date]", "aria-invalid") == "true"
        assert page.get_attribute("input[name=emergency_contact_phone]", "aria-invalid") == "true"
        assert sent == []  # nothing sent that the server would refuse
        steps.fits(page)

        # both fixed: the child is registered
        steps.register_fixed_child(page, "서준", birth_date_for(8, datetime.now(SEOUL).date()).isoformat(),
                                   "010-1234-5678")
        assert steps.script_errors(errors) == []
    finally:
        context.close()
