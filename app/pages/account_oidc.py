"""Sign-in through an OpenID Connect provider (간편인증: Kakao, Naver and others speak OIDC),
with Authlib's Flask client (``authlib.integrations.flask_client``).

Settings: ``OIDC_ISSUER`` (its discovery document is ``<issuer>/.well-known/openid-configuration``;
https, or http on a loopback address for trials), ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET``,
``OIDC_SCOPES`` (must hold ``openid``), ``OIDC_LABEL`` (the button: "카카오"), ``OIDC_TIMEOUT_S``
(each request to the provider), ``OIDC_REDIRECT_URI`` (the callback URL registered with the
provider; empty: this site's ``/account/oidc/callback`` as the request names it). No issuer or
client id: the sign-in pages show no provider button and these routes answer 404.

The flow: authorization code with PKCE (S256), a ``state`` and a ``nonce``; the ID token's
signature (the provider's JWKS), issuer, audience, expiry and nonce are checked by Authlib. The
state, nonce and PKCE verifier are kept in ``oidc_states`` (keyed by the state's SHA-256, single
use, ``OIDC_STATE_MINUTES``), not in the session cookie: a request the page makes in the
background while the browser is at the provider rewrites that cookie with what it held before,
and the sign-in would be lost. The state is bound to the browser by a cookie of its own
(``dolbom_oidc``, path ``/account/oidc``, which no other request touches), so a callback link
made by someone else cannot sign this browser in (login CSRF).

An identity (issuer, ``sub``) links to one account in ``user_identities``; the first sign-in
makes a guardian's account for it, with a placeholder address under ``.invalid`` (never
delivered, never shared with another account) and a random password no one knows. An e-mail
from the provider is never used to find an account (an unverified one would hand it over).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa
from authlib.common.security import is_secure_transport
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, request, url_for
from joserfc.errors import JoseError
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from app.care.accounts import MESSAGE_LANGUAGES, AccountError, User
from app.db.engine import users
from app.db.session_tables import oidc_states, user_identities
from app.i18n import current_language, translate
from app.pages import account_sessions as people
from app.pages.next_url import local_next
from app.pages.server_sessions import as_utc, came_over_https, digest

log = logging.getLogger(__name__)

BINDING_COOKIE = "dolbom_oidc"
BINDING_PATH = "/account/oidc"
PLACEHOLDER_DOMAIN = "@oidc.users.invalid"
_CLIENT = "dolbom_oidc_client"
_NAME = "provider"


class OidcSettingError(RuntimeError):
    """An OIDC_* setting that cannot work: start-up stops naming it."""


def configured(app: Flask | None = None) -> bool:
    """Whether an OpenID Connect provider is configured (issuer and client id)."""
    cfg = (app or current_app).config
    return bool(cfg.get("OIDC_ISSUER")) and bool(cfg.get("OIDC_CLIENT_ID"))


def label() -> str | None:
    """The provider's name for the button, or None when none is configured."""
    if not configured():
        return None
    return str(current_app.config.get("OIDC_LABEL") or "OpenID Connect")


def _issuer(app: Flask) -> str:
    return str(app.config["OIDC_ISSUER"]).rstrip("/")


def _check_settings(app: Flask) -> None:
    cfg = app.config
    issuer = _issuer(app)
    if not is_secure_transport(issuer) or "?" in issuer or "#" in issuer:
        raise OidcSettingError(f"OIDC_ISSUER must be an https:// URL without query or fragment (http:// only on "
                               f"a loopback address), not {issuer!r}")
    if "openid" not in str(cfg.get("OIDC_SCOPES") or "").split():
        raise OidcSettingError(f"OIDC_SCOPES must include openid (space-separated), not {cfg.get('OIDC_SCOPES')!r}")
    redirect_uri = cfg.get("OIDC_REDIRECT_URI") or ""
    if redirect_uri and not is_secure_transport(redirect_uri):
        raise OidcSettingError(f"OIDC_REDIRECT_URI must be an https:// URL (http:// only on a loopback address), "
                               f"not {redirect_uri!r}")


def _client() -> Any:
    return current_app.extensions[_CLIENT]


