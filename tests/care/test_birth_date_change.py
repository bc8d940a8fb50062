"""A child's birth date under live care (tester pass 25, finding 9): a change that keeps every
live booking and care request of the child within its programme's ages is taken (a corrected
typo); one that would put any outside them is a 409 ``birth_date_in_use`` naming each and
saying to cancel them first, and changes nothing; once they are cancelled the date can change.
On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff
from tests.care.test_api_requests import request_care
from tests.care.test_staff_child_reads import db_app  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)


def test_a_birth_date_that_leaves_a_live_booking_outside_its_ages_is_refused(db_app):  # noqa: F811
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2023-01-01")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id)
    assert booking.status_code == 201, booking.json
    path = f"/api/v1/children/{child_id}"
    refused = mother.send("PATCH", path, {"birth_date": "2010-01-01"})
    assert refused.status_code == 409, refused.json
    error = refused.json["error"]
    assert (error["code"], error["field"], error["reason"]) == ("birth_date_in_use", "birth_date", "live_bookings")
    assert [b["id"] for b in error["affected_bookings"]] == [booking.json["id"]]
    assert error["affected_bookings"][0]["age_max_months"] == 83 and error["affected_requests"] == []
    assert booking.json["id"] in error["message"] and "cancel" in error["what_to_do"]
    assert mother.get(path).json["birth_date"] == "2023-01-01"  # nothing changed
    # a correction that keeps the booking within 6-83 months is taken
    fixed = mother.send("PATCH", path, {"birth_date": "2023-02-01"})
    assert (fixed.status_code, fixed.json["birth_date"]) == (200, "2023-02-01")
    # cancelled first: the date can change
    assert mother.send("POST", f"/api/v1/bookings/{booking.json['id']}/cancel", {}).status_code == 200
    assert mother.send("PATCH", path, {"birth_date": "2010-01-01"}).status_code == 200


def test_a_live_care_request_is_named_too(db_app):  # noqa: F811
    father, child_id = guardian(db_app, "father@example.kr", birth_date="2017-05-05")
    made = request_care(father, child_id)
    assert made.status_code == 201, made.json
    refused = father.send("PATCH", f"/api/v1/children/{child_id}", {"birth_date": "2023-05-05"})
    assert refused.status_code == 409, refused.json
    assert [r["id"] for r in refused.json["error"]["affected_requests"]] == [made.json["id"]]
    assert father.send("PATCH", f"/api/v1/children/{child_id}", {"birth_date": "2017-06-05"}).status_code == 200


def test_a_birth_date_outside_a_live_bookings_provider_ages_is_refused_naming_them(db_app, monkeypatch):  # noqa: F811
    """Within the programme's 6-83 months but past the provider's own ages (the registry's
    age_min_months-age_max_months; here the provider takes children up to 48 months): refused,
    the booking named with the provider's ages and limit "provider"."""
    from dataclasses import replace
    from types import SimpleNamespace

    from app.api import care_family
    from app.extensions.registry import get_index

    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2023-01-01")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id)
    assert booking.status_code == 201, booking.json
    with db_app.app_context():
        by_id = dict(get_index().by_id)
    by_id[DAYCARE] = replace(by_id[DAYCARE], age_max_months=48)
    monkeypatch.setattr(care_family, "get_index", lambda: SimpleNamespace(by_id=by_id))
    path = f"/api/v1/children/{child_id}"
    refused = mother.send("PATCH", path, {"birth_date": "2021-06-01"})  # about 66 months: in 6-83, past 48
    assert refused.status_code == 409, refused.json
    [item] = refused.json["error"]["affected_bookings"]
    assert (item["id"], item["limit"], item["age_min_months"], item["age_max_months"]) == (
        booking.json["id"], "provider", 6, 48)
    assert f"{DAYCARE} takes 6-48 months" in refused.json["error"]["message"]
    assert mother.get(path).json["birth_date"] == "2023-01-01"
    # within the provider's ages too: taken
    assert mother.send("PATCH", path, {"birth_date": "2022-12-01"}).status_code == 200
