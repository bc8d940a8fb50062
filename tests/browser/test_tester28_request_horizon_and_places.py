"""Tester 28, findings 5 and 7 ("Place search on the request form"), on a phone (390x844), in
Korean and English:

- a map card offers "긴급 요청 / Emergency request" only for a window an emergency request can
  cover (``request_max_days_ahead``, app/reference/booking_rules.json); beyond it the card says
  why, until when a request can start, and offers the provider's phone;
- the booking page and the request page name one latest start for that limit: the one the API
  refuses by (app/care/matching.py latest_request_start, on the window step);
- the request form's place search says what the map's says when nothing matches: "did you
  mean" the API's suggestions (연천군청: 경기도 연천군), each looked up in turn;
- a matched request the family may no longer cancel says so from the request's own
  ``actions_closed`` (as its booking's), without reading the booking."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from app.care.matching import latest_request_start
from app.commands.demo import birth_date_for
from app.reference import document

from . import care_steps as steps
from .test_family_cancel_cutoff import SAID as CLOSED_SAID
from .test_family_live_states import _family, _staff
from .test_signed_out_live_pages import LOCALE
from .test_tester27_request_cancel_closed import _matched_started
from .test_tester_pass_24_family import _family_with, _refuse_quote

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
HORIZON_DAYS = document("booking_rules.json")["request_max_days_ahead"]
CLOSED = "demo-cc-00015"  # 해님지역아동센터 (수원 권선구), 031-476-8062: no places opened in the browser tests
CENTRE = "demo-cc-00037"  # 교동지역아동센터: places opened by the booking page's test
HOME = "37.257068|126.994181|권선구"  # at 해님지역아동센터
PROGRAMME = "elementary_emergency"
SAID = {
    "ko": {"too_far": "긴급돌봄 요청은 앞으로 7일 안", "not_online": "고른 시간에는 온라인으로 예약할 수 없는 곳입니다",
           "call": "전화하기 031-476-8062", "unknown": "찾을 수 없는 장소입니다", "mean": "이것을 찾으셨나요?"},
    "en": {"too_far": "An emergency request is only for care starting within the next 7 days",
           "not_online": "Cannot be booked online for the time you chose",
           "call": "Call 031-476-8062", "unknown": "Place not found.", "mean": "Did you mean:"},
}
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _day(days: int) -> date:
    return datetime.now(SEOUL).date() + timedelta(days=days)


def _at(day: date, hh: int) -> str:
    return f"{day.isoformat()}T{hh:02d}:00"


def _latest(before: datetime) -> set[str]:
    """The latest request start the API names, "YYYY-MM-DD HH:MM", for a moment between
    ``before`` and now (two values when a window step passed meanwhile)."""
    return {latest_request_start(at, SEOUL).strftime("%Y-%m-%d %H:%M") for at in (before, datetime.now(UTC))}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_map_card_beyond_the_request_horizon_says_why_and_offers_the_phone(browser, live, artifacts, lang):
    said = SAID[lang]
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    far = _day(HORIZON_DAYS + 3)
    try:
        before = datetime.now(UTC)
        page.goto(f"{live['app']}/?lang={lang}#home={quote(HOME)}&start={_at(far, 15)}&end={_at(far, 17)}"
                  f"&programme={PROGRAMME}")
        item = steps.map_card(page, CLOSED)
        notice = item.locator(".not-online")
        assert notice.inner_text().startswith(said["not_online"])
        assert item.locator("a.request-link").count() == 0  # no request the request page would refuse
        why = notice.locator(".request-too-far")
        assert why.inner_text().startswith(said["too_far"])
        assert TIME.search(why.inner_text()).group(0) in _latest(before)
        call = why.locator("a.call")
        assert call.inner_text() == said["call"] and call.get_attribute("href") == "tel:0314768062"
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"map-card-beyond-request-horizon-{lang}.png"), full_page=True)

        # within the horizon the same card offers the request
        near = _day(1)
        page.goto(f"{live['app']}/?lang={lang}#home={quote(HOME)}&start={_at(near, 15)}&end={_at(near, 17)}"
                  f"&programme={PROGRAMME}")
        page.reload()
        item = page.locator(f"#result-list li[data-id={CLOSED}]")
        item.wait_for()
        assert item.locator(".not-online a.request-link").count() == 1
        assert item.locator(".request-too-far").count() == 0
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_booking_and_request_pages_name_one_latest_start(browser, live, lang):
    steps.publish_places(live["flask_app"], CENTRE, PROGRAMME)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    far = _day(HORIZON_DAYS + 1)
    try:
        ids = _family_with(page, app_url, lang, [("서준", birth_date_for(8, _day(0)))])
        before = datetime.now(UTC)
        _refuse_quote(page, "not_bookable")
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme={PROGRAMME}&lang={lang}"
                  f"&start={_at(far, 19)}&end={_at(far, 21)}&home={quote(HOME)}")
        steps.ready(page)
        page.locator("#quote .hint").wait_for()
        booking_says = TIME.search(page.inner_text("#quote .hint")).group(0)

        page.goto(f"{app_url}/family/request?lang={lang}&programme={PROGRAMME}&start={_at(far, 19)}"
                  f"&end={_at(far, 21)}&home={quote(HOME)}&child_id={ids['서준']}")
        steps.ready(page)
        page.tap("#request-button")
        page.locator("#request-error", has_text=TIME).wait_for()
        request_says = TIME.search(page.inner_text("#request-error")).group(0)
        latest = _latest(before)
        assert booking_says in latest and request_says in latest
        if len(latest) == 1:
            assert booking_says == request_says
        # the page's day field stops on the same day
        assert page.get_attribute("input[name=day]", "max") == request_says[:10]
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_request_form_suggests_places_as_the_map_does(browser, live, lang):
    said = SAID[lang]
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    tomorrow = _day(1)
    try:
        _family_with(page, app_url, lang, [("서준", birth_date_for(8, _day(0)))])
        page.goto(f"{app_url}/family/request?lang={lang}&programme={PROGRAMME}"
                  f"&start={_at(tomorrow, 19)}&end={_at(tomorrow, 21)}")
        steps.ready(page)
        page.fill("input[name=home_q]", "연천군청")
        page.tap("button.find[data-kind=home]")
        unknown = page.locator(".place-results[data-kind=home] .unknown-place")
        unknown.wait_for()
        text = unknown.inner_text()
        assert text.startswith(said["unknown"]) and said["mean"] in text
        suggestion = unknown.locator("button", has_text=re.compile("^경기도 연천군$"))
        assert suggestion.count() == 1
        suggestion.tap()
        assert page.input_value("input[name=home_q]") == "경기도 연천군"
        page.locator(".place-results[data-kind=home] li button").first.tap()
        assert {"ko": "연천", "en": "Yeoncheon"}[lang] in page.inner_text(".chosen[data-kind=home]")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_matched_request_says_its_cancel_closed_without_reading_its_booking(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email, guardian_id, child_id = _family(flask_app)
    request_id = _matched_started(flask_app, guardian_id, child_id, _staff(flask_app))
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    read = []
    page.on("request", lambda r: read.append(r.url))
    try:
        steps.sign_in(page, app_url, email, f"/family/request?lang={lang}&request_id={request_id}")
        steps.ready(page)
        card = page.locator(f"#request-state .card.request[data-id='{request_id}']")
        card.locator(".cancel-closed a.call").wait_for(timeout=5000)
        assert card.locator(".cancel-closed").inner_text().startswith(CLOSED_SAID[lang]["closed"])
        assert card.locator("button[data-action=cancel]").count() == 0
        assert not [u for u in read if "/api/v1/bookings" in u], read
        body = page.evaluate(f"fetch('/api/v1/care-requests/{request_id}').then((r) => r.json())")
        booking = page.evaluate(f"fetch('/api/v1/bookings/{body['booking_id']}').then((r) => r.json())")
        assert body["actions_closed"] == booking["actions_closed"] and "cancel" in body["actions_closed"]
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_not_online_booking_page_beyond_the_horizon_offers_no_request(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    far = _day(HORIZON_DAYS + 3)
    try:
        steps.family_page(page, app_url, lang)
        before = datetime.now(UTC)
        page.goto(f"{app_url}/family/book?facility_id={CLOSED}&programme={PROGRAMME}&start={_at(far, 15)}"
                  f"&end={_at(far, 17)}&home={quote(HOME)}&lang={lang}")
        steps.ready(page)
        assert page.locator("#notice-request").count() == 0
        why = page.inner_text("#not-online #notice-too-far")
        assert TIME.search(why).group(0) in _latest(before)
        assert page.get_attribute("#call-provider", "href") == "tel:031-476-8062"
        assert page.is_visible("#notice-map")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
