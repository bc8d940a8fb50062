"""Staff reads of a child's record on phones (390x844): the admin opens the emergency contact of
an unmatched request in the queue (one logged read, shown across polls without another); the
provider's list of the day names a child by first name once staff show it (a logged read; the
list itself is polled without names)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.api.care_requests import engine
from app.care.children import CHILD_REGISTRATION, SHARE_WITH_PROVIDER, consent_version
from app.db.children_tables import child_access_log
from app.extensions.care import get_children
from app.pages import account_sessions as people

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL

pytestmark = pytest.mark.browser

BIRTH = date(2017, 5, 5)


def _unmatched_request(flask_app) -> tuple[str, str]:
    """(request id, child id) of a new family's request that no provider took in time."""
    now = datetime.now(UTC)
    with flask_app.app_context():
        guardian = people.accounts(flask_app).sign_up(f"family-{secrets.token_hex(4)}@example.com", steps.PASSWORD)
        store = get_children()
        for purpose in (CHILD_REGISTRATION, SHARE_WITH_PROVIDER):
            store.give_consent(guardian.id, purpose, consent_version(purpose), now)
        child = store.register(guardian.id, given_name="서윤", family_name="박", birth_date=BIRTH, relation="mother",
                               emergency_contact_name="박민수", emergency_contact_phone="010-4567-8901", now=now)
        day = datetime.now(SEOUL).date() + timedelta(days=1)
        start = datetime(day.year, day.month, day.day, 15, tzinfo=SEOUL)
        centre = flask_app.extensions["dolbom_registry"].index.by_id[CENTRE]
        made = engine().create(guardian.id, child.id, "elementary_emergency", start, start + timedelta(hours=3),
                               "home", (centre.lon, centre.lat), BIRTH, now)
        engine().fire_due(now + timedelta(days=2))  # every deadline passed: unmatched
        assert engine().get(made.id).status == "unmatched"
    return made.id, child.id


def _reads_of(flask_app, child_id: str) -> list[tuple]:
    with flask_app.extensions["dolbom_db"].connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(child_access_log.c.actor_role, child_access_log.c.purpose)
                                               .where(child_access_log.c.child_id == child_id))]


def test_the_admin_opens_the_contact_of_an_unmatched_request_on_a_phone(browser, live, artifacts):
    app_url, flask_app = live["app"], live["flask_app"]
    request_id, child_id = _unmatched_request(flask_app)
    context, admin, errors = steps.phone(browser, live, "ko-KR")
    try:
        queued = steps.admin_queue_item(admin, app_url, flask_app, "ko", request_id)
        assert "010-4567-8901" not in queued.inner_text() and _reads_of(flask_app, child_id) == []
        queued.locator("button[data-action=contact]").tap()
        detail = queued.locator("dl.contact-detail")
        detail.wait_for()
        text = detail.inner_text()
        assert "박민수" in text and "010-4567-8901" in text and "어머니" in text, text
        assert queued.locator("a[href='tel:01045678901']").count() == 1
        assert _reads_of(flask_app, child_id) == [("admin", "unmatched_request")]
        # The queue polls again: the contact stays, and nothing more is read.
        admin.wait_for_timeout(11000)
        assert queued.locator("dl.contact-detail").count() == 1
        assert _reads_of(flask_app, child_id) == [("admin", "unmatched_request")]
        steps.fits(admin)
        steps.accessible(admin)
        admin.screenshot(path=str(artifacts / "admin-queue-contact-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_the_day_list_names_each_child_by_first_name_on_a_phone(browser, live, artifacts):
    """The list's answers are stood in (a booking of today depends on the time of day): the page
    polls the list without names (tester 28: no read logged by polling), the card says 아이 until
    staff tap "Show the child", which asks the child once (a logged read) and keeps it shown
    across the polls after."""
    app_url, flask_app = live["app"], live["flask_app"]
    context, desk, errors = steps.phone(browser, live, "ko-KR")
    asked: list[str] = []
    booking = {"id": "b1", "facility_id": CENTRE, "programme": "elementary_emergency", "child_id": "c1",
               "start": datetime.now(UTC).isoformat(), "end": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
               "status": "accepted", "fhir_status": "accepted", "version": 2, "hold_expires_at": None,
               "created_at": datetime.now(UTC).isoformat(), "updated_at": datetime.now(UTC).isoformat(),
               "allowed_actions": ["cancel"]}

    def answer(route):
        asked.append("named" if "include=first_name" in route.request.url else "plain")
        route.fulfill(status=200, content_type="application/json", json={"bookings": [booking]})

    def child(route):
        asked.append("child")
        route.fulfill(status=200, content_type="application/json", json={
            "child_id": "c1", "booking_id": "b1", "first_name": "서윤", "age_months": 100, "care_notes": None,
            "emergency_contact": {"name": "박민수", "phone": "010-4567-8901"}})

    try:
        desk.route(re.compile(r"/api/v1/bookings\?facility_id=[^&]+&day="), answer)
        desk.route(re.compile(r"/api/v1/bookings/b1/child$"), child)
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=ko")
        steps.ready(desk)
        item = desk.locator("#today li[data-id=b1]")
        item.wait_for()
        assert item.locator("h4").inner_text().startswith("아이 · ")
        item.locator(".child-detail button[data-child=show]").click()
        steps.wait_until(desk, "document.querySelector('#today li[data-id=b1] h4').textContent.startsWith('서윤 · ')")
        desk.wait_for_timeout(6000)  # the list of the day is polled every 5 s
        assert "named" not in asked and asked.count("child") == 1 and asked.count("plain") >= 2, asked
        assert item.locator("h4").inner_text().startswith("서윤 · ")
        steps.fits(desk)
        desk.screenshot(path=str(artifacts / "provider-today-first-name-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
