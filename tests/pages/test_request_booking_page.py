"""A matched emergency request on the guardian's pages (app.pages.family) without a browser:
``/family/request?request_id=…`` shows the provider and a link to the booking the acceptance
made (its card on /family), follows the booking's moves, and is the 404 page for a request
that is not the guardian's; the provider's inbox lists that booking in today's list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.care.bookings import book_accepted_offer
from app.db.engine import users
from app.db.request_tables import care_requests, offers
from app.extensions.care import get_bookings
from app.extensions.db import get_engine
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    PASSWORD,
    app,
    clock,
    make_app,
    sign_in,
)
from tests.pages.test_family_pages import DAYCARE, guardian_client, page_config, staff_client

PROGRAMME = "always_daycare"
PROVIDER = "시립힐즈파크어린이집"  # DAYCARE's name in the tiny registry


def user_id(app, email: str) -> str:  # noqa: F811
    with app.app_context(), get_engine().connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one()


def a_request(app, guardian_id: str, matched: bool) -> tuple[str, str | None]:  # noqa: F811
    """A request of the guardian's for tomorrow evening; ``matched``: DAYCARE accepted it, which
    booked the child there (as MatchingEngine.accept does). (request id, booking id)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0)  # 18:00 in Seoul
    end = start + timedelta(hours=3)
    request_id, offer_id = uuid.uuid4().hex, uuid.uuid4().hex
    with app.app_context(), get_engine().begin() as conn:
        conn.execute(care_requests.insert().values(
            id=request_id, guardian_id=guardian_id, child_id="child-1", programme=PROGRAMME,
            window_start=start, window_end=end, place_kind="home", lon=127.2, lat=37.63, sigungu_code="41360",
            status="accepted" if matched else "requested", version=2, match_by=now + timedelta(hours=1),
            offer_mode="sequential", offer_batch=1, response_minutes=10, candidates=[DAYCARE], offered_count=1,
            unmatched_at=None, created_at=now, updated_at=now))
        conn.execute(offers.insert().values(
            id=offer_id, request_id=request_id, facility_id=DAYCARE, rank=1,
            status="accepted" if matched else "requested", respond_by=now + timedelta(minutes=10), version=1,
            created_at=now, updated_at=now, responded_by="staff" if matched else None))
        if not matched:
            return request_id, None
        booking = book_accepted_offer(
            conn, facility_id=DAYCARE, programme=PROGRAMME, child_id="child-1", guardian_id=guardian_id,
            start=start, end=end, request_id=request_id, offer_id=offer_id, staff_role="provider_staff",
            staff_id="staff", at=now)
    return request_id, booking.id


def test_a_matched_request_shows_the_provider_and_links_to_its_booking(app):  # noqa: F811
    client = guardian_client(app)
    request_id, booking_id = a_request(app, user_id(app, "mom@example.com"), matched=True)
    r = client.get(f"/family/request?request_id={request_id}&lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'<a class="booking-link" id="request-booking" href="/family?lang=en#booking-{booking_id}">' \
           "See the booking</a>" in html
    assert f"Provider: {PROVIDER}" in html and 'data-status="accepted"' in html
    assert page_config(html)["request_id"] == request_id  # the script follows it from there
    korean = client.get(f"/family/request?request_id={request_id}").get_data(as_text=True)
    assert f'href="/family?lang=ko#booking-{booking_id}">예약 보기</a>' in korean
    assert f"맡은 기관: {PROVIDER}" in korean
    # the family page's script draws the same link (its messages carry the words)
    family = page_config(client.get("/family?lang=en").get_data(as_text=True))
    assert family["messages"]["request_see_booking"] == "See the booking"
    # and the API the scripts read names the booking
    assert client.get(f"/api/v1/care-requests/{request_id}").get_json()["booking_id"] == booking_id
    assert [b["booking_id"] for b in client.get("/api/v1/care-requests").get_json()["care_requests"]] == [booking_id]


def test_the_request_page_follows_the_booking(app):  # noqa: F811
    client = guardian_client(app)
    request_id, booking_id = a_request(app, user_id(app, "mom@example.com"), matched=True)
    with app.app_context():
        store = get_bookings()
        store.transition(booking_id, "check_in", "provider_staff", "staff", now=store.get(booking_id).start)
    html = client.get(f"/family/request?request_id={request_id}&lang=en").get_data(as_text=True)
    assert 'data-status="in-progress"' in html and "In care" in html and f"#booking-{booking_id}" in html
    assert client.get(f"/api/v1/care-requests/{request_id}").get_json()["status"] == "in-progress"


def test_a_request_not_yet_matched_has_no_booking_link(app):  # noqa: F811
    client = guardian_client(app)
    request_id, _ = a_request(app, user_id(app, "mom@example.com"), matched=False)
    html = client.get(f"/family/request?request_id={request_id}&lang=en").get_data(as_text=True)
    assert 'data-status="requested"' in html and "Asking providers" in html
    assert 'id="request-booking"' not in html and 'id="request-provider"' not in html


def test_another_familys_request_is_the_404_page(app):  # noqa: F811
    guardian_client(app, "dad@example.com")
    request_id, _ = a_request(app, user_id(app, "dad@example.com"), matched=True)
    client = guardian_client(app)
    for asked in (request_id, "no-such-request"):
        r = client.get(f"/family/request?request_id={asked}&lang=en")
        assert r.status_code == 404
        html = r.get_data(as_text=True)
        assert "You have no such emergency request." in html and "#booking-" not in html


def test_the_providers_inbox_lists_the_booking_an_acceptance_made_today(app, clock):  # noqa: F811
    guardian_client(app)
    _, booking_id = a_request(app, user_id(app, "mom@example.com"), matched=True)
    staff = staff_client(app, "desk@dc.kr", DAYCARE)
    with app.app_context():
        booking = get_bookings().get(booking_id)
    day = booking.start.astimezone(UTC).date().isoformat()  # 18:00 in Seoul: the same date
    today = staff.get(f"/api/v1/bookings?facility_id={DAYCARE}&day={day}").get_json()["bookings"]
    assert [(b["id"], b["status"]) for b in today] == [(booking_id, "accepted")]
    # check-in opens an hour before tomorrow's start: not listed yet
    assert "cancel" in today[0]["allowed_actions"] and "check_in" not in today[0]["allowed_actions"]
