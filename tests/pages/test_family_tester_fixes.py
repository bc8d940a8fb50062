"""What a tester of the family pages met, seen without a browser (the browser side is
tests/browser/test_family_tester_fixes.py):

- ``/family/book?programme=xx`` (no such programme, or one the provider does not book online)
  is one clear sentence naming the programmes that can be booked there, not "runs none … runs: X";
- the booking page carries the ages the programme takes at the provider (its script preselects a
  child of those ages and says why another is not eligible);
- the child form's relation has no default: an empty first choice, required;
- the password-reset page does not say "sent" when the site cannot send e-mail (the demo): it
  says the link was not sent, the same whether or not the e-mail has an account."""

from __future__ import annotations

from tests.pages.conftest import app, clock, form_post, make_app, sign_up  # noqa: F401  (fixtures)
from tests.pages.test_family_pages import CENTRE, DAYCARE, guardian_client, page_config


def test_an_unknown_programme_is_one_message_naming_the_bookable_ones(app):  # noqa: F811
    client = guardian_client(app)
    for lang, asked, runs in (("ko", "‘xx’", "초등 시설형 긴급돌봄"), ("en", "‘xx’", "Elementary emergency care")):
        r = client.get(f"/family/book?facility_id={CENTRE}&programme=xx&lang={lang}")
        assert r.status_code == 404
        text = r.get_data(as_text=True)
        assert asked in text and runs in text
        assert "운영하지 않습니다" not in text and "runs no care" not in text  # not "none … it runs: X"
        assert "programme=elementary_emergency" in text  # a link that books the one it runs
    wrong = client.get(f"/family/book?facility_id={CENTRE}&programme=always_daycare&lang=en").get_data(as_text=True)
    assert "‘Always-open daycare’ cannot be booked" in wrong and "Elementary emergency care" in wrong


def test_the_booking_page_carries_the_ages_the_programme_takes_there(app):  # noqa: F811
    client = guardian_client(app)
    cfg = page_config(client.get(f"/family/book?facility_id={CENTRE}").get_data(as_text=True))
    # 초등 시설형 긴급돌봄 takes 72-155 months; the provider's own ages narrow it, never widen it
    assert 72 <= cfg["ages"]["min_months"] <= cfg["ages"]["max_months"] <= 155
    daycare = page_config(client.get(f"/family/book?facility_id={DAYCARE}").get_data(as_text=True))
    assert 6 <= daycare["ages"]["min_months"] <= daycare["ages"]["max_months"] <= 83  # 언제나 어린이집: 6-83


def test_the_relation_has_no_default(app):  # noqa: F811
    html = guardian_client(app).get("/family").get_data(as_text=True)
    select = html[html.index('<select name="relation"'):]
    select = select[:select.index("</select>")]
    assert select.startswith('<select name="relation" required><option value="">관계를 골라 주세요</option>')
    assert "selected" not in select


def _reset_answer(app, email: str) -> str:  # noqa: F811
    r = form_post(app.test_client(), "/account/reset", {"email": email})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    return html[html.index('id="reset-sent"'):][:400]


def test_without_mail_the_reset_page_says_the_link_was_not_sent(make_app):  # noqa: F811
    app = make_app()  # noqa: F811
    sign_up(app.test_client(), "mom@example.com")
    form = app.test_client().get("/account/reset").get_data(as_text=True)
    assert "메일을 보내도록 설정되어 있지 않아" in form and 'id="reset-mail-off"' in form
    known, unknown = _reset_answer(app, "mom@example.com"), _reset_answer(app, "nobody@example.com")
    assert known == unknown  # the same answer whether or not the e-mail has an account
    assert "보내지 않았습니다" in known and "보냈습니다" not in known
    en = form_post(app.test_client(), "/account/reset?lang=en", {"email": "mom@example.com"}).get_data(as_text=True)
    assert "no reset link was sent" in en


def test_with_mail_the_reset_page_says_the_link_is_on_its_way(make_app):  # noqa: F811
    app = make_app(NOTIFY_SMTP_HOST="smtp.example.kr", NOTIFY_SMTP_FROM="no-reply@example.kr",  # noqa: F811
                   NOTIFY_PUBLIC_BASE_URL="https://dolbom.example.kr")
    assert 'id="reset-mail-off"' not in app.test_client().get("/account/reset").get_data(as_text=True)
    assert "재설정 링크를 보냈습니다" in _reset_answer(app, "nobody@example.com")
