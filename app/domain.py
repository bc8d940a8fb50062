"""The one base of the errors the core raises for input that breaks a rule of the domain.

Every such error names the part at fault in ``field`` (None when no single field is) and says in
its message what is allowed; it is a ``ValueError``, so code that catches those keeps working.
The web layer answers any of them that a view does not handle itself with the one JSON
envelope, status 400 (``app.errors``); the CLI prints the message.
"""

from __future__ import annotations


class DomainError(ValueError):
    """Input that breaks a rule of the domain; ``field`` names the part at fault."""

    code = "invalid_parameter"  # the API error code when answered as a 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
