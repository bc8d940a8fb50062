"""The account pages through the web (Flask's test client, SQLite): sign-up, sign-in and
sign-out with real argon2id hashing; sessions that end server-side (sign-out, idle and absolute
lifetimes, a disabled account, a password reset, a new sign-in); the lockout and the
per-address rate limit (the client's address behind a trusted proxy, never the proxy's); CSRF
on every form and on cookie-authenticated JSON writes, not on token clients; ``next`` never
leaving the site; reset links working once, only the newest; roles denying by default."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify

from app.db.engine import outbox, users
from app.db.session_tables import user_sessions
from app.extensions.db import get_engine
from app.live import tokens
from app.pages import account_sessions as people
from app.pages.account_sessions import current_user, require

from .conftest import PASSWORD, Clock, cookie_of, csrf_of, form_post, sign_in, sign_up, signed_in

FACILITY = "tiny-dc-01"


def _rows(app: Flask, table: sa.Table, *where: Any) -> list[Any]:
    with app.extensions["dolbom_db"].connect() as conn:
        return list(conn.execute(sa.select(table).where(*where)).all())


def _with_cookie(app: Flask, value: str) -> Any:
    client = app.test_client()
    client.set_cookie(people.COOKIE, value)
    return client


def _cli(app: Flask, *args: str, password: str = PASSWORD) -> Any:
    return app.test_cli_runner().invoke(args=["accounts", *args, "--password-stdin"], input=password + "\n")


# -- sign-up, sign-in, sign-out ---------------------------------------------------------------

def test_sign_up_signs_in_with_a_real_argon2id_hash_and_sign_out_ends_the_session_everywhere(make_app):
    one, two = make_app(), make_app()  # two servers on one database
    client = one.test_client()
    r = sign_up(client, " Mom@Example.COM ")
    assert r.headers["Location"] == "/account?lang=ko"
    page = client.get("/account").get_data(as_text=True)
    assert "mom@example.com" in page and 'data-role="guardian"' in page
    (row,) = _rows(one, users)
    assert row.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$") and PASSWORD not in row.password_hash
    cookie = cookie_of(client)
    assert signed_in(_with_cookie(two, cookie))  # the other server knows the session too

    r = form_post(client, "/account/sign-out", {}, form_page="/account")
    assert r.status_code == 302 and "signed_out=1" in r.headers["Location"]
    assert not signed_in(client)
    assert not signed_in(_with_cookie(one, cookie))  # a copied cookie is refused by every server
    assert not signed_in(_with_cookie(two, cookie))
    (session,) = _rows(one, user_sessions)
    assert session.end_reason == "sign_out" and session.id != cookie


def test_the_cookie_is_httponly_lax_and_secure_over_https_behind_a_trusted_proxy(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    sign_up(client)
    flags = client.get_cookie(people.COOKIE)
    assert flags is not None and flags.http_only and flags.same_site == "Lax" and not flags.secure
    https = app.test_client()
    page = https.get("/account/sign-in", headers={"X-Forwarded-Proto": "https"}).get_data(as_text=True)
    r = https.post("/account/sign-in", data={"email": "mom@example.com", "password": PASSWORD,
                                             "csrf_token": csrf_of(page)},
                   headers={"X-Forwarded-Proto": "https", "Referer": "https://localhost/account/sign-in"})
    assert r.status_code == 302
    set_cookie = next(v for v in r.headers.getlist("Set-Cookie") if v.startswith(people.COOKIE))
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert r.headers["Cache-Control"] == "no-store"


def test_a_wrong_password_and_an_unknown_email_get_one_answer(app):
    sign_up(app.test_client())
    wrong = sign_in(app.test_client(), password="not the password")
    unknown = sign_in(app.test_client(), email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    text = wrong.get_data(as_text=True)
    assert "이메일 또는 비밀번호가 맞지 않습니다" in text
    strip = re.compile(r'name="(csrf_token|email)" [^>]*>')
    assert strip.sub("", text) == strip.sub("", unknown.get_data(as_text=True))
    assert wrong.headers["Cache-Control"] == "no-store"  # a page with a CSRF token: never cached
    english = form_post(app.test_client(), "/account/sign-in?lang=en",
                        {"email": "nobody@example.com", "password": "x"})
    assert "The e-mail or the password is wrong" in english.get_data(as_text=True)


def test_the_lockout_through_the_web_refuses_even_the_right_password_until_it_ends(make_app, clock: Clock):
    app = make_app(ACCOUNT_SIGN_IN_MAX_FAILURES=3, ACCOUNT_LOCKOUT_MINUTES=20)
    sign_up(app.test_client())
    for _ in range(3):
        assert sign_in(app.test_client(), password="wrong password!").status_code == 401
    locked = sign_in(app.test_client())
    assert locked.status_code == 401  # locked: the same answer as a wrong password
    assert "20분" in locked.get_data(as_text=True)
    client = app.test_client()
    assert not signed_in(client)
    clock.move(minutes=20)
    assert sign_in(client).status_code == 302
    assert signed_in(client)


def test_sign_up_refusals_are_readable(app):
    client = app.test_client()
    short = form_post(client, "/account/sign-up", {"email": "mom@example.com", "password": "short",
                                                  "password_again": "short"})
    assert short.status_code == 400 and "10자 이상" in short.get_data(as_text=True)
    differ = form_post(client, "/account/sign-up", {"email": "mom@example.com", "password": PASSWORD,
                                                   "password_again": PASSWORD + "!"})
    assert differ.status_code == 400 and "두 비밀번호가 다릅니다" in differ.get_data(as_text=True)
    bad = form_post(client, "/account/sign-up?lang=en", {"email": "mom", "password": PASSWORD,
                                                        "password_again": PASSWORD})
    assert bad.status_code == 400 and "name@example.com" in bad.get_data(as_text=True)
    sign_up(client)
    again = form_post(app.test_client(), "/account/sign-up", {"email": "MOM@example.com", "password": PASSWORD,
                                                             "password_again": PASSWORD})
    assert again.status_code == 409 and "이미 있습니다" in again.get_data(as_text=True)


# -- sessions end server-side --------------------------------------------------------------------

def test_signing_in_again_replaces_the_session_id(app):
    client = app.test_client()
    sign_up(client)
    first = cookie_of(client)
    assert sign_in(client).status_code == 302
    second = cookie_of(client)
    assert second != first
    assert signed_in(client)
    assert not signed_in(_with_cookie(app, first))  # the id from before sign-in is dead (fixation)
    reasons = sorted(r.end_reason or "" for r in _rows(app, user_sessions))
    assert reasons == ["", "signed_in_again"]


def test_a_session_planted_before_sign_in_is_not_the_one_signed_in(app):
    """An attacker's cookie (their own session) in the victim's browser: signing in replaces it."""
    attacker = app.test_client()
    sign_up(attacker, "evil@example.com")
    planted = cookie_of(attacker)
    victim = app.test_client()
    sign_up(victim)
    victim.set_cookie(people.COOKIE, planted)
    assert sign_in(victim).status_code == 302
    assert cookie_of(victim) != planted
    assert "mom@example.com" in victim.get("/account").get_data(as_text=True)
    assert not signed_in(_with_cookie(app, planted))


def test_idle_and_absolute_lifetimes(make_app, clock: Clock):
    app = make_app(ACCOUNT_SESSION_IDLE_MINUTES=30, ACCOUNT_SESSION_MAX_HOURS=2)
    client = app.test_client()
    sign_up(client)
    for _ in range(3):
        clock.move(minutes=29)
        assert signed_in(client)  # each request starts the idle time again
    clock.move(minutes=30)
    assert not signed_in(client)
    assert _rows(app, user_sessions)[0].end_reason == "idle"

    sign_in(client)
    for _ in range(7):
        clock.move(minutes=17)
        assert signed_in(client)
    clock.move(minutes=1)  # 2 h after sign-in, however busy
    assert not signed_in(client)
    assert sorted(r.end_reason for r in _rows(app, user_sessions)) == ["absolute", "idle"]


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(app):
    client = app.test_client()
    sign_up(client)
    result = app.test_cli_runner().invoke(args=["accounts", "disable", "--email", "MOM@example.com"])
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert not signed_in(client)
    assert sign_in(app.test_client()).status_code == 401


def test_a_session_of_a_disabled_account_ends_at_its_next_request(app):
    client = app.test_client()
    sign_up(client)
    with get_engine_of(app).begin() as conn:  # disabled by another path than the command
        conn.execute(users.update().values(disabled_at=sa.func.current_timestamp()))
    assert not signed_in(client)
    assert _rows(app, user_sessions)[0].end_reason == "disabled"


def get_engine_of(app: Flask) -> sa.Engine:
    return app.extensions["dolbom_db"]


def test_a_tampered_cookie_is_refused_and_deleted(app):
    client = app.test_client()
    sign_up(client)
    forged = _with_cookie(app, cookie_of(client)[:-2] + "xx")
    r = forged.get("/account")
    assert r.status_code == 302 and "/account/sign-in" in r.headers["Location"]
    assert any(v.startswith(f"{people.COOKIE}=;") for v in r.headers.getlist("Set-Cookie"))


# -- password reset through the web --------------------------------------------------------------

def _reset_link(app: Flask, client: Any, email: str = "mom@example.com") -> str:
    before = {r.id for r in _rows(app, outbox)}
    r = form_post(client, "/account/reset", {"email": email})
    assert r.status_code == 200 and 'id="reset-sent"' in r.get_data(as_text=True)
    (row,) = [r for r in _rows(app, outbox) if r.id not in before]
    assert row.topic == "account.reset"
    return str(row.payload["path"])


def test_a_reset_link_goes_through_the_outbox_works_once_and_ends_every_session(app, caplog):
    caplog.set_level(logging.DEBUG)
    phone, laptop = app.test_client(), app.test_client()
    sign_up(phone)
    sign_in(laptop)
    path = _reset_link(app, app.test_client())
    (row,) = _rows(app, outbox)
    user_id = _rows(app, users)[0].id
    assert row.payload["to"] == [{"user_id": user_id}] and row.idempotency_key.startswith(f"account.reset/{user_id}/")
    assert path.startswith("/account/reset/confirm?token=")  # in the query: access logs drop it
    token = parse_qs(urlsplit(path).query)["token"][0]
    assert token not in caplog.text

    browser = app.test_client()
    new = "a brand new password"
    r = form_post(browser, "/account/reset/confirm", {"token": token, "password": new, "password_again": new},
                  form_page=path)
    assert r.status_code == 302 and "reset=1" in r.headers["Location"]
    assert not signed_in(phone) and not signed_in(laptop)  # every session of the account ended
    assert {s.end_reason for s in _rows(app, user_sessions)} == {"password_reset"}
    assert sign_in(app.test_client()).status_code == 401
    assert sign_in(app.test_client(), password=new).status_code == 302

    twice = form_post(app.test_client(), "/account/reset/confirm",
                      {"token": token, "password": "third password!", "password_again": "third password!"},
                      form_page=path)
    assert twice.status_code == 400 and "이 링크는 쓸 수 없습니다" in twice.get_data(as_text=True)
    assert sign_in(app.test_client(), password="third password!").status_code == 401


def test_a_newer_reset_link_ends_the_older_one(app):
    sign_up(app.test_client())
    older = _reset_link(app, app.test_client())
    newer = _reset_link(app, app.test_client())
    token_of = lambda path: parse_qs(urlsplit(path).query)["token"][0]  # noqa: E731
    pw = "another good password"
    refused = form_post(app.test_client(), "/account/reset/confirm",
                        {"token": token_of(older), "password": pw, "password_again": pw}, form_page=older)
    assert refused.status_code == 400
    taken = form_post(app.test_client(), "/account/reset/confirm",
                      {"token": token_of(newer), "password": pw, "password_again": pw}, form_page=newer)
    assert taken.status_code == 302


def test_a_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing(app):
    sign_up(app.test_client())
    known = form_post(app.test_client(), "/account/reset", {"email": "mom@example.com"})
    unknown = form_post(app.test_client(), "/account/reset", {"email": "nobody@example.com"})
    strip = re.compile(r'name="csrf_token" [^>]*>')
    assert known.status_code == unknown.status_code == 200
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub("", unknown.get_data(as_text=True))
    assert len(_rows(app, outbox)) == 1


# -- CSRF ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/account/sign-in", "/account/sign-up", "/account/reset",
                                  "/account/reset/confirm", "/account/sign-out"])
def test_every_account_form_needs_the_csrf_token_and_says_so_readably(app, path):
    sign_up(app.test_client())
    client = app.test_client()
    client.get("/account/sign-in")  # the browser has a CSRF session, but the form lacks the token
    r = client.post(path, data={"email": "mom@example.com", "password": PASSWORD, "password_again": PASSWORD})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "양식이 만료되었습니다" in page and "<html" in page
    back = re.search(r'<p class="links"><a href="([^"]+)"', page)
    assert back is not None and client.get(back.group(1).replace("&amp;", "&")).status_code in (200, 302)
    en = client.post(f"{path}?lang=en", data={"email": "mom@example.com", "password": PASSWORD})
    assert "This form has expired" in en.get_data(as_text=True)
    assert not signed_in(client)
    assert len(_rows(app, outbox)) == 0


def test_a_token_from_another_browser_is_refused(app):
    sign_up(app.test_client())
    theirs = csrf_of(app.test_client().get("/account/sign-in").get_data(as_text=True))
    mine = app.test_client()
    mine.get("/account/sign-in")
    r = mine.post("/account/sign-in", data={"email": "mom@example.com", "password": PASSWORD, "csrf_token": theirs})
    assert r.status_code == 400 and not signed_in(mine)


@pytest.fixture
def api_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with views guarded by require(): JSON under /api/ and a page."""
    app = make_app()
    probe = Blueprint("probe", __name__)

    @probe.get("/api/v1/probe/me")
    @require("account.read")
    def me() -> Any:
        user = current_user()
        assert user is not None
        return jsonify(id=user.id, roles=list(user.roles))

    @probe.post("/api/v1/probe/bookings")
    @require("bookings.create")
    def book() -> Any:
        return jsonify(booked=True)

    @probe.get("/api/v1/probe/facilities/<facility_id>/bookings")
    @require("bookings.confirm", facility_arg="facility_id")
    def facility_bookings(facility_id: str) -> Any:
        return jsonify(facility_id=facility_id)

    @probe.get("/probe/staff")
    @require("bookings.confirm")
    def staff_page() -> str:
        return "staff only"

    app.register_blueprint(probe)
    return app


