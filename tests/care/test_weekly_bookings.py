"""Issue 15's weekly pattern (초등 시설형 긴급돌봄: "one-off or a weekly pattern over a date
range"): ``repeat`` on POST /api/v1/bookings and its quote books the same wall-clock window on
each chosen weekday through ``until``, in ONE transaction, all or nothing, each occurrence an
ordinary booking; the store's :meth:`book_many` on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.care.bookings import NotBookable, OccurrencesRefused
from app.care.windows import WEEKDAY_NAMES
from tests.care.test_api_bookings import CENTRE, SEOUL, guardian, staff
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)

PUPIL_BORN = "2017-05-05"  # 9 years old: 초등 시설형 긴급돌봄 takes 6-12-year-olds


def first_day() -> date:
    return datetime.now(SEOUL).date() + timedelta(days=1)


def weekly_body(child_id: str, weeks: int = 2, start: int = 15, end: int = 17, **repeat: Any) -> dict[str, Any]:
    day = first_day()
    return {"child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
            "start": f"{day.isoformat()}T{start:02d}:00", "end": f"{day.isoformat()}T{end:02d}:00",
            "repeat": {"weekdays": [WEEKDAY_NAMES[day.weekday()]],
                       "until": (day + timedelta(days=7 * weeks)).isoformat(), **repeat}}


def centre_slots(desk) -> list[dict[str, Any]]:
    return desk.get(f"/api/v1/providers/{CENTRE}/slots?programme=elementary_emergency").json["slots"]


def published(desk, places: int) -> None:
    r = desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                  {"programme": "elementary_emergency", "derive": {"days": 16, "places": places}})
    assert r.status_code == 200 and r.json["added"] > 0, r.json


def test_a_weekly_pattern_is_quoted_and_booked_as_one_booking_per_date(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 2)
    body = weekly_body(child_id)
    quote = father.send("POST", "/api/v1/bookings/quote", body)
    assert quote.status_code == 200, quote.json
    day = first_day()
    dates = [(day + timedelta(days=7 * n)).isoformat() for n in range(3)]
    assert [o["start"][:16] for o in quote.json["occurrences"]] == [f"{d}T15:00" for d in dates]
    assert quote.json["repeat"] == body["repeat"]
    made = father.send("POST", "/api/v1/bookings", body)
    assert made.status_code == 201, made.json
    bookings = made.json["bookings"]
    assert [b["start"][:10] for b in bookings] == [
        datetime.fromisoformat(f"{d}T15:00").replace(tzinfo=SEOUL).astimezone(UTC).date().isoformat()
        for d in dates]
    assert len({b["id"] for b in bookings}) == 3 and all(b["status"] == "requested" for b in bookings)
    # each held one place in each of its slots, exactly as a single booking does
    assert sum(s["held"] for s in centre_slots(desk)) == 3 * 2
    # each is an ordinary booking: cancelling one leaves the others
    done = father.send("POST", f"/api/v1/bookings/{bookings[1]['id']}/cancel", {})
    assert (done.status_code, done.json["status"]) == (200, "cancelled")
    mine = {b["id"]: b["status"] for b in father.get("/api/v1/bookings").json["bookings"]}
    assert mine == {bookings[0]["id"]: "requested", bookings[1]["id"]: "cancelled", bookings[2]["id"]: "requested"}
    assert sum(s["held"] for s in centre_slots(desk)) == 2 * 2


def test_one_date_that_cannot_be_booked_books_none_and_names_it(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    other, other_child = guardian(app, "other@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 1)
    second = (first_day() + timedelta(days=7)).isoformat()
    taken = other.send("POST", "/api/v1/bookings", {
        "child_id": other_child, "facility_id": CENTRE, "programme": "elementary_emergency",
        "start": f"{second}T16:00", "end": f"{second}T17:00"})
    assert taken.status_code == 201, taken.json
    before = [s["held"] for s in centre_slots(desk)]
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        refused = father.send("POST", path, weekly_body(child_id))
        assert refused.status_code == 409, refused.json
        error = refused.json["error"]
        assert (error["code"], error["field"]) == ("occurrences_refused", "repeat")
        assert error["refused_dates"] == [second]
        assert (error["dates"][0]["code"], error["dates"][0]["reason"]) == ("no_places", "slot_full")
        assert second in error["message"]
    assert father.get("/api/v1/bookings").json["bookings"] == []
    assert [s["held"] for s in centre_slots(desk)] == before


@pytest.mark.parametrize(("change", "status", "field", "reason"), [
    ({"programme": "always_daycare", "facility_id": "tiny-dc-07"}, 400, "repeat", "pattern_not_offered"),
    ({"repeat": {"weekdays": ["tus"], "until": "2030-01-01"}}, 400, "repeat.weekdays", "unknown_value"),
    ({"repeat": {"weekdays": [], "until": "2030-01-01"}}, 400, "repeat.weekdays", "unknown_value"),
    ({"repeat": {"weekdays": ["mon"]}}, 400, "repeat.until", "missing"),
    ({"repeat": {"weekdays": ["mon"], "until": "next week"}}, 400, "repeat.until", "not_a_date"),
    ({"repeat": {"weekdays": ["mon"], "until": "2026-01-01", "every": 2}}, 400, "repeat.every", "unknown_field"),
    ({"repeat": ["mon"]}, 400, "repeat", "not_an_object"),
])
def test_a_wrong_pattern_is_a_400_naming_the_field(app, change, status, field, reason):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    body = {**weekly_body(child_id), **change}
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        r = father.send("POST", path, body)
        assert r.status_code == status, r.json
        assert (r.json["error"]["field"], r.json["error"]["reason"]) == (field, reason), r.json
    if reason == "unknown_value":
        assert r.json["error"]["allowed"] == list(WEEKDAY_NAMES)


def test_the_range_is_capped_by_the_rules_weeks(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    r = father.send("POST", "/api/v1/bookings/quote", weekly_body(child_id, weeks=14))
    assert r.status_code == 400, r.json
    error = r.json["error"]
    assert (error["field"], error["reason"], error["max_weeks"]) == ("repeat.until", "range_too_long", 13)
    assert error["latest_until"] == (first_day() + timedelta(days=90)).isoformat()


def test_the_openapi_document_describes_repeat(app):  # noqa: F811
    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    repeat = schemas["BookingInput"]["properties"]["repeat"]
    weekly, daily = repeat["oneOf"]
    assert weekly["properties"]["weekdays"]["items"]["enum"] == list(WEEKDAY_NAMES)
    assert daily["required"] == ["every_day", "until"] and daily["properties"]["every_day"]["enum"] == [True]
    assert "elementary_emergency" in repeat["description"]
    assert "always_daycare, its windows touching at most 5 dates" in repeat["description"]
    assert "occurrences" in schemas["BookingQuote"]["properties"]
    assert schemas["BookingsCreated"]["properties"]["bookings"]["items"] == {"$ref": "#/components/schemas/Booking"}


# -- the store, on SQLite and PostgreSQL ------------------------------------------------------

F, P = "F1", "elementary_emergency"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def week(n: int, hour: int) -> datetime:
    return datetime(2026, 12, 2, hour, tzinfo=UTC) + timedelta(days=7 * n)


def test_book_many_holds_every_window_or_none(store):
    for n in range(3):
        store.publish_slot(F, P, week(n, 6), week(n, 8), 1)
    made = store.book_many(F, P, "kid", [(week(n, 6), week(n, 8)) for n in range(2)], None, now=NOW,
                           guardian_id="g1")
    assert [b.start for b in made] == [week(0, 6), week(1, 6)]
    assert [s.held for s in store.slots(F, P)] == [1, 1, 0]
    with pytest.raises(OccurrencesRefused) as caught:  # the first two are full, the third is free
        store.book_many(F, P, "kid2", [(week(n, 6), week(n, 8)) for n in range(3)], None, now=NOW,
                        guardian_id="g2")
    assert [d["reason"] for d in caught.value.dates] == ["slot_full", "slot_full"]
    assert caught.value.http_status == 409
    assert [s.held for s in store.slots(F, P)] == [1, 1, 0]  # the third date was not kept either
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM bookings")).scalar() == 2
        assert conn.execute(sa.text("SELECT count(*) FROM booking_holds")).scalar() == 2


def test_a_window_nothing_covers_from_its_start_is_not_told_to_end_earlier(store):
    """Tester 25's finding 4: a provider with no places published, or none from the window's
    start, was refused with "choose an earlier end", which cannot help. Each has its reason."""
    with pytest.raises(NotBookable) as caught:
        store.book(F, P, "kid", week(0, 6), week(0, 8), None, now=NOW)
    assert caught.value.reason == "nothing_published"
    store.publish_slot(F, P, week(0, 9), week(0, 10), 1)
    with pytest.raises(NotBookable) as caught:
        store.book(F, P, "kid", week(0, 6), week(0, 8), None, now=NOW)  # later places only
    assert caught.value.reason == "none_at_start"
    store.publish_slot(F, P, week(0, 5), week(0, 7), 1)
    with pytest.raises(NotBookable) as caught:  # covered at the start, a gap after: an earlier end helps
        store.book(F, P, "kid", week(0, 6), week(0, 10), None, now=NOW)
    assert caught.value.reason == "no_places_published"


# -- the booking page's frame (app/pages/family.py, family_book.html) -------------------------


def test_the_booking_page_offers_what_the_programme_books_and_says_when_nothing_is_open(app):  # noqa: F811
    from tests.pages.test_family_pages import page_config
    father, _ = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    centre = father.get(f"/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang=ko")
    html = centre.get_data(as_text=True)
    cfg = page_config(html)
    # tester 25's finding 4: no places published -> said before the form, with the emergency request
    assert cfg["online"] is False and 'id="not-online"' in html and "온라인 예약 자리를 열지 않았습니다" in html
    assert 'href="/family/request?programme=elementary_emergency' in html
    # finding 1: the weekly pattern (weekdays, an end date), its limit from the rules
    assert cfg["repeat"] == {"max_range_days": 91, "max_weeks": 13}
    assert 'name="repeat_on"' in html and html.count('name="weekday"') == 7 and 'name="until"' in html
    assert 'name="end_day"' not in html
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 1)
    html = father.get(f"/family/book?facility_id={CENTRE}&programme=elementary_emergency").get_data(as_text=True)
    assert page_config(html)["online"] is True and 'id="not-online"' not in html
    # finding 2: 언제나 어린이집 takes an end date, and says its real limit (5 days)
    daycare = father.get("/family/book?facility_id=tiny-dc-07&programme=always_daycare&lang=en").get_data(as_text=True)
    assert 'name="end_day"' in daycare and "at most 5 consecutive days" in daycare and 'name="repeat_on"' not in daycare
    assert page_config(daycare)["max_days"] == 5 and page_config(daycare)["repeat"] is None
