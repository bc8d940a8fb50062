"""People's sessions (guardians, provider staff, admins): who is signed in, and who may do what.

The design of the planner's sessions (``planner_sessions``; helpers shared in
``server_sessions``), in a cookie of its own: ``dolbom_account``, signed with the app's secret
key, holding a random session id; HttpOnly, SameSite=Lax (an OpenID Connect callback is a
cross-site top-level GET, which a Strict cookie would miss on the page it lands on), Secure
with ``SESSION_COOKIE_SECURE`` or on an HTTPS request. Each request that asks who is signed in
checks the session's row in ``user_sessions`` (one query, with the account's state), so on every
server sharing the database a session ends:

- at sign-out (the row is ended: a copy of the cookie is refused everywhere);
- after ``ACCOUNT_SESSION_IDLE_MINUTES`` without a request, and ``ACCOUNT_SESSION_MAX_HOURS``
  after sign-in however busy;
- when the account is disabled, and when its password is reset (every session of the account,
  also through a path other than this web layer: a session older than the newest used reset
  link is over);
- at the next sign-in in the same browser (the id is replaced: no session fixation).

Public API for views and APIs:

- :func:`current_user` — the signed-in :class:`~app.care.accounts.User` or None. A request
  that carries ``Authorization: Bearer`` is a machine client's (``app.api.auth``): its cookie is
  never used, so the user is None.
- :func:`require` — a view decorator, deny by default: 401 when signed out (the JSON error
  envelope under ``/api/``; a redirect to the sign-in page, coming back afterwards, for
  pages), 403 when no role of the user grants the permission (on the view's object when the
  decorator names the URL variable holding its provider or owner).
- :func:`check` — the same inside a view, for an object it has loaded.
- :func:`chosen_language` — the signed-in person's chosen language, which their pages without
  ``?lang`` show (``app.i18n``); visiting pages never changes it.
- :func:`note_use` — a guardian's sign-in and signed-in requests count as the family's use of
  the service (the retention purge's clock), written at most once an hour per family.

CSRF (Flask-WTF): every form POST of the account pages, and every write that a session cookie
authenticates (a form field ``csrf_token``, or the header ``X-CSRFToken`` for JSON), must carry
the token; requests with ``Authorization: Bearer`` are exempt (a token is not sent by a
browser on its own), and so is the planner (its cookie is SameSite=Strict and each write checks
``Origin``). A refusal is the JSON error envelope under ``/api/`` and a page (ko/en) elsewhere.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import limits
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from app.api.auth import bearer, database_error
from app.care.accounts import AccountStore, Roles, User, user_of_rows
from app.care.children import USE_STAMP_EVERY
from app.care.states import GUARDIAN
from app.db.engine import password_resets, reads, user_roles, users
from app.db.session_tables import user_sessions
from app.errors import ApiError, error_body
from app.extensions.care import get_children
from app.i18n import CHOSEN_LANGUAGE, PREFERENCE, current_language, translate
from app.pages.server_sessions import as_utc, came_over_https, digest, lapsed, needs_touch, new_session_id, utcnow

log = logging.getLogger(__name__)

COOKIE = "dolbom_account"
_SALT = "dolbom-account-session"
METHODS = ("password", "oidc")
# Blueprints whose writes defend themselves against cross-site requests (the planner: a
# SameSite=Strict cookie and an Origin check on each write), so their forms carry no CSRF token.
CSRF_EXEMPT_BLUEPRINTS = frozenset({"planner"})
_STATE = "dolbom_account_sessions"
_STORE = "dolbom_accounts"
_NOBODY = object()
USE_MEMO_MAX = 100_000  # families whose last written use one process remembers
F = TypeVar("F", bound=Callable[..., Any])


class SignInRequired(ApiError):
    """Not signed in (or the session has ended): 401."""

    status = 401
    code = "sign_in_required"


class NotAllowed(ApiError):
    """Signed in, but no role of the account grants this: 403."""

    status = 403
    code = "forbidden"


# Built once (every signed-in request reads it): the session, its account's state and the
# account's newest password reset.
_NEWEST_RESET = (sa.select(sa.func.max(password_resets.c.used_at))
                 .where(password_resets.c.user_id == user_sessions.c.user_id).scalar_subquery())
# The session and its account with the account's grants (one row per grant), in one statement:
# read on every signed-in request.
_SESSION = (sa.select(user_sessions.c.user_id, user_sessions.c.created_at.label("session_created_at"),
                      user_sessions.c.last_seen_at, user_sessions.c.ended_at, users.c.disabled_at,
                      _NEWEST_RESET.label("reset_at"), users.c.id, users.c.email, users.c.created_at,
                      user_roles.c.role, user_roles.c.facility_id)
            .select_from(user_sessions.join(users, users.c.id == user_sessions.c.user_id)
                         .outerjoin(user_roles, user_roles.c.user_id == users.c.id))
            .where(user_sessions.c.id == sa.bindparam("key")).order_by(user_roles.c.role))


class Sessions:
    """People's sessions on one engine. ``idle`` and ``longest``: the lifetimes; ``clock``: the
    time (aware; tests move it). Raises ``DBAPIError`` when the database cannot answer."""

    def __init__(self, engine: sa.Engine, idle: timedelta, longest: timedelta,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.idle = idle
        self.longest = longest
        self.clock = clock

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return self.clock().astimezone(UTC)

    def start(self, user_id: str, method: str) -> str:
        """A new session of ``user_id`` signed in by ``method`` (``password`` or ``oidc``): its
        id, to be put in the cookie (the table keeps only its SHA-256)."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        now = self.now()
        sid = new_session_id()
        with self.engine.begin() as conn:
            # Sessions over their absolute lifetime can never come back: forget them.
            conn.execute(user_sessions.delete().where(user_sessions.c.created_at < now - 2 * self.longest))
            conn.execute(user_sessions.insert().values(id=digest(sid), user_id=user_id, method=method,
                                                       created_at=now, last_seen_at=now))
        return sid

    def resolve(self, sid: str) -> str | None:
        """The account id of session ``sid`` while it may go on; None when it has ended
        (:meth:`resolve_user`)."""
        user = self.resolve_user(sid)
        return None if user is None else user.id

    def resolve_user(self, sid: str) -> User | None:
        """The account (with its grants) of session ``sid`` while it may go on, read with the
        session in one statement; None when it has ended (it is ended in the database when
        found over a lifetime, its account disabled, or its password reset since sign-in). A
        live session gets its last-request time written (at most every ``TOUCH_SECONDS``)."""
        now = self.now()
        key = digest(sid)
        with reads(self.engine).connect() as conn:
            rows = conn.execute(_SESSION, {"key": key}).all()
        if not rows or rows[0].ended_at is not None:
            return None
        row = rows[0]
        created, seen = as_utc(row.session_created_at), as_utc(row.last_seen_at)
        reset_at = as_utc(row.reset_at)
        reason = ("disabled" if row.disabled_at is not None
                  else "password_reset" if reset_at is not None and created < reset_at
                  else lapsed(created, seen, now, self.idle, self.longest))
        if reason is not None:
            self._end(user_sessions.c.id == key, reason, now)
            return None
        if needs_touch(seen, now):
            with self.engine.begin() as conn:
                conn.execute(user_sessions.update().where(user_sessions.c.id == key).values(last_seen_at=now))
        return user_of_rows(rows)

    def end(self, sid: str, reason: str) -> None:
        """End session ``sid`` (``reason``: sign_out, signed_in_again, …) on every server."""
        self._end(user_sessions.c.id == digest(sid), reason, self.now())

    def end_all(self, user_id: str, reason: str) -> int:
        """End every live session of ``user_id`` (password reset, account disabled); how many."""
        return self._end(user_sessions.c.user_id == user_id, reason, self.now())

    def _end(self, which: sa.ColumnElement[bool], reason: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(user_sessions.update().where(which, user_sessions.c.ended_at.is_(None))
                                .values(ended_at=now, end_reason=reason)).rowcount


def sessions(app: Flask | None = None) -> Sessions:
    """The app's :class:`Sessions` (its ``clock`` is what tests move)."""
    return cast(Sessions, (app or current_app).extensions[_STATE])


def accounts(app: Flask | None = None) -> AccountStore:
    """The app's :class:`~app.care.accounts.AccountStore` (made at first use: it computes one
    argon2 hash), with the ``ACCOUNT_*`` settings."""
    app = app or current_app
    holder: dict[str, Any] = app.extensions[_STORE]
    with holder["lock"]:
        store = holder.get("store")
        if store is None:
            cfg = app.config
            hasher = PasswordHasher(time_cost=int(cfg["ACCOUNT_ARGON2_TIME_COST"]),
                                    memory_cost=int(cfg["ACCOUNT_ARGON2_MEMORY_KIB"]),
                                    parallelism=int(cfg["ACCOUNT_ARGON2_PARALLELISM"]))
            store = holder["store"] = AccountStore(
                app.extensions["dolbom_db"], hasher=hasher, roles=roles(app),
                max_failures=int(cfg["ACCOUNT_SIGN_IN_MAX_FAILURES"]),
                failure_window=timedelta(minutes=float(cfg["ACCOUNT_SIGN_IN_FAILURE_WINDOW_MINUTES"])),
                lockout=timedelta(minutes=float(cfg["ACCOUNT_LOCKOUT_MINUTES"])),
                min_password_length=int(cfg["ACCOUNT_PASSWORD_MIN_LENGTH"]),
                reset_ttl=timedelta(minutes=float(cfg["ACCOUNT_RESET_LINK_MINUTES"])))
        return store


def roles(app: Flask | None = None) -> Roles:
    """The roles (``app/reference/roles.json``), read once per app."""
    return cast(Roles, (app or current_app).extensions[_STORE]["roles"])


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key or "", salt=_SALT)


