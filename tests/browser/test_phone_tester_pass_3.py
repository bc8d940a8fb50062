"""What a tester met on a phone (390x844), each a kind of fault, seen in Chromium in Korean and
English:

- user-entered text (a child's 50-letter name, a decline reason) wraps: no page scrolls sideways
  and the child's 지우기 stays on screen;
- a declined booking's card on /family shows the provider's reason, and its "see the next
  providers" opens the map from the home the family searched from, the providers listed at once;
- the inbox's places summary follows each booking and decline without a reload, and no empty
  bordered box is drawn; a child whose family withdrew the share consent is said so;
- the booking page's estimate is never bookable for a window other than the one shown;
- the map says a window whose start equals its end is empty and what is allowed; an empty child
  form names every missing field; after deleting the family's data the map says it was deleted;
- the map opened again in the same tab with no home in its link starts from the home searched
  from (a home in the link wins; a cleared home, or another tab, has none)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL
from .test_pages import wait_until

pytestmark = pytest.mark.browser

BIRTH = date(2017, 5, 5)  # 초등 긴급돌봄 age
GIVEN, FAMILY = "Abcdefghij" * 5, "Klmnopqrst" * 5  # 50 letters each, no spaces: the form allows it
LOCALE = {"ko": "ko-KR", "en": "en-US"}
SAID = {
    "ko": {"reason": "사유: 오늘은 정원이 찼습니다",
           "withdrawn": "동의를 철회해서 아이 정보를 볼 수 없습니다",
           "deleted": "가족의 정보와 계정을 모두 지웠습니다",
           "missing": "다음 항목을 채워 주세요: 이름, 성, 생년월일, 아이와의 관계, "
                      "비상연락처 이름, 비상연락처 전화번호",
           "same": "시작과 끝 시각이 같습니다. 끝 시각을 시작보다 뒤로, 시작부터 7일 안에서 정해 주세요."},
    "en": {"reason": "Reason: 오늘은 정원이 찼습니다", "withdrawn": "withdrew its consent to share the child's details",
           "deleted": "Your family's data and account were deleted",
           "missing": "Fill in: Given name, Family name, Birth date, Your relation to the child, "
                      "Emergency contact's name, Emergency contact's phone",
           "same": "The start and end are the same. Choose an end after the start, at most 7 days later."},
}

# Visible elements drawn as boxes (a border) with nothing in them: none may be on a page.
EMPTY_BOXES = """Array.from(document.querySelectorAll('main *')).filter((n) => {
  const s = getComputedStyle(n);
  const r = n.getBoundingClientRect();
  const bordered = ['Top', 'Bottom', 'Left', 'Right'].some((side) => parseFloat(s['border' + side + 'Width']) > 0
    && s['border' + side + 'Style'] !== 'none');
  return bordered && r.width > 0 && r.height > 0 && !n.textContent.trim()
    && !n.querySelector('input, select, textarea, button, img, svg')
    && !n.matches('input, select, textarea, button, hr');
}).map((n) => n.tagName + '.' + n.className + '#' + n.id)"""


def _home(flask_app) -> str:
    """The centre's own address as the map's home (the first provider the map lists there)."""
    centre = flask_app.extensions["dolbom_registry"].index.by_id[CENTRE]
    return f"{centre.lat}|{centre.lon}|파장동"


def _at(hh: int) -> str:
    return f"{(datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()}T{hh:02d}:00"


HELD_JS = ("document.querySelector('[data-slots=elementary_emergency]').textContent.match(/(\\d+)\\D*$/)")


def _held(desk) -> int:
    """The places booked in the inbox's summary (its last number, in both languages)."""
    return int(desk.evaluate(HELD_JS)[1])


def _held_becomes(desk, test: str, timeout: float) -> None:
    """Wait until the summary's booked places pass ``test`` (JavaScript on ``n``, e.g. "n > 0")."""
    wait_until(desk, f"(() => {{ const m = {HELD_JS}; const n = m && Number(m[1]); return !!m && {test}; }})()",
               timeout / 1000)


