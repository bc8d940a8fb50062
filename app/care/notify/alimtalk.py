"""The 알림톡 templates behind ``messages.json``: the text each template code must be registered
with at Kakao, and whether that is the text last registered.

Kakao sends a 알림톡 only when its content matches the template registered (and approved) for its
code: the template's fixed text exactly, each ``#{variable}`` any text. Our content is a message
body of ``messages.json`` with its fields filled in and its Korean particle pairs resolved
(:func:`app.korean.particles`: "{facility}이(가)" → "아람어린이집이"). So the registrable text of a
body is the body with each field — and a particle pair right after it, which the field's value
decides — made one ``#{field}``, and every other particle pair resolved as the fixed text before
it decides (:func:`template_text`).

Source: NHN Cloud KakaoTalk Bizmessage, "알림톡 템플릿 등록" and the raw-message API (content
must match the template, variables written ``#{name}``):
https://docs.nhncloud.com/ko/Notification/KakaoTalk%20Bizmessage/ko/alimtalk-api-guide/

``alimtalk_registered.json`` (next to this file) records, per code, the text last registered; an
operator registers a changed text again (Kakao reviews it, a new code or the same one) and then
updates the record with ``flask --app app care alimtalk-templates --record``. A text changed in
``messages.json`` without that is :func:`unregistered`, which a test and the command report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from app.care.notify.messages import catalogue
from app.korean import PARTICLE_PAIR, particles

REGISTERED_FILE = "alimtalk_registered.json"
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    """One 알림톡 template: its ``code``, the ``locale`` (``ko``/``en``), where its text lives in
    ``messages.json`` (``place``: the topic, then ``staff``, ``by``/``guardian``,
    ``without_deadline`` …, joined by "/"), and the ``text`` to register."""

    code: str
    locale: str
    place: str
    text: str


def template_text(body: str) -> str:
    """The registrable template of a ``messages.json`` body: each ``{field}`` and a particle
    pair right after it become ``#{field}``; the other particle pairs are resolved.

    >>> template_text("{facility}이(가) 시간 안에 답하지 않아 예약(예약번호 {reference})이(가) 풀렸습니다")
    '#{facility} 시간 안에 답하지 않아 예약(예약번호 #{reference})이 풀렸습니다'
    """
    pair = PARTICLE_PAIR.pattern
    marked = re.sub(r"\{(\w+)\}(?:" + pair + ")?", lambda m: "\x00" + m.group(1) + "\x01", body)
    # A pair after a placeholder was taken with it; what is left follows fixed text.
    return re.sub("\x00(\\w+)\x01", r"#{\1}", particles(marked))


def matches(template: str, content: str) -> bool:
    """Whether ``content`` is what Kakao accepts for ``template``: the fixed text exactly, each
    ``#{variable}`` one or more characters."""
    parts = re.split(r"#\{\w+\}", template)
    return re.fullmatch(".+?".join(re.escape(p) for p in parts), content, re.DOTALL) is not None


def templates(doc: Mapping[str, Any] | None = None) -> Iterator[Template]:
    """Every (code, text) that goes out by 알림톡: each body in ``messages.json`` (``doc``; the
    project's when None) under the nearest ``alimtalk`` codes — a variant without its own codes
    (``without_deadline``, a ``by`` role) sends its text under its parent's."""
    topics = (doc or catalogue())["topics"]

    def walk(node: Mapping[str, Any], place: str, codes: Mapping[str, str]) -> Iterator[Template]:
        own = node.get("alimtalk")
        codes = own if isinstance(own, Mapping) else codes
        for key, value in node.items():
            if not isinstance(value, Mapping) or key == "alimtalk":
                continue
            if key in ("ko", "en") and "body" in value:
                if codes.get(key):
                    yield Template(codes[key], key, place, template_text(str(value["body"])))
            else:
                yield from walk(value, f"{place}/{key}", codes)

    for topic in sorted(topics):
        yield from walk(topics[topic], topic, {})


def registered(path: Path | None = None) -> dict[str, str]:
    """The text last registered per code (``alimtalk_registered.json``)."""
    text = path.read_text(encoding="utf-8") if path else \
        files("app.care.notify").joinpath(REGISTERED_FILE).read_text(encoding="utf-8")
    return dict(json.loads(text)["templates"])


def unregistered(doc: Mapping[str, Any] | None = None, record: Mapping[str, str] | None = None) -> list[str]:
    """What keeps ``messages.json`` from going out by 알림톡 as registered, one line each (empty:
    nothing): a code whose texts differ (one code is one template: a variant with other words
    needs its own code), a text not the one registered for its code, a code never registered."""
    record = registered() if record is None else record
    by_code: dict[str, list[Template]] = {}
    for t in templates(doc):
        by_code.setdefault(t.code, []).append(t)
    problems: list[str] = []
    for code, found in sorted(by_code.items()):
        texts = {t.text for t in found}
        if len(texts) > 1:
            problems.append(f"{code}: one code for {len(texts)} texts ({', '.join(t.place for t in found)}): "
                            "give each text its own code")
        elif code not in record:
            problems.append(f"{code}: never registered ({found[0].place}, {found[0].locale})")
        elif record[code] != found[0].text:
            problems.append(f"{code}: the text of {found[0].place} ({found[0].locale}) changed since it was "
                            "registered: register it again with Kakao, then record it")
    return problems


def record_file(path: Path) -> int:
    """Write the current text of every code to ``path`` (after registering them); how many."""
    current = {t.code: t.text for t in templates()}
    about = ("The text each 알림톡 template code was last registered with at Kakao "
             "(app/care/notify/alimtalk.py); updated by `flask --app app care alimtalk-templates --record`.")
    path.write_text(json.dumps({"about": about, "templates": dict(sorted(current.items()))},
                               ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(current)
