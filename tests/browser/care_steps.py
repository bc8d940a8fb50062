"""Steps the care cycle's browser tests share (test_family_pages.py, test_care_cycle.py): phones,
accounts, signing up and in, a child registered, places opened on the inbox, a booking sent."""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import quote

from app.pages import account_sessions as people

from .conftest import Page
from .test_pages import wait_until

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}


def phone(browser, live, locale: str):
    """A phone's browser context and a page recording script errors (tile failures excepted)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale)
    page = Page(context.new_page(), live["tiles"])
    return context, page, page.errors


def ready(page) -> None:
    """Wait until the page's script says it is ready."""
    wait_until(page, "document.body.dataset.ready === '1'")


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    serious = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]


def staff_account(flask_app, facility_id: str) -> str:
    """The e-mail of a new staff account of ``facility_id`` (password PASSWORD)."""
    email = f"staff-{secrets.token_hex(4)}@centre.kr"
    people.accounts(flask_app).sign_up(email, PASSWORD, role="provider_staff", facility_id=facility_id)
    return email


def sign_up(page, app_url: str, lang: str, next_path: str) -> None:
    """Sign a new guardian up through the form, to be sent on to ``next_path``."""
    page.goto(f"{app_url}/account/sign-up?lang={lang}&next={quote(next_path, safe='')}")
    page.fill("input[name=email]", f"family-{secrets.token_hex(4)}@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.tap("#sign-up button[type=submit]")


def guardian(flask_app) -> tuple[str, str]:
    """A new guardian's account, made without the form: (its e-mail, its user id); the password
    is PASSWORD."""
    email = f"family-{secrets.token_hex(4)}@example.com"
    return email, people.accounts(flask_app).sign_up(email, PASSWORD).id


def sign_in(page, app_url: str, email: str, path: str) -> None:
    """Go to ``path`` signed out: to the sign-in form, and once signed in back to ``path``."""
    page.goto(f"{app_url}{path}")  # signed out: to sign-in and back
    page.wait_for_url("**/account/sign-in?**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.tap("#sign-in button[type=submit]")
    page.wait_for_url(f"**{path}")


def sign_in_again(page, link, email: str, back_to: str, lang: str | None = None) -> None:
    """Tap ``link`` (a "sign in again" link) to the sign-in page, sign ``email`` in (PASSWORD),
    and wait to be back at a URL ending as the glob ``**{back_to}`` says. ``lang``: the sign-in
    page's language, checked when given."""
    link.tap()
    page.wait_for_url("**/account/sign-in?**")
    if lang is not None:
        assert page.locator("html").get_attribute("lang") == lang
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.tap("#sign-in button[type=submit]")
    page.wait_for_url(f"**{back_to}")


def sign_out_in_another_tab(context, app_url: str, lang: str) -> None:
    """The guardian signs out on the account page in another tab of the same browser."""
    other = context.new_page()
    try:
        other.goto(f"{app_url}/account?lang={lang}")
        other.tap("#sign-out button[type=submit]")
        other.wait_for_url("**/account/sign-in?**")
    finally:
        other.close()


BOOKING_CONSENTS = ("child_registration", "share_with_provider")


def register_child(page, given_name: str, family_name: str, birth_date: str, contact_name: str,
                   contact_phone: str, consents: tuple[str, ...] = BOOKING_CONSENTS) -> None:
    """On the family page: register a child with ``consents`` (by default those a booking
    needs: registration, sharing with the provider), and wait for it in the list."""
    open_child_form(page, given_name, family_name, birth_date)
    page.select_option("select[name=relation]", "mother")
    page.fill("input[name=emergency_contact_name]", contact_name)
    page.fill("input[name=emergency_contact_phone]", contact_phone)
    for purpose in consents:
        page.locator(f"#consents input[value={purpose}]").check()
    page.tap("#child-form button[type=submit]")
    page.locator("#children li", has_text=given_name).filter(has_text=family_name).wait_for()


def open_child_form(page, given_name: str, family_name: str, birth_date: str) -> None:
    """On the family page: open the child form ("add a child") and fill in the names and the
    birth date (``YYYY-MM-DD``, as typed: it may be one the form refuses)."""
    page.tap("#add-child")
    page.fill("input[name=given_name]", given_name)
    page.fill("input[name=family_name]", family_name)
    page.fill("input[name=birth_date]", birth_date)


def child_form_refused(page) -> tuple[str, list[str]]:
    """Send the child form the page itself refuses: the refusal's text, once shown in
    ``#child-form-error``, and the list that collects the URL of every POST the page sends from
    then on (``[]``: nothing sent)."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.tap("#child-form button[type=submit]")
    error = page.locator("#child-form-error")
    error.wait_for()
    return error.inner_text(), sent


def register_fixed_child(page, given_name: str, birth_date: str, contact_phone: str) -> None:
    """The child form refused for its birth date and phone, both corrected to ``birth_date``
    (``YYYY-MM-DD``) and ``contact_phone``: sent again, and ``given_name`` waited for in the list."""
    page.fill("input[name=birth_date]", birth_date)
    page.fill("input[name=emergency_contact_phone]", contact_phone)
    page.tap("#child-form button[type=submit]")
    page.locator("#children li", has_text=given_name).wait_for()


def family_page(page, app_url: str, lang: str, email: str | None = None) -> None:
    """Open the family page in ``lang`` and wait until it is ready: as a new guardian signed up
    through the form or, given ``email``, as that account signed in through the form."""
    path = f"/family?lang={lang}"
    if email is None:
        sign_up(page, app_url, lang, path)
        page.wait_for_url(f"**{path}")
    else:
        sign_in(page, app_url, email, path)
    ready(page)


def family_with(page, app_url: str, lang: str, children: list[tuple[str, date]], email: str | None = None) -> None:
    """The family page as :func:`family_page` opens it, with ``children`` (given name, birth
    date) registered in that order: family name 김, emergency contact 김하늘 010-0000-0000, the
    consents a booking needs."""
    family_page(page, app_url, lang, email)
    for given, born in children:
        register_child(page, given, "김", born.isoformat(), "김하늘", "010-0000-0000")


def script_errors(errors: list[str]) -> list[str]:
    """The page's script errors, not the resources the browser failed to load (tiles, refused
    answers the test expects)."""
    return [e for e in errors if not e.startswith("Failed to load resource")]


def open_places(desk, programme: str = "elementary_emergency") -> None:
    """On the provider inbox: open the next days' places of ``programme``; then mark the page
    (``window.__sameLoad``) so a test can tell later that it was never reloaded."""
    form = desk.locator(f"form.derive[data-programme={programme}]")
    form.locator("button").tap()
    form.locator(".result", has_text="Opened").wait_for()
    desk.evaluate("window.__sameLoad = true")


def publish_places(flask_app, facility_id: str, programme: str, days: int = 3, places: int = 5) -> None:
    """The provider publishes ``places`` in hourly slots of its opening hours for ``days`` days
    from today (as its inbox's "open places" does; slots already published stand), so the map
    offers 예약하기 for it (the search's books_online)."""
    from datetime import UTC, datetime

    from app.care.slots import derive_slots
    from app.extensions.care import get_bookings
    from app.extensions.registry import get_index, get_registry

    with flask_app.app_context():
        locale = get_registry().locale
        planned = derive_slots(get_index().by_id[facility_id], programme, locale.now().date(), days, locale.tz,
                               locale.is_holiday, places)
        get_bookings().publish_missing(facility_id, programme, [(s.start, s.end, s.places) for s in planned],
                                       now=datetime.now(UTC))


def book(page) -> None:
    """On the booking page: once the fee estimate shows, book."""
    page.locator("#quote .fee").wait_for()
    page.tap("#book-button")


def book_for_the_desk(family, desk):
    """On the family's booking page, once ready: book; the booking waits for the provider, and
    appears in the provider's inbox (``desk``) within 2 s. Returns its item there."""
    ready(family)
    book(family)
    family.locator("#booking-state[data-status=requested]").wait_for()
    item = desk.locator("#new-bookings li")
    item.wait_for(timeout=2000)
    return item


def map_card(page, facility_id: str):
    """On the map: the provider's item in the result list, once shown, its card opened (its
    head tapped)."""
    item = page.locator(f"#result-list li[data-id={facility_id}]")
    item.wait_for()
    item.locator(".result-head").tap()
    return item


def book_from_map(page, map_url: str, facility_id: str) -> None:
    """Open the map at ``map_url``, open the provider's card and tap its 예약하기: the booking
    page is open when this returns."""
    page.goto(map_url)
    map_card(page, facility_id).locator("a.book-link").tap()
    page.wait_for_url("**/family/book?**")


def admin_queue_item(page, app_url: str, flask_app, lang: str, request_id: str):
    """Sign a new admin in on ``page`` and open the unmatched requests' queue; returns the
    request's item there once shown."""
    email = f"ops-{secrets.token_hex(4)}@example.go.kr"
    people.accounts(flask_app).sign_up(email, PASSWORD, role="admin")
    sign_in(page, app_url, email, f"/admin/care-requests?lang={lang}")
    ready(page)
    queued = page.locator(f"#queue li[data-id='{request_id}']")
    queued.wait_for()
    return queued
