"""List settings from the environment are read one way for every one of them, and a bad
origin for the embeddable widget stops start-up with a message naming it."""

from __future__ import annotations

import json
import re
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

from app import config as defaults
from app import create_app
from app.settings_env import MINIMUMS, NOT_SETTINGS, SettingError, apply_environment, list_settings, parse_list

from .conftest import tiny_config

SUWON = "https://www.suwon.go.kr"


def _app(tmp_path, monkeypatch, **env):
    """An app over the tiny registry (its pages need a registry; the demo's takes seconds)."""
    for name, value in env.items():
        monkeypatch.setenv(f"DOLBOM_{name}", value)
    return create_app(tiny_config(), instance_path=str(tmp_path / "instance"))


def _frame_ancestors(client) -> str:
    csp = client.get("/embed").headers["Content-Security-Policy"]
    return next(p for p in csp.split("; ") if p.startswith("frame-ancestors"))


def test_one_origin_is_one_origin(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, EMBED_ALLOWED_ORIGINS=SUWON)
    assert app.config["EMBED_ALLOWED_ORIGINS"] == [SUWON]
    assert _frame_ancestors(app.test_client()) == f"frame-ancestors 'self' {SUWON}"


@pytest.mark.parametrize("text", [
    f"{SUWON},https://www.yongin.go.kr",
    f"{SUWON}, https://www.yongin.go.kr",
    f" {SUWON}  https://www.yongin.go.kr ",
    f"{SUWON},https://www.yongin.go.kr,",
    json.dumps([SUWON, "https://www.yongin.go.kr"]),
])
def test_lists_of_origins(tmp_path, monkeypatch, text):
    app = _app(tmp_path, monkeypatch, EMBED_ALLOWED_ORIGINS=text)
    assert app.config["EMBED_ALLOWED_ORIGINS"] == [SUWON, "https://www.yongin.go.kr"]
    assert _frame_ancestors(app.test_client()) == \
        f"frame-ancestors 'self' {SUWON} https://www.yongin.go.kr"


def test_empty_value_is_no_origin(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, EMBED_ALLOWED_ORIGINS="")
    assert app.config["EMBED_ALLOWED_ORIGINS"] == []


@pytest.mark.parametrize("origin", [
    "https://www.suwon.go.kr/embed",      # a path
    "https://www.suwon.go.kr/",           # a path, even a lone slash
    "www.suwon.go.kr",                    # no scheme
    "ftp://www.suwon.go.kr",              # not http(s)
    "https://www.suwon.go.kr?x=1",        # a query
    "https://user@www.suwon.go.kr",       # a user name
    "https://www.suwon.go.kr:99999",      # no such port
    "https://www.suwon.go.kr:",           # an empty port
    "https://",                           # no host
    "https://www.su won.go.kr",           # a space inside (one value, comma-separated)
    "'self'",                             # a CSP keyword is not an origin
])
def test_invalid_origin_stops_start_up_naming_it(tmp_path, monkeypatch, origin):
    env = f"https://www.yongin.go.kr,{origin}"
    with pytest.raises(SettingError, match=r"EMBED_ALLOWED_ORIGINS: .* is not an origin") as info:
        _app(tmp_path, monkeypatch, EMBED_ALLOWED_ORIGINS=env)
    assert repr(origin) in str(info.value)


@pytest.mark.parametrize("origin", [
    "http://localhost:8080", "https://*.suwon.go.kr", "https://[::1]:8443", "https://xn--3e0b707e.kr",
])
def test_valid_origins(tmp_path, monkeypatch, origin):
    app = _app(tmp_path, monkeypatch, EMBED_ALLOWED_ORIGINS=origin)
    assert app.config["EMBED_ALLOWED_ORIGINS"] == [origin]


def test_origins_from_instance_config_are_checked_too(tmp_path):
    with pytest.raises(SettingError, match=r"'https://a\.kr/x' is not an origin"):
        create_app({"TESTING": True, "EMBED_ALLOWED_ORIGINS": ["https://a.kr/x"]},
                   instance_path=str(tmp_path / "instance"))
    with pytest.raises(SettingError, match=r"must be a list of origins"):
        create_app({"TESTING": True, "EMBED_ALLOWED_ORIGINS": SUWON},
                   instance_path=str(tmp_path / "instance"))


def test_map_centre_and_geocoders(tmp_path, monkeypatch):
    app = _app(tmp_path, monkeypatch, MAP_CENTER="37.2636, 127.0286",
               GEOCODERS="app.geo.geocoding:GazetteerGeocoder")
    assert app.config["MAP_CENTER"] == (37.2636, 127.0286)
    assert app.config["GEOCODERS"] == ["app.geo.geocoding:GazetteerGeocoder"]
    app = _app(tmp_path, monkeypatch, MAP_CENTER="[37.5, 127]")
    assert app.config["MAP_CENTER"] == (37.5, 127.0)
    app = _app(tmp_path, monkeypatch, MAP_CENTER="37.5 127")
    assert app.config["MAP_CENTER"] == (37.5, 127.0)


