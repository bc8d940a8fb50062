"""People's account pages, phone first, Korean and English (``?lang=en``):

- ``/account/sign-up`` and ``/account/sign-in`` (e-mail and password; "sign in with <provider>"
  when an OpenID Connect provider is configured: ``account_oidc``), ``/account/sign-out`` (POST);
- ``/account/reset`` asks for a reset link: the link goes out through the outbox (topic
  ``account.reset``, written in the transaction that makes the link; the outbox worker sends it)
  and the page answers the same whether or not the e-mail has an account; the link is never
  logged nor shown. ``/account/reset/confirm?token=…`` sets the new password: the token rides
  in the query string, which the access logs never keep (``app.privacy``), not in the path, which
  they do; every session of the account ends;
- ``/account``: who is signed in, with what roles, and links to the pages those roles open
  (guardians: /family; provider staff: /provider/inbox; admins: /admin/care-requests).

Sign-in and sign-up answer wrong e-mail, wrong password and a locked account with one message
(a locked account's right password too), so the pages never tell which e-mails have accounts;
sign-up must say that an e-mail is taken, and is limited per client address like the reset
form. Sign-in is limited per client address (``ACCOUNT_SIGN_IN_RATE_LIMIT``; the address is
the client's behind ``TRUSTED_PROXIES`` proxies, never a proxy's) on top of the per-account
lockout. ``next`` (where to go after) must be a path of this site (``next_url``).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DBAPIError
from werkzeug.wrappers import Response as BaseResponse

from app.care.accounts import (
    MESSAGE_LANGUAGES,
    AccountError,
    AccountLocked,
    EmailTaken,
    InvalidEmail,
    InvalidResetToken,
    SignInFailed,
    User,
    WeakPassword,
    normalise_email,
    password_problems,
    token_hash,
)
from app.db.engine import outbox
from app.errors import clip
from app.i18n import DEFAULT as DEFAULT_LANGUAGE
from app.i18n import LANGUAGES, current_language, implicit_language, translate
from app.pages import account_oidc
from app.pages import account_sessions as people
from app.pages.next_url import local_next

bp = Blueprint("account", __name__)
log = logging.getLogger(__name__)

_LIMITER = "dolbom_limiter"  # the app's Flask-Limiter (app.api.providers.init_app)
_LIMITS = "dolbom_account_limits"
RESET_TOPIC = "account.reset"


class TooManyAttempts(Exception):
    """Over a per-address limit; ``retry_after_s``: when the next attempt counts."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(retry_after_s)
        self.retry_after_s = retry_after_s


def client_address() -> str:
    """The rate-limit key: the client's address (``request.remote_addr``: ProxyFix puts the
    client's there when ``TRUSTED_PROXIES`` > 0; with 0 the forwarding headers, which a client
    could forge, are ignored)."""
    return request.remote_addr or "unknown"


def _decorator(scope: str, setting: str) -> Any:
    limits: dict[str, Any] = current_app.extensions.setdefault(_LIMITS, {})
    found = limits.get(scope)
    if found is None:
        found = limits[scope] = current_app.extensions[_LIMITER].shared_limit(
            lambda: current_app.config[setting], f"account-{scope}", key_func=client_address)
    return found


def _retry_after(exc: RateLimitExceeded) -> int:
    current = current_app.extensions[_LIMITER].current_limit
    retry_s = math.ceil(current.window.reset_time - time.time()) if current else 0
    return min(max(retry_s, 1), exc.limit.limit.get_expiry())


# One ``with`` line per limit: Flask-Limiter files a limit used as a context manager under the
# line that uses it, so two limits on one line would be mixed up.
def count_sign_in() -> None:
    """Count a sign-in attempt of this client's address; raises :class:`TooManyAttempts`."""
    try:
        with _decorator("sign-in", "ACCOUNT_SIGN_IN_RATE_LIMIT"):
            pass
    except RateLimitExceeded as exc:
        raise TooManyAttempts(_retry_after(exc)) from None


def count_form() -> None:
    """Count a sign-up or a reset request of this client's address; raises
    :class:`TooManyAttempts`."""
    try:
        with _decorator("forms", "ACCOUNT_FORM_RATE_LIMIT"):
            pass
    except RateLimitExceeded as exc:
        raise TooManyAttempts(_retry_after(exc)) from None


def _next() -> str | None:
    return local_next(request.values.get("next"))