def _metadata() -> dict[str, Any]:
    """The provider's discovery document (read once per process), checked: its issuer must be
    the configured one (OpenID Connect Discovery 1.0, section 4.3)."""
    metadata = cast(dict[str, Any], _client().load_server_metadata())
    if str(metadata.get("issuer", "")).rstrip("/") != _issuer(current_app):
        raise OAuthError(error="issuer_mismatch", description="the discovery document names another issuer")
    return metadata


def _redirect_uri() -> str:
    return str(current_app.config.get("OIDC_REDIRECT_URI") or url_for("account.oidc_callback", _external=True))


def _failed(status: int = 400) -> tuple[str, int]:
    return people.message_page("account_oidc_failed_title",
                               translate("account_oidc_failed", provider=label() or ""), status,
                               link=(url_for("account.sign_in_page", lang=current_language()),
                                     translate("account_sign_in_again")))


def start() -> BaseResponse | tuple[str, int]:
    """Send the browser to the provider: a new state, nonce and PKCE verifier kept server-side,
    bound to this browser's ``dolbom_oidc`` cookie (kept when it already has one, so two tabs
    signing in at once both work)."""
    if not configured():
        abort(404)
    binding = request.cookies.get(BINDING_COOKIE) or ""
    if not 40 <= len(binding) <= 64 or not binding.replace("-", "").replace("_", "").isalnum():
        binding = secrets.token_urlsafe(32)
    next_url = local_next(request.args.get("next")) or url_for("account.home", lang=current_language())
    sessions = people.sessions()
    now = sessions.now()
    try:
        _metadata()
        redirect_uri = _redirect_uri()
        made = _client().create_authorization_url(redirect_uri)
        engine = current_app.extensions["dolbom_db"]
        with engine.begin() as conn:
            conn.execute(oidc_states.delete().where(oidc_states.c.expires_at < now - timedelta(days=1)))
            conn.execute(oidc_states.insert().values(
                id=digest(made["state"]), binding=digest(binding), nonce=made["nonce"],
                code_verifier=made["code_verifier"], redirect_uri=redirect_uri, next_url=next_url,
                created_at=now, expires_at=now + timedelta(minutes=float(current_app.config["OIDC_STATE_MINUTES"]))))
    except (OAuthError, requests.RequestException, ValueError) as exc:
        log.warning("OpenID Connect sign-in not started: %s", type(exc).__name__)
        return _failed(502)
    except DBAPIError:
        return people.message_page("account_oidc_failed_title", translate("account_database_unreachable"), 503)
    response = redirect(made["url"])
    response.set_cookie(BINDING_COOKIE, binding, path=BINDING_PATH, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE"))
                        or came_over_https(current_app, request),
                        max_age=int(float(current_app.config["OIDC_STATE_MINUTES"]) * 60))
    return response


def _claim_state(state: str, binding: str) -> Any:
    """The sign-in under way named by ``state``, spent now (single use), when this browser
    started it and it has not expired; else None."""
    now = people.sessions().now()
    engine = current_app.extensions["dolbom_db"]
    key = digest(state)
    with engine.begin() as conn:
        row = conn.execute(sa.select(oidc_states).where(oidc_states.c.id == key)).first()
        if row is None or row.used_at is not None:
            return None
        if not hmac.compare_digest(row.binding, digest(binding)):
            return None
        if now >= as_utc(row.expires_at):
            return None
        spent = conn.execute(oidc_states.update().where(oidc_states.c.id == key, oidc_states.c.used_at.is_(None))
                             .values(used_at=now)).rowcount
    return row if spent == 1 else None


