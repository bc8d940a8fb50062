"""The reason of a decline (a booking, a weekly pattern, an offer) as the API takes it and gives
it back: a preset by its code (``reason_code``, ``app/reference/decline_reasons.json``) or the
staff's own words (``reason``), stored by :mod:`app.care.notify.reasons`; events read back carry
the reason in the asker's language (``reason``) and the preset's ``reason_code``."""

from __future__ import annotations

from typing import Any

from app.care.notify import reasons
from app.errors import InvalidParameter, clip
from app.i18n import current_language

from . import bodies

DECLINE_FIELDS = frozenset({"reason", "reason_code"})
"""The body fields a decline may carry."""


def decline_reason(body: dict[str, Any]) -> str | None:
    """The reason to store from an action's ``body``: ``reason_code`` (one of the presets; else 400
    ``unknown_value`` listing them) as its stored code, else ``reason`` (at most 500
    characters; a preset's exact words in either language are stored as that preset's code), else
    None. Both at once: 400 (reason ``conflict``) naming ``reason_code``."""
    code = bodies.text(body, "reason_code", max_chars=40, required=False)
    typed = bodies.text(body, "reason", max_chars=500, required=False)
    if code is None:
        return reasons.from_words(typed) if typed else typed
    allowed = list(reasons.codes())
    if code not in allowed:
        raise InvalidParameter(f"unknown reason_code {clip(code)}; allowed: {', '.join(allowed)}", "reason_code",
                               "unknown_value")
    if typed:
        raise InvalidParameter("send either reason_code (a common reason) or reason (your own words), not both",
                               "reason_code", "conflict")
    return reasons.stored(code)


def shown_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` (a booking's transitions) with each preset reason in the asker's language and
    its ``reason_code`` (None for words typed, which stay as typed)."""
    lang = current_language()
    return [{**e, "reason": reasons.text(e.get("reason"), lang), "reason_code": reasons.code_of(e.get("reason"))}
            for e in events]
