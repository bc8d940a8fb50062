"""Tester 28, section 6: POST /api/v1/children named one group of problems at a time (the
missing fields, then the values, then the consent). Every problem is now named in one answer:
``errors`` lists each (field, reason, message, its figures), in the form's order, and the
envelope's ``field``, ``reason`` and ``message`` lead with the first (a one-problem answer is
as before). Nothing is stored."""

from __future__ import annotations

from tests.care.test_api_bookings import Person, guardian
from tests.pages.conftest import app, clock, make_app, sign_up  # noqa: F401  (fixtures)


def test_every_problem_of_a_child_is_named_at_once(app):  # noqa: F811
    client = app.test_client()
    sign_up(client, "new@example.kr")  # no consent given yet
    person = Person(client)
    r = person.send("POST", "/api/v1/children", {
        "given_name": "가" * 51, "birth_date": "2026-13-01", "relation": "uncle",
        "emergency_contact_phone": "1", "care_notes": "땅콩 알레르기"})
    assert r.status_code == 400, r.json
    error = r.json["error"]
    found = [(e["field"], e["reason"]) for e in error["errors"]]
    assert found == [("given_name", "too_long"), ("family_name", "missing"), ("birth_date", "not_a_date"),
                     ("relation", "unknown_value"), ("emergency_contact_name", "missing"),
                     ("emergency_contact_phone", "not_a_phone"), ("consent", None), ("consent", None)], error
    assert [e["purpose"] for e in error["errors"][-2:]] == ["child_registration", "care_notes"], error
    assert error["errors"][0]["max_chars"] == 50, error  # each with its figures
    assert (error["field"], error["reason"]) == ("given_name", "too_long"), error
    assert all(e["message"] in error["message"] for e in error["errors"]), error
    assert person.get("/api/v1/children").json["children"] == []


def test_nested_contact_problems_are_named_as_sent_and_one_problem_is_as_before(app):  # noqa: F811
    mother, _ = guardian(app, "mom@example.kr")
    r = mother.send("POST", "/api/v1/children", {
        "given_name": "도윤", "family_name": "박", "birth_date": "2030-01-01", "relation": "father",
        "emergency_contact": {"name": "박하늘", "phone": "12ab"}})
    error = r.json["error"]
    assert [(e["field"], e["reason"]) for e in error["errors"]] == [
        ("birth_date", "in_future"), ("emergency_contact.phone", "not_a_phone")], error
    assert "emergency_contact.phone" in error["errors"][1]["message"], error
    one = mother.send("POST", "/api/v1/children", {
        "given_name": "도윤", "family_name": "박", "birth_date": "2030-01-01", "relation": "father",
        "emergency_contact_name": "박하늘", "emergency_contact_phone": "010-1111-2222"}).json["error"]
    assert (one["field"], one["reason"], "errors" in one) == ("birth_date", "in_future", False), one
