"""List settings from the environment are read one way for every one of them, and a bad
origin for the embeddable widget stops start-up with a message naming it."""

from __future__ import annotations

import json

import pytest

from app import config as defaults
from app import create_app
from app.settings_env import SettingError, list_settings, parse_list

SUWON = "https://www.suwon.go.kr"


def _app(tmp_path, monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(f"DOLBOM_{name}", value)
    return create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))


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
