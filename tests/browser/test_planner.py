"""The planners' page in Chromium: sign-in, the choropleth on local Leaflet (loaded after the
page, with a progress line), desert layers by time of day, table sorting, a scenario made by
clicking the map and compared with the baseline, every provider to click, site suggestion,
the language switch, exports, and the admin report on the planner's session."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app.extensions.db import get_engine
from app.live import tokens
from tests.browser.test_pages import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_token(live):
    with live["flask_app"].app_context():
        return tokens.issue(get_engine(), "admin")


def sign_in(page, live, token):
    page.goto(f"{live['app']}/planner?lang=ko")
    page.fill("input[name=token]", token)
    # The page comes at once; the first data of an app reads the demand layer (seconds on an
    # idle machine, more under load): give the map room rather than the 30 s default.
    page.click("#planner-login button[type=submit]", timeout=120_000)
    drawn(page)


def drawn(page):
    """Wait until the page's map and table are drawn (its data request answered)."""
    page.wait_for_selector('#planner-results[aria-busy="false"]', timeout=120_000)


def move_map(page, call: str) -> None:
    """Call a method of the planner's Leaflet map that moves it, e.g. ``setView([lat, lon], 14,
    {animate: false})``, once a zoom animation under way (the page's own fitBounds once drawn)
    has ended: Leaflet ignores a new zoom during one. Not animated itself, the map is where it
    was sent when this returns. The method returns the map, which ``page.evaluate`` would
    serialise to hand back (its layers, panes and DOM: 4 to 7 s under load): nothing is."""
    page.evaluate("""new Promise((resolve) => {
        const map = window.map_planner;
        const go = () => {
            if (map._animatingZoom) { map.once("zoomend", () => requestAnimationFrame(go)); return; }
            map.""" + call + """;
            resolve();
        };
        requestAnimationFrame(() => requestAnimationFrame(go));  // an animation just asked for
    })""")


def test_sign_in_is_required(page, live):
    page.goto(f"{live['app']}/planner")
    assert page.locator("#planner-login").is_visible()
    page.fill("input[name=token]", "dlb_wrong_token")
    page.click("#planner-login button[type=submit]")
    assert "올바르지 않습니다" in page.locator("[role=alert]").inner_text()
    r = page.request.get(f"{live['app']}/planner/export?format=csv")
    assert r.status == 401


