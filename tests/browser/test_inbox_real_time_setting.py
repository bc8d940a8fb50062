"""Tester 31, N1: a 언제나 어린이집 books in real time (booking_rules.json), so the inbox's
"automatic confirmation" switch did nothing there while saying it would. A provider with only
real-time programmes is told its bookings are confirmed at once, with no switch; a centre
(bookings wait for its answer) keeps the switch — on a phone, in Korean and English."""

from __future__ import annotations

import pytest

from . import care_steps as steps
from .test_family_pages import CENTRE, DAYCARE

pytestmark = pytest.mark.browser

SAID = {"ko": ("ko-KR", "언제나 어린이집 예약은 실시간 예약이라 언제나 바로 확정됩니다."),
        "en": ("en-US", "Always-open daycare books in real time: every booking is confirmed at once")}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_real_time_provider_has_no_automatic_confirmation_switch(browser, live, lang):
    locale, note = SAID[lang]
    flask_app, app_url = live["flask_app"], live["app"]
    context, desk, errors = steps.phone(browser, live, locale)
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, DAYCARE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        assert desk.locator("#auto-confirm").count() == 0
        assert note in desk.inner_text("#real-time-note")
        steps.fits(desk)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
    context, desk, errors = steps.phone(browser, live, locale)
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        assert desk.locator("#auto-confirm").count() == 1
        assert desk.locator("#real-time-note").count() == 0
        assert steps.script_errors(errors) == []
    finally:
        context.close()
