"""The booking desk: a guardian books a place for a registered child, checked by the same rules
as the search, held at once, and confirmed by the provider (or at once).

:meth:`BookingDesk.quote` checks everything a booking needs and says what it would cost;
:meth:`BookingDesk.book` does the same and then holds the place
(:meth:`app.care.bookings.BookingStore.book`). The checks, in order, each refusing with the
error of its module (the API answers each in the JSON envelope, naming the field):

1. the programme is bookable (``booking_rules.json``) — :class:`app.care.rules.BookingRuleError`;
2. the child is the guardian's (another's is "not found") — :class:`app.care.children.ChildNotFound` —
   and the guardian consents to sharing the child's data with the provider (the current
   ``share_with_provider`` text) — :class:`app.care.children.ConsentRequired` (409);
3. the window fits the programme (its days, same-day cutoff, not in the past) —
   :class:`app.care.windows.WindowError`;
4. the child's age on the first day and the family's home fit the programme, and the provider
   offers it to this child (``programmes.json``'s rule, as the search applies it) —
   :class:`app.care.rules.NotEligible`;
5. the provider publishes places for the whole window, one left in every slot —
   :class:`app.care.bookings.NotBookable`, :class:`app.care.bookings.PlacesFull`;
6. (booking only, in its transaction, the child locked) the child has no other live booking
   (held, confirmed, in progress) overlapping the window, anywhere —
   :class:`app.care.bookings.ChildAlreadyBooked` (409), nor an open emergency care request
   (requested, unmatched) overlapping it — :class:`app.care.bookings.ChildAlreadyRequested`
   (409; the guardian cancels the request first).

How the booking is answered comes from the programme's rule: ``real_time`` (언제나 어린이집,
booked in real time since the platform's second release, ``../shared/DOMAIN.md``) is confirmed
at once by the system; ``provider_confirms`` waits for the provider's staff, who have
``hold_minutes`` before the hold lapses (the guardian is told and shown the next providers),
unless the provider confirms automatically (its setting, :meth:`BookingDesk.set_auto_confirm`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import sqlalchemy as sa

from app.db.engine import provider_booking_settings, reads
from app.search.model import Facility

from .bookings import (
    Booking,
    BookingError,
    BookingStore,
    OccurrencesRefused,
    check_child_window,
    check_places,
    check_run_chain,
)
from .children import SHARE_WITH_PROVIDER, ChildStore, ConsentRequired, consent_version
from .rules import NotEligible, age_in_months, booking_rule, check_family, check_provider
from .states import GUARDIAN
from .windows import WEEKDAY_NAMES, CareWindow, WindowError, check_weekly, check_window, estimate_krw

REPEAT_FIELDS = {"first_date": "start", "last_date": "repeat.until", "weekdays": "repeat.weekdays",
                 "start_time": "start", "end_time": "end", "pattern": "repeat"}
"""The API's name of each part of a weekly pattern that :func:`app.care.windows.check_weekly` names."""

AUTO_CONFIRM_ACTOR = "auto_confirm"  # the actor id of a confirmation the system made


