"""Tester 28, section 7 "Sign-up": with the browser's checks bypassed, the server named one
problem at a time (the two passwords differing only, not the bad e-mail nor the short
password); it now names them all at once, in the page's language. And a password containing
the e-mail (``a@b.kr1234`` for ``a@b.kr``), or its part before the @ when that has 3 or more
characters, is refused with its own message, though the hint said "not your e-mail address"."""

from __future__ import annotations

import html

import pytest

from app.care.accounts import password_problems
from tests.pages.conftest import app, clock, form_post, make_app  # noqa: F401  (fixtures)

SAYS = {"ko": ("이메일은 name@example.com", "10자 이상", "두 비밀번호가 다릅니다",
               "이메일 주소(또는 @ 앞부분)가 들어가면"),
        "en": ("name@example.com", "at least 10 characters", "The two passwords differ",
               "must not contain your e-mail address")}


def _sign_up(app, lang: str, email: str, password: str, again: str):  # noqa: F811
    client = app.test_client()
    return form_post(client, f"/account/sign-up?lang={lang}",
                     {"email": email, "password": password, "password_again": again})


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_sign_up_problem_is_named_at_once(app, lang):  # noqa: F811
    bad_email, short, differ, contains = SAYS[lang]
    r = _sign_up(app, lang, "not-an-email", "short", "other")
    assert r.status_code == 400
    text = html.unescape(r.get_data(as_text=True))
    assert bad_email in text and short in text and differ in text, text
    r = _sign_up(app, lang, "a@b.kr", "a@b.kr1234", "a@b.kr1234")
    assert r.status_code == 400
    assert contains in html.unescape(r.get_data(as_text=True))


def test_a_password_containing_the_e_mail_or_its_local_part_is_refused():
    def reasons(password: str, email: str) -> list[str | None]:
        return [p.reason for p in password_problems(password, email)]

    assert reasons("a@b.kr1234", "a@b.kr") == ["contains_email"]
    assert reasons("XXmom28yy!!", "mom28@example.com") == ["contains_email"]  # the local part, any case
    assert reasons("ab-horse-battery", "ab@example.com") == []  # a 2-character local part is not refused
    assert reasons("short", "mom@example.com") == ["too_short"]
    assert reasons("correct horse battery", "mom@example.com") == []
