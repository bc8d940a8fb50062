"""Tester 26, finding 6: e-mails come in the language the person uses. The account keeps it
(``user_contacts.locale``): set at sign-up from the page's language, updated when the signed-in
person opens a page in the other language, settable on /account; the outbox renders each message
in it when delivering (to the local SMTP server the tests start)."""

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
    assert _locale(app, staff.id) == "en"  # signed in on the English pages

    _write(app, clock, [{"user_id": parent_id}, {"facility_id": FACILITY}])
    assert drain(app, clock) == 1
    assert _subjects(smtp) == {"mom@example.com": "Booking confirmed",
                               "staff@centre.kr": "Booking confirmed automatically"}
    assert "confirmed the Elementary" in smtp.mails[0].get_content() or "confirmed the Elementary" in \
        smtp.mails[1].get_content()

    # the parent switches the pages to Korean while signed in: their mail follows
    assert parent.get("/family?lang=ko").status_code == 200
    assert _locale(app, parent_id) == "ko"
    smtp.mails.clear()
    _write(app, clock, [{"user_id": parent_id}])
    drain(app, clock)
    assert _subjects(smtp) == {"mom@example.com": "예약이 확정되었습니다"}

    # and can choose on /account
    page = parent.get("/account?lang=ko").get_data(as_text=True)
    assert 'id="message-language"' in page and '<option value="ko" selected>' in page
    r = parent.post("/account/language?lang=ko", data={"locale": "en", "csrf_token": csrf_of(page)})
    assert r.status_code == 302 and "lang=en" in r.headers["Location"]
    assert _locale(app, parent_id) == "en"
    shown = parent.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="language-saved"' in shown and '<option value="en" selected>' in shown
    assert parent.post("/account/language?lang=en", data={"locale": "fr", "csrf_token": csrf_of(shown)}
                       ).status_code == 400
    assert _locale(app, parent_id) == "en"
