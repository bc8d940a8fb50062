"""The provider inbox over the real API (issue 15, tester 28 section 7), on SQLite and PostgreSQL:

- **Access log.** Polling what the inbox polls (new bookings, offers, the day's list, a weekly
  pattern) names no child and logs nothing; showing a child (``/bookings/<id>/child``) logs one
  line however often it is asked within ``CARE_ACCESS_LOG_COALESCE_S``; an offer names no child
  until its staff show it (``/offers/<id>/child``, logged as ``answering_offer``).
- **Changing places.** A number typed in "Open the next 7 days" changes the hours already open
  too, never below the places their bookings hold (those hours named and kept).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.care.slots import change_places
from app.extensions.care import get_bookings
from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff
from tests.care.test_api_requests import request_care
from tests.care.test_staff_child_reads import log_rows, user_id
from tests.care.test_weekly_bookings import PUPIL_BORN, published, weekly_body
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)

CENTRE, OTHER_CENTRE = "tiny-cc-01", "tiny-tc-01"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url)


def inbox_poll(desk, facility_id: str, day: str | None = None) -> list[dict]:
    """One round of what /provider/inbox asks every second: new bookings, open offers, the
    day's list; every pattern listed read as the page reads one that leaves the list."""
    answers = [desk.get(f"/api/v1/bookings?status=requested&facility_id={facility_id}"),
               desk.get(f"/api/v1/offers?facility_id={facility_id}")]
    if day:
        answers.append(desk.get(f"/api/v1/bookings?facility_id={facility_id}&day={day}"))
    for b in answers[0].json["bookings"]:
        if b.get("pattern_id"):
            answers.append(desk.get(f"/api/v1/booking-patterns/{b['pattern_id']}"))
    assert all(a.status_code == 200 for a in answers), [a.json for a in answers]
    return [a.json for a in answers]


def test_polling_the_inbox_logs_nothing_and_showing_the_child_logs_one_line(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id)
    assert booking.status_code == 201, booking.json
    day = booking.json["start"][:10]
    for _ in range(3):
        answers = inbox_poll(desk, DAYCARE, day)
        assert "하린" not in str(answers)
    assert log_rows(db_app) == []
    # "Show the child": one showing, one line, though the page (or a double tap) asks again.
    for _ in range(3):
        shown = desk.get(f"/api/v1/bookings/{booking.json['id']}/child")
        assert (shown.status_code, shown.json["first_name"]) == (200, "하린")
    assert log_rows(db_app) == [(user_id(db_app, "desk@daycare.kr"), "provider_staff", DAYCARE, child_id,
                                 booking.json["id"], "booking_care", "granted")]
    assert [e["purpose"] for e in mother.get("/api/v1/me/access-log").json["entries"]] == ["booking_care"]


def test_identical_reads_are_logged_each_time_when_the_window_is_zero(make_app):  # noqa: F811
    app = make_app(CARE_ACCESS_LOG_COALESCE_S=0)
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id)
    for _ in range(2):
        assert desk.get(f"/api/v1/bookings/{booking.json['id']}/child").status_code == 200
    assert len(log_rows(app)) == 2


def test_a_weekly_pattern_names_its_child_only_when_asked_and_logged(db_app):
    father, child_id = guardian(db_app, "father@example.kr", birth_date=PUPIL_BORN)
    desk = staff(db_app, "cc@example.kr", CENTRE)
    published(desk, 2)
    made = father.send("POST", "/api/v1/bookings", weekly_body(child_id))
    assert made.status_code == 201, made.json
    for _ in range(3):
        assert "하린" not in str(inbox_poll(desk, CENTRE))
    assert log_rows(db_app) == []
    named = desk.get(f"/api/v1/booking-patterns/{made.json['bookings'][0]['pattern_id']}?include=first_name")
    assert named.json["first_name"] == "하린" and len(log_rows(db_app)) == 1


