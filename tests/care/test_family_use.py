"""A family's use of the service keeps its data from the retention purge, over HTTP on SQLite and
PostgreSQL with a moved clock (tester pass 24, finding 5: signing in, booking and sending requests
left ``guardian_activity`` where the account's set-up had put it). Every signed-in request of a
guardian is a use, written at most once an hour per family; staff requests are no family's use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.db.children_tables import guardian_activity
from app.pages import account_sessions as people
from tests.care.test_api_bookings import Person, guardian, staff
from tests.care.test_api_requests import request_care
from tests.care.test_staff_child_reads import user_id
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import clock, make_app, sign_in  # noqa: F401  (fixtures)

RETENTION_DAYS = 365


@pytest.fixture
def db_app(make_app, db_url):  # noqa: F811
    return make_app(DATABASE_URL=db_url, CARE_RETENTION_DAYS=RETENTION_DAYS)


def stamps(app) -> dict[str, object]:
    ga = guardian_activity
    with app.extensions["dolbom_db"].connect() as conn:
        return {gid: people.as_utc(at) for gid, at in conn.execute(sa.select(ga.c.guardian_id, ga.c.last_active_at))}


def signed_in_again(app, email: str) -> Person:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return Person(client)


def test_a_family_in_use_is_kept_and_an_unused_one_is_purged(db_app, clock):  # noqa: F811
    """Both families set up on day 0. On day 300 "active" signs in and looks at /family; on day
    366 the purge (365 days) removes "idle" only; "active" goes 366 days after its last use."""
    store = db_app.extensions["dolbom_care"]["children"]
    start = clock.at
    guardian(db_app, "active@example.kr")
    guardian(db_app, "idle@example.kr")
    active_id = user_id(db_app, "active@example.kr")
    clock.move(days=300)
    active = signed_in_again(db_app, "active@example.kr")
    assert active.get("/family").status_code == 200
    assert stamps(db_app)[active_id] == clock.at  # the sign-in was a use
    assert store.last_use(active_id) == {active_id: clock.at}
    export = active.get("/api/v1/me/export").json
    assert export["activity"]["last_active_at"] == clock.at.isoformat()  # the export says what the purge counts

    result = store.purge_inactive(start + timedelta(days=RETENTION_DAYS + 1), RETENTION_DAYS)
    assert (result["families"], result["kept"]) == (1, 1)
    assert people.accounts(db_app).sign_in("active@example.kr", "correct horse battery").id == active_id
    result = store.purge_inactive(clock.at + timedelta(days=RETENTION_DAYS + 1), RETENTION_DAYS)
    assert (result["families"], result["kept"]) == (1, 0)


def test_a_request_is_written_at_most_once_an_hour_and_staff_are_no_family(db_app, clock):  # noqa: F811
    """The set-up is a use (written once); reads and sending a request in the next hour write
    nothing; the first request an hour or more after the last written use writes again. A
    request not yet over counts as use until its window ends, as a booking does."""
    mother, child_id = guardian(db_app, "mother@example.kr", birth_date="2017-05-05")
    staff(db_app, "cc@example.kr", "tiny-cc-01")
    gid = user_id(db_app, "mother@example.kr")
    set_up = stamps(db_app)
    assert list(set_up) == [gid]  # staff signing in wrote nothing
    start = clock.at
    clock.move(minutes=20)
    assert mother.get("/api/v1/children").status_code == 200
    clock.move(minutes=20)
    sent = request_care(mother, child_id)
    assert sent.status_code == 201, sent.json
    assert stamps(db_app) == set_up
    for minutes in (61, 81, 101, 121):
        clock.at = start + timedelta(minutes=minutes)
        assert mother.get("/api/v1/care-requests").status_code == 200
        assert stamps(db_app)[gid] == start + timedelta(minutes=121 if minutes == 121 else 61), minutes
    store = db_app.extensions["dolbom_care"]["children"]
    assert store.last_use(gid) == {gid: datetime.fromisoformat(sent.json["end"])}
