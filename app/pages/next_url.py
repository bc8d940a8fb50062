"""Where to go after signing in: only a path of this site (no open redirect)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MAX_NEXT_CHARS = 500
_DECODE_ROUNDS = 4  # %252F is %2F is "/": decoded until it stops changing (or refused)


def _local(text: str, whole: bool) -> bool:
    """Whether ``text`` is a path of this site; ``whole``: also no backslash, white space nor
    control character after the path (the query of a decoded form may hold them)."""
    head = text if whole else text.split("?", 1)[0].split("#", 1)[0]
    if not head.startswith("/") or head.startswith("//"):
        return False
    if "\\" in head or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in head):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def local_next(value: object) -> str | None:
    """``value`` when it is a path of this site to return to after signing in, else None.

    Refused: anything not starting with exactly one ``/`` (``https://…``, ``javascript:…``,
    ``//host``, ``////host``), a backslash anywhere (``/\\host``: browsers read it as ``//``),
    white space or control characters (``/\\t/host``), and any of these hidden in the path by
    percent-encoding (``/%2F%2Fhost``, ``/%5Chost``, ``/%252F%252Fhost``); at most
    :data:`MAX_NEXT_CHARS` characters."""
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_CHARS:
        return None
    if not _local(value, whole=True):
        return None
    text = value
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            return value
        if not _local(decoded, whole=False):
            return None
        text = decoded
    return None  # still changing after several rounds: not a plain path
