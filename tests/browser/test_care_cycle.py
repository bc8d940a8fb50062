"""The whole care cycle in Chromium on phones (390x844): a guardian (in Korean) and a provider's
staff (in English) in two browser contexts.

(a) The guardian signs up, gives the consents, registers a child, finds the provider on the
map, books; the staff confirm in their inbox; the guardian's page shows it confirmed.
(b) The emergency path: booking the second provider fails (no places opened), and the guardian
sends a request instead (긴급돌봄 요청) that two providers can take
(ranked with :func:`app.search.ranking.rank`, offered one at a time); the first provider's staff
see the offer appear without a reload and decline it; the second's offer is left to lapse (the
test moves the live app's deadlines with ``MatchingEngine.fire_due``); the guardian's page then
shows the request passed to people, without a reload, and the admins' queue lists it.
(c) An answer that comes too late: the family cancels while the offer is on the staff's screen;
their accept is refused (409), said, and the offer dropped. (d) A request the staff accept: the
family's page names the provider, without a reload, and links to the booking the acceptance
made (its card on /family)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from app.api.care_requests import engine
from app.care.rules import age_in_months
from app.search.ranking import rank

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL

pytestmark = pytest.mark.browser

BIRTH = date(2017, 5, 5)  # elementary school age: 초등 긴급돌봄


def _day() -> date:
    return datetime.now(SEOUL).date() + timedelta(days=1)


def _at(hh: int) -> str:
    return f"{_day().isoformat()}T{hh:02d}:00"


def _two_providers(flask_app) -> tuple[list[str], dict[str, float]]:
    """The providers the matching engine will offer a request at the centre's own address to,
    best first (the centre itself first), and that address as the map's home."""
    index = flask_app.extensions["dolbom_registry"].index
    centre = index.by_id[CENTRE]
    start = datetime.fromisoformat(_at(15)).replace(tzinfo=SEOUL)
    hits = rank(index, "elementary_emergency", age_in_months(BIRTH, _day()), start, start + timedelta(hours=3),
                (centre.lon, centre.lat), datetime.now(UTC), 10)
    ranked = [h.facility.id for h in hits]
    assert ranked[:1] == [CENTRE] and len(ranked) >= 2, ranked
    return ranked[:2], {"lat": centre.lat, "lon": centre.lon}


def _fire_deadlines_after(flask_app, minutes: int) -> None:
    """Run the live app's deadline tick as if ``minutes`` had passed (its clock is not started in
    the test server)."""
    with flask_app.app_context():
        engine().fire_due(datetime.now(UTC) + timedelta(minutes=minutes))


def _request_offered(family, desk, url: str):
    """Send an emergency request from the request page at ``url``; it is offered to the desk's
    provider within 2 s. Returns the offer's item in the desk's inbox."""
    family.goto(url)
    steps.ready(family)
    family.tap("#request-button")
    family.locator("#request-state[data-status=requested]").wait_for()
    offer = desk.locator("#new-offers li")
    offer.wait_for(timeout=2000)
    return offer


