"""Tester pass 26 (findings 10 and 11) on the provider inbox, on a phone, in Korean and English: a
new booking whose hold lapses unanswered is said where its card was (시간 초과), as a lapsed
offer is, until staff tap OK — not a card silently vanishing; and an action the state allows
but the time not yet (a check-in before it opens) shows when it opens instead of a button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.engine import bookings
from app.extensions.care import get_bookings, get_desk

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL
from .test_tester_pass_24_inbox import PROGRAMME, _desk, _family

pytestmark = pytest.mark.browser

LAPSED = {"ko": "시간 초과", "en": "Not answered in time: the booking lapsed."}
OK = {"ko": "확인", "en": "OK"}
CHECK_IN_FROM = {"ko": "입실: ", "en": "Check in: possible from "}


def _book_at_the_centre(flask_app, given_name: str, day_offset: int = 1) -> str:
    """A new family's booking at the centre (held, waiting for staff), 15:00-18:00."""
    steps.publish_places(flask_app, CENTRE, PROGRAMME)
    guardian_id, child_id = _family(flask_app, given_name)
    day = datetime.now(SEOUL).date() + timedelta(days=day_offset)
    start = datetime(day.year, day.month, day.day, 15, tzinfo=SEOUL)
    with flask_app.app_context():
        booking, _ = get_desk().book(guardian_id, child_id, CENTRE, PROGRAMME, start, start + timedelta(hours=3),
                                     datetime.now(UTC))
    return booking.id


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_lapsed_booking_is_said_where_its_card_was(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        booking_id = _book_at_the_centre(flask_app, "하린")
        card = desk.locator(f"#new-bookings li[data-id='{booking_id}']")
        card.wait_for(timeout=3000)
        with flask_app.app_context():  # the hold runs out and the care clock lapses it
            with flask_app.extensions["dolbom_db"].begin() as conn:
                conn.execute(bookings.update().where(bookings.c.id == booking_id).values(
                    hold_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
            assert booking_id in get_bookings().expire_holds(datetime.now(UTC))
        ended = desk.locator("#new-bookings li.offer-ended")
        ended.wait_for(timeout=3000)
        text = ended.inner_text()
        assert LAPSED[lang] in text, text
        assert ended.locator("button[data-action=confirm]").count() == 0
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"tester26-booking-lapsed-{lang}-phone.png"), full_page=True)
        ended.get_by_role("button", name=OK[lang]).click()
        assert desk.locator("#new-bookings li").count() == 0
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_check_in_not_yet_open_says_when(browser, live, lang):
    flask_app = live["flask_app"]
    booking_id = _book_at_the_centre(flask_app, "서윤", day_offset=2)
    with flask_app.app_context():
        get_bookings().transition(booking_id, "confirm", "provider_staff", None, now=datetime.now(UTC))
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        day = (datetime.now(SEOUL).date() + timedelta(days=2)).isoformat()
        desk.select_option("#day-pick", day)
        card = desk.locator(f"#today li[data-id='{booking_id}']")
        card.wait_for(timeout=5000)
        text = card.inner_text()
        assert CHECK_IN_FROM[lang] in text and "14:00" in text, text
        assert card.locator("button[data-action=check_in]").count() == 0
        assert errors == []
    finally:
        context.close()
