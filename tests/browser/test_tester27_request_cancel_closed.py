"""Tester 27, finding 3 (remainder), on a phone (390x844) in Korean and English: on /family a
matched emergency request's card dropped its cancel button once the care started (the API's
allowed_actions: the family's cutoff, app/reference/booking_rules.json) without a word. Now it
says why, as the booking's card does, with the provider's phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.engine import bookings
from app.db.request_tables import care_requests

from . import care_steps as steps
from .test_family_cancel_cutoff import SAID
from .test_family_live_states import _family, _matched, _staff
from .test_signed_out_live_pages import LOCALE

pytestmark = pytest.mark.browser


def _matched_started(flask_app, guardian_id: str, child_id: str, staff_id: str) -> str:
    """An emergency request at the centre accepted by its staff (for a day ahead, when the
    centre is open), then moved, with its booking, to a 2-hour window begun 15-30 minutes ago
    (no place opens at night, when the tests may run): its id."""
    request_id, booking_id, _start = _matched(flask_app, guardian_id, child_id, 1, staff_id)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=now.minute % 15 + 15)  # on the 15-minute step, begun
    window = {"window_start": start, "window_end": start + timedelta(hours=2)}
    with flask_app.extensions["dolbom_db"].begin() as conn:
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(**window))
        conn.execute(care_requests.update().where(care_requests.c.id == request_id).values(**window))
    return request_id


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_started_matched_request_says_why_it_has_no_cancel(browser, live, artifacts, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email, guardian_id, child_id = _family(flask_app)
    request_id = _matched_started(flask_app, guardian_id, child_id, _staff(flask_app))
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, app_url, email, f"/family?lang={lang}")
        steps.ready(page)
        said = SAID[lang]
        card = page.locator(f".card.request[data-id='{request_id}']")
        card.locator(".cancel-closed a.call").wait_for(timeout=5000)
        assert card.get_attribute("data-status") == "accepted"
        assert card.locator("button[data-action=cancel]").count() == 0
        line = card.locator(".cancel-closed")
        assert line.inner_text().startswith(said["closed"]), line.inner_text()
        call = line.locator("a.call")
        assert call.inner_text().startswith(said["call"]) and call.get_attribute("href").startswith("tel:")
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"family-request-cancel-closed-{lang}.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