@dataclass(frozen=True)
class Quote:
    """What a booking would be: the window in the registry's zone, the child's age in whole
    months on its first day, the fee estimate in won (None: no set fee), and whether the
    provider answers at once; ``fee_krw_per_hour``: the programme's hourly fee the estimate
    charges (None: no set fee), so a page can say how the estimate is made (hours × fee)."""

    facility_id: str
    programme: str
    window: CareWindow
    age_months: int
    estimate_krw: int | None
    confirms_at_once: bool
    fee_krw_per_hour: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The API's quote; ``hours``: the window's length in hours (one continuous stay from
        ``start`` to ``end``, however many dates it touches); ``billed_hours``: the hours the
        estimate charges (each started billing unit whole, :func:`app.care.windows.estimate_krw`:
        1.25 h is charged as 2 h), None without a set fee."""
        billed = (self.estimate_krw / self.fee_krw_per_hour
                  if self.fee_krw_per_hour and self.estimate_krw is not None else None)
        return {"facility_id": self.facility_id, "programme": self.programme,
                "start": self.window.start.isoformat(), "end": self.window.end.isoformat(),
                "estimate_krw": self.estimate_krw, "confirms_at_once": self.confirms_at_once,
                "hours": self.window.elapsed / timedelta(hours=1), "billed_hours": billed,
                "fee_krw_per_hour": self.fee_krw_per_hour}


@dataclass(frozen=True)
class Repeat:
    """A pattern: ``weekdays`` ISO numbers (1 = Monday), the range's last local date;
    ``kind``: ``weekly`` (the chosen weekdays) or ``daily`` (the same hours on every date from
    the first through ``until``, every weekday), a kind of ``patterns`` in booking_rules.json."""

    weekdays: tuple[int, ...]
    until: date
    kind: str = "weekly"

    @classmethod
    def daily(cls, until: date) -> Repeat:
        """The same hours each day through ``until``."""
        return cls(tuple(range(1, 8)), until, "daily")

    def as_dict(self) -> dict[str, object]:
        """The API's ``repeat``: ``{"weekdays": [...], "until"}`` or ``{"every_day": true, "until"}``."""
        if self.kind == "daily":
            return {"every_day": True, "until": self.until.isoformat()}
        return {"weekdays": [WEEKDAY_NAMES[d - 1] for d in self.weekdays], "until": self.until.isoformat()}


@dataclass(frozen=True)
class WeeklyQuote:
    """What a weekly pattern would book: the first window's :class:`Quote`, every occurrence
    (in the registry's zone, each with its fee estimate), and the total estimate in won."""

    first: Quote
    repeat: Repeat
    windows: tuple[CareWindow, ...]
    estimates_krw: tuple[int | None, ...]

    @property
    def estimate_krw(self) -> int | None:
        return None if any(e is None for e in self.estimates_krw) else sum(e or 0 for e in self.estimates_krw)

    def as_dict(self) -> dict[str, object]:
        first = self.first.as_dict()
        fee, total = self.first.fee_krw_per_hour, self.estimate_krw
        # the hours charged over every occurrence (each started hour whole; tester 31)
        first["billed_hours"] = total / fee if fee and total is not None else None
        return {**first, "estimate_krw": self.estimate_krw, "repeat": self.repeat.as_dict(),
                "occurrences": [{"start": w.start.isoformat(), "end": w.end.isoformat(), "estimate_krw": e}
                                for w, e in zip(self.windows, self.estimates_krw, strict=True)]}


