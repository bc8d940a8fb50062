"""Emergency care requests and offers over HTTP (app.api.care_requests) on the tiny registry:
a guardian's request is offered to the ranked providers; their staff answer; the first
acceptance wins; nobody else reaches a request or an offer; the admin sees the unmatched queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.api import care_bookings
from app.pages import account_sessions as people
from tests.care.test_api_bookings import Person, guardian, staff
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    make_app,
    sign_in,
)

SEOUL = ZoneInfo("Asia/Seoul")
HOME = {"lat": 37.2636, "lon": 127.0286}  # 수원시청


def next_weekday(hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hh, tzinfo=SEOUL).isoformat()


def request_care(person: Person, child_id: str, start: int = 15, end: int = 18, **more):
    return person.send("POST", "/api/v1/care-requests", {
        "child_id": child_id, "programme": "elementary_emergency", "start": next_weekday(start),
        "end": next_weekday(end), "place": "home", "point": HOME, **more})


def admin(app) -> Person:  # noqa: F811
    people.accounts(app).sign_up("ops@example.kr", PASSWORD, role="admin")
    client = app.test_client()
    assert sign_in(client, "ops@example.kr").status_code == 302
    return Person(client)


def test_a_request_is_offered_and_the_first_acceptance_wins(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    cc = staff(app, "cc@example.kr", "tiny-cc-01")
    cc_colleague = staff(app, "cc2@example.kr", "tiny-cc-01")
    tc = staff(app, "tc@example.kr", "tiny-tc-01")  # reports no free place: never offered
    made = request_care(father, child_id)
    assert made.status_code == 201, made.json
    request_id = made.json["id"]
    assert made.json["status"] == "requested" and made.json["point"] == HOME
    assert tc.get("/api/v1/offers").json["offers"] == []
    offers_cc = cc.get("/api/v1/offers").json["offers"]
    assert len(offers_cc) == 1
    offer = offers_cc[0]
    assert (offer["first_name"], offer["programme"], offer["sigun_code"]) == (None, "elementary_emergency", "41110")
    assert cc.get(f"/api/v1/offers/{offer['id']}/child").json["first_name"] == "하린"  # shown: a logged read
    assert "point" not in offer and "37.26" not in str(offer)
    won = cc.send("POST", f"/api/v1/offers/{offer['id']}/accept", {})
    assert (won.status_code, won.json["status"]) == (200, "accepted")
    late = cc_colleague.send("POST", f"/api/v1/offers/{offer['id']}/accept", {})
    assert late.status_code == 409 and late.json["error"]["current_state"] == "accepted"
    seen = father.get(f"/api/v1/care-requests/{request_id}").json
    assert seen["status"] == "accepted"
    assert [o["status"] for o in seen["offers"]] == ["accepted"]
    # the other provider's staff and another family reach nothing
    other, _ = guardian(app, "other@example.kr")
    assert other.get(f"/api/v1/care-requests/{request_id}").status_code == 404
    assert other.send("POST", f"/api/v1/care-requests/{request_id}/cancel", {}).status_code == 404
    assert tc.get(f"/api/v1/offers/{offer['id']}").status_code == 404
    assert tc.send("POST", f"/api/v1/offers/{offer['id']}/decline", {}).status_code == 404
    assert father.get(f"/api/v1/offers/{offer['id']}").status_code == 403  # a guardian has no offers
    assert father.get(f"/api/v1/care-requests/{request_id}").json["status"] == "accepted"


def test_declines_run_out_into_the_unmatched_queue(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    cc = staff(app, "cc@example.kr", "tiny-cc-01")
    tc = staff(app, "tc@example.kr", "tiny-tc-01")
    ops = admin(app)
    made = request_care(mother, child_id).json  # sequential: one provider at a time
    for desk in (cc, tc, cc, tc):
        for offer in desk.get("/api/v1/offers").json["offers"]:
            assert desk.send("POST", f"/api/v1/offers/{offer['id']}/decline", {"reason": "정원 초과"}).status_code \
                == 200
    final = mother.get(f"/api/v1/care-requests/{made['id']}").json
    assert final["status"] == "unmatched"
    queue = ops.get("/api/v1/care-requests?status=unmatched").json["care_requests"]
    assert [r["id"] for r in queue] == [made["id"]] and "point" not in queue[0]
    assert mother.send("POST", f"/api/v1/care-requests/{made['id']}/cancel", {}).json["status"] == "cancelled"


def test_an_admin_reads_offers_without_the_childs_name_in_the_list_and_one_by_one(app):  # noqa: F811
    """Only the provider's own staff see the child's first name in an offer; an admin (who may
    read every provider's offers) gets null both in the list and in GET /offers/<id> (the item
    named the child while the list did not)."""
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    cc = staff(app, "cc@example.kr", "tiny-cc-01")
    ops = admin(app)
    assert request_care(father, child_id).status_code == 201
    [offer] = cc.get("/api/v1/offers").json["offers"]
    assert cc.get(f"/api/v1/offers/{offer['id']}").json["first_name"] is None  # staff: shown on asking
    assert cc.get(f"/api/v1/offers/{offer['id']}/child").json["first_name"] == "하린"
    assert ops.get(f"/api/v1/offers/{offer['id']}/child").status_code in (403, 404)
    [listed] = ops.get("/api/v1/offers?facility_id=tiny-cc-01").json["offers"]
    assert listed["id"] == offer["id"] and listed["first_name"] is None
    one = ops.get(f"/api/v1/offers/{offer['id']}")
    assert one.status_code == 200 and one.json["first_name"] is None, one.json
    assert "하린" not in one.get_data(as_text=True)


def test_bad_requests_name_the_field(app):  # noqa: F811
    mother, child_id = guardian(app, "m@example.kr", birth_date="2017-05-05")
    r = request_care(mother, child_id, place="office")
    assert (r.status_code, r.json["error"]["field"]) == (400, "place")
    r = request_care(mother, child_id, place="work")
    assert (r.status_code, r.json["error"]["field"]) == (400, "home")
    r = mother.send("POST", "/api/v1/care-requests", {"child_id": child_id, "programme": "elementary_emergency",
                                                      "start": next_weekday(15), "end": next_weekday(18),
                                                      "place": "home"})
    assert (r.status_code, r.json["error"]["field"]) == (400, "point")
    assert app.test_client().get("/api/v1/offers").status_code == 401


# -- an accepted offer is a booking (on SQLite and PostgreSQL) -----------------------------------

CENTRE, OTHER_CENTRE = "tiny-cc-01", "tiny-tc-01"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    """The tiny registry's app on a fresh database of each kind."""
    return make_app(DATABASE_URL=db_url)


