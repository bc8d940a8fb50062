"""What a tester of the family and provider pages met on a phone, each seen in Chromium (the
API's answers that are hard to reach for real — an offer refused for want of a place, a search
that finds nothing, the same-day cutoff — are played by routes):

- /family/request without the "share with provider" consent: the booking page's consent control,
  worded for a request, and the request sent once it is given;
- /provider/inbox: an offer whose accept is refused with ``no_places`` says why and stays
  listed; the decline form of a booking picks no reason for staff;
- the map's search that finds nothing for a window, and /family/book refused for the child's age
  or the same-day cutoff, link to an emergency request carrying the programme and the window."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE = "demo-dc-09396"  # runs 언제나 어린이집 (always_daycare)
HOME = "37.5345|126.8125|오정구"
CENTRE = "demo-cc-00001"


def _tomorrow(hh: int) -> str:
    return f"{(datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()}T{hh:02d}:00"


def _json(route, status: int, body: dict) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def script_errors(errors: list[str]) -> list[str]:
    """The page's script errors, not the refusals (409, 400) the test has the API answer."""
    return [e for e in errors if not e.startswith("Failed to load resource")]


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_a_guardian_without_the_sharing_consent_gives_it_on_the_request_page(browser, live):
    context, page, errors = steps.phone(browser, live, "ko-KR")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "ko")
        steps.register_child(page, "서준", "김", "2022-03-01", "김엄마", "010-1234-5678",
                             consents=("child_registration",))  # not the sharing one

        start, end = _tomorrow(19), _tomorrow(22)
        page.goto(f"{app_url}/family/request?lang=ko&programme=always_daycare&home={HOME}&start={start}&end={end}")
        steps.ready(page)
        page.tap("#request-button")
        ask = page.locator("#request-consent .consent[data-purpose=share_with_provider]")
        ask.wait_for()
        said = page.inner_text("#request-consent")
        assert "요청을 보내려면 아래 내용에 동의해야" in said and "예약하려면" not in said
        assert page.inner_text("#give-consent") == "요청을 받아 줄 기관에 아이 정보 제공에 동의합니다"
        steps.fits(page)
        page.tap("#give-consent")
        page.locator("#request-state .request").wait_for()  # given, and the request sent again
        assert page.is_hidden("#request-form")

        # the map's search that finds nothing for a window offers an emergency request
        page.route(re.compile(r"/api/v1/facilities/nearest\?"), lambda route: _json(route, 200, {
            "results": [], "count": 0, "mode": "home", "day_type": "weekday",
            "empty": {"reasons": [], "without": None, "nearest": None, "hotline": None}}))
        page.goto(f"{app_url}/?lang=ko#home={HOME}&start={start}&end={end}&programme=always_daycare")
        link = page.locator("#results-empty a#request-emergency")
        link.wait_for()
        q = _query(link.get_attribute("href"))
        assert link.get_attribute("href").startswith("/family/request?")
        assert q["programme"] == ["always_daycare"] and q["start"] == [start] and q["end"] == [end]
        assert q["home"][0].endswith("|오정구")

        # the booking page refused for the child's age: an emergency request instead
        steps.publish_places(live["flask_app"], DAYCARE, "always_daycare")  # the form shows where places are
        page.route(re.compile(r"/api/v1/bookings/quote"), lambda route: _json(route, 409, {"error": {
            "code": "not_eligible", "field": "child", "message": "this child is 50 months old"}}))
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare&start={start}&end={end}")
        steps.ready(page)
        instead = page.locator("#quote a#emergency-instead")
        instead.wait_for()
        assert _query(instead.get_attribute("href"))["start"] == [start]

        # ... and for the same-day cutoff (a start later today)
        soon = datetime.now(SEOUL).replace(second=0, microsecond=0) + timedelta(minutes=10)
        if soon.date() == datetime.now(SEOUL).date():
            page.unroute(re.compile(r"/api/v1/bookings/quote"))
            page.route(re.compile(r"/api/v1/bookings/quote"), lambda route: _json(route, 400, {"error": {
                "code": "invalid_window", "field": "start", "message": "takes bookings for today until 12:00"}}))
            later = soon.strftime("%Y-%m-%dT%H:%M")
            page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare&start={later}"
                      f"&end={(soon + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M')}")
            steps.ready(page)
            page.locator("#quote a#emergency-instead").wait_for()
        assert script_errors(errors) == []
    finally:
        context.close()


def test_an_offer_refused_for_want_of_a_place_stays_and_no_decline_reason_is_picked(browser, live):
    context, desk, errors = steps.phone(browser, live, "ko-KR")
    app_url = live["app"]
    start, end = _tomorrow(14), _tomorrow(17)
    respond_by = (datetime.now(SEOUL) + timedelta(minutes=9)).isoformat()
    offer = {"id": "offer-1", "request_id": "req-1", "facility_id": CENTRE, "status": "offered",
             "programme": "elementary_emergency", "start": start + ":00+09:00", "end": end + ":00+09:00",
             "respond_by": respond_by, "sigun_code": None, "first_name": "서윤", "version": 1}
    booking = {"id": "booking-1", "facility_id": CENTRE, "programme": "elementary_emergency", "child_id": "c1",
               "start": start + ":00+09:00", "end": end + ":00+09:00", "status": "requested", "version": 1,
               "hold_expires_at": respond_by, "allowed_actions": ["confirm", "decline"]}
    try:
        desk.route(re.compile(r"/api/v1/offers\?facility_id="), lambda route: _json(route, 200, {"offers": [offer]}))
        desk.route(re.compile(r"/api/v1/offers/offer-1/accept"), lambda route: _json(route, 409, {"error": {
            "code": "no_places", "field": "window", "message": "no place left at the provider in the slot"}}))
        desk.route(re.compile(r"/api/v1/bookings\?status=requested"),
                   lambda route: _json(route, 200, {"bookings": [booking]}))
        steps.sign_in(desk, app_url, steps.staff_account(live["flask_app"], CENTRE), "/provider/inbox")
        steps.ready(desk)
        item = desk.locator("#new-offers li[data-id=offer-1]")
        item.locator("button[data-action=accept]").tap()
        status = desk.locator("#inbox-status", has_text="남은 자리가 없어")
        status.wait_for()
        assert "다른 기관이 먼저" not in status.inner_text() and "거절" in status.inner_text()
        desk.wait_for_timeout(1500)  # a poll or two later, still listed
        assert item.count() == 1 and desk.is_hidden("#offers-empty")

        mine = desk.locator("#new-bookings li[data-id=booking-1]")
        mine.locator("button[data-action=decline]").tap()
        assert mine.locator("input[type=radio]:checked").count() == 0
        mine.locator(".decline button.danger").tap()
        assert mine.locator(".decline .error").inner_text() == "거절 사유를 고르거나 적어 주세요."
        steps.fits(desk)
        assert script_errors(errors) == []
    finally:
        context.close()
