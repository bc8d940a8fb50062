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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import sqlalchemy as sa

from app.db.engine import provider_booking_settings, reads
from app.search.model import Facility

from .bookings import Booking, BookingStore, check_child_window
from .children import SHARE_WITH_PROVIDER, ChildStore, ConsentRequired, consent_version
from .rules import NotEligible, age_in_months, booking_rule, check_family, check_provider
from .states import GUARDIAN
from .windows import CareWindow, check_window, estimate_krw

AUTO_CONFIRM_ACTOR = "auto_confirm"  # the actor id of a confirmation the system made


@dataclass(frozen=True)
class Quote:
    """What a booking would be: the window in the registry's zone, the child's age in whole
    months on its first day, the fee estimate in won (None: no set fee), and whether the
    provider answers at once."""

    facility_id: str
    programme: str
    window: CareWindow
    age_months: int
    estimate_krw: int | None
    confirms_at_once: bool

    def as_dict(self) -> dict[str, object]:
        return {"facility_id": self.facility_id, "programme": self.programme,
                "start": self.window.start.isoformat(), "end": self.window.end.isoformat(),
                "estimate_krw": self.estimate_krw, "confirms_at_once": self.confirms_at_once}


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
        the parent taps to book; the booking checks both again under its lock."""
        quote = self._check(guardian_id, child_id, facility_id, programme, start, end, now, home_sigungu_code)[0]
        window_start, window_end = quote.window.start.astimezone(UTC), quote.window.end.astimezone(UTC)
        with reads(self.bookings.engine).connect() as conn:
            check_child_window(conn, child_id, programme, window_start, window_end, self.tz, lock=False)
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
        quote = Quote(facility_id, programme, window, age_months, estimate_krw(rule, [window]), at_once)
        return quote, child.given_name

    def book(self, guardian_id: str, child_id: str, facility_id: str, programme: str, start: datetime,
             end: datetime, now: datetime, home_sigungu_code: str | None = None) -> tuple[Booking, Quote]:
        """Check (:meth:`quote`) and hold the place — confirmed in the same transaction when the
        programme or the provider confirms at once. Returns the booking and the quote."""
        quote, first_name = self._check(guardian_id, child_id, facility_id, programme, start, end, now,
                                        home_sigungu_code)
        hold_until = None if quote.confirms_at_once else now + self.hold
        booking = self.bookings.book(facility_id, programme, child_id, quote.window.start, quote.window.end,
                                     hold_until, GUARDIAN, guardian_id, now=now, guardian_id=guardian_id,
                                     first_name=first_name,
                                     confirmed_by=AUTO_CONFIRM_ACTOR if quote.confirms_at_once else None,
                                     tz=self.tz)
        return booking, quote


def facility_lookup(facilities: dict[str, Facility]) -> Callable[[str], Facility]:
    """A lookup of the served providers by id, refusing an unknown id naming it."""
    def find(facility_id: str) -> Facility:
        try:
            return facilities[facility_id]
        except KeyError:
            raise NotEligible(f"no provider {facility_id!r} in the served registry", "facility_id",
                              "unknown_provider") from None
    return find
