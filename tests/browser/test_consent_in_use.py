"""Tester 25's finding 15 on a phone, in Korean and English: the withdraw question for 아동 정보
수집·이용 동의 (child_registration) while children are registered offers no "withdraw" (the API
would refuse it): it says why and points to the children's list and to deleting the family's
data; once no child is registered, withdrawing is offered as for any consent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for

from . import care_steps as steps
from .test_pages import wait_until

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
LOCALE = {"ko": "ko-KR", "en": "en-US"}
SAID = {"ko": {"in_use": "등록된 아이가 1명 있어 이 동의는 지금 철회할 수 없습니다", "children": "아이 목록으로",
               "delete_all": "가족 정보 모두 지우기", "means": "철회하면 아이를 등록하거나"},
        "en": {"in_use": "This consent cannot be withdrawn while children are registered",
               "children": "Go to the children", "delete_all": "Delete all my family's data",
               "means": "Withdrawing means you can no longer register"}}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_child_registration_in_use_is_not_offered_for_withdrawal(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    said = SAID[lang]
    try:
        steps.sign_up(page, live["app"], lang, f"/family?lang={lang}")
        page.wait_for_url(f"**/family?lang={lang}")
        steps.ready(page)
        today = datetime.now(SEOUL).date()
        steps.register_child(page, "서준", "김", birth_date_for(8, today).isoformat(), "김하늘", "010-0000-0000")
        registration = page.locator("#consent-list li[data-purpose=child_registration][data-state=given]")
        registration.wait_for()
        registration.locator("button.withdraw").tap()
        ask = registration.locator(".ask")
        ask.wait_for()
        assert said["in_use"] in ask.locator(".means").inner_text()
        assert registration.locator("button.withdraw-yes").is_hidden()  # was "철회합니다", then refused
        links = ask.locator(".in-use-links a")
        assert links.all_inner_texts() == [said["children"], said["delete_all"]]
        assert [links.nth(i).get_attribute("href") for i in range(2)] == ["#children-title", "#delete-all"]
        steps.fits(page)
        page.screenshot(path=f"tests/artifacts/consent-in-use-{lang}.png")
        links.nth(1).tap()
        assert page.locator("#delete-all").is_visible()
        ask.locator("button:not(.withdraw-yes)").tap()  # close
        assert ask.is_hidden()

        # no child any more: withdrawing is offered
        child = page.locator("#children li.child")
        child.locator(".confirm > button.danger-outline").tap()
        child.locator(".ask button.danger").tap()
        wait_until(page, "document.body.dataset.children === '0'")
        registration.locator("button.withdraw").tap()
        assert said["means"] in ask.locator(".means").inner_text()
        assert registration.locator("button.withdraw-yes").is_visible()
        assert ask.locator(".in-use-links").is_hidden()
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()
