"""Korean by default, English by a switch: every visible string comes from a catalogue in
``app/translations``; the language travels in the URL (``?lang=en``), and a URL without one takes
the browser's ``Accept-Language`` (Korean when it names neither language)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import Flask, Response, request

from app.korean import particles

LANGUAGES = ("ko", "en")
DEFAULT = "ko"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language."""
    text = files("app.translations").joinpath(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def current_language() -> str:
    """The page's language: ``?lang`` when it names one of :data:`LANGUAGES` (no cookie or
    session keeps a language: the URL carries it), else :func:`implicit_language`."""
    if not request:
        return DEFAULT
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else implicit_language()


def implicit_language() -> str:
    """The language a URL without ``?lang`` gets: the first of :data:`LANGUAGES` the request's
    ``Accept-Language`` prefers (``en-US,en;q=0.9`` → ``en``; ``q=0`` never), else ``ko``."""
    if not request:
        return DEFAULT
    best = request.accept_languages.best_match(LANGUAGES)
    return best if best in LANGUAGES else DEFAULT


def translate(key: str, **values: object) -> str:
    """The message ``key`` in the current language, with ``{name}`` fields filled in (a Korean
    particle pair after a field, ``{name}을(를)``, becomes the form the value takes:
    :func:`app.korean.particles`)."""
    message = catalogue(current_language()).get(key) or catalogue(DEFAULT)[key]
    return particles(message.format(**values)) if values else message


def init_app(app: Flask) -> None:
    """Make ``t()`` and ``lang`` available in every template; a page answering a request without
    ``?lang`` varies by ``Accept-Language`` (caches keep one per language)."""

    @app.after_request
    def vary_by_language(response: Response) -> Response:
        if request.args.get("lang") not in LANGUAGES and response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        return response

    @app.context_processor
    def inject() -> dict[str, Any]:
        lang = current_language()
        return {"t": translate, "lang": lang,
                "other_lang": "en" if lang == "ko" else "ko"}
