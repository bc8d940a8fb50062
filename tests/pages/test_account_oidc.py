"""Sign-in through an OpenID Connect provider, against a real provider on 127.0.0.1
(tests/pages/oidc_provider.py: Authlib's authorization server, RS256 keys made for the run,
discovery and JWKS over HTTP). The browser is Flask's test client for this site and ``requests``
at the provider; this site reaches the provider's discovery, token and JWKS endpoints over HTTP
itself. The failure the state kept server-side prevents: a request the page sent before the
redirect answers during it and rewrites the session cookie, and the sign-in must still finish."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.db.engine import users
from app.db.session_tables import oidc_states, user_identities, user_sessions
from app.pages import account_oidc
from app.pages import account_sessions as people

from .conftest import Clock, cookie_of, sign_in, sign_up, signed_in
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

CALLBACK = "http://localhost/account/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    op = Provider([CALLBACK])
    yield op
    op.stop()


@pytest.fixture(autouse=True)
def _fresh_provider(provider: Provider) -> None:
    provider.subject = "kakao-user-1"
    provider.claims = {}
    provider.foreign_key = False
    provider.wrong_nonce = False


@pytest.fixture
def oidc_app(make_app: Callable[..., Flask], provider: Provider) -> Flask:
    return make_app(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                    OIDC_SCOPES="openid email", OIDC_LABEL="테스트인증")


def _rows(app: Flask, table: sa.Table) -> list[Any]:
    with app.extensions["dolbom_db"].connect() as conn:
        return list(conn.execute(sa.select(table)).all())


def _start(client: FlaskClient, next_url: str | None = None) -> str:
    """Press "sign in with …": the provider's authorization URL this site redirects to."""
    r = client.get("/account/oidc/start", query_string={"next": next_url} if next_url else {})
    assert r.status_code == 302, r.get_data(as_text=True)
    return str(r.headers["Location"])


