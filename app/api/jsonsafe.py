"""JSON from clients, parsed with a bound on nesting.

Python's parser recurses once per level, so a body nested a thousand levels deep (``[[[[…``)
raises ``RecursionError`` — a 500 — instead of a parse error. Every JSON a client sends (request
bodies through Flask's ``request.get_json``, the provider API's body, JSON in query parameters)
goes through :func:`loads`, which refuses anything nested deeper than ``max_depth`` with a
``ValueError`` before parsing, so callers that already turn ``ValueError`` into a 400 need
nothing else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

DEFAULT_MAX_DEPTH = 32  # app.config JSON_MAX_DEPTH

# A JSON string (its brackets do not nest anything); possessive, so no backtracking.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """JSON nested deeper than allowed; ``max_depth`` is the bound."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"the JSON nests objects and lists more than {max_depth} levels deep")
        self.max_depth = max_depth


def nesting_exceeds(text: str, max_depth: int) -> bool:
    """True when ``text`` opens more than ``max_depth`` objects/lists inside each other
    (brackets inside strings do not count). Linear in the length of ``text``."""
    if text.count("[") + text.count("{") <= max_depth:  # the common case: no scan needed
        return False
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def loads(data: str | bytes | bytearray, max_depth: int = DEFAULT_MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that raises :class:`TooDeep` (a ``ValueError``) for input nested deeper
    than ``max_depth`` levels, and ``ValueError`` (``JSONDecodeError``, ``UnicodeDecodeError``)
    for anything that is not JSON — never ``RecursionError``."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode(json.detect_encoding(data))
    if nesting_exceeds(data, max_depth):
        raise TooDeep(max_depth)
    return json.loads(data, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with :func:`loads` (``request.get_json`` and ``flask.json.loads``):
    the bound is the app's ``JSON_MAX_DEPTH``. A body nested deeper is a 400 like any other
    body that is not JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text, refusing nesting deeper than ``JSON_MAX_DEPTH``."""
        return loads(s, int(self._app.config.get("JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)), **kwargs)
