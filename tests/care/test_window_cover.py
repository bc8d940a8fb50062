"""Whether published slots cover a window is ONE rule (:func:`app.care.bookings.covered_until`)
for the search's ``books_online`` (:func:`app.care.bookings.open_in_window`) and for a booking's
refusal (:func:`app.care.bookings.check_places`: :class:`NotBookable` or
:class:`NoPlacesOpened`); and "publishes places still to come" is one rule for the booking
page (:meth:`BookingStore.opens_places`) and the search without a window
(:func:`app.care.bookings.open_online`). On SQLite and PostgreSQL, edge cases worked out by hand."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.care.bookings import (
    NoPlacesOpened,
    NotBookable,
    PlacesFull,
    check_places,
    covered_until,
    open_in_window,
    open_online,
)

F, P = "F1", "always_daycare"
KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def kst(day: int, hour: int) -> datetime:
    """2026-12-day hour:00 in Korea (hour 24: midnight after the day)."""
    return datetime(2026, 12, day, tzinfo=KST) + timedelta(hours=hour)


FULL = [(kst(2, 9), kst(2, 11), 1)]  # published, then its place held

# (case, slots published as (start, end, places), window, covered) — covered: both paths say
# the window is covered by places (a full slot is covered: the booking's PlacesFull, not a gap).
CASES = [
    ("ends exactly at a slot's end", [(kst(2, 9), kst(2, 10), 1), (kst(2, 10), kst(2, 11), 1)],
     (kst(2, 9), kst(2, 11)), True),
    ("inside one long slot", [(kst(2, 8), kst(2, 18), 1)], (kst(2, 9), kst(2, 11)), True),
    ("ends an hour after the last slot", [(kst(2, 9), kst(2, 10), 1)], (kst(2, 9), kst(2, 11)), False),
    ("starts at the last slot's end", [(kst(2, 9), kst(2, 10), 1)], (kst(2, 10), kst(2, 11)), False),
    ("starts before the first slot", [(kst(2, 10), kst(2, 12), 1)], (kst(2, 9), kst(2, 11)), False),
    ("a gap hour inside", [(kst(2, 9), kst(2, 10), 1), (kst(2, 11), kst(2, 12), 1)],
     (kst(2, 9), kst(2, 12)), False),
    ("slots meeting at midnight", [(kst(2, 22), kst(2, 24), 1), (kst(3, 0), kst(3, 2), 1)],
     (kst(2, 23), kst(3, 1)), True),
    ("one slot crossing midnight", [(kst(2, 22), kst(3, 2), 1)], (kst(2, 23), kst(3, 1)), True),
    ("midnight with the next day's slot missing", [(kst(2, 22), kst(2, 24), 1)], (kst(2, 23), kst(3, 1)), False),
    ("a slot opening no place inside", [(kst(2, 9), kst(2, 10), 1), (kst(2, 10), kst(2, 11), 0),
                                        (kst(2, 11), kst(2, 12), 1)], (kst(2, 9), kst(2, 12)), False),
    ("a full slot", FULL, (kst(2, 9), kst(2, 11)), True),
]


@pytest.mark.parametrize(("slots", "window", "covered"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_search_and_the_booking_agree_whether_slots_cover_a_window(store, slots, window, covered):
    for start, end, places in slots:
        store.publish_slot(F, P, start, end, places, tz=KST)
    if slots == FULL:  # its one place taken
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE booking_capacity SET held = places"))
    with store.engine.connect() as conn:
        search = P in open_in_window(conn, [F], *window).get(F, frozenset())
        try:
            check_places(conn, F, P, *window, tz=KST)
            booking = True
        except PlacesFull as exc:
            booking = not isinstance(exc, NoPlacesOpened)  # covered, but no place left
        except NotBookable:
            booking = False
    assert (search, booking) == (covered, covered)
    spans = [(s, e) for s, e, n in slots if n > 0]
    assert (covered_until(window[0], spans) >= window[1]) is covered


def test_covered_until_names_where_the_cover_stops():
    assert covered_until(kst(2, 9), []) == kst(2, 9)
    assert covered_until(kst(2, 9), [(kst(2, 11), kst(2, 12)), (kst(2, 8), kst(2, 10))]) == kst(2, 10)  # any order
    assert covered_until(kst(2, 23), [(kst(3, 0), kst(3, 2)), (kst(2, 22), kst(2, 24))]) == kst(3, 2)


def test_the_booking_page_and_the_search_agree_whether_places_are_still_to_come(store):
    """``opens_places`` (the booking page) is ``open_online`` (the search without a window) for
    one provider: a slot still to come with a place; not one that has ended, nor one with 0."""
    def both(now: datetime) -> tuple[bool, bool]:
        with store.engine.connect() as conn:
            search = P in open_online(conn, [F], now).get(F, frozenset())
        return store.opens_places(F, P, now), search

    assert both(NOW) == (False, False)  # nothing published
    store.publish_slot(F, P, kst(2, 9), kst(2, 10), 0, tz=KST)
    assert both(NOW) == (False, False)  # 0 places: none opened
    store.publish_slot(F, P, kst(2, 10), kst(2, 11), 1, tz=KST)
    assert both(NOW) == (True, True)
    assert both(kst(2, 11) - timedelta(seconds=1)) == (True, True)
    assert both(kst(2, 11)) == (False, False)  # the slot ends now: nothing still to come
