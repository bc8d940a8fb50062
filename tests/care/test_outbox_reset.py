"""Password-reset links through the outbox worker, end to end: the reset form (Flask's test client)
writes the ``account.reset`` message, the worker (built from the app's settings) sends it to a
real SMTP server on 127.0.0.1 (aiosmtpd) in the language the person asked in, with the link on
``NOTIFY_PUBLIC_BASE_URL`` (never the request's Host) and the expiry in Korea time; following the
link's path sets a new password; the stored payload then holds no usable link. Without the public
address or without e-mail the message fails, naming the setting; the link is never logged. On
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.care.notify import messages
from app.care.notify.messages import SCRUBBED, RenderError, make_link, render
from app.care.outbox import build_worker, failed_messages
from app.db.engine import outbox, users
from app.db.outbox_tables import notifications, outbox_deliveries, user_contacts
from app.pages import account_sessions as people
from app.settings_env import SettingError, check
from tests.conftest import tiny_config
from tests.pages.conftest import CHEAP_ARGON2, PASSWORD, SECRET, Clock, csrf_of, sign_in, sign_up

from .notify_stand_ins import SmtpStandIn

BASE = "https://dolbom.example.kr"
FROM = "noreply@dolbom.test"
EMAIL = "mom@example.com"
NEW_PASSWORD = "a brand new password"
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as server:
        yield server


@pytest.fixture
def make_app(db_url: str, tmp_path: Any, clock: Clock) -> Iterator[Callable[..., Flask]]:
    """make(**config) -> an app on the test's database (SQLite or PostgreSQL) with the test's clock."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app({**tiny_config(), "SECRET_KEY": SECRET, **CHEAP_ARGON2, "DATABASE_URL": db_url,
                          "NOTIFY_SMTP_FROM": FROM, "NOTIFY_SMTP_STARTTLS": False, "NOTIFY_SMTP_TIMEOUT_S": 5.0,
                          **config}, instance_path=str(tmp_path / f"instance{len(apps)}"))
        people.sessions(app).clock = clock
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["dolbom_db"].dispose()


def mail_settings(smtp: SmtpStandIn) -> dict[str, Any]:
    return {"NOTIFY_SMTP_HOST": smtp.host, "NOTIFY_SMTP_PORT": smtp.port, "NOTIFY_PUBLIC_BASE_URL": BASE}


def engine_of(app: Flask) -> sa.Engine:
    return app.extensions["dolbom_db"]


def drain(app: Flask, clock: Clock, **later: float) -> int:
    """Run the app's outbox worker once (a fresh one, as the care clock's tick does) at the test's
    time, or ``later`` than it."""
    worker = build_worker(engine_of(app), app.config, worker_id=f"test:{uuid.uuid4().hex[:6]}")
    return worker.drain(clock.at + timedelta(**later))


def ask_for_link(app: Flask, lang: str, email: str = EMAIL, host: str = "http://localhost") -> None:
    """Ask for a reset link on the form (in ``lang``), the browser sending ``host`` as its Host."""
    client = app.test_client()
    page = client.get(f"/account/reset?lang={lang}", base_url=host).get_data(as_text=True)
    r = client.post(f"/account/reset?lang={lang}", data={"email": email, "csrf_token": csrf_of(page)},
                    base_url=host)
    assert r.status_code == 200 and 'id="reset-sent"' in r.get_data(as_text=True)


def reset_row(app: Flask) -> sa.Row[Any]:
    with engine_of(app).connect() as conn:
        (row,) = conn.execute(sa.select(outbox).where(outbox.c.topic == "account.reset")).all()
    return row


def count(app: Flask, table: sa.Table) -> int:
    with engine_of(app).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def link_in(mail: Message) -> str:
    body = mail.get_content()  # type: ignore[attr-defined]
    found = re.findall(r"https?://\S+", body)
    assert len(found) == 1, body
    return str(found[0])


def set_password_through(link: str, browser: FlaskClient) -> Any:
    """Follow the link's path and query as the browser would, and send the new password."""
    parts = urlsplit(link)
    page = browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html)
    assert token is not None, html[:2000]
    return browser.post("/account/reset/confirm", data={"csrf_token": csrf_of(html), "token": token.group(1),
                                                       "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})


# -- the whole flow ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "title", "korea_time"), [("ko", "돌봄지도 비밀번호 재설정", "{hm}(한국 시간)까지"),
                                                          ("en", "Reset your Dolbom Map password",
                                                           "{hm} Korea time.")])