class BookingDesk:
    """Bookings for guardians on one database.

    ``facility``: the provider of an id in the served registry (raises
    :class:`app.care.rules.NotEligible` naming ``facility_id`` for an unknown one, e.g.
    :func:`facility_lookup`); ``tz``: the registry's zone; ``hold_minutes``: how long the
    provider has to answer (``CARE_BOOKING_HOLD_MINUTES``).
    """

    def __init__(self, bookings: BookingStore, children: ChildStore, facility: Callable[[str], Facility],
                 tz: tzinfo, hold_minutes: int) -> None:
        self.bookings = bookings
        self.children = children
        self.facility = facility
        self.tz = tz
        self.hold = timedelta(minutes=hold_minutes)

    def auto_confirms(self, facility_id: str) -> bool:
        """The provider's setting: confirm bookings without staff (default: no)."""
        s = provider_booking_settings
        with reads(self.bookings.engine).connect() as conn:
            value = conn.execute(sa.select(s.c.auto_confirm).where(s.c.facility_id == facility_id)).scalar()
        return bool(value)

    def set_auto_confirm(self, facility_id: str, auto_confirm: bool, now: datetime) -> None:
        """Change the provider's setting (its staff's choice)."""
        s = provider_booking_settings
        at = now.astimezone(UTC)
        with self.bookings.engine.begin() as conn:
            if conn.execute(s.update().where(s.c.facility_id == facility_id)
                            .values(auto_confirm=auto_confirm, updated_at=at)).rowcount == 0:
                conn.execute(s.insert().values(facility_id=facility_id, auto_confirm=auto_confirm, updated_at=at))

    def quote(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
              end: datetime, now: datetime, home_sigungu_code: str | None = None) -> Quote:
        """Check a booking without making it (the order and errors in the module's docstring).

        ``start``/``end``: aware, or naive wall-clock times in the registry's zone;
        ``home_sigungu_code``: the 5-digit 시군구 of the family's home ("" when in none; None
        skips the residence rules, as for a programme without them). Also refuses, as the
        booking would, a window overlapping a live booking of the child
        (:class:`~app.care.bookings.ChildAlreadyBooked`) or one that makes too many consecutive
        days (:class:`~app.care.bookings.TooManyConsecutiveDays`), so the page says so before
        the parent taps to book; the booking checks both again under its lock. The provider's
        published places are checked as the booking checks them
        (:func:`~app.care.bookings.check_places`: :class:`~app.care.bookings.NotBookable`
        ``published_until`` …, :class:`~app.care.bookings.PlacesFull`), read only."""
        quote = self._check(guardian_id, child_id, facility_id, programme, start, end, now, home_sigungu_code)[0]
        window_start, window_end = quote.window.start.astimezone(UTC), quote.window.end.astimezone(UTC)
        with reads(self.bookings.engine).connect() as conn:
            check_child_window(conn, child_id, programme, window_start, window_end, self.tz, lock=False)
            check_places(conn, facility_id, programme, window_start, window_end, self.tz)
        return quote

    def _check(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
               end: datetime, now: datetime, home_sigungu_code: str | None) -> tuple[Quote, str]:
        """The quote and the child's first name (for the provider's message)."""
        rule = booking_rule(programme)
        child = self.children.brief(guardian_id, child_id, SHARE_WITH_PROVIDER)
        if not child.consented:
            raise ConsentRequired(SHARE_WITH_PROVIDER, consent_version(SHARE_WITH_PROVIDER),
                                  "booking a place (the provider sees the child's first name, age, care notes "
                                  "and emergency contact)")
        window = check_window(rule, start, end, self.tz, now=now)
        age_months = age_in_months(child.birth_date, window.start.date())
        check_family(rule, age_months, home_sigungu_code)
        facility = self.facility(facility_id)
        check_provider(rule, facility, age_months)
        at_once = rule.booking == "real_time" or self.auto_confirms(facility_id)
        quote = Quote(facility_id, programme, window, age_months, estimate_krw(rule, [window]), at_once,
                      rule.fee_krw_per_hour)
        return quote, child.given_name

    def book(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
             end: datetime, now: datetime, home_sigungu_code: str | None = None) -> tuple[Booking, Quote]:
        """Check (:meth:`quote`) and hold the place — confirmed in the same transaction when the
        programme or the provider confirms at once. Returns the booking and the quote. The
        child's age is checked again in the booking's transaction, on the birth date read under
        the child's lock (:func:`app.care.bookings.lock_child_checking_age`): a birth date
        changed meanwhile is the one that counts."""
        quote, first_name = self._check(guardian_id, child_id, facility_id, programme, start, end, now,
                                        home_sigungu_code)
        hold_until = None if quote.confirms_at_once else now + self.hold
        booking = self.bookings.book(facility_id, programme, child_id, quote.window.start, quote.window.end,
                                     hold_until, GUARDIAN, guardian_id, now=now, guardian_id=guardian_id,
                                     first_name=first_name,
                                     confirmed_by=AUTO_CONFIRM_ACTOR if quote.confirms_at_once else None,
                                     tz=self.tz,
                                     check_age=self._age_check(facility_id, programme, [quote.window.start.date()],
                                                               home_sigungu_code))
        return booking, quote

    def _age_check(self, facility_id: str, programme: str, days: list[date],
                   home_sigungu_code: str | None) -> Callable[[date], None]:
        """The age rules of a booking as a check of a birth date: on each local date of ``days``
        the child's age fits the programme (:func:`app.care.rules.check_family`) and the
        provider's own ages (:func:`app.care.rules.check_provider`); :class:`NotEligible` naming
        them otherwise. Run by the booking's transaction under the child's lock."""
        rule, facility = booking_rule(programme), self.facility(facility_id)

        def check(birth_date: date) -> None:
            for day in days:
                age = age_in_months(birth_date, day)
                check_family(rule, age, home_sigungu_code)
                check_provider(rule, facility, age)
        return check

    def quote_weekly(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
                     end: datetime, repeat: Repeat, now: datetime,
                     home_sigungu_code: str | None = None) -> WeeklyQuote:
        """Check a weekly pattern without booking it: the first window ``[start, end)`` as
        :meth:`quote` checks it, then the same wall-clock window on each of ``repeat.weekdays``
        from ``start``'s date through ``repeat.until`` (:func:`app.care.windows.check_weekly`:
        the programme's ``patterns`` and ``weekly_max_weeks``, ``booking_rules.json``; a
        :class:`~app.care.windows.WindowError` names the API's field, ``repeat.until`` …), the
        child's age on the first and the last date, and each occurrence against the child's
        other bookings and requests and the provider's published places (read only): every
        occurrence refused is named in one :class:`~app.care.bookings.OccurrencesRefused` (409)."""
        weekly, first_name = self._check_weekly(guardian_id, child_id, facility_id, programme, start, end, repeat,
                                                now, home_sigungu_code)
        refused: list[tuple[datetime, datetime, BookingError]] = []
        with reads(self.bookings.engine).connect() as conn:
            if repeat.kind == "daily":  # the whole run against the consecutive-day limit, as booking checks it
                check_run_chain(conn, child_id, programme, weekly.windows[0].start.astimezone(UTC),
                                weekly.windows[-1].end.astimezone(UTC), self.tz)
            for w in weekly.windows:
                s, e = w.start.astimezone(UTC), w.end.astimezone(UTC)
                try:
                    check_child_window(conn, child_id, programme, s, e, self.tz, lock=False)
                    check_places(conn, facility_id, programme, s, e, self.tz)
                except BookingError as exc:
                    refused.append((s, e, exc))
        if refused:
            raise self._named(OccurrencesRefused(refused, self.tz), first_name)
        return weekly

    def _named(self, exc: OccurrencesRefused, first_name: str) -> OccurrencesRefused:
        """``exc`` with what a parent reads in each refused date's entry: ``first_name`` (the
        child's) and, where the entry names a provider (``facility_id``: the child's other
        booking, or this provider's places), its ``provider_name`` (none for an id no longer
        served). No ids are needed to say why a date is refused."""
        for entry in exc.dates:
            entry["first_name"] = first_name
            facility_id = entry.get("facility_id")
            if isinstance(facility_id, str):
                with suppress(NotEligible):
                    entry["provider_name"] = self.facility(facility_id).name
        return exc

    def _check_weekly(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
                      end: datetime, repeat: Repeat, now: datetime,
                      home_sigungu_code: str | None) -> tuple[WeeklyQuote, str]:
        rule = booking_rule(programme)
        if repeat.kind not in rule.patterns:
            offered = [p for p in rule.patterns if p != "one_off"]
            how = {"weekly": "repeat with weekdays", "daily": "repeat with every_day"}
            instead = f"; it takes {' or '.join(how[p] for p in sorted(offered))}" if offered else ""
            raise WindowError(f"{programme} is booked as {', '.join(sorted(rule.patterns))} only: a {repeat.kind} "
                              f"repeat is not allowed for it{instead}", "repeat", "pattern_not_offered",
                              {"patterns": sorted(rule.patterns)})
        first, first_name = self._check(guardian_id, child_id, facility_id, programme, start, end, now,
                                        home_sigungu_code)
        w = first.window
        if w.elapsed >= timedelta(days=1) or (w.end.date() - w.start.date()).days > 1:
            raise WindowError(f"a {repeat.kind} pattern repeats a window shorter than a day; {w.start.isoformat()} to "
                              f"{w.end.isoformat()} is longer (an end before the start's time ends the next day)",
                              "end", "repeat_window_too_long")
        try:
            windows = check_weekly(rule, w.start.date(), repeat.until, repeat.weekdays,
                                   w.start.time().replace(tzinfo=None), w.end.time().replace(tzinfo=None), self.tz,
                                   now=now, kind=repeat.kind)
        except WindowError as exc:
            raise _repeat_field(exc) from None
        facility = self.facility(facility_id)
        for last in (windows[0], windows[-1]):
            age = age_in_months(self.children.brief(guardian_id, child_id, SHARE_WITH_PROVIDER).birth_date,
                                last.start.date())
            check_family(rule, age, home_sigungu_code)
            check_provider(rule, facility, age)
        quote = WeeklyQuote(first, repeat, tuple(windows), tuple(estimate_krw(rule, [x]) for x in windows))
        return quote, first_name

    def book_weekly(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
                    end: datetime, repeat: Repeat, now: datetime,
                    home_sigungu_code: str | None = None) -> tuple[list[Booking], WeeklyQuote]:
        """Check (:meth:`quote_weekly`'s checks) and book every occurrence in one transaction,
        all or none (:meth:`app.care.bookings.BookingStore.book_many`: places held as for one
        booking; :class:`~app.care.bookings.OccurrencesRefused` names each date refused and
        nothing is stored). Returns the bookings, in date order, and the quote."""
        weekly, first_name = self._check_weekly(guardian_id, child_id, facility_id, programme, start, end, repeat,
                                                now, home_sigungu_code)
        at_once = weekly.first.confirms_at_once
        try:
            made = self._book_many(weekly, facility_id, programme, child_id, at_once, guardian_id, first_name, now,
                                   home_sigungu_code)
        except OccurrencesRefused as exc:
            raise self._named(exc, first_name) from None
        return made, weekly

    def _book_many(self, weekly: WeeklyQuote, facility_id: str, programme: str, child_id: str, at_once: bool,
                   guardian_id: str, first_name: str, now: datetime,
                   home_sigungu_code: str | None) -> list[Booking]:
        """:meth:`book_weekly`'s transaction (:meth:`app.care.bookings.BookingStore.book_many`)."""
        return self.bookings.book_many(facility_id, programme, child_id,
                                       [(x.start, x.end) for x in weekly.windows],
                                       None if at_once else now + self.hold, GUARDIAN, guardian_id, now=now,
                                       guardian_id=guardian_id, first_name=first_name,
                                       confirmed_by=AUTO_CONFIRM_ACTOR if at_once else None, tz=self.tz,
                                       run=weekly.repeat.kind == "daily",
                                       check_age=self._age_check(
                                           facility_id, programme,
                                           [weekly.windows[0].start.date(), weekly.windows[-1].start.date()],
                                           home_sigungu_code))


def _repeat_field(exc: WindowError) -> WindowError:
    """``exc`` naming the API's field (:data:`REPEAT_FIELDS`)."""
    exc.field = REPEAT_FIELDS.get(exc.field or "", exc.field)
    return exc


def facility_lookup(facilities: dict[str, Facility]) -> Callable[[str], Facility]:
    """A lookup of the served providers by id, refusing an unknown id naming it."""
    def find(facility_id: str) -> Facility:
        try:
            return facilities[facility_id]
        except KeyError:
            raise NotEligible(f"no provider {facility_id!r} in the served registry", "facility_id",
                              "unknown_provider") from None
    return find
