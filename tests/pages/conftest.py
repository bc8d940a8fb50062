"""Fixtures of the account pages' tests: apps over the tiny registry with cheap argon2id
parameters (real hashing, 8 KiB, one pass), a movable clock, and helpers to sign up and in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.pages import account_sessions as people
from tests.conftest import tiny_config

SECRET = "the secret key every server of the deployment shares"
PASSWORD = "correct horse battery"
CHEAP_ARGON2 = {"ACCOUNT_ARGON2_TIME_COST": 1, "ACCOUNT_ARGON2_MEMORY_KIB": 8, "ACCOUNT_ARGON2_PARALLELISM": 1}


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Any, clock: Clock) -> Iterator[Callable[..., Flask]]:
    """make(**config) -> an app (a server) on one SQLite database shared by every app of the
    test, with the shared secret key and the test's clock."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app({**tiny_config(), "SECRET_KEY": SECRET, **CHEAP_ARGON2,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.sqlite3'}", **config},
                         instance_path=str(tmp_path / f"instance{len(apps)}"))
        people.sessions(app).clock = clock
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["dolbom_db"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def csrf_of(page: str) -> str:
    """The CSRF token of the first form in ``page``."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def form_post(client: FlaskClient, path: str, data: dict[str, str], form_page: str | None = None,
              **kw: Any) -> Any:
    """POST a form as a browser does: first GET its page (``form_page``, default ``path``) for
    the CSRF token."""
    page = client.get(form_page or path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_of(page)}, **kw)


def sign_up(client: FlaskClient, email: str = "mom@example.com", password: str = PASSWORD) -> Any:
    r = form_post(client, "/account/sign-up", {"email": email, "password": password, "password_again": password})
    assert r.status_code == 302, r.get_data(as_text=True)
    return r


def sign_in(client: FlaskClient, email: str = "mom@example.com", password: str = PASSWORD, **kw: Any) -> Any:
    return form_post(client, "/account/sign-in", {"email": email, "password": password}, **kw)


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookie names a live session (the account page answers)."""
    r = client.get("/account")
    assert r.status_code in (200, 302), r.status_code
    return r.status_code == 200


def cookie_of(client: FlaskClient) -> str:
    found = client.get_cookie(people.COOKIE)
    assert found is not None
    return found.value
