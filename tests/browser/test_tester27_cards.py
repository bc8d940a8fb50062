"""Tester 27's map cards, on a phone (390x844), in Korean and English:

- finding 2: a 방문형 긴급돌봄 (home-visit) result offers the emergency request, the only way to
  that care, carrying the programme, the window and the home; no directions to a provider
  that comes to the family's home (its phone stays);
- finding 4: a provider whose places are published only for the next days offers 예약하기 for
  a window inside them, and for a window after them 긴급 요청 instead (the search's
  ``books_online`` is per window now); its booking page, opened anyway, advises an earlier
  date (the window starts after the last place), not an earlier end."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
HOME_VISIT = "demo-hv-00001"  # 수원시가족센터, 031-463-9844: home_visit_emergency, the one found from HOME
OPEN = "demo-cc-00016"  # 꽃잎지역아동센터: places published here for 3 days from today
HOME = "37.257068|126.994181|권선구"  # 수원시 권선구
SAID = {
    "ko": {"request": "긴급 요청", "book": "예약하기", "home_visit": "방문형 긴급돌봄은 긴급 요청으로",
           "not_for_window": "고른 시간에는 온라인으로 예약할 수 없는", "earlier_date": "더 이른 날짜",
           "earlier_end": "더 이른 끝 시각", "locale": "ko-KR"},
    "en": {"request": "Emergency request", "book": "Book", "home_visit": "Home-visit emergency care is asked for",
           "not_for_window": "Cannot be booked online for the time you chose", "earlier_date": "earlier date",
           "earlier_end": "earlier end", "locale": "en-US"},
}


def _day(days: int, hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hh:02d}:00"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_home_visit_card_offers_the_emergency_request_and_no_directions(browser, live, artifacts, lang):
    said = SAID[lang]
    context, page, errors = steps.phone(browser, live, said["locale"])
    start, end = _day(1, 19), _day(1, 21)
    try:
        page.goto(f"{live['app']}/?lang={lang}#home={quote(HOME)}&start={start}&end={end}"
                  "&programme=home_visit_emergency")
        card = steps.map_card(page, HOME_VISIT)
        offer = card.locator(".home-visit")
        assert offer.inner_text().startswith(said["home_visit"])
        link = offer.locator("a.request-link")
        assert link.inner_text() == said["request"]
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= steps.PHONE["width"]
        href = link.get_attribute("href")
        assert href.startswith("/family/request?")
        q = parse_qs(urlsplit(href).query)
        assert q["programme"] == ["home_visit_emergency"] and q["start"] == [start] and q["end"] == [end]
        assert q["home"][0].startswith("37.257068|126.994181|") and q["lang"] == [lang]
        assert card.locator("a[href^='https://map.kakao.com']").count() == 0  # no directions: it comes to you
        assert card.locator("a[href='tel:0314639844']").count() == 1  # its phone stays
        assert card.locator("a.book-link").count() == 0
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"map-card-home-visit-{lang}-phone.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_window_after_the_published_places_offers_a_request_not_book(browser, live, artifacts, lang):
    said = SAID[lang]
    steps.publish_places(live["flask_app"], OPEN, "elementary_emergency")  # today and the next 2 days
    context, page, errors = steps.phone(browser, live, said["locale"])
    try:
        inside = f"&start={_day(1, 15)}&end={_day(1, 17)}"
        page.goto(f"{live['app']}/?lang={lang}#home={quote(HOME)}{inside}&programme=elementary_emergency")
        assert steps.map_card(page, OPEN).locator("a.book-link").inner_text() == said["book"]

        # after the last published place, and within the days an emergency request may cover
        # (request_max_days_ahead: 7; beyond them the card offers the phone instead)
        start, end = _day(5, 15), _day(5, 17)
        page.goto(f"{live['app']}/?lang={lang}#home={quote(HOME)}&start={start}&end={end}"
                  "&programme=elementary_emergency")
        page.reload()  # the hash alone changed: load the page for the new search
        card = steps.map_card(page, OPEN)
        assert card.locator("a.book-link").count() == 0
        notice = card.locator(".not-online")
        assert notice.inner_text().startswith(said["not_for_window"])
        link = notice.locator("a.request-link")
        assert link.inner_text() == said["request"]
        q = parse_qs(urlsplit(link.get_attribute("href")).query)
        assert q["programme"] == ["elementary_emergency"] and q["start"] == [start] and q["end"] == [end]
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"map-card-beyond-published-{lang}-phone.png"), full_page=True)

        # its booking page, opened anyway: the refusal advises an earlier date, not an earlier end
        steps.family_page(page, live["app"], lang)
        steps.register_child(page, "지호", "최", "2018-03-01", "최엄마", "010-1111-2222")
        page.goto(f"{live['app']}/family/book?facility_id={OPEN}&programme=elementary_emergency"
                  f"&start={start}&end={end}&lang={lang}")
        steps.ready(page)
        refused = page.locator("#quote .error")
        refused.wait_for()
        text = refused.inner_text()
        assert said["earlier_date"] in text and said["earlier_end"] not in text, text
        assert page.is_disabled("#book-button")
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"book-beyond-published-{lang}-phone.png"), full_page=True)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