def _at_provider(url: str, provider: Provider) -> str:
    """The browser at the provider (signed in there, consenting): the callback path it is sent
    back to."""
    assert url.startswith(f"{provider.issuer}/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [CALLBACK]
    r = requests.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    location = r.headers["Location"]
    assert location.startswith(CALLBACK + "?"), location
    return location.removeprefix("http://localhost")


def _sign_in_with_provider(client: FlaskClient, provider: Provider, next_url: str | None = None) -> Any:
    return client.get(_at_provider(_start(client, next_url), provider))


def test_the_first_sign_in_makes_a_guardian_account_and_the_next_finds_it(oidc_app, provider):
    page = oidc_app.test_client().get("/account/sign-in").get_data(as_text=True)
    assert "테스트인증으로 로그인" in page
    client = oidc_app.test_client()
    r = _sign_in_with_provider(client, provider, "/programmes?lang=en")
    assert r.status_code == 302 and r.headers["Location"] == "/programmes?lang=en"
    home = client.get("/account").get_data(as_text=True)
    # Made from an English page: the account's messages and pages are in English, as a sign-up
    # with a password on that page keeps (it had stayed Korean until the person chose).
    assert 'data-role="guardian"' in home and "Signed up through a sign-in provider" in home
    (identity,) = _rows(oidc_app, user_identities)
    with oidc_app.app_context():
        assert people.accounts().saved_language(identity.user_id) == "en"
    assert (identity.issuer, identity.subject) == (provider.issuer, "kakao-user-1")
    (session,) = _rows(oidc_app, user_sessions)
    assert session.method == "oidc" and session.user_id == identity.user_id
    (user,) = _rows(oidc_app, users)
    assert user.email.endswith("@oidc.users.invalid")  # no provider e-mail, never delivered

    again = oidc_app.test_client()  # another phone, the same person at the provider
    assert _sign_in_with_provider(again, provider).headers["Location"] == "/account?lang=ko"
    with oidc_app.app_context():  # signing in again from a Korean page changes no choice
        assert people.accounts().saved_language(identity.user_id) == "en"
    assert len(_rows(oidc_app, users)) == 1 and len(_rows(oidc_app, user_identities)) == 1
    assert {s.user_id for s in _rows(oidc_app, user_sessions)} == {identity.user_id}
    assert all(s.used_at is not None for s in _rows(oidc_app, oidc_states))


def test_a_background_request_rewriting_the_session_cookie_during_the_redirect_does_not_break_sign_in(
        oidc_app, provider):
    browser = oidc_app.test_client()
    assert browser.get_cookie("session") is None
    authorize = _start(browser)
    after_start = browser.get_cookie("session")
    # A request the page sent before the redirect (with the cookies of then: none) answers now,
    # and its answer sets the session cookie (a form's CSRF token), which the browser keeps.
    background = oidc_app.test_client()
    answer = background.get("/account/reset")
    assert "session=" in "".join(answer.headers.getlist("Set-Cookie"))
    rewritten = background.get_cookie("session")
    assert rewritten is not None and (after_start is None or rewritten.value != after_start.value)
    browser.set_cookie("session", rewritten.value)

    r = browser.get(_at_provider(authorize, provider))
    assert r.status_code == 302 and r.headers["Location"] == "/account?lang=ko"
    assert signed_in(browser)


def test_two_tabs_signing_in_at_once_both_finish(oidc_app, provider):
    browser = oidc_app.test_client()
    first, second = _start(browser), _start(browser)
    assert browser.get(_at_provider(second, provider)).status_code == 302
    assert browser.get(_at_provider(first, provider)).status_code == 302
    assert signed_in(browser)


def test_a_callback_made_in_another_browser_signs_no_one_in(oidc_app, provider):
    """Login CSRF: someone starts a sign-in, stops at the callback link and sends it to a victim."""
    attacker = oidc_app.test_client()
    link = _at_provider(_start(attacker), provider)
    victim = oidc_app.test_client()
    r = victim.get(link)
    assert r.status_code == 400 and "로그인을 마치지 못했습니다" in r.get_data(as_text=True)
    assert not signed_in(victim)
    victim.set_cookie(account_oidc.BINDING_COOKIE, "x" * 43, path=account_oidc.BINDING_PATH)
    assert victim.get(link).status_code == 400
    assert _rows(oidc_app, user_sessions) == []


def test_a_state_works_once_and_not_after_it_expires(oidc_app, provider, clock: Clock):
    browser = oidc_app.test_client()
    link = _at_provider(_start(browser), provider)
    assert browser.get(link).status_code == 302
    assert browser.get(link).status_code == 400  # the same callback again

    slow = oidc_app.test_client()
    link = _at_provider(_start(slow), provider)
    clock.move(minutes=10)  # OIDC_STATE_MINUTES
    assert slow.get(link).status_code == 400
    assert not signed_in(slow)


def test_an_id_token_not_signed_with_the_published_key_is_refused(oidc_app, provider):
    provider.foreign_key = True
    browser = oidc_app.test_client()
    r = _sign_in_with_provider(browser, provider)
    assert r.status_code == 400 and not signed_in(browser)
    assert _rows(oidc_app, users) == []


def test_an_id_token_with_another_nonce_is_refused(oidc_app, provider):
    provider.wrong_nonce = True
    browser = oidc_app.test_client()
    assert _sign_in_with_provider(browser, provider).status_code == 400
    assert not signed_in(browser) and _rows(oidc_app, users) == []


def test_an_email_from_the_provider_never_links_to_an_existing_account(oidc_app, provider):
    owner = oidc_app.test_client()
    sign_up(owner, "mom@example.com")
    provider.subject = "someone-else"
    provider.claims = {"email": "mom@example.com", "email_verified": False}
    browser = oidc_app.test_client()
    assert _sign_in_with_provider(browser, provider).status_code == 302
    (identity,) = _rows(oidc_app, user_identities)
    mom = next(u for u in _rows(oidc_app, users) if u.email == "mom@example.com")
    assert identity.user_id != mom.id
    assert "mom@example.com" not in browser.get("/account").get_data(as_text=True)


def test_a_refusal_at_the_provider_is_a_readable_page(oidc_app, provider):
    browser = oidc_app.test_client()
    url = _start(browser) + "&deny=1"
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    assert "error=access_denied" in location
    r = browser.get(location.removeprefix("http://localhost"))
    assert r.status_code == 400 and "테스트인증 로그인을 마치지 못했습니다" in r.get_data(as_text=True)
    assert not signed_in(browser)


def test_signing_in_with_the_provider_replaces_a_password_session(oidc_app, provider):
    browser = oidc_app.test_client()
    sign_up(browser)
    before = cookie_of(browser)
    assert _sign_in_with_provider(browser, provider).status_code == 302
    assert cookie_of(browser) != before
    client = oidc_app.test_client()
    client.set_cookie(people.COOKIE, before)
    assert not signed_in(client)
    assert sign_in(oidc_app.test_client()).status_code == 302  # the password account is still there


def test_a_provider_out_of_reach_is_a_readable_page(make_app):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    app = make_app(OIDC_ISSUER=f"http://127.0.0.1:{closed}", OIDC_CLIENT_ID=CLIENT_ID, OIDC_TIMEOUT_S=2)
    r = app.test_client().get("/account/oidc/start")
    assert r.status_code == 502 and "로그인을 마치지 못했습니다" in r.get_data(as_text=True)


def test_without_a_provider_there_is_no_button_and_no_route(app):
    assert "로그인</a>" not in app.test_client().get("/account/sign-in").get_data(as_text=True)
    assert app.test_client().get("/account/oidc/start").status_code == 404
    assert app.test_client().get("/account/oidc/callback?state=x&code=y").status_code == 404


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("OIDC_ISSUER", "http://accounts.example.com", "OIDC_ISSUER must be an https:// URL"),
    ("OIDC_SCOPES", "email profile", "OIDC_SCOPES must include openid"),
    ("OIDC_REDIRECT_URI", "http://dolbom.example.com/cb", "OIDC_REDIRECT_URI must be an https:// URL"),
])
def test_settings_that_cannot_work_stop_start_up_naming_them(make_app, setting, value, message):
    config = {"OIDC_ISSUER": "https://accounts.example.com", "OIDC_CLIENT_ID": "x", setting: value}
    with pytest.raises(account_oidc.OidcSettingError, match=message):
        make_app(**config)
