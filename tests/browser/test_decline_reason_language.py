"""Tester 28, finding 7 ("Decline reasons"), in Chromium on a phone (390x844): staff on the English
inbox decline with a common reason ("We are full"); it is sent and stored as its code, so the
family, whose pages are in Korean, reads 정원이 찼습니다 in Korean."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00001"  # 사랑지역아동센터 (수원), runs 초등 시설형 긴급돌봄, 13:00-22:00


def _tomorrow(hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hh:02d}:00"


def test_an_english_desks_common_reason_reaches_a_korean_family_in_korean(browser, live):
    app_url, flask_app = live["app"], live["flask_app"]
    desk_context, desk, desk_errors = steps.phone(browser, live, "en-US")
    steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=en")
    steps.ready(desk)
    steps.open_places(desk)

    family_context, family, family_errors = steps.phone(browser, live, "ko-KR")
    steps.sign_up(family, app_url, "ko", "/family?lang=ko")
    family.wait_for_url("**/family?lang=ko")
    steps.ready(family)
    steps.register_child(family, "민준", "김", "2017-05-05", "김지연", "010-3456-7890")
    family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                f"&start={_tomorrow(15)}&end={_tomorrow(17)}&lang=ko")
    item = steps.book_for_the_desk(family, desk)
    item.locator("button[data-action=decline]").tap()
    item.locator(".decline input[type=radio][value=full]").check()  # sent by its code
    assert "We are full" in item.locator(".decline label.choice").first.inner_text()
    item.locator(".decline button.danger").tap()
    desk.locator("#inbox-status", has_text="Booking declined").wait_for()
    declined = family.locator("#booking-state[data-status=rejected]")
    declined.wait_for(timeout=5000)
    family.locator("#booking-state", has_text="사유: 정원이 찼습니다").wait_for(timeout=5000)
    assert "We are full" not in declined.inner_text()
    assert desk_errors == [] and family_errors == []
    desk_context.close()
    family_context.close()