def _after_sign_in(target: str | None, saved: str | None = None) -> BaseResponse:
    """On to ``target`` (a local path) or the account page, in the language the sign-in page was
    in: a ``target`` naming no ``lang`` gets this page's when the browser alone would not pick
    it (``/account/sign-in?lang=en&next=/provider/inbox`` in a Korean browser: the English inbox).
    A person's ``saved`` language (chosen at sign-up or on /account) wins over a sign-in page in
    no more than the browser's own language (tester pass 28: Korean chosen, signed in on an
    English phone, the whole session stayed English), also over the ``lang`` in ``target``."""
    lang = current_language()
    if saved is not None and saved != lang and lang == _browser_language():
        lang = saved
        target = _with_lang(target, lang) if target else None
    if not target:
        return redirect(url_for("account.home", lang=lang))
    return redirect(with_language(target, lang))


def _browser_language() -> str:
    """The language the request's ``Accept-Language`` alone picks (``ko`` by default)."""
    best = request.accept_languages.best_match(LANGUAGES)
    return best if best in LANGUAGES else DEFAULT_LANGUAGE


def _with_lang(target: str, lang: str) -> str:
    """``target`` (a local path) with its ``lang`` set to ``lang`` (added or replaced)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"] + [("lang", lang)]
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def with_language(target: str, lang: str) -> str:
    """``target`` (a local path, maybe with a query and a fragment) with ``lang=<lang>`` added
    when its query has no ``lang`` and the request's ``Accept-Language`` would not give ``lang``."""
    parts = urlsplit(target)
    if "lang" in parse_qs(parts.query) or lang == implicit_language():
        return target
    query = f"{parts.query}&lang={lang}" if parts.query else f"lang={lang}"
    return urlunsplit(("", "", parts.path, query, parts.fragment))


def _form(template: str, status: int = 200, **values: Any) -> tuple[str, int]:
    values.setdefault("next", _next())
    values.setdefault("error", None)
    values.setdefault("email", "")
    return render_template(template, oidc_label=account_oidc.label(), **values), status


def _too_many(template: str, exc: TooManyAttempts, **values: Any) -> Response:
    body, status = _form(template, 429, error=translate("account_too_many", seconds=exc.retry_after_s), **values)
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _unreachable(template: str, **values: Any) -> tuple[str, int]:
    return _form(template, 503, error=translate("account_database_unreachable"), **values)


def _field_error(exc: AccountError) -> str:
    """The message of a refused sign-up or new password, in the page's language."""
    if isinstance(exc, InvalidEmail):
        return translate("account_invalid_email")
    if isinstance(exc, EmailTaken):
        return translate("account_email_taken")
    if isinstance(exc, WeakPassword):
        if exc.reason == "too_short":
            return translate("account_password_short", n=current_app.config["ACCOUNT_PASSWORD_MIN_LENGTH"])
        if exc.reason == "too_long":
            return translate("account_password_long")
        return translate("account_password_email")
    return translate("account_refused")


def sign_up_problems(email: str, password: str, password_again: str) -> list[str]:
    """Every problem of a sign-up form, in the page's language, all at once (tester pass 28: the
    server named one at a time): an e-mail that is not one, each rule the password breaks
    (:func:`~app.care.accounts.password_problems`, against the e-mail as it would be stored),
    and two passwords that differ. Empty when the form can go to the store."""
    found = []
    try:
        address = normalise_email(email)
    except InvalidEmail as exc:
        found.append(_field_error(exc))
        address = email
    found += [_field_error(p) for p in password_problems(password, address,
                                                         int(current_app.config["ACCOUNT_PASSWORD_MIN_LENGTH"]))]
    if password != password_again:
        found.append(translate("account_passwords_differ"))
    return found


@bp.get("/account")
@people.require("account.read")
def home() -> str:
    """Who is signed in: the e-mail (hidden for an account made by an OpenID Connect
    provider, which has none of its own) and the roles."""
    user = people.current_user()
    assert user is not None  # require() made sure
    spec = people.roles()
    lang = current_language()
    grants = [(spec.get(g.role).name, _role_label(g.role, lang), g.facility_id) for g in user.grants if g.role in spec]
    return render_template("account_home.html", user=user, grants=grants, links=_role_links(user),
                           email=None if user.email.endswith(account_oidc.PLACEHOLDER_DOMAIN) else user.email,
                           message_language=people.accounts().language(user.id),
                           language_saved=request.args.get("saved") == "language")


