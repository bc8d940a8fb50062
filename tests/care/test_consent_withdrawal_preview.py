"""What withdrawing a consent would do, asked before the guardian confirms (GET
/api/v1/consents/<purpose>/withdrawal), over HTTP on SQLite and PostgreSQL: the live bookings
the DELETE would name (the same list: a child in care now first, then by start, with the
provider's name), whether a consent stands, whether the purpose reaches bookings at all, and
for child_registration the children keeping it in use. Asking changes nothing; only the
guardian asks, about their own family; an unknown purpose is a 400 listing the allowed ones.
/family's consent dialog reads it instead of copying the server's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.care.states import PROVIDER_STAFF
from app.extensions.care import get_bookings, get_children
from app.pages import account_sessions as people
from tests.care.test_api_bookings import Person, book, guardian, publish, staff
from tests.care.test_api_requests import admin
from tests.care.test_authorization_matrix import snapshot
from tests.care.test_staff_child_reads import anonymous
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import PASSWORD, clock, make_app, sign_in  # noqa: F401  (fixtures)

CENTRE, PROGRAMME = "tiny-cc-01", "elementary_emergency"
PURPOSES = ["care_notes", "child_registration", "share_with_provider"]


def url(purpose: str) -> str:
    return f"/api/v1/consents/{purpose}/withdrawal"


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url)


def _family_with_a_child_in_care(db_app):
    """The mother's 하린 booked 18-21 tomorrow (requested) and 서아 booked 19-21, accepted and
    checked in (as if it were 19:00): in care, though her booking starts later."""
    mother, first_child = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    second = mother.send("POST", "/api/v1/children", {
        "given_name": "서아", "family_name": "이", "birth_date": "2017-09-09", "relation": "mother",
        "emergency_contact_name": "이준호", "emergency_contact_phone": "010-2345-6789"})
    assert second.status_code == 201, second.json
    desk = staff(db_app, "cc@example.kr", CENTRE)
    publish(desk, CENTRE, PROGRAMME, places=3)
    earlier = book(mother, first_child, CENTRE, PROGRAMME, 18, 21).json
    later = book(mother, second.json["id"], CENTRE, PROGRAMME, 19, 21).json
    assert desk.send("POST", f"/api/v1/bookings/{later['id']}/confirm",
                     {"version": later["version"]}).status_code == 200
    staff_id = people.accounts(db_app).sign_in("cc@example.kr", PASSWORD).id
    with db_app.app_context():
        get_bookings().transition(later["id"], "check_in", PROVIDER_STAFF, staff_id,
                                  now=datetime.fromisoformat(later["start"]).astimezone(UTC))
    return mother, earlier, later


def test_the_preview_names_what_the_delete_then_reports_and_changes_nothing(db_app):
    mother, earlier, later = _family_with_a_child_in_care(db_app)
    centre_name = db_app.extensions["dolbom_registry"].index.by_id[CENTRE].name
    guardian_id = people.accounts(db_app).sign_in("mother@example.kr", PASSWORD).id

    before = snapshot(db_app)
    r = mother.get(url("share_with_provider"))
    assert r.status_code == 200, r.json
    preview = r.json
    assert snapshot(db_app) == before  # asking withdraws nothing and tells no provider
    assert {k: v for k, v in preview.items() if k != "affected_bookings"} == {
        "purpose": "share_with_provider", "standing": True, "affects_bookings": True, "in_use": False,
        "children_registered": None}
    # The child in care now first (her booking starts later), then by start; with the provider's name.
    assert [(b["id"], b["status"], b["first_name"], b["provider_name"]) for b in preview["affected_bookings"]] == [
        (later["id"], "in-progress", "서아", centre_name), (earlier["id"], "requested", "하린", centre_name)]
    start = preview["affected_bookings"][1]["start"]
    assert start.endswith("+09:00") and datetime.fromisoformat(start) == datetime.fromisoformat(earlier["start"])

    withdrawn = mother.send("DELETE", "/api/v1/consents/share_with_provider")
    assert withdrawn.status_code == 200, withdrawn.json
    assert withdrawn.json["withdrawn"] == 1
    assert withdrawn.json["affected_bookings"] == preview["affected_bookings"]
    # Withdrawn: the DELETE would change nothing, and the preview says so.
    again = mother.get(url("share_with_provider")).json
    assert (again["standing"], again["affected_bookings"]) == (False, [])
    assert mother.send("DELETE", "/api/v1/consents/share_with_provider").json["affected_bookings"] == []

    # care_notes: the same bookings, the same list as its DELETE gives.
    notes = mother.get(url("care_notes")).json
    assert (notes["standing"], notes["affects_bookings"]) == (True, True)
    assert mother.send("DELETE", "/api/v1/consents/care_notes").json["affected_bookings"] == \
        notes["affected_bookings"] == preview["affected_bookings"]

    # child_registration: in use while children are registered (the DELETE is refused); no bookings.
    registration = mother.get(url("child_registration")).json
    assert registration == {"purpose": "child_registration", "standing": True, "affects_bookings": False,
                            "in_use": True, "children_registered": 2, "affected_bookings": []}
    refused = mother.send("DELETE", "/api/v1/consents/child_registration")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "consent_in_use")
    with db_app.app_context():
        assert get_children().has_consent(guardian_id, "child_registration")


def test_only_the_guardian_asks_about_their_own_family(db_app):
    mother, earlier, later = _family_with_a_child_in_care(db_app)
    other, _ = guardian(db_app, "other@example.kr", birth_date="2017-05-05")
    ops = admin(db_app)
    client = db_app.test_client()  # the centre's staff of both bookings
    assert sign_in(client, "cc@example.kr").status_code == 302
    centre_staff = Person(client)

    before = snapshot(db_app)
    # Another guardian's question is about their own family: none of the mother's bookings.
    for purpose in ("share_with_provider", "care_notes"):
        r = other.get(url(purpose))
        assert r.status_code == 200, r.json
        assert r.json["affected_bookings"] == [] and r.json["standing"] is True, r.json
        text = r.get_data(as_text=True)
        assert earlier["id"] not in text and later["id"] not in text and "하린" not in text and "서아" not in text
    assert other.get(url("child_registration")).json["children_registered"] == 1
    # Deny by default: signed out 401; the bookings' own staff and the admin 403, told nothing.
    for who, person, expected in (("signed out", anonymous(db_app), 401), ("the centre's staff", centre_staff, 403),
                                  ("admin", ops, 403)):
        for purpose in PURPOSES:
            r = person.get(url(purpose))
            assert r.status_code == expected, (who, purpose, r.status_code, r.json)
            assert "하린" not in r.get_data(as_text=True) and earlier["id"] not in r.get_data(as_text=True)
    assert snapshot(db_app) == before
    assert [b["id"] for b in mother.get(url("share_with_provider")).json["affected_bookings"]] == [
        later["id"], earlier["id"]]


def test_an_unknown_purpose_is_a_400_listing_the_allowed_ones(db_app):
    mother, _ = guardian(db_app, "mother@example.kr")
    for method, path in (("GET", url("sharing")), ("DELETE", "/api/v1/consents/sharing"),
                         ("GET", url("Share_With_Provider"))):
        r = mother.get(path) if method == "GET" else mother.send(method, path)
        assert r.status_code == 400, (method, path, r.status_code, r.json)
        error = r.json["error"]
        assert (error["code"], error["field"], error["reason"], error["allowed"]) == (
            "invalid_consent", "purpose", "unknown_value", PURPOSES), error
        assert ", ".join(PURPOSES) in error["message"], error
    spec = db_app.test_client().get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/consents/{purpose}/withdrawal"]["get"]
    assert "DELETE" in operation["description"] and operation["parameters"][0]["schema"]["enum"] == PURPOSES
    schema = spec["components"]["schemas"]["WithdrawalPreview"]
    assert set(schema["required"]) == {"purpose", "standing", "affects_bookings", "in_use", "children_registered",
                                       "affected_bookings"}
