"""Every way an origin can be refused carries a machine-readable ``reason`` (parse_origin's
OriginError and the API's 400 ``error.reason``), so the builder and the admin page can say it
in their own language; each page has a message for each reason. Other errors send no reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.extensions.db import get_engine
from app.live import tokens
from app.live.embed_origins import REASONS, OriginError, check_note, parse_origin

CHECK = "/api/v1/embed/origins/check"
ADMIN = "/api/v1/admin/embed-origins"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "app" / "translations"

# Hand-written inputs, one per reason, and the English words the message keeps.
CASES = [
    ("", "empty", "give the site's origin"),
    ("   ", "empty", "give the site's origin"),
    ("https://" + "a" * 300 + ".kr", "too_long", "at most 300 characters"),
    ("www.suwon.go.kr", "not_an_origin", "is not an origin: it must start with https://"),
    ("ftp://www.suwon.go.kr", "scheme", "the scheme must be https (http only for localhost), not ftp"),
    ("https://admin:pw@www.suwon.go.kr", "userinfo", "an origin has no user name or password"),
    ("https://www.suwon.go.kr:99999", "port", "the port must be a number from 1 to 65535"),
    ("https://www.suwon.go.kr:abc", "port", "the port must be a number from 1 to 65535"),
    ("https://www_suwon.go.kr", "host", "'www_suwon.go.kr' is not a host name"),
    ("https://", "host", "'nothing' is not a host name"),
    ("https://www.suwon.go.kr/path", "path",
     "an origin has no path, query or fragment; write 'https://www.suwon.go.kr'"),
    ("https://www.suwon.go.kr?x=1", "path", "an origin has no path, query or fragment"),
    ("http://www.suwon.go.kr", "http_not_loopback",
     "a city's site must use https://www.suwon.go.kr"),
    ("HTTP://WWW.SUWON.GO.KR:8080", "http_not_loopback",
     "a city's site must use https://www.suwon.go.kr"),
]


@pytest.mark.parametrize(("text", "reason", "words"), CASES)
def test_parse_origin_says_why_it_refused(text, reason, words):
    with pytest.raises(OriginError, match=re.escape(words)) as caught:
        parse_origin(text)
    assert (caught.value.reason, caught.value.field) == (reason, "origin")


def test_a_note_with_a_control_character_is_refused_for_reason_note():
    with pytest.raises(OriginError, match="a note is text of at most 200 characters") as caught:
        check_note("ticket\x07 42")
    assert caught.value.reason == "note"


@pytest.mark.parametrize(("text", "reason", "words"), [c for c in CASES if c[0]])
def test_the_check_answers_400_with_the_reason(client, text, reason, words):
    r = client.get(CHECK, query_string={"origin": text})
    assert r.status_code == 400
    error = r.json["error"]
    assert (error["code"], error["field"], error["reason"]) == ("invalid_parameter", "origin", reason)
    assert words in error["message"]


def test_a_missing_origin_is_reason_empty(client):
    # (The builder leaves the parameter out when nothing was typed: ``origin=`` is refused
    # before the view, as every empty parameter is.)
    r = client.get(CHECK)
    assert (r.status_code, r.json["error"]["reason"]) == (400, "empty")


def _admin(app) -> dict:
    with app.app_context():
        text = tokens.issue(get_engine(), "admin", label="operator")
    return {"Authorization": f"Bearer {text}"}


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"origin": "http://www.suwon.go.kr"}, "origin", "http_not_loopback"),
    ({"origin": "https://www.suwon.go.kr/childcare"}, "origin", "path"),
    ({"origin": "https://*.suwon.go.kr:0"}, "origin", "port"),
    ({"origin": "https://www.suwon.go.kr", "note": "a\u202eb"}, "note", "note"),
])
def test_the_admin_api_sends_the_reason_and_stores_nothing(app, client, body, field, reason):
    headers = _admin(app)
    r = client.post(ADMIN, json=body, headers=headers)
    assert r.status_code == 400
    assert (r.json["error"]["field"], r.json["error"]["reason"]) == (field, reason)
    assert client.get(ADMIN, headers=headers).json["stored"] == []


def test_a_removal_of_a_malformed_origin_sends_the_reason(app, client):
    r = client.delete(ADMIN, query_string={"origin": "ftp://www.suwon.go.kr"}, headers=_admin(app))
    assert (r.status_code, r.json["error"]["reason"]) == (400, "scheme")


def test_other_errors_send_no_reason(app, client):
    # Not an origin error: the envelope stays code, message, field.
    r = client.post(ADMIN, data="x", headers={**_admin(app), "Content-Type": "text/plain"})
    assert r.status_code == 400
    assert set(r.json["error"]) == {"code", "message", "field"}
    r = client.get("/api/v1/no-such-endpoint")
    assert r.status_code == 404 and "reason" not in r.json["error"]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_reason_has_a_message_in_each_language(lang):
    messages = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
    keys = {f"embed_origin_reason_{r}" for r in REASONS}
    assert keys <= set(messages)
    # The two that suggest an origin name it.
    assert "{origin}" in messages["embed_origin_reason_path"]
    assert "{origin}" in messages["embed_origin_reason_http_not_loopback"]


def test_the_reasons_are_the_ones_the_error_schema_names(app):
    described = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]["Error"]
    reason = described["properties"]["error"]["properties"]["reason"]
    assert reason["nullable"] is True
    assert "reason" not in described["properties"]["error"]["required"]
    assert all(r in reason["description"] for r in REASONS)
