"""The planners' page in Chromium: sign-in, the folium choropleth on local Leaflet, desert
layers by time of day, table sorting, a scenario made by clicking the map, exports."""

from urllib.parse import parse_qs, urlsplit

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
    # The first planner page of an app computes every measure (about 10 s on an idle machine,
    # more under load): give the sign-in's navigation room rather than the 30 s default.
    page.click("#planner-login button[type=submit]", timeout=120_000)
    page.wait_for_selector("#map_planner", timeout=120_000)


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
    page.wait_for_selector("#map_planner .leaflet-interactive")
    # one path per 시군구 drawn by folium on our local Leaflet, nothing from a CDN
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
    page.evaluate("window.map_planner.setView([37.2636, 127.0286], 14)")
    page.fill("#new-capacity", "25")
    page.select_option("#new-hours", "evenings_weekends")
    box = page.locator("#map_planner").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "추가 1곳" in page.locator("#scenario-summary").inner_text()
    page.click("#apply-scenario")
    page.wait_for_selector("#map_planner .leaflet-interactive")
    query = parse_qs(urlsplit(page.url).query)
    assert '"capacity": 25' in query["scenario"][0] or '"capacity":25' in query["scenario"][0]
    places_after = page.evaluate(
        "Array.from(document.querySelectorAll('#measures-table tbody tr'))"
        ".find(r => r.cells[0].textContent.includes('41115')).cells[2].getAttribute('data-v')")
    assert float(places_after) == float(places_before) + 25
    assert "추가 1곳" in page.locator("#scenario-summary").inner_text()

    # set a provider's places by clicking it, on top of the scenario so far
    page.evaluate("window.map_planner.setView([37.2636, 127.0286], 13)")
    page.fill("#new-capacity", "0")
    page.click("#resize-mode")
    marker = page.locator("#map_planner path.planner-provider").first
    marker.wait_for()
    marker.click(force=True)
    assert "정원 변경 1곳" in page.locator("#scenario-summary").inner_text()
    page.click("#apply-scenario")
    page.wait_for_selector("#map_planner .leaflet-interactive")
    query = parse_qs(urlsplit(page.url).query)["scenario"][0]
    assert '"resize"' in query and '"capacity": 0' in query.replace('":0', '": 0')
    assert "추가 1곳" in page.locator("#scenario-summary").inner_text()
    assert page.errors == []


def test_exports_and_grid(page, live, admin_token):
    sign_in(page, live, admin_token)
    page.goto(f"{live['app']}/planner?lang=en&service=daycare&period=day&level=grid&area=41290")
    page.wait_for_selector("#map_planner .leaflet-interactive")
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
    page.wait_for_selector("#map_planner .leaflet-interactive")
    # the page does not scroll sideways on a phone; the wide table scrolls inside its box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]
    page.screenshot(path=str(artifacts / "planner-phone.png"), full_page=False)
    context.close()