@pytest.mark.parametrize(("text", "message"), [
    ("37.5", r"DOLBOM_MAP_CENTER: '37.5' must have exactly 2 items, found 1"),
    ("37.5,east", r"DOLBOM_MAP_CENTER: 'east' in '37.5,east' must be a number"),
    ("[37.5, 127", r"DOLBOM_MAP_CENTER: '\[37.5, 127' is not a JSON list"),
    ('{"lat": 37}', r"""DOLBOM_MAP_CENTER: '{"lat": 37}' is not a JSON list"""),
    ("[true, 127]", r"DOLBOM_MAP_CENTER: True in .* must be a number"),
    ("nan,127", r"DOLBOM_MAP_CENTER: 'nan' in 'nan,127' must be a number"),
])
def test_bad_list_values_name_the_variable(tmp_path, monkeypatch, text, message):
    with pytest.raises(SettingError, match=message):
        _app(tmp_path, monkeypatch, MAP_CENTER=text)


def test_json_list_of_non_text_for_a_text_list(tmp_path, monkeypatch):
    with pytest.raises(SettingError, match=r"DOLBOM_GEOCODERS: 5 in '\[5\]' must be a text"):
        _app(tmp_path, monkeypatch, GEOCODERS="[5]")


def test_every_list_setting_follows_the_one_rule():
    """Every list or tuple setting (found in app.config, present and future) is read by the
    rule: its default written as JSON, comma-separated or space-separated gives it back."""
    found = list_settings(defaults)
    assert {"EMBED_ALLOWED_ORIGINS", "GEOCODERS", "MAP_CENTER"} <= set(found)
    for name, (kind, item, length) in found.items():
        default = getattr(defaults, name)
        sample = list(default) or ([SUWON, "https://b.kr"] if item is str else [1, 2])
        for text in (json.dumps(sample), ",".join(map(str, sample)), " ".join(map(str, sample))):
            if item is str and any(" " in str(v) or "," in str(v) for v in sample) \
                    and not text.startswith("["):
                continue  # such items need JSON
            got = parse_list(f"DOLBOM_{name}", text, item, length)
            assert got == [item(v) for v in sample], (name, text)
        assert kind in (list, tuple)


def test_a_single_word_is_a_list_of_one_for_every_text_list():
    for name, (_, item, length) in list_settings(defaults).items():
        if item is str and length is None:
            assert parse_list(name, "one-value") == ["one-value"]


# --- every DOLBOM_* value is converted by the type of its setting's default ------------------

@pytest.mark.parametrize(("text", "value"), [
    ("False", False), ("false", False), ("no", False), ("NO", False), ("off", False), ("0", False),
    ("True", True), ("true", True), ("yes", True), ("On", True), ("1", True), (" yes ", True),
])
def test_yes_no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, value: bool) -> None:
    app = _app(tmp_path, monkeypatch, SESSION_COOKIE_SECURE=text, DATABASE_AUTO_MIGRATE=text)
    assert app.config["SESSION_COOKIE_SECURE"] is value
    assert app.config["DATABASE_AUTO_MIGRATE"] is value


@pytest.mark.parametrize("text", ["maybe", "", "2", "nein"])
def test_a_bad_yes_no_value_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    with pytest.raises(SettingError, match=rf"^DOLBOM_SESSION_COOKIE_SECURE={text!r} is not a yes/no value; "
                                           r"write one of true, false, yes, no, on, off, 1, 0$"):
        _app(tmp_path, monkeypatch, SESSION_COOKIE_SECURE=text)


def test_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path, monkeypatch, TRUSTED_PROXIES="1", PLANNER_SESSION_IDLE_MINUTES=" 45 ",
               REGISTRY_CHECK_SECONDS="0.5", PLANNING_SUPPRESSED_VALUE="4", TILE_URL="123")
    assert app.config["TRUSTED_PROXIES"] == 1 and type(app.config["TRUSTED_PROXIES"]) is int
    assert app.config["PLANNER_SESSION_IDLE_MINUTES"] == 45
    assert app.config["REGISTRY_CHECK_SECONDS"] == 0.5
    assert app.config["PLANNING_SUPPRESSED_VALUE"] == 4.0
    assert app.config["TILE_URL"] == "123"  # a text setting stays text (Flask's JSON made it 123)


