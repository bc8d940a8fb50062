"""Tester 28, section 6, on a phone (390x844), in Korean and English: the child form said its
problems in stages, one group per tap (the empty fields; then the birth date and the phone;
then the consent). One tap now says every problem it can see — the empty fields, a birth date in
the future, a phone that cannot be one and the consent not ticked — each field marked invalid,
nothing sent. What only the server can tell (a birth date 18 years back or more, a mobile
number one digit short) comes back from it all at once too (its ``errors``), each said in the
page's language."""

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
SAYS = {
    "ko": {"missing": "다음 항목을 채워 주세요", "future": "생년월일이 미래 날짜입니다",
           "phone": "국내 전화번호로 적어 주세요", "consent": "아이 정보 수집·이용에 동의해야 합니다"},
    "en": {"missing": "Fill in:", "future": "The birth date is in the future", "phone": "as a Korean phone number",
           "consent": "needs the consent to collecting and using"},
}
MARKED = ("relation", "emergency_contact_name", "birth_date", "emergency_contact_phone")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_child_form_names_every_problem_in_one_tap(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.family_page(page, live["app"], lang)
        steps.open_child_form(page, "서준", "김", "2030-01-01")  # relation and the contact's name left empty
        page.fill("input[name=emergency_contact_phone]", "12ab")  # no consent ticked
        text, sent = steps.child_form_refused(page)
        for what in ("missing", "future", "phone", "consent"):
            assert SAYS[lang][what] in text, (what, text)
        assert len([line for line in text.splitlines() if line.strip()]) == 4, text  # one line each
        for name in MARKED:
            assert page.get_attribute(f"[name={name}]", "aria-invalid") == "true", name
        assert page.get_attribute("#consents input[value=child_registration]", "aria-invalid") == "true"
        assert sent == []  # nothing sent that the server would refuse
        steps.fits(page)

        # What only the server can tell, all in one answer: a birth date 18 years back or more, a
        # mobile number one digit short.
        page.fill("input[name=birth_date]", "1990-01-01")
        page.select_option("select[name=relation]", "mother")
        page.fill("input[name=emergency_contact_name]", "김하늘")
        page.fill("input[name=emergency_contact_phone]", "010-123-4567")
        for purpose in steps.BOOKING_CONSENTS:
            page.locator(f"#consents input[value={purpose}]").check()
        with page.expect_response(lambda r: r.url.endswith("/api/v1/children") and r.request.method == "POST"):
            page.tap("#child-form button[type=submit]")
        wait_until(page, "document.querySelector('#child-form-error').textContent.trim() !== ''")
        text = page.locator("#child-form-error").inner_text()
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 2 and SAYS[lang]["phone"] in lines[1], text
        assert "birth_date" not in text and "emergency_contact_phone" not in text, text  # the page's words
        assert page.get_attribute("input[name=birth_date]", "aria-invalid") == "true"
        assert page.get_attribute("input[name=emergency_contact_phone]", "aria-invalid") == "true"

        # fixed: the child is registered
        steps.register_fixed_child(page, "서준", birth_date_for(8, datetime.now(SEOUL).date()).isoformat(),
                                   "010-1234-5678")
        assert steps.script_errors(errors) == []
    finally:
        context.close()
