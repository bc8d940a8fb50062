"""The region widget shows k providers of its own region (issue 12, item 17), in Chromium."""

from __future__ import annotations

import pytest

from .test_pages import wait_until

pytestmark = pytest.mark.browser

# A home in 수원시 권선구 near the 화성 border: one of its 20 nearest providers is in 수원시,
# twenty 수원 providers lie within about 2.2 km.
HOME = "37.2301|126.9743|권선"


def test_region_widget_lists_twenty_of_its_region(page, live):
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/facilities/nearest" in r.url
            else None)
    page.goto(live["app"] + f"/embed?region=41110&limit=1#home={HOME}")
    wait_until(page, "document.body.dataset.results === '20'", timeout_s=20)
    codes = page.evaluate("window.dolbom.state.hits.map(h => h.facility.sigungu_code)")
    assert len(codes) == 20 and all(c.startswith("4111") for c in codes)
    assert page.locator("#result-list li").count() == 20
    assert requests and all("region=41110" in u for u in requests)
    assert page.errors == []


def test_widget_without_limit_searches_everywhere(page, live):
    page.goto(live["app"] + f"/embed?region=41110#home={HOME}")
    wait_until(page, "document.body.dataset.results === '20'", timeout_s=20)
    codes = page.evaluate("window.dolbom.state.hits.map(h => h.facility.sigungu_code)")
    assert sum(c.startswith("4111") for c in codes) == 1  # the nearest 20, wherever they are
