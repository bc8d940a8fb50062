"""Tester 28 section 7 on the provider inbox, on a phone (390x844), in Korean and English.

- **Names in the inbox: one rule for every card.** A one-off booking, a weekly pattern and an
  offer name no child ("아이 · …" / "Child · …") until staff tap "Show the child (each view is
  logged)"; then the card's heading names the child by first name.
- **Access log.** Opening the inbox and its polling log nothing; each showing logs one line
  (booking_care for a booking, answering_offer for an offer), however often the page polls after.
- **Changing places.** A number typed in the places form changes the hours already open too,
  and says how many could not go below their bookings (and which).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.api.care_requests import engine
from app.care.slots import change_places
from app.db.children_tables import child_access_log
from app.extensions.care import get_bookings

from . import care_steps as steps
from .test_family_pages import CENTRE
from .test_inbox_booking_lapsed import _book_at_the_centre
from .test_inbox_booking_pattern import _pattern_at_the_centre
from .test_tester_pass_24_inbox import PROGRAMME, _desk, _request_at_the_centre

pytestmark = pytest.mark.browser

UNNAMED = {"ko": "아이 · ", "en": "Child · "}
CHANGED = {"ko": "시간당 0자리로 바꿨습니다", "en": "places per hour"}
NOT_LOWERED = {"ko": "예약된 자리보다 줄일 수 없어 예약된 자리 수까지만 줄였습니다", "en": "could not go below"}


def _reads(flask_app, child_id: str) -> list[tuple]:
    with flask_app.extensions["dolbom_db"].connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(child_access_log.c.purpose, child_access_log.c.outcome)
                                               .where(child_access_log.c.child_id == child_id))]


def _child_of(flask_app, booking_id: str) -> str:
    with flask_app.app_context():
        return get_bookings().get(booking_id).child_id


def _show(desk, card) -> None:
    card.locator(":scope > .child-detail button[data-child=show]").click()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_card_names_the_child_only_when_shown_and_each_showing_is_logged_once(browser, live, artifacts,
                                                                                      lang):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        one_off = _book_at_the_centre(flask_app, "서준", day_offset=2)
        pattern_id, pattern_ids, _days = _pattern_at_the_centre(flask_app, "지우")
        request_id = _request_at_the_centre(flask_app, "하린")
        card = desk.locator(f"#new-bookings > li[data-id='{one_off}']")
        pattern = desk.locator(f"#new-bookings > li[data-pattern-id='{pattern_id}']")
        with flask_app.app_context():
            made = engine().get(request_id)
            offer_id = next(o.id for o in engine().offers_of(request_id) if o.facility_id == CENTRE)
        offer = desk.locator(f"#new-offers > li[data-id='{offer_id}']")
        for item in (card, pattern, offer):
            item.wait_for(timeout=5000)
        desk.wait_for_timeout(3000)  # three polls of the inbox
        for item in (card, pattern, offer):
            assert item.locator(":scope > h4").inner_text().startswith(UNNAMED[lang]), item.inner_text()
        page = desk.locator("main").inner_text()
        assert "서준" not in page and "지우" not in page and "하린" not in page
        children = {"one_off": _child_of(flask_app, one_off), "pattern": _child_of(flask_app, pattern_ids[0]),
                    "offer": made.child_id}
        assert all(_reads(flask_app, c) == [] for c in children.values())

        _show(desk, card)
        steps.wait_until(desk, f"document.querySelector(\"#new-bookings > li[data-id='{one_off}'] h4\")"
                               ".textContent.startsWith('서준 · ')")
        _show(desk, pattern)
        steps.wait_until(desk, f"document.querySelector(\"#new-bookings > li[data-pattern-id='{pattern_id}'] h4\")"
                               ".textContent.startsWith('지우 · ')")
        _show(desk, offer)
        steps.wait_until(desk, f"document.querySelector(\"#new-offers > li[data-id='{offer_id}'] h4\")"
                               ".textContent.startsWith('하린 · ')")
        desk.wait_for_timeout(2500)  # more polls: still one line each
        assert _reads(flask_app, children["one_off"]) == [("booking_care", "granted")]
        assert _reads(flask_app, children["pattern"]) == [("booking_care", "granted")]
        assert _reads(flask_app, children["offer"]) == [("answering_offer", "granted")]
        assert "서준" in card.locator(".child-detail dl").inner_text()
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"inbox-tester28-names-{lang}-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_places_already_open_change_but_not_below_their_bookings(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        booking_id = _book_at_the_centre(flask_app, "도윤", day_offset=2)
        with flask_app.app_context():
            booked = get_bookings().get(booking_id)
        form = desk.locator(f"form.derive[data-programme='{PROGRAMME}']")
        form.locator("input[name=places]").fill("0")
        form.locator("button[type=submit]").click()
        result = form.locator(".result")
        steps.wait_until(desk, f"document.querySelector(\"form.derive[data-programme='{PROGRAMME}'] .result\")"
                               ".textContent.length > 0")
        text = result.inner_text()
        assert CHANGED[lang] in text and NOT_LOWERED[lang] in text, text
        assert "15:00" in text, text  # a held hour named (15:00-18:00 are booked here)
        with flask_app.app_context():
            slots = [s for s in get_bookings().slots(CENTRE, PROGRAMME) if s.end > datetime.now(UTC)]
        assert all(s.places >= s.held for s in slots)
        mine = [s for s in slots if s.start < booked.end and s.end > booked.start]
        assert mine and all(s.places == s.held >= 1 for s in mine)  # down to the booking, not below
        assert any(not s.held and s.places == 0 for s in slots)
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"inbox-tester28-places-{lang}-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
        with flask_app.app_context():  # the other tests on this server book here: places back
            now = datetime.now(UTC)
            change_places(get_bookings(), CENTRE, PROGRAMME, 5, now, now + timedelta(days=62), now)
