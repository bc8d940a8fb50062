"""The booking desk (app.care.desk): a guardian books a place for their child, checked as the
search checks it; real-time programmes and auto-confirming providers answer at once, the
others hold the place until the provider answers or the hold lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.bookings import NotBookable, PlacesFull
from app.care.children import SHARE_WITH_PROVIDER, ChildNotFound, ConsentRequired
from app.care.desk import BookingDesk, facility_lookup
from app.care.rules import BookingRuleError, NotEligible
from app.care.windows import WindowError
from app.search.hours import WeeklyHours
from app.search.model import Facility
from tests.care.test_children import (  # noqa: F401  (fixtures)
    CARE_NOTES,
    CHILD_REGISTRATION,
    accounts,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SEOUL)  # Tuesday morning
BUCHEON_DAYCARE = Facility("D1", "해님어린이집", "daycare", 127.0, 37.26, programmes=frozenset({"always_daycare"}),
                         hours=WeeklyHours.from_mapping({d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu",
                                                                                      "fri", "sat", "sun")}),
                         sigungu_code="41190", age_min_months=6, age_max_months=83)  # 부천 runs it
CENTRE = Facility("C1", "별빛지역아동센터", "community_child_center", 127.0, 37.26,
                  programmes=frozenset({"elementary_emergency"}), sigungu_code="41111",
                  hours=WeeklyHours.from_mapping({"tue": ["13:00-22:00"]}), age_min_months=72, age_max_months=155)
# Born 2024-06-01: 30 months on 2026-12-01 (언제나 어린이집 takes 6-83 months).


def kst(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=SEOUL)


@pytest.fixture
def desk(store):  # noqa: F811
    bookings = store.booking_store
    for f in (BUCHEON_DAYCARE, CENTRE):
        programme = next(iter(f.programmes))
        bookings.publish_slot(f.id, programme, kst(1, 0), kst(4, 0), 1)
    return BookingDesk(bookings, store, facility_lookup({"D1": BUCHEON_DAYCARE, "C1": CENTRE}), SEOUL, hold_minutes=30)


def test_real_time_daycare_is_confirmed_at_once_with_the_estimate(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "mother@example.kr")
    booking, quote = desk.book(family.guardian_id, family.child_id, "D1", "always_daycare", kst(1, 19),
                               kst(1, 23), NOW, home_sigungu_code="41111")
    assert (booking.status, booking.hold_expires_at, booking.guardian_id) == ("accepted", None, family.guardian_id)
    assert (quote.age_months, quote.estimate_krw, quote.confirms_at_once) == (30, 12_000, True)
    assert [e["action"] for e in desk.bookings.events(booking.id)] == ["book", "confirm"]
    assert desk.bookings.events(booking.id)[1]["actor_id"] == "auto_confirm"


def test_a_centre_holds_the_place_until_the_provider_answers_or_auto_confirms(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "father@example.kr", birth_date="2018-03-02")  # 8 years old
    booking, quote = desk.book(family.guardian_id, family.child_id, "C1", "elementary_emergency", kst(1, 18),
                               kst(1, 21), NOW, home_sigungu_code="41111")
    assert (booking.status, booking.hold_expires_at) == ("requested", NOW + timedelta(minutes=30))
    assert quote.confirms_at_once is False and quote.estimate_krw is None
    desk.bookings.transition(booking.id, "cancel", "guardian", family.guardian_id, now=NOW)  # before the start
    desk.set_auto_confirm("C1", True, NOW)
    assert desk.auto_confirms("C1") and not desk.auto_confirms("D1")
    again, _ = desk.book(family.guardian_id, family.child_id, "C1", "elementary_emergency", kst(1, 18), kst(1, 21),
                         NOW, home_sigungu_code="41111")
    assert again.status == "accepted"


def test_each_check_refuses_naming_what_is_wrong(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "m@example.kr")
    other = make_family(accounts, store, "o@example.kr")
    g, c = family.guardian_id, family.child_id
    cases = [
        (BookingRuleError, "programme 'home_visit_emergency' cannot be booked",
         (g, c, "D1", "home_visit_emergency", kst(1, 19), kst(1, 23))),
        (ChildNotFound, "no child", (g, other.child_id, "D1", "always_daycare", kst(1, 19), kst(1, 23))),
        (WindowError, "books at most 5 consecutive days", (g, c, "D1", "always_daycare", kst(1, 19), kst(7, 9))),
        (WindowError, "is in the past", (g, c, "D1", "always_daycare", kst(1, 7), kst(1, 10))),
        (NotEligible, "takes children of 72-155 months", (g, c, "C1", "elementary_emergency", kst(1, 18), kst(1, 21))),
        (NotEligible, "no provider 'X9'", (g, c, "X9", "always_daycare", kst(1, 19), kst(1, 23))),
        (NotBookable, "publishes places for always_daycare only until",  # its last places end 4th 00:00
         (g, c, "D1", "always_daycare", kst(3, 19), kst(4, 2))),
    ]
    for error, message, args in cases:
        with pytest.raises(error, match=message):
            desk.book(*args, NOW, home_sigungu_code="41111")
    with pytest.raises(NotEligible, match="families living in 경기도"):
        desk.book(g, c, "D1", "always_daycare", kst(1, 19), kst(1, 23), NOW, home_sigungu_code="11110")
    assert desk.bookings.slots("D1", "always_daycare")[0].held == 0  # nothing was held by a refusal


def test_no_booking_without_consent_to_share_with_the_provider(accounts, store, desk):  # noqa: F811
    family = make_family(accounts, store, "m@example.kr", purposes=(CHILD_REGISTRATION, CARE_NOTES))
    with pytest.raises(ConsentRequired, match=SHARE_WITH_PROVIDER) as caught:
        desk.book(family.guardian_id, family.child_id, "D1", "always_daycare", kst(1, 19), kst(1, 23), NOW)
    assert caught.value.http_status == 409


def test_the_last_place_goes_to_one_family(accounts, store, desk):  # noqa: F811
    first = make_family(accounts, store, "a@example.kr")
    second = make_family(accounts, store, "b@example.kr")
    desk.book(first.guardian_id, first.child_id, "D1", "always_daycare", kst(2, 19), kst(2, 23), NOW)
    with pytest.raises(PlacesFull, match="all 1 places are held"):
        desk.book(second.guardian_id, second.child_id, "D1", "always_daycare", kst(2, 20), kst(2, 22), NOW)
    assert NOW.astimezone(UTC).tzinfo is UTC
