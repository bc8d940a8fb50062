"""Tester 27 on the provider inbox, on a phone (390x844), in Korean and English.

Finding 9: "오지 않음" (no-show) was one tap and final; it now asks first, as a decline does, and
the card keeps the child's first name shown before it ("서준 · … · 오지 않음") like every other state.
Finding 12: staff pages showed times with seconds ("입실: 18:00:00부터"); they show HH:MM (a time
an action opens at the next whole minute, never earlier than it is).
And the new-bookings count counts a weekly pattern's dates, not its one card.
Finding 8: once the family withdrew share_with_provider the day's card had no name, and staff
could not tell which child to check in: every card (the day's, a new booking's) shows the
booking's reference ("예약번호 3F9A-2C7E"), the one the parent sees on /family."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.care.children import SHARE_WITH_PROVIDER
from app.care.references import booking_reference
from app.db.engine import bookings
from app.extensions.care import get_bookings, get_children

from . import care_steps as steps
from .test_family_pages import SEOUL
from .test_inbox_booking_lapsed import CHECK_IN_FROM, _book_at_the_centre
from .test_inbox_booking_pattern import _pattern_at_the_centre
from .test_tester_pass_24_inbox import _desk

pytestmark = pytest.mark.browser

LANGS = [("ko-KR", "ko"), ("en-US", "en")]
NO_SHOW = {"ko": "오지 않음", "en": "No-show"}
REFERENCE = {"ko": "예약번호", "en": "Booking reference"}
SECONDS = re.compile(r"\d\d:\d\d:\d\d")


def _status(flask_app, booking_id: str) -> str:
    with flask_app.app_context():
        return get_bookings().get(booking_id).status


def _move(flask_app, booking_id: str, start: datetime, end: datetime) -> None:
    """Move a booking's window (as the tester did in their own database: no place opens at night)."""
    with flask_app.extensions["dolbom_db"].begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(window_start=start, window_end=end))


def _confirmed_started(flask_app, given_name: str) -> str:
    """A confirmed booking of ``given_name`` at the centre, moved to have started 10 minutes ago
    (50 minutes left): its id."""
    booking_id = _book_at_the_centre(flask_app, given_name)
    with flask_app.app_context():
        get_bookings().transition(booking_id, "confirm", "provider_staff", None, now=datetime.now(UTC))
    now = datetime.now(UTC).replace(microsecond=0)
    _move(flask_app, booking_id, now - timedelta(minutes=10), now + timedelta(minutes=50))
    return booking_id


