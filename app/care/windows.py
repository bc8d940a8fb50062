"""A requested care window checked against its programme's booking rules, weekly patterns
expanded into windows, and the cost estimate.

Dates are wall-clock dates in the registry's time zone (``tz``, Asia/Seoul unless the registry
says otherwise; never the server's ``TZ``). A window is half-open, ``[start, end)``: it touches
every local calendar date from its start's date to the date of its last instant, so a window
ending at 00:00 does not touch that date (2026-11-29 18:00 -> 2026-12-03 18:00 touches 5 dates;
23:00 -> 07:00 touches 2). Durations are elapsed time (through UTC), so a day with a daylight
saving change is 23 or 25 hours long. A naive date-time is a wall-clock time in ``tz``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from app.domain import DomainError
from app.search.locale import EARLIEST_YEAR, LATEST_YEAR, aware

from .rules import BookingRule, booking_max_days_ahead, window_step_minutes

WEEKDAYS = range(1, 8)  # ISO weekdays: 1 = Monday … 7 = Sunday
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the API's names, ISO order (mon = 1)
_YEARS = {"earliest_year": EARLIEST_YEAR, "latest_year": LATEST_YEAR}  # the envelope's figures of outside_years


class WindowError(DomainError):
    """A care window or weekly pattern outside its programme's rules; ``field`` names the part,
    ``reason`` why (``in_past``, ``too_many_days`` …) and ``extra`` the figures (``max_days``)."""

    code = "invalid_window"


@dataclass(frozen=True)
class CareWindow:
    """``[start, end)``, both aware and in the registry's zone."""

    start: datetime
    end: datetime

    @property
    def elapsed(self) -> timedelta:
        """The real time between start and end (a DST change day counts 23 or 25 hours)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


def local_dates(start: datetime, end: datetime, tz: tzinfo) -> tuple[date, date]:
    """The first and last calendar date in ``tz`` that ``[start, end)`` touches (aware times)."""
    first = start.astimezone(tz)
    last = end.astimezone(tz)
    last_date = last.date() - timedelta(days=1) if last.time() == time(0) else last.date()
    return first.date(), max(first.date(), last_date)


def consecutive_days(start: datetime, end: datetime, tz: tzinfo) -> int:
    """How many consecutive calendar dates in ``tz`` the window ``[start, end)`` touches."""
    first, last = local_dates(start, end, tz)
    return (last - first).days + 1


def chained_days(window: tuple[datetime, datetime], others: Iterable[tuple[datetime, datetime]],
                 tz: tzinfo) -> tuple[date, date]:
    """The run of consecutive calendar dates in ``tz`` that ``window`` is part of, together
    with ``others`` (aware ``[start, end)`` pairs: the child's other live bookings of the
    programme): each window touches its dates (:func:`local_dates`), and windows whose dates
    touch or follow one another day to day chain (12-29 08:00 -> 01-02 20:00 and 01-03 08:00 ->
    01-05 20:00: 2026-12-29 to 2027-01-05). Returns the run's first and last date."""
    touched: set[date] = set()
    for start, end in others:
        first, last = local_dates(start, end, tz)
        touched.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    first, last = local_dates(*window, tz)
    while first - timedelta(days=1) in touched:
        first -= timedelta(days=1)
    while last + timedelta(days=1) in touched:
        last += timedelta(days=1)
    return first, last


def _normal(value: datetime, tz: tzinfo) -> datetime:
    """``value`` in ``tz`` through UTC: a wall time that does not exist (a spring-forward gap)
    moves forward by the gap, an ambiguous one (fall back) is its first occurrence."""
    return value.astimezone(UTC).astimezone(tz)


def _in_years(value: datetime, field: str) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise WindowError(f"{field} {value.date()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}", field,
                          "outside_years", _YEARS)


