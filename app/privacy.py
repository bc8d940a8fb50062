"""Keep family data out of logs: request lines are logged without their query strings (which
carry home and work coordinates, a child's age or birth date, and tokens never travel there)."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


class RedactQueryStrings(logging.Filter):
    """Replaces ``?…`` in a log record's message and arguments with ``?[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub("?[redacted]", record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_QUERY.sub("?[redacted]", a) if isinstance(a, str) else a
                                for a in args)
        return True


def init_app(app) -> None:
    """Redact query strings in the development server's and gunicorn's access logs."""
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())
