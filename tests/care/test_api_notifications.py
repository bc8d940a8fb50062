"""GET /api/v1/notifications and POST /api/v1/notifications/read (tester 29, finding 1): the
outbox's in-page messages reach their recipient's page — a guardian reads "booking confirmed" in
their own language, the provider's staff read a family's consent withdrawal — and each person
reads and marks only their own notices. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.db.outbox_tables import notifications
from tests.care.test_api_bookings import DAYCARE, Person, book, guardian, publish, staff
from tests.care.test_staff_child_reads import anonymous, db_app  # noqa: F401  (fixture)
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app  # noqa: F401  (fixtures)


def deliver(app) -> None:
    """Run the outbox's in-page channel once (the worker the serve command runs)."""
    engine = app.extensions["dolbom_db"]
    OutboxWorker(engine, [InPageSender(engine)], f"t-{uuid.uuid4().hex[:6]}", lease_seconds=60).drain(
        datetime.now(UTC))


def set_language(person: Person, locale: str) -> None:
    r = person.client.post("/account/language", data={"locale": locale, "csrf_token": person.token})
    assert r.status_code == 302, r.status_code


def read_rows(app) -> list[tuple]:
    with app.extensions["dolbom_db"].connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(notifications.c.id, notifications.c.read_at)))


