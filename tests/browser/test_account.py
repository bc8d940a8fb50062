"""The account pages in Chromium on a phone: sign up, sign out, sign in again (each form with
its CSRF token, the session cookie HttpOnly and SameSite=Lax), the pages fit the screen and
have no serious accessibility violations."""

from __future__ import annotations

import secrets

PASSWORD = "correct horse battery"


def _phone(browser):
    return browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                               locale="ko-KR")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("form button[type=submit]", "form input[type=email]"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360


def test_sign_up_sign_out_and_sign_in_on_a_phone(browser, live, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    email = f"mom-{secrets.token_hex(4)}@example.com"
    context = _phone(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(live["app"] + "/account/sign-up")
    _fits(page)
    serious = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]
    page.screenshot(path=str(artifacts / "account-sign-up-phone.png"), full_page=True)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.tap("#sign-up button[type=submit]")
    page.wait_for_url("**/account?lang=ko")
    assert email in page.locator("#account").inner_text()
    cookie = next(c for c in context.cookies() if c["name"] == "dolbom_account")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.tap("#sign-out button[type=submit]")
    page.wait_for_url("**/account/sign-in?**")
    assert "로그아웃했습니다" in page.content()
    page.goto(live["app"] + "/account")  # signed out: sent to the sign-in page, coming back after
    page.wait_for_url("**/account/sign-in?**")
    _fits(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not the password")
    page.tap("#sign-in button[type=submit]")
    assert "이메일 또는 비밀번호가 맞지 않습니다" in page.locator("#account-error").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.tap("#sign-in button[type=submit]")
    page.wait_for_url(live["app"] + "/account")  # back where the sign-in page was asked for
    assert email in page.locator("#account").inner_text()
    page.screenshot(path=str(artifacts / "account-phone.png"), full_page=True)
    assert errors == []
    context.close()