def _cookie_sid() -> str | None:
    """The session id in the request's cookie when its signature holds (and is younger than the
    absolute lifetime), else None."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    app = current_app
    try:
        sid = _serializer(app).loads(value, max_age=int(sessions(app).longest.total_seconds()))
    except BadSignature:
        return None
    return sid if isinstance(sid, str) else None


def current_user() -> User | None:
    """The signed-in account of this request, or None (no cookie, a session that has ended, or
    a request with ``Authorization: Bearer``, whose cookie is never used). Read once per
    request. Raises the API's 503 error when the database cannot be reached."""
    found = g.get("dolbom_user", None)
    if found is not None:
        return None if found is _NOBODY else cast(User, found)
    user = _load_user()
    g.dolbom_user = _NOBODY if user is None else user
    return user


def _load_user() -> User | None:
    if bearer() is not None or request.headers.get("Authorization"):
        return None
    sid = _cookie_sid()
    if sid is None:
        if COOKIE in request.cookies:
            g.dolbom_cookie = None  # a cookie we cannot read: delete it
        return None
    try:
        user = sessions().resolve_user(sid)
    except DBAPIError as exc:
        raise database_error(exc) from None
    if user is None:
        g.dolbom_cookie = None
        return None
    g.dolbom_sid = sid
    try:
        note_use(user)
    except DBAPIError as exc:
        raise database_error(exc) from None
    return user


