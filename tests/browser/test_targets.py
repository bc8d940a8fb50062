"""Every field and button of every page is at least 24 px tall on a phone (WCAG 2.5.8 target
size): a password box styled by no rule was 21 px on /provider."""

from __future__ import annotations

import pytest

from .conftest import Page

pytestmark = pytest.mark.browser

PAGES = ["/", "/provider", "/planner", "/admin/report", "/admin/embed-origins", "/embed/builder", "/programmes"]
FIELDS = ("input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea, "
          "button")


@pytest.mark.parametrize("path", PAGES)
def test_fields_and_buttons_are_at_least_24px_tall_on_a_phone(browser, live, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
    page = Page(context.new_page(), live["tiles"])
    try:
        page.goto(live["app"] + path)
        page.wait_for_load_state("networkidle")
        small = page.evaluate("""(sel) => [...document.querySelectorAll(sel)].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.height < 24;
          }).map((e) => (e.id || e.name || e.tagName) + ' ' + e.getBoundingClientRect().height)""", FIELDS)
        assert small == [], small
    finally:
        context.close()