def off_step(value: datetime, field: str, tz: tzinfo) -> tuple[str, dict[str, object]] | None:
    """Why the aware ``value`` is off the window step (:func:`app.care.rules.window_step_minutes`)
    on the wall clock of ``tz``, or None when it is on it: ``(message, figures)``, the figures
    ``step_minutes`` and the nearest allowed times ``earlier`` and ``later`` (ISO, in ``tz``).
    A time with seconds is off the step too (19:00:30)."""
    step = timedelta(minutes=window_step_minutes())
    local = value.astimezone(tz)
    off = (local.replace(tzinfo=None) - datetime.combine(local.date(), time(0))) % step
    if not off:
        return None
    earlier, later = _normal(local - off, tz), _normal(local - off + step, tz)
    minutes = step // timedelta(minutes=1)
    return (f"{field} {local.isoformat()} is not on the {minutes}-minute step: times fall on whole "
            f"{minutes} minutes after midnight ({tz}), such as {earlier.isoformat(timespec='minutes')} or "
            f"{later.isoformat(timespec='minutes')}",
            {"step_minutes": minutes, "earlier": earlier.isoformat(timespec="minutes"),
             "later": later.isoformat(timespec="minutes")})


def next_on_step(moment: datetime, tz: tzinfo) -> datetime:
    """The first time on the window step (:func:`off_step`) at or after the aware ``moment``,
    in ``tz``, whole minutes: what a suggested start must be to be accepted itself."""
    local = _normal(aware(moment, tz), tz)
    if local.second or local.microsecond:
        local = _normal(local.replace(second=0, microsecond=0) + timedelta(minutes=1), tz)
    step = timedelta(minutes=window_step_minutes())
    off = (local.replace(tzinfo=None) - datetime.combine(local.date(), time(0))) % step
    return local if not off else _normal(local - off + step, tz)


def check_window(rule: BookingRule, start: datetime, end: datetime, tz: tzinfo,
                 now: datetime | None = None, booking_horizon: bool = True) -> CareWindow:
    """The one-off window ``[start, end)`` if ``rule`` allows it, else :class:`WindowError`.

    Checks: start before end; both on the window step (:func:`off_step`, 15 minutes: reason
    ``window_step``); at most ``rule.max_days`` calendar dates touched (5 for 언제나
    어린이집); with ``now``, a start not in the past and, for care starting today, booking
    before ``rule.same_day_booking_until`` (local), and with ``booking_horizon`` a start at most
    :func:`~app.care.rules.booking_max_days_ahead` days ahead (False: an emergency request,
    whose own, shorter horizon its caller checks). A slot across midnight is allowed.
    """
    if "one_off" not in rule.patterns:
        raise WindowError(f"{rule.programme} is booked as {', '.join(sorted(rule.patterns))} only, not as a "
                          "one-off window", "pattern", "pattern_not_offered")
    _in_years(start, "start")
    _in_years(end, "end")
    start, end = _normal(aware(start, tz), tz), _normal(aware(end, tz), tz)
    if not start < end:
        raise WindowError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})", "end",
                          "end_not_after_start")
    for field, value in (("start", start), ("end", end)):
        problem = off_step(value, field, tz)
        if problem is not None:
            raise WindowError(problem[0], field, "window_step", problem[1])
    days = consecutive_days(start, end, tz)
    limit = rule.max_days
    if limit is not None and days > limit:
        first, last = local_dates(start, end, tz)
        raise WindowError(f"{rule.programme} books at most {limit} consecutive days; {first} to {last} is "
                          f"{days} days (a window ending at 00:00 does not count that day)", "end", "too_many_days",
                          {"max_days": limit, "days": days, "first_day": first.isoformat(),
                           "last_day": last.isoformat()})
    window = CareWindow(start, end)
    if now is not None:
        _check_now(rule, window, tz, now, booking_horizon)
    return window


