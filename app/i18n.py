"""Korean by default, English by a switch: every visible string comes from a catalogue in
``app/translations``; the language travels in the URL (``?lang=en``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import Flask, request

LANGUAGES = ("ko", "en")
DEFAULT = "ko"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language."""
    text = files("app.translations").joinpath(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def current_language() -> str:
    """The language asked for in the URL, or Korean."""
    lang = request.args.get("lang", DEFAULT) if request else DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


def translate(key: str, **values: object) -> str:
    """The message ``key`` in the current language, with ``{name}`` fields filled in."""
    message = catalogue(current_language()).get(key) or catalogue(DEFAULT)[key]
    return message.format(**values) if values else message


def init_app(app: Flask) -> None:
    """Make ``t()`` and ``lang`` available in every template."""

    @app.context_processor
    def inject() -> dict[str, Any]:
        lang = current_language()
        return {"t": translate, "lang": lang,
                "other_lang": "en" if lang == "ko" else "ko"}