def test_choropleth_deserts_table_and_scenario(page, live, admin_token, artifacts):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=elementary_emergency&period=night"
              "&level=sigungu&measure=share_1000")
    drawn(page)
    # one path per 시군구 drawn on our local Leaflet, nothing from a CDN
    assert page.evaluate("document.querySelectorAll('#map_planner path.leaflet-interactive')"
                         ".length") >= 44
    scripts = page.evaluate("Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    assert all(s.startswith(live["app"]) for s in scripts)
    # the layer control lists one desert layer per time of day; the night one is on
    labels = page.locator(".leaflet-control-layers-overlays label", has_text="돌봄 사막")
    assert labels.count() == 5
    night = labels.filter(has_text="평일 밤").locator("input")
    assert night.is_checked()
    weekend = labels.filter(has_text="주말").locator("input")
    before = page.evaluate("document.querySelectorAll('#map_planner path').length")
    weekend.check()
    wait_until(page, f"document.querySelectorAll('#map_planner path').length > {before}")

    # sort the table by children, descending
    page.click("#measures-table thead th:nth-child(2) button")
    values = page.evaluate("Array.from(document.querySelectorAll('#measures-table tbody tr'))"
                           ".map(r => parseFloat(r.cells[1].getAttribute('data-v')))")
    assert values == sorted(values, reverse=True)
    page.screenshot(path=str(artifacts / "planner-desktop.png"), full_page=True)

    # add a centre in 수원시 팔달구 by clicking the map, then apply
    places_before = page.evaluate(
        "Array.from(document.querySelectorAll('#measures-table tbody tr'))"
        ".find(r => r.cells[0].textContent.includes('41115')).cells[2].getAttribute('data-v')")
    page.click("#add-mode")
    move_map(page, "setView([37.2636, 127.0286], 14, {animate: false})")
    page.fill("#new-capacity", "25")
    page.select_option("#new-hours", "evenings_weekends")
    box = page.locator("#map_planner").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # (added once the server says the point is in 경기도)
    page.locator("#scenario-summary", has_text="추가 1곳").wait_for()
    page.click("#apply-scenario")
    drawn(page)
    query = parse_qs(urlsplit(page.url).query)
    assert '"capacity": 25' in query["scenario"][0] or '"capacity":25' in query["scenario"][0]
    places_after = page.evaluate(
        "Array.from(document.querySelectorAll('#measures-table tbody tr'))"
        ".find(r => r.cells[0].textContent.includes('41115')).cells[2].getAttribute('data-v')")
    assert float(places_after) == float(places_before) + 25
    assert "추가 1곳" in page.locator("#scenario-summary").inner_text()

    # set a provider's places by clicking it, on top of the scenario so far
    move_map(page, "setView([37.2636, 127.0286], 13, {animate: false})")
    page.fill("#new-capacity", "0")
    page.click("#resize-mode")
    marker = page.locator("#map_planner path.planner-provider").first
    marker.wait_for()
    marker.click(force=True)
    assert "정원 변경 1곳" in page.locator("#scenario-summary").inner_text()
    page.click("#apply-scenario")
    drawn(page)
    query = parse_qs(urlsplit(page.url).query)["scenario"][0]
    assert '"resize"' in query and '"capacity": 0' in query.replace('":0', '": 0')
    assert "추가 1곳" in page.locator("#scenario-summary").inner_text()
    assert page.errors == []


def test_exports_and_grid(page, live, admin_token):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=en&service=daycare&period=day&level=grid&area=41290")
    drawn(page)
    assert "one 시군 at a time" in page.content()
    href = page.locator(".exports a", has_text="GeoJSON").get_attribute("href")
    r = page.request.get(live["app"] + href)
    assert r.status == 200
    features = r.json()["features"]
    assert features and features[0]["geometry"]["type"] == "Polygon"
    assert page.errors == []


def test_planner_accessibility_and_phone(browser, live, admin_token, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="ko-KR")
    page = context.new_page()
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=daycare&period=night&level=emd&area=41110")
    drawn(page)
    # the page does not scroll sideways on a phone; the wide table scrolls inside its box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]
    page.screenshot(path=str(artifacts / "planner-phone.png"), full_page=False)
    context.close()


def _held_data(page):
    """Hold every /planner/data.json answer until the returned function is called."""
    held = []
    page.route("**/planner/data.json*", lambda route: held.append(route))

    def release():
        for route in held:
            route.continue_()
        page.unroute("**/planner/data.json*")
    return held, release


def test_the_page_comes_at_once_and_says_it_is_working(page, live, admin_token):
    """Issue 14: 11 s with nothing shown after sign-in. The page (form, empty map, table head)
    is there while the data is computed, marked busy, and after 300 ms a status line says so."""
    page.goto(f"{live['app']}/planner?lang=ko")
    page.fill("input[name=token]", admin_token)
    held, release = _held_data(page)
    page.click("#planner-login button[type=submit]")
    page.wait_for_selector("#planner-query")
    wait_until(page, "document.getElementById('planner-status').textContent.length > 0", 5)
    assert held, "the page asked for its data"
    assert page.locator("#planner-results").get_attribute("aria-busy") == "true"
    assert page.locator("#planner-status").inner_text() == "지도와 표를 계산하는 중…"
    assert page.locator("#measures-table tbody tr").count() == 0
    release()
    drawn(page)
    wait_until(page, "document.getElementById('planner-results').getAttribute('aria-busy')"
                     " === 'false'", 30)
    assert page.locator("#measures-table tbody tr").count() == 44  # 시군구 of 경기도
    assert page.locator("#planner-status").inner_text() == "지역 44곳을 그렸습니다."
    assert page.errors == []


def test_every_daycare_can_be_clicked(page, live, admin_token):
    """Issue 14: the planner drew 5,000 of 9,400 daycares (limit=5000, no paging). With the
    whole province in view, close mode draws every daycare the registry has there."""
    from app.extensions.registry import get_index
    from app.planning.settings import services

    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=daycare&period=day&level=sigungu")
    drawn(page)
    move_map(page, "fitBounds([[36.85, 126.3], [38.35, 127.9]], {animate: false})")
    box = page.evaluate("(() => { const b = window.map_planner.getBounds(); return [b.getWest(),"
                        " b.getSouth(), b.getEast(), b.getNorth()]; })()")
    kinds = set(services()["daycare"]["kinds"])
    with live["flask_app"].app_context():
        expected = sum(1 for f in get_index().within_bbox(*(round(v, 5) for v in box))
                       if f.kind in kinds)
    assert expected > 5000
    page.click("#close-mode")
    wait_until(page, "document.body.dataset.providersShown", 120)
    assert int(page.evaluate("document.body.dataset.providersShown")) == expected
    assert page.locator("#map_planner path.planner-provider").count() == expected
    assert page.errors == []


def test_site_suggestion_on_the_page(page, live, admin_token, artifacts):
    """Issue 14: site suggestion was API and CLI only. The page asks for service, time of day,
    number of sites and radius, runs it (a job, polled, with progress shown) and draws the
    sites with their 시군/읍면동 and the children each newly covers."""
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=daycare&period=night&level=sigungu")
    drawn(page)
    page.select_option("#sites-service", "daycare")
    page.select_option("#sites-period", "night")
    page.fill("#sites-p", "3")
    page.fill("#sites-radius", "1000")
    page.select_option("#sites-method", "auto")  # the exact step runs as a job: 202, polled
    with page.expect_response("**/planner/sites") as answer:
        page.click("#sites-form button[type=submit]")
    assert answer.value.status == 202
    wait_until(page, "document.getElementById('sites-status').textContent.startsWith('자리를 찾는 중')", 10)
    wait_until(page, "document.querySelectorAll('#sites-list li').length === 3", 240)
    items = page.locator("#sites-list li").all_inner_texts()
    assert [i.split(".")[0] for i in items] == ["1", "2", "3"]
    for text in items:  # "1. 수원시 팔달구 인계동: 새로 닿는 아동 1,234명"
        where, _, rest = text.partition(": ")
        assert any(city in where for city in ("시", "군")) and where.split(" ")[-1][-1] in "동읍면가리"
        assert rest.startswith("새로 닿는 아동 ") and rest.endswith("명")
    assert page.locator("#map_planner path.suggested-site").count() == 3
    assert page.locator("#sites-status").inner_text() == "제안된 자리 3곳"
    assert page.locator("#sites").get_attribute("aria-busy") == "false"
    page.locator("#sites-list").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "planner-sites-desktop.png"), full_page=False)
    assert page.errors == []