def test_a_cookie_authenticated_json_write_needs_the_csrf_header(api_app):
    client = api_app.test_client()
    sign_up(client)
    r = client.post("/api/v1/probe/bookings", json={})
    assert r.status_code == 400
    assert r.json["error"]["code"] == "csrf_failed" and r.json["error"]["field"] == "X-CSRFToken"
    token = csrf_of(client.get("/account").get_data(as_text=True))
    ok = client.post("/api/v1/probe/bookings", json={}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.json == {"booked": True}


def test_token_clients_are_not_asked_for_csrf_and_never_act_as_the_cookies_user(api_app):
    client = api_app.test_client()
    sign_up(client)
    with api_app.app_context():
        provider = tokens.issue(get_engine(), "provider", FACILITY)
    auth = {"Authorization": f"Bearer {provider}"}
    read = client.get(f"/api/v1/providers/{FACILITY}/availability", headers=auth)
    assert read.status_code == 200
    put = client.put(f"/api/v1/providers/{FACILITY}/availability", headers=auth,
                     json={"version": read.json["version"], "vacancies": {"regular": 2}})
    assert put.status_code == 200, put.json  # the existing token API, a session cookie beside it
    r = client.post("/api/v1/probe/bookings", json={}, headers=auth)
    assert r.status_code == 401  # a Bearer request never rides on the cookie's session


def test_the_planner_forms_keep_working_beside_a_session_cookie(app):
    client = app.test_client()
    sign_up(client)
    with app.app_context():
        admin = tokens.issue(get_engine(), "admin")
    r = client.post("/planner/login", data={"token": admin})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert client.get_cookie("session") is not None and signed_in(client)


def test_require_answers_401_json_for_apis_and_a_sign_in_redirect_for_pages(api_app):
    client = api_app.test_client()
    r = client.get("/api/v1/probe/me")
    assert r.status_code == 401 and r.json["error"]["code"] == "sign_in_required"
    page = client.get("/probe/staff?x=1")
    assert page.status_code == 302
    location = urlsplit(page.headers["Location"])
    assert location.path == "/account/sign-in" and parse_qs(location.query)["next"] == ["/probe/staff?x=1"]
    sign_up(client)
    assert client.get("/api/v1/probe/me").json["roles"] == ["guardian"]


def test_roles_deny_by_default_and_staff_reach_only_their_provider(api_app):
    guardian = api_app.test_client()
    sign_up(guardian)
    r = guardian.get(f"/api/v1/probe/facilities/{FACILITY}/bookings")
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    page = guardian.get("/probe/staff")
    assert page.status_code == 403 and "권한이 없습니다" in page.get_data(as_text=True)

    made = _cli(api_app, "create-staff", "--facility", FACILITY, "--email", "staff@daycare.kr")
    assert made.exit_code == 0, made.output
    assert PASSWORD not in made.output
    staff = api_app.test_client()
    assert sign_in(staff, "staff@daycare.kr").status_code == 302
    assert staff.get(f"/api/v1/probe/facilities/{FACILITY}/bookings").json == {"facility_id": FACILITY}
    assert staff.get("/api/v1/probe/facilities/tiny-cc-01/bookings").status_code == 403
    assert staff.get("/probe/staff").get_data(as_text=True) == "staff only"
    assert staff.get("/api/v1/probe/me").json["roles"] == ["provider_staff"]


def test_require_refuses_a_permission_no_role_has():
    with pytest.raises(ValueError, match=r"no role grants 'bookings\.confrim'"):
        require("bookings.confrim")


def test_the_commands_refuse_an_unknown_facility_and_make_admins(app):
    refused = _cli(app, "create-staff", "--facility", "no-such-place", "--email", "staff@daycare.kr")
    assert refused.exit_code != 0 and "no facility with id 'no-such-place'" in refused.output
    assert _rows(app, users) == []
    admin = _cli(app, "create-admin", "--email", "ops@gg.go.kr")
    assert admin.exit_code == 0, admin.output
    client = app.test_client()
    assert sign_in(client, "ops@gg.go.kr").status_code == 302
    assert 'data-role="admin"' in client.get("/account").get_data(as_text=True)
    weak = _cli(app, "create-admin", "--email", "ops2@gg.go.kr", password="short")
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output


# -- where to go after signing in ------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One app with one account for the many ``next`` cases (an app costs a migrated database)."""
    from app import create_app
    from tests.conftest import tiny_config

    from .conftest import CHEAP_ARGON2, SECRET

    tmp = tmp_path_factory.mktemp("next")
    app = create_app({**tiny_config(), "SECRET_KEY": SECRET, **CHEAP_ARGON2,
                      "ACCOUNT_SIGN_IN_RATE_LIMIT": "1000 per minute",
                      "DATABASE_URL": f"sqlite:///{tmp / 'accounts.sqlite3'}"}, instance_path=str(tmp / "instance"))
    sign_up(app.test_client())
    yield app
    app.extensions["dolbom_db"].dispose()


@pytest.mark.parametrize("bad", [
    "////evil.example", "//evil.example", "///evil.example/path", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "/%2F%2Fevil.example", "/%2f/evil.example", "%2F%2Fevil.example",
    "/%5Cevil.example", "/%252F%252Fevil.example", "/\tevil.example", "/%09/evil.example",
    " /evil", "data:text/html,hi", "/" + "a" * 600,
])
def test_next_never_leaves_the_site(shared_app, bad):
    client = shared_app.test_client()
    r = form_post(client, "/account/sign-in", {"email": "mom@example.com", "password": PASSWORD, "next": bad})
    assert r.status_code == 302
    assert r.headers["Location"] == "/account?lang=ko"


@pytest.mark.parametrize("good", ["/programmes?lang=en", "/", "/planner?level=grid&area=41110",
                                  "/?q=%EC%88%98%EC%9B%90"])
def test_next_goes_back_to_a_page_of_the_site(shared_app, good):
    client = shared_app.test_client()
    page = client.get("/account/sign-in", query_string={"next": good}).get_data(as_text=True)
    assert 'name="next"' in page
    r = client.post("/account/sign-in", data={"email": "mom@example.com", "password": PASSWORD, "next": good,
                                              "csrf_token": csrf_of(page)})
    assert r.headers["Location"] == good


# -- the per-address limit -----------------------------------------------------------------------

def _attempt(client: Any, remote: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/account/sign-in", environ_base={"REMOTE_ADDR": remote}, headers=headers)
    r = client.post("/account/sign-in", environ_base={"REMOTE_ADDR": remote}, headers=headers,
                    data={"email": "mom@example.com", "password": "wrong password!",
                          "csrf_token": csrf_of(page.get_data(as_text=True))})
    if r.status_code == 429:
        assert int(r.headers["Retry-After"]) >= 1
        assert "시도가 너무 많습니다" in r.get_data(as_text=True)
    return r.status_code


def test_the_sign_in_limit_counts_the_clients_address_behind_a_trusted_proxy(make_app):
    app = make_app(TRUSTED_PROXIES=1, ACCOUNT_SIGN_IN_RATE_LIMIT="3 per minute",
                   ACCOUNT_SIGN_IN_MAX_FAILURES=100)
    proxy = "10.0.0.2"
    client = app.test_client()
    assert [_attempt(client, proxy, "203.0.113.5") for _ in range(4)] == [401, 401, 401, 429]
    # Another family behind the same proxy is not locked out by the first one's attempts.
    assert _attempt(app.test_client(), proxy, "198.51.100.7") == 401
    # A client cannot pick its own address: the proxy appends the one it saw, and that one counts.
    assert _attempt(app.test_client(), proxy, "198.51.100.99, 203.0.113.5") == 429


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_limit(make_app):
    app = make_app(TRUSTED_PROXIES=0, ACCOUNT_SIGN_IN_RATE_LIMIT="3 per minute",
                   ACCOUNT_SIGN_IN_MAX_FAILURES=100)
    client = app.test_client()
    codes = [_attempt(client, "192.0.2.10", f"203.0.113.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 429]
