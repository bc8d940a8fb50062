"""Emergency care requests matched by offers to providers (issue 15).

A guardian sends a request (child, programme, window, the place: home or work). The engine ranks
the providers with the search's own core (:func:`app.search.ranking.rank`: the programme's
eligibility, opening for the whole window, a fresh report of a free place, distance) and keeps
that list on the request. Offers go out one at a time (``sequential``) or to the top N at once
(``top_n``: N offers stay open; a decline or a lapse passes the turn to the next provider), each
with a response deadline (``respond_by``). The first acceptance wins, exactly once; the other
open offers are withdrawn. When the list runs out or the request's total deadline
(``match_by``) passes, the request is ``unmatched``: it is queued for people (:meth:`unmatched`)
and counted as unmet demand (:meth:`unmet_demand`). Offers go only as far as a family can reach
in an emergency (:func:`max_offer_distance_m`, ``app/reference/offer_reach.json``; the search's
``radius_m``): when eligible providers exist but none within it, the request is unmatched at once
with the reason :data:`OUT_OF_REACH`; each offer keeps its provider's distance (``distance_m``).

One outcome on several servers: every change of a request or of its offers happens in one
transaction that first locks the request row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
every transaction of :func:`app.db.engine.make_engine` starts with ``BEGIN IMMEDIATE``), checks
the transition with :data:`app.care.states.CARE_REQUEST` / :data:`~app.care.states.OFFER`
(``Lifecycle.fire``) and updates ``… WHERE id = :id AND status = <source>``; the partial unique
index ``offers_one_accepted`` refuses a second accepted offer even from code that skipped all
that. Each change writes its event (who, when, why) and, for what a person must be told, its
outbox message (``care_contract.md``) in the same transaction.

Deadlines are columns, fired by :meth:`MatchingEngine.fire_due` (the scheduler's tick,
:mod:`app.care.scheduler`): a restart fires whatever fell due meanwhile on its first tick, and an
accept or decline that arrives after ``respond_by`` finds the offer lapsed even if no tick ran.
Times are aware and stored in UTC; the server's ``TZ`` never counts. The place (lon, lat) is
personal data: it is never logged, nor put in a message.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from app.db.engine import bookings, outbox
from app.db.request_tables import (
    OFFER_MODES,
    PLACE_KINDS,
    care_request_events,
    care_requests,
    offer_events,
    offers,
)
from app.db.writes import insert_together
from app.reference import document
from app.search.index import FacilityIndex, Hit
from app.search.model import PROGRAMMES, programme_rules, sigun_code
from app.search.ranking import RankingError, home_sigungu_code, rank

from .bookings import (
    Booking,
    ChildAlreadyBooked,
    ChildBookedElsewhere,
    book_accepted_offer,
    check_child_window,
    lock_child_checking_age,
    move_booking,
)
from .children import Family, FamilyPart, register_family_part
from .reason_sealing import erase_reasons, open_reason
from .request_rows import (
    CareRequest,
    MatchingError,
    Offer,
    OfferNotFound,
    RequestNotFound,
    expire_offer,
    lock_offer,
    lock_request,
    move_offer,
    move_request,
    offer_from_row,
    request_event_row,
    request_from_row,
    stored_utc,
    withdraw_open,
    write_message,
)
from .rules import BookingRule, BookingRuleError, age_in_months, booking_rules, check_family, window_step_minutes
from .states import (
    BOOKING,
    CARE_REQUEST,
    GUARDIAN,
    OFFER,
    PROVIDER_STAFF,
    SYSTEM,
    InvalidTransition,
)
from .windows import WindowError, check_window

log = logging.getLogger(__name__)

REQUEST_MAX_WINDOW = timedelta(days=7)
"""The longest window a request may have: the search ranks windows of at most 7 days
(``app.api.params.MAX_WINDOW``), and an emergency is for the coming days."""

@lru_cache(maxsize=1)
def request_horizon() -> timedelta:
    """How far ahead an emergency care request's window may start
    (``request_max_days_ahead`` in ``app/reference/booking_rules.json``, with its source)."""
    days = document("booking_rules.json")["request_max_days_ahead"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
        raise RuntimeError("booking_rules.json: request_max_days_ahead must be 1 to 366 days")
    return timedelta(days=days)


def latest_request_start(at: datetime, tz: tzinfo) -> datetime:
    """The latest start a request sent at ``at`` may have, in the registry's zone ``tz``:
    :func:`request_horizon` after ``at``, rounded down to whole minutes on the window step (as a
    start may be). The pages compute the same (``static/js/family/window.js``
    ``latestRequestStart``, fed by :func:`request_horizon_config`)."""
    latest = (at + request_horizon()).astimezone(tz).replace(second=0, microsecond=0)
    return latest - timedelta(minutes=(latest.hour * 60 + latest.minute) % window_step_minutes())


def request_horizon_config() -> dict[str, int]:
    """The figures the pages compute :func:`latest_request_start` from (page-config
    ``request_horizon``): ``{"max_days_ahead": days, "step_minutes": the window step}``."""
    return {"max_days_ahead": request_horizon().days, "step_minutes": window_step_minutes()}


def check_horizon(window_start: datetime, at: datetime, tz: tzinfo) -> None:
    """Refuse (:class:`app.care.windows.WindowError`, reason ``too_far_ahead``) a request
    whose window starts after :func:`request_horizon` from ``at``, naming the latest allowed
    start in the registry's zone ``tz`` (``latest_start``: :func:`latest_request_start`) and the
    figure (``max_days_ahead``)."""
    horizon = request_horizon()
    latest = latest_request_start(at, tz)
    if window_start > latest:
        raise WindowError(f"an emergency care request is for the coming {horizon.days} days: its start must be "
                          f"at or before {latest.strftime('%Y-%m-%d %H:%M')} ({tz}); book care planned further "
                          "ahead instead", "start", "too_far_ahead",
                          {"latest_start": latest.isoformat(), "max_days_ahead": horizon.days})


DUE_BATCH = 200  # deadlines fired per query in fire_due
NOBODY = "no provider can take the child for this window (eligible, open for all of it, a place free)"
EVERYONE_ASKED = "every ranked provider declined or did not answer"
DEADLINE = "no provider accepted before the request's deadline"
BOOKED_ELSEWHERE = ("the child was booked for an overlapping window meanwhile: no provider can take this request "
                    "(cancel that booking and ask again if care is still needed)")

UNMATCHED_REASONS = {
    NOBODY: "no_provider",
    EVERYONE_ASKED: "everyone_asked",
    DEADLINE: "deadline",
    BOOKED_ELSEWHERE: "booked_elsewhere",
}
"""The machine-readable code (``care_requests.unmatched_reason``, the API's ``unmatched_reason``)
of each reason a request goes unmatched; :data:`OUT_OF_REACH` is the one more."""
OUT_OF_REACH = "no_provider_within_reach"


def out_of_reach_reason(max_distance_m: int) -> str:
    """The event's reason when eligible providers exist but none within ``max_distance_m``."""
    return (f"no provider within {max_distance_m / 1000:g} km can take the child for this window: "
            "passed to people who will call")


@lru_cache(maxsize=1)
def _reach_document() -> dict[str, Any]:
    doc = document("offer_reach.json")["programmes"]
    for programme, entry in doc.items():
        for figure in (entry["max_offer_distance_m"], *entry["by_sigun_m"].values()):
            if figure is not None and (isinstance(figure, bool) or not isinstance(figure, int) or figure < 1):
                raise RuntimeError(f"offer_reach.json: {programme}'s distances must be whole metres of at "
                                   f"least 1 or null, not {figure!r}")
    return doc


def max_offer_distance_m(programme: str, sigun: str | None) -> int | None:
    """The farthest, in straight-line metres (EPSG:5179), an offer of ``programme`` may go from
    the place care is needed, in the 시군 ``sigun`` (5 digits; None: in none): the figure of
    ``app/reference/offer_reach.json`` for that 시군, else the programme's; None for no limit
    (a programme the file does not name, or 방문형 긴급돌봄, whose carers come to the home)."""
    entry = _reach_document().get(programme)
    if entry is None:
        return None
    figure = entry["by_sigun_m"].get(sigun or "", entry["max_offer_distance_m"])
    return None if figure is None else int(figure)


@dataclass(frozen=True)
class MatchSettings:
    """How offers go out (the settings ``CARE_OFFER_MODE``, ``CARE_OFFER_BATCH``,
    ``CARE_OFFER_RESPONSE_MINUTES``, ``CARE_REQUEST_MATCH_MINUTES``,
    ``CARE_MATCH_MAX_PROVIDERS``; see ``app/config.py``)."""

    mode: str = "sequential"  # "sequential" or "top_n"
    batch: int = 3  # open offers at a time in top_n
    response_minutes: int = 10  # each offer's deadline after it is sent
    match_minutes: int = 60  # the request's total deadline after it is made
    max_providers: int = 10  # how many ranked providers may get an offer

    def __post_init__(self) -> None:
        if self.mode not in OFFER_MODES:
            raise MatchingError(f"CARE_OFFER_MODE must be one of {', '.join(OFFER_MODES)}, not {self.mode!r}",
                                "CARE_OFFER_MODE")
        for name, value in (("CARE_OFFER_BATCH", self.batch),
                            ("CARE_OFFER_RESPONSE_MINUTES", self.response_minutes),
                            ("CARE_REQUEST_MATCH_MINUTES", self.match_minutes),
                            ("CARE_MATCH_MAX_PROVIDERS", self.max_providers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise MatchingError(f"{name} must be a whole number of at least 1, not {value!r}", name)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MatchSettings:
        """The settings from a Flask config (or any mapping holding those keys)."""
        return cls(mode=config["CARE_OFFER_MODE"], batch=config["CARE_OFFER_BATCH"],
                   response_minutes=config["CARE_OFFER_RESPONSE_MINUTES"],
                   match_minutes=config["CARE_REQUEST_MATCH_MINUTES"],
                   max_providers=config["CARE_MATCH_MAX_PROVIDERS"])


@dataclass(frozen=True)
class Outcome:
    """What an accept or a decline did: the offer and its request after the change, and the
    booking an acceptance made (None for a decline, or a programme whose carers visit the home)."""

    offer: Offer
    request: CareRequest
    booking: Booking | None = None


@dataclass
class TickResult:
    """What one :meth:`MatchingEngine.fire_due` fired: offer ids expired, request ids unmatched."""

    expired_offers: list[str] = field(default_factory=list)
    unmatched_requests: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.expired_offers) + len(self.unmatched_requests)


@dataclass(frozen=True)
class UnmetDemand:
    """Requests that found no provider: how many, by programme, 시군 of the place (None: in no
    시군) and the local date the window starts on."""

    programme: str
    sigun_code: str | None
    window_date: date
    requests: int


def request_rule(programme: str) -> BookingRule:
    """The rule a request for ``programme`` is checked against: its booking rule when it can be
    booked, else (방문형 긴급돌봄: carers are dispatched, nothing is booked) the programme's
    eligibility with one-off windows of at most :data:`REQUEST_MAX_WINDOW`."""
    if programme not in PROGRAMMES:
        raise MatchingError(f"unknown programme {programme!r}; programmes: {', '.join(PROGRAMMES)}", "programme")
    rules = booking_rules()
    if programme in rules:
        return rules[programme]
    return BookingRule(programme=programme, booking="provider_confirms", patterns=frozenset({"one_off"}),
                       max_consecutive_days=REQUEST_MAX_WINDOW.days, max_range_days=None,
                       same_day_booking_until=None, fee_krw_per_hour=None, billing_unit_minutes=None,
                       eligibility=programme_rules()[programme])


def rank_providers(index: FacilityIndex, programme: str, age_months: int, start: datetime, end: datetime,
                   point: tuple[float, float], now: datetime, limit: int, home_sigungu: str | None = None,
                   work: tuple[float, float] | None = None, mode: str = "home",
                   radius_m: float | None = None) -> list[Hit]:
    """The providers a request may be offered to, best first: the search's ranking
    (:func:`app.search.ranking.rank`) with a fresh free place required. ``point`` is (lon, lat)
    in degrees; ``home_sigungu`` the 시군구 of the family's home (None: that of ``point``);
    ``work`` and ``mode`` (``home``, ``either``, ``commute``) as the search's; ``radius_m`` the
    farthest provider in straight-line metres from the nearer of home and work (``commute``:
    the detour), None for no limit; carers who come to the home are never limited by it."""
    try:
        return rank(index, programme, age_months, start, end, point, now, limit, home_sigungu=home_sigungu,
                    work=work, mode=mode, radius_m=radius_m, available_only=True)
    except RankingError as exc:
        raise MatchingError(str(exc), "mode" if "mode" in str(exc) else None) from exc


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise MatchingError(f"{name} must carry a time zone (an offset or Z)", name)
    return value.astimezone(UTC)


class MatchingEngine:
    """Care requests and offers on one engine (SQLite or PostgreSQL, from
    :func:`app.db.engine.make_engine`); the store and the matching rules in one.

    ``index``: returns the current search index (the registry store swaps it on reload); None
    for an engine that only fires deadlines and reads (the scheduler's);
    ``first_name``: the child's first name from (the transaction's connection, its id) — the
    only child data a message may
    carry), or None to leave it out of messages.
    """

    def __init__(self, engine: sa.Engine, index: Callable[[], FacilityIndex] | None,
                 settings: MatchSettings | None = None,
                 first_name: Callable[[sa.Connection, str], str | None] | None = None) -> None:
        self.engine = engine
        self.index = index
        self.settings = settings or MatchSettings()
        self.first_name = first_name

    def _index(self) -> FacilityIndex:
        if self.index is None:
            raise RuntimeError("this MatchingEngine has no search index: it cannot rank providers or read "
                               "the registry's time zone")
        return self.index()

    # -- making a request ---------------------------------------------------------------------

    def create(self, guardian_id: str, child_id: str, programme: str, start: datetime, end: datetime,
               place_kind: str, point: tuple[float, float], birth_date: date, now: datetime,
               home_sigungu: str | None = None, work: tuple[float, float] | None = None,
               mode: str = "home") -> CareRequest:
        """Make a request and send its first offers (or mark it unmatched at once when no
        provider can take the child), in one transaction.

        ``start``/``end``: the window (aware, or naive wall-clock times in the registry's zone);
        ``point``: (lon, lat) in degrees where care is needed, the home or the workplace
        (``place_kind``); ``birth_date``: the child's, for the age on the window's first local
        date; ``home_sigungu``: the 시군구 code of the family's home, required when the place is
        work (the residence rules read it), taken from the point when it is home; ``work`` and
        ``mode``: rank by the nearer of home and work (``either``) or by the detour of the
        commute (``commute``), as the search does, with ``point`` the home (used for ranking
        only: the work place is not stored).

        Raises :class:`MatchingError` (an unknown programme or place kind, a point outside the
        registry's area, a work place for a programme whose carers come to the home, a missing
        ``home_sigungu``), :class:`app.care.windows.WindowError` (a window the programme's rules
        refuse, or longer than :data:`REQUEST_MAX_WINDOW`),
        :class:`app.care.rules.NotEligible` (the child's age or the home outside the programme),
        :class:`app.care.bookings.ChildAlreadyBooked` (409: the child has a live booking
        overlapping the window), :class:`app.care.bookings.ChildAlreadyRequested` (409: the child
        has an open request overlapping it; one live thing per child at a time) and a
        :class:`~app.care.windows.WindowError` ``too_far_ahead`` (a start beyond
        :func:`request_horizon`).
        """
        at = _utc(now, "now")
        if place_kind not in PLACE_KINDS:
            raise MatchingError(f"place must be one of {', '.join(PLACE_KINDS)}, not {place_kind!r}",
                                "place", "unknown_value")
        rule = request_rule(programme)
        if rule.eligibility.where == "home" and place_kind != "home":
            raise MatchingError(f"{programme} sends a carer to the family's home: the place must be home",
                                "place", "home_visit_at_home")
        index = self._index()
        lon, lat = (float(v) for v in point)
        if not (math.isfinite(lon) and math.isfinite(lat) and index.locale.contains(lon, lat)):
            raise MatchingError(f"the place must be a (lon, lat) point in degrees within {index.locale.area_name}",
                                "point", "outside_area", {"area": index.locale.area_name})
        tz = index.locale.tz
        window = check_window(rule, start, end, tz, now=at, booking_horizon=False)
        check_horizon(window.start, at, tz)  # a request's horizon (7 days), not a booking's
        if window.elapsed > REQUEST_MAX_WINDOW:
            raise WindowError(f"a care request's window may be at most {REQUEST_MAX_WINDOW.days} days long", "end",
                              "request_too_long", {"max_days": REQUEST_MAX_WINDOW.days})
        try:
            age_months = age_in_months(birth_date, window.start.date())
        except BookingRuleError as exc:
            raise MatchingError(str(exc), "birth_date", exc.reason, exc.extra) from exc
        place_sigungu = home_sigungu_code(lon, lat)
        if place_kind == "home":
            home_sigungu = place_sigungu
        elif home_sigungu is None:
            raise MatchingError("home_sigungu is required when the place is work: the programme's residence "
                                "rules read where the family lives", "home_sigungu", "missing")
        check_family(rule, age_months, home_sigungu)
        if work is not None and not (place_kind == "home" and index.locale.contains(*work)):
            raise MatchingError("work is a second (lon, lat) point within the registry's area, for ranking by "
                                "commute, and needs the place to be home", "work", "work_needs_home_in_area")
        # Offers go only as far as the family can reach (offer_reach.json): the search's own radius,
        # so the walk stays incremental (never "rank everyone, then drop the far ones").
        reach_m = max_offer_distance_m(programme, sigun_code(place_sigungu) if place_sigungu else None)
        hits = rank_providers(index, programme, age_months, window.start, window.end, (lon, lat), at,
                              self.settings.max_providers, home_sigungu=home_sigungu, work=work, mode=mode,
                              radius_m=reach_m)
        nobody, nobody_code = NOBODY, UNMATCHED_REASONS[NOBODY]
        if not hits and reach_m is not None and rank_providers(
                index, programme, age_months, window.start, window.end, (lon, lat), at, 1,
                home_sigungu=home_sigungu, work=work, mode=mode):
            # Someone could take the child, but too far away for an emergency.
            nobody, nobody_code = out_of_reach_reason(reach_m), OUT_OF_REACH
        s = self.settings
        request_id = uuid.uuid4().hex
        values = dict(
            id=request_id, guardian_id=guardian_id, child_id=child_id, programme=programme,
            window_start=window.start.astimezone(UTC), window_end=window.end.astimezone(UTC),
            place_kind=place_kind, lon=lon, lat=lat, sigungu_code=place_sigungu or None,
            status=CARE_REQUEST.initial, version=1, match_by=at + timedelta(minutes=s.match_minutes),
            offer_mode=s.mode, offer_batch=s.batch if s.mode == "top_n" else 1,
            response_minutes=s.response_minutes, candidates=[h.facility.id for h in hits],
            candidate_distances_m=[None if h.distance_m is None else round(h.distance_m, 1) for h in hits],
            max_distance_m=reach_m, unmatched_reason=None, unmatched_at=None, created_at=at, updated_at=at)
        request = request_from_row(SimpleNamespace(**values, offered_count=0))
        first = request.candidates[:request.offer_batch]
        with self.engine.begin() as conn:
            # A window the child is already booked or requested for (a live booking or an open
            # request overlapping it) is refused, under the child's lock.
            # The age again on the birth date as stored now, read by the child's lock: a birth-date
            # change committed since the caller read it counts (the change takes the same lock).
            lock_child_checking_age(conn, child_id, lambda born: check_family(
                rule, age_in_months(born, window.start.date()), home_sigungu))
            check_child_window(conn, child_id, None, request.start.astimezone(UTC), request.end.astimezone(UTC), tz,
                               lock=False)
            # The first offers are counted in the row as it is written (no update of a new row); the
            # request, its event and its first offers go in one statement on PostgreSQL.
            written = [(care_requests, [{**values, "offered_count": len(first)}]),
                       (care_request_events, [request_event_row(request_id, "request", None, CARE_REQUEST.initial,
                                                                GUARDIAN, guardian_id, None, at)])]
            if not first:
                insert_together(conn, written)
                return self._give_up(conn, request, at, nobody, nobody_code)
            insert_together(conn, [*written, *self._offer_writes(conn, request, first, at)])
        return replace(request, offered_count=len(first))

    # -- provider answers ---------------------------------------------------------------------

    def accept(self, offer_id: str, user_id: str, now: datetime, facility_id: str | None = None,
               actor_role: str = PROVIDER_STAFF) -> Outcome:
        """The provider takes the child: the offer is accepted and the request matched, once.

        ``facility_id``: the provider the caller acts for (an offer of another is not found).
        The first acceptance wins: a later one (this offer withdrawn because another provider
        accepted, or the request ended) raises :class:`~app.care.states.InvalidTransition`
        (409) naming the offer's current state; an answer after ``respond_by`` lapses the offer
        (it is recorded as expired and the next offers go out) and raises it with ``expired``.

        The same transaction books the child at the provider (a bookable programme), confirmed,
        linked to the request and the offer (:attr:`Outcome.booking`), under the provider's
        places lock (:func:`app.care.bookings.lock_provider_places`: places the provider
        publishes at the same moment count this booking); when a slot the provider
        publishes for the window is full it raises :class:`app.care.bookings.PlacesFull` (409)
        and nothing changes: the offer stays open. When the child has meanwhile been booked
        elsewhere for an overlapping window (data from before a request and a booking of one
        child refused each other) the request can no longer be served: it is given up
        (``unmatched``, its open offers withdrawn, this one too, the guardian told with
        :data:`BOOKED_ELSEWHERE`) and the provider gets
        :class:`app.care.bookings.ChildBookedElsewhere` (409), which names neither that booking
        nor its provider.
        """
        return self._answer(offer_id, "accept", user_id, now, facility_id, actor_role, None)

    def decline(self, offer_id: str, user_id: str, now: datetime, reason: str | None = None,
                facility_id: str | None = None, actor_role: str = PROVIDER_STAFF) -> Outcome:
        """The provider cannot take the child: the offer is rejected and the next offers go out
        (or the request is unmatched when none is left). Errors as :meth:`accept`."""
        return self._answer(offer_id, "decline", user_id, now, facility_id, actor_role, reason)

    def _answer(self, offer_id: str, action: str, user_id: str, now: datetime, facility_id: str | None,
                actor_role: str, reason: str | None) -> Outcome:
        at = _utc(now, "now")
        lapsed_state: str | None = None
        booking: Booking | None = None
        booked_elsewhere = False
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(offers.c.request_id, offers.c.facility_id)
                                 .where(offers.c.id == offer_id)).first()
            if found is None or (facility_id is not None and found.facility_id != facility_id):
                raise OfferNotFound(f"no offer {offer_id} for this provider", "offer_id")
            request = lock_request(conn, found.request_id)
            offer = lock_offer(conn, offer_id)
            if offer.status == OFFER.initial and at >= offer.respond_by:
                # The deadline is the deadline, whether or not a tick has fired it yet.
                OFFER.fire(offer.status, action, actor_role, reason, at=at)  # the role's check first
                expire_offer(conn, request, offer, at)
                request = self._advance(conn, request, at)  # the expiry changed only the offer
                lapsed_state = "expired"
            else:
                event = OFFER.fire(offer.status, action, actor_role, reason, at=at)
                if action == "accept":
                    CARE_REQUEST.fire(request.status, "match", SYSTEM, at=at)
                    try:
                        with conn.begin_nested():  # a refused booking undoes the acceptance only
                            offer = move_offer(conn, offer, event.action, event.to_state, actor_role, user_id,
                                               event.reason, at, responded_by=user_id)
                            request, booking = self._match(conn, request, offer, at, actor_role, user_id)
                    except ChildAlreadyBooked:
                        # The child is booked elsewhere for this window: no provider can serve the
                        # request any more, so it stops being offered (people see it; the guardian
                        # is told), and this provider learns nothing of where the child is booked.
                        self._give_up(conn, request, at, BOOKED_ELSEWHERE)
                        booked_elsewhere = True
                else:
                    offer = move_offer(conn, offer, event.action, event.to_state, actor_role, user_id,
                                       event.reason, at, responded_by=user_id)
                    request = self._advance(conn, request, at)
        if lapsed_state is not None:
            raise InvalidTransition(OFFER.name, lapsed_state, action, ())
        if booked_elsewhere:
            raise ChildBookedElsewhere()
        return Outcome(offer, request, booking)

    # -- the guardian or staff end a request ----------------------------------------------------

    def cancel(self, request_id: str, actor_role: str, actor_id: str | None, now: datetime,
               reason: str | None = None) -> CareRequest:
        """Withdraw the request (the guardian; staff with a reason): open offers are withdrawn,
        and a matched request's booking is cancelled in the same transaction (its place given
        back, the provider told; that cancel does not come back to the request). Raises the
        :mod:`app.care.states` errors (409 from a final
        state, or while the booking's care is under way) and :class:`RequestNotFound`."""
        at = _utc(now, "now")
        with self.engine.begin() as conn:
            request = lock_request(conn, request_id)
            event = CARE_REQUEST.fire(request.status, "cancel", actor_role, reason, at=at)
            booked = conn.execute(sa.select(bookings.c.id, bookings.c.status)
                                  .where(bookings.c.request_id == request_id)).first()
            if booked is not None and booked.status in BOOKING.holding_states():
                move_booking(conn, booked.id, "cancel", actor_role, actor_id,
                             event.reason or f"care request {request_id} cancelled", at, follow_request=False)
            withdraw_open(conn, request, at, "the request was cancelled")
            return move_request(conn, request, event.action, event.to_state, actor_role, actor_id,
                                      event.reason, at)

    # -- deadlines ------------------------------------------------------------------------------

    def fire_due(self, now: datetime) -> TickResult:
        """Fire every deadline at or before ``now``: offers past ``respond_by`` lapse (and the
        next offers go out), requests past ``match_by`` become unmatched. The scheduler's tick;
        safe when several servers call it at once (one outcome per deadline: what another
        server fired meanwhile is skipped)."""
        at = _utc(now, "now")
        result = TickResult()
        while True:
            with self.engine.connect() as conn:
                due = conn.execute(sa.select(offers.c.id, offers.c.request_id).where(
                    offers.c.status == OFFER.initial, offers.c.respond_by <= at)
                    .order_by(offers.c.respond_by, offers.c.id).limit(DUE_BATCH)).all()
            for offer_id, request_id in due:
                with self.engine.begin() as conn:
                    request = lock_request(conn, request_id)
                    offer = lock_offer(conn, offer_id)
                    if offer.status != OFFER.initial or offer.respond_by > at:
                        continue  # answered or fired by another server meanwhile
                    expire_offer(conn, request, offer, at)
                    after = self._advance(conn, request, at)
                result.expired_offers.append(offer_id)
                if after.status == "unmatched" and request.status != "unmatched":
                    result.unmatched_requests.append(request_id)
            if len(due) < DUE_BATCH:
                break
        while True:
            with self.engine.connect() as conn:
                late = list(conn.execute(sa.select(care_requests.c.id).where(
                    care_requests.c.status == CARE_REQUEST.initial, care_requests.c.match_by <= at)
                    .order_by(care_requests.c.match_by, care_requests.c.id).limit(DUE_BATCH)).scalars())
            for request_id in late:
                with self.engine.begin() as conn:
                    request = lock_request(conn, request_id)
                    if request.status != CARE_REQUEST.initial or request.match_by > at:
                        continue
                    self._give_up(conn, request, at, DEADLINE)
                result.unmatched_requests.append(request_id)
            if len(late) < DUE_BATCH:
                break
        return result

    tick = fire_due

    # -- reading --------------------------------------------------------------------------------

    def get(self, request_id: str) -> CareRequest:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(care_requests).where(care_requests.c.id == request_id)).first()
        if row is None:
            raise RequestNotFound(f"no care request {request_id}", "request_id")
        return request_from_row(row)

    def of_guardian(self, guardian_id: str, status: str | None = None, limit: int = 200) -> list[CareRequest]:
        """The guardian's requests, newest first (at most ``limit``; ``status`` keeps one state)."""
        query = sa.select(care_requests).where(care_requests.c.guardian_id == guardian_id)
        if status is not None:
            query = query.where(care_requests.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(care_requests.c.created_at.desc(), care_requests.c.id).limit(limit))
            return [request_from_row(r) for r in rows]

    def offer(self, offer_id: str) -> Offer:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(offers).where(offers.c.id == offer_id)).first()
        if row is None:
            raise OfferNotFound(f"no offer {offer_id}", "offer_id")
        return offer_from_row(row)

    def offers_of(self, request_id: str) -> list[Offer]:
        """The request's offers in rank order."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(offers).where(offers.c.request_id == request_id).order_by(offers.c.rank))
            return [offer_from_row(r) for r in rows]

    def open_offers(self, facility_id: str) -> list[Offer]:
        """The provider's offers waiting for an answer, soonest deadline first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(offers).where(offers.c.facility_id == facility_id,
                                                        offers.c.status == OFFER.initial)
                                .order_by(offers.c.respond_by, offers.c.id))
            return [offer_from_row(r) for r in rows]

    def events(self, request_id: str) -> list[dict[str, Any]]:
        """The request's transitions, oldest first (``at`` ISO 8601 UTC)."""
        ev = care_request_events
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ev).where(ev.c.request_id == request_id).order_by(ev.c.id))
            return [_event(conn, r) for r in rows]

    def offer_events(self, offer_id: str) -> list[dict[str, Any]]:
        """The offer's transitions, oldest first."""
        ev = offer_events
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ev).where(ev.c.offer_id == offer_id).order_by(ev.c.id))
            return [_event(conn, r) for r in rows]

    def unmatched(self, limit: int = 50, offset: int = 0) -> list[CareRequest]:
        """Requests waiting for a person (``unmatched``), longest waiting first: the admin list
        (the call-centre queue of a later issue reads the same)."""
        if not 1 <= limit <= 500 or offset < 0:
            raise MatchingError("limit must be 1 to 500 and offset 0 or more", "limit")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(care_requests).where(care_requests.c.status == "unmatched")
                                .order_by(care_requests.c.unmatched_at, care_requests.c.id)
                                .limit(limit).offset(offset))
            return [request_from_row(r) for r in rows]

    def unmet_demand(self, window_from: datetime, window_to: datetime,
                     programme: str | None = None) -> list[UnmetDemand]:
        """Requests matching gave up on (whatever became of them later), whose window starts in
        ``[window_from, window_to)``: counts by programme, 시군 of the place and local start date
        (the registry's zone), sorted by those."""
        lo, hi = _utc(window_from, "window_from"), _utc(window_to, "window_to")
        cr = care_requests
        query = sa.select(cr.c.programme, cr.c.sigungu_code, cr.c.window_start).where(
            cr.c.unmatched_at.is_not(None), cr.c.window_start >= lo, cr.c.window_start < hi)
        if programme is not None:
            query = query.where(cr.c.programme == programme)
        tz = self._index().locale.tz
        counts: Counter[tuple[str, str | None, date]] = Counter()
        with self.engine.connect() as conn:
            for prog, sigungu, start in conn.execute(query):
                counts[prog, sigun_code(sigungu) if sigungu else None, stored_utc(start).astimezone(tz).date()] += 1
        return [UnmetDemand(p, s, d, n)
                for (p, s, d), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2]))]

    def unmet_demand_count(self, window_from: datetime, window_to: datetime, programme: str | None = None) -> int:
        """How many requests :meth:`unmet_demand` counts."""
        return sum(d.requests for d in self.unmet_demand(window_from, window_to, programme))

    # -- inside a transaction ------------------------------------------------------------------
    def _advance(self, conn: sa.Connection, request: CareRequest, at: datetime) -> CareRequest:
        """Keep the request's offers going: open offers up to its batch (1 in sequential mode)
        from the next ranked providers; unmatched when none is open and none is left, or when
        its total deadline has passed."""
        if request.status != CARE_REQUEST.initial:
            return request
        if at >= request.match_by:
            return self._give_up(conn, request, at, DEADLINE)
        open_now = conn.execute(sa.select(sa.func.count()).select_from(offers).where(
            offers.c.request_id == request.id, offers.c.status == OFFER.initial)).scalar_one()
        room = max(request.offer_batch - open_now, 0)
        new = request.candidates[request.offered_count:request.offered_count + room]
        if open_now == 0 and not new:
            return self._give_up(conn, request, at, NOBODY if not request.candidates else EVERYONE_ASKED)
        if not new:
            return request
        self._send(conn, request, new, at)
        changed = conn.execute(_COUNT_SENT, {"b_id": request.id, "b_count": request.offered_count + len(new),
                                             "b_at": at}).rowcount
        if changed != 1:  # unreachable under the row lock
            raise InvalidTransition(CARE_REQUEST.name, request.status, "match", ())
        return replace(request, offered_count=request.offered_count + len(new), version=request.version + 1,
                        updated_at=at)

    def _send(self, conn: sa.Connection, request: CareRequest, facility_ids: tuple[str, ...], at: datetime) -> None:
        """Offer the request to ``facility_ids`` (the next ranks after ``request.offered_count``):
        the offers, their events and their outbox messages (:meth:`_offer_writes`), one
        statement on PostgreSQL whatever their number."""
        insert_together(conn, self._offer_writes(conn, request, facility_ids, at))

    def _offer_writes(self, conn: sa.Connection, request: CareRequest, facility_ids: tuple[str, ...],
                      at: datetime) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
        """The rows that offer the request to ``facility_ids`` (the next ranks after
        ``request.offered_count``): ``offers``, ``offer_events`` and ``outbox`` rows, each
        offer answerable until the response deadline (never after the request's ``match_by``)."""
        respond_by = min(at + timedelta(minutes=request.response_minutes), request.match_by)
        first_name = self.first_name(conn, request.child_id) if self.first_name else None
        distances = request.candidate_distances_m
        rows = [{"id": uuid.uuid4().hex, "request_id": request.id, "facility_id": fid, "rank": i,
                 "status": OFFER.initial, "respond_by": respond_by, "version": 1, "created_at": at, "updated_at": at,
                 "responded_by": None, "distance_m": distances[i - 1] if i <= len(distances) else None}
                for i, fid in enumerate(facility_ids, start=request.offered_count + 1)]
        return [
            (offers, rows),
            (offer_events, [{"offer_id": r["id"], "request_id": request.id, "action": "offer", "from_state": None,
                             "to_state": OFFER.initial, "actor_role": SYSTEM, "actor_id": "matching", "reason": None,
                             "at": at} for r in rows]),
            (outbox, [{"idempotency_key": f"offer/{r['id']}/v1", "topic": "offer.received", "created_at": at,
                       "available_at": at, "attempts": 0, "sent_at": None,
                       "payload": {"to": [{"facility_id": r["facility_id"]}], **_named(first_name),
                                   "offer_id": r["id"], "request_id": request.id, "facility_id": r["facility_id"],
                                   "programme": request.programme, "window_start": request.start.isoformat(),
                                   "window_end": request.end.isoformat(), "deadline": respond_by.isoformat(),
                                   "rank": r["rank"]}} for r in rows])]

    def _match(self, conn: sa.Connection, request: CareRequest, offer: Offer, at: datetime, staff_role: str,
               staff_id: str) -> tuple[CareRequest, Booking | None]:
        """The request matched to the accepted ``offer``, in the acceptance's transaction: the
        child booked at the provider (a bookable programme; :func:`app.care.bookings.book_accepted_offer`,
        first, so a full slot refuses the acceptance before anything else is written), the other
        open offers withdrawn, the request's transition and the guardian's one message."""
        booking = None
        if request.programme in booking_rules():  # 방문형: carers go to the home, nothing is booked
            booking = book_accepted_offer(
                conn, facility_id=offer.facility_id, programme=request.programme, child_id=request.child_id,
                guardian_id=request.guardian_id, start=request.start, end=request.end, request_id=request.id,
                offer_id=offer.id, staff_role=staff_role, staff_id=staff_id, at=at,
                tz=self._index().locale.tz if self.index is not None else UTC)
        reason = f"offer {offer.id} accepted by {offer.facility_id}"
        event = CARE_REQUEST.fire(request.status, "match", SYSTEM, reason, at=at)
        withdraw_open(conn, request, at, "another provider accepted the request")
        done = move_request(conn, request, event.action, event.to_state, SYSTEM, "matching", event.reason, at)
        first_name = self.first_name(conn, request.child_id) if self.first_name else None
        # One message for one event: request.matched names the booking; no booking.confirmed besides.
        write_message(conn, f"request/{request.id}/v{done.version}", "request.matched", at, {
            "to": [{"user_id": request.guardian_id}], **_named(first_name), "request_id": request.id,
            "offer_id": offer.id, "facility_id": offer.facility_id, "programme": request.programme,
            "window_start": request.start.isoformat(), "window_end": request.end.isoformat(),
            **({"booking_id": booking.id} if booking is not None else {})})
        return done, booking

    def _give_up(self, conn: sa.Connection, request: CareRequest, at: datetime, reason: str,
                 code: str | None = None) -> CareRequest:
        """The request unmatched (queued for people), with ``reason`` (text, the event's) and
        ``code`` (machine-readable; None: :data:`UNMATCHED_REASONS` of ``reason``)."""
        event = CARE_REQUEST.fire(request.status, "give_up", SYSTEM, reason, at=at)
        withdraw_open(conn, request, at, "the request ran out of time or providers")
        done = move_request(conn, request, event.action, event.to_state, SYSTEM, "matching", event.reason, at,
                                  unmatched_at=at)
        code = code or UNMATCHED_REASONS[reason]
        conn.execute(care_requests.update().where(care_requests.c.id == request.id).values(unmatched_reason=code))
        done = replace(done, unmatched_reason=code)
        first_name = self.first_name(conn, request.child_id) if self.first_name else None
        write_message(conn, f"request/{request.id}/v{done.version}", "request.unmatched", at, {
            "to": [{"user_id": request.guardian_id}], **_named(first_name), "request_id": request.id,
            "programme": request.programme, "window_start": request.start.isoformat(),
            "window_end": request.end.isoformat(), "reason": reason, "reason_code": code,
            **({"max_distance_m": request.max_distance_m} if code == OUT_OF_REACH else {})})
        log.info("care request %s unmatched: %s", request.id, code)  # the code: never a reason's text
        return done