def chosen_language() -> str | None:
    """The language the signed-in person chose (at sign-up or on /account:
    :meth:`~app.care.accounts.AccountStore.saved_language`), which their pages without ``?lang``
    show (:func:`app.i18n.implicit_language` asks here); None when nobody is signed in (no
    cookie, or a machine client's ``Authorization``), they never chose, or the database cannot
    answer (the browser's ``Accept-Language`` then decides). Opening pages never writes it: a
    page's ``?lang`` or the browser's language is not a choice of the person's language."""
    if "dolbom_user" not in g and (COOKIE not in request.cookies or request.headers.get("Authorization")):
        return None  # nobody signed in, nor signing in during this request
    try:
        user = current_user()
        return accounts().saved_language(user.id) if user is not None else None
    except (ApiError, DBAPIError):
        return None


def note_use(user: User) -> None:
    """Count this request of a signed-in guardian as the family's use of the service (the
    retention purge's clock, :meth:`~app.care.children.ChildStore.record_use`): written at most
    once per :data:`~app.care.children.USE_STAMP_EVERY` per family, and this process asks the
    database at most as often (a memo of when it last wrote each family's use). Raises
    ``DBAPIError`` when the database cannot be written."""
    if GUARDIAN not in user.roles:
        return
    now = sessions().now()
    holder: dict[str, Any] = current_app.extensions[_STORE]
    memo: dict[str, datetime] = holder["used"]
    last = memo.get(user.id)
    if last is not None and timedelta(0) <= now - last < USE_STAMP_EVERY:
        return
    get_children().record_use(user.id, now, unless_within=USE_STAMP_EVERY)
    with holder["lock"]:
        if len(memo) >= USE_MEMO_MAX:
            memo.clear()  # a bound on memory; the database's condition keeps the writes rare all the same
        memo[user.id] = now