def _check_now(rule: BookingRule, window: CareWindow, tz: tzinfo, now: datetime,
               booking_horizon: bool) -> None:
    """A start not before ``now`` and at most :func:`~app.care.rules.booking_max_days_ahead`
    local dates after today (reason ``booking_too_far_ahead``, naming ``last_day``); care today
    booked before ``same_day_booking_until``."""
    now_local = _normal(aware(now, tz), tz)
    if window.start < now_local:
        earliest = next_on_step(now_local, tz)  # itself accepted: a suggestion off the step would be refused
        raise WindowError(f"start ({window.start.isoformat()}) is in the past; the earliest start now is "
                          f"{earliest.isoformat(timespec='minutes')}", "start", "in_past",
                          {"earliest_start": earliest.isoformat(timespec="minutes")})
    ahead = booking_max_days_ahead()
    last_day = now_local.date() + timedelta(days=ahead)
    if booking_horizon and window.start.date() > last_day:
        raise WindowError(f"a booking starts at most {ahead} days ahead: choose a start on {last_day} or earlier, "
                          f"not {window.start.date()}", "start", "booking_too_far_ahead",
                          {"max_days_ahead": ahead, "last_day": last_day.isoformat()})
    until = rule.same_day_booking_until
    if until is not None and window.start.date() == now_local.date() and now_local.time() >= until:
        raise WindowError(f"{rule.programme} takes bookings for today until {until:%H:%M}; book from "
                          f"{(now_local.date() + timedelta(days=1))} on", "start", "same_day_closed",
                          {"same_day_until": f"{until:%H:%M}",
                           "first_day": (now_local.date() + timedelta(days=1)).isoformat()})


def expand_weekly(first_date: date, last_date: date, weekdays: Iterable[int], start_time: time,
                  end_time: time, tz: tzinfo) -> list[CareWindow]:
    """One window per date from ``first_date`` to ``last_date`` (inclusive) falling on
    ``weekdays`` (ISO: 1 = Monday … 7 = Sunday), from ``start_time`` to ``end_time`` local;
    an ``end_time`` at or before ``start_time`` ends the next day (22:00 -> 07:00)."""
    days = set(weekdays)
    out = []
    day = first_date
    while day <= last_date:
        if day.isoweekday() in days:
            end_day = day if end_time > start_time else day + timedelta(days=1)
            out.append(CareWindow(_normal(datetime.combine(day, start_time, tz), tz),
                                  _normal(datetime.combine(end_day, end_time, tz), tz)))
        day += timedelta(days=1)
    return out


def check_weekly(rule: BookingRule, first_date: date, last_date: date, weekdays: Iterable[int],
                 start_time: time, end_time: time, tz: tzinfo, now: datetime | None = None,
                 kind: str = "weekly") -> list[CareWindow]:
    """The windows of a weekly pattern if ``rule`` allows it, else :class:`WindowError`.

    Checks: the programme books patterns of ``kind`` (its ``patterns`` in booking_rules.json);
    ``first_date`` <= ``last_date`` and the range at most ``rule.weekly_max_range_days`` dates
    (``kind`` "daily": every weekday, and the windows together touch at most
    ``rule.daily_max_days`` local dates, :func:`check_daily_span`); weekdays among 1..7 (ISO)
    and at least one date falling on them; naive times on the window step (:func:`off_step`;
    its figures name the first date's times), ``start_time`` != ``end_time`` (an equal pair
    would be 0 or 24 hours); with ``now``, every window passes the ``now`` checks of
    :func:`check_window`.
    """
    if kind not in rule.patterns:
        raise WindowError(f"{rule.programme} is booked as {', '.join(sorted(rule.patterns))} only, not as a "
                          f"{kind} pattern", "pattern", "pattern_not_offered")
    if kind == "daily":
        weekdays = WEEKDAYS
    days = sorted(set(weekdays))
    if not days or any(d not in WEEKDAYS for d in days):
        raise WindowError(f"weekdays must be ISO weekday numbers 1 (Monday) to 7 (Sunday), at least one; "
                          f"got {days}", "weekdays", "not_weekdays")
    if start_time.tzinfo is not None or end_time.tzinfo is not None:
        raise WindowError("start_time and end_time are wall-clock times in the registry's zone, without an "
                          "offset", "start_time", "has_offset")
    if start_time == end_time:
        raise WindowError(f"end_time must differ from start_time ({start_time:%H:%M}); an end at or before the "
                          "start ends the next day", "end_time", "end_same_as_start")
    for value, field in ((first_date, "first_date"), (last_date, "last_date")):
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise WindowError(f"{field} {value} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}", field,
                              "outside_years", _YEARS)
    if last_date < first_date:
        raise WindowError(f"last_date ({last_date}) must not be before first_date ({first_date})", "last_date",
                          "last_before_first")
    span = (last_date - first_date).days + 1
    limit = rule.weekly_max_range_days
    if kind == "daily":
        check_daily_span(rule, first_date, last_date, time(0) != end_time < start_time)
    elif limit is not None and span > limit:
        latest = first_date + timedelta(days=limit - 1)
        raise WindowError(f"{rule.programme} takes a weekly pattern over at most {limit} days"
                          f"{f' ({rule.weekly_max_weeks} weeks)' if rule.weekly_max_weeks else ''}; {first_date} to "
                          f"{last_date} is {span} days: end it by {latest}", "last_date", "range_too_long",
                          {"max_range_days": limit, "max_weeks": rule.weekly_max_weeks, "days": span,
                           "latest_until": latest.isoformat()})
    for field, wall in (("start_time", start_time), ("end_time", end_time)):
        problem = off_step(datetime.combine(first_date, wall, tz), field, tz)
        if problem is not None:
            raise WindowError(problem[0], field, "window_step", problem[1])
    windows = expand_weekly(first_date, last_date, days, start_time, end_time, tz)
    if not windows:
        names = [WEEKDAY_NAMES[d - 1] for d in days]  # the API's names, never the ISO numbers
        raise WindowError(f"no date from {first_date} to {last_date} falls on {', '.join(names)}", "weekdays",
                          "no_date_on_weekdays", {"weekdays": names})
    if now is not None:
        for i, w in enumerate(windows):  # the horizon bounds the pattern's first date, not its last
            _check_now(rule, w, tz, now, booking_horizon=i == 0)
    return windows


