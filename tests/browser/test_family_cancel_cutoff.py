"""Tester 27, finding 3, on a phone (390x844) in Korean and English: /family offered 예약 취소
on a confirmed booking whose care had started. Now the card of a started booking has no cancel
button (the API's allowed_actions leave it out once the family's cutoff passed) and says why in
one line, with the provider's phone; a booking still to come keeps its cancel button, and its
card shows the booking's reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.care.references import booking_reference
from app.extensions.care import get_bookings

from . import care_steps as steps
from .test_family_live_states import _family
from .test_family_pages import CENTRE, SEOUL
from .test_signed_out_live_pages import LOCALE

pytestmark = pytest.mark.browser

PROGRAMME = "elementary_emergency"
SAID = {"ko": {"closed": "시작한 예약은 취소할 수 없습니다 — 기관에 전화해 주세요.", "cancel": "예약 취소",
               "call": "전화하기", "reference": "예약번호"},
        "en": {"closed": "A booking that has started cannot be cancelled — please phone the provider.",
               "cancel": "Cancel booking", "call": "Call", "reference": "Booking reference"}}


def _confirmed(flask_app, child_id: str, guardian_id: str, start: datetime, end: datetime) -> str:
    """A booking of ``[start, end)`` at the centre, made and confirmed a day before it starts."""
    made_at = start - timedelta(days=1)
    with flask_app.app_context():
        store = get_bookings()
        store.publish_slot(CENTRE, PROGRAMME, start, end, 5, now=made_at)
        return store.book(CENTRE, PROGRAMME, child_id, start, end, None, now=made_at, guardian_id=guardian_id,
                          confirmed_by="auto", tz=SEOUL).id


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_started_booking_has_no_cancel_and_says_whom_to_call(browser, live, artifacts, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email, guardian_id, child_id = _family(flask_app)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    started = now - timedelta(minutes=now.minute % 15 + 15)  # on the 15-minute step, begun
    started_id = _confirmed(flask_app, child_id, guardian_id, started, started + timedelta(hours=2))
    later = started + timedelta(days=2)
    later_id = _confirmed(flask_app, child_id, guardian_id, later, later + timedelta(hours=2))
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, app_url, email, f"/family?lang={lang}")
        steps.ready(page)
        said = SAID[lang]
        begun = page.locator(f"#booking-{started_id}")
        begun.locator(".cancel-closed a.call").wait_for()
        assert begun.locator("button", has_text=said["cancel"]).count() == 0
        line = begun.locator(".cancel-closed")
        assert line.inner_text().startswith(said["closed"]), line.inner_text()
        call = line.locator("a.call")
        assert call.inner_text().startswith(said["call"]) and call.get_attribute("href").startswith("tel:")
        coming = page.locator(f"#booking-{later_id}")
        assert coming.locator("button", has_text=said["cancel"]).count() == 1
        assert coming.locator(".cancel-closed").count() == 0
        assert f"{said['reference']} {booking_reference(later_id)}" in coming.inner_text()
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"family-cancel-closed-{lang}.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
