"""Tester 26, finding 6: e-mails come in the language the person uses. The account keeps it
(``user_contacts.locale``): set at sign-up from the page's language, then changed only on
/account; the outbox renders each message in it when delivering (to the local SMTP server the
tests start).

Tester 27, finding 1: the choice sticks. Opening a page without ``?lang`` (the phone's
``Accept-Language``), a page with a ``?lang`` carried by links, and signing in again on a page
in the other language never overwrite it; a signed-in person's pages without ``?lang`` show in
it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.db.engine import outbox, users
from app.db.outbox_tables import user_contacts
from app.pages import account_sessions as people
from tests.care.test_outbox_reset import clock, drain, engine_of, mail_settings, make_app, smtp  # noqa: F401
from tests.pages.conftest import PASSWORD, csrf_of, form_post

FACILITY = "demo-cc-00037"
PAYLOAD = {"facility_id": FACILITY, "programme": "elementary_emergency", "first_name": "하윤",
           "booking_id": "3f9a2c7e5b6d4e1f",
           "window_start": "2026-12-07T08:00:00+00:00", "window_end": "2026-12-07T10:00:00+00:00"}


def _locale(app: Any, user_id: str) -> str | None:
    with engine_of(app).connect() as conn:
        return conn.execute(sa.select(user_contacts.c.locale).where(user_contacts.c.user_id == user_id)).scalar()


def _write(app: Any, clock: Any, to: list[dict[str, str]]) -> None:  # noqa: F811
    with engine_of(app).begin() as conn:
        conn.execute(outbox.insert().values(idempotency_key=f"test/{uuid.uuid4().hex}", topic="booking.confirmed",
                                            payload={"to": to, **PAYLOAD}, created_at=clock.at,
                                            available_at=clock.at, attempts=0))


def _subjects(smtp: Any) -> dict[str, str]:  # noqa: F811
    return {str(m["To"]): str(m["Subject"]) for m in smtp.mails}


def test_each_person_gets_mail_in_the_language_they_use(make_app, smtp, clock):  # noqa: F811
    app = make_app(**mail_settings(smtp))
    parent = app.test_client()
    r = form_post(parent, "/account/sign-up?lang=en", {"email": "mom@example.com", "password": PASSWORD,
                                                        "password_again": PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)
    with engine_of(app).connect() as conn:
        parent_id = conn.execute(sa.select(users.c.id).where(users.c.email == "mom@example.com")).scalar_one()
    assert _locale(app, parent_id) == "en"  # the sign-up page's language
    staff = people.accounts(app).sign_up("staff@centre.kr", PASSWORD, role="provider_staff", facility_id=FACILITY)
    inbox = app.test_client()
    assert form_post(inbox, "/account/sign-in?lang=en", {"email": "staff@centre.kr", "password": PASSWORD},
                     ).status_code == 302
    assert _locale(app, staff.id) is None  # signing in on the English pages chooses nothing
    page = inbox.get("/account?lang=en").get_data(as_text=True)
    assert inbox.post("/account/language?lang=en", data={"locale": "en", "csrf_token": csrf_of(page)}
                      ).status_code == 302
    assert _locale(app, staff.id) == "en"  # chosen on /account

    _write(app, clock, [{"user_id": parent_id}, {"facility_id": FACILITY}])
    assert drain(app, clock) == 1
    assert _subjects(smtp) == {"mom@example.com": "Booking confirmed",
                               "staff@centre.kr": "Booking confirmed automatically"}
    assert "confirmed the booking for" in smtp.mails[0].get_content() or "confirmed the booking for" in \
        smtp.mails[1].get_content()

    # the parent opens a page in Korean while signed in: their mail stays as chosen
    assert parent.get("/family?lang=ko").status_code == 200
    assert _locale(app, parent_id) == "en"

    # and can choose on /account: Korean, then English again
    page = parent.get("/account?lang=ko").get_data(as_text=True)
    assert 'id="message-language"' in page and '<option value="en" selected>' in page
    r = parent.post("/account/language?lang=ko", data={"locale": "ko", "csrf_token": csrf_of(page)})
    assert r.status_code == 302 and "lang=ko" in r.headers["Location"]
    assert _locale(app, parent_id) == "ko"
    smtp.mails.clear()
    _write(app, clock, [{"user_id": parent_id}])
    drain(app, clock)
    assert _subjects(smtp) == {"mom@example.com": "예약이 확정되었습니다"}
    page = parent.get("/account?lang=ko").get_data(as_text=True)
    assert '<option value="ko" selected>' in page
    r = parent.post("/account/language?lang=ko", data={"locale": "en", "csrf_token": csrf_of(page)})
    assert r.status_code == 302 and "lang=en" in r.headers["Location"]
    assert _locale(app, parent_id) == "en"
    shown = parent.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="language-saved"' in shown and '<option value="en" selected>' in shown
    assert parent.post("/account/language?lang=en", data={"locale": "fr", "csrf_token": csrf_of(shown)}
                       ).status_code == 400
    assert _locale(app, parent_id) == "en"


def test_a_chosen_language_sticks_on_a_korean_phone(make_app, smtp, clock):  # noqa: F811
    """The tester's steps, on a phone whose browser asks for Korean: the parent chooses English
    on /account; opening /family from a bookmark (no ``?lang``) shows it in English and keeps the
    choice; a link carrying ``?lang=ko`` shows Korean but keeps it; signing out and in again on
    the Korean sign-in page keeps it; the booking e-mail is English. Choosing Korean on /account
    changes it back."""
    app = make_app(**mail_settings(smtp))
    parent_id = people.accounts(app).sign_up("mom@example.com", PASSWORD, locale="ko").id
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9"
    r = form_post(phone, "/account/sign-in", {"email": "mom@example.com", "password": PASSWORD})
    assert r.status_code == 302
    page = phone.get("/account?lang=ko").get_data(as_text=True)
    r = phone.post("/account/language?lang=ko", data={"locale": "en", "csrf_token": csrf_of(page)})
    assert r.status_code == 302 and r.headers["Location"] == "/account?lang=en&saved=language"
    assert _locale(app, parent_id) == "en"

    family = phone.get("/family")  # a bookmark: no ?lang, the phone asks for Korean
    assert family.status_code == 200
    # what a page's script asks in its language (a Korean page: ?lang=ko) keeps the choice too
    assert phone.get("/api/v1/consents?lang=ko").status_code == 200
    assert '<html lang="ko"' in phone.get("/family?lang=ko").get_data(as_text=True)  # a link in Korean
    assert _locale(app, parent_id) == "en"
    assert '<html lang="en"' in family.get_data(as_text=True)  # the page in the chosen language
    assert "Cookie" in family.headers.get("Vary", "")
    shown = phone.get("/account").get_data(as_text=True)
    assert '<option value="en" selected>' in shown and '<html lang="en"' in shown

    # Signed out and in again on the sign-in page in the phone's own language (Korean): the
    # pages go on in the chosen English (tester pass 28), the choice stays.
    assert form_post(phone, "/account/sign-out", {}, form_page="/account?lang=ko").status_code == 302
    assert '<html lang="ko"' in phone.get("/account/sign-in").get_data(as_text=True)
    r = form_post(phone, "/account/sign-in?lang=ko", {"email": "mom@example.com", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/account?lang=en"
    assert '<option value="en" selected>' in phone.get(r.headers["Location"]).get_data(as_text=True)
    assert _locale(app, parent_id) == "en"

    _write(app, clock, [{"user_id": parent_id}])
    assert drain(app, clock) == 1
    assert _subjects(smtp) == {"mom@example.com": "Booking confirmed"}

    page = phone.get("/account").get_data(as_text=True)
    assert phone.post("/account/language", data={"locale": "ko", "csrf_token": csrf_of(page)}).status_code == 302
    assert _locale(app, parent_id) == "ko"
    assert '<html lang="ko"' in phone.get("/family").get_data(as_text=True)
    smtp.mails.clear()
    _write(app, clock, [{"user_id": parent_id}])
    drain(app, clock)
    assert _subjects(smtp) == {"mom@example.com": "예약이 확정되었습니다"}


def test_signing_in_goes_on_in_the_chosen_language_unless_the_page_was_switched(make_app):  # noqa: F811
    """Tester pass 28: Korean chosen, signed in on an English phone (the sign-in page, and the
    ``next`` the app sent there, in English only because of the phone): on in Korean, ``next``'s
    ``lang`` replaced. A sign-in page switched to another language than the phone's keeps it."""
    app = make_app()
    people.accounts(app).sign_up("dad@example.com", PASSWORD, locale="ko")
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    r = form_post(phone, "/account/sign-in?lang=en&next=/family%3Flang%3Den%23bookings",
                  {"email": "dad@example.com", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/family?lang=ko#bookings"
    assert form_post(phone, "/account/sign-out", {}, form_page="/account?lang=ko").status_code == 302
    r = form_post(phone, "/account/sign-in", {"email": "dad@example.com", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/account?lang=ko"

    korean_phone = app.test_client()
    korean_phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ko-KR,ko;q=0.9"
    r = form_post(korean_phone, "/account/sign-in?lang=en&next=/family",
                  {"email": "dad@example.com", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/family?lang=en"  # switched by hand: kept


def test_pages_of_someone_who_never_chose_follow_the_browser(make_app):  # noqa: F811
    """An account made by an operator (no language chosen) is signed in on English pages: its
    pages without ``?lang`` follow the browser's language, and nothing is written."""
    app = make_app()
    staff = people.accounts(app).sign_up("staff@centre.kr", PASSWORD, role="provider_staff", facility_id=FACILITY)
    desk = app.test_client()
    assert form_post(desk, "/account/sign-in?lang=en", {"email": "staff@centre.kr", "password": PASSWORD}
                     ).status_code == 302
    assert '<html lang="ko"' in desk.get("/account", headers={"Accept-Language": "ko-KR"}).get_data(as_text=True)
    assert '<html lang="en"' in desk.get("/account", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert _locale(app, staff.id) is None