def check_daily_span(rule: BookingRule, first_date: date, last_date: date, overnight: bool) -> None:
    """Refuse (:class:`WindowError` on ``last_date``, ``daily_too_many_days``) a daily pattern from
    ``first_date`` through ``last_date`` whose windows together touch more local dates than
    ``rule.daily_max_days`` (언제나 어린이집: 5). ``overnight``: each window ends the next day,
    so the last one touches the date after ``last_date`` too (the dates counted as
    :func:`local_dates` counts them: an end at 00:00 touches no date, as a 24:00 end). Dates
    are calendar dates, across month and year ends (01-30 to 02-03 is 5 days). The figures:
    ``max_days``, ``days`` (touched), ``latest_until`` (the last date allowed)."""
    limit = rule.daily_max_days
    if limit is None:
        return
    extra = 1 if overnight else 0
    touched = (last_date - first_date).days + 1 + extra
    if touched <= limit:
        return
    latest = first_date + timedelta(days=limit - 1 - extra)
    nights = " (each window ends the next day, so the last one touches one date more)" if extra else ""
    raise WindowError(f"{rule.programme} books at most {limit} consecutive days; the same hours each day from "
                      f"{first_date} to {last_date} touch {touched} days{nights}: end it by {latest}",
                      "last_date", "daily_too_many_days",
                      {"max_days": limit, "days": touched, "latest_until": latest.isoformat()})


def estimate_krw(rule: BookingRule, windows: Iterable[CareWindow]) -> int | None:
    """The fee in won for ``windows``, or ``None`` when the programme has no set fee.

    Each window is charged per started billing unit (``billing_unit_minutes``, 60 for 언제나
    어린이집) of elapsed time, rounded up: 18:00 -> 20:30 is 3 hours, 9,000 won. The sources give
    only the hourly fee, so this is an upper bound of what the centre charges.
    """
    if rule.fee_krw_per_hour is None or rule.billing_unit_minutes is None:
        return None
    unit = timedelta(minutes=rule.billing_unit_minutes)
    unit_krw = rule.fee_krw_per_hour * rule.billing_unit_minutes // 60
    total = 0
    for w in windows:
        whole, part = divmod(w.elapsed, unit)
        total += (whole + (1 if part else 0)) * unit_krw
    return total
