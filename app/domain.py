"""The one base of the errors the core raises for input that breaks a rule of the domain.

Every such error names the part at fault in ``field`` (None when no single field is) and says in
its message what is allowed; it is a ``ValueError``, so code that catches those keeps working.
The web layer answers any of them that a view does not handle itself with the one JSON
envelope, status 400 (``app.errors``); the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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


PROBLEMS_KEY = "errors"
"""The envelope's list of every problem found at once (``{"field", "reason", "message", …}``
each): a form or a client fixes them all in one go, not one submit at a time."""


def problem_entry(exc: DomainError) -> dict[str, object]:
    """One problem as the envelope's :data:`PROBLEMS_KEY` lists it: ``field``, ``reason``,
    ``message``, ``code`` and the error's ``extra`` (its figures, its ``allowed`` values)."""
    return {**{k: v for k, v in exc.extra.items() if k != PROBLEMS_KEY}, "code": exc.code, "field": exc.field,
            "reason": exc.reason, "message": str(exc)}


class Problems(DomainError):
    """Several problems of one input found at once (``problems``, in the order of the fields).
    The envelope's ``code``, ``field``, ``reason`` and extra fields are the first problem's (a
    client reading one field keeps working), its ``message`` every problem's joined with "; ",
    and :data:`PROBLEMS_KEY` lists them all (:func:`problem_entry`); the status is the first's."""

    def __init__(self, problems: Sequence[DomainError]) -> None:
        if not problems:
            raise ValueError("Problems needs at least one problem")
        first = problems[0]
        super().__init__("; ".join(str(p) for p in problems), first.field, first.reason,
                         {**first.extra, PROBLEMS_KEY: [problem_entry(p) for p in problems]})
        self.code = first.code
        self.http_status = getattr(first, "http_status", 400)
        self.problems = tuple(problems)


def raise_all(problems: Sequence[DomainError], several: type[Problems] = Problems) -> None:
    """Raise nothing for no problem, the problem itself for one, ``several`` (a
    :class:`Problems`) for more."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise several(problems)
