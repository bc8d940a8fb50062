"""What a tester of the family pages and the map met on a phone, each seen in Chromium, in
Korean and English where the words matter:

- /family/book from a 초등 (6-12 years) card: the child the programme takes is preselected, the
  other offered disabled with why; the child form's relation has no default;
- the request page offers the children the chosen programme takes (the others disabled, with why);
  opened with ?child_id= it picks that child when the programme takes it, else none, saying why;
- an end equal to the start on the booking and request pages is refused, saying a window has a
  positive length and its maximum (not read as 24 hours);
- the "nothing found" card of a provider found without the window (closed for part of it) offers
  an emergency request, not 예약하기;
- the failed-tiles notice is one small line, taps pass through it, and it closes;
- 내 위치 tapped before the map's outlines arrive searches once."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for

from . import care_steps as steps
from .test_pages import wait_until

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00037"  # 교동지역아동센터: 초등 시설형 긴급돌봄, 72-215 months (the programme: 72-155)
HOME = "37.5345|126.8125|오정구"
LOCALE = {"ko": "ko-KR", "en": "en-US"}
SAID = {
    "ko": {"not_eligible": "김지우(4세 3개월)는 예약할 수 없습니다: "
                           "이 기관의 초등 시설형 긴급돌봄은 72~155개월",
           "same": "시작과 끝 시각이 같습니다. 돌봄 시간은 0분보다 길어야 합니다(15분 단위, 최대 23시간 45분",
           "relation": "아이와의 관계",
           "request_not_eligible": "김지우(4세 3개월)는 초등 시설형 긴급돌봄 대상이 아닙니다: 72~155개월"},
    "en": {"not_eligible": "김지우 (4 y 3 m) cannot be booked: "
                           "Elementary emergency care here takes children aged 72–155",
           "same": "The start and end times are the same. Care must last longer than 0 minutes (in 15-minute steps, "
                   "at most 23 h 45 min",
           "relation": "Your relation to the child",
           "request_not_eligible": "김지우 (4 y 3 m) cannot be sent for Elementary emergency care: it takes children "
                                   "aged 72–155"},
}


def _tomorrow(hh: int) -> str:
    return f"{(datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()}T{hh:02d}:00"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_child_the_programme_takes_is_picked_and_an_empty_window_is_refused(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    today = datetime.now(SEOUL).date()
    try:
        steps.family_page(page, app_url, lang)
        # the relation has no default: saving without choosing one says so
        page.tap("#add-child")
        assert page.input_value("select[name=relation]") == ""
        page.tap("#child-form button[type=submit]")
        assert SAID[lang]["relation"] in page.inner_text("#child-form-error")  # with every other missing field
        page.tap("#child-cancel")
        # 지우 first (4 years 3 months), then 서준 (8): the first child is the one not taken
        steps.register_child(page, "지우", "김", birth_date_for(4, today).isoformat(), "김하늘", "010-0000-0000")
        steps.register_child(page, "서준", "김", birth_date_for(8, today).isoformat(), "김하늘", "010-0000-0000")

        start, end = _tomorrow(19), _tomorrow(21)
        steps.publish_places(live["flask_app"], CENTRE, "elementary_emergency")  # the form shows where places are
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                  f"&start={start}&end={end}&home={HOME}")
        steps.ready(page)
        picked = page.locator("select[name=child] option:checked")
        assert "서준" in picked.inner_text()
        jiwoo = page.locator("select[name=child] option", has_text="지우")
        assert jiwoo.is_disabled()
        assert SAID[lang]["not_eligible"] in page.inner_text("#child-note")
        page.locator("#quote p:not(.error)").last.wait_for()
        assert page.is_enabled("#book-button")
        steps.fits(page)

        # an end equal to the start: refused, never 24 hours
        page.fill("input[name=to]", "19:00")
        page.dispatch_event("input[name=to]", "change")
        assert page.inner_text("#quote .error").startswith(SAID[lang]["same"])
        assert page.is_disabled("#book-button") and page.is_hidden("#overnight")

        page.goto(f"{app_url}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
                  f"&start={start}&end={start}")
        steps.ready(page)
        page.tap("#request-button")
        assert page.inner_text("#request-error").startswith(SAID[lang]["same"])
        assert page.is_hidden("#request-state")
        # the request page offers the children the chosen programme takes, as the booking page does
        assert "서준" in page.locator("select[name=child] option:checked").inner_text()
        assert page.locator("select[name=child] option", has_text="지우").is_disabled()
        assert SAID[lang]["request_not_eligible"] in page.inner_text("#child-note")
        page.select_option("select[name=programme]", "always_daycare")  # 6-83 months: 지우, not 서준
        assert "지우" in page.locator("select[name=child] option:checked").inner_text()
        assert page.locator("select[name=child] option", has_text="서준").is_disabled()
        steps.fits(page)
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()


CHILD_IDS = "fetch('/api/v1/children').then((r) => r.json()).then((b) => Object.fromEntries(" \
            "b.children.map((c) => [c.given_name, c.id])))"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_request_page_picks_the_child_its_link_names_when_the_programme_takes_it(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    today = datetime.now(SEOUL).date()
    try:
        steps.family_page(page, app_url, lang)
        # listed youngest first: 지우 (4, not taken), 하준 (7, the picker's own choice), 서준 (9)
        for given, years in (("지우", 4), ("서준", 9), ("하준", 7)):
            steps.register_child(page, given, "김", birth_date_for(years, today).isoformat(), "김하늘", "010-0000-0000")
        ids = page.evaluate(CHILD_IDS)
        link = (f"{app_url}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
                f"&start={_tomorrow(19)}&end={_tomorrow(21)}")
        picked = page.locator("select[name=child] option:checked")
        page.goto(link)
        steps.ready(page)
        assert "하준" in picked.inner_text()
        # the link names 서준, whom the programme takes: picked over the picker's own choice
        page.goto(f"{link}&child_id={ids['서준']}")
        steps.ready(page)
        assert "서준" in picked.inner_text()
        assert page.locator("select[name=child] option").count() == 3  # no extra option for the link's child
        # the link names 지우, whom it does not take: no child picked (never another one silently),
        # and why 지우 is not
        page.goto(f"{link}&child_id={ids['지우']}")
        steps.ready(page)
        assert page.input_value("select[name=child]") == ""
        assert page.locator("select[name=child] option", has_text="지우").is_disabled()
        assert SAID[lang]["request_not_eligible"] in page.inner_text("#child-note")
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()


def _found_only_without(without: str):
    """A route answering the map's search with nothing, and as the nearest provider found
    without ``without`` the first provider the real search finds."""
    def handle(route):
        body = route.fetch().json()
        hit = (body["results"] or [body.get("empty", {}).get("nearest")])[0]
        assert hit is not None
        body.update(results=[], count=0, empty={"reasons": [], "without": without, "nearest": hit, "hotline": None})
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
    return handle


@pytest.mark.parametrize(("lang", "without"), [("ko", "window"), ("en", "window"), ("ko", "available"),
                                               ("ko", "radius")])
def test_a_provider_found_without_the_window_offers_an_emergency_request(browser, live, lang, without):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    start, end = _tomorrow(19), _tomorrow(21)
    if without == "radius":  # the nearest (아람어린이집) opens places: "Book" only where they are open
        steps.publish_places(live["flask_app"], "demo-dc-09396", "always_daycare")
    try:
        page.route(re.compile(r"/api/v1/facilities/nearest\?"), _found_only_without(without))
        page.goto(f"{live['app']}/?lang={lang}#home={HOME}&start={start}&end={end}&programme=always_daycare")
        card = page.locator("#results-empty li.result")
        card.wait_for()
        card.locator(".result-head").tap()
        if without == "radius":  # found farther away, but open and with a place: bookable
            assert card.locator("a.book-link").count() == 1
            return
        assert card.locator("a.book-link").count() == 0
        said = card.locator(".not-bookable").inner_text()
        assert said.startswith({"ko": "고른 시간 전체를 예약할 수 없습니다",
                                "en": "Cannot be booked for the whole time you chose"}[lang])
        link = card.locator(".not-bookable a.request-link")
        q = parse_qs(urlsplit(link.get_attribute("href")).query)
        assert link.get_attribute("href").startswith("/family/request?")
        assert q["start"] == [start] and q["end"] == [end] and q["programme"] == ["always_daycare"]
        steps.fits(page)
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_failed_tiles_notice_is_small_lets_taps_through_and_closes(browser, live, lang):
    context, page, _ = steps.phone(browser, live, LOCALE[lang])
    try:
        page.goto(f"{live['app']}/?lang={lang}")
        page.wait_for_selector("#tile-status:not([hidden])")
        box = page.locator("#tile-status").bounding_box()
        area = page.locator("#map").bounding_box()
        assert box["height"] <= 36 and box["width"] <= area["width"] - 40  # one short line
        # a pin under its words still takes the tap: only the close button catches taps
        page.locator("#tile-status").scroll_into_view_if_needed()
        under = page.evaluate("""(() => { const s = document.querySelector('#tile-status span').getBoundingClientRect();
          const hit = document.elementFromPoint(s.left + 5, s.top + s.height / 2);
          return hit === null ? 'nothing' : (hit.closest('#tile-status') ? 'the notice' : 'under it'); })()""")
        assert under == "under it"
        close = page.locator("#tile-status-close")
        closing = {"ko": "배경 지도 알림 닫기", "en": "Close the base map notice"}[lang]
        assert close.get_attribute("aria-label") == closing
        close.tap()
        assert page.is_hidden("#tile-status")
        page.locator(".leaflet-control-zoom-in").tap()  # more failing tiles: it stays closed
        page.wait_for_timeout(500)
        assert page.is_hidden("#tile-status")
    finally:
        context.close()


def test_my_location_tapped_before_the_outlines_arrive_searches_once(browser, live):
    context = browser.new_context(viewport=steps.PHONE, is_mobile=True, has_touch=True, locale="ko-KR",
                                  geolocation={"latitude": 37.2636, "longitude": 127.0286},
                                  permissions=["geolocation"])
    page = context.new_page()
    held = []
    searches = []
    page.route("**/geo/gyeonggi-sigungu.geojson", lambda route: held.append(route))  # the outlines wait for the test
    page.on("request", lambda r: searches.append(r.url) if "/api/v1/facilities/nearest?" in r.url else None)
    try:
        page.goto(f"{live['app']}/?lang=ko")
        wait_until(page, "!!window.dolbom")
        wait_until(page, "document.querySelector('.leaflet-container') !== null")
        assert held  # the outlines are still on their way
        page.tap("#locate-btn")
        page.wait_for_selector("#result-list li")
        held[0].continue_()
        wait_until(page, "document.querySelectorAll('.leaflet-overlay-pane path').length >= 44")
        page.wait_for_timeout(1000)
        assert len(searches) == 1, searches
    finally:
        context.close()