@pytest.mark.parametrize(("locale", "lang"), LANGS)
def test_a_no_show_is_asked_first_and_the_card_keeps_the_childs_name(browser, live, artifacts, locale, lang):
    flask_app = live["flask_app"]
    booking_id = _confirmed_started(flask_app, "서준")
    context, desk, errors = _desk(browser, live, locale, lang)
    try:
        card = desk.locator(f"#today li[data-id='{booking_id}']")
        card.wait_for(timeout=5000)
        # no name until staff show the child (tester 28: one rule for every card, each showing logged)
        assert not card.locator("h4").inner_text().startswith("서준"), card.inner_text()
        card.locator(".child-detail button[data-child=show]").tap()
        steps.wait_until(desk, f"document.querySelector(\"#today li[data-id='{booking_id}'] h4\")"
                               ".textContent.startsWith('서준 · ')")
        card.locator("button[data-action=mark_no_show]").tap()
        ask = card.locator(".confirm-final")
        ask.wait_for(timeout=2000)
        assert ask.is_visible() and _status(flask_app, booking_id) == "accepted"  # nothing sent by one tap
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"tester27-no-show-ask-{lang}-phone.png"), full_page=True)
        card.locator("button[data-action=mark_no_show-keep]").tap()
        assert ask.is_hidden() and _status(flask_app, booking_id) == "accepted"

        card.locator("button[data-action=mark_no_show]").tap()
        card.locator("button[data-action=mark_no_show-send]").tap()
        done = desk.locator(f"#today li[data-id='{booking_id}'][data-status='no-show']")
        done.wait_for(timeout=5000)
        assert _status(flask_app, booking_id) == "no-show"
        assert done.locator("h4").inner_text().startswith("서준 · "), done.inner_text()
        assert NO_SHOW[lang] in done.inner_text()
        assert done.locator("button[data-action]").count() == 0
        steps.fits(desk)
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "lang"), LANGS)
def test_staff_times_are_hh_mm_never_earlier_than_they_are(browser, live, locale, lang):
    flask_app = live["flask_app"]
    booking_id = _book_at_the_centre(flask_app, "서윤", day_offset=2)
    with flask_app.app_context():
        get_bookings().transition(booking_id, "confirm", "provider_staff", None, now=datetime.now(UTC))
        start = get_bookings().get(booking_id).start
    _move(flask_app, booking_id, start + timedelta(seconds=17), start + timedelta(hours=3))  # 15:00:17
    waiting = _book_at_the_centre(flask_app, "하린")
    with flask_app.app_context():
        hold = get_bookings().get(waiting).hold_expires_at
    context, desk, errors = _desk(browser, live, locale, lang)
    try:
        new = desk.locator(f"#new-bookings li[data-id='{waiting}']")
        new.wait_for(timeout=3000)
        assert hold.astimezone(SEOUL).strftime("%H:%M") in new.inner_text()  # the minute it falls in
        assert not SECONDS.search(new.inner_text()), new.inner_text()

        day = (datetime.now(SEOUL).date() + timedelta(days=2)).isoformat()
        desk.select_option("#day-pick", day)
        card = desk.locator(f"#today li[data-id='{booking_id}']")
        card.wait_for(timeout=5000)
        text = card.inner_text()
        # check-in opens 60 min before 15:00:17: shown as 14:01, never 14:00 (too early) nor 14:00:17
        assert CHECK_IN_FROM[lang] in text and "14:01" in text and "14:00" not in text, text
        assert not SECONDS.search(text), text
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "lang", "says"), [("ko-KR", "ko", "새 예약 3건이 들어왔습니다."),
                                                      ("en-US", "en", "3 new bookings.")])
def test_the_new_bookings_count_counts_a_weekly_patterns_dates(browser, live, locale, lang, says):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, locale, lang)
    try:
        desk.wait_for_timeout(1500)  # the first load announces nothing
        pattern_id, ids, _days = _pattern_at_the_centre(flask_app, "지우")
        assert len(ids) == 3
        desk.locator(f"#new-bookings > li[data-pattern-id='{pattern_id}']").wait_for(timeout=5000)
        desk.locator("#inbox-status", has_text=says).wait_for(timeout=3000)
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "lang"), LANGS)
def test_cards_show_the_booking_reference_when_no_name_is_shown(browser, live, artifacts, locale, lang):
    flask_app = live["flask_app"]
    booking_id = _confirmed_started(flask_app, "서준")
    with flask_app.app_context():
        guardian_id = get_bookings().get(booking_id).guardian_id
        assert guardian_id and get_children().withdraw_consent(guardian_id, SHARE_WITH_PROVIDER, datetime.now(UTC))
    waiting = _book_at_the_centre(flask_app, "하린", day_offset=2)
    context, desk, errors = _desk(browser, live, locale, lang)
    try:
        card = desk.locator(f"#today li[data-id='{booking_id}']")
        card.wait_for(timeout=5000)
        assert not card.locator("h4").inner_text().startswith("서준"), card.inner_text()  # no name any more
        assert f"{REFERENCE[lang]} {booking_reference(booking_id)}" in card.inner_text(), card.inner_text()
        new = desk.locator(f"#new-bookings li[data-id='{waiting}']")
        new.wait_for(timeout=5000)
        assert f"{REFERENCE[lang]} {booking_reference(waiting)}" in new.inner_text(), new.inner_text()
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / f"tester27-inbox-reference-{lang}-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
