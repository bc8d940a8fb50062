"""Tester pass 24, finding 5, on phones (390x844): the consent text promises the guardian can see
who read the child's record, when and why. The centre's staff open the child of a booking in the
inbox; the parent's /family then lists that read (in Korean and in English) with the centre's
name, the reader's role and the purpose, and never the staff member's e-mail."""

from __future__ import annotations

import pytest

from . import care_steps as steps
from .test_family_pages import CENTRE, _tomorrow

pytestmark = pytest.mark.browser


def test_the_parent_sees_on_family_that_the_centre_read_the_childs_record(browser, live, artifacts):
    app_url, flask_app = live["app"], live["flask_app"]
    centre_name = flask_app.extensions["dolbom_registry"].index.by_id[CENTRE].name
    staff_email = steps.staff_account(flask_app, CENTRE)
    desk_context, desk, desk_errors = steps.phone(browser, live, "en-US")
    family_context, family, family_errors = steps.phone(browser, live, "ko-KR")
    try:
        steps.sign_in(desk, app_url, staff_email, "/provider/inbox?lang=en")
        steps.ready(desk)
        steps.open_places(desk)

        steps.sign_up(family, app_url, "ko", "/family?lang=ko")
        family.wait_for_url("**/family?lang=ko")
        steps.ready(family)
        family.locator("#access-log-note", has_text="아직 아이 정보를 열람한 기록이 없습니다").wait_for()
        steps.register_child(family, "하준", "최", "2017-05-05", "최수빈", "010-5678-1234")
        family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                    f"&start={_tomorrow(18)}&end={_tomorrow(21)}&lang=ko")
        item = steps.book_for_the_desk(family, desk)
        item.locator(".child-detail button").tap()
        item.locator(".child-detail dl").wait_for()

        family.goto(f"{app_url}/family?lang=ko")
        steps.ready(family)
        read = family.locator("#access-log li").first
        read.wait_for()
        text = read.inner_text()
        assert family.locator("#access-log li").count() == 1, family.inner_text("#access-log")
        for expected in ("하준", centre_name, "기관 담당자", "예약된 돌봄 제공"):
            assert expected in text, (expected, text)
        assert staff_email not in family.content()
        assert family.locator("#access-log-note").is_hidden()
        steps.fits(family)
        steps.accessible(family)
        family.screenshot(path=str(artifacts / "family-access-log-phone.png"), full_page=True)

        family.goto(f"{app_url}/family?lang=en")
        read = family.locator("#access-log li").first
        read.wait_for()
        for expected in ("하준", centre_name, "Provider staff", "Giving the booked care"):
            assert expected in read.inner_text(), (expected, read.inner_text())
        assert desk_errors == [] and family_errors == []
    finally:
        desk_context.close()
        family_context.close()
