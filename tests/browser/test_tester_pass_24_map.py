"""What tester pass 24 met on a phone (390x844), each a kind of fault, in Chromium in Korean and
English:

- "see the next providers" after a declined booking (on the booking page and on /family) opens
  the map as the family left it and shows the next providers: "only with a free place" on, the
  provider that declined left out of the list and the map; with no home kept in the tab, the
  search is from next to that provider, said so by its name (and never kept as the home);
- a signed-in person's map header links to 내 계정, a guardian's to 우리 가족 too (not a
  visitor's, not the widget's);
- a child's full name is written as names are: "김지우", "Sky Kim" (not "KimSky")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from . import care_steps as steps
from .test_family_pages import CENTRE
from .test_pages import wait_until
from .test_phone_tester_pass_3 import BIRTH, LOCALE, _at, _home

pytestmark = pytest.mark.browser

NAMES = {"ko": ("지우", "김", "김지우"), "en": ("Sky", "Kim", "Sky Kim")}  # given, family, as shown
NEAR = {"ko": "{name} 근처", "en": "Near {name}"}


def _hash(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).fragment)


def _shows_the_next_providers(page, centre_name: str) -> None:
    """The map, opened from a "see the next providers" link: only providers with a free place,
    listed at once, the centre that declined in neither the list nor the map (but named)."""
    page.wait_for_url("**/?lang=*")
    page.locator("#result-list li").first.wait_for(timeout=8000)
    assert page.is_checked("#available")
    assert page.locator(f"#result-list li[data-id={CENTRE}]").count() == 0
    markers = page.evaluate("Object.keys(window.dolbom.state.markers)")
    assert markers and CENTRE not in markers
    page.locator("#results-skipped", has_text=centre_name).wait_for()
    steps.fits(page)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_next_providers_after_a_decline(browser, live, lang):
    app_url, flask_app = live["app"], live["flask_app"]
    centre_name = flask_app.extensions["dolbom_registry"].index.by_id[CENTRE].name
    desk_context, desk, desk_errors = steps.phone(browser, live, LOCALE[lang])
    family_context, family, family_errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        desk.locator("form.derive[data-programme=elementary_emergency] button").tap()  # the next days' places
        wait_until(desk, "document.querySelector('form.derive[data-programme=elementary_emergency] .result')"
                         ".textContent.trim() !== ''")
        steps.sign_up(family, app_url, lang, f"/family?lang={lang}")
        family.wait_for_url(f"**/family?lang={lang}")
        steps.ready(family)
        given, family_name, shown = NAMES[lang]
        steps.register_child(family, given, family_name, BIRTH.isoformat(), "박민수", "010-4567-8901")
        assert family.locator("#children li h4").inner_text() == shown

        # booked with no home (the booking page opened by its link alone), then declined
        family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                    f"&start={_at(19)}&end={_at(21)}")
        booking = steps.book_for_the_desk(family, desk)
        booking.locator("button[data-action=decline]").tap()
        booking.locator(".decline .other-reason").fill("오늘은 정원이 찼습니다")
        booking.locator(".decline button.danger").tap()
        family.locator("#booking-state[data-status=rejected]").wait_for(timeout=5000)
        link = _hash(family.get_attribute("#next-providers", "href"))
        assert link["skip"] == [CENTRE] and link["available"] == ["1"] and "home" not in link

        # no home in the tab: the search is from next to the centre, said so by its name
        family.tap("#next-providers")
        _shows_the_next_providers(family, centre_name)
        assert family.input_value("#home-input") == NEAR[lang].format(name=centre_name)
        assert centre_name in family.inner_text("#home-status")
        assert family.input_value("#start") == _at(19)
        assert family.evaluate("sessionStorage.getItem('dolbom.home')") is None  # not the family's home

        # /family's card in a new tab (nothing kept): the same
        other = family_context.new_page()
        other.goto(f"{app_url}/family?lang={lang}")
        steps.ready(other)
        card = other.locator("#bookings li[data-status=rejected]")
        card.locator("a.button").tap()
        _shows_the_next_providers(other, centre_name)
        assert other.input_value("#home-input") == NEAR[lang].format(name=centre_name)
        other.close()

        # a home searched from in this tab: the card's link keeps it, still without the centre
        family.goto(f"{app_url}/family?lang={lang}")  # (a new load of the map, not a hash change)
        family.goto(f"{app_url}/?lang={lang}#home={_home(flask_app)}")
        family.locator("#result-list li").first.wait_for()
        family.goto(f"{app_url}/family?lang={lang}")
        steps.ready(family)
        family.locator("#bookings li[data-status=rejected] a.button").tap()
        _shows_the_next_providers(family, centre_name)
        assert family.input_value("#home-input") == "파장동"
        assert family.inner_text("#home-status") == ""
        for errors in (family_errors, desk_errors):
            assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        desk_context.close()
        family_context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_map_header_links_to_a_signed_in_persons_pages(browser, live, lang):
    app_url, flask_app = live["app"], live["flask_app"]
    said = {"ko": ("우리 가족", "내 계정"), "en": ("My family", "My account")}[lang]
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        page.goto(f"{app_url}/?lang={lang}")  # a visitor: neither
        assert page.locator("#nav-family, #nav-account").count() == 0
        steps.sign_up(page, app_url, lang, f"/?lang={lang}")
        page.wait_for_url(f"**/?lang={lang}")
        assert page.inner_text("#nav-family") == said[0] and page.inner_text("#nav-account") == said[1]
        steps.fits(page)
        page.tap("#nav-family")
        page.wait_for_url(f"**/family?lang={lang}")
        steps.ready(page)
        page.goto(f"{app_url}/embed?lang={lang}")  # the widget: never
        assert page.locator("#nav-family, #nav-account").count() == 0
        page.goto(f"{app_url}/?lang={lang}")
        page.tap("#nav-account")
        page.wait_for_url(f"**/account?lang={lang}")
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()
    # provider staff: their account, no family
    context, page, _ = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
        page.goto(f"{app_url}/?lang={lang}")
        assert page.locator("#nav-account").count() == 1 and page.locator("#nav-family").count() == 0
    finally:
        context.close()