def test_a_reset_link_arrives_by_email_in_the_asked_language_and_sets_a_new_password(
        make_app, smtp, clock, caplog, lang, title, korea_time):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")  # the stand-in SMTP server's own log
    app = make_app(**mail_settings(smtp))
    sign_up(app.test_client())
    ask_for_link(app, lang, host="http://evil.example")  # a forged Host never reaches the link
    written = reset_row(app).payload["path"]
    assert written.startswith("/account/reset/confirm?token=")

    assert drain(app, clock) == 1
    (mail,) = smtp.mails
    assert mail["To"] == EMAIL and mail["Subject"] == title and mail["Content-Language"] == lang
    link = link_in(mail)
    assert link == BASE + written
    body = mail.get_content()
    expires = (clock.at + timedelta(minutes=app.config["ACCOUNT_RESET_LINK_MINUTES"])).astimezone(SEOUL)
    assert korea_time.format(hm=f"{expires:%H:%M}") in body
    assert (f"{expires.month}월 {expires.day}일" if lang == "ko" else f"{expires.day} {expires:%b}") in body

    row = reset_row(app)
    assert row.sent_at is not None and row.payload["path"] == SCRUBBED
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert token not in json.dumps(row.payload) and row.payload["expires_at"] and row.payload["lang"] == lang
    assert count(app, notifications) == 0  # never in the page's list
    with engine_of(app).connect() as conn:
        assert [r.channel for r in conn.execute(sa.select(outbox_deliveries))] == ["email"]

    r = set_password_through(link, app.test_client())  # the token stays valid after the scrub
    assert r.status_code == 302 and "reset=1" in r.headers["Location"]
    assert sign_in(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), password=PASSWORD).status_code == 401
    assert token not in caplog.text and link not in caplog.text and written not in caplog.text


def test_the_asked_language_wins_over_the_persons_own_and_an_opt_out_of_notifications_does_not_stop_it(
        make_app, smtp, clock):
    app = make_app(**mail_settings(smtp))
    sign_up(app.test_client())
    with engine_of(app).begin() as conn:
        user_id = conn.execute(sa.select(users.c.id)).scalar_one()
        conn.execute(user_contacts.delete().where(user_contacts.c.user_id == user_id))  # sign-up wrote one
        conn.execute(user_contacts.insert().values(user_id=user_id, phone=None, locale="en", email_opt_in=False,
                                                   sms_opt_in=False, updated_at=clock.at))
    ask_for_link(app, "ko")
    assert drain(app, clock) == 1
    (mail,) = smtp.mails
    assert mail["Subject"] == "돌봄지도 비밀번호 재설정" and "(한국 시간)" in mail.get_content()


def test_a_send_to_retry_keeps_the_link_until_it_goes_out(make_app, smtp, clock):
    app = make_app(**mail_settings(smtp))
    sign_up(app.test_client())
    ask_for_link(app, "ko")
    smtp.handler.fail_data = 1  # the server answers 451 once
    assert drain(app, clock) == 0 and not smtp.mails
    row = reset_row(app)
    assert row.sent_at is None and row.failed_at is None and "451" in row.last_error
    assert row.payload["path"].startswith("/account/reset/confirm?token=")  # still needed for the retry
    assert drain(app, clock, minutes=5) == 1
    (mail,) = smtp.mails
    assert link_in(mail) == BASE + row.payload["path"]
    assert reset_row(app).payload["path"] == SCRUBBED


def test_a_link_that_expired_while_waiting_is_not_sent(make_app, smtp, clock):
    app = make_app(**mail_settings(smtp))
    sign_up(app.test_client())
    ask_for_link(app, "en")
    assert drain(app, clock, minutes=app.config["ACCOUNT_RESET_LINK_MINUTES"] + 1) == 0
    assert not smtp.mails
    row = reset_row(app)
    assert row.failed_at is not None and "expired before it could be sent" in row.last_error
    assert row.payload["path"] == SCRUBBED


# -- what is missing fails visibly --------------------------------------------------------------------

