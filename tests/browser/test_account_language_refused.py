"""/account's language form on a phone, Korean and English: a value other than ko or en (a form
altered in the browser, or an old page) is answered with a page in the page's language that
names the value sent and the allowed ones, with a link back to the account; the account's
language is unchanged. The right value is then saved as before."""

from __future__ import annotations

from .care_steps import PASSWORD, fits, guardian, phone, script_errors

WORDS = {"ko": ("알림 언어는 ko, en 중 하나만 고를 수 있습니다", "보낸 값: 'fr'"),
         "en": ("Messages can be sent in ko, en only", "sent: 'fr'")}


def test_an_unknown_language_is_a_page_naming_the_allowed_ones(browser, live, artifacts):
    flask_app = live["flask_app"]
    for lang, (allowed, sent) in WORDS.items():
        email, _ = guardian(flask_app)
        context, page, errors = phone(browser, live, "ko-KR" if lang == "ko" else "en-US")
        page.goto(f"{live['app']}/account/sign-in?lang={lang}")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.tap("#sign-in button[type=submit]")
        page.wait_for_url("**/account?lang=" + lang)
        saved = page.locator("#message-language select").input_value()  # never chosen: Korean
        # The form altered in the browser: its first choice now says "fr".
        page.evaluate("document.querySelector('#message-language select option').value = 'fr'")
        page.select_option("#message-language select", index=0)
        page.tap("#message-language button[type=submit]")
        page.wait_for_selector("#account-message")
        text = page.locator("#account-message").inner_text()
        assert allowed in text and sent in text, text
        fits(page)
        page.screenshot(path=str(artifacts / f"account-language-refused-{lang}-phone.png"), full_page=True)
        page.locator(f"a[href='/account?lang={lang}']").tap()
        page.wait_for_url("**/account?lang=" + lang)
        assert page.locator("#message-language select").input_value() == saved  # unchanged
        other = "en" if saved == "ko" else "ko"
        page.select_option("#message-language select", other)
        page.tap("#message-language button[type=submit]")
        page.wait_for_selector("#language-saved")
        assert page.locator("#message-language select").input_value() == other
        assert script_errors(errors) == [], errors  # the refused form's 400 is expected
        context.close()
