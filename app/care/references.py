"""A booking's reference: the short code a family can quote on the phone and staff can find a
booking by when the child's details are not shown (the family withdrew its consent to share
them). Derived from the booking's id, so it needs no column and every booking has one."""

from __future__ import annotations

REFERENCE_CHARS = 8
"""How many of the id's characters the reference shows (8 hex digits: 4 billion values, ample
to tell one provider's bookings apart)."""


def booking_reference(booking_id: str) -> str:
    """The reference of the booking ``booking_id``: its first :data:`REFERENCE_CHARS`
    characters, upper-case, in two groups (``"3f9a2c7e…"`` -> ``"3F9A-2C7E"``); a short id
    (tests) as it is, upper-case."""
    head = booking_id[:REFERENCE_CHARS].upper()
    half = len(head) // 2
    return f"{head[:half]}-{head[half:]}" if len(head) == REFERENCE_CHARS else head
