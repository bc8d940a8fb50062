"""The guardian's view of who read the children's records (GET /api/v1/me/access-log) over HTTP
on SQLite and PostgreSQL: a provider's staff opening a child for a booking and an admin calling
back an unmatched request each show, newest first, with the provider's name (or the service's
operators), the reader's role and the purpose in words, never the staff member's account; only
the family sees its own; staff and admins are refused (tester pass 24, finding 5)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.care.test_api_bookings import book, guardian, publish, staff
from tests.care.test_api_requests import admin, request_care
from tests.care.test_staff_child_reads import anonymous, log_rows
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)

CENTRE, OTHER_CENTRE = "tiny-cc-01", "tiny-tc-01"
URL = "/api/v1/me/access-log"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url)


def test_the_family_sees_who_read_its_childs_record_and_nobody_else_does(db_app):
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    other, _ = guardian(db_app, "other@example.kr", birth_date="2017-05-05")
    cc, tc = staff(db_app, "cc@example.kr", CENTRE), staff(db_app, "tc@example.kr", OTHER_CENTRE)
    ops = admin(db_app)
    assert mother.get(URL).json == {"total": 0, "limit": 50, "entries": []}

    # The centre's staff open the child of a booking; the booking is then cancelled.
    publish(cc, CENTRE, "elementary_emergency")
    booking = book(mother, child_id, CENTRE, "elementary_emergency", 18, 21).json
    assert cc.get(f"/api/v1/bookings/{booking['id']}/child").status_code == 200
    assert mother.send("POST", f"/api/v1/bookings/{booking['id']}/cancel",
                       {"version": booking["version"]}).status_code == 200
    # An unmatched request: the service's admin reads the family's contact to call back.
    request_id = request_care(mother, child_id).json["id"]
    for desk in (cc, tc, cc, tc):
        for offer in desk.get("/api/v1/offers").json["offers"]:
            assert desk.send("POST", f"/api/v1/offers/{offer['id']}/decline", {}).status_code == 200
    assert ops.get(f"/api/v1/care-requests/{request_id}/contact").status_code == 200
    assert len(log_rows(db_app)) == 2

    seen = mother.get(URL + "?lang=en")
    assert seen.status_code == 200, seen.json
    body = seen.json
    centre_name = db_app.extensions["dolbom_registry"].index.by_id[CENTRE].name
    assert (body["total"], body["limit"]) == (2, 50)
    assert [(e["first_name"], e["reader"], e["purpose"], e["purpose_text"], e["outcome"]) for e in body["entries"]] == [
        ("하린", {"role": "admin", "role_label": "Administrator", "provider_id": None,
                "name": "Dolbom Map's operators"},
         "unmatched_request", "Calling back the family of an emergency request no provider took", "granted"),
        ("하린", {"role": "provider_staff", "role_label": "Provider staff", "provider_id": CENTRE,
                "name": centre_name}, "booking_care", "Giving the booked care", "granted")]
    assert [e["booking_id"] for e in body["entries"]] == [None, booking["id"]]
    assert all(e["child_id"] == child_id for e in body["entries"])
    for entry in body["entries"]:  # on the registry's clock
        at = datetime.fromisoformat(entry["at"])
        assert at.utcoffset() == timedelta(hours=9)
    text = seen.get_data(as_text=True)
    assert "cc@example.kr" not in text and "ops@example.kr" not in text and "actor_id" not in text

    korean = mother.get(URL + "?lang=ko&limit=1").json
    assert (korean["total"], len(korean["entries"])) == (2, 1)
    latest = korean["entries"][0]
    assert (latest["reader"]["name"], latest["reader"]["role_label"], latest["purpose_text"]) == (
        "돌봄지도 운영팀", "관리자", "맡을 기관을 찾지 못한 긴급돌봄 요청의 가족에게 전화")

    # Only the family itself: another guardian sees none of it; staff, admins and strangers are refused.
    assert other.get(URL).json == {"total": 0, "limit": 50, "entries": []}
    for who, person, expected in (("signed out", anonymous(db_app), 401), ("staff who read it", cc, 403),
                                  ("other staff", tc, 403), ("admin", ops, 403)):
        r = person.get(URL)
        assert r.status_code == expected, (who, r.status_code, r.json)
        assert "하린" not in r.get_data(as_text=True)
    assert len(log_rows(db_app)) == 2  # reading the log is no read of a record


def test_bad_queries_name_the_parameter(db_app):
    mother, _ = guardian(db_app, "mother@example.kr")
    for query, field, reason in (("?limit=0", "limit", "out_of_range"), ("?limit=201", "limit", "out_of_range"),
                                 ("?limit=many", "limit", "not_a_number"), ("?limt=5", "limt", None)):
        r = mother.get(URL + query)
        assert r.status_code == 400, (query, r.json)
        error = r.json["error"]
        assert error["field"] == field and (reason is None or error["reason"] == reason), (query, error)


def test_withdrawing_the_consent_to_share_names_the_live_bookings_it_affects(db_app):
    """The centre's staff of a live booking lose the child's care notes and emergency contact
    when the family withdraws share_with_provider: the answer names that booking (and only the
    family's live ones), so the page can tell the family to call the centre or cancel."""
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    other, other_child = guardian(db_app, "other@example.kr", birth_date="2017-05-05")
    cc = staff(db_app, "cc@example.kr", CENTRE)
    publish(cc, CENTRE, "elementary_emergency")
    booking = book(mother, child_id, CENTRE, "elementary_emergency", 18, 21).json
    assert book(other, other_child, CENTRE, "elementary_emergency", 18, 21).status_code == 201
    centre_name = db_app.extensions["dolbom_registry"].index.by_id[CENTRE].name

    r = mother.send("DELETE", "/api/v1/consents/share_with_provider")
    assert r.status_code == 200, r.json
    answer = r.json
    [affected] = answer["affected_bookings"]
    window = {k: datetime.fromisoformat(affected.pop(k)) for k in ("start", "end")}
    assert answer == {"purpose": "share_with_provider", "withdrawn": 1, "already_withdrawn": False,
                      "affected_bookings": [{
        "id": booking["id"], "child_id": child_id, "first_name": "하린", "facility_id": CENTRE,
        "provider_name": centre_name, "programme": "elementary_emergency", "status": "requested"}]}
    assert window == {k: datetime.fromisoformat(booking[k]) for k in ("start", "end")}
    assert window["start"].utcoffset() == timedelta(hours=9)  # on the registry's clock
    refused = cc.get(f"/api/v1/bookings/{booking['id']}/child")
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "consent_withdrawn")
    # care_notes (the notes are deleted) names it too; once cancelled, nothing is affected.
    assert [b["id"] for b in mother.send("DELETE", "/api/v1/consents/care_notes").json["affected_bookings"]] == [
        booking["id"]]
    assert mother.send("POST", f"/api/v1/bookings/{booking['id']}/cancel",
                       {"version": booking["version"]}).status_code == 200
    assert mother.send("DELETE", "/api/v1/consents/share_with_provider").json == {
        "purpose": "share_with_provider", "withdrawn": 0, "already_withdrawn": True, "affected_bookings": []}