@pytest.mark.parametrize(("name", "text", "message"), [
    ("TRUSTED_PROXIES", "abc", r"DOLBOM_TRUSTED_PROXIES='abc' is not a number; write a whole number such as 30"),
    ("TRUSTED_PROXIES", "1.5", r"DOLBOM_TRUSTED_PROXIES='1.5' is not a number; write a whole number"),
    ("TRUSTED_PROXIES", "true", r"DOLBOM_TRUSTED_PROXIES='true' is not a number"),
    ("REGISTRY_CHECK_SECONDS", "inf", r"DOLBOM_REGISTRY_CHECK_SECONDS='inf' is not a number; "
                                      r"write a number such as 2.5"),
    ("REGISTRY_CHECK_SECONDS", "soon", r"DOLBOM_REGISTRY_CHECK_SECONDS='soon' is not a number"),
    ("PLANNER_SESSION_IDLE_MINUTES", "-5",
     r"DOLBOM_PLANNER_SESSION_IDLE_MINUTES='-5' is too small; it must be at least 1$"),
    ("PLANNER_SESSION_IDLE_MINUTES", "0", r"DOLBOM_PLANNER_SESSION_IDLE_MINUTES='0' is too small"),
    ("PLANNER_SESSION_MAX_HOURS", "-1", r"DOLBOM_PLANNER_SESSION_MAX_HOURS='-1' is too small; .* at least 1$"),
    ("TRUSTED_PROXIES", "-1", r"DOLBOM_TRUSTED_PROXIES='-1' is too small; it must be at least 0$"),
    ("REPORT_MAX_SLOTS", "-200", r"DOLBOM_REPORT_MAX_SLOTS='-200' is too small; it must be at least 0$"),
    ("REPORT_MAX_BODY_BYTES", "0", r"DOLBOM_REPORT_MAX_BODY_BYTES='0' is too small; it must be at least 1$"),
    ("PLANNING_SUPPRESSED_VALUE", "-2.5",
     r"DOLBOM_PLANNING_SUPPRESSED_VALUE='-2.5' is too small; it must be at least 0$"),
])
def test_bad_numbers_stop_start_up_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                                       text: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        _app(tmp_path, monkeypatch, **{name: text})


def test_no_number_setting_is_negative() -> None:
    """Every int or float setting of app/config.py, present and future, refuses -1."""
    numbers = [n for n in dir(defaults) if n.isupper() and type(getattr(defaults, n)) in (int, float)]
    assert {"TRUSTED_PROXIES", "PLANNER_SESSION_MAX_HOURS", "REPORT_MAX_CLOSURES"} <= set(numbers)
    for name in numbers:
        floor = re.escape(str(MINIMUMS.get(name, 0)))
        with pytest.raises(SettingError, match=rf"^DOLBOM_{name}='-1' is too small; it must be at least {floor}$"):
            apply_environment({}, defaults, {f"DOLBOM_{name}": "-1"})
    assert set(MINIMUMS) <= set(numbers)  # no stale name in the table


def test_settings_without_a_typed_default_keep_flasks_rule() -> None:
    config: dict[str, Any] = {"SECRET_KEY": None, "MAX_CONTENT_LENGTH": None}
    apply_environment(config, defaults, {"DOLBOM_SECRET_KEY": "s3cret", "DOLBOM_MAX_CONTENT_LENGTH": "1000",
                                         "DOLBOM_DATABASE_URL": "postgresql+psycopg://db/dolbom"})
    assert config == {"SECRET_KEY": "s3cret", "MAX_CONTENT_LENGTH": 1000,
                      "DATABASE_URL": "postgresql+psycopg://db/dolbom"}


def test_test_config_values_are_not_parsed(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "PLANNER_SESSION_IDLE_MINUTES": 0, "TILE_URL": "x"},
                     instance_path=str(tmp_path / "instance"))
    assert app.config["PLANNER_SESSION_IDLE_MINUTES"] == 0


@pytest.mark.parametrize(("variable", "message"), [
    ("DOLBOM_EMBED_ALLOWED_ORIGIN", r"^DOLBOM_EMBED_ALLOWED_ORIGIN is not a setting "
                                    r"\(did you mean DOLBOM_EMBED_ALLOWED_ORIGINS\?\)"),
    ("DOLBOM_SESION_COOKIE_SECURE", r"^DOLBOM_SESION_COOKIE_SECURE is not a setting "
                                    r"\(did you mean DOLBOM_SESSION_COOKIE_SECURE\?\)"),
    ("DOLBOM_XYZZY", r"^DOLBOM_XYZZY is not a setting \(no setting has a similar name\)"),
])
def test_a_variable_that_is_no_setting_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str,
                                                     message: str) -> None:
    monkeypatch.setenv(variable, "https://www.suwon.go.kr")
    with pytest.raises(SettingError, match=message):
        create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))


def test_tool_variables_are_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in NOT_SETTINGS:
        monkeypatch.setenv(variable, "anything")
    monkeypatch.setenv("DOLBOM_SECRET_KEY", "s3cret")  # Flask's own settings are settings too
    monkeypatch.setenv("DOLBOM_RATELIMIT_ENABLED", "off")
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    assert app.config["SECRET_KEY"] == "s3cret" and app.config["RATELIMIT_ENABLED"] is False