def test_a_night_centre_changes_a_night_desert(page, live, admin_token, artifacts):
    """Issue 14: a centre added for 초등 긴급돌봄 at night took daytime 어린이집 hours, so the
    night deserts never changed (areas_changed 0). A new centre takes hours that cover the
    chosen period, and the page shows baseline and scenario side by side."""
    import numpy as np

    from app.extensions.planning import get_planning
    from app.geo.crs import from_metric

    area = "41111129"  # 수원시 장안구 파장동: a night desert for 초등 긴급돌봄 in the demo
    with live["flask_app"].app_context():
        units = get_planning().units
        inside = np.flatnonzero(units.area_code.astype(str) == area)
        lon, lat = from_metric(units.x_m[inside[:1]], units.y_m[inside[:1]])
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=elementary_emergency&period=night"
              "&level=emd&area=41111&measure=share_1000")
    drawn(page)
    row = ("Array.from(document.querySelectorAll('#measures-table tbody tr'))"
           f".find(r => r.cells[0].textContent.includes('{area}'))")
    assert page.evaluate(row + ".cells[10].getAttribute('data-v')") == "y"  # a desert
    before = float(page.evaluate(row + ".cells[2].getAttribute('data-v')"))
    # the hours offered for the new centre cover weekday nights, not daycare's 07:30–19:30
    assert page.locator("#new-hours").input_value() == "evenings_weekends"
    page.fill("#new-capacity", "30")
    page.click("#add-mode")
    point = page.evaluate(f"window.map_planner.latLngToContainerPoint([{float(lat[0])}, "
                          f"{float(lon[0])}])")
    box = page.locator("#map_planner").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.locator("#scenario-summary", has_text="추가 1곳").wait_for()
    page.click("#apply-scenario")
    page.wait_for_selector("#scenario-compare:not([hidden])", timeout=120_000)
    after = float(page.evaluate(row + ".cells[2].getAttribute('data-v')"))
    assert after == before + 30
    compare = page.locator("#compare-rows tr").all_inner_texts()
    changed = next(r for r in compare if r.startswith("바뀐 지역 수")).split("\t")
    assert int(changed[2]) >= 1  # the scenario column
    assert page.locator("#map_planner path.scenario-changed").count() >= 1
    assert int(page.evaluate("document.body.dataset.changedAreas")) >= 1
    page.screenshot(path=str(artifacts / "planner-scenario-desktop.png"), full_page=False)
    assert page.errors == []


