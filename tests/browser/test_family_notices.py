"""Tester 29, finding 1: the outbox's in-page messages are shown. A parent books, the centre's
staff confirm in their inbox, the outbox is delivered (as the serve command's worker does), and
the parent's /family shows "예약이 확정되었습니다" / "Booking confirmed" in its notices block within a
few seconds, without a reload, with an unread badge; "모두 읽음 / Mark all read" clears it. When the
family withdraws sharing, the staff's inbox shows it in its own notices block. On a phone, in Korean and English."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.care.notify.senders import InPageSender
from app.care.outbox import OutboxWorker
from app.db.engine import make_engine

from . import care_steps as steps
from .test_family_pages import CENTRE, SEOUL

pytestmark = pytest.mark.browser

SAID = {"ko": {"title": "예약이 확정되었습니다", "unread": "읽지 않음 1", "mark": "모두 읽음", "heading": "알림"},
        "en": {"title": "Booking confirmed", "unread": "1 unread", "mark": "Mark all read", "heading": "Notices"}}


# The staff's notice in their account's language (the one they signed up in).
WITHDRAWN_TITLES = ("가족이 아이 정보 제공 동의를 철회했습니다", "A family withdrew consent to share")


def _tomorrow(hh: int) -> str:
    return f"{(datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()}T{hh:02d}:00"


def _deliver(flask_app) -> None:
    """The outbox worker's in-page channel, once (the serve command runs it all the time)."""
    engine = make_engine(str(flask_app.extensions["dolbom_db"].url))
    by_id = flask_app.extensions["dolbom_registry"].index.by_id
    try:
        OutboxWorker(engine, [InPageSender(engine)], f"t-{uuid.uuid4().hex[:6]}", lease_seconds=60,
                     facility_name=lambda fid: by_id[fid].name if fid in by_id else None).drain(datetime.now(UTC))
    finally:
        engine.dispose()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_parent_sees_the_confirmation_notice_without_a_reload(browser, live, artifacts, lang):
    app_url, flask_app, said = live["app"], live["flask_app"], SAID[lang]
    locale = "ko-KR" if lang == "ko" else "en-US"
    desk_context, desk, desk_errors = steps.phone(browser, live, locale)
    family_context, family, family_errors = steps.phone(browser, live, locale)
    try:
        steps.sign_in(desk, app_url, steps.staff_account(flask_app, CENTRE), f"/provider/inbox?lang={lang}")
        steps.ready(desk)
        assert said["heading"] in desk.inner_text("#notices-title")
        desk.locator("form.derive[data-programme=elementary_emergency] button").tap()
        desk.locator("form.derive[data-programme=elementary_emergency] .result:not(:empty)").wait_for()

        steps.sign_up(family, app_url, lang, f"/family?lang={lang}")
        family.wait_for_url(f"**/family?lang={lang}")
        steps.ready(family)
        assert family.locator("#notices-badge").is_hidden()
        steps.register_child(family, "서준", "김", "2017-05-05", "김하늘", "010-2345-6789")
        family.goto(f"{app_url}/family/book?facility_id={CENTRE}&programme=elementary_emergency"
                    f"&start={_tomorrow(18)}&end={_tomorrow(20)}&lang={lang}")
        item = steps.book_for_the_desk(family, desk)
        family.goto(f"{app_url}/family?lang={lang}")
        steps.ready(family)
        family.evaluate("window.__sameLoad = true")
        item.locator("button[data-action=confirm]").tap()
        family.locator("#bookings li[data-status=accepted]").wait_for(timeout=5000)
        _deliver(flask_app)

        notice = family.locator("#notices-list li[data-topic='booking.confirmed']")
        notice.wait_for(timeout=5000)  # the page's own poll, no reload
        assert family.evaluate("window.__sameLoad") is True
        assert said["title"] in notice.inner_text() and "서준" in notice.inner_text()
        assert CENTRE not in notice.inner_text()  # the provider by its name
        assert "unread" in (notice.get_attribute("class") or "")
        badge = family.locator("#notices-badge")
        assert badge.is_visible() and badge.inner_text() == said["unread"]
        assert datetime.now(SEOUL).strftime("%Y-%m-%d") in notice.locator("time").inner_text()
        steps.fits(family)
        family.locator("#notices").screenshot(path=str(artifacts / f"family-notices-{lang}.png"))

        mark = family.locator("#notices-mark-all")
        assert mark.inner_text() == said["mark"]
        mark.tap()
        family.locator("#notices[data-unread='0']").wait_for(timeout=5000)
        assert badge.is_hidden() and mark.is_hidden()
        assert "unread" not in (notice.get_attribute("class") or "")

        # The family withdraws sharing: the centre's staff read it in their inbox's block (its poll).
        withdrawn = family.evaluate("""() => fetch('/api/v1/consents/share_with_provider', {method: 'DELETE',
            credentials: 'same-origin', headers: {Accept: 'application/json',
            'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}}).then((r) => r.status)""")
        assert withdrawn == 200
        _deliver(flask_app)
        told = desk.locator("#notices-list li[data-topic='booking.sharing_withdrawn']")
        told.wait_for(timeout=5000)
        assert any(title in told.inner_text() for title in WITHDRAWN_TITLES), told.inner_text()
        assert desk.locator("#notices-badge").is_visible()
        steps.fits(desk)
        assert steps.script_errors(family_errors) == [] and steps.script_errors(desk_errors) == []
    finally:
        desk_context.close()
        family_context.close()