def test_every_dolbom_variable_named_in_the_project_is_allowed() -> None:
    """Each DOLBOM_* name written in the project's code, scripts and docs is a setting or one
    of the tools' variables, so none of them stops start-up."""
    root = Path(__file__).resolve().parents[1]
    settings = {n for n in dir(defaults) if n.isupper()} | set(Flask(__name__).config)
    found: set[str] = set()
    for pattern in ("*.py", "*.sh", "*.md"):
        for path in root.rglob(pattern):
            if {".venv", ".git", "node_modules"} & set(path.relative_to(root).parts) \
                    or path == Path(__file__).resolve():  # this file spells wrong names on purpose
                continue
            found |= set(re.findall(r"\bDOLBOM_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace")))
    assert {"DOLBOM_TEST_POSTGRES_URL", "DOLBOM_MUTATION_DIR", "DOLBOM_MAP_CENTER"} <= found
    assert sorted(v for v in found if v not in NOT_SETTINGS and v[len("DOLBOM_"):] not in settings) == []


# --- the session cookie's Secure flag never follows a client's own header --------------------

def _cookie_flags(tmp_path: Path, config: dict[str, Any], base_url: str, headers: dict[str, str],
                  environ: dict[str, Any]) -> list[str]:
    app = create_app({"TESTING": True, **config}, instance_path=str(tmp_path / "instance"))

    @app.get("/_set-session")
    def _set() -> str:
        session["x"] = 1
        return "ok"

    r = app.test_client().get("/_set-session", base_url=base_url, headers=headers, environ_base=environ)
    return [f.strip().lower() for f in r.headers["Set-Cookie"].split(";")]


HTTPS = {"X-Forwarded-Proto": "https"}


def test_a_clients_forwarded_proto_believed_by_gunicorn_is_no_https(tmp_path: Path) -> None:
    # gunicorn trusts X-Forwarded-Proto from 127.0.0.1 by default and so sets the scheme to https
    # on its plain socket; with TRUSTED_PROXIES = 0 that is a client's header: no Secure.
    with socket.socket() as plain:
        flags = _cookie_flags(tmp_path, {}, "https://localhost", HTTPS, {"gunicorn.socket": plain})
    assert "secure" not in flags and "httponly" in flags


@pytest.mark.parametrize(("config", "base_url", "headers", "secure"), [
    ({}, "http://localhost", HTTPS, False),                        # the header alone: not believed
    ({"TRUSTED_PROXIES": 1}, "http://localhost", HTTPS, True),     # ProxyFix, one trusted proxy
    ({"TRUSTED_PROXIES": 1}, "http://localhost", {}, False),
    ({}, "https://localhost", {}, True),                           # TLS to the app itself
    ({"SESSION_COOKIE_SECURE": True}, "http://localhost", {}, True),
])
def test_secure_cookie_follows_the_real_scheme(tmp_path: Path, config: dict[str, Any], base_url: str,
                                               headers: dict[str, str], secure: bool) -> None:
    assert ("secure" in _cookie_flags(tmp_path, config, base_url, headers, {})) is secure


def test_gunicorn_over_tls_is_https_even_with_the_header(tmp_path: Path) -> None:
    with ssl.create_default_context().wrap_socket(socket.socket(), server_hostname="localhost") as tls:
        flags = _cookie_flags(tmp_path, {}, "https://localhost", HTTPS, {"gunicorn.socket": tls})
    assert "secure" in flags


def test_a_json_quoted_text_setting_is_its_text(monkeypatch, tmp_path):
    """Servers started by scripts (tests/live/servers.py) pass every setting as JSON, as Flask's
    from_prefixed_env reads them: a quoted text is the text inside the quotes."""
    from app import create_app

    monkeypatch.setenv("DOLBOM_PROVIDER_WRITE_RATE_LIMIT", '"7 per minute"')
    monkeypatch.setenv("DOLBOM_TILE_URL", "123")
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))
    assert app.config["PROVIDER_WRITE_RATE_LIMIT"] == "7 per minute"
    assert app.config["TILE_URL"] == "123"


def test_account_settings_have_their_floors():
    # 0 failures would lock every account at once; a 0-minute reset link could never be used.
    for name, text in (("ACCOUNT_SIGN_IN_MAX_FAILURES", "0"), ("ACCOUNT_RESET_LINK_MINUTES", "0"),
                       ("ACCOUNT_PASSWORD_MIN_LENGTH", "4")):
        with pytest.raises(SettingError, match=f"DOLBOM_{name}.*too small"):
            apply_environment({}, defaults, {f"DOLBOM_{name}": text})