def test_language_switch_keeps_the_session_and_the_view(page, live, admin_token):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=ko&service=elementary_emergency&period=night"
              "&level=emd&area=41111")
    drawn(page)
    page.click("#lang-switch")
    drawn(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["lang"] == ["en"]
    assert (query["service"], query["period"], query["level"], query["area"]) == (
        ["elementary_emergency"], ["night"], ["emd"], ["41111"])
    assert page.locator("#planner-login").count() == 0  # still signed in
    assert page.locator("#planner-query button[type=submit]").inner_text() != "보기"
    assert page.locator("#lang-switch").inner_text() == "한국어"
    assert page.errors == []


def test_admin_report_uses_the_planner_session(page, live, admin_token):
    """Issue 14: the admin report asked for the token again. Signed in to the planner, the
    report shows at once and no token is asked for; signed out, the token field is there."""
    page.goto(f"{live['app']}/admin/report?lang=ko")
    wait_until(page, "document.readyState === 'complete'", 10)
    assert page.locator("#admin-token").is_visible()
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/admin/report?lang=ko")
    page.wait_for_selector("#silent:not([hidden])", timeout=30_000)
    assert not page.locator("#admin-token").is_visible()
    assert page.locator("#silent-rows tr").count() > 0
    assert "관리자 세션" in page.locator("#report-status").inner_text()
    assert page.errors == []


def _map_in_view(page, height: int) -> dict:
    """The planner map's box; its top is inside the window and at least 400 px of it shows."""
    box = page.locator("#map_planner").bounding_box()
    shown = min(box["y"] + box["height"], height) - max(box["y"], 0)
    assert box["y"] < height and shown >= 400, (box, shown)
    return box


def test_the_map_shows_without_scrolling_on_a_desktop(browser, live, admin_token, artifacts):
    """At 1366 × 900 the map started at y ≈ 675 px, at ≈ 840 px with a scenario comparison:
    none of it in view. On a desktop the controls and tables take a column and the map the
    rest of the window, in view whatever shows and however far the column is scrolled; a
    phone keeps one column, the map below the controls."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ko-KR")
    page = context.new_page()
    sign_in(page, live, admin_token)
    view = (f"{live['app']}/planner?lang=ko&service=elementary_emergency&period=night"
            "&level=emd&area=41111&measure=share_1000")
    page.goto(view)
    drawn(page)
    _map_in_view(page, 900)
    page.screenshot(path=str(artifacts / "planner-1366-map.png"), full_page=False)
    scenario = ('{"add":[{"lon":127.0286,"lat":37.2636,"service":"elementary_emergency",'
                '"capacity":30,"hours_preset":"evenings_weekends"}],"close":[],"resize":[]}')
    page.goto(view + "&scenario=" + quote(scenario))
    page.wait_for_selector("#scenario-compare:not([hidden])", timeout=120_000)
    drawn(page)
    _map_in_view(page, 900)
    page.screenshot(path=str(artifacts / "planner-1366-compare.png"), full_page=False)
    # scrolled to the end of the table, the map is still in view
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0
    _map_in_view(page, 900)
    page.screenshot(path=str(artifacts / "planner-1366-table-end.png"), full_page=False)
    signed_in = context.storage_state()  # the phone goes on with the planner's session
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="ko-KR", storage_state=signed_in)
    page = context.new_page()
    page.goto(view)
    drawn(page)
    box = page.locator("#map_planner").bounding_box()
    controls = page.locator("#planner-query").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 300  # 55vh of 844 px
    assert box["y"] > controls["y"]  # one column: the map below the controls
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#map_planner").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "planner-390-map.png"), full_page=False)
    context.close()