def callback() -> BaseResponse | tuple[str, int]:
    """The provider sends the browser back here: check the state (this browser's, unused,
    unexpired), redeem the code with the PKCE verifier, verify the ID token (signature,
    issuer, audience, expiry, nonce), then sign in the account linked to (issuer, sub), made on
    first use."""
    if not configured():
        abort(404)
    if request.args.get("error"):
        log.info("OpenID Connect sign-in refused by the provider: %s", str(request.args["error"])[:40])
        return _failed(400)
    state, code = request.args.get("state", ""), request.args.get("code", "")
    binding = request.cookies.get(BINDING_COOKIE, "")
    if not state or not code or not binding:
        return _failed(400)
    try:
        row = _claim_state(state, binding)
    except DBAPIError:
        return people.message_page("account_oidc_failed_title", translate("account_database_unreachable"), 503)
    if row is None:
        log.info("OpenID Connect callback refused: unknown, used, expired or another browser's state")
        return _failed(400)
    issuer = _issuer(current_app)
    try:
        _metadata()
        token = _client().fetch_access_token(redirect_uri=row.redirect_uri, code=code,
                                             code_verifier=row.code_verifier)
        claims = _client().parse_id_token(token, nonce=row.nonce, claims_options={
            "iss": {"essential": True, "values": [issuer]}, "sub": {"essential": True}})
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        log.warning("OpenID Connect sign-in failed: %s %s", type(exc).__name__,
                    getattr(exc, "error", "") or "")
        return _failed(400)
    subject = claims.get("sub") if claims is not None else None
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:  # OIDC Core 2: at most 255 ASCII
        log.warning("OpenID Connect sign-in failed: no ID token, or no usable subject")
        return _failed(400)
    try:
        user = _linked_user(issuer, subject, _page_language(row.next_url))
        if user is None:
            return _failed(403)
        people.sign_in(user, "oidc")
    except DBAPIError:
        return people.message_page("account_oidc_failed_title", translate("account_database_unreachable"), 503)
    # The binding cookie stays (it lapses with OIDC_STATE_MINUTES): another tab's sign-in under
    # way needs it, and a spent state cannot be used again.
    return redirect(local_next(row.next_url) or url_for("account.home", lang=current_language()))


def _page_language(next_url: str | None) -> str:
    """The language of the page the person started signing in from: the ``lang`` of the page
    they return to (the sign-in page gives it), else this request's (:func:`current_language`)."""
    lang = parse_qs(urlsplit(next_url or "").query).get("lang", [""])[-1]
    return lang if lang in MESSAGE_LANGUAGES else current_language()


def _linked_user(issuer: str, subject: str, locale: str) -> User | None:
    """The account linked to (issuer, subject), made (a guardian) and linked on first use, its
    messages in ``locale`` (the sign-up page's language, as a sign-up with a password keeps);
    None when that account is disabled."""
    store = people.accounts()
    now = people.sessions().now()
    engine = store.engine
    ui = user_identities
    with engine.connect() as conn:
        found = conn.execute(sa.select(ui.c.user_id, users.c.disabled_at)
                             .select_from(ui.join(users, users.c.id == ui.c.user_id))
                             .where(ui.c.issuer == issuer, ui.c.subject == subject)).first()
    if found is not None:
        if found.disabled_at is not None:
            return None
        with engine.begin() as conn:
            conn.execute(ui.update().where(ui.c.issuer == issuer, ui.c.subject == subject).values(last_used_at=now))
        return store.get(found.user_id)
    tag = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:32]
    try:
        user = store.sign_up(f"{tag}{PLACEHOLDER_DOMAIN}", secrets.token_urlsafe(32), now=now, locale=locale)
    except AccountError:
        user = None  # made a moment ago by a parallel callback of the same identity: linked below
    if user is not None:
        try:
            with engine.begin() as conn:
                conn.execute(ui.insert().values(issuer=issuer, subject=subject, user_id=user.id,
                                                created_at=now, last_used_at=now))
            log.info("account %s made for an OpenID Connect identity", user.id)
            return user
        except IntegrityError:
            with engine.begin() as conn:  # another callback linked it first: drop ours
                conn.execute(users.delete().where(users.c.id == user.id))
    with engine.connect() as conn:
        user_id = conn.execute(sa.select(ui.c.user_id).where(ui.c.issuer == issuer, ui.c.subject == subject)).scalar()
    return store.get(user_id) if user_id is not None else None


def init_app(app: Flask) -> None:
    """Check the OIDC_* settings and make the client (routes: ``account``'s
    ``/account/oidc/start`` and ``/account/oidc/callback``). Raises :class:`OidcSettingError`."""
    if not configured(app):
        return
    _check_settings(app)
    oauth = OAuth(app)
    app.extensions[_CLIENT] = oauth.register(
        _NAME, client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config.get("OIDC_CLIENT_SECRET") or None,
        server_metadata_url=f"{_issuer(app)}/.well-known/openid-configuration",
        client_kwargs={"scope": str(app.config["OIDC_SCOPES"]), "code_challenge_method": "S256",
                       "default_timeout": float(app.config["OIDC_TIMEOUT_S"])})
