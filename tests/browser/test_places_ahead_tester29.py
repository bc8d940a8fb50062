"""Tester 29 finding 3 on a phone (390x844), in Korean and English: a weekly (정기) pattern could
never run past the 7 days of places the inbox opened.

- **Staff choose how far ahead.** The inbox's places form offers 7, 14 and 28 days and, for a
  programme booked as a weekly pattern, as far as a pattern may run (``weekly_max_weeks`` x 7 in
  ``booking_rules.json``); opening 28 days says until which date places are now open.
- **The family is told why.** A weekly pattern running past the provider's places says plainly
  until when places are open (so the pattern can run until then), and to choose an earlier
  "repeat until" date or phone the provider (its number as a link).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for
from app.extensions.care import get_bookings
from app.reference import document

from . import care_steps as steps
from .test_family_pages import CENTRE
from .test_pages import wait_until
from .test_tester_pass_24_inbox import PROGRAMME, _desk

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
LOCALE = {"ko": "ko-KR", "en": "en-US"}
PATTERN_DAYS = document("booking_rules.json")["programmes"]["elementary_emergency"]["weekly_max_weeks"] * 7
OPEN_UNTIL = {"ko": "이제 {date}까지 자리가 열려 있습니다.", "en": "Places are now open until {date}."}
PATTERN_OPTION = {"ko": "매주 반복 예약이 갈 수 있는 데까지 ({n}일)",
                  "en": "as far as a weekly pattern may run ({n} days)"}
PLACES_UNTIL = {"ko": "이 기관은 {until}까지만 예약 자리를 열어 두었습니다. "
                      "그래서 매주 반복 예약도 그때까지만 할 수 있습니다.",
                "en": "This provider has opened places only until {until}, "
                      "so a weekly pattern can run only until then."}
EARLIER = {"ko": "‘반복 끝 날짜’를 그 전으로", "en": "Choose an earlier “Repeat until” date"}
PATTERN_CENTRE = "demo-cc-00037"  # 교동지역아동센터: 초등 시설형 긴급돌봄, weekly repeat, a phone


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_staff_open_28_days_and_are_told_until_when(browser, live, artifacts, lang):
    assert PROGRAMME == "elementary_emergency"
    context, desk, errors = _desk(browser, live, LOCALE[lang], lang)
    try:
        form = desk.locator(f"form.derive[data-programme='{PROGRAMME}']")
        days = form.locator("select[name=days]")
        assert days.input_value() == "7"  # as before unless staff choose
        options = days.locator("option")
        assert options.evaluate_all("os => os.map((o) => o.value)") == ["7", "14", "28", str(PATTERN_DAYS)]
        assert options.last.inner_text().strip() == PATTERN_OPTION[lang].format(n=PATTERN_DAYS)
        days.select_option("28")
        form.locator("button[type=submit]").tap()
        wait_until(desk, f"document.querySelector(\"form.derive[data-programme='{PROGRAMME}'] .result\")"
                         ".textContent.trim() !== ''")
        last_day = (datetime.now(SEOUL).date() + timedelta(days=27)).isoformat()
        text = form.locator(".result").inner_text()
        with live["flask_app"].app_context():
            slots = get_bookings().slots(CENTRE, PROGRAMME)
        assert max(s.start.astimezone(SEOUL).date() for s in slots).isoformat() == last_day
        # until the end of the last open hour, as the places summary says it (tester 30, finding 5)
        until = max(s.end for s in slots if s.places > 0).astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
        assert until.startswith(last_day)
        assert OPEN_UNTIL[lang].format(date=until) in text, text
        summary = desk.locator(f"[data-slots='{PROGRAMME}']")
        wait_until(desk, f"document.querySelector(\"[data-slots='{PROGRAMME}']\").textContent.includes('{until}')")
        assert until in summary.inner_text()
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"tester29-places-28-days-{lang}-phone.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_pattern_past_the_places_says_until_when_and_what_to_do(browser, live, artifacts, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    steps.publish_places(flask_app, PATTERN_CENTRE, "elementary_emergency")  # 3 days
    with flask_app.app_context():
        until = max(s.end for s in get_bookings().slots(PATTERN_CENTRE, "elementary_emergency"))
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        today = datetime.now(SEOUL).date()
        steps.family_with(page, app_url, lang, [("서준", birth_date_for(8, today))])
        day = (today + timedelta(days=1)).isoformat()
        page.goto(f"{app_url}/family/book?facility_id={PATTERN_CENTRE}&programme=elementary_emergency"
                  f"&start={day}T17:00&end={day}T19:00&lang={lang}")
        steps.ready(page)
        page.locator("#repeat-box label.check").tap()
        page.fill("[name=until]", (today + timedelta(days=22)).isoformat())
        page.locator("[name=until]").dispatch_event("change")
        line = page.locator(".places-until")
        line.wait_for(timeout=8000)
        text = line.inner_text()
        shown = until.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
        assert PLACES_UNTIL[lang].format(until=shown) in text, text
        assert EARLIER[lang] in text, text
        call = line.locator("a[href^='tel:']")
        assert call.count() == 1 and call.inner_text().strip(), text
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"tester29-pattern-places-until-{lang}-phone.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
