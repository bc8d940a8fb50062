"""The emergency contact goes in as it comes out: a child is read back with
``emergency_contact: {name, phone}``, and POST/PATCH /api/v1/children take that shape as well as
the flat ``emergency_contact_name`` / ``emergency_contact_phone`` (before, the read-back shape was
refused as an unknown field). Both at once, a part not in {name, phone}, or a contact that is not
an object: 400 naming the field and what is allowed."""

from __future__ import annotations

from tests.care.test_api_bookings import guardian
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

CHILD = {"given_name": "도윤", "family_name": "박", "birth_date": "2022-04-04", "relation": "father"}


def test_a_child_registered_and_changed_with_the_contact_it_is_read_back_with(app):  # noqa: F811
    mother, first_id = guardian(app, "mom@example.kr")
    first = mother.get(f"/api/v1/children/{first_id}").json
    made = mother.send("POST", "/api/v1/children", {**CHILD, "emergency_contact": first["emergency_contact"]})
    assert made.status_code == 201, made.json
    assert made.json["emergency_contact"] == {"name": "이준호", "phone": "010-2345-6789"}
    changed = mother.send("PATCH", f"/api/v1/children/{made.json['id']}",
                          {"emergency_contact": {"phone": "010-9999-8888"}})
    assert changed.status_code == 200, changed.json
    assert changed.json["emergency_contact"] == {"name": "이준호", "phone": "010-9999-8888"}


def test_a_contact_sent_twice_or_malformed_is_named(app):  # noqa: F811
    mother, _ = guardian(app, "mom@example.kr")
    cases = [
        ({**CHILD, "emergency_contact": {"name": "박하늘", "phone": "010-1111-2222"},
          "emergency_contact_phone": "010-1111-2222"}, "emergency_contact", "not both"),
        ({**CHILD, "emergency_contact": {"name": "박하늘", "phone": "010-1111-2222", "email": "x@y.kr"}},
         "emergency_contact.email", "allowed: name, phone"),
        ({**CHILD, "emergency_contact": "박하늘 010-1111-2222"}, "emergency_contact", "must be an object"),
        # named as sent (tester pass 26): the nested part, not the stored flat field
        ({**CHILD, "emergency_contact": {"name": "박하늘"}}, "emergency_contact.phone", "is required"),
        ({**CHILD, "emergency_contact": {"name": "박하늘", "phone": "112"}}, "emergency_contact.phone", ""),
    ]
    for body, field, says in cases:
        r = mother.send("POST", "/api/v1/children", body)
        assert r.status_code == 400, (body, r.json)
        assert r.json["error"]["field"] == field and says in r.json["error"]["message"], (body, r.json)
    assert len(mother.get("/api/v1/children").json["children"]) == 1  # nothing refused was stored


