"""Tester 25's findings 13 and 14 through the web (Flask's test client, SQLite): the language
chosen on the sign-in page survives the sign-in, a browser's ``Accept-Language`` picks the
language of a URL without ``?lang``; a dead password-reset link says so when it is opened (with
the form asking for a new one) and looking at a live link spends nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db.engine import outbox

from .conftest import PASSWORD, Clock, csrf_of, form_post, sign_up

EN = {"Accept-Language": "en-US,en;q=0.9"}
KO = {"Accept-Language": "ko-KR,ko;q=0.9"}


def _sign_in_from(client: Any, sign_in_url: str, headers: dict[str, str]) -> Any:
    page = client.get(sign_in_url, headers=headers).get_data(as_text=True)
    action = urlsplit(sign_in_url)
    return client.post(f"{action.path}?{action.query}", headers=headers,
                       data={"email": "mom@example.com", "password": PASSWORD, "csrf_token": csrf_of(page),
                             **{k: v[0] for k, v in parse_qs(action.query).items() if k == "next"}})


@pytest.mark.parametrize(("sign_in_url", "headers", "lands_on", "lang"), [
    ("/account/sign-in?lang=en&next=/family", KO, "/family?lang=en", "en"),  # the finding: it was /family
    ("/account/sign-in?lang=en&next=/programmes?x%3D1", KO, "/programmes?x=1&lang=en", "en"),
    ("/account/sign-in?lang=en&next=/programmes?lang%3Dko", KO, "/programmes?lang=ko", "ko"),  # next's own wins
    # The account's language, chosen at sign-up (Korean), is what a URL without ?lang gives once
    # signed in (tester 27, finding 1), whatever the browser's: English needs ?lang, Korean not.
    # A sign-in page in no more than the phone's own language does not beat the account's
    # (tester 28): Korean, with the lang the app put in the link replaced.
    ("/account/sign-in?lang=en&next=/family", EN, "/family?lang=ko", "ko"),
    ("/account/sign-in?lang=ko&next=/family", EN, "/family", "ko"),
    ("/account/sign-in?lang=ko&next=/family", KO, "/family", "ko"),
])
def test_the_language_of_the_sign_in_page_survives_the_sign_in(app: Flask, sign_in_url, headers, lands_on, lang):
    sign_up(app.test_client())
    client = app.test_client()
    r = _sign_in_from(client, sign_in_url, headers)
    assert r.status_code == 302 and r.headers["Location"] == lands_on
    assert f'<html lang="{lang}"' in client.get(lands_on, headers=headers).get_data(as_text=True)


def test_the_english_inbox_after_signing_in_from_the_english_sign_in_page(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    done = runner.invoke(args=["accounts", "create-staff", "--facility", "tiny-dc-01", "--email", "staff@example.com",
                               "--password-stdin"], input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    client = app.test_client()
    page = client.get("/account/sign-in?lang=en&next=/provider/inbox", headers=KO).get_data(as_text=True)
    r = client.post("/account/sign-in?lang=en", headers=KO, data={
        "email": "staff@example.com", "password": PASSWORD, "next": "/provider/inbox", "csrf_token": csrf_of(page)})
    assert r.headers["Location"] == "/provider/inbox?lang=en"
    inbox = client.get(r.headers["Location"], headers=KO).get_data(as_text=True)
    assert '<html lang="en"' in inbox


@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (KO, "ko"), ({}, "ko"), ({"Accept-Language": "fr"}, "ko"),
                                               ({"Accept-Language": "fr, en;q=0.5"}, "en")])
def test_accept_language_picks_the_language_when_the_url_names_none(app: Flask, headers, lang):
    r = app.test_client().get("/account/sign-in", headers=headers)
    assert f'<html lang="{lang}"' in r.get_data(as_text=True)
    assert "Accept-Language" in r.headers.get("Vary", "")
    assert '<html lang="ko"' in app.test_client().get("/account/sign-in?lang=ko", headers=EN).get_data(as_text=True)


# -- dead reset links ---------------------------------------------------------------------------

def _reset_path(app: Flask) -> str:
    form_post(app.test_client(), "/account/reset", {"email": "mom@example.com"})
    with app.extensions["dolbom_db"].connect() as conn:
        rows = conn.execute(sa.select(outbox).where(outbox.c.topic == "account.reset").order_by(outbox.c.id)).all()
    return str(rows[-1].payload["path"])


def _opened(app: Flask, path: str) -> tuple[int, str]:
    r = app.test_client().get(path)
    return r.status_code, r.get_data(as_text=True)


def _is_dead(status: int, page: str) -> bool:
    return (status == 400 and "이 링크는 쓸 수 없습니다" in page and 'id="reset-confirm"' not in page
            and 'id="reset"' in page and 'name="email"' in page)  # a new link can be asked for at once


def test_a_used_link_says_so_when_opened_and_looking_spends_nothing(app: Flask):
    sign_up(app.test_client())
    path = _reset_path(app)
    status, page = _opened(app, path)
    assert status == 200 and 'id="reset-confirm"' in page
    assert _opened(app, path)[0] == 200  # opening it twice spends nothing
    token = parse_qs(urlsplit(path).query)["token"][0]
    new = "a brand new password"
    r = form_post(app.test_client(), "/account/reset/confirm", {"token": token, "password": new, "password_again": new},
                  form_page=path)
    assert r.status_code == 302
    assert _is_dead(*_opened(app, path))


def test_a_superseded_and_an_expired_link_say_so_when_opened(app: Flask, clock: Clock):
    sign_up(app.test_client())
    older = _reset_path(app)
    newer = _reset_path(app)
    assert _is_dead(*_opened(app, older))
    assert _opened(app, newer)[0] == 200
    clock.move(days=2)
    assert _is_dead(*_opened(app, newer))
    english = app.test_client().get(newer.replace("lang=ko", "lang=en")).get_data(as_text=True)
    assert "This link cannot be used" in english and "Send the reset link" in english
    assert _is_dead(*_opened(app, "/account/reset/confirm?token=nonsense"))