def _fits_all(page) -> None:
    steps.fits(page)
    assert page.evaluate(EMPTY_BOXES) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_declined_booking_with_long_names_on_phones(browser, live, lang):
    app_url, flask_app = live["app"], live["flask_app"]
    desk_context, desk, desk_errors = steps.phone(browser, live, LOCALE[lang])
    family_context, family, family_errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        wait_until(desk, "document.querySelector('[data-slots=elementary_emergency]').textContent.trim() !== ''")
        _fits_all(desk)  # nothing under "앞으로 7일 자리 열기" before it is used
        form = desk.locator("form.derive[data-programme=elementary_emergency]")
        form.locator("button").tap()
        wait_until(desk, "document.querySelector('form.derive[data-programme=elementary_emergency] .result')"
                         ".textContent.trim() !== ''")
        _held_becomes(desk, "n >= 0", 5000)
        _fits_all(desk)  # no empty box under the button before or after it is used
        held_before = _held(desk)

        # an empty child form names every missing field at once
        steps.sign_up(family, app_url, lang, f"/family?lang={lang}")
        family.wait_for_url(f"**/family?lang={lang}")
        steps.ready(family)
        family.tap("#add-child")
        family.tap("#child-form button[type=submit]")
        # (then the consent not ticked, on its own line: every problem at once, tester pass 28)
        assert family.inner_text("#child-form-error").splitlines()[0] == SAID[lang]["missing"]
        assert family.evaluate("document.activeElement.name") == "given_name"
        family.tap("#child-cancel")
        steps.register_child(family, GIVEN, FAMILY, BIRTH.isoformat(), "박민수", "010-4567-8901")
        _fits_all(family)
        delete = family.locator("#children li .confirm > button").first.bounding_box()
        assert delete["x"] + delete["width"] <= steps.PHONE["width"]

        # the map, then book at the centre: it waits for the desk
        steps.book_from_map(family, f"{app_url}/?lang={lang}#home={_home(flask_app)}&start={_at(19)}&end={_at(21)}"
                                    "&programme=elementary_emergency", CENTRE)
        booking = steps.book_for_the_desk(family, desk)
        _fits_all(family)
        # the place it holds shows in the summary without a reload
        _held_becomes(desk, f"n > {held_before}", 8000)
        booking.locator(".child-detail button").tap()
        booking.locator(".child-detail dd", has_text=GIVEN).wait_for()
        _fits_all(desk)

        # the family withdraws its share consent: the desk is told why the child is not shown
        family.evaluate("""fetch('/api/v1/consents/share_with_provider', {method: 'DELETE', credentials: 'same-origin',
          headers: {'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then((r) => r.status)""")
        booking.locator(".child-detail button").tap()  # close
        booking.locator(".child-detail button").tap()  # open again
        booking.locator(".child-detail .error", has_text=SAID[lang]["withdrawn"]).wait_for()

        # declined with a reason: the summary gives the place back at once
        booking.locator("button[data-action=decline]").tap()
        booking.locator(".decline .other-reason").fill("오늘은 정원이 찼습니다")
        booking.locator(".decline button.danger").tap()
        _held_becomes(desk, f"n === {held_before}", 2000)
        _fits_all(desk)

        # the family's card: declined, the provider's reason, the next providers from home
        family.goto(f"{app_url}/family?lang={lang}")
        steps.ready(family)
        card = family.locator("#bookings li[data-status=rejected]")
        card.locator(".decline-reason", has_text=SAID[lang]["reason"]).wait_for()
        _fits_all(family)
        card.locator("a.button").tap()
        family.wait_for_url("**/?lang=*")
        family.locator("#result-list li").first.wait_for(timeout=5000)
        assert family.input_value("#home-input") == "파장동"

        # deleting the family's data: the map says it was deleted
        family.goto(f"{app_url}/family?lang={lang}")
        steps.ready(family)
        family.tap("#delete-all")
        family.check("#delete-understood")
        family.tap("#delete-all-yes")
        family.locator("#page-notice", has_text=SAID[lang]["deleted"]).wait_for()
        assert family.evaluate("sessionStorage.getItem('dolbom.home')") is None
        for errors in (family_errors, desk_errors):
            assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        desk_context.close()
        family_context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_estimate_for_another_window_is_never_bookable(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    try:
        steps.sign_up(page, app_url, lang, f"/family?lang={lang}")
        page.wait_for_url(f"**/family?lang={lang}")
        steps.ready(page)
        steps.register_child(page, "서준", "김", BIRTH.isoformat(), "김하늘", "010-0000-0000")
        steps.publish_places(live["flask_app"], CENTRE, "elementary_emergency")  # the form shows where places are
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                  f"&start={_at(19)}&end={_at(21)}&home={_home(live['flask_app'])}")
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        assert page.is_enabled("#book-button")
        # a quote that answers slowly (1.5 s) for an end the family passes through ...
        page.route("**/api/v1/bookings/quote", lambda route: (page.wait_for_timeout(1500), route.continue_()))
        page.fill("input[name=to]", "20:00")
        page.dispatch_event("input[name=to]", "change")
        # ... then the end equal to the start: refused at once, and the slow answer does not undo it
        page.fill("input[name=to]", "19:00")
        assert page.is_disabled("#book-button")
        page.dispatch_event("input[name=to]", "change")
        assert page.locator("#quote .error").count() == 1
        page.wait_for_timeout(2500)
        assert page.locator("#quote .error").count() == 1 and page.locator("#quote .fee").count() == 0
        assert page.is_disabled("#book-button")
        # typing marks the old estimate stale at once, before any change event
        page.unroute("**/api/v1/bookings/quote")
        page.fill("input[name=to]", "21:00")
        page.dispatch_event("input[name=to]", "change")
        page.locator("#quote .fee").wait_for()
        assert page.is_enabled("#book-button")
        page.dispatch_event("input[name=to]", "input")  # a keystroke, the field's change not yet fired
        assert page.is_disabled("#book-button") and page.locator("#quote.stale").count() == 1
        page.locator("#quote:not(.stale) .fee").wait_for()
        assert page.is_enabled("#book-button")
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_map_says_a_window_of_no_length_is_empty(browser, live, lang):
    context, page, _ = steps.phone(browser, live, LOCALE[lang])
    try:
        page.goto(f"{live['app']}/?lang={lang}#home={_home(live['flask_app'])}")
        page.locator("#result-list li").first.wait_for()
        page.locator("#criteria summary").tap()
        page.check("input[name=when][value=custom]")
        page.fill("#start", _at(19))
        page.fill("#end", _at(19))
        page.dispatch_event("#end", "change")
        page.locator("#results-status").filter(has_text=SAID[lang]["same"]).wait_for()
        assert page.locator("#results-status").inner_text().strip() == SAID[lang]["same"]
    finally:
        context.close()


