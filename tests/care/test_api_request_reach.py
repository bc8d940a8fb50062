"""The request API says how far each offer went and why a request went to people
(app/reference/offer_reach.json), on the tiny registry: tiny-cc-01 is 0.0134° of longitude E of
수원시청 (0.0134 × cos 37.26° × 111.3 km ≈ 1,187 m), so a request from there is offered to it at
about 1.19 km; from 15 km north of it (0.135° of latitude)
nobody is within the 10 km limit and the request goes to the call-centre queue at once."""

from __future__ import annotations

from tests.care.test_api_bookings import guardian, staff
from tests.care.test_api_requests import HOME, admin, request_care
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

FAR_HOME = {"lat": 37.2636 + 0.135, "lon": 127.0420}  # 15 km N of tiny-cc-01, in 경기도


def test_each_offer_shows_its_distance(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    staff(app, "cc@example.kr", "tiny-cc-01")
    made = request_care(father, child_id)
    assert made.status_code == 201, made.json
    seen = father.get(f"/api/v1/care-requests/{made.json['id']}").json
    assert seen["status"] == "requested" and seen["point"] == HOME and seen["max_distance_m"] == 10_000
    assert seen["unmatched_reason"] is None
    [offer] = seen["offers"]
    assert offer["facility_id"] == "tiny-cc-01" and 1_170 < offer["distance_m"] < 1_205
    # the provider's own view of the offer says nothing of where the family is
    cc = staff(app, "cc2@example.kr", "tiny-cc-01")
    assert "distance_m" not in cc.get("/api/v1/offers").json["offers"][0]


def test_no_provider_within_reach_goes_to_the_queue_with_a_machine_readable_reason(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr", birth_date="2017-05-05")
    ops = admin(app)
    made = request_care(mother, child_id, point=FAR_HOME)
    assert made.status_code == 201, made.json
    body = made.json
    assert (body["status"], body["unmatched_reason"], body["max_distance_m"]) == \
        ("unmatched", "no_provider_within_reach", 10_000)
    assert mother.get(f"/api/v1/care-requests/{body['id']}").json["offers"] == []
    queue = ops.get("/api/v1/care-requests?status=unmatched").json["care_requests"]
    assert [(r["id"], r["unmatched_reason"], r["max_distance_m"]) for r in queue] == \
        [(body["id"], "no_provider_within_reach", 10_000)]