def sign_in(user: User, method: str) -> None:
    """Sign ``user`` in in this browser: a new session id (the browser's previous session, if
    any, ends: no fixation), a new CSRF token, and the cookie set on the response. Raises
    ``DBAPIError`` when the database cannot be written."""
    store = sessions()
    old = _cookie_sid()
    if old is not None:
        store.end(old, "signed_in_again")
    sid = store.start(user.id, method)
    flask_session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_token", None)  # Flask-WTF's cached token of this request
    g.dolbom_cookie = sid
    g.dolbom_sid = sid
    g.dolbom_user = user
    g.pop(CHOSEN_LANGUAGE, None)  # the person's chosen language, not the signed-out visitor's
    note_use(user)
    log.info("account %s signed in (%s)", user.id, method)


def sign_out() -> None:
    """End this browser's session on every server and delete the cookie. Raises ``DBAPIError``
    when the database cannot be written (the cookie is deleted all the same)."""
    sid = _cookie_sid()
    g.dolbom_cookie = None
    g.dolbom_user = _NOBODY
    g.pop(CHOSEN_LANGUAGE, None)
    if sid is not None:
        sessions().end(sid, "sign_out")


def _has_permission(user: User, permission: str) -> bool:
    """Whether some role of ``user`` lists ``permission``, whatever the object (deny unknown
    roles)."""
    spec = roles()
    return any(grant.role in spec and permission in spec.get(grant.role).permissions for grant in user.grants)


def check(permission: str, *, facility_id: str | None = None, owner_id: str | None = None) -> User:
    """The signed-in user when one of their roles grants ``permission`` (on the object of
    provider ``facility_id`` or owner ``owner_id`` when given: ``Roles.allows``); raises
    :class:`SignInRequired` (401) or :class:`NotAllowed` (403)."""
    user = current_user()
    if user is None:
        raise SignInRequired("sign in first", "session")
    if facility_id is None and owner_id is None:
        ok = _has_permission(user, permission)
    else:
        ok = roles().allows(user, permission, facility_id=facility_id, owner_id=owner_id)
    if not ok:
        raise NotAllowed(f"your account may not do this ({permission})", "session")
    return user


def require(permission: str, *, facility_arg: str | None = None, owner_arg: str | None = None) -> Callable[[F], F]:
    """Decorate a view: it runs only for a signed-in user whose role grants ``permission`` —
    on the provider named by the URL variable ``facility_arg`` or the owner named by
    ``owner_arg`` when given, else by any role at all (the view then checks its object with
    :func:`check`). A permission no role lists is refused when the view is declared (a typo
    would deny everyone silently)."""
    spec = Roles()
    listed = {p for name in spec.names for p in spec.get(name).permissions}
    if permission not in listed:
        raise ValueError(f"no role grants {permission!r} (app/reference/roles.json): one of "
                         f"{', '.join(sorted(listed))}")

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            check(permission, facility_id=kwargs.get(facility_arg) if facility_arg else None,
                  owner_id=kwargs.get(owner_arg) if owner_arg else None)
            return view(*args, **kwargs)

        return cast(F, guarded)

    return wrap


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def message_page(title_key: str, text: str, status: int, *, link: tuple[str, str] | None = None) -> tuple[str, int]:
    """A short page in the visitor's language: a title (catalogue key), a sentence, and an
    optional link (url, label)."""
    return render_template("account_message.html", title=translate(title_key), text=text, link=link), status


