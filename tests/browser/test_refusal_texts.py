"""Refusals on the family pages say what is wrong and what is allowed, in the page's language,
on a phone (as a tester met them): a child's birth date in the future on the children form named
as such with today's date (not "check the birth date"), and a booking at a provider that opened
no places for part of the window named with the window on the registry's wall clock — on an English page too, where the
API's own sentence carries UTC instants ("…T10:00:00+00:00")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions.care import get_bookings

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
PARTLY_OPEN = "demo-dc-09400"  # 시립금빛하늘어린이집, 언제나 어린이집: places opened here for 18-20 and 23-24 only
UTC_INSTANT = re.compile(r"T\d\d:\d\d|[+-]00:00|Z\b")

SAID = {
    "ko": {"future": "생년월일이 미래 날짜입니다", "generic": "항목을 확인해 주세요",
           "no_places": "예약 자리를 열지 않았습니다"},
    "en": {"future": "The birth date is in the future", "generic": "Check ",
           "no_places": "has opened no places from"},
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_future_birth_date_and_a_window_without_places_are_said_plainly(browser, live, lang):
    context, page, errors = steps.phone(browser, live, "ko-KR" if lang == "ko" else "en-US")
    app_url = live["app"]
    said = SAID[lang]
    today = datetime.now(SEOUL).date()
    try:
        steps.sign_up(page, app_url, lang, f"/family?lang={lang}")
        page.wait_for_url(f"**/family?lang={lang}")
        steps.ready(page)
        steps.register_child(page, "서윤", "박", "2022-04-01", "박아빠", "010-2345-6789")

        # a second child born next month: refused, naming the future date and today
        page.tap("#add-child")
        page.fill("input[name=given_name]", "하준")
        page.fill("input[name=family_name]", "박")
        page.fill("input[name=birth_date]", (today + timedelta(days=30)).isoformat())
        page.select_option("select[name=relation]", "mother")
        page.fill("input[name=emergency_contact_name]", "박아빠")
        page.fill("input[name=emergency_contact_phone]", "010-2345-6789")
        page.tap("#child-form button[type=submit]")
        error = page.locator("#child-form-error", has_text=said["future"])
        error.wait_for()
        text = error.inner_text()
        assert today.isoformat() in text and said["generic"] not in text, text
        steps.fits(page)

        # a provider that opened no places for part of the window: the window's wall-clock times,
        # no UTC instant (one that opened none at all shows no form: test_book_not_online.py)
        tomorrow = today + timedelta(days=1)
        day = tomorrow.isoformat()
        with live["flask_app"].app_context():
            for start, end in ((18, 20), (23, 24)):
                at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=SEOUL)
                get_bookings().publish_slot(PARTLY_OPEN, "always_daycare", at + timedelta(hours=start),
                                            at + timedelta(hours=end), 1, tz=SEOUL)
        page.goto(f"{app_url}/family/book?facility_id={PARTLY_OPEN}&programme=always_daycare"
                  f"&start={day}T19:00&end={day}T22:30&lang={lang}")
        steps.ready(page)
        # the quote refuses it as the booking would, before the parent taps to book (tester 26, 5)
        refusal = page.locator("#quote .error", has_text=said["no_places"])
        refusal.wait_for()
        assert page.is_disabled("#book-button")
        text = refusal.inner_text()
        assert f"{day} 20:00" in text and f"{day} 22:30" in text, text
        assert not UTC_INSTANT.search(text), text
        steps.fits(page)
        assert [e for e in errors if "status of 400" not in e and "status of 409" not in e] == []
    finally:
        context.close()