def test_book_then_an_emergency_request_unmatched_then_a_late_answer(browser, live, artifacts):
    app_url, flask_app = live["app"], live["flask_app"]
    ranked, home = _two_providers(flask_app)
    home_arg = f"{home['lat']}|{home['lon']}|파장동"
    saved = {k: flask_app.config[k] for k in ("CARE_OFFER_MODE", "CARE_MATCH_MAX_PROVIDERS")}
    flask_app.config.update(CARE_OFFER_MODE="sequential", CARE_MATCH_MAX_PROVIDERS=2)
    contexts = []
    try:
        desk_context, desk, desk_errors = steps.phone(browser, live, "en-US")
        family_context, family, family_errors = steps.phone(browser, live, "ko-KR")
        contexts += [desk_context, family_context]
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=en")
        steps.ready(desk)
        steps.open_places(desk)

        # (a) sign up, consents, a child; the map; book; the staff confirm; the family sees it
        steps.sign_up(family, app_url, "ko", "/family?lang=ko")
        family.wait_for_url("**/family?lang=ko")
        steps.ready(family)
        steps.register_child(family, "서윤", "박", BIRTH.isoformat(), "박민수", "010-4567-8901")

        steps.book_from_map(family, f"{app_url}/?lang=ko#home={home_arg}&start={_at(19)}&end={_at(21)}"
                                    "&programme=elementary_emergency", CENTRE)
        booking = steps.book_for_the_desk(family, desk)
        booking.locator("button[data-action=confirm]").tap()
        desk.locator("#inbox-status", has_text="Booking accepted").wait_for()
        confirmed = family.locator("#booking-state[data-status=accepted]")
        confirmed.wait_for(timeout=5000)
        assert "확정됨" in confirmed.inner_text()

        # (b) no place to book at the second provider (it opens none: no form, its notice instead):
        # an emergency request instead, carrying the programme, the window, the home from the map
        # and the child
        family.goto(f"{app_url}/family/book?lang=ko&facility_id={ranked[1]}&programme=elementary_emergency"
                    f"&start={_at(15)}&end={_at(18)}&home={home_arg}")
        steps.ready(family)
        assert family.is_hidden("#book-form")
        family.locator("#notice-request").tap()
        family.wait_for_url("**/family/request?**")
        steps.ready(family)
        assert "파장동" in family.inner_text(".chosen[data-kind=home]")
        assert family.input_value("input[name=from]") == "15:00"
        # a place is typed as on the map; care at home takes only the home
        family.locator("input[name=place][value=work]").check()
        family.fill("input[name=work_q]", "파장동")
        family.tap("button.find[data-kind=work]")
        family.locator(".place-results[data-kind=work] button").first.tap()
        assert "파장동" in family.inner_text(".chosen[data-kind=work]")
        family.select_option("select[name=programme]", "home_visit_emergency")
        assert family.locator("input[name=place][value=work]").is_disabled()
        assert family.locator("input[name=place][value=home]").is_checked()
        assert family.locator("#home-only").is_visible() and family.locator(".place-pick[data-kind=work]").is_hidden()
        family.select_option("select[name=programme]", "elementary_emergency")
        steps.fits(family)
        steps.accessible(family)
        family.screenshot(path=str(artifacts / "care-request-phone.png"), full_page=True)
        family.tap("#request-button")
        state = family.locator("#request-state")
        family.locator("#request-state[data-status=requested]").wait_for()
        sent_at = time.monotonic()
        assert "기관에 묻는 중" in state.inner_text()

        offer = desk.locator("#new-offers li")
        offer.wait_for(timeout=2000)  # within 2 s, without a reload
        assert time.monotonic() - sent_at < 2.0 and desk.evaluate("window.__sameLoad") is True
        assert "서윤" not in offer.inner_text()  # named once staff show the child (a logged read; tester 28)
        offer.locator(".child-detail button[data-child=show]").tap()
        offer.locator("h4", has_text="서윤").wait_for(timeout=2000)
        text = offer.inner_text()
        assert "서윤" in text and "박" not in text and "Elementary emergency care" in text and "Suwon-si" in text
        assert re.search(r"\d+:\d\d left to answer", text), text
        countdown = offer.locator(".countdown").inner_text()
        desk.wait_for_function("(was) => document.querySelector('#new-offers .countdown').textContent !== was",
                               arg=countdown, timeout=2500)  # it counts down
        assert "파장동" not in text and "010-" not in text  # no place, no contact before accepting
        steps.fits(desk)
        steps.accessible(desk)
        desk.screenshot(path=str(artifacts / "provider-offer-phone.png"), full_page=True)
        offer.locator("button[data-action=decline]").tap()
        offer.locator(".decline .other-reason").fill("정원이 찼습니다")
        offer.locator("button[data-action=decline-send]").tap()
        desk.locator("#inbox-status", has_text="Request declined").wait_for()
        desk.locator("#offers-empty").wait_for()

        # the second provider never answers: its deadline passes
        _fire_deadlines_after(flask_app, flask_app.config["CARE_OFFER_RESPONSE_MINUTES"] + 1)
        family.locator("#request-state[data-status=unmatched]").wait_for(timeout=5000)
        assert "담당자에게 넘김" in state.inner_text() and "전화" in state.inner_text()
        family.screenshot(path=str(artifacts / "care-request-unmatched-phone.png"), full_page=True)
        unmatched_id = family.get_attribute("#request-state .request", "data-id")
        with flask_app.app_context():
            answers = [(o.facility_id, o.status) for o in engine().offers_of(unmatched_id)]
        assert answers == [(ranked[0], "rejected"), (ranked[1], "expired")]

        admin_context, admin, admin_errors = steps.phone(browser, live, "en-US")
        contexts.append(admin_context)
        queued = steps.admin_queue_item(admin, app_url, flask_app, "en", unmatched_id)
        assert "Elementary emergency care" in queued.inner_text() and "Suwon-si" in queued.inner_text()
        assert "Waiting since" in queued.inner_text() and "서윤" not in admin.inner_text("#queue")
        steps.fits(admin)
        steps.accessible(admin)

        # (c) the family asks again for the same hours: refused while the unmatched request waits
        # for a call (one open request per child and window), sent once the family cancels it;
        # then the family cancels while the offer is on the staff's screen: the late accept is refused
        request_url = (f"{app_url}/family/request?lang=ko&programme=elementary_emergency&home={home_arg}"
                       f"&start={_at(15)}&end={_at(18)}")
        family.goto(request_url)
        steps.ready(family)
        with family.expect_response(lambda r: r.url.endswith("/api/v1/care-requests") and
                                    r.request.method == "POST") as refused:
            family.tap("#request-button")
        assert refused.value.status == 409
        assert refused.value.json()["error"]["code"] == "child_already_requested"
        assert family.locator("#request-state[data-status=requested]").count() == 0
        with flask_app.app_context():
            waiting = engine().get(unmatched_id)
            engine().cancel(unmatched_id, "guardian", waiting.guardian_id, datetime.now(UTC))
        offer = _request_offered(family, desk, request_url)
        # the staff's screen keeps the offer as it was read (the list is not asked again until
        # they answer), so the answer meets the cancelled request
        stale = desk.evaluate("fetch('/api/v1/offers?facility_id=" + CENTRE + "').then((r) => r.text())")
        assert len(json.loads(stale)["offers"]) == 1
        answered = []
        desk.route(re.compile(r"/api/v1/offers\?facility_id="), lambda route: route.continue_() if answered
                   else route.fulfill(status=200, content_type="application/json", body=stale))
        desk.route(re.compile(r"/api/v1/offers/[^/?]+/accept"), lambda route: (answered.append(1),
                                                                              route.continue_()))
        family.locator("#request-state button[data-action=cancel]").tap()
        family.locator("#request-state button[data-action=cancel-yes]").tap()
        family.locator("#request-state[data-status=cancelled]").wait_for()
        offer.locator("button[data-action=accept]").tap()
        desk.locator("#inbox-status", has_text="the family cancelled it").wait_for()
        desk.locator("#offers-empty").wait_for()
        assert desk.locator("#new-offers li.offer").count() == 0  # said where it was (tester 25 finding 6)
        desk.locator("#new-offers li.offer-ended button[data-action=dismiss]").tap()

        desk.unroute_all()

        # (d) accepted: the family's page names the provider, without a reload
        offer = _request_offered(family, desk, request_url)
        offer.locator(".child-detail button[data-child=show]").tap()  # the status names whom staff saw
        offer.locator("h4", has_text="서윤").wait_for(timeout=2000)
        offer.locator("button[data-action=accept]").tap()
        desk.locator("#inbox-status", has_text="You accepted to take 서윤").wait_for()
        family.locator("#request-state [data-provider]").wait_for(timeout=5000)
        assert "사랑지역아동센터에서 아이를 맡기로" in state.inner_text() and "맡을 기관 정해짐" in state.inner_text()
        # the acceptance booked the child there: the request links to that booking's card on /family
        link = family.locator("#request-state a.booking-link")
        booking_id = link.get_attribute("data-booking")
        accepted_id = family.get_attribute("#request-state .request", "data-id")
        assert booking_id and link.inner_text() == "예약 보기"
        link.tap()
        family.wait_for_url(f"**/family?lang=ko#booking-{booking_id}")
        steps.ready(family)
        booked = family.locator(f"#bookings #booking-{booking_id}")
        booked.wait_for()
        assert booked.get_attribute("data-status") == "accepted" and "사랑지역아동센터" in booked.inner_text()

        # the family page lists the requests with their outcomes
        family.goto(f"{app_url}/family?lang=ko")
        steps.ready(family)
        for status, count in (("cancelled", 2), ("accepted", 1)):  # the unmatched one was cancelled in (c)
            assert family.locator(f"#care-requests [data-status={status}]").count() == count, status
        family.locator("#care-requests [data-provider]").wait_for()
        assert family.locator(f"#care-requests a.booking-link[href='#booking-{booking_id}']").count() == 1
        # the request's own page (?request_id=) follows it: no form, the card with the link
        family.goto(f"{app_url}/family/request?lang=ko&request_id={accepted_id}")
        steps.ready(family)
        family.locator("#request-state [data-provider]").wait_for(timeout=5000)
        assert family.locator("#request-form").is_hidden()
        assert family.get_attribute("#request-state a.booking-link", "data-booking") == booking_id
        # the 409s are the browser's console lines for answers the pages explain
        assert [e for e in desk_errors + family_errors if "status of 409" not in e] == []
        assert admin_errors == []
    finally:
        flask_app.config.update(saved)
        for c in contexts:
            c.close()
