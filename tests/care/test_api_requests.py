"""Emergency care requests and offers over HTTP (app.api.care_requests) on the tiny registry:
a guardian's request is offered to the ranked providers; their staff answer; the first
acceptance wins; nobody else reaches a request or an offer; the admin sees the unmatched queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.pages import account_sessions as people
from tests.care.test_api_bookings import Person, guardian, staff
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
    assert (offer["first_name"], offer["programme"], offer["sigun_code"]) == ("하린", "elementary_emergency", "41110")
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
