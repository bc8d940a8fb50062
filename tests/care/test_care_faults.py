"""The care API when the database goes out of reach (SQLite file moved away; PostgreSQL behind a
proxy that stops answering): a 503 in the error envelope that changed nothing, and the same
request works once the database is back, without a restart."""

from __future__ import annotations

import time

from tests.care.test_api_bookings import Person
from tests.live.conftest import db_url, make_app, postgres_db  # noqa: F401  (fixtures)
from tests.live.test_faults import breakable  # noqa: F401  (fixture)
from tests.pages.conftest import CHEAP_ARGON2, sign_up

CHILD = {"given_name": "도윤", "family_name": "최", "birth_date": "2022-02-02", "relation": "father",
         "emergency_contact_name": "최수아", "emergency_contact_phone": "010-9876-5432"}


def test_a_write_while_the_database_is_cut_is_a_503_and_works_after(breakable, make_app):  # noqa: F811
    url, cut, restore = breakable
    app = make_app(DATABASE_URL=url, DATABASE_AUTO_MIGRATE=False, **CHEAP_ARGON2)
    client = app.test_client()
    sign_up(client, "father@example.kr")
    person = Person(client)
    for text in person.get("/api/v1/consents").json["texts"]:
        person.send("POST", "/api/v1/consents", {"purpose": text["purpose"], "version": text["version"]})
    cut()
    try:
        r = person.send("POST", "/api/v1/children", CHILD)
        assert r.status_code == 503, r.get_data(as_text=True)
        assert r.json["error"]["code"] == "database_unavailable"
    finally:
        restore()
    deadline = time.monotonic() + 10
    while (r := person.send("POST", "/api/v1/children", CHILD)).status_code == 503:
        assert time.monotonic() < deadline, "the care API did not recover"
        time.sleep(0.2)
    assert r.status_code == 201, r.json
    listed = person.get("/api/v1/children").json["children"]
    assert [c["given_name"] for c in listed] == ["도윤"]  # the refused write left nothing behind