def test_without_the_public_address_the_message_fails_naming_the_setting(make_app, smtp, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(NOTIFY_SMTP_HOST=smtp.host, NOTIFY_SMTP_PORT=smtp.port)
    sign_up(app.test_client())
    ask_for_link(app, "ko")
    written = reset_row(app).payload["path"]
    assert drain(app, clock) == 0
    assert not smtp.mails
    assert re.search(r"links cannot be sent \(account\.reset.*NOTIFY_PUBLIC_BASE_URL", caplog.text)
    (failed,) = failed_messages(engine_of(app))
    assert failed["topic"] == "account.reset" and "NOTIFY_PUBLIC_BASE_URL is not set" in failed["last_error"]
    assert reset_row(app).payload["path"] == SCRUBBED
    assert written not in caplog.text and "localhost" not in failed["last_error"]


def test_without_email_the_message_fails_naming_notify_smtp_host_and_never_goes_to_the_page(
        make_app, clock, caplog):
    caplog.set_level(logging.INFO, logger="app.care.outbox")
    app = make_app(NOTIFY_PUBLIC_BASE_URL=BASE)
    sign_up(app.test_client())
    ask_for_link(app, "en")
    assert drain(app, clock) == 0
    assert "account.reset messages cannot be sent: they go only by email, which is off (set NOTIFY_SMTP_HOST)" \
        in caplog.text
    (failed,) = failed_messages(engine_of(app))
    assert failed["topic"] == "account.reset" and "NOTIFY_SMTP_HOST" in failed["last_error"]
    assert count(app, notifications) == 0 and count(app, outbox_deliveries) == 0
    assert reset_row(app).payload["path"] == SCRUBBED


# -- settings and text ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["http://dolbom.example.kr", "https://dolbom.example.kr/account",
                                   "https://dolbom.example.kr?x=1", "https://user@dolbom.example.kr",
                                   "dolbom.example.kr", "http://localhost.evil.example"])
def test_a_bad_public_address_stops_start_up_naming_the_setting(tmp_path, value):
    with pytest.raises(SettingError, match="NOTIFY_PUBLIC_BASE_URL"):
        create_app({**tiny_config(), "NOTIFY_PUBLIC_BASE_URL": value}, instance_path=str(tmp_path / "i"))


@pytest.mark.parametrize("value", ["https://dolbom.example.kr", "https://dolbom.example.kr:8443/",
                                   "http://127.0.0.1:5000", "http://localhost"])
def test_a_public_address_of_https_or_this_machine_is_taken(value):
    assert make_link(value, "/account/reset/confirm?token=t") == value.rstrip("/") + "/account/reset/confirm?token=t"
    check({"NOTIFY_PUBLIC_BASE_URL": value})


@pytest.mark.parametrize("path", ["//evil.example/account", "https://evil.example/x", "/\\evil.example",
                                  "/account/reset/confirm?token=a b", "account/reset", "/" + "a" * 2001, None])
def test_a_path_that_is_not_this_sites_never_becomes_a_link_nor_shows_in_the_error(path):
    with pytest.raises(RenderError, match="payload field path") as caught:
        make_link(BASE, path)
    assert "evil" not in str(caught.value)


def test_no_other_topic_may_carry_a_link(monkeypatch):
    doc = json.loads(json.dumps(messages.catalogue()))
    doc["topics"]["booking.confirmed"]["ko"]["body"] += " {link}"
    monkeypatch.setattr(messages, "catalogue", lambda: doc)
    with pytest.raises(RenderError, match=r"booking.confirmed uses fields \['link'\]"):
        render("booking.confirmed", {"facility_id": "f", "programme": "always_daycare",
                                     "window_start": "2026-12-03T00:00:00Z", "window_end": "2026-12-03T04:00:00Z",
                                     "path": "/x"}, "ko", base_url=BASE)


def test_reset_text_exists_in_both_languages_with_link_and_expiry_and_only_email():
    payload = {"path": "/account/reset/confirm?token=t&lang=ko", "expires_at": "2026-12-02T15:30:00+00:00"}
    ko, en = render("account.reset", payload, "ko", base_url=BASE), render("account.reset", payload, "en",
                                                                          base_url=BASE)
    link = BASE + payload["path"]
    assert link in ko.body and link in en.body and ko.title != en.title
    assert "12월 3일(목) 00:30" in ko.body and "Thu 3 Dec 00:30 Korea time" in en.body
    assert messages.channels_of("account.reset") == ("email",) and messages.secret_fields("account.reset") == ("path",)
    with pytest.raises(RenderError, match="NOTIFY_PUBLIC_BASE_URL is not set"):
        render("account.reset", payload, "ko")
