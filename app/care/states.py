"""The lifecycles of a booking, a care request and an offer: explicit states and transitions.

State names use the HL7 FHIR ``Task.status`` vocabulary (requested, accepted, rejected,
cancelled, in-progress, completed, failed, on-hold) wherever one status means the same thing;
two business statuses refine FHIR ``failed`` and keep their own name, as FHIR's
``Task.businessStatus`` does:

=============  ================  ==========================================================
state          FHIR Task.status  meaning
=============  ================  ==========================================================
requested      requested         sent; the place is held (booking) or offers go out (request)
accepted       accepted          the provider confirmed (the pages say "confirmed")
rejected       rejected          the provider declined (the pages say "declined")
expired        failed            nobody answered before the deadline (a hold or an offer lapsed)
no-show        failed            the child did not come to a confirmed booking
unmatched      on-hold           matching ran out of providers or time; queued for people (not
                                 FHIR ``failed``, which is final: a person may still match it)
in-progress    in-progress       the child is checked in / care is under way
completed      completed         care took place and ended
cancelled      cancelled         withdrawn (by the family, the provider with a reason, or staff)
failed         failed            a request closed without care (unmet demand)
=============  ================  ==========================================================

Why a plain table and not the ``transitions`` library: the table is the one thing the other
layers need as data (the database's guarded ``UPDATE … SET status = :to WHERE id = :id AND
status IN (:sources)`` that makes "first confirmation wins, once" and "a cancellation racing a
confirmation" safe on several servers; the ``CHECK`` constraint on the status column; the
allowed actions a page shows; the authorisation matrix tests). ``transitions`` keeps the state
on an in-memory model object and adds trigger methods at run time, which mypy cannot see and
which would duplicate the state the database row already holds. :class:`Lifecycle` is ~80
lines, fully typed, and checks its own table when built.

Roles are data (strings): ``guardian``, ``provider_staff``, ``admin`` and ``system`` (the
deadline timers and the matching engine); a later issue adds roles by adding them to a
transition's ``actors``. A role not listed is refused (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain import DomainError

GUARDIAN, PROVIDER_STAFF, ADMIN, SYSTEM = "guardian", "provider_staff", "admin", "system"
REASON_MAX_CHARS = 500
FHIR_STATUSES = frozenset({"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
                           "on-hold", "in-progress", "failed", "completed", "entered-in-error"})


def _a(words: str) -> str:
    """``words`` after their English indefinite article: "a booking", "an offer", "an admin".
    By the first letter, which is right for the lifecycle and role names here (no silent h, no
    "u" said "you")."""
    return f"{'an' if words[:1].lower() in tuple('aeiou') else 'a'} {words}"


class TransitionError(DomainError):
    """A transition that cannot happen; ``http_status`` is what the API answers."""

    http_status = 400


class UnknownAction(TransitionError):
    """An action that no transition of this lifecycle has."""


class InvalidTransition(TransitionError):
    """An action that is not allowed from the record's current state (the API: 409 with it)."""

    code = "invalid_transition"
    http_status = 409

    def __init__(self, lifecycle: str, current_state: str, action: str, allowed: tuple[str, ...]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (it is final)"
        super().__init__(f"{_a(lifecycle.replace('_', ' '))} that is {current_state} cannot be {action!r}: "
                         f"allowed from {current_state}: {allowed_text}", "status")
        self.lifecycle = lifecycle
        self.current_state = current_state
        self.action = action
        self.allowed_actions = allowed

    @property
    def extra(self) -> dict[str, object]:
        """What the API adds to the error envelope."""
        return {"current_state": self.current_state, "allowed_actions": list(self.allowed_actions)}


class ActorNotAllowed(TransitionError):
    """A role that may not take this action (from this state); the API answers 403."""

    code = "forbidden_transition"
    http_status = 403

    def __init__(self, message: str, current_state: str) -> None:
        super().__init__(message, "action")
        self.current_state = current_state


class ReasonRequired(TransitionError):
    """A transition that needs a reason from this role, given none (or one too long)."""


@dataclass(frozen=True)
class State:
    """One state: its FHIR ``Task.status``, who owns the next step and which clock runs."""

    name: str
    fhir: str
    next_step: str | None = None  # who acts next: "provider", "system", "people"; None when final
    clock: str | None = None  # the deadline running in this state (the scheduler's job), if any
    holds_place: bool = False  # counts against the provider's bookable places

    @property
    def final(self) -> bool:
        return self.next_step is None


@dataclass(frozen=True)
class Transition:
    """``action`` moves a record from ``source`` to ``target``; only ``actors`` may take it,
    and those in ``reason_required_for`` must say why."""

    action: str
    source: str
    target: str
    actors: frozenset[str]
    reason_required_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TransitionEvent:
    """One transition as it happened: the audit trail's record (``at`` in UTC)."""

    lifecycle: str
    action: str
    from_state: str
    to_state: str
    fhir_from: str
    fhir_to: str
    actor_role: str
    reason: str | None
    at: datetime

    def as_record(self) -> dict[str, str | None]:
        """JSON-ready fields (``at`` as ISO 8601 with ``+00:00``)."""
        return {"lifecycle": self.lifecycle, "action": self.action, "from_state": self.from_state,
                "to_state": self.to_state, "fhir_from": self.fhir_from, "fhir_to": self.fhir_to,
                "actor_role": self.actor_role, "reason": self.reason, "at": self.at.isoformat()}


def _t(action: str, source: str, target: str, actors: Iterable[str], reason_for: Iterable[str] = ()) -> Transition:
    return Transition(action, source, target, frozenset(actors), frozenset(reason_for))


class Lifecycle:
    """A state machine declared as a table; :meth:`fire` is the only way to change state."""

    def __init__(self, name: str, states: Iterable[State], initial: str, transitions: Iterable[Transition]) -> None:
        self.name = name
        self.states: Mapping[str, State] = {s.name: s for s in states}
        self.initial = initial
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        self._by_key = {(t.action, t.source): t for t in self.transitions}
        problems = [f"duplicate ({t.action}, {t.source})" for t in self.transitions
                    if self._by_key[t.action, t.source] is not t]
        problems += [f"unknown state in {t}" for t in self.transitions
                     if t.source not in self.states or t.target not in self.states]
        problems += [f"{t.action} leaves final state {t.source}" for t in self.transitions
                     if t.source in self.states and self.states[t.source].final]
        problems += [f"{s.name}: {s.fhir} is no FHIR Task status" for s in self.states.values()
                     if s.fhir not in FHIR_STATUSES]
        problems += [f"{t.action}: reason required for a role not allowed" for t in self.transitions
                     if not t.reason_required_for <= t.actors]
        if initial not in self.states:
            problems.append(f"initial state {initial} unknown")
        if problems:
            raise RuntimeError(f"lifecycle {name}: " + "; ".join(problems))

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action, in table order."""
        return tuple(dict.fromkeys(t.action for t in self.transitions))

    def state(self, name: str) -> State:
        """The state called ``name``; a name not in the table is corrupt data (RuntimeError)."""
        try:
            return self.states[name]
        except KeyError:
            raise RuntimeError(f"{self.name}: {name!r} is not a state; states: {', '.join(self.states)}") from None

    def fhir_status(self, name: str) -> str:
        """The FHIR ``Task.status`` of state ``name``."""
        return self.state(name).fhir

    def allowed_actions(self, current: str, actor_role: str | None = None) -> tuple[str, ...]:
        """The actions possible from ``current`` (for ``actor_role`` only, when given)."""
        self.state(current)
        return tuple(t.action for t in self.transitions
                     if t.source == current and (actor_role is None or actor_role in t.actors))

    def sources(self, action: str) -> frozenset[str]:
        """The states ``action`` may start from (the guard of the database's update)."""
        return frozenset(t.source for t in self.transitions if t.action == action)

    def holding_states(self) -> frozenset[str]:
        """The states that count against a provider's places."""
        return frozenset(s.name for s in self.states.values() if s.holds_place)

    def fire(self, current: str, action: str, actor_role: str, reason: str | None = None,
             at: datetime | None = None) -> TransitionEvent:
        """Take ``action`` from state ``current`` as ``actor_role``; the event to record.

        Raises :class:`UnknownAction` (400) for an action this lifecycle lacks,
        :class:`ActorNotAllowed` (403) when the role may not take it,
        :class:`InvalidTransition` (409, carrying ``current_state``) when it is not allowed from
        ``current``, and :class:`ReasonRequired` (400) when the role must give a reason.
        ``at`` (aware; default now) is stored in UTC.
        """
        self.state(current)
        if action not in self.actions:
            raise UnknownAction(f"{action!r} is not an action on {_a(self.name.replace('_', ' '))}; "
                                f"actions: {', '.join(self.actions)}", "action")
        if not any(actor_role in t.actors for t in self.transitions if t.action == action):
            raise ActorNotAllowed(f"{_a(actor_role)} may not {action} {_a(self.name.replace('_', ' '))}", current)
        transition = self._by_key.get((action, current))
        if transition is None:
            raise InvalidTransition(self.name, current, action, self.allowed_actions(current, actor_role))
        if actor_role not in transition.actors:
            raise ActorNotAllowed(f"{_a(actor_role)} may not {action} {_a(self.name.replace('_', ' '))} that "
                                  f"is {current}", current)
        reason = reason.strip() if reason else None
        if not reason and actor_role in transition.reason_required_for:
            raise ReasonRequired(f"{_a(actor_role)} must give a reason to {action}", "reason")
        if reason and len(reason) > REASON_MAX_CHARS:
            raise ReasonRequired(f"reason is {len(reason)} characters; at most {REASON_MAX_CHARS}", "reason")
        if at is None:
            at = datetime.now(UTC)
        elif at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("a transition's time must be timezone-aware")
        target = transition.target
        return TransitionEvent(self.name, action, current, target, self.fhir_status(current),
                               self.fhir_status(target), actor_role, reason, at.astimezone(UTC))


_STAFF = (PROVIDER_STAFF, ADMIN)

BOOKING = Lifecycle(
    "booking",
    [State("requested", "requested", "provider", clock="hold", holds_place=True),
     State("accepted", "accepted", "provider", clock="start", holds_place=True),
     State("in-progress", "in-progress", "provider", clock="end", holds_place=True),
     State("rejected", "rejected"), State("expired", "failed"), State("no-show", "failed"),
     State("cancelled", "cancelled"), State("completed", "completed")],
    "requested",
    [_t("confirm", "requested", "accepted", [PROVIDER_STAFF, SYSTEM]),  # SYSTEM: auto-confirm
     _t("decline", "requested", "rejected", [PROVIDER_STAFF], [PROVIDER_STAFF]),
     _t("expire", "requested", "expired", [SYSTEM]),
     _t("cancel", "requested", "cancelled", [GUARDIAN, *_STAFF], _STAFF),
     _t("cancel", "accepted", "cancelled", [GUARDIAN, *_STAFF], _STAFF),
     _t("check_in", "accepted", "in-progress", [PROVIDER_STAFF]),
     _t("mark_no_show", "accepted", "no-show", [PROVIDER_STAFF, SYSTEM]),
     _t("check_out", "in-progress", "completed", [PROVIDER_STAFF, SYSTEM])],
)
"""A booking of a place: held at once (``requested``), then confirmed or declined by the
provider (or confirmed by the system for providers that confirm automatically), or lapsed."""

CARE_REQUEST = Lifecycle(
    "care_request",
    [State("requested", "requested", "system", clock="match"),
     State("unmatched", "on-hold", "people", clock="follow_up"),
     State("accepted", "accepted", "provider", clock="start"),
     State("in-progress", "in-progress", "provider", clock="end"),
     State("completed", "completed"), State("cancelled", "cancelled"), State("failed", "failed")],
    "requested",
    [_t("match", "requested", "accepted", [SYSTEM]),  # an offer was accepted
     _t("give_up", "requested", "unmatched", [SYSTEM]),  # the list or the total deadline ran out
     _t("match", "unmatched", "accepted", [ADMIN]),  # a person found a place (call centre: later)
     _t("close_unmet", "unmatched", "failed", [ADMIN], [ADMIN]),
     _t("cancel", "requested", "cancelled", [GUARDIAN, ADMIN], [ADMIN]),
     _t("cancel", "unmatched", "cancelled", [GUARDIAN, ADMIN], [ADMIN]),
     # PROVIDER_STAFF here and in fail: only through the booking the request follows (the
     # provider cancels it with a reason, or marks a no-show); the API lets staff cancel no request.
     _t("cancel", "accepted", "cancelled", [GUARDIAN, *_STAFF], _STAFF),
     _t("start", "accepted", "in-progress", [PROVIDER_STAFF, SYSTEM]),
     _t("fail", "accepted", "failed", [SYSTEM, *_STAFF], [SYSTEM, *_STAFF]),  # e.g. the booking was a no-show
     _t("complete", "in-progress", "completed", [PROVIDER_STAFF, SYSTEM])],
)
"""An emergency care request: matched by offers to providers (a closed-loop referral: it always
ends in an outcome, and ``unmatched`` ones surface to people)."""

REQUEST_FOLLOWS_BOOKING: Mapping[str, str] = {
    "in-progress": "start",  # checked in: care is under way
    "completed": "complete",  # checked out
    "no-show": "fail",  # FHIR failed: the request closed without care
    "cancelled": "cancel",  # by the guardian, or by the provider or an admin with a reason
}
"""How a matched care request follows the booking its accepted offer made: the booking's new
state -> the request's action, taken in the booking's transaction by the same person
(:func:`app.care.request_rows.follow_booking`). Each booking role that can reach a state may take the
request's action (checked below); the booking's other states (rejected, expired) cannot follow
``accepted``, where such a booking starts."""

WINDOW_IS_USE: Mapping[str, frozenset[str]] = {
    "booking": frozenset({"requested", "accepted", "in-progress", "completed"}),
    "care_request": frozenset({"requested", "unmatched", "accepted", "in-progress", "completed"}),
}
"""The states in which a booking's or a care request's window is the family's use of the
service (care given, under way or still coming: the retention clock counts its end); a window
that lapsed, was declined, cancelled or not attended was no use (its last change is)."""

OFFER = Lifecycle(
    "offer",
    [State("requested", "requested", "provider", clock="offer"),
     State("accepted", "accepted"), State("rejected", "rejected"), State("expired", "failed"),
     State("cancelled", "cancelled")],
    "requested",
    [_t("accept", "requested", "accepted", [PROVIDER_STAFF]),
     _t("decline", "requested", "rejected", [PROVIDER_STAFF]),
     _t("expire", "requested", "expired", [SYSTEM]),
     _t("withdraw", "requested", "cancelled", [SYSTEM, ADMIN])],  # another provider won, or the request ended
)
"""One offer of a care request to one provider, with a response deadline."""


def _check_follows() -> None:
    """Start-up stops when a booking move the request follows has no request transition to
    match: an unknown action, a target of another FHIR status, or a role the request refuses."""
    problems = []
    for booked, action in REQUEST_FOLLOWS_BOOKING.items():
        moves = [t for t in BOOKING.transitions if t.target == booked]
        matched = [t for t in CARE_REQUEST.transitions
                   if t.action == action and t.source in {"accepted", "in-progress"}]
        if not moves or not matched:
            problems.append(f"{booked} -> {action}: no such booking state or request action")
            continue
        for t in matched:
            if CARE_REQUEST.fhir_status(t.target) != BOOKING.fhir_status(booked):
                problems.append(f"{booked} -> {action} ends {t.target}")
        roles = frozenset().union(*(t.actors for t in moves))
        if not roles <= frozenset().union(*(t.actors for t in matched)):
            problems.append(f"{booked} -> {action}: roles {sorted(roles)} not all allowed on the request")
    if problems:
        raise RuntimeError("REQUEST_FOLLOWS_BOOKING: " + "; ".join(problems))


_check_follows()

LIFECYCLES = {lc.name: lc for lc in (BOOKING, CARE_REQUEST, OFFER)}