@bp.post("/account/language")
@people.require("account.read")
def set_language() -> BaseResponse | tuple[str, int]:
    """Set the person's language (form field ``locale``: ko or en): their messages' and that of
    their pages opened without ``?lang`` (:func:`app.i18n.implicit_language`); only this form
    changes it after sign-up (a page's ``?lang`` or the browser's language never does). The page
    then shows /account in that language. An unknown
    or missing value is a 400 page, in the page's language, naming the value sent and the
    allowed ones (:data:`~app.care.accounts.MESSAGE_LANGUAGES`); nothing is written then."""
    user = people.current_user()
    assert user is not None  # require() made sure
    locale = request.form.get("locale", "")
    if locale not in MESSAGE_LANGUAGES:
        return people.message_page(
            "account_message_language",
            translate("account_message_language_unknown", allowed=", ".join(MESSAGE_LANGUAGES), value=clip(locale)),
            400, link=(url_for("account.home", lang=current_language()), translate("account_title")))
    people.accounts().set_language(user.id, locale, people.sessions().now())
    return redirect(url_for("account.home", lang=locale, saved="language"))


def _role_links(user: User) -> list[tuple[str, str, str]]:
    """(id, url, label) of the pages the user's roles open, by the permission each page
    requires: guardians their family (/family), provider staff their inbox, admins the queue of
    unmatched requests."""
    spec = people.roles()
    lang = current_language()
    links = []
    if spec.acting_as(user, "children.manage", owner_id=user.id) is not None:
        links.append(("link-family", url_for("family.family_page", lang=lang), translate("family_title")))
    if spec.facilities(user, "bookings.confirm"):
        links.append(("link-inbox", url_for("family.inbox_page", lang=lang), translate("inbox_title")))
    if spec.allows(user, "care_requests.unmatched"):
        links.append(("link-queue", url_for("family.unmatched_page", lang=lang), translate("queue_title")))
    return links


def _role_label(role: str, lang: str) -> str:
    from app.reference import document

    label = document("roles.json")["roles"].get(role, {}).get("label", {})
    return str(label.get(lang) or label.get("ko") or role)


@bp.get("/account/sign-up")
def sign_up_page() -> tuple[str, int]:
    """The sign-up form (a guardian's account)."""
    return _form("account_sign_up.html")


@bp.post("/account/sign-up")
def sign_up() -> BaseResponse | tuple[str, int]:
    """Make a guardian's account and sign it in."""
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    try:
        count_form()
    except TooManyAttempts as exc:
        return _too_many("account_sign_up.html", exc, email=email)
    problems = sign_up_problems(email, password, request.form.get("password_again", ""))
    if problems:
        return _form("account_sign_up.html", 400, error=problems[0] if len(problems) == 1 else problems, email=email)
    store = people.accounts()
    try:
        user = store.sign_up(email, password, now=people.sessions().now(), locale=current_language())
        people.sign_in(user, "password")
    except AccountError as exc:
        return _form("account_sign_up.html", exc.http_status, error=_field_error(exc), email=email)
    except DBAPIError:
        return _unreachable("account_sign_up.html", email=email)
    return _after_sign_in(_next())


@bp.get("/account/sign-in")
def sign_in_page() -> tuple[str, int]:
    """The sign-in form."""
    return _form("account_sign_in.html")


@bp.post("/account/sign-in")
def sign_in() -> BaseResponse | tuple[str, int]:
    """Check the e-mail and password; on success a new session (a new id) and on to ``next``."""
    email = request.form.get("email", "")
    try:
        count_sign_in()
    except TooManyAttempts as exc:
        return _too_many("account_sign_in.html", exc, email=email)
    try:
        user = people.accounts().sign_in(email, request.form.get("password", ""), now=people.sessions().now())
        people.sign_in(user, "password")
        saved = people.accounts().saved_language(user.id)
    except (SignInFailed, AccountLocked):
        # One answer for a wrong e-mail, a wrong password and a locked account.
        return _form("account_sign_in.html", 401, error=translate(
            "account_sign_in_failed", minutes=current_app.config["ACCOUNT_LOCKOUT_MINUTES"]), email=email)
    except DBAPIError:
        return _unreachable("account_sign_in.html", email=email)
    return _after_sign_in(_next(), saved)


@bp.post("/account/sign-out")
def sign_out() -> BaseResponse | tuple[str, int]:
    """End this browser's session on every server."""
    try:
        people.sign_out()
    except DBAPIError:
        return people.message_page("account_sign_out", translate("account_database_unreachable"), 503)
    return redirect(url_for("account.sign_in_page", lang=current_language(), signed_out=1))


