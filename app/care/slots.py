"""Bookable slots derived from a provider's opening hours and places.

A provider publishes places per programme and slot (:meth:`app.care.bookings.BookingStore.publish_slot`).
Rather than typing every hour, its staff (or the demo) derive them: each opening interval of
each day (the registry's weekly hours, holiday hours on public holidays) is cut into slots of
``slot_minutes`` from the interval's opening, the last one ending at the closing time; an
interval that runs past midnight (``19:00-31:00``, overnight care) gives slots that cross it,
so a night booking ``22:00–02:00`` is covered. Places per slot are the number the staff give,
else the provider's reported places for the programme (its ``vacancies``). Deriving never changes a
slot already published: the staff's adjustments stand. To change the places of slots already
published, :func:`change_places` sets a number for every coming slot of a period, never below the
places bookings hold there (those hours are named and kept as they are).

Hours are wall-clock times in the registry's zone ``tz``; slots are returned in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.db.engine import booking_capacity
from app.domain import DomainError
from app.search.hours import WeeklyHours
from app.search.model import Facility

from .rules import max_places_ahead_days, window_step_minutes

if TYPE_CHECKING:
    from .bookings import BookingStore


class SlotPlanError(DomainError):
    """Slots that cannot be derived (no hours, a bad period or size)."""


@dataclass(frozen=True)
class PlannedSlot:
    """One slot to publish: ``[start, end)`` in UTC with its places."""

    start: datetime
    end: datetime
    places: int


def _local(day: date, minutes: int, tz: tzinfo) -> datetime:
    """``minutes`` after ``day``'s midnight in ``tz`` (Korea keeps no summer time, so wall-clock
    arithmetic is exact there; elsewhere the UTC offset of that wall-clock time is used)."""
    wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minutes)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def cut_interval(day: date, start_min: int, end_min: int, slot_minutes: int,
                 tz: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """The slots of one opening interval of ``day`` (minutes after its midnight; ``end_min``
    may pass 1,440 for overnight hours): ``slot_minutes`` long from the opening, the last
    one cut at the closing."""
    at = start_min
    while at < end_min:
        stop = min(at + slot_minutes, end_min)
        yield _local(day, at, tz), _local(day, stop, tz)
        at = stop


def derive_slots(facility: Facility, programme: str, first_day: date, days: int, tz: tzinfo,
                 is_holiday: Callable[[date], bool], places: int | None = None,
                 slot_minutes: int = 60) -> list[PlannedSlot]:
    """The slots of ``programme`` at ``facility`` for ``days`` days from ``first_day``.

    Places: ``places`` when given (the staff's number), else ``facility.vacancies[programme]``.
    Raises :class:`SlotPlanError` when the hours are unknown, neither source gives places,
    ``days`` is outside 1..:func:`app.care.rules.max_places_ahead_days` (the longest weekly
    pattern's reach, 91), or ``slot_minutes`` is outside the window step
    (:func:`app.care.rules.window_step_minutes`, 15) to 1,440 or not a multiple of the step
    (reason ``window_step``: slots then start and end on it wherever the hours do). Hours off
    the step are narrowed to it (opening rounded up, closing down): slots never pass the hours.
    """
    most = max_places_ahead_days()
    if not 1 <= days <= most:
        raise SlotPlanError(f"days must be 1 to {most}, not {days}", "days")
    step = window_step_minutes()
    if not step <= slot_minutes <= 1440 or slot_minutes % step:
        raise SlotPlanError(f"slot_minutes must be a multiple of the {step}-minute window step from {step} to 1440, "
                            f"not {slot_minutes}", "slot_minutes", "window_step", {"step_minutes": step})
    hours: WeeklyHours | None = facility.hours
    if hours is None:
        raise SlotPlanError(f"{facility.id} has no known opening hours to derive slots from", "hours")
    count = places if places is not None else facility.vacancies.get(programme)
    if count is None:
        raise SlotPlanError(f"{facility.id} reports no places for {programme}: give the number of places",
                            "places")
    if count < 0:
        raise SlotPlanError(f"places must be 0 or more, not {count}", "places")
    planned: list[PlannedSlot] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for start_min, end_min in hours.intervals_on(day, is_holiday):
            # hours off the step (07:10-19:50) give slots inside them on it (07:15-19:45): a
            # window a family can book starts and ends on the step (publish_slot's rule too)
            start_min, end_min = -(-start_min // step) * step, end_min // step * step
            planned.extend(PlannedSlot(s, e, count) for s, e in cut_interval(day, start_min, end_min,
                                                                             slot_minutes, tz))
    return _without_overlaps(planned)


def _without_overlaps(planned: list[PlannedSlot]) -> list[PlannedSlot]:
    """Slots in time order, a slot starting inside the previous one trimmed to start at its
    end (yesterday's overnight hours running into today's opening) and dropped when nothing
    is left."""
    out: list[PlannedSlot] = []
    for slot in sorted(planned, key=lambda s: (s.start, s.end)):
        if out and slot.start < out[-1].end:
            if slot.end <= out[-1].end:
                continue
            slot = PlannedSlot(out[-1].end, slot.end, slot.places)
        out.append(slot)
    return out


@dataclass(frozen=True)
class KeptSlot:
    """A slot whose places could not be lowered to the number asked: ``held`` places are held
    there by bookings (requested, confirmed or in progress), more than the number asked."""

    start: datetime
    end: datetime
    places: int
    held: int


@dataclass(frozen=True)
class PlacesChanged:
    """What :func:`change_places` did: ``changed`` slots now have the number asked, ``already``
    had it, ``kept`` (time order) hold more places than it and stay as they were."""

    changed: int
    already: int
    kept: tuple[KeptSlot, ...]


def change_places(store: BookingStore, facility_id: str, programme: str, places: int, start: datetime,
                  end: datetime, now: datetime) -> PlacesChanged:
    """Set the places of every published slot of ``programme`` at ``facility_id`` that starts
    before ``end``, ends after ``start`` and has not ended by ``now`` (aware datetimes) to
    ``places`` (0 or more), in ONE transaction with the reading of the places held: a slot
    holding more places than ``places`` goes down only to the places its bookings hold
    (returned in ``kept`` with its places now; tester 31: left as it was, it kept a free place
    staff had closed), so a change never drops below the bookings made (no overbooking, however
    bookings race the change: the rows are locked, and each update asks ``held <= places``, as
    the table's CHECK does).
    Raises :class:`SlotPlanError` for negative places or a period whose end is not after its start.
    """
    if places < 0:
        raise SlotPlanError(f"places must be 0 or more, not {places}", "places")
    if end <= start:
        raise SlotPlanError("the period's end must be after its start", "end")
    cap = booking_capacity
    try:
        with store.engine.begin() as conn:
            rows = conn.execute(sa.select(cap.c.id, cap.c.slot_start, cap.c.slot_end, cap.c.places, cap.c.held).where(
                cap.c.facility_id == facility_id, cap.c.programme == programme, cap.c.slot_start < end,
                cap.c.slot_end > start, cap.c.slot_end > now).order_by(cap.c.slot_start).with_for_update()).all()
            kept = tuple(KeptSlot(_utc(r.slot_start), _utc(r.slot_end), r.held, r.held)
                         for r in rows if r.held > places)
            to_change = [r.id for r in rows if r.held <= places and r.places != places]
            to_held = [r.id for r in rows if r.held > places and r.places != r.held]
            changed = 0
            if to_change:
                changed = conn.execute(cap.update().where(cap.c.id.in_(to_change), cap.c.held <= places)
                                       .values(places=places)).rowcount
            if to_held:  # as low as their bookings allow
                conn.execute(cap.update().where(cap.c.id.in_(to_held)).values(places=cap.c.held))
    finally:  # after the commit: this server's searches read the provider again
        store.online.forget(facility_id)
    return PlacesChanged(changed, sum(r.places == places for r in rows), kept)


def period(first_day: date, days: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """``days`` calendar days from ``first_day``'s midnight in ``tz``, in UTC."""
    return _local(first_day, 0, tz), _local(first_day + timedelta(days=days), 0, tz)


def _utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives them back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