OTHER_HOME = "37.5345|126.8125|오정구"
NEAREST = "/api/v1/facilities/nearest?"


def _searched_from(urls: list[str]) -> list[tuple[float, float]]:
    """The (lat, lon) each map search in ``urls`` asked from."""
    found = []
    for url in urls:
        q = parse_qs(urlsplit(url).query)
        found.append((round(float(q["lat"][0]), 5), round(float(q["lon"][0]), 5)))
    return found


def _map_without_a_home(page, app_url: str, sent: list[str]) -> None:
    """Open the map with no home in its link, from another page of the site (as a parent does),
    and wait until it has drawn the outlines (the link, or a kept home, is read by then)."""
    page.goto(f"{app_url}/programmes?lang=ko")
    sent.clear()
    page.goto(f"{app_url}/?lang=ko")
    wait_until(page, "document.querySelectorAll('.leaflet-overlay-pane path').length >= 44")
    page.wait_for_timeout(300)


def test_the_map_opened_again_in_the_tab_starts_from_the_home_searched_from(browser, live):
    app_url = live["app"]
    home = _home(live["flask_app"])
    at = tuple(round(float(v), 5) for v in home.split("|")[:2])
    context, page, errors = steps.phone(browser, live, "ko-KR")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    try:
        page.goto(f"{app_url}/?lang=ko#home={home}")
        page.locator("#result-list li").first.wait_for()
        # opened again with no home in the link: that home's providers, and the link carries it
        _map_without_a_home(page, app_url, sent)
        page.locator("#result-list li").first.wait_for()
        assert page.input_value("#home-input") == "파장동"
        assert "home=" in page.evaluate("location.hash")
        searches = [u for u in sent if NEAREST in u]
        assert _searched_from(searches) == [at]
        # the home goes to the server only as the search's own query
        assert [u for u in sent if str(at[0])[:7] in u and NEAREST not in u] == []
        # a home in the link wins
        page.goto(f"{app_url}/programmes?lang=ko")
        sent.clear()
        page.goto(f"{app_url}/?lang=ko#home={OTHER_HOME}")
        page.locator("#result-list li").first.wait_for()
        assert page.input_value("#home-input") == "오정구"
        assert _searched_from([u for u in sent if NEAREST in u]) == [(37.5345, 126.8125)]
        # a cleared home stays forgotten
        page.fill("#home-input", "")
        page.press("#home-input", "Enter")
        wait_until(page, "sessionStorage.getItem('dolbom.home') === null")
        _map_without_a_home(page, app_url, sent)
        assert page.input_value("#home-input") == "" and page.locator("#result-list li").count() == 0
        assert [u for u in sent if NEAREST in u] == []
        assert [e for e in errors if not e.startswith("Failed to load resource")] == []
    finally:
        context.close()
    # another tab (a new context: its own storage) has no home
    context, page, _ = steps.phone(browser, live, "ko-KR")
    sent = []
    page.on("request", lambda r: sent.append(r.url))
    try:
        _map_without_a_home(page, app_url, sent)
        assert page.input_value("#home-input") == "" and page.locator("#result-list li").count() == 0
        assert [u for u in sent if NEAREST in u] == []
    finally:
        context.close()
