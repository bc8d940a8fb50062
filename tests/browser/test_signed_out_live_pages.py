"""Tester 25's finding 5 on a phone, in Korean and English: a live page whose session ends on the
server while it polls (a password reset elsewhere ends every session) says so at once, with a
link to sign in again that comes back to the same page in the same language, stops polling and
no longer claims to be waiting — the emergency request page, the family page, the booking page
waiting for the provider and the provider inbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from app.api.care_requests import engine
from app.commands.demo import birth_date_for
from app.pages import account_sessions as people

from . import care_steps as steps

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
CENTRE = "demo-cc-00037"  # 교동지역아동센터: 초등 시설형 긴급돌봄 (72-155 months)
HOME = "37.5345|126.8125|오정구"
LOCALE = {"ko": "ko-KR", "en": "en-US"}
SAID = {
    "ko": {"signed_out": "로그인이 끝났습니다. 다시 로그인하면 이어서 보여 드립니다.", "link": "다시 로그인",
           "stale": "마지막으로 확인한 상태입니다", "waiting": "답이 오면 이 화면에 바로 나옵니다",
           "cancel_sign_in": "다시 로그인하면 이 요청을 취소할 수 있습니다"},
    "en": {"signed_out": "You were signed out. Sign in again to keep following this.", "link": "Sign in again",
           "stale": "This is the last state seen", "waiting": "Their answer shows here at once",
           "cancel_sign_in": "Sign in again to cancel this request"},
}


def _at(days: int, hh: int) -> str:
    day = datetime.now(SEOUL).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hh:02d}:00"


def _end_sessions(flask_app, user_id: str) -> None:
    """What a password reset on another device does to this account: every session ends."""
    assert people.sessions(flask_app).end_all(user_id, "password_reset") >= 1


def _says_signed_out(page, lang: str, back_to: str) -> None:
    """The notice shows within a few polls, in view, with a sign-in link back to ``back_to``
    (a path and query) in the page's language."""
    notice = page.locator("#signed-out")
    notice.wait_for(timeout=8000)
    assert notice.get_attribute("role") == "alert"
    assert SAID[lang]["signed_out"] in notice.inner_text() and SAID[lang]["link"] in notice.inner_text()
    box = notice.bounding_box()
    assert box is not None and box["y"] >= -1 and box["y"] < steps.PHONE["height"]  # kept in view
    href = page.get_attribute("#sign-in-again", "href")
    link = urlsplit(href)
    query = parse_qs(link.query)
    assert link.path == "/account/sign-in" and query["lang"] == [lang]
    assert query["next"] == [back_to], (query["next"], back_to)
    steps.fits(page)


