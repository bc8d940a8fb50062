"""The one base of the errors the core raises for input that breaks a rule of the domain.

Every such error names the part at fault in ``field`` (None when no single field is) and says in
its message what is allowed; it is a ``ValueError``, so code that catches those keeps working.
The web layer answers any of them that a view does not handle itself with the one JSON
envelope, status 400 (``app.errors``); the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(ValueError):
    """Input that breaks a rule of the domain; ``field`` names the part at fault.

    ``reason`` (optional): a stable machine word saying why (``in_future``), sent in the API
    envelope so a page can say it in its own language; ``extra`` (optional): the figures that
    message needs (``{"max_days": 5}``), added to the envelope. ``reason`` is set only when
    given, so a subclass's own class attribute stays in force otherwise; a subclass may compute
    ``extra`` instead (a property).
    """

    code = "invalid_parameter"  # the API error code when answered as a 400
    reason: str | None = None

    def __init__(self, message: str, field: str | None = None, reason: str | None = None,
                 extra: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.field = field
        if reason is not None:
            self.reason = reason
        self._extra = dict(extra or {})

    @property
    def extra(self) -> dict[str, object]:
        """The envelope's extra fields (a subclass may compute its own)."""
        return self._extra
