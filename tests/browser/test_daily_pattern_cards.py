"""A daily run (언제나 어린이집: the same hours on consecutive days, ``repeat.every_day``) is said as
daily on a phone (390x844), in Korean and English: on /family its one card says "매일 반복" /
"daily" and "매일 19:00–23:00" / "Every day, 19:00–23:00"; in the provider inbox its one item
says "매일 반복 예약" / "daily" the same way, and so does its end when its holds lapse — never
"매주" / "weekly" with the weekdays the dates fall on. Nothing stored says a pattern's kind: its
dates, consecutive calendar days, decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions.care import get_bookings

from . import care_steps as steps
from .test_book_same_hours_daily import DAYCARE, SEOUL
from .test_family_live_states import _family
from .test_signed_out_live_pages import LOCALE

pytestmark = pytest.mark.browser

PROGRAMME = "always_daycare"
DAYS = 3
FIRST_DAY = {("family", "ko"): 70, ("family", "en"): 74, ("inbox", "ko"): 78, ("inbox", "en"): 82}
"""Days ahead each test's run starts, apart from each other and from the other tests at this 어린이집
(test_book_same_hours_daily: days 40–55; test_book_weekly_and_days: days 3–9)."""
SAID = {"ko": {"family_head": "언제나 어린이집 · 매일 반복", "every": "매일 19:00–23:00",
               "range": "{first} – {last} · 3일", "inbox_head": "아이 · 언제나 어린이집 매일 반복 예약",
               "gone": "답할 시간이 지나 이 매일 반복 예약의 날짜들이 만료되었습니다 (시간 초과). "
                       "가족에게 알렸습니다."},
        "en": {"family_head": "Always-open daycare, daily", "every": "Every day, 19:00–23:00",
               "range": "{first} – {last} · 3 dates", "inbox_head": "Child · Always-open daycare, daily",
               "gone": "Not answered in time: the dates of this daily booking lapsed. The family is told."}}
WEEKLY_WORDS = {"ko": "매주", "en": "eekly"}


def _run(flask_app, guardian_id: str, child_id: str, ahead: int) -> tuple[str, list]:
    """A daily run at the 어린이집, 19:00–23:00 on DAYS consecutive days from ``ahead`` days on,
    waiting for the staff. (pattern id, the local dates)"""
    day = datetime.now(SEOUL).date() + timedelta(days=ahead)
    first = datetime(day.year, day.month, day.day, 19, tzinfo=SEOUL)
    spans = [(first + timedelta(days=k), first + timedelta(days=k, hours=4)) for k in range(DAYS)]
    now = datetime.now(UTC)
    with flask_app.app_context():
        store = get_bookings()
        for s, e in spans:
            store.publish_slot(DAYCARE, PROGRAMME, s, e, 5, now=now)
        made = store.book_many(DAYCARE, PROGRAMME, child_id, spans, now + timedelta(days=1), now=now,
                               guardian_id=guardian_id, tz=SEOUL)
    assert len(made) == DAYS and {b.status for b in made} == {"requested"} and made[0].pattern_id
    return made[0].pattern_id, [day + timedelta(days=k) for k in range(DAYS)]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_family_card_of_a_daily_run_says_every_day(browser, live, artifacts, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email, guardian_id, child_id = _family(flask_app)
    pattern_id, days = _run(flask_app, guardian_id, child_id, FIRST_DAY[("family", lang)])
    said = SAID[lang]
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, app_url, email, f"/family?lang={lang}")
        steps.ready(page)
        card = page.locator(f"#bookings > li.pattern[data-pattern-id='{pattern_id}']")
        card.locator("h4 .provider").wait_for()
        assert page.locator("#bookings > li").count() == 1  # one card for the run
        text = card.inner_text()
        assert said["family_head"] in text and said["every"] in text, text
        assert said["range"].format(first=days[0].isoformat(), last=days[-1].isoformat()) in text, text
        assert WEEKLY_WORDS[lang] not in text, text
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"family-daily-card-{lang}.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_inbox_item_of_a_daily_run_says_every_day(browser, live, artifacts, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    _email, guardian_id, child_id = _family(flask_app)
    said = SAID[lang]
    context, desk, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, DAYCARE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        pattern_id, days = _run(flask_app, guardian_id, child_id, FIRST_DAY[("inbox", lang)])
        item = desk.locator(f"#new-bookings > li[data-pattern-id='{pattern_id}']")
        item.wait_for(timeout=10000)
        steps.wait_until(desk, f"document.querySelector(\"#new-bookings > li[data-pattern-id='{pattern_id}'] h4\")"
                               ".textContent.length > 0")
        head = item.locator(":scope > h4").inner_text()
        assert said["inbox_head"] in head and "서준" not in head, head  # the child only once shown
        text = item.inner_text()
        assert said["every"] in text, text
        assert said["range"].format(first=days[0].isoformat(), last=days[-1].isoformat()) in text, text
        assert WEEKLY_WORDS[lang] not in text, text
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"inbox-daily-{lang}-phone.png"), full_page=True)
        # its holds lapse unanswered: the item says the daily booking's dates lapsed
        with flask_app.app_context():
            assert len(get_bookings().expire_holds(datetime.now(UTC) + timedelta(days=2))) >= DAYS
        gone = item.locator("p.ended-why")
        gone.wait_for(timeout=10000)
        assert gone.inner_text() == said["gone"]
        steps.fits(desk)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
