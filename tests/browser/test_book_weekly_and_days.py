"""/family/book on a phone (390x844), after tester 25 (findings 1, 2 and 4):

- 초등 시설형 긴급돌봄: "매주 반복" with weekday boxes and an end date, the dates listed with the
  estimate before booking, and after booking every booking made listed with its state (Korean);
- a provider that published no places says so before the form, with its phone and an
  emergency request; 언제나 어린이집 takes an end date (several days) and says its real limit,
  5 consecutive days (English)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions.care import get_bookings

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
WEEKLY_CENTRE = "demo-cc-00002"  # 나래지역아동센터, 13:00-22:00, no other test books it
CLOSED_CENTRE = "demo-cc-00004"  # 꿈동산지역아동센터, 031-392-6199, publishes no places
DAYCARE = "demo-dc-09397"  # 시립힐즈파크어린이집, 언제나 어린이집 (07:30-31:30)


def _day(n: int) -> datetime:
    d = datetime.now(SEOUL).date() + timedelta(days=n)
    return datetime(d.year, d.month, d.day, tzinfo=SEOUL)


def test_a_weekly_pattern_is_shown_and_booked_on_a_phone_in_korean(browser, live, artifacts):
    first = _day(2)
    with live["flask_app"].app_context():
        for week in range(3):
            day = first + timedelta(days=7 * week)
            get_bookings().publish_slot(WEEKLY_CENTRE, "elementary_emergency", day.replace(hour=15),
                                        day.replace(hour=17), 2)
    context, page, errors = steps.phone(browser, live, "ko-KR")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "ko")
        steps.register_child(page, "하윤", "박", "2017-05-05", "박아빠", "010-2222-3333")
        iso = first.date().isoformat()
        page.goto(f"{app_url}/family/book?facility_id={WEEKLY_CENTRE}&programme=elementary_emergency"
                  f"&start={iso}T15:00&end={iso}T17:00&lang=ko")
        steps.ready(page)
        assert page.is_hidden("#not-online")
        page.locator("#quote .fee").wait_for()
        page.locator("label.check", has_text="매주 반복").tap()
        assert page.is_visible("#repeat-fields")
        weekday = "월화수목금토일"[first.weekday()]
        assert page.locator("input[name=weekday]:checked").count() == 1
        assert page.locator("label.weekday", has_text=weekday).locator("input").is_checked()
        page.fill("input[name=until]", (first + timedelta(days=14)).date().isoformat())
        page.locator("input[name=until]").dispatch_event("change")
        listed = page.locator("#occurrences li")
        listed.nth(2).wait_for()
        assert listed.count() == 3 and "예약할 날 3번" in page.inner_text("#quote")
        assert iso in listed.nth(0).inner_text() and "15:00" in listed.nth(0).inner_text()
        steps.fits(page)
        page.screenshot(path=str(artifacts / "book-weekly-ko.png"), full_page=True)
        page.tap("#book-button")
        made = page.locator("#made-bookings li")
        made.nth(2).wait_for()
        text = page.inner_text("#made-bookings")
        assert made.count() == 3 and "예약 3건을 했습니다" in text and "따로 취소" in text
        assert page.is_hidden("#book-form")
        steps.fits(page)
        page.screenshot(path=str(artifacts / "book-weekly-made-ko.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


def test_no_places_is_said_first_and_daycare_takes_several_days_in_english(browser, live):
    context, page, errors = steps.phone(browser, live, "en-US")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "en")
        steps.register_child(page, "Minjun", "Lee", "2023-02-01", "Lee Dad", "010-4444-5555")
        page.goto(f"{app_url}/family/book?facility_id={CLOSED_CENTRE}&programme=elementary_emergency&lang=en")
        notice = page.locator("#not-online")
        notice.wait_for()
        said = notice.inner_text()
        assert "opened no places for online booking" in said
        assert page.get_attribute("#call-provider", "href") == "tel:031-392-6199"
        assert page.get_attribute("#notice-request", "href").startswith("/family/request?")
        steps.fits(page)

        start = _day(3).date().isoformat()
        steps.publish_places(live["flask_app"], DAYCARE, "always_daycare", days=7)  # the form shows where places are
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare"
                  f"&start={start}T09:00&end={start}T18:00&lang=en")
        steps.ready(page)
        assert "at most 5 consecutive days" in page.inner_text("#days-hint")
        page.fill("input[name=end_day]", _day(5).date().isoformat())
        page.locator("input[name=end_day]").dispatch_event("change")
        fee = page.locator("#quote .fee")
        fee.wait_for()
        page.wait_for_function("document.querySelector('#quote .fee').textContent.includes('171,000')")
        page.fill("input[name=end_day]", _day(9).date().isoformat())  # 7 dates
        page.locator("input[name=end_day]").dispatch_event("change")
        page.locator("#quote .error", has_text="5 days").wait_for()
        page.fill("input[name=end_day]", start)
        page.fill("input[name=to]", "09:00")
        page.locator("input[name=to]").dispatch_event("change")
        same = page.locator("#quote .error")
        same.wait_for()
        assert "5 consecutive days" in same.inner_text() and "23 h 45" not in same.inner_text()
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