def _mails_links() -> bool:
    """Whether a reset link can go out at all: by e-mail only, which needs ``NOTIFY_SMTP_HOST``
    and ``NOTIFY_PUBLIC_BASE_URL`` (the outbox fails the message otherwise, naming them). The
    pages say so rather than "sent"; it depends on the settings only, never on the e-mail, so
    the answer still does not tell which e-mails have accounts."""
    cfg = current_app.config
    return bool(cfg.get("NOTIFY_SMTP_HOST")) and bool(cfg.get("NOTIFY_PUBLIC_BASE_URL"))


@bp.get("/account/reset")
def reset_page() -> tuple[str, int]:
    """The form asking for a password-reset link."""
    return _form("account_reset.html", sent=False, mails_links=_mails_links())


@bp.post("/account/reset")
def reset_request() -> BaseResponse | tuple[str, int]:
    """Send a reset link through the outbox when the e-mail has an account; the same answer
    either way."""
    email = request.form.get("email", "")
    try:
        count_form()
    except TooManyAttempts as exc:
        return _too_many("account_reset.html", exc, email=email, sent=False, mails_links=_mails_links())
    store = people.accounts()
    now = people.sessions().now()
    lang = current_language()

    def announce(conn: Any, token: str, user_id: str) -> None:
        path = url_for("account.reset_confirm", token=token, lang=lang)
        conn.execute(outbox.insert().values(
            idempotency_key=f"{RESET_TOPIC}/{user_id}/{token_hash(token)[:32]}", topic=RESET_TOPIC,
            payload={"to": [{"user_id": user_id}], "path": path, "lang": lang,
                     "expires_at": (now + store.reset_ttl).astimezone(UTC).isoformat()},
            created_at=now, available_at=now, attempts=0, sent_at=None))

    try:
        store.issue_reset(email, now=now, announce=announce)
    except DBAPIError:
        return _unreachable("account_reset.html", email=email, sent=False, mails_links=_mails_links())
    return _form("account_reset.html", sent=True, mails_links=_mails_links())


@bp.get("/account/reset/confirm")
def reset_confirm_page() -> BaseResponse | tuple[str, int]:
    """The new-password form of a reset link that still works; a dead link (used, replaced by a
    newer one, expired) gets its message at once with the form asking for a new link (400); no
    token at all: on to that form. Looking spends nothing: the link still works for the POST."""
    token = request.args.get("token", "")
    if not token:
        return redirect(url_for("account.reset_page", lang=current_language()))
    try:
        people.accounts().check_reset(token, now=people.sessions().now())
    except InvalidResetToken:
        return _form("account_reset.html", 400, sent=False, mails_links=_mails_links(),
                     error=translate("account_reset_invalid"))
    except DBAPIError:
        return _unreachable("account_reset_confirm.html", token=token)
    return _form("account_reset_confirm.html", token=token)


@bp.post("/account/reset/confirm")
def reset_confirm() -> BaseResponse | tuple[str, int]:
    """Set the new password (the link works once, only the newest one, before it expires);
    every session of the account ends; then sign in with it."""
    token = request.form.get("token", "")
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _form("account_reset_confirm.html", 400, token=token, error=translate("account_passwords_differ"))
    try:
        user = people.accounts().reset_password(token, password, now=people.sessions().now())
        people.sessions().end_all(user.id, "password_reset")
    except InvalidResetToken:
        return _form("account_reset_confirm.html", 400, token="", error=translate("account_reset_invalid"))
    except AccountError as exc:
        return _form("account_reset_confirm.html", 400, token=token, error=_field_error(exc))
    except DBAPIError:
        return _unreachable("account_reset_confirm.html", token=token)
    if request.cookies.get(people.COOKIE):
        people.sign_out()  # this browser's cookie names an ended session now
    return redirect(url_for("account.sign_in_page", lang=current_language(), reset=1))


bp.get("/account/oidc/start", endpoint="oidc_start")(account_oidc.start)
bp.get("/account/oidc/callback", endpoint="oidc_callback")(account_oidc.callback)


def init_app(app: Flask) -> None:
    """Register the account pages, people's sessions and the OpenID Connect sign-in."""
    people.init_app(app)
    account_oidc.init_app(app)
    app.register_blueprint(bp)
