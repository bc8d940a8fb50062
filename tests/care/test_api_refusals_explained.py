"""Refusals that say why (app.api.care_requests, app.api.care_bookings): an unknown action on a
booking, a care request or an offer is the same 400 naming the field and the allowed actions; a
provider's read of a child whose family withdrew the share consent is a 403 saying so."""

from __future__ import annotations

import pytest

from tests.care.test_api_bookings import DAYCARE, book, guardian, publish, staff
from tests.care.test_api_requests import request_care
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)


def _unknown_action(answer, allowed: list[str]) -> None:
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert (error["code"], error["field"], error["reason"]) == ("invalid_parameter", "action", "unknown_value")
    assert error["allowed_actions"] == allowed
    assert "'fly'" in error["message"] and ", ".join(allowed) in error["message"]


def test_unknown_actions_are_a_400_listing_the_actions_everywhere(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    made = request_care(father, child_id)
    assert made.status_code == 201, made.json
    _unknown_action(father.send("POST", f"/api/v1/care-requests/{made.json['id']}/fly", {}), ["cancel"])
    cc = staff(app, "cc@example.kr", "tiny-cc-01")
    offer = cc.get("/api/v1/offers").json["offers"][0]
    _unknown_action(cc.send("POST", f"/api/v1/offers/{offer['id']}/fly", {}), ["accept", "decline"])
    mother, toddler = guardian(app, "mother@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, toddler).json
    _unknown_action(mother.send("POST", f"/api/v1/bookings/{booking['id']}/fly", {}),
                    ["cancel", "check_in", "check_out", "confirm", "decline", "mark_no_show"])
    assert father.send("POST", f"/api/v1/care-requests/{made.json['id']}/cancel", {}).json["status"] == "cancelled"


@pytest.mark.parametrize("withdrawn", [False, True])
def test_a_withdrawn_share_consent_is_named_to_the_provider(app, withdrawn):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    booking = book(mother, child_id).json
    if withdrawn:
        assert mother.send("DELETE", "/api/v1/consents/share_with_provider").status_code == 200
    read = desk.get(f"/api/v1/bookings/{booking['id']}/child")
    if not withdrawn:
        assert read.status_code == 200
        return
    assert read.status_code == 403, read.json
    error = read.json["error"]
    assert (error["code"], error["reason"], error["field"], error["purpose"]) == (
        "consent_withdrawn", "consent_withdrawn", "consent", "share_with_provider")
    assert "withdrew" in error["message"] and "하린" not in str(read.json)
    stranger = staff(app, "other@example.kr", "tiny-cc-01")  # another provider still learns nothing
    assert stranger.get(f"/api/v1/bookings/{booking['id']}/child").status_code == 404
