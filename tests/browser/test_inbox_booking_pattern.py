"""The provider inbox on a phone (390×844), in Korean and English: the dates of one weekly pattern
waiting for an answer are ONE item — the child's first name (once shown), the weekdays, the time window, the
first and last date and how many dates — with accept all and decline all (the reason asked once)
and the dates to open and answer one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.care.desk import Repeat
from app.extensions.care import get_bookings, get_desk

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL
from .test_tester_pass_24_inbox import PROGRAMME, _desk, _family

pytestmark = pytest.mark.browser

EVERY = {"ko": "매주 {weekday} 15:00–17:00", "en": "Every {weekday}, 15:00–17:00"}
WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
COUNT = {"ko": "· 3일", "en": "· 3 dates"}
DONE = {"ko": {"confirm": "2일을 수락했습니다.", "decline": "3일을 거절했습니다."},
        "en": {"confirm": "2 dates accepted.", "decline": "3 dates declined."}}


def _pattern_at_the_centre(flask_app, given_name: str) -> tuple[str, list[str], list]:
    """A new family's weekly pattern at the centre: 15:00–17:00 on tomorrow's weekday, three
    weeks, waiting for staff. Returns (pattern id, booking ids, the local dates)."""
    steps.publish_places(flask_app, CENTRE, PROGRAMME, days=16)
    guardian_id, child_id = _family(flask_app, given_name)
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 15, tzinfo=SEOUL)
    with flask_app.app_context():
        made, _ = get_desk().book_weekly(guardian_id, child_id, CENTRE, PROGRAMME, start, start + timedelta(hours=2),
                                         Repeat((day.isoweekday(),), day + timedelta(days=14)), datetime.now(UTC))
    assert len(made) == 3 and made[0].pattern_id
    return made[0].pattern_id, [b.id for b in made], [day + timedelta(days=7 * n) for n in range(3)]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_weekly_pattern_is_one_item_answered_as_one_or_date_by_date(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        pattern_id, ids, days = _pattern_at_the_centre(flask_app, "하린")
        item = desk.locator(f"#new-bookings > li[data-pattern-id='{pattern_id}']")
        item.wait_for(timeout=5000)
        assert desk.locator("#new-bookings > li").count() == 1  # one item, not one per date
        # the child is named once staff show it (tester 28: each showing logged)
        assert "하린" not in item.locator(":scope > h4").inner_text()
        item.locator(":scope > .child-detail button[data-child=show]").click()
        steps.wait_until(desk, f"document.querySelector(\"#new-bookings > li[data-pattern-id='{pattern_id}'] h4\")"
                               ".textContent.includes('하린')")
        text = item.inner_text()
        weekday = WEEKDAYS[lang][days[0].weekday()]
        assert EVERY[lang].format(weekday=weekday) in text, text
        assert f"{days[0].isoformat()} – {days[-1].isoformat()}" in text and COUNT[lang] in text, text
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"inbox-pattern-{lang}-phone.png"), full_page=True)

        if lang == "ko":
            # open the dates and accept the first on its own: the item stays, with two dates
            item.locator("button[data-action=open-dates]").click()
            one = item.locator(f"li[data-id='{ids[0]}']")
            one.wait_for(timeout=2000)
            assert item.locator("ul.pattern-dates-list > li").count() == 3
            one.locator("button[data-action=confirm]").click()
            steps.wait_until(desk, f"document.querySelectorAll(\"#new-bookings > li[data-pattern-id='{pattern_id}'] "
                                   "ul.pattern-dates-list > li\").length === 2")
            with flask_app.app_context():
                assert get_bookings().get(ids[0]).status == "accepted"
            item.locator("button[data-action=confirm-all]").click()
            steps.wait_until(desk, f"document.getElementById('inbox-status').textContent.includes("
                                   f"'{DONE[lang]['confirm']}')")
            with flask_app.app_context():
                assert [get_bookings().get(i).status for i in ids] == ["accepted"] * 3
        else:
            # decline all: the reason is asked once, for every date
            item.locator("button[data-action=decline-all]").click()
            box = item.locator(":scope > div.decline")
            box.locator("button.danger").click()  # no reason yet: said, nothing sent
            assert box.locator("p.error").inner_text()
            box.locator("input.other-reason").fill("Full that term")
            box.locator("button.danger").click()
            steps.wait_until(desk, f"document.getElementById('inbox-status').textContent.includes("
                                   f"'{DONE[lang]['decline']}')")
            with flask_app.app_context():
                assert [get_bookings().get(i).status for i in ids] == ["rejected"] * 3
        steps.wait_until(desk, "document.querySelectorAll('#new-bookings > li').length === 0")
        steps.fits(desk)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
