"""Keep family data and credentials out of logs.

Query strings carry home and work coordinates and a child's age; ``Authorization`` carries
tokens; ``Cookie`` carries the planner's session. None of them is ever written to a log:

- gunicorn's access log: its logger class (``GunicornLogger``, set by ``gunicorn.conf.py`` in
  the project root) builds the log line from scrubbed atoms, and a filter on the
  ``gunicorn.access`` logger scrubs them again, so a server started without that config file
  (another working directory, ``-c`` of its own, a custom ``--access-logformat``) is covered too.
  gunicorn passes its atoms as a dict (``record.args``); the filter edits that dict in place.
- the development server's log (``werkzeug``) and gunicorn's error log: request lines lose
  their query string (``?[redacted]``) and token-shaped text is replaced.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# A query string runs to the next whitespace, quotes and all: a scenario's JSON in a URL
# ({"lon":127.0,…}) holds quotes, and stopping at one would log the coordinates after it.
_QUERY = re.compile(r"\?\S*")
_TOKEN = re.compile(r"dlb_[A-Za-z0-9]+_[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"]+")

# gunicorn atoms kept as they are (one letter each): remote address, time, status, sizes,
# method, path without query, protocol, user agent, durations, pid.
_PLAIN_ATOMS = frozenset("hltsbBmUHaTDMLp")
# Request headers (``{name}i``) that may be logged; every other one (Authorization, Cookie,
# Proxy-Authorization, X-Api-Key, …) logs as "-".
SAFE_REQUEST_HEADERS = frozenset({
    "host", "user-agent", "referer", "accept", "accept-language", "accept-encoding",
    "content-type", "content-length", "origin", "x-forwarded-for", "x-forwarded-proto",
    "x-real-ip", "x-request-id",
})
# Response headers (``{name}o``) never logged.
UNSAFE_RESPONSE_HEADERS = frozenset({"set-cookie"})
# WSGI environ entries (``{name}e``) that may be logged; the others hold the query string,
# the raw URI and every request header.
SAFE_ENVIRON = frozenset({
    "remote_addr", "remote_port", "request_method", "path_info", "script_name", "server_name",
    "server_port", "server_protocol", "wsgi.url_scheme",
})


def redact_text(text: str) -> str:
    """``text`` with query strings (``?…`` up to whitespace) replaced by ``?[redacted]``
    and tokens (``dlb_…``, ``Bearer …``) by ``[redacted]``."""
    if "?" in text:
        text = _QUERY.sub("?[redacted]", text)
    if "dlb_" in text:
        text = _TOKEN.sub("[redacted]", text)
    return _BEARER.sub(r"\1 [redacted]", text)


# Atoms kept as they are, and atoms kept with query strings and tokens taken out.
_KEEP = frozenset(_PLAIN_ATOMS) | {f"{{{name}}}e" for name in SAFE_ENVIRON}
_REDACT = frozenset({"r", "f", "{location}o"} | {f"{{{name}}}i" for name in SAFE_REQUEST_HEADERS})


def scrub_access_atoms(atoms: MutableMapping) -> None:
    """Make gunicorn's access-log atoms safe, in place: no query string, no credentials.

    Kept: the plain atoms (address, time, method, path, status, sizes, durations, user agent),
    the request headers of ``SAFE_REQUEST_HEADERS`` and the environ entries of
    ``SAFE_ENVIRON``, response headers but Set-Cookie; the request line (``r``), referer
    (``f``) and those headers lose query strings and tokens (``redact_text``). Dropped (logged
    as "-": gunicorn's ``SafeAtoms`` answers "-" for a missing key): the query string (``q``),
    the basic-auth user (``u``), every other header and environ entry, unknown atoms.
    """
    dropped = []
    for key, value in atoms.items():
        if key in _KEEP:
            continue
        if key in _REDACT:
            if isinstance(value, str):
                atoms[key] = redact_text(value)
            continue
        if key[-2:] == "}o" and key[1:-2] not in UNSAFE_RESPONSE_HEADERS:
            continue
        dropped.append(key)
    for key in dropped:
        del atoms[key]


class RedactQueryStrings(logging.Filter):
    """Scrubs a log record: gunicorn's access atoms (a dict in ``record.args``) with
    ``scrub_access_atoms``; text messages and arguments with ``redact_text``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):
            if not isinstance(args, MutableMapping):
                args = record.args = dict(args)
            scrub_access_atoms(args)
            return True
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if args:
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in args)
        return True


LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def init_app(app: Flask) -> None:
    """Scrub the development server's and gunicorn's access and error logs."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())


try:  # gunicorn is a server dependency; the app itself runs without it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger with scrubbed access-log atoms (``logger_class`` in
        ``gunicorn.conf.py``): whatever ``access_log_format`` says, no query string,
        Authorization, Cookie or Set-Cookie reaches the access log."""

        def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
            atoms = super().atoms(resp, req, environ, request_time)
            scrub_access_atoms(atoms)
            return atoms
