"""Settings from the environment (``DOLBOM_<NAME>``), each converted by the type of its default
in ``app.config`` (``apply_environment``, ``parse_value``: bool, int, float, str; a ``None``
default keeps Flask's JSON-else-text rule; numbers have minimums, ``MINIMUMS``), list settings
read one way for all of them, and checked origins. A ``DOLBOM_*`` variable that is no setting
(and not one of the tools' ``NOT_SETTINGS``) stops start-up, naming the closest setting.

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

import difflib
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


# DOLBOM_* variables that are not settings of the app: read by tools and tests, never by
# create_app, so they do not stop start-up as misspelt settings.
NOT_SETTINGS = frozenset({
    "DOLBOM_TEST_POSTGRES_URL",   # tests/live, manage.py, bench/*: a PostgreSQL to test against
    "DOLBOM_TEST_POSTGRES_SKIP",  # manage.py, tests/live: why the PostgreSQL tests are skipped
    "DOLBOM_TEST_POSTGRES_PORT",  # .ci/postgres.sh: the test cluster's port
    "DOLBOM_TEST_POSTGRES_DATA",  # .ci/postgres.sh: the test cluster's data folder
    "DOLBOM_MUTATION_DIR",        # bench/mutation.py: where mutation runs are written
})

# The smallest value a number setting may have when it comes from the environment. A number
# setting of app/config.py not listed here must be at least 0 (a duration, a count or a cap is
# never negative); these must be at least 1 (0 would end every session, allow no result, ...).
MINIMUMS: dict[str, float] = {
    "PLANNER_SESSION_IDLE_MINUTES": 1,
    "ACCOUNT_SIGN_IN_MAX_FAILURES": 1,
    "ACCOUNT_SIGN_IN_FAILURE_WINDOW_MINUTES": 1,
    "ACCOUNT_LOCKOUT_MINUTES": 1,
    "ACCOUNT_PASSWORD_MIN_LENGTH": 8,
    "ACCOUNT_RESET_LINK_MINUTES": 1,
    "CARE_RETENTION_DAYS": 30,  # a typo of 0 or 1 would purge every family not seen since yesterday
    "CARE_BOOKING_HOLD_MINUTES": 1,
    "CARE_CLOCK_INTERVAL_S": 1,
    "CARE_OFFER_BATCH": 1,
    "CARE_OFFER_RESPONSE_MINUTES": 1,
    "CARE_REQUEST_MATCH_MINUTES": 1,
    "CARE_MATCH_MAX_PROVIDERS": 1,
    "NOTIFY_SMTP_PORT": 1,
    "NOTIFY_SMTP_TIMEOUT_S": 1,
    "NOTIFY_ALIMTALK_TIMEOUT_S": 1,
    "NOTIFY_LEASE_S": 10,
    "NOTIFY_BATCH": 1,
    "NOTIFY_MAX_ATTEMPTS": 1,
    "NOTIFY_BACKOFF_BASE_S": 1,
    "NOTIFY_BACKOFF_CAP_S": 1,
    "PLANNER_SESSION_MAX_HOURS": 1,
    "PLANNER_MAP_CACHE_SIZE": 1,
    "SEARCH_DEFAULT_LIMIT": 1,
    "SEARCH_MAX_LIMIT": 1,
    "SEARCH_MAX_RADIUS_M": 1,
    "BBOX_COMPACT_MAX_LIMIT": 1,
    "HISTORY_DEFAULT_LIMIT": 1,
    "HISTORY_MAX_LIMIT": 1,
    "PLANNING_CELL_M": 1,
    "PLANNING_JOB_MAX_ATTEMPTS": 1,
    "JSON_MAX_DEPTH": 1,
    "REPORT_MAX_BODY_BYTES": 1,
}

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _json_or_text(text: str) -> Any:
    """Flask's ``from_prefixed_env`` rule: the value as JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_value(variable: str, text: str, default: Any, minimum: float | None = None) -> Any:
    """One environment value converted to the type of its setting's ``default``: bool (true,
    false, yes, no, on, off, 1, 0 in any case), int, float or str; ``None`` (or another type)
    keeps Flask's rule (JSON, else the text). ``minimum`` bounds an int or float. Anything
    else is a ``SettingError`` naming the variable, the value and what is allowed."""
    if isinstance(default, bool):
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise SettingError(f"{variable}={text!r} is not a yes/no value; write one of true, false, "
                           "yes, no, on, off, 1, 0")
    if isinstance(default, (int, float)):
        kind = int if isinstance(default, int) else float
        try:
            number = kind(text.strip())
            if not math.isfinite(number):
                raise ValueError
        except ValueError:
            what = "a whole number such as 30" if kind is int else "a number such as 2.5"
            raise SettingError(f"{variable}={text!r} is not a number; write {what}") from None
        if minimum is not None and number < minimum:
            raise SettingError(f"{variable}={text!r} is too small; it must be at least "
                               f"{minimum:g}")
        return number
    if isinstance(default, str):
        # A JSON string literal ('"30 per minute"', as Flask's own rule reads it) is its text;
        # anything else is the text as written (TILE_URL=123 stays "123").
        value = _json_or_text(text)
        return value if isinstance(value, str) else text
    return _json_or_text(text)


