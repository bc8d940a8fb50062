"""On a phone, in Korean and English: an emergency request whose eligible centres are all too
far (app/reference/offer_reach.json) goes at once to people who will call, and both the family's
request page and the call-centre queue say why. The home is in 가평군 (a 군: 20 km limit); the
nearest 초등 시설형 긴급돌봄 centre of the demo registry is in 남양주, about 31 km away."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
HOME = "37.8300|127.5100|가평읍"
LOCALE = {"ko": "ko-KR", "en": "en-US"}
SAID = {"ko": ("20km 안에 지금 맡을 수 있는 기관이 없어", "사유: 20km 안에 맡을 수 있는 기관 없음"),
        "en": ("No provider within 20 km can take your child now", "Why: no provider within 20 km")}


def _at(hh: int) -> str:
    return f"{(datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()}T{hh:02d}:00"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_centre_within_reach_is_passed_to_people_and_says_so(browser, live, lang):
    contexts = []
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    contexts.append(context)
    try:
        steps.family_with(page, live["app"], lang, [("서준", birth_date_for(8, datetime.now(SEOUL).date()))])
        page.goto(f"{live['app']}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
                  f"&start={_at(19)}&end={_at(21)}")
        steps.ready(page)
        page.tap("#request-button")
        page.locator("#request-state[data-status=unmatched]").wait_for()
        assert SAID[lang][0] in page.inner_text("#request-state")
        steps.fits(page)
        request_id = page.get_attribute("#request-state .request", "data-id")

        admin_context, admin, admin_errors = steps.phone(browser, live, LOCALE[lang])
        contexts.append(admin_context)
        queued = steps.admin_queue_item(admin, live["app"], live["flask_app"], lang, request_id)
        assert SAID[lang][1] in queued.inner_text()
        steps.fits(admin)
        assert steps.script_errors(errors) == [] and steps.script_errors(admin_errors) == []
    finally:
        for c in contexts:
            c.close()