def publish_places(desk: Person, places: int) -> None:
    r = desk.send("POST", f"/api/v1/providers/{CENTRE}/slots",
                  {"programme": "elementary_emergency", "derive": {"days": 7, "places": places}})
    assert r.status_code == 200 and r.json["added"] > 0, r.json


def test_an_accepted_offer_books_the_child_for_the_provider_and_the_family(db_app, monkeypatch):
    father, child_id = guardian(db_app, "father@example.kr", birth_date="2017-05-05")
    cc = staff(db_app, "cc@example.kr", CENTRE)
    tc = staff(db_app, "tc@example.kr", OTHER_CENTRE)
    other, _ = guardian(db_app, "other@example.kr")
    publish_places(cc, 2)
    request_id = request_care(father, child_id).json["id"]  # 15:00-18:00 on the next weekday
    [offer] = cc.get("/api/v1/offers").json["offers"]
    assert offer["booking_id"] is None
    won = cc.send("POST", f"/api/v1/offers/{offer['id']}/accept", {})
    assert won.status_code == 200, won.json
    booking_id = won.json["booking_id"]
    assert booking_id and won.json["status"] == "accepted"
    # the provider's list of the day, with check-in
    day = next_weekday(15)[:10]
    [today] = cc.get(f"/api/v1/bookings?day={day}").json["bookings"]
    assert (today["id"], today["status"], today["fhir_status"], today["child_id"], today["facility_id"]) == (
        booking_id, "accepted", "accepted", None, CENTRE)  # staff see no child id (tester 29): the family does
    assert father.get(f"/api/v1/bookings/{booking_id}").json["child_id"] == child_id
    assert "cancel" in today["allowed_actions"]  # a later day's: check-in and no-show not yet
    assert not {"check_in", "mark_no_show"} & set(today["allowed_actions"])
    slots = cc.get(f"/api/v1/providers/{CENTRE}/slots?programme=elementary_emergency").json["slots"]
    assert sum(s["held"] for s in slots) == 3  # one place in each hour of 15:00-18:00
    detail = cc.get(f"/api/v1/bookings/{booking_id}").json
    assert [(e["action"], e["actor_role"], e["reason"]) for e in detail["events"]] == [
        ("book", "provider_staff", f"offer {offer['id']} accepted"),
        ("confirm", "provider_staff", f"offer {offer['id']} accepted")]
    assert cc.get(f"/api/v1/offers/{offer['id']}").json["booking_id"] == booking_id
    assert cc.get(f"/api/v1/bookings/{booking_id}/child").json["first_name"] == "하린"
    # the guardian's bookings and request
    [mine] = father.get("/api/v1/bookings").json["bookings"]
    assert (mine["id"], mine["status"], mine["allowed_actions"]) == (booking_id, "accepted", ["cancel"])
    assert father.get(f"/api/v1/care-requests/{request_id}").json["booking_id"] == booking_id
    assert [r["booking_id"] for r in father.get("/api/v1/care-requests").json["care_requests"]] == [booking_id]
    # another provider's staff and another family reach nothing of it
    assert tc.get(f"/api/v1/bookings/{booking_id}").status_code == 404
    assert tc.get("/api/v1/bookings").json["bookings"] == []
    assert tc.get(f"/api/v1/bookings?facility_id={CENTRE}").status_code in {400, 403, 404}
    assert tc.get(f"/api/v1/bookings/{booking_id}/child").status_code == 404
    assert tc.send("POST", f"/api/v1/bookings/{booking_id}/check_in", {}).status_code == 404
    assert other.get(f"/api/v1/bookings/{booking_id}").status_code == 404
    assert other.get("/api/v1/bookings").json["bookings"] == []
    # care happens like any booking's, when the day comes (check-in opens an hour before the start)
    starts = datetime.fromisoformat(today["start"])
    monkeypatch.setattr(care_bookings, "_now", lambda: starts - timedelta(minutes=30))
    assert set(cc.get(f"/api/v1/bookings/{booking_id}").json["allowed_actions"]) == {"cancel", "check_in"}
    checked_in = cc.send("POST", f"/api/v1/bookings/{booking_id}/check_in", {})
    assert (checked_in.status_code, checked_in.json["status"]) == (200, "in-progress")
    monkeypatch.setattr(care_bookings, "_now", lambda: starts + timedelta(minutes=30))  # check-out: from the start
    checked_out = cc.send("POST", f"/api/v1/bookings/{booking_id}/check_out", {})
    assert (checked_out.status_code, checked_out.json["status"]) == (200, "completed")
    slots = cc.get(f"/api/v1/providers/{CENTRE}/slots?programme=elementary_emergency").json["slots"]
    assert sum(s["held"] for s in slots) == 0


def test_an_acceptance_into_full_places_is_a_409_and_the_offer_stays_open(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    cc = staff(db_app, "cc@example.kr", CENTRE)
    publish_places(cc, 0)
    request_id = request_care(mother, child_id).json["id"]
    [offer] = cc.get("/api/v1/offers").json["offers"]
    refused = cc.send("POST", f"/api/v1/offers/{offer['id']}/accept", {})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_places", refused.json
    [still] = cc.get("/api/v1/offers").json["offers"]
    assert (still["id"], still["status"], still["booking_id"]) == (offer["id"], "requested", None)
    assert cc.get("/api/v1/bookings").json["bookings"] == []
    assert mother.get("/api/v1/bookings").json["bookings"] == []
    seen = mother.get(f"/api/v1/care-requests/{request_id}").json
    assert (seen["status"], seen["booking_id"]) == ("requested", None)
