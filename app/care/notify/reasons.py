"""Preset decline reasons (``app/reference/decline_reasons.json``): stored as a code, shown in the
reader's language.

A reason is kept as text in a booking's or offer's event (and the outbox payload's ``reason``):
a preset as ``preset:<code>`` (:func:`stored`), anything staff typed as typed. :func:`text` gives
what a reader in ``locale`` sees (the preset's words in that language, free text unchanged);
:func:`code_of` the preset's code or None. Stored free text from before presets were codes is
shown as it was typed (backward compatible: it never starts with the prefix).
"""

from __future__ import annotations

from typing import Any

from app.reference import document

LOCALES = ("ko", "en")


def _doc() -> dict[str, Any]:
    return document("decline_reasons.json")


def prefix() -> str:
    """What a stored preset starts with (``preset:``)."""
    return str(_doc()["stored_prefix"])


def codes() -> tuple[str, ...]:
    """The preset reasons' codes, in the order the inbox lists them."""
    return tuple(_doc()["reasons"])


def stored(code: str) -> str:
    """The stored form of the preset ``code``; ``ValueError`` naming the codes for an unknown one."""
    if code not in _doc()["reasons"]:
        raise ValueError(f"no decline reason {code!r}: the reasons are {', '.join(codes())}")
    return prefix() + code


def code_of(reason: str | None) -> str | None:
    """The preset code of a stored ``reason``, or None (free text, or nothing). A reason stored
    before presets were codes, in a preset's exact words (either language), is that preset too,
    so older declines are also shown in the reader's language."""
    if not isinstance(reason, str):
        return None
    if reason.startswith(prefix()):
        code = reason[len(prefix()):]
        return code if code in _doc()["reasons"] else None
    for code, words in _doc()["reasons"].items():
        if any(reason == words.get(lang) for lang in LOCALES):
            return str(code)
    return None


def text(reason: str | None, locale: str) -> str | None:
    """A stored ``reason`` as a reader in ``locale`` (``ko``/``en``; another: Korean) reads it:
    a preset in that language, free text as typed, None for None."""
    code = code_of(reason)
    if code is None:
        return reason
    words = _doc()["reasons"][code]
    return str(words.get(locale) or words["ko"])


def from_words(reason: str | None) -> str | None:
    """The stored form of ``reason`` as a client sent it: a preset's exact words in any language
    (a client that sends the words it showed) become the preset's stored code; anything else is
    kept as typed."""
    code = None if reason is None or reason.startswith(prefix()) else code_of(reason)
    return reason if code is None else prefix() + code


def choices(locale: str) -> list[dict[str, str]]:
    """The presets for a page in ``locale``: ``[{"code", "text"}]`` in the inbox's order."""
    return [{"code": code, "text": str(words.get(locale) or words["ko"])}
            for code, words in _doc()["reasons"].items()]