# -- the family's data (app.care.children: export and deletion) ---------------------------------

LIVE_REQUEST_STATES = ("requested", "unmatched", "accepted")
"""The states a deleted family's requests are cancelled from (offers withdrawn first)."""


def export_family_requests(conn: sa.Connection, family: Family) -> list[dict[str, Any]]:
    """Every care request the guardian made, with its offers and events (JSON-able)."""
    cr = care_requests
    rows = conn.execute(sa.select(cr).where(cr.c.guardian_id == family.guardian_id).order_by(cr.c.created_at, cr.c.id))
    booked = {b.request_id: b.id for b in conn.execute(sa.select(bookings.c.request_id, bookings.c.id).join(
        cr, cr.c.id == bookings.c.request_id).where(cr.c.guardian_id == family.guardian_id))}
    out = []
    for row in rows.all():
        r = request_from_row(row)
        out.append({
            "id": r.id, "child_id": r.child_id, "programme": r.programme, "window_start": r.start.isoformat(),
            "window_end": r.end.isoformat(), "place_kind": r.place_kind, "lon": r.lon, "lat": r.lat,
            "status": r.status, "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
            "booking_id": booked.get(r.id),
            "offers": [{"facility_id": o.facility_id, "rank": o.rank, "status": o.status,
                        "respond_by": stored_utc(o.respond_by).isoformat()}
                       for o in conn.execute(sa.select(offers).where(offers.c.request_id == r.id)
                                             .order_by(offers.c.rank))],
            "events": [_event(conn, e) for e in conn.execute(sa.select(care_request_events).where(
                care_request_events.c.request_id == r.id).order_by(care_request_events.c.id))]})
    return out


