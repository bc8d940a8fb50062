"""Issue 14, "Pages as people use them", in a real browser: the start of a station's name
offers it, an abolished 법정동 is said to be gone, a sub-metre distance is not "0 m", a
hand-edited link says what is wrong with it, and the planner refuses a centre clicked outside
경기도 at the click."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .test_pages import wait_until
from .test_planner import admin_token, drawn, move_map, sign_in  # noqa: F401 (admin_token: a fixture)

pytestmark = pytest.mark.browser


def test_typing_the_start_of_a_station_offers_it(page, live):
    page.goto(live["app"] + "/")
    page.fill("#home-input", "광교")
    page.locator("#home-suggestions li", has_text="광교중앙역").wait_for()
    offered = page.locator("#home-suggestions li").all_inner_texts()
    assert offered[0].startswith("경기도 수원시 영통구 광교역")  # the whole name first
    page.locator("#home-suggestions li", has_text="광교중앙역").dispatch_event("mousedown")
    page.wait_for_selector("#result-list li")
    assert page.input_value("#home-input") == "경기도 수원시 영통구 광교중앙역"
    assert page.errors == []


@pytest.mark.parametrize("lang, expected", [
    ("ko", "오산동 (화성시 동탄구)은 폐지된 법정동입니다. 2026-09-29자 법정동코드 목록에"),
    ("en", "Osan-dong (Dongtan-gu, Hwaseong-si) was abolished: the 법정동 code list of "
           "2026-09-29 marks it abolished"),
])
def test_an_abolished_dong_is_said_to_be_gone(page, live, lang, expected):
    page.goto(f"{live['app']}/?lang={lang}")
    page.fill("#home-input", "화성시 동탄구 오산동")
    page.keyboard.press("Enter")
    status = page.locator("#home-status")
    status.filter(has_text=expected).wait_for()
    assert status.locator("button").count() == 0  # no "did you mean" 동 of other cities
    assert page.errors == []


@pytest.mark.parametrize("lang, detour, plain, walks", [
    ("ko", "돌아가는 거리 1 m 미만", "1 m 미만", ["12 m · 도보 1분 미만", "80 m · 도보 1분"]),
    ("en", "detour under 1 m", "under 1 m", ["12 m · under 1 min walk", "80 m · 1 min walk"]),
])
def test_a_sub_metre_distance_is_not_zero(page, live, lang, detour, plain, walks):
    page.goto(f"{live['app']}/?lang={lang}")
    page.wait_for_selector("#home-input")
    # the page's own module (the URL beside its main.js: the instance the page uses)
    texts = page.evaluate("""import(document.querySelector('script[type=module]').src
        .replace('/main.js', '/text.js')).then((m) => [
        m.nearText({ near: 'route', detour_m: 0.4, distance_m: 0.3, walking_minutes: null }),
        m.nearText({ near: 'home', distance_m: 0.99, walking_minutes: null }),
        m.nearText({ near: 'home', distance_m: 12, walking_minutes: 0 }),
        m.nearText({ near: 'home', distance_m: 80, walking_minutes: 1 }),
        m.distanceText(0), m.distanceText(1), m.distanceText(999.4), m.distanceText(999.6),
        m.distanceText(1500)])""")
    assert texts[0].startswith(detour + " · ") and "+0" not in texts[0]
    assert plain in texts[0].split(" · ")[1]  # "… from home or work"
    assert texts[1] == plain
    assert texts[2:4] == walks  # a walk of a few metres is not "0 min"
    assert texts[4:] == [plain, "1 m", "999 m", "1.0 km", "1.5 km"]
    assert page.errors == []


@pytest.mark.parametrize("lang, link, expected", [
    ("ko", "home=10|10|x",
     "링크의 집 위치(10|10|x)를 쓸 수 없습니다: 10, 10은 대한민국 밖입니다(위도 33~39, 경도 124~132만 "
     "됩니다). 링크는 #home=위도|경도|장소 이름 꼴입니다"),
    ("en", "home=10|10|x",
     "The link's home position (10|10|x) cannot be used: 10, 10 is outside South Korea (latitude 33 "
     "to 39, longitude 124 to 132). A link reads #home=latitude|longitude|place name"),
    ("ko", "home=x|127.03|집", "위도 'x'는 숫자가 아닙니다"),
    ("en", "home=37.26|10abc", "the longitude '10abc' is not a number"),
    ("en", "home=37.26", "the longitude is missing"),
    ("en", "home=127.0286|37.2636|home", "to 132); latitude and longitude look swapped. A link"),
    ("ko", "home=127.0286|37.2636|home", "124~132만 됩니다); 위도와 경도가 바뀐 것 같습니다. 링크는"),
])
def test_a_bad_link_says_what_is_wrong_and_the_page_stays_usable(page, live, lang, link, expected):
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 400 else None)
    page.goto("about:blank")
    page.goto(f"{live['app']}/?lang={lang}#{quote(link, safe='=|')}")
    page.locator("#home-status", has_text=expected).wait_for()
    assert page.locator("#results-status", has_text=expected).count() == 1
    assert page.input_value("#home-input") == ""
    assert refused == []  # no search was sent to be refused ("입력값을 확인해 주세요: 위치")
    # still usable: a place typed now searches
    page.fill("#home-input", "수원 영통" if lang == "ko" else "Yeongtong-gu")
    page.locator("#home-suggestions li").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result-list li")
    assert page.errors == []


def test_a_bad_work_in_the_link_keeps_the_good_home(page, live):
    page.goto("about:blank")
    page.goto(f"{live['app']}/?lang=ko#home=37.2636|127.0286|{quote('집')}&work=1|2|x")
    page.wait_for_selector("#result-list li")
    assert "링크의 직장 위치(1|2|x)를 쓸 수 없습니다" in page.locator("#work-status").inner_text()
    assert page.input_value("#home-input") == "집"
    assert page.errors == []


SEOUL_HOLE = (37.595, 127.112)  # 서울 중랑구 망우동, inside the ring of 경기도
GYEONGGI = (37.2636, 127.0286)  # 수원시 팔달구


def _click_at(page, lat: float, lon: float) -> None:
    move_map(page, f"setView([{lat}, {lon}], 14, {{animate: false}})")
    point = page.evaluate(f"window.map_planner.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator("#map_planner").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


@pytest.mark.parametrize("lang, expected, summary", [
    ("ko", "서울특별시 중랑구 망우동)은 경기도 밖입니다. 새 시설은 경기도 안에만 둘 수 있습니다.", "추가 0곳"),
    ("en", "Mangu-dong, Jungnang-gu, Seoul) is outside Gyeonggi-do: new centres can only be added "
           "inside Gyeonggi-do.", "0 added"),
])
def test_planner_refuses_a_centre_outside_gyeonggi_at_the_click(page, live, admin_token,  # noqa: F811
                                                               lang, expected, summary):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang={lang}&service=daycare&period=day&level=sigungu"
              "&measure=share_1000")
    drawn(page)
    page.click("#add-mode")
    _click_at(page, *SEOUL_HOLE)
    notice = page.locator("#scenario-notice[role=alert]")
    notice.filter(has_text=expected).wait_for()
    assert notice.is_visible()
    assert summary in page.locator("#scenario-summary").inner_text()
    assert page.locator("#map_planner .scenario-added").count() == 0
    # a click in 경기도 is taken, and the message goes
    _click_at(page, *GYEONGGI)
    wait_until(page, "document.querySelectorAll('#map_planner .scenario-added').length === 1")
    assert notice.is_hidden()
    assert page.errors == []
