"""Korean by default, English by a switch: every visible string comes from a catalogue in
``app/translations``; the language travels in the URL (``?lang=en``), and a URL without one takes
the signed-in person's chosen language (their account's: :data:`PREFERENCE`), else the browser's
``Accept-Language`` (Korean when it names neither language)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

from flask import Flask, Response, current_app, g, request

from app.korean import particles

LANGUAGES = ("ko", "en")
DEFAULT = "ko"
PREFERENCE = "dolbom_language_preference"
"""``app.extensions`` key of a callable giving the signed-in person's chosen language (one of
:data:`LANGUAGES`) or None (``app.pages.account_sessions.chosen_language``); never raises."""
CHOSEN_LANGUAGE = "dolbom_chosen_language"
"""``flask.g`` key holding, once asked in a request, the person's chosen language or None."""


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language."""
    text = files("app.translations").joinpath(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def current_language() -> str:
    """The page's language: ``?lang`` when it names one of :data:`LANGUAGES` (no cookie keeps
    a language: the URL carries it), else :func:`implicit_language`."""
    if not request:
        return DEFAULT
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else implicit_language()


def implicit_language() -> str:
    """The language a URL without ``?lang`` gets: the signed-in person's chosen language
    (:func:`chosen_language`), else the first of :data:`LANGUAGES` the request's
    ``Accept-Language`` prefers (``en-US,en;q=0.9`` → ``en``; ``q=0`` never), else ``ko``."""
    if not request:
        return DEFAULT
    chosen = chosen_language()
    if chosen is not None:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES)
    return best if best in LANGUAGES else DEFAULT


def chosen_language() -> str | None:
    """The signed-in person's chosen language (:data:`PREFERENCE`), asked once per request (a
    question asked while answering it, e.g. a message of a database error met on the way, gets
    None); None without a signed-in person who chose one."""
    if CHOSEN_LANGUAGE in g:
        return g.get(CHOSEN_LANGUAGE)
    ask = current_app.extensions.get(PREFERENCE)
    setattr(g, CHOSEN_LANGUAGE, None)
    found = ask() if ask is not None else None
    chosen = found if found in LANGUAGES else None
    setattr(g, CHOSEN_LANGUAGE, chosen)
    return chosen


def translate(key: str, **values: object) -> str:
    """The message ``key`` in the current language, with ``{name}`` fields filled in (a Korean
    particle pair after a field, ``{name}을(를)``, becomes the form the value takes:
    :func:`app.korean.particles`)."""
    message = catalogue(current_language()).get(key) or catalogue(DEFAULT)[key]
    return particles(message.format(**values)) if values else message


def init_app(app: Flask) -> None:
    """Make ``t()`` and ``lang`` available in every template; a page answering a request without
    ``?lang`` varies by ``Accept-Language``, and by ``Cookie`` when the signed-in person's chosen
    language made it (caches keep one per language)."""

    @app.after_request
    def vary_by_language(response: Response) -> Response:
        if request.args.get("lang") not in LANGUAGES and response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            if g.get(CHOSEN_LANGUAGE) is not None:
                response.vary.add("Cookie")
        return response

    @app.context_processor
    def inject() -> dict[str, Any]:
        lang = current_language()
        return {"t": translate, "lang": lang,
                "other_lang": "en" if lang == "ko" else "ko"}