def apply_environment(config: MutableMapping[str, Any], defaults: object, environ: Mapping[str, str],
                      prefix: str = "DOLBOM_") -> None:
    """Set every setting that ``environ`` gives as ``<prefix><NAME>`` in ``config``, each
    converted by the type of its default (see ``parse_value``; list settings by
    ``parse_list``). A setting is a name of ``defaults`` (app/config.py) or a key ``config``
    already holds (Flask's own, instance/config.py); its type is its default in ``defaults``,
    else its value in ``config``. A ``<prefix>`` variable that is neither a setting nor in
    ``NOT_SETTINGS`` stops start-up with a ``SettingError`` naming the closest setting."""
    lists = list_settings(defaults)
    own = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    known = {**{name: value for name, value in config.items() if name.isupper()}, **own}
    for variable in sorted(environ):
        if not variable.startswith(prefix) or variable in NOT_SETTINGS:
            continue
        name, text = variable[len(prefix):], environ[variable]
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean {prefix}{close[0]}?" if close else "no setting has a similar name"
            raise SettingError(f"{variable} is not a setting ({hint}); the settings and their "
                               "defaults are in app/config.py")
        if name in lists:
            kind, item, length = lists[name]
            items = parse_list(variable, text, item, length)
            config[name] = tuple(items) if kind is tuple else items
            continue
        default = known[name]
        minimum = None
        if name in own and isinstance(default, (int, float)) and not isinstance(default, bool):
            minimum = MINIMUMS.get(name, 0)
        config[name] = parse_value(variable, text, default, minimum)


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


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})


def check_public_base_url(name: str, value: Any) -> str:
    """``value`` without a trailing ``/`` if it is ``https://host[:port]`` (``http://`` only for
    127.0.0.1, localhost and [::1]: a test or a developer's machine), with no path, query, user
    name or wildcard; else ``SettingError`` naming ``name``, the value and what is allowed."""
    text = value[:-1] if isinstance(value, str) and value.endswith("/") else value
    match = _ORIGIN.fullmatch(text) if isinstance(text, str) and "*" not in text else None
    if match is None or not 0 < int(match.group(1) or 443) < 65536:
        raise SettingError(f"{name}: {value!r} is not a public base address; write https://host[:port] "
                           "(e.g. https://dolbom.example.kr), without a path, query or user name")
    scheme, rest = text.split("://", 1)
    host = rest.rsplit(":", 1)[0] if not rest.endswith("]") else rest
    if scheme.lower() != "https" and host.lower() not in _LOOPBACK:
        raise SettingError(f"{name}: {value!r} must use https (links in messages carry secrets); http is "
                           "allowed only for 127.0.0.1 or localhost")
    return text


def check(config: Mapping) -> None:
    """Check settings whose wrong values would only show later (start-up stops instead)."""
    origins = config.get("EMBED_ALLOWED_ORIGINS") or []
    if isinstance(origins, str) or not isinstance(origins, (list, tuple)):
        raise SettingError(f"EMBED_ALLOWED_ORIGINS must be a list of origins, not {origins!r}")
    for origin in origins:
        check_origin("EMBED_ALLOWED_ORIGINS", origin)
    if config.get("NOTIFY_PUBLIC_BASE_URL"):
        check_public_base_url("NOTIFY_PUBLIC_BASE_URL", config["NOTIFY_PUBLIC_BASE_URL"])
