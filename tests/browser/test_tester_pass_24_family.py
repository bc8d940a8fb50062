"""What tester pass 24 met on the booking and request pages on a phone, each seen in Chromium
(the API's refusals that are hard to reach for real are played by routes):

- /family/book refused for a day beyond the emergency request horizon (request_max_days_ahead,
  app/reference/booking_rules.json) offers no "send an emergency request instead" the request
  page would refuse: it says until when a request can be sent, and to choose another day or
  provider; within the horizon the request is offered; nor for a child the programme does not
  take; after the same-day cutoff (which refuses requests too) it offers 방문형 긴급돌봄 instead;
- the child picker never swaps the child the parent chose (or the link named) for another when
  the programme or day changes: no child is picked, the note says why, sending asks for a child;
- an error of an earlier attempt goes as soon as the input changes (request form, place search,
  the booking page's note about the map's window, a failed cancel);
- the request page's place search labels alike names with their 구, as the map's search does;
- one wording for "yes, cancel"; a field's name inside an English sentence is lower-case; the
  child pickers write "Sky Kim", not "KimSky"."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from app.commands.demo import birth_date_for
from app.reference import document

from . import care_steps as steps
from .test_family_tester_fixes import CHILD_IDS
from .test_pages import wait_until

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00037"  # 교동지역아동센터: 초등 시설형 긴급돌봄 (72-155 months)
DAYCARE = "demo-dc-09396"  # runs 언제나 어린이집, whose bookings and requests for today close at 15:00
HOME = "37.5345|126.8125|오정구"
LOCALE = {"ko": "ko-KR", "en": "en-US"}


@pytest.fixture(autouse=True)
def _places_open(live):
    """The booking page shows its form only where the provider opens places for the programme
    (else its notice: test_book_not_online.py): CENTRE and DAYCARE open theirs."""
    steps.publish_places(live["flask_app"], CENTRE, "elementary_emergency")
    steps.publish_places(live["flask_app"], DAYCARE, "always_daycare")


HORIZON_DAYS = document("booking_rules.json")["request_max_days_ahead"]
SAID = {
    "ko": {"too_far": "다른 날을 고르거나 다른 기관을 찾아 주세요", "placeholder": "아이를 선택해 주세요",
           "need_child": "아이를 선택해 주세요. 선택할 수 없는 아이는", "need_home": "집 위치를 찾아 골라 주세요",
           "same": "시작과 끝 시각이 같습니다", "gu": "수원시 장안구", "cancel_yes": "네, 취소합니다"},
    "en": {"too_far": "choose another day or see the next providers", "placeholder": "Choose a child",
           "need_child": "Choose a child: why a child cannot be chosen", "need_home": "Find and choose your home",
           "same": "The start and end times are the same", "gu": "수원시 장안구 정자동 218-35 (address in Korean)",
           "cancel_yes": "Yes, cancel it"},
}


def _day(days: int) -> date:
    return datetime.now(SEOUL).date() + timedelta(days=days)


def _at(day: date, hh: int) -> str:
    return f"{day.isoformat()}T{hh:02d}:00"


def _json(route, status: int, body: dict) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def _refuse_quote(page, code: str, field: str | None = None) -> None:
    page.route(re.compile(r"/api/v1/bookings/quote"), lambda route: _json(route, 409, {"error": {
        "code": code, "field": field, "message": f"refused by the test ({code})"}}))


def _script_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not e.startswith("Failed to load resource")]


def _family_with(page, app_url: str, lang: str, children: list[tuple[str, date]]) -> dict[str, str]:
    """Sign a new guardian up and register ``children`` (given name, birth date); their ids by name."""
    steps.family_with(page, app_url, lang, children)
    return page.evaluate(CHILD_IDS)


def _set(page, name: str, value: str) -> None:
    """Type ``value`` into the form field ``name`` as a person does (input, then change)."""
    page.fill(f"input[name={name}]", value)
    page.dispatch_event(f"input[name={name}]", "change")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_booking_page_offers_a_request_only_one_the_request_page_takes(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    try:
        _family_with(page, app_url, lang, [("서준", birth_date_for(8, _day(0)))])
        _refuse_quote(page, "not_bookable")
        far = _day(HORIZON_DAYS + 3)
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                  f"&start={_at(far, 19)}&end={_at(far, 21)}&home={HOME}")
        steps.ready(page)
        page.locator("#quote .error").wait_for()
        assert page.locator("#emergency-instead").count() == 0
        latest = _day(HORIZON_DAYS).isoformat()
        hint = page.inner_text("#quote .hint")
        assert SAID[lang]["too_far"] in hint and latest in hint and str(HORIZON_DAYS) in hint
        assert page.is_visible("#quote #next-providers")
        steps.fits(page)

        # a day within the horizon: the request is offered, and the request page takes it
        _set(page, "day", _day(1).isoformat())
        instead = page.locator("#quote a#emergency-instead")
        instead.wait_for()
        assert page.locator("#quote .hint").count() == 0
        query = parse_qs(urlsplit(instead.get_attribute("href")).query)
        assert query["start"] == [_at(_day(1), 19)]
        instead.tap()
        page.wait_for_url("**/family/request?**")
        steps.ready(page)
        assert "서준" in page.locator("select[name=child] option:checked").inner_text()
        assert page.get_attribute("input[name=day]", "max") == latest  # the picker stops at the horizon
        assert _script_errors(errors) == []
    finally:
        context.close()


def test_the_booking_page_offers_no_request_for_a_child_the_programme_does_not_take(browser, live):
    context, page, errors = steps.phone(browser, live, "ko-KR")
    app_url = live["app"]
    try:
        _family_with(page, app_url, "ko", [("지우", birth_date_for(4, _day(0)))])

        # a provider that does not say its ages: the page cannot tell, the API refuses the child
        def ages_unknown(route):
            response = route.fetch()
            _json_text = re.sub(r'"ages": \{[^}]*\}', '"ages": null', response.text(), count=1)
            route.fulfill(response=response, body=_json_text)
        page.route(re.compile(r"/family/book\?"), ages_unknown)
        _refuse_quote(page, "not_eligible", "child")
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang=ko"
                  f"&start={_at(_day(1), 19)}&end={_at(_day(1), 21)}&home={HOME}")
        steps.ready(page)
        page.locator("#quote .error").wait_for()
        assert "지우" in page.locator("select[name=child] option:checked").inner_text()
        # 4 years old: no 초등 시설형 긴급돌봄 anywhere takes her, so no request is offered
        assert page.locator("#emergency-instead").count() == 0
        assert page.is_visible("#quote #next-providers")
        assert _script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_after_the_same_day_cutoff_the_booking_page_offers_a_request_without_one(browser, live, lang):
    now = datetime.now(SEOUL).replace(second=0, microsecond=0)
    later = now + timedelta(minutes=60 - now.minute % 15)
    if (later + timedelta(hours=1)).date() != now.date():
        pytest.skip("no later start today to refuse for the cutoff")
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    try:
        _family_with(page, app_url, lang, [("지우", birth_date_for(4, _day(0)))])
        # as after 15:00: today's 언제나 어린이집 is closed to bookings, and to requests alike
        page.route(re.compile(r"/api/v1/bookings/quote"), lambda route: _json(route, 400, {"error": {
            "code": "invalid_window", "field": "start", "reason": "same_day_closed", "same_day_until": "15:00",
            "first_day": _day(1).isoformat(), "message": "refused by the test"}}))
        page.goto(f"{app_url}/family/book?facility_id={DAYCARE}&programme=always_daycare&lang={lang}"
                  f"&start={later:%Y-%m-%dT%H:%M}&end={later + timedelta(hours=1):%Y-%m-%dT%H:%M}&home={HOME}")
        steps.ready(page)
        instead = page.locator("#quote a#emergency-instead")
        instead.wait_for()
        assert parse_qs(urlsplit(instead.get_attribute("href")).query)["programme"] == ["home_visit_emergency"]
        assert instead.inner_text() == {"ko": "대신 방문형 긴급돌봄 요청 보내기",
                                        "en": "Ask for Emergency care at home instead"}[lang]
        instead.tap()
        page.wait_for_url("**/family/request?**")
        steps.ready(page)
        assert page.input_value("select[name=programme]") == "home_visit_emergency"
        assert "지우" in page.locator("select[name=child] option:checked").inner_text()
        assert _script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_child_the_parent_chose_is_never_swapped_for_another(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    six_on = _day(3)  # 하준 turns 6 (72 months, the programme's youngest) in three days
    try:
        ids = _family_with(page, app_url, lang, [("지우", birth_date_for(4, _day(0))),
                                                  ("서준", birth_date_for(8, _day(0))),
                                                  ("하준", six_on.replace(year=six_on.year - 6))])
        picked = page.locator("select[name=child] option:checked")
        link = (f"{app_url}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
                f"&start={_at(_day(1), 19)}&end={_at(_day(1), 21)}")
        page.goto(link)
        steps.ready(page)
        page.select_option("select[name=child]", ids["서준"])  # the parent's choice
        page.select_option("select[name=programme]", "always_daycare")  # takes 지우, not 서준
        assert picked.inner_text() == SAID[lang]["placeholder"]
        assert page.input_value("select[name=child]") == ""
        assert "김서준" in page.inner_text("#child-note")
        page.tap("#request-button")
        assert page.inner_text("#request-error").startswith(SAID[lang]["need_child"])
        assert page.is_hidden("#request-state")
        page.select_option("select[name=programme]", "elementary_emergency")
        assert "서준" in picked.inner_text()  # chosen again once it fits
        assert page.inner_text("#request-error") == ""

        # the child a link names, the same
        page.goto(f"{app_url}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
                  f"&start={_at(_day(5), 19)}&end={_at(_day(5), 21)}&child_id={ids['하준']}")
        steps.ready(page)
        assert "하준" in picked.inner_text()
        _set(page, "day", _day(1).isoformat())  # 71 months tomorrow
        assert page.input_value("select[name=child]") == ""
        assert "김하준" in page.inner_text("#child-note")
        _set(page, "day", six_on.isoformat())
        assert "하준" in picked.inner_text()

        # the booking page: the day makes the chosen child too young
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                  f"&start={_at(_day(5), 19)}&end={_at(_day(5), 21)}&home={HOME}")
        steps.ready(page)
        page.select_option("select[name=child]", ids["하준"])
        _set(page, "day", _day(1).isoformat())
        assert picked.inner_text() == SAID[lang]["placeholder"]
        wait_until(page, "document.querySelector('#quote').textContent.length > 0 "
                         "&& !document.querySelector('#quote').classList.contains('stale')")
        assert page.inner_text("#quote").startswith(SAID[lang]["need_child"])
        assert page.is_disabled("#book-button")
        steps.fits(page)
        assert _script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_earlier_error_goes_once_the_input_changes_and_places_say_their_gu(browser, live, lang):
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    app_url = live["app"]
    tomorrow = _day(1)
    try:
        _family_with(page, app_url, lang, [("서준", birth_date_for(8, _day(0)))])
        page.goto(f"{app_url}/family/request?lang={lang}&programme=elementary_emergency"
                  f"&start={_at(tomorrow, 19)}&end={_at(tomorrow, 21)}")
        steps.ready(page)
        page.tap("#request-button")
        assert page.inner_text("#request-error").startswith(SAID[lang]["need_home"])
        page.fill("input[name=home_q]", "수원시청")
        assert page.inner_text("#request-error") == ""

        # alike names with their 구, as the map's place search labels them
        page.tap("button.find[data-kind=home]")
        found = page.locator(".place-results[data-kind=home] button", has_text="수원시청직장어린이집")
        found.first.wait_for()
        labels = found.all_inner_texts()
        assert len(labels) > 1 and any(SAID[lang]["gu"] in label for label in labels)
        assert len(set(labels)) > 1
        page.fill("input[name=home_q]", "수원시청역")  # the answer for the earlier text goes
        assert page.locator(".place-results[data-kind=home] li").count() == 0
        page.tap("button.find[data-kind=home]")
        page.locator(".place-results[data-kind=home] button").first.tap()

        # the API's refusal goes once the window changes
        _set(page, "to", "19:00")
        page.tap("#request-button")
        assert page.inner_text("#request-error").startswith(SAID[lang]["same"])
        _set(page, "to", "21:00")
        assert page.inner_text("#request-error") == ""

        # a failed cancel: its error goes once the question is put away; one "yes, cancel" wording
        page.tap("#request-button")
        card = page.locator("#request-state .request[data-status=requested]")
        card.wait_for()
        page.route(re.compile(r"/api/v1/care-requests/[^/]+/cancel"), lambda route: _json(route, 409, {"error": {
            "code": "invalid_state", "message": "refused by the test"}}))
        card.locator("button[data-action=cancel]").tap()
        yes = card.locator("button[data-action=cancel-yes]")
        assert yes.inner_text() == SAID[lang]["cancel_yes"]
        yes.tap()
        problem = card.locator(".confirm > p.error")
        wait_text = "document.querySelector('#request-state .confirm > p.error').textContent.length > 0"
        wait_until(page, wait_text)
        card.locator(".ask button:not([data-action])").tap()  # keep it
        assert problem.inner_text() == ""

        # the booking page's note about the map's window goes once the window is changed
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency&lang={lang}"
                  f"&start={_at(_day(2), 19)}&end={_at(_day(4), 10)}&home={HOME}")
        steps.ready(page)
        assert page.inner_text("#window-note") != ""
        _set(page, "from", "18:00")
        assert page.inner_text("#window-note") == ""
        steps.fits(page)
        assert _script_errors(errors) == []
    finally:
        context.close()


def test_a_field_named_inside_an_english_sentence_is_lower_case(browser, live):
    context, page, errors = steps.phone(browser, live, "en-US")
    app_url = live["app"]
    try:
        steps.family_page(page, app_url, "en")
        page.tap("#add-child")
        for name, value in (("given_name", "Sky"), ("family_name", "Kim"), ("emergency_contact_name", "Kim Ha"),
                            ("birth_date", birth_date_for(4, _day(0)).isoformat()), ("emergency_contact_phone", "12")):
            page.fill(f"input[name={name}]", value)
        page.select_option("select[name=relation]", "mother")
        for purpose in steps.BOOKING_CONSENTS:
            page.locator(f"#consents input[value={purpose}]").check()
        page.tap("#child-form button[type=submit]")
        wait_until(page, "document.querySelector('#child-form-error').textContent.length > 0")
        said = page.inner_text("#child-form-error")
        assert "Enter the emergency contact's phone as" in said, said
        # the child pickers write a name that is not Korean given name first, with a space
        page.fill("input[name=emergency_contact_phone]", "010-1234-5678")
        page.tap("#child-form button[type=submit]")
        page.locator("#children li", has_text="Sky").wait_for()
        page.goto(f"{app_url}/family/request?lang=en&programme=home_visit_emergency")
        steps.ready(page)
        assert page.locator("select[name=child] option:checked").inner_text().startswith("Sky Kim (")
        assert _script_errors(errors) == []
    finally:
        context.close()


def test_the_child_forms_refusal_goes_once_a_field_changes(browser, live):
    """Finding 3's kind on /family: the child form's error stayed until the next submit."""
    context, page, _errors = steps.phone(browser, live, LOCALE["ko"])
    try:
        _family_with(page, live["app"], "ko", [])
        page.tap("#add-child")
        page.tap("#child-form button[type=submit]")
        assert page.inner_text("#child-form-error").strip() != ""  # the missing fields are named
        page.fill("#child-form input[name=given_name]", "하린")
        assert page.inner_text("#child-form-error") == ""
    finally:
        context.close()
