"""/family/book on a phone (390x844) at a 언제나 어린이집: "the same hours each day for N days"
(repeat every_day) — the days listed with the estimate of them all, booked in one action and
every booking made listed (Korean); a day without places named, and a span over 5 days said
with the limit (English)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions.care import get_bookings

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE = "demo-dc-09397"  # 시립힐즈파크어린이집, 언제나 어린이집 (07:30-31:30); these days no other test books


def _day(n: int) -> datetime:
    d = datetime.now(SEOUL).date() + timedelta(days=n)
    return datetime(d.year, d.month, d.day, tzinfo=SEOUL)


def _evenings(live, days: list[int]) -> None:
    with live["flask_app"].app_context():
        for n in days:
            get_bookings().publish_slot(DAYCARE, "always_daycare", _day(n).replace(hour=18), _day(n + 1), 2)


def test_the_same_hours_each_day_are_listed_and_booked_in_one_go_in_korean(browser, live, artifacts):
    _evenings(live, [40, 41, 42])
    context, page, errors = steps.phone(browser, live, "ko-KR")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "ko")
        steps.register_child(page, "서아", "정", "2023-03-03", "정아빠", "010-3333-4444")
        iso = _day(40).date().isoformat()
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare"
                  f"&start={iso}T19:00&end={iso}T23:00&lang=ko")
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        assert page.is_hidden("#daily-fields")
        page.locator("label.check", has_text="매일 같은 시간으로").tap()
        assert page.is_visible("#daily-fields") and page.is_hidden("#end-day-box")
        assert "최대 5일" in page.inner_text("#daily-hint")
        page.select_option("select[name=daily_days]", "3")
        listed = page.locator("#occurrences li")
        listed.nth(2).wait_for()
        assert listed.count() == 3 and "예약할 날 3번" in page.inner_text("#quote")
        assert "36,000" in page.inner_text("#quote .fee")  # 4 hours a day, 3 days, 3,000 won an hour
        last = _day(42).date().isoformat()
        assert last in page.locator("select[name=daily_days] option:checked").inner_text()
        assert "daily=3" in page.url
        steps.fits(page)
        page.screenshot(path=str(artifacts / "book-daily-ko.png"), full_page=True)
        page.tap("#book-button")
        made = page.locator("#made-bookings li")
        made.nth(2).wait_for()
        assert made.count() == 3 and "예약 3건을 했습니다" in page.inner_text("#made-bookings")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


def test_a_day_without_places_and_too_many_days_are_said_in_english(browser, live):
    _evenings(live, [50, 52])  # the 51st day has no places
    context, page, errors = steps.phone(browser, live, "en-US")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "en")
        steps.register_child(page, "Yuna", "Kim", "2023-04-04", "Kim Mum", "010-5555-6666")
        iso = _day(50).date().isoformat()
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare"
                  f"&start={iso}T19:00&end={iso}T23:00&lang=en")
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        page.locator("label.check", has_text="Same hours each day").tap()
        page.select_option("select[name=daily_days]", "3")
        refused = page.locator("#quote .error")
        refused.wait_for()
        gap = _day(51).date().isoformat()
        assert "Some days cannot be booked" in refused.inner_text() and gap in refused.inner_text()
        assert page.locator("#quote .refused-dates li").count() == 1
        assert page.is_disabled("#book-button")
        # 19:00 to 01:00 on 5 days touches 6 dates: the limit is said, with the last day allowed
        page.select_option("select[name=daily_days]", "5")
        page.fill("input[name=to]", "01:00")
        page.locator("input[name=to]").dispatch_event("change")
        page.locator("#quote .error", has_text="at most 5 consecutive days").wait_for()
        assert _day(53).date().isoformat() in page.inner_text("#quote .error")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_fee_of_a_daily_run_says_its_hours_and_that_started_hours_count_whole(browser, live, lang):
    """Tester 31, N4: a daily run's estimate was a bare total (and its quote had no billed_hours):
    19:00-20:15 on 3 days is 3.75 hours, charged as 6 (2 a day): said as for one window."""
    _evenings(live, [50, 51, 52])
    context, page, errors = steps.phone(browser, live, "ko-KR" if lang == "ko" else "en-US")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, lang)
        steps.register_child(page, "서아", "정", "2023-03-03", "정아빠", "010-3333-4444")
        iso = _day(50).date().isoformat()
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare"
                  f"&start={iso}T19:00&end={iso}T20:15&lang={lang}")
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        page.locator("input[name=daily_on]").check()
        page.select_option("select[name=daily_days]", "3")
        page.locator("#occurrences li").nth(2).wait_for()
        page.locator("#quote .fee", has_text="18,000").wait_for()
        breakdown = page.inner_text("#quote-breakdown")
        assert ("× 6시간 = 18,000원" if lang == "ko" else "× 6 h = ₩18,000") in breakdown, breakdown
        assert ("3.75시간은 6시간으로" if lang == "ko" else "3.75 h is charged as 6 h") in page.inner_text(
            "#quote-billed-up")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
