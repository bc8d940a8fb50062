"""Tester 30, finding 6, in Chromium on a phone (390x844), Korean and English: the provider's
staff cancel a family's booking with a reason (a common one by its code, or their own words);
the family's /family card says the provider cancelled it, shows the reason (a common one in the
family's language, their words as typed) and offers the next providers, as a decline does. A
booking the family cancelled themselves still reads only 취소됨 / Cancelled. The booking page,
following the booking, says the same."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00001"  # 사랑지역아동센터 (수원), runs 초등 시설형 긴급돌봄, 13:00-22:00
TYPED = "Our boiler broke: we are closed tomorrow"
CANCEL = """([id, body]) => fetch('/api/v1/bookings/' + id + '/cancel', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json',
              'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
    body: JSON.stringify(body)}).then((r) => r.status)"""


def _tomorrow(hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hh:02d}:00"


@pytest.mark.parametrize(("lang", "locale", "reason", "shown", "by_provider", "cancelled", "next_providers"), [
    ("ko", "ko-KR", {"reason_code": "closed"}, "사유: 그 시간에는 운영하지 않습니다", "기관이 취소함", "취소됨",
     "다른 기관 찾기"),
    ("en", "en-US", {"reason": TYPED}, f"Reason: {TYPED}", "Cancelled by the provider", "Cancelled",
     "See the next providers"),
])
def test_a_booking_the_provider_cancelled_says_so_with_the_reason_and_the_next_providers(
        browser, live, lang, locale, reason, shown, by_provider, cancelled, next_providers):
    app_url, flask_app = live["app"], live["flask_app"]
    desk_context, desk, desk_errors = steps.phone(browser, live, "ko-KR")
    steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=ko")
    steps.ready(desk)
    steps.publish_places(flask_app, CENTRE, "elementary_emergency")

    context, family, errors = steps.phone(browser, live, locale)
    steps.family_with(family, app_url, lang, [("민준", datetime(2017, 5, 5).date())])
    ids = []
    for start, end in ((18, 20), (14, 16)):
        family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                    f"&start={_tomorrow(start)}&end={_tomorrow(end)}&lang={lang}")
        steps.ready(family)
        steps.book(family)
        family.locator("#booking-state[data-status=requested]").wait_for()
        ids.append(family.evaluate("""() => fetch('/api/v1/bookings', {credentials: 'same-origin'})
            .then((r) => r.json()).then((b) => b.bookings.find((x) => x.status === 'requested').id)"""))
        if start == 18:  # the family cancels this one themselves
            assert family.evaluate(CANCEL, [ids[-1], {}]) == 200
    # the staff cancel the other, with a reason, while the family's booking page follows it
    assert desk.evaluate(CANCEL, [ids[1], reason]) == 200
    state = family.locator("#booking-state[data-status=cancelled]")
    state.locator(".badge", has_text=by_provider).wait_for(timeout=5000)
    assert shown in state.inner_text() and state.locator("#next-providers").is_visible()

    family.goto(f"{app_url}/family?lang={lang}")
    steps.ready(family)
    card = family.locator(f"#booking-{ids[1]}")
    card.locator(".badge", has_text=by_provider).wait_for(timeout=5000)
    card.locator(".decline-reason", has_text=shown).wait_for()
    link = card.locator("a.button", has_text=next_providers)
    assert link.is_visible() and f"skip={CENTRE}" in (link.get_attribute("href") or ""), link.get_attribute("href")
    own = family.locator(f"#booking-{ids[0]}")
    assert own.locator(".badge").inner_text() == cancelled
    assert own.locator(".decline-reason").count() == 0 and own.locator("a.button").count() == 0
    steps.fits(family)
    assert steps.script_errors(errors) == [] and steps.script_errors(desk_errors) == []
    context.close()
    desk_context.close()


CONFIRM = """([id]) => fetch('/api/v1/bookings/' + id, {credentials: 'same-origin'}).then((r) => r.json())
    .then((b) => fetch('/api/v1/bookings/' + id + '/confirm', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json',
                'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
      body: JSON.stringify({version: b.version})})).then((r) => r.status)"""
CANCEL_TEXTS = {"ko": ("예약 취소", "취소 사유 (가족에게 전해집니다)", "그 시간에는 운영하지 않습니다",
                       "예약을 취소했습니다."),
                "en": ("Cancel the booking", "Why cancel (the family is told)", "We are closed at that time",
                       "Booking cancelled.")}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_staff_cancel_a_booking_on_the_day_list_with_a_reason(browser, live, lang):
    """Tester 30 (helper N's note): staff could cancel only through the API. The day list's card
    of a confirmed booking has 예약 취소: a reason is required (a common one or typed), the
    family is told it (their card says the provider cancelled, with the reason)."""
    app_url, flask_app = live["app"], live["flask_app"]
    button, legend, preset, done = CANCEL_TEXTS[lang]
    locale = "ko-KR" if lang == "ko" else "en-US"
    steps.publish_places(flask_app, CENTRE, "elementary_emergency")
    context, family, errors = steps.phone(browser, live, locale)
    steps.family_with(family, app_url, lang, [("하은", datetime(2017, 6, 6).date())])
    family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                f"&start={_tomorrow(16)}&end={_tomorrow(17)}&lang={lang}")
    steps.ready(family)
    steps.book(family)
    family.locator("#booking-state[data-status=requested]").wait_for()
    booking_id = family.evaluate("""() => fetch('/api/v1/bookings', {credentials: 'same-origin'})
        .then((r) => r.json()).then((b) => b.bookings.find((x) => x.status === 'requested').id)""")

    desk_context, desk, desk_errors = steps.phone(browser, live, locale)
    steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
    steps.ready(desk)
    assert desk.evaluate(CONFIRM, [booking_id]) == 200
    desk.select_option("#day-pick", _tomorrow(16)[:10])
    card = desk.locator(f"#today li[data-id='{booking_id}']")
    card.wait_for(timeout=5000)
    card.locator("button[data-action=cancel]", has_text=button).click()
    box = card.locator(".decline")
    assert legend in box.inner_text()
    box.locator("button[data-action=cancel-send]").click()  # no reason yet: asked for one, nothing sent
    assert box.locator(".error").inner_text() != ""
    assert family.evaluate(f"() => fetch('/api/v1/bookings/{booking_id}').then((r) => r.json())"
                           ".then((b) => b.status)") == "accepted"
    box.get_by_label(preset).check()
    steps.fits(desk)
    box.locator("button[data-action=cancel-send]").click()
    desk.locator("#inbox-status", has_text=done).wait_for(timeout=5000)
    # the family's /family card (the booking page stops following a booking once it is confirmed)
    family.goto(f"{app_url}/family?lang={lang}")
    steps.ready(family)
    card = family.locator(f"#booking-{booking_id}")
    card.locator(".decline-reason", has_text=preset).wait_for(timeout=5000)
    assert steps.script_errors(errors) == [] and steps.script_errors(desk_errors) == []
    context.close()
    desk_context.close()
