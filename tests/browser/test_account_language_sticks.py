"""Tester 27, findings 1 and 6, on a phone (390x844) whose browser asks for Korean (ko-KR).

1. The language chosen on /account sticks: the parent chooses English; /family opened from a
   bookmark (no ``?lang``) comes in English and its scripts leave the choice alone; a page
   opened in Korean by a link shows Korean and leaves it alone too; signing out and in again on
   the sign-in page in the phone's own Korean goes on in the chosen English (tester 28).
6. /account links each role to its pages first, above the language form: an admin sees the
   unmatched-requests queue without scrolling and opens it with one tap (Korean and English).
"""

from __future__ import annotations

import secrets

from app.pages import account_sessions as people

from .care_steps import PASSWORD, fits, guardian, phone, ready, script_errors, sign_in


def test_english_chosen_on_a_korean_phone_sticks(browser, live, artifacts):
    flask_app, app_url = live["flask_app"], live["app"]
    store = people.accounts(flask_app)
    email, user_id = guardian(flask_app)
    store.set_language(user_id, "ko")  # as if signed up on a Korean page
    context, page, errors = phone(browser, live, "ko-KR")
    sign_in(page, app_url, email, "/account?lang=ko")
    page.select_option("#message-language select", "en")
    page.tap("#message-language button[type=submit]")
    page.wait_for_selector("#language-saved")
    assert store.saved_language(user_id) == "en"

    page.goto(f"{app_url}/family")  # a bookmark or home-screen icon: no ?lang
    ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    page.wait_for_load_state("networkidle")  # the page's own calls (consents, bookings) done
    assert store.saved_language(user_id) == "en"
    fits(page)

    page.goto(f"{app_url}/account")
    assert page.locator("#message-language select").input_value() == "en"
    assert "only this form does" in page.locator("#message-language small").inner_text()
    fits(page)
    page.screenshot(path=str(artifacts / "account-language-sticks-en-phone.png"), full_page=True)

    page.goto(f"{app_url}/family?lang=ko")  # a link in Korean
    ready(page)
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.wait_for_load_state("networkidle")
    assert store.saved_language(user_id) == "en"

    # Signed out, then in again on the Korean sign-in page.
    page.goto(f"{app_url}/account?lang=ko")
    page.tap("#sign-out button[type=submit]")
    page.wait_for_url("**/account/sign-in?**")
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.tap("#sign-in button[type=submit]")
    page.wait_for_url("**/account?lang=en")
    assert page.locator("#message-language select").input_value() == "en"
    assert "only this form does" in page.locator("#message-language small").inner_text()
    assert store.saved_language(user_id) == "en"
    fits(page)
    page.screenshot(path=str(artifacts / "account-language-sticks-ko-phone.png"), full_page=True)
    assert script_errors(errors) == [], errors
    context.close()


def test_an_admin_finds_the_queue_first_on_the_account_page(browser, live, artifacts):
    flask_app, app_url = live["flask_app"], live["app"]
    email = f"ops-{secrets.token_hex(4)}@example.com"
    people.accounts(flask_app).sign_up(email, PASSWORD, role="admin")
    for lang, label in (("ko", "연결되지 않은 긴급돌봄 요청"), ("en", "Unmatched emergency requests")):
        context, page, errors = phone(browser, live, "ko-KR" if lang == "ko" else "en-US")
        sign_in(page, app_url, email, f"/account?lang={lang}")
        link = page.locator("#link-queue")
        box, form = link.bounding_box(), page.locator("#message-language").bounding_box()
        assert box is not None and form is not None and box["y"] + box["height"] <= 844, box  # no scrolling
        assert box["y"] < form["y"], (box, form)  # above the language form
        assert label in link.inner_text(), link.inner_text()
        fits(page)
        page.screenshot(path=str(artifacts / f"account-admin-links-{lang}-phone.png"), full_page=True)
        link.tap()
        page.wait_for_url(f"**/admin/care-requests?lang={lang}")
        assert script_errors(errors) == [], errors
        context.close()