def test_each_person_reads_and_marks_only_their_own_notices(db_app):  # noqa: F811
    mother, child_id = guardian(db_app, "mother@example.kr")
    set_language(mother, "en")
    other, other_child = guardian(db_app, "other@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    mine, theirs = book(mother, child_id, start=19, end=21), book(other, other_child, start=19, end=21)
    assert mine.status_code == 201 and theirs.status_code == 201, (mine.json, theirs.json)
    # 언제나 어린이집 books in real time: both are confirmed (the outbox's booking.confirmed).
    assert mine.json["status"] == theirs.json["status"] == "accepted", (mine.json, theirs.json)
    deliver(db_app)
    listed = mother.get("/api/v1/notifications")
    assert listed.status_code == 200, listed.json
    titles = [n["title"] for n in listed.json["notices"]]
    assert "Booking confirmed" in titles and "예약이 확정되었습니다" not in titles, titles
    assert listed.json["unread"] == len(titles) == listed.json["total"]
    first = listed.json["notices"][0]
    assert set(first) == {"id", "topic", "title", "body", "created_at", "read_at"}
    assert first["created_at"].endswith("+09:00") and first["read_at"] is None
    stamps = [n["created_at"] for n in listed.json["notices"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    others = other.get("/api/v1/notifications").json
    assert "예약이 확정되었습니다" in [n["title"] for n in others["notices"]], others
    mine_ids = {n["id"] for n in listed.json["notices"]}
    other_ids = {n["id"] for n in others["notices"]}
    assert mine_ids and other_ids and not mine_ids & other_ids

    # The family withdraws sharing: the daycare's staff are told in their page.
    assert mother.send("DELETE", "/api/v1/consents/share_with_provider").status_code == 200
    deliver(db_app)
    staff_titles = [n["title"] for n in desk.get("/api/v1/notifications").json["notices"]]
    assert "가족이 아이 정보 제공 동의를 철회했습니다" in staff_titles, staff_titles
    assert not {n["id"] for n in desk.get("/api/v1/notifications").json["notices"]} & (mine_ids | other_ids)

    # Another person's ids change nothing and are answered as unknown ones (404, as for another's
    # booking), even mixed with one's own; one's own are marked, then all.
    before = read_rows(db_app)
    unknown = max(mine_ids | other_ids) + 1000
    for ids in (sorted(other_ids), [min(mine_ids), min(other_ids)], [unknown]):
        r = mother.send("POST", "/api/v1/notifications/read", {"ids": ids})
        assert r.status_code == 404, (ids, r.status_code, r.json)
        assert r.json["error"]["code"] == "not_found" and r.json["error"]["field"] == "ids", r.json
        stranger = next(i for i in ids if i not in mine_ids)
        assert r.json["error"]["message"] == f"no notice {stranger} of yours", r.json
    assert read_rows(db_app) == before
    assert other.get("/api/v1/notifications").json["unread"] == len(other_ids)
    one = min(mine_ids)
    unread = mother.get("/api/v1/notifications").json["unread"]
    r = mother.send("POST", "/api/v1/notifications/read", {"ids": [one]})
    assert r.json == {"marked": 1, "unread": unread - 1}
    assert mother.send("POST", "/api/v1/notifications/read", {"ids": [one]}).json["marked"] == 0  # once
    assert next(n for n in mother.get("/api/v1/notifications").json["notices"] if n["id"] == one)["read_at"]
    r = mother.send("POST", "/api/v1/notifications/read", {"all": True})
    assert r.status_code == 200 and r.json["unread"] == 0
    assert mother.get("/api/v1/notifications").json["unread"] == 0
    assert other.get("/api/v1/notifications").json["unread"] == len(other_ids)  # theirs untouched
    assert desk.get("/api/v1/notifications").json["unread"] >= 1
    # Paging, and what is refused: signed out 401, no CSRF token, bad bodies.
    assert len(mother.get("/api/v1/notifications?limit=1").json["notices"]) == 1
    assert mother.get("/api/v1/notifications?limit=0").status_code == 400
    nobody = anonymous(db_app)
    assert nobody.get("/api/v1/notifications").status_code == 401
    assert nobody.send("POST", "/api/v1/notifications/read", {"all": True}).status_code in {400, 401}
    before = read_rows(db_app)
    assert other.client.post("/api/v1/notifications/read", json={"all": True}).status_code == 400  # no CSRF
    for bad in ({}, {"all": False}, {"ids": "1"}, {"ids": [1], "all": True}, {"ids": [True]}):
        assert other.send("POST", "/api/v1/notifications/read", bad).status_code == 400, bad
    assert read_rows(db_app) == before


def test_bad_ids_are_refused_naming_the_field_and_what_is_allowed(db_app):  # noqa: F811
    """Marking chosen notices read: ``ids`` not a list, an item not a notice id (a string, a
    boolean, a fraction, 0, past the id column), more than 200: a 400 in the error envelope naming
    ``ids``, what is allowed and what was sent (a ``reason`` a page can word); nothing is marked."""
    mother, child_id = guardian(db_app, "mother@example.kr")
    desk = staff(db_app, "desk@daycare.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    assert book(mother, child_id, start=19, end=21).status_code == 201
    deliver(db_app)
    mine = [n["id"] for n in mother.get("/api/v1/notifications").json["notices"]]
    assert mine
    allowed = "a list of at most 200 notice ids (integers from 1, as GET /api/v1/notifications gives them)"
    before = read_rows(db_app)
    for ids, reason, says in (
            ("12", "not_a_list", f"ids must be {allowed}, such as [12, 15], not '12'"),
            ({"id": 1}, "not_a_list", f"ids must be {allowed}, such as [12, 15], not \"{{'id': 1}}\""),
            (None, "not_a_list", f"ids must be {allowed}, such as [12, 15], not 'None'"),
            ([mine[0], str(mine[0])], "not_an_id", f"ids must be {allowed}; '{mine[0]}' is not a notice id"),
            ([True], "not_an_id", f"ids must be {allowed}; 'True' is not a notice id"),
            ([1.5], "not_an_id", f"ids must be {allowed}; '1.5' is not a notice id"),
            ([0], "not_an_id", f"ids must be {allowed}; '0' is not a notice id"),
            ([2**31], "not_an_id", f"ids must be {allowed}; '{2**31}' is not a notice id"),
            (mine * 201, "too_many", f"ids must be {allowed}, not {len(mine) * 201} of them")):
        r = mother.send("POST", "/api/v1/notifications/read", {"ids": ids})
        assert r.status_code == 400, (ids, r.status_code, r.json)
        assert r.json["error"] == {"code": "invalid_parameter", "field": "ids", "reason": reason,
                                   "message": says}, r.json
    assert read_rows(db_app) == before
    r = mother.send("POST", "/api/v1/notifications/read", {"ids": mine[:1] * 200})  # 200: allowed
    assert r.status_code == 200 and r.json["marked"] == 1, r.json
    assert mother.send("POST", "/api/v1/notifications/read", {"ids": []}).json["marked"] == 0
    doc = db_app.test_client().get("/api/v1/openapi.json").json
    post = doc["paths"]["/api/v1/notifications/read"]["post"]
    assert "404" in post["responses"], sorted(post["responses"])
    ids_schema = doc["components"]["schemas"]["NoticesReadInput"]["properties"]["ids"]
    assert ids_schema["maxItems"] == 200 and ids_schema["items"] == {"type": "integer", "minimum": 1,
                                                                       "maximum": 2**31 - 1}