def test_an_offer_names_the_child_only_when_shown_and_that_read_is_logged(db_app):
    father, child_id = guardian(db_app, "father@example.kr", birth_date="2017-05-05")
    desks = {CENTRE: staff(db_app, "cc@example.kr", CENTRE), OTHER_CENTRE: staff(db_app, "tc@example.kr", OTHER_CENTRE)}
    assert request_care(father, child_id).status_code == 201
    offered = [(f, d, d.get("/api/v1/offers").json["offers"]) for f, d in desks.items()]
    [(facility_id, desk, [offer])] = [(f, d, o) for f, d, o in offered if o]
    other = next(d for f, d in desks.items() if f != facility_id)
    for _ in range(3):
        answers = inbox_poll(desk, facility_id)
        assert "하린" not in str(answers)
        assert desk.get(f"/api/v1/offers/{offer['id']}").json["first_name"] is None
    assert log_rows(db_app) == []
    # Another provider's staff cannot show it, and their attempt names nobody.
    refused = other.get(f"/api/v1/offers/{offer['id']}/child")
    assert refused.status_code == 404 and "하린" not in refused.get_data(as_text=True)
    for _ in range(2):
        shown = desk.get(f"/api/v1/offers/{offer['id']}/child")
        assert shown.status_code == 200, shown.json
        assert (shown.json["first_name"], shown.json["offer_id"]) == ("하린", offer["id"])
        assert shown.json["age_months"] >= 12 * 9 and "emergency_contact" not in shown.json
    assert log_rows(db_app) == [(user_id(db_app, f"{'cc' if facility_id == CENTRE else 'tc'}@example.kr"),
                                 "provider_staff", facility_id, child_id, None, "answering_offer", "granted")]
    entries = father.get("/api/v1/me/access-log?lang=en").json["entries"]
    assert [e["purpose"] for e in entries] == ["answering_offer"]
    # Once answered the offer is no longer open: its child is not shown (a denied read).
    assert desk.send("POST", f"/api/v1/offers/{offer['id']}/decline", {}).status_code == 200
    assert desk.get(f"/api/v1/offers/{offer['id']}/child").status_code == 404


# -- changing the places per hour ------------------------------------------------------------------

def slots_of(desk, programme: str = "always_daycare") -> list[dict]:
    return desk.get(f"/api/v1/providers/{DAYCARE}/slots?programme={programme}").json["slots"]


def test_places_already_open_change_but_never_below_their_bookings(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare", places=2)
    booking = book(mother, child_id, start=19, end=21)
    assert booking.status_code == 201, booking.json
    url = f"/api/v1/providers/{DAYCARE}/slots"
    ahead = [s for s in slots_of(desk) if datetime.fromisoformat(s["end"]) > datetime.now(UTC)]
    held = [s for s in ahead if s["held"]]
    assert held and all(s["places"] == 2 for s in ahead)
    derive = {"days": 3}
    lowered = desk.send("POST", url, {"programme": "always_daycare", "derive": {**derive, "places": 0}})
    assert lowered.status_code == 200, lowered.json
    assert lowered.json["added"] == 0
    assert lowered.json["changed"] == len(ahead) - len(held)
    assert [(k["start"], k["held"], k["places"]) for k in lowered.json["not_lowered"]] == [
        (s["start"], 1, 1) for s in held]
    after = {s["start"]: s for s in slots_of(desk)}
    # an hour with a booking goes down to the places it holds, no free place left (tester 31)
    assert all(after[s["start"]]["places"] == (1 if s["held"] else 0) for s in ahead)
    raised = desk.send("POST", url, {"programme": "always_daycare", "derive": {**derive, "places": 3}})
    assert (raised.json["changed"], raised.json["not_lowered"]) == (len(ahead), [])
    assert all(s["places"] == 3 for s in slots_of(desk) if s["start"] in after)
    again = desk.send("POST", url, {"programme": "always_daycare", "derive": {**derive, "places": 3}})
    assert (again.json["changed"], again.json["already"], again.json["not_lowered"]) == (0, len(ahead), [])
    # Without a number, the hours already open stay as they are.
    plain = desk.send("POST", url, {"programme": "always_daycare", "derive": derive})
    assert "changed" not in plain.json and all(s["places"] == 3 for s in slots_of(desk) if s["start"] in after)
    # The core never lowers a slot below what it holds, whatever is asked.
    with db_app.app_context():
        now = datetime.now(UTC)
        done = change_places(get_bookings(), DAYCARE, "always_daycare", 0, now, now + timedelta(days=5), now)
    assert done.changed == len(ahead) - len(held) and [k.held for k in done.kept] == [1] * len(held)
    assert all(s["places"] >= s["held"] for s in slots_of(desk))