def _has_get(path: str) -> bool:
    """Whether ``path`` is also a page (a GET route): where a refused form's page links back to."""
    try:
        current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    except HTTPException:
        return False
    return True


def _csrf_required() -> bool:
    if request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return False
    if request.blueprint == "account":
        return True  # every form of the account pages, sign-in and sign-up included
    if request.blueprint in CSRF_EXEMPT_BLUEPRINTS or request.headers.get("Authorization"):
        return False
    return COOKIE in request.cookies  # a write the session cookie may authenticate


def init_app(app: Flask) -> None:
    """Set up people's sessions, CSRF protection, and the 401/403/CSRF answers."""
    cfg = app.config
    for setting in ("ACCOUNT_SIGN_IN_RATE_LIMIT", "ACCOUNT_FORM_RATE_LIMIT"):
        try:
            limits.parse_many(cfg[setting])
        except ValueError:
            raise RuntimeError(f"{setting} = {cfg[setting]!r} is not a rate limit such as "
                               "'20 per minute; 200 per hour'") from None
    app.extensions[_STATE] = Sessions(app.extensions["dolbom_db"],
                                      timedelta(minutes=float(cfg["ACCOUNT_SESSION_IDLE_MINUTES"])),
                                      timedelta(hours=float(cfg["ACCOUNT_SESSION_MAX_HOURS"])))
    app.extensions[_STORE] = {"lock": threading.Lock(), "roles": Roles(), "used": {}}
    app.extensions[PREFERENCE] = chosen_language
    cfg["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, by the rule in _csrf_required
    csrf = CSRFProtect(app)

    @app.before_request
    def protect_writes() -> None:
        if cfg.get("WTF_CSRF_ENABLED", True) and _csrf_required():
            csrf.protect()

    @app.after_request
    def write_cookie(response: Response) -> Response:
        if "dolbom_cookie" not in g:
            # Pages holding a person's data or a form's CSRF token are never kept by a cache.
            if COOKIE in request.cookies or request.path.startswith("/account"):
                response.headers["Cache-Control"] = "no-store"
            return response
        secure = bool(cfg.get("SESSION_COOKIE_SECURE")) or came_over_https(app, request)
        sid = g.dolbom_cookie
        if sid is None:
            response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="Lax")
        else:
            response.set_cookie(COOKIE, _serializer(app).dumps(sid), path="/", secure=secure, httponly=True,
                                samesite="Lax", max_age=int(sessions(app).longest.total_seconds()))
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        return response

    @app.errorhandler(SignInRequired)
    def signed_out(exc: SignInRequired) -> tuple[Response, int] | BaseResponse:
        if _wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.field)), 401
        here = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("account.sign_in", next=here, lang=current_language()))

    @app.errorhandler(NotAllowed)
    def not_allowed(exc: NotAllowed) -> tuple[Response, int] | tuple[str, int]:
        if _wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.field)), 403
        return message_page("account_forbidden_title", translate("account_forbidden"), 403,
                            link=(url_for("web.index", lang=current_language()), translate("account_home_link")))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> tuple[Response, int] | tuple[str, int]:
        log.info("CSRF refused on %s %s: %s", request.method, request.path, exc.description)
        if _wants_json():
            return jsonify(error_body(
                "csrf_failed", "this write needs the page's CSRF token (the X-CSRFToken header, from the "
                "page's csrf-token meta tag): reload the page and try again", "X-CSRFToken")), 400
        back = request.path if request.blueprint == "account" and _has_get(request.path) else url_for("web.index")
        return message_page("account_csrf_title", translate("account_csrf"), 400,
                            link=(f"{back}?lang={current_language()}", translate("account_csrf_again")))
