"""Slots derived from opening hours (app.care.slots) and published without touching the
staff's own: hand-checked hours, overnight slots across midnight, holidays."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.rules import max_places_ahead_days
from app.care.slots import SlotPlanError, derive_slots
from app.search.hours import WeeklyHours
from app.search.model import Facility

SEOUL = ZoneInfo("Asia/Seoul")
MON = date(2026, 12, 7)  # a Monday; 2026-12-25 (Friday) is a public holiday


def kst(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SEOUL).astimezone(UTC)


def facility(hours: dict, vacancies: dict | None = None) -> Facility:
    return Facility("F1", "해님어린이집", "daycare", 127.0, 37.3, programmes=frozenset({"always_daycare"}),
                    hours=WeeklyHours.from_mapping(hours), vacancies=vacancies or {})


def spans(slots):
    return [(s.start, s.end, s.places) for s in slots]


def test_an_interval_is_cut_into_hours_from_the_opening_the_last_cut_at_the_closing():
    f = facility({"mon": ["07:30-10:00"]})
    slots = derive_slots(f, "always_daycare", MON, 1, SEOUL, lambda d: False, places=3)
    assert spans(slots) == [(kst(MON, 7, 30), kst(MON, 8, 30), 3), (kst(MON, 8, 30), kst(MON, 9, 30), 3),
                            (kst(MON, 9, 30), kst(MON, 10), 3)]


def test_hours_off_the_window_step_are_narrowed_to_it_never_past_the_hours():
    # 07:10-09:50 (a registry's odd minutes): slots from 07:15 to 09:45, on the 15-minute step a
    # booking's window must fall on; an interval shorter than one step gives none.
    f = facility({"mon": ["07:10-09:50", "12:05-12:14"]})
    slots = derive_slots(f, "always_daycare", MON, 1, SEOUL, lambda d: False, places=1)
    assert spans(slots) == [(kst(MON, 7, 15), kst(MON, 8, 15), 1), (kst(MON, 8, 15), kst(MON, 9, 15), 1),
                            (kst(MON, 9, 15), kst(MON, 9, 45), 1)]


def test_overnight_hours_give_slots_across_midnight_and_the_next_morning_is_not_doubled():
    # Open Monday 19:00 to Tuesday 07:00, and Tuesday 06:00-08:00: the overlap 06:00-07:00 is
    # one slot, the Tuesday one starts at 07:00.
    f = facility({"mon": ["19:00-31:00"], "tue": ["06:00-08:00"]})
    slots = derive_slots(f, "always_daycare", MON, 2, SEOUL, lambda d: False, places=2)
    tue = MON + timedelta(days=1)
    assert [(s.start, s.end) for s in slots][4:7] == [(kst(MON, 23), kst(tue, 0)), (kst(tue, 0), kst(tue, 1)),
                                                      (kst(tue, 1), kst(tue, 2))]
    assert (slots[-2].start, slots[-2].end) == (kst(tue, 6), kst(tue, 7))
    assert (slots[-1].start, slots[-1].end) == (kst(tue, 7), kst(tue, 8))
    assert len(slots) == 13
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))


def test_reported_places_unless_the_staff_give_a_number_and_holidays_use_holiday_hours():
    f = facility({"fri": ["07:30-19:30"], "holiday": ["09:00-11:00"]}, vacancies={"always_daycare": 5})
    christmas = date(2026, 12, 25)
    slots = derive_slots(f, "always_daycare", christmas, 1, SEOUL, lambda d: d == christmas)
    assert spans(slots) == [(kst(christmas, 9), kst(christmas, 10), 5), (kst(christmas, 10), kst(christmas, 11), 5)]
    given = derive_slots(f, "always_daycare", christmas, 1, SEOUL, lambda d: d == christmas, places=2)
    assert [s.places for s in given] == [2, 2]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"days": 0}, f"days must be 1 to {max_places_ahead_days()}, not 0"),  # a weekly pattern's reach
    ({"slot_minutes": 5}, "slot_minutes must be a multiple of the 15-minute window step from 15 to 1440, not 5"),
    ({"slot_minutes": 50}, "slot_minutes must be a multiple of the 15-minute window step from 15 to 1440, not 50"),
    ({"places": None}, "reports no places for always_daycare"),
])
def test_bad_requests_are_refused_naming_the_field(kwargs, message):
    args = {"days": 1, "places": 2, "slot_minutes": 60} | kwargs
    with pytest.raises(SlotPlanError, match=message):
        derive_slots(facility({"mon": ["07:30-19:30"]}), "always_daycare", MON, args["days"], SEOUL,
                     lambda d: False, places=args["places"], slot_minutes=args["slot_minutes"])
    unknown = Facility("F2", "x", "daycare", 127.0, 37.3, hours=None)
    with pytest.raises(SlotPlanError, match="F2 has no known opening hours"):
        derive_slots(unknown, "always_daycare", MON, 1, SEOUL, lambda d: False, places=1)


def test_publishing_derived_slots_keeps_the_staffs_own(store):
    f = facility({"mon": ["07:00-10:00"]})
    store.publish_slot("F1", "always_daycare", kst(MON, 8), kst(MON, 9), 7)  # adjusted by staff
    planned = derive_slots(f, "always_daycare", MON, 1, SEOUL, lambda d: False, places=2)
    assert store.publish_missing("F1", "always_daycare", [(s.start, s.end, s.places) for s in planned]) == 2
    assert [(s.start, s.places) for s in store.slots("F1", "always_daycare")] == [
        (kst(MON, 7), 2), (kst(MON, 8), 7), (kst(MON, 9), 2)]
    assert store.publish_missing("F1", "always_daycare", [(s.start, s.end, s.places) for s in planned]) == 0
    # a night booking is covered by the derived slots across midnight
    night = facility({"mon": ["19:00-31:00"]})
    planned = derive_slots(night, "always_daycare", MON, 1, SEOUL, lambda d: False, places=1)
    store.publish_missing("F1", "always_daycare", [(s.start, s.end, s.places) for s in planned])
    booking = store.book("F1", "always_daycare", "c1", kst(MON, 22), kst(MON + timedelta(days=1), 2), None)
    assert booking.status == "requested"
