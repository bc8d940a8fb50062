"""Withdrawing a consent is as easy as giving it (개인정보 보호법), on phones (390x844), in Korean
and English: /family's consents section lists each purpose as given (text version, date), says
before a withdrawal what it means, shows the API's refusal for child_registration while a child
is registered, and after share_with_provider is withdrawn names the family's live booking it
affects (provider, child, window), shows the consent withdrawn, and gives it again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.care.children import consent_version

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL, _tomorrow

pytestmark = pytest.mark.browser

SAYS = {
    "ko": {"given": "동의함", "withdrawn": "철회함", "means": "더 이상 볼 수 없습니다",
           "refused": "이 동의는 지금 철회할 수 없습니다", "affected": "영향을 받는 진행 중인 예약 1건",
           "again": "동의했습니다"},
    "en": {"given": "Consented on", "withdrawn": "Withdrawn on", "means": "no longer see your child's details",
           "refused": "cannot be withdrawn", "affected": "Live bookings this affects (1)",
           "again": "You consented to"},
}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_family_with_a_booking_withdraws_sharing_sees_the_booking_and_gives_it_again(browser, live, artifacts,
                                                                                         lang):
    app_url, flask_app = live["app"], live["flask_app"]
    says = SAYS[lang]
    centre_name = flask_app.extensions["dolbom_registry"].index.by_id[CENTRE].name
    desk_context, desk, desk_errors = steps.phone(browser, live, "en-US")
    family_context, family, family_errors = steps.phone(browser, live, "ko-KR" if lang == "ko" else "en-US")
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=en")
        steps.ready(desk)
        steps.open_places(desk)

        steps.sign_up(family, app_url, lang, f"/family?lang={lang}")
        family.wait_for_url(f"**/family?lang={lang}")
        steps.ready(family)
        consents = family.locator("#consent-list li.consent-item")
        consents.first.wait_for()
        assert consents.count() == 3
        assert family.locator("#consent-list li[data-state=given]").count() == 0
        steps.register_child(family, "하준", "최", "2017-05-05", "최수빈", "010-5678-1234")
        # the section reads the consents the child form just recorded
        sharing = family.locator("#consent-list li[data-purpose=share_with_provider]")
        family.locator("#consent-list li[data-purpose=share_with_provider][data-state=given]").wait_for()
        today = datetime.now(SEOUL).date().isoformat()
        state = sharing.locator(".consent-state").inner_text()
        assert says["given"] in state and consent_version("share_with_provider") in state and today in state, state

        family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                    f"&start={_tomorrow(18)}&end={_tomorrow(21)}&lang={lang}")
        steps.book_for_the_desk(family, desk)
        family.goto(f"{app_url}/family?lang={lang}")
        steps.ready(family)

        # child_registration while a child is registered: not offered, the question says why
        # (test_consent_in_use_and_places.py has the rest)
        registration = family.locator("#consent-list li[data-purpose=child_registration][data-state=given]")
        registration.locator("button.withdraw").tap()
        assert registration.locator("button.withdraw-yes").is_hidden()
        assert says["refused"] in registration.locator(".means").inner_text()
        registration.locator(".ask button:not(.withdraw-yes)").tap()

        # the child form, open while the consent is withdrawn, follows: its box is no longer ticked
        family.locator("#add-child").tap()
        form_box = family.locator("#consents .consent[data-purpose=share_with_provider] input[type=checkbox]")
        assert form_box.is_checked() and form_box.is_disabled()
        sharing = family.locator("#consent-list li[data-purpose=share_with_provider][data-state=given]")
        sharing.locator("button.withdraw").tap()
        assert says["means"] in sharing.locator(".ask .means").inner_text()
        steps.fits(family)
        sharing.locator("button.withdraw-yes").tap()
        withdrawn = family.locator("#consent-list li[data-purpose=share_with_provider][data-state=withdrawn]")
        withdrawn.wait_for()
        assert says["withdrawn"] in withdrawn.locator(".consent-state").inner_text()
        family.wait_for_function("""() => {
          const box = document.querySelector('#consents .consent[data-purpose=share_with_provider] input');
          return box && !box.checked && !box.disabled; }""", timeout=5000)
        family.locator("#child-cancel").tap()
        result = family.locator("#consent-result")
        assert says["affected"] in result.inner_text(), result.inner_text()
        affected = result.locator(".affected-bookings li")
        assert affected.count() == 1
        tomorrow = (datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()
        for expected in (centre_name, "하준", f"{tomorrow} 18:00–21:00"):
            assert expected in affected.inner_text(), (expected, affected.inner_text())
        steps.fits(family)
        steps.accessible(family)
        family.screenshot(path=str(artifacts / f"family-consent-withdrawn-{lang}-phone.png"), full_page=True)

        withdrawn.locator("button.give").tap()
        family.locator("#consent-list li[data-purpose=share_with_provider][data-state=given]").wait_for()
        assert says["again"] in result.inner_text()
        # the refused withdrawal's 409 is the browser's console line for the answer the page explains
        assert desk_errors == [] and [e for e in family_errors if "status of 409" not in e] == []
    finally:
        desk_context.close()
        family_context.close()