def _no_more_polls(page, path_part: str) -> None:
    """After the notice, the page asks the server nothing more."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if path_part in r.url else None)
    page.wait_for_timeout(3000)
    assert asked == []


def _request_sent(page, app_url: str, lang: str, email: str, hours: tuple[int, int]) -> str:
    """Sign ``email`` in, register 서준 (8), and send an emergency request for tomorrow's ``hours``
    from the request page; once it waits for a provider, the page's path and query."""
    steps.family_with(page, app_url, lang, [("서준", birth_date_for(8, datetime.now(SEOUL).date()))], email)
    page.goto(f"{app_url}/family/request?lang={lang}&programme=elementary_emergency&home={HOME}"
              f"&start={_at(1, hours[0])}&end={_at(1, hours[1])}")
    steps.ready(page)
    assert "서준" in page.locator("select[name=child] option:checked").inner_text()  # the only child it takes
    page.tap("#request-button")
    page.locator("#request-state[data-status=requested]").wait_for()
    here = urlsplit(page.url)
    return f"{here.path}?{here.query}"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_request_and_family_pages_say_the_session_ended_and_sign_in_comes_back(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email, user_id = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        back_to = _request_sent(page, app_url, lang, email, (19, 21))
        assert SAID[lang]["waiting"] in page.inner_text("#request-state")
        request_id = page.get_attribute("#request-state .request", "data-id")
        assert parse_qs(urlsplit(back_to).query)["request_id"] == [request_id]  # the address names the request

        _end_sessions(flask_app, user_id)
        _says_signed_out(page, lang, back_to)
        state = page.inner_text("#request-state")
        assert SAID[lang]["stale"] in state and SAID[lang]["waiting"] not in state
        _no_more_polls(page, "/api/v1/care-requests")
        page.screenshot(path=f"tests/artifacts/signed-out-request-{lang}.png")

        # signing in again comes back to the request, in the same language
        steps.sign_in_again(page, page.locator("#sign-in-again"), email, back_to, lang)
        page.locator(f"#request-state .request[data-id='{request_id}']").wait_for()
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#signed-out").count() == 0

        # the family page polls while the request waits: the same
        page.goto(f"{app_url}/family?lang={lang}")
        steps.ready(page)
        page.locator("#care-requests [data-status=requested]").wait_for()
        _end_sessions(flask_app, user_id)
        _says_signed_out(page, lang, f"/family?lang={lang}")
        assert SAID[lang]["stale"] in page.inner_text("#care-requests")
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_provider_inbox_says_the_session_ended(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    email = steps.staff_account(flask_app, CENTRE)
    user_id = people.accounts(flask_app).sign_in(email, steps.PASSWORD).id
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, app_url, email, f"/provider/inbox?lang={lang}")
        steps.ready(page)
        _end_sessions(flask_app, user_id)
        started = time.monotonic()
        _says_signed_out(page, lang, f"/provider/inbox?lang={lang}")
        assert time.monotonic() - started < 5  # the inbox polls every second
        _no_more_polls(page, "/api/v1/")
        page.screenshot(path=f"tests/artifacts/signed-out-inbox-{lang}.png")
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_booking_page_waiting_for_the_provider_says_the_session_ended(browser, live, lang):
    flask_app, app_url = live["flask_app"], live["app"]
    desk_context, desk, _ = steps.phone(browser, live, "en-US")
    email, user_id = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), "/provider/inbox?lang=en")
        steps.ready(desk)
        steps.open_places(desk)
        steps.family_with(page, app_url, lang, [("서준", birth_date_for(8, datetime.now(SEOUL).date()))], email)
        page.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                  f"&start={_at(1, 18)}&end={_at(1, 21)}&lang={lang}")
        steps.book_for_the_desk(page, desk)  # the booking waits for the provider; the page polls
        here = urlsplit(page.url)
        _end_sessions(flask_app, user_id)
        _says_signed_out(page, lang, f"{here.path}?{here.query}")
        assert SAID[lang]["stale"] in page.inner_text("#booking-state")
        _no_more_polls(page, "/api/v1/bookings/")
        page.screenshot(path=f"tests/artifacts/signed-out-book-{lang}.png")
        assert steps.script_errors(errors) == []
    finally:
        context.close()
        desk_context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_request_page_takes_cancel_away_once_signed_out_in_another_tab(browser, live, artifacts, lang):
    """A request passed to people who will call (unmatched) waits for no provider but can still be
    cancelled: the page keeps reading it, notices the sign-out in another tab, and offers signing in
    again (back to the request) where the cancel was, rather than a cancel the server refuses."""
    flask_app, app_url = live["flask_app"], live["app"]
    email, _ = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        back_to = _request_sent(page, app_url, lang, email, (15, 18))
        with flask_app.app_context():
            engine().fire_due(datetime.now(UTC) + timedelta(days=2))  # every deadline passed: unmatched
        page.locator("#request-state[data-status=unmatched]").wait_for(timeout=8000)
        cancel = page.locator("#request-state button[data-action=cancel]")
        assert cancel.is_visible()

        steps.sign_out_in_another_tab(context, app_url, lang)
        _says_signed_out(page, lang, back_to)
        assert cancel.count() == 0
        again = page.locator("#request-state a.sign-in-to-cancel")
        assert again.inner_text() == SAID[lang]["cancel_sign_in"]
        link = urlsplit(again.get_attribute("href"))
        assert link.path == "/account/sign-in" and parse_qs(link.query)["next"] == [back_to]
        steps.fits(page)
        page.screenshot(path=str(artifacts / f"signed-out-request-cancel-{lang}.png"))

        # signing in again comes back to the request, its cancel there again
        steps.sign_in_again(page, again, email, back_to, lang)
        cancel.wait_for()
        assert page.locator("#signed-out").count() == 0
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_booking_form_says_the_session_ended_and_keeps_book_off(browser, live, lang):
    """Stop 26's open point: the booking form (nothing followed yet) notices a sign-out in another
    tab, says so and disables Book; and a Book tapped just after the session ended on the server
    (its POST refused with 401) stays disabled rather than coming back to life."""
    flask_app, app_url = live["flask_app"], live["app"]
    steps.publish_places(flask_app, CENTRE, "elementary_emergency")
    email, user_id = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.family_with(page, app_url, lang, [("서준", birth_date_for(8, datetime.now(SEOUL).date()))], email)
        book_url = (f"/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                    f"&start={_at(1, 18)}&end={_at(1, 21)}&lang={lang}")
        page.goto(app_url + book_url)
        steps.ready(page)
        page.locator("#quote .fee").wait_for()
        button = page.locator("#book-button")

        # the session ends on the server; Book is tapped before the page's own check notices
        _end_sessions(flask_app, user_id)
        button.tap()
        _says_signed_out(page, lang, book_url)
        page.wait_for_timeout(500)
        assert button.is_disabled()
        assert page.locator("#booking-state[data-status]").count() == 0  # nothing was booked

        # a second tab's sign-out: the idle form notices it by itself
        steps.sign_in(page, app_url, email, book_url)
        page.locator("#quote .fee").wait_for()
        assert page.locator("#signed-out").count() == 0 and not button.is_disabled()
        steps.sign_out_in_another_tab(context, app_url, lang)
        _says_signed_out(page, lang, book_url)
        assert button.is_disabled()
        assert steps.script_errors(errors) == []
    finally:
        context.close()
