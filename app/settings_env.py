"""List settings from the environment, read one way for all of them, and checked origins.

A setting is a list setting when its default in ``app.config`` is a list or tuple, or its
annotation says ``list[...]``/``tuple[...]``. Its ``DOLBOM_<NAME>`` value is read so:

- a JSON list (``["https://a.kr", "https://b.kr"]``, ``[37.41, 127.25]``);
- else, when it holds a comma, the parts between commas (spaces around them trimmed);
- else the parts between spaces (one word is a list of one);
- an empty value is an empty list.

Items are converted to the type of the default's items (``float`` for ``MAP_CENTER``, ``str``
otherwise); a tuple default also fixes the number of items. Anything else stops start-up with
a ``SettingError`` naming the variable and the value.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from collections.abc import Mapping, MutableMapping
from typing import Any


class SettingError(ValueError):
    """A setting that cannot be used; the message names it and says what is allowed."""


def _annotation_kind(annotation: Any) -> tuple[type | None, type | None]:
    """(list or tuple, item type) of an annotation such as ``list[str] | None``."""
    if isinstance(annotation, str):
        return None, None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _annotation_kind(arg)
            if found[0] is not None:
                return found
        return None, None
    if origin in (list, tuple) or annotation in (list, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        item = args[0] if args and isinstance(args[0], type) else None
        return origin or annotation, item
    return None, None


def list_settings(defaults: object) -> dict[str, tuple[type, type, int | None]]:
    """Every list setting of a settings module: name -> (list or tuple, item type, number of
    items a tuple must have or None)."""
    annotations = getattr(defaults, "__annotations__", {})
    found = {}
    for name in dir(defaults):
        if not name.isupper():
            continue
        default = getattr(defaults, name)
        kind, item = _annotation_kind(annotations.get(name))
        if isinstance(default, (list, tuple)):
            kind = type(default)
            if default:
                item = type(default[0])
        if kind is None:
            continue
        length = len(default) if isinstance(default, tuple) and default else None
        found[name] = (kind, item or str, length)
    return found


def parse_list(variable: str, text: str, item: type = str, length: int | None = None) -> list:
    """The items of one environment value (see the module docstring).

    ``variable`` names it in errors. Raises ``SettingError`` for bad JSON, a JSON value that is
    not a list, an item of the wrong type, or the wrong number of items.
    """
    text = text.strip()
    if text.startswith(("[", "{")):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise SettingError(f"{variable}: {text!r} is not a JSON list ({exc})") from None
        if not isinstance(items, list):
            raise SettingError(f"{variable}: {text!r} is not a JSON list")
    elif not text:
        items = []
    elif "," in text:
        items = [part.strip() for part in text.split(",") if part.strip()]
    else:
        items = text.split()
    out = [_item(variable, text, value, item) for value in items]
    if length is not None and len(out) != length:
        raise SettingError(f"{variable}: {text!r} must have exactly {length} items, "
                           f"found {len(out)}")
    return out


def _item(variable: str, text: str, value: Any, item: type) -> Any:
    """One item converted to ``item`` (str, int or float; other types are kept as given)."""
    if item is str:
        if isinstance(value, str):
            return value
        raise SettingError(f"{variable}: {value!r} in {text!r} must be a text")
    if item not in (int, float):
        return value
    try:
        if isinstance(value, bool):
            raise ValueError
        number = item(value)
        if not math.isfinite(number) or (isinstance(value, float) and number != value):
            raise ValueError
    except (TypeError, ValueError):
        kind = "a whole number" if item is int else "a number such as 37.41"
        raise SettingError(f"{variable}: {value!r} in {text!r} must be {kind}") from None
    return number


def apply_environment(config: MutableMapping[str, Any], defaults: object, environ: Mapping[str, str],
                      prefix: str = "DOLBOM_") -> None:
    """Set every list setting that ``environ`` gives (``<prefix><NAME>``) in ``config``,
    parsed by the one rule (after Flask's ``from_prefixed_env``, which would take a plain
    value as a string, so that ``*origins`` spelt its characters)."""
    for name, (kind, item, length) in list_settings(defaults).items():
        variable = prefix + name
        if variable in environ:
            items = parse_list(variable, environ[variable], item, length)
            config[name] = tuple(items) if kind is tuple else items


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORIGIN = re.compile(rf"(?i)https?://(?:\*\.)?(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
                     r"(?::(\d{1,5}))?")


def check_origin(name: str, origin: Any) -> str:
    """``origin`` if it is ``scheme://host[:port]`` (http or https; the host may start with
    ``*.`` for every subdomain), else ``SettingError`` naming ``name`` and the value."""
    match = _ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
    if match is None or not 0 < int(match.group(1) or 443) < 65536:
        raise SettingError(f"{name}: {origin!r} is not an origin; write scheme://host[:port] "
                           "(e.g. https://www.suwon.go.kr), without a path, query or user name")
    return origin


def check(config: Mapping) -> None:
    """Check settings whose wrong values would only show later (start-up stops instead)."""
    origins = config.get("EMBED_ALLOWED_ORIGINS") or []
    if isinstance(origins, str) or not isinstance(origins, (list, tuple)):
        raise SettingError(f"EMBED_ALLOWED_ORIGINS must be a list of origins, not {origins!r}")
    for origin in origins:
        check_origin("EMBED_ALLOWED_ORIGINS", origin)