def erase_family_requests(conn: sa.Connection, family: Family, now: datetime) -> int:
    """In the deletion's transaction: the guardian's live requests are cancelled (open offers
    withdrawn, events with the guardian as actor) and every request loses its place (lon, lat);
    their outbox messages (and the offers') are the deletion's to erase afterwards
    (:func:`app.care.outbox.erase_family_messages`, which finds them by ``request_id``). What
    remains is what planners count (programme, window, 시군구, outcome) and the providers'
    record of offers; the typed (non-preset) reasons of the requests' and their offers' events
    are erased (:func:`app.care.reason_sealing.erase_reasons`: NULL, ``reason_erased_at`` set),
    their states, actors and times kept. Returns the number of requests changed."""
    at = _utc(now, "now")
    cr = care_requests
    ids = list(conn.execute(sa.select(cr.c.id).where(cr.c.guardian_id == family.guardian_id)
                            .order_by(cr.c.id).with_for_update()).scalars())
    if not ids:
        return 0
    for request_id in ids:
        request = lock_request(conn, request_id)
        if request.status in LIVE_REQUEST_STATES:
            event = CARE_REQUEST.fire(request.status, "cancel", GUARDIAN, None, at=at)
            withdraw_open(conn, request, at, "the family's data was deleted")
            move_request(conn, request, event.action, event.to_state, GUARDIAN, family.guardian_id,
                         "the family's data was deleted", at)
    conn.execute(cr.update().where(cr.c.id.in_(ids)).values(lon=None, lat=None))
    erase_reasons(conn, care_request_events, "request_id", ids, at)
    erase_reasons(conn, offer_events, "request_id", ids, at)
    return len(ids)


register_family_part(FamilyPart("care_requests", export_family_requests, erase_family_requests))


# Built once (its compiled form is cached); changes the row only while the request is open.
_AT = sa.bindparam("b_at", type_=sa.DateTime(timezone=True))
_COUNT_SENT = care_requests.update().where(care_requests.c.id == sa.bindparam("b_id"),
                                           care_requests.c.status == CARE_REQUEST.initial) \
    .values(offered_count=sa.bindparam("b_count", type_=sa.Integer), version=care_requests.c.version + 1,
            updated_at=_AT)


def _named(first_name: str | None) -> dict[str, str]:
    """The ``first_name`` field of a message when the child's first name is known."""
    return {"first_name": first_name} if first_name else {}


def _event(conn: sa.Connection, row: Any) -> dict[str, Any]:
    """An event row as the readers see it (its reason opened: :func:`app.care.reason_sealing.open_reason`)."""
    return {"action": row.action, "from_state": row.from_state, "to_state": row.to_state,
            "actor_role": row.actor_role, "actor_id": row.actor_id, "reason": open_reason(conn, row.reason),
            "at": stored_utc(row.at).isoformat()}
