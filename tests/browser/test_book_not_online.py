"""A provider that publishes no places for a programme booked online, on a phone (390x844), in
Korean and English:

- the map's cards (and the widget's) offer "예약하기 / Book" only where the provider opens places
  for the programme (the search's ``books_online``); elsewhere they say it takes no bookings
  online (for the time searched) and offer "긴급 요청 / Emergency request" (the card's links keep its phone);
- its booking page (/family/book) says so and shows no booking form that could only be refused:
  its phone, an emergency request for the same window (and the family's child when only one
  fits the programme's ages) and the map's next providers for the same window."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CLOSED = "demo-cc-00015"  # 해님지역아동센터 (수원 권선구), 031-476-8062: no places opened in the browser tests
OPEN = "demo-cc-00016"  # 꽃잎지역아동센터, about 600 m away: places opened by these tests
HOME = "37.257068|126.994181|권선구"  # at 해님지역아동센터
PROGRAMME = "elementary_emergency"
SAID = {
    "ko": {"book": "예약하기", "request": "긴급 요청", "not_online": "고른 시간에는 온라인으로 예약할 수 없는 곳입니다",
           "notice": "온라인 예약 자리를 열지 않았습니다", "map": "다른 기관 찾기", "locale": "ko-KR"},
    "en": {"book": "Book", "request": "Emergency request", "not_online": "Cannot be booked online for the time",
           "notice": "opened no places for online booking", "map": "See the next providers", "locale": "en-US"},
}


def _tomorrow(hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hh:02d}:00"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_book_is_offered_only_where_places_are_open(browser, live, artifacts, lang):
    said = SAID[lang]
    steps.publish_places(live["flask_app"], OPEN, PROGRAMME)
    context, page, errors = steps.phone(browser, live, said["locale"])
    app_url = live["app"]
    start, end = _tomorrow(15), _tomorrow(17)
    try:
        steps.family_page(page, app_url, lang)
        steps.register_child(page, "지호", "최", "2018-03-01", "최엄마", "010-1111-2222")

        # the map: the open centre's card books, the closed one's asks for care instead
        page.goto(f"{app_url}/?lang={lang}#home={quote(HOME)}&start={start}&end={end}&programme={PROGRAMME}")
        opened = steps.map_card(page, OPEN)
        assert opened.locator("a.book-link").inner_text() == said["book"]
        assert opened.locator(".not-online").count() == 0
        closed = steps.map_card(page, CLOSED)
        assert closed.locator("a.book-link").count() == 0
        notice = closed.locator(".not-online")
        assert notice.inner_text().startswith(said["not_online"])
        link = notice.locator("a.request-link")
        assert link.inner_text() == said["request"]
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44
        q = parse_qs(urlsplit(link.get_attribute("href")).query)
        assert q["programme"] == [PROGRAMME] and q["start"] == [start] and q["end"] == [end]
        assert closed.locator("a[href='tel:0314768062']").count() == 1  # its phone, in the card's links
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"map-card-not-online-{lang}-phone.png"), full_page=True)

        # its booking page: the notice and its ways, no form
        page.goto(f"{app_url}/family/book?facility_id={CLOSED}&programme={PROGRAMME}&start={start}&end={end}"
                  f"&home={quote(HOME)}&lang={lang}")
        steps.ready(page)
        assert said["notice"] in page.inner_text("#not-online")
        assert page.is_hidden("#book-form") and page.locator("#book-button").is_hidden()
        assert page.get_attribute("#call-provider", "href") == "tel:031-476-8062"
        request = parse_qs(urlsplit(page.get_attribute("#notice-request", "href")).query)
        assert request["programme"] == [PROGRAMME] and request["start"] == [start] and request["end"] == [end]
        assert request["home"] == [HOME] and len(request["child_id"]) == 1  # 지호, the only child who fits
        back = page.locator("#notice-map")
        assert back.inner_text() == said["map"]
        href = back.get_attribute("href")
        assert href.startswith(f"/?lang={lang}#")
        where = parse_qs(urlsplit(href).fragment)
        assert where["programme"] == [PROGRAMME] and where["start"] == [start] and where["skip"] == [CLOSED]
        for button in ("#call-provider", "#notice-request", "#notice-map"):
            box = page.locator(button).bounding_box()
            assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= steps.PHONE["width"]
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"book-not-online-{lang}-phone.png"), full_page=True)

        # the request page takes it from there: the child and the window carried
        page.tap("#notice-request")
        page.wait_for_url("**/family/request?**")
        steps.ready(page)
        assert page.input_value("select[name=child]") == request["child_id"][0]
        assert steps.script_errors(errors) == []
    finally:
        context.close()


def test_the_widget_offers_a_request_where_nothing_is_bookable(browser, live):
    steps.publish_places(live["flask_app"], OPEN, PROGRAMME)
    context, page, errors = steps.phone(browser, live, "en-US")
    try:
        page.goto(f"{live['app']}/embed?lang=en&programme={PROGRAMME}#home={quote(HOME)}")
        opened = steps.map_card(page, OPEN)
        assert opened.locator("a.book-link").get_attribute("target") == "_blank"
        closed = steps.map_card(page, CLOSED)
        assert closed.locator("a.book-link").count() == 0
        link = closed.locator(".not-online a.request-link")
        assert link.inner_text() == "Emergency request"
        assert (link.get_attribute("target"), link.get_attribute("rel")) == ("_blank", "noopener")
        assert link.get_attribute("href").startswith("/family/request?")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
