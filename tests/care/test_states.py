"""The booking, care-request and offer lifecycles: every allowed transition listed by hand, every
other (state, action, role) refused with the right error, and the audit events."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.care.states import (
    BOOKING,
    CARE_REQUEST,
    LIFECYCLES,
    OFFER,
    ActorNotAllowed,
    InvalidTransition,
    Lifecycle,
    ReasonRequired,
    State,
    Transition,
    TransitionError,
    UnknownAction,
)
from app.domain import DomainError

ROLES = ("guardian", "provider_staff", "admin", "system", "carer")  # carer: a later issue's role, no rights yet

# (lifecycle, from, action, role) -> to. Written from the issue, not read from the code.
ALLOWED = {
    ("booking", "requested", "confirm", "provider_staff"): "accepted",
    ("booking", "requested", "confirm", "system"): "accepted",  # providers that confirm automatically
    ("booking", "requested", "decline", "provider_staff"): "rejected",
    ("booking", "requested", "expire", "system"): "expired",
    ("booking", "requested", "cancel", "guardian"): "cancelled",
    ("booking", "requested", "cancel", "provider_staff"): "cancelled",
    ("booking", "requested", "cancel", "admin"): "cancelled",
    ("booking", "accepted", "cancel", "guardian"): "cancelled",
    ("booking", "accepted", "cancel", "provider_staff"): "cancelled",
    ("booking", "accepted", "cancel", "admin"): "cancelled",
    ("booking", "accepted", "check_in", "provider_staff"): "in-progress",
    ("booking", "accepted", "mark_no_show", "provider_staff"): "no-show",
    ("booking", "accepted", "mark_no_show", "system"): "no-show",
    ("booking", "in-progress", "check_out", "provider_staff"): "completed",
    ("booking", "in-progress", "check_out", "system"): "completed",
    ("care_request", "requested", "match", "system"): "accepted",
    ("care_request", "requested", "give_up", "system"): "unmatched",
    ("care_request", "requested", "cancel", "guardian"): "cancelled",
    ("care_request", "requested", "cancel", "admin"): "cancelled",
    ("care_request", "unmatched", "match", "admin"): "accepted",
    ("care_request", "unmatched", "close_unmet", "admin"): "failed",
    ("care_request", "unmatched", "cancel", "guardian"): "cancelled",
    ("care_request", "unmatched", "cancel", "admin"): "cancelled",
    ("care_request", "accepted", "cancel", "guardian"): "cancelled",
    ("care_request", "accepted", "cancel", "admin"): "cancelled",
    ("care_request", "accepted", "cancel", "provider_staff"): "cancelled",  # the provider cancelled its booking
    ("care_request", "accepted", "start", "provider_staff"): "in-progress",
    ("care_request", "accepted", "start", "system"): "in-progress",
    ("care_request", "accepted", "fail", "system"): "failed",
    ("care_request", "accepted", "fail", "admin"): "failed",
    ("care_request", "accepted", "fail", "provider_staff"): "failed",  # the provider marked its booking no-show
    ("care_request", "in-progress", "complete", "provider_staff"): "completed",
    ("care_request", "in-progress", "complete", "system"): "completed",
    ("offer", "requested", "accept", "provider_staff"): "accepted",
    ("offer", "requested", "decline", "provider_staff"): "rejected",
    ("offer", "requested", "expire", "system"): "expired",
    ("offer", "requested", "withdraw", "system"): "cancelled",
    ("offer", "requested", "withdraw", "admin"): "cancelled",
}

# business status -> FHIR Task.status (the module docstring's table)
FHIR = {
    "booking": {"requested": "requested", "accepted": "accepted", "rejected": "rejected", "expired": "failed",
                "no-show": "failed", "in-progress": "in-progress", "completed": "completed",
                "cancelled": "cancelled"},
    "care_request": {"requested": "requested", "unmatched": "on-hold", "accepted": "accepted",
                     "in-progress": "in-progress", "completed": "completed", "cancelled": "cancelled",
                     "failed": "failed"},
    "offer": {"requested": "requested", "accepted": "accepted", "rejected": "rejected", "expired": "failed",
              "cancelled": "cancelled"},
}
AT = datetime(2026, 11, 29, 18, 0, tzinfo=timezone(timedelta(hours=9)))  # 09:00 UTC


def every_case():
    for name, lc in LIFECYCLES.items():
        for state in lc.states:
            for action in lc.actions:
                for role in ROLES:
                    yield name, state, action, role


@pytest.mark.parametrize(("key", "target"), sorted(ALLOWED.items()))
def test_allowed_transition(key, target):
    lifecycle, source, action, role = key
    event = LIFECYCLES[lifecycle].fire(source, action, role, reason="문의 후 변경", at=AT)
    assert (event.from_state, event.to_state, event.actor_role, event.action) == (source, target, role, action)
    assert (event.fhir_from, event.fhir_to) == (FHIR[lifecycle][source], FHIR[lifecycle][target])


def test_every_other_transition_is_refused():
    refused = 0
    for name, state, action, role in every_case():
        if (name, state, action, role) in ALLOWED:
            continue
        lc = LIFECYCLES[name]
        with pytest.raises(TransitionError, match=r"may not|cannot be") as caught:
            lc.fire(state, action, role, reason="x", at=AT)
        role_ever_allowed = any(k[0] == name and k[2] == action and k[3] == role for k in ALLOWED)
        state_has_action = any(k[0] == name and k[1] == state and k[2] == action for k in ALLOWED)
        if role_ever_allowed and not state_has_action:
            assert isinstance(caught.value, InvalidTransition) and caught.value.http_status == 409
            assert caught.value.current_state == state
        else:
            assert isinstance(caught.value, ActorNotAllowed) and caught.value.http_status == 403
        refused += 1
    assert refused == sum(len(lc.states) * len(lc.actions) * len(ROLES) for lc in LIFECYCLES.values()) - len(ALLOWED)


def test_the_table_is_exactly_the_listed_one():
    in_code = {(name, t.source, t.action, role): t.target
               for name, lc in LIFECYCLES.items() for t in lc.transitions for role in t.actors}
    assert in_code == ALLOWED


def test_fhir_mapping_documented():
    for name, lc in LIFECYCLES.items():
        assert {s: lc.fhir_status(s) for s in lc.states} == FHIR[name]


def test_invalid_transition_is_a_409_carrying_the_current_state():
    with pytest.raises(InvalidTransition, match=r"a booking that is cancelled cannot be 'confirm'.*none") as caught:
        BOOKING.fire("cancelled", "confirm", "provider_staff", at=AT)
    err = caught.value
    assert isinstance(err, DomainError) and err.code == "invalid_transition" and err.field == "status"
    assert err.extra == {"current_state": "cancelled", "allowed_actions": []}
    with pytest.raises(InvalidTransition, match="allowed from accepted: cancel, check_in, mark_no_show") as caught:
        BOOKING.fire("accepted", "check_out", "provider_staff", at=AT)
    assert caught.value.extra == {"current_state": "accepted",
                                  "allowed_actions": ["cancel", "check_in", "mark_no_show"]}


def test_a_duplicate_cancellation_is_refused():
    first = BOOKING.fire("accepted", "cancel", "guardian", at=AT)
    with pytest.raises(InvalidTransition, match="that is cancelled cannot be 'cancel'"):
        BOOKING.fire(first.to_state, "cancel", "guardian", at=AT)


def test_a_second_acceptance_of_one_request_is_refused():
    won = CARE_REQUEST.fire("requested", "match", "system", at=AT)
    with pytest.raises(InvalidTransition, match="that is accepted cannot be 'match'"):
        CARE_REQUEST.fire(won.to_state, "match", "system", at=AT)


def test_roles_deny_by_default():
    with pytest.raises(ActorNotAllowed, match="a guardian may not confirm a booking"):
        BOOKING.fire("requested", "confirm", "guardian", at=AT)
    with pytest.raises(ActorNotAllowed, match="a call_centre may not cancel a care request"):
        CARE_REQUEST.fire("requested", "cancel", "call_centre", at=AT)


def test_unknown_action_names_the_actions():
    with pytest.raises(UnknownAction, match="'approve' is not an action on a booking; actions: confirm, decline"):
        BOOKING.fire("requested", "approve", "provider_staff", at=AT)


@pytest.mark.parametrize(("lc", "state", "action", "role"), [
    (BOOKING, "requested", "decline", "provider_staff"),
    (BOOKING, "accepted", "cancel", "provider_staff"),
    (BOOKING, "requested", "cancel", "admin"),
    (CARE_REQUEST, "unmatched", "close_unmet", "admin"),
    (CARE_REQUEST, "accepted", "fail", "system"),
    (CARE_REQUEST, "accepted", "fail", "provider_staff"),
    (CARE_REQUEST, "accepted", "cancel", "provider_staff"),
])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_provider_and_staff_must_say_why(lc, state, action, role, reason):
    article = "an" if role[0] in "aeiou" else "a"  # "an admin"
    with pytest.raises(ReasonRequired, match=f"^{article} {role} must give a reason to {action}") as caught:
        lc.fire(state, action, role, reason=reason, at=AT)
    assert caught.value.field == "reason"


def test_a_guardian_cancels_without_a_reason_and_reasons_are_bounded():
    assert BOOKING.fire("accepted", "cancel", "guardian", at=AT).reason is None
    assert BOOKING.fire("accepted", "cancel", "guardian", reason="  아이가 아파요 ", at=AT).reason == "아이가 아파요"
    with pytest.raises(ReasonRequired, match="reason is 501 characters; at most 500"):
        BOOKING.fire("accepted", "cancel", "guardian", reason="가" * 501, at=AT)


def test_the_event_is_the_audit_record_in_utc():
    event = BOOKING.fire("requested", "decline", "provider_staff", reason="정원 초과", at=AT)
    assert event.at == datetime(2026, 11, 29, 9, 0, tzinfo=UTC) and event.at.utcoffset() == timedelta(0)
    assert event.as_record() == {"lifecycle": "booking", "action": "decline", "from_state": "requested",
                                 "to_state": "rejected", "fhir_from": "requested", "fhir_to": "rejected",
                                 "actor_role": "provider_staff", "reason": "정원 초과",
                                 "at": "2026-11-29T09:00:00+00:00"}


def test_the_event_time_defaults_to_now_and_refuses_a_naive_time():
    before = datetime.now(UTC)
    event = OFFER.fire("requested", "expire", "system")
    assert before <= event.at <= datetime.now(UTC) and event.at.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFER.fire("requested", "expire", "system", at=datetime(2026, 11, 29, 18, 0))


def test_what_the_database_needs():
    assert BOOKING.sources("cancel") == {"requested", "accepted"}
    assert BOOKING.sources("confirm") == {"requested"}
    assert BOOKING.holding_states() == {"requested", "accepted", "in-progress"}
    assert CARE_REQUEST.holding_states() == frozenset()
    assert BOOKING.allowed_actions("requested", "guardian") == ("cancel",)
    assert BOOKING.allowed_actions("requested") == ("confirm", "decline", "expire", "cancel")
    assert [s for s, st in BOOKING.states.items() if st.final] == [
        "rejected", "expired", "no-show", "cancelled", "completed"]
    assert {s: st.clock for s, st in OFFER.states.items() if st.clock} == {"requested": "offer"}


def test_a_corrupt_state_is_not_the_callers_fault():
    with pytest.raises(RuntimeError, match="'confirmed' is not a state; states: requested, accepted"):
        BOOKING.fire("confirmed", "cancel", "guardian", at=AT)


@pytest.mark.parametrize(("states", "transitions", "problem"), [
    ([State("a", "requested", "x"), State("b", "completed")], [Transition("go", "a", "c", frozenset({"system"}))],
     "unknown state"),
    ([State("a", "requested"), State("b", "completed")], [Transition("go", "a", "b", frozenset({"system"}))],
     "go leaves final state a"),
    ([State("a", "confirmed", "x"), State("b", "completed")], [Transition("go", "a", "b", frozenset({"system"}))],
     "confirmed is no FHIR Task status"),
    ([State("a", "requested", "x"), State("b", "completed")],
     [Transition("go", "a", "b", frozenset({"system"})), Transition("go", "a", "a", frozenset({"admin"}))],
     r"duplicate \(go, a\)"),
])
def test_a_bad_table_is_refused_when_built(states, transitions, problem):
    with pytest.raises(RuntimeError, match=problem):
        Lifecycle("probe", states, "a", transitions)
