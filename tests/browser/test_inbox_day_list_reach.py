"""The inbox's day choice (#day-pick) reaches as far as the provider has places published: staff
may open places 7, 14, 28 days ahead or a weekly pattern's whole reach (booking_rules.json), and
a day 4 weeks ahead with places is offered, not only the next 7 days (the list was fixed at 7).
How far it reaches comes from the page's data (places_ahead), not a number of the script's own.
On a phone, in Korean and English."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions.care import get_bookings

from . import care_steps as steps
from .test_family_pages import CENTRE
from .test_tester_pass_24_inbox import PROGRAMME, _desk

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
EMPTY = {"ko": "{date}에는 예약이 없습니다.", "en": "No bookings on {date}."}
PLACES_DAYS = 28  # one of the inbox's places-ahead choices past the old 7


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_day_four_weeks_ahead_with_places_can_be_chosen(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    steps.publish_places(flask_app, CENTRE, PROGRAMME, days=PLACES_DAYS)
    today = datetime.now(SEOUL).date()
    with flask_app.app_context():
        days = {s.start.astimezone(SEOUL).date() for s in get_bookings().slots(CENTRE, PROGRAMME)
                if s.places > 0}
    far = max(days)
    assert far > today + timedelta(days=7), sorted(days)  # past the old reach
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        option = desk.locator(f"#day-pick option[value='{far.isoformat()}']")
        option.wait_for(state="attached", timeout=7000)
        offered = desk.locator("#day-pick option").evaluate_all("os => os.map((o) => o.value)")
        assert offered[0] == today.isoformat() and offered == sorted(offered), offered
        assert {d.isoformat() for d in days if d > today} <= set(offered)
        desk.locator("#day-pick").select_option(far.isoformat())
        empty = desk.locator("#today-empty")
        empty.wait_for(timeout=5000)
        assert empty.inner_text() == EMPTY[lang].format(date=far.isoformat())
        steps.fits(desk)
        desk.locator("#day-pick").screenshot(path=str(artifacts / f"inbox-day-list-28-{lang}.png"))
        assert steps.script_errors(errors) == []
    finally:
        context.close()
