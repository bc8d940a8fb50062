"""Tester 29, finding 9: provider staff's booking lists carried the family's stable ``child_id``
on every booking, cancelled and declined ones too, before anyone tapped "Show the child": a
provider could link all of a child's bookings over time without a logged read. Staff now get
null (they read the child through the logged ``/bookings/<id>/child``); the family and admins
still get the id."""

from __future__ import annotations

from tests.care.test_api_bookings import CENTRE, guardian, staff, tomorrow
from tests.care.test_weekly_bookings import PUPIL_BORN, published
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)


def test_staff_see_no_child_id_the_family_does(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date=PUPIL_BORN)
    desk = staff(app, "cc@example.kr", CENTRE)
    published(desk, 2)
    made = mother.send("POST", "/api/v1/bookings", {"child_id": child_id, "facility_id": CENTRE,
                                                    "programme": "elementary_emergency",
                                                    "start": tomorrow(18), "end": tomorrow(19)})
    assert made.status_code == 201, made.json
    booking_id = made.json["id"]
    assert made.json["child_id"] == child_id
    assert mother.get(f"/api/v1/bookings/{booking_id}").json["child_id"] == child_id
    listed = desk.get(f"/api/v1/bookings?facility_id={CENTRE}").json["bookings"]
    assert [(b["id"], b["child_id"]) for b in listed] == [(booking_id, None)]
    assert desk.get(f"/api/v1/bookings/{booking_id}").json["child_id"] is None
    declined = desk.send("POST", f"/api/v1/bookings/{booking_id}/decline", {"reason": "full"})
    assert declined.status_code == 200 and declined.json["child_id"] is None, declined.json
