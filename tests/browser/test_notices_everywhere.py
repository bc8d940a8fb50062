"""The notices block (알림 / Notices) wherever a signed-in person lands, not only on /family and
/provider/inbox: a guardian on /account and an admin on the unmatched requests' list read their
own notices there, with the unread badge, and each unread notice can be marked read on its own
("읽음 표시 / Mark read": POST /api/v1/notifications/read {"ids": [id]}), leaving the others
unread; a new notice appears without a reload (the block's own poll there). On a phone, in
Korean and English."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.db.outbox_tables import notifications
from app.pages import account_sessions as people

from . import care_steps as steps

pytestmark = pytest.mark.browser

SAID = {"ko": {"heading": "알림", "one": "읽음 표시", "unread": "읽지 않음 {n}", "all": "모두 읽음"},
        "en": {"heading": "Notices", "one": "Mark read", "unread": "{n} unread", "all": "Mark all read"}}
LOCALE = {"ko": "ko-KR", "en": "en-US"}
_outbox_ids = itertools.count(900_000 + secrets.randbelow(10**6) * 10)


def _notice(flask_app, user_id: str, title: str, minutes_ago: int = 0) -> int:
    """A notice delivered in the page to ``user_id`` (as the outbox's in-page channel writes it)."""
    with flask_app.extensions["dolbom_db"].begin() as conn:
        return conn.execute(notifications.insert().values(
            user_id=user_id, outbox_id=next(_outbox_ids), topic="booking.confirmed", locale="ko", title=title,
            body=f"{title}: 본문", created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago))
            .returning(notifications.c.id)).scalar_one()


def _read(flask_app, ids: list[int]) -> dict[int, bool]:
    with flask_app.extensions["dolbom_db"].connect() as conn:
        rows = conn.execute(sa.select(notifications.c.id, notifications.c.read_at)
                            .where(notifications.c.id.in_(ids))).all()
    return {r.id: r.read_at is not None for r in rows}


def _mark_one_then_see_a_new_one(page, flask_app, user_id: str, lang: str, artifacts, name: str) -> None:
    """On ``page`` (signed in as ``user_id``, with two unread notices and another person's one):
    the block lists them, one is marked read on its own, a new one comes without a reload."""
    said = SAID[lang]
    older = _notice(flask_app, user_id, f"오래된 알림 {name}", minutes_ago=5)
    newer = _notice(flask_app, user_id, f"새 알림 {name}", minutes_ago=1)
    _, stranger_id = steps.guardian(flask_app)
    theirs = _notice(flask_app, stranger_id, "남의 알림")
    page.evaluate("window.__sameLoad = true")
    items = page.locator("#notices-list li")
    page.locator(f"#notices-list li[data-id='{older}']").wait_for(timeout=8000)
    assert said["heading"] in page.inner_text("#notices-title")
    assert items.evaluate_all("ls => ls.map((l) => Number(l.dataset.id))") == [newer, older]
    badge = page.locator("#notices-badge")
    assert badge.inner_text() == said["unread"].format(n=2)
    first = page.locator(f"#notices-list li[data-id='{newer}']")
    button = first.locator("button[data-action=read]")
    assert button.inner_text() == said["one"]
    steps.fits(page)
    steps.accessible(page)
    page.locator("#notices").screenshot(path=str(artifacts / f"notices-{name}-{lang}.png"))

    button.tap()
    page.locator("#notices[data-unread='1']").wait_for(timeout=5000)
    assert "unread" not in (first.get_attribute("class") or "")
    assert first.locator("button[data-action=read]").count() == 0
    second = page.locator(f"#notices-list li[data-id='{older}']")
    assert "unread" in (second.get_attribute("class") or "") and second.locator("button").count() == 1
    assert badge.inner_text() == said["unread"].format(n=1)
    assert _read(flask_app, [older, newer, theirs]) == {older: False, newer: True, theirs: False}

    latest = _notice(flask_app, user_id, f"방금 온 알림 {name}")
    page.locator(f"#notices-list li[data-id='{latest}']").wait_for(timeout=8000)  # its poll
    assert page.evaluate("window.__sameLoad") is True
    assert badge.inner_text() == said["unread"].format(n=2)
    mark_all = page.locator("#notices-mark-all")
    assert mark_all.inner_text() == said["all"]
    mark_all.tap()
    page.locator("#notices[data-unread='0']").wait_for(timeout=5000)
    assert badge.is_hidden()
    assert _read(flask_app, [older, newer, latest, theirs]) == {older: True, newer: True, latest: True,
                                                                theirs: False}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_guardian_reads_and_marks_notices_on_the_account_page(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    email, user_id = steps.guardian(flask_app)
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, live["app"], email, f"/account?lang={lang}")
        page.locator("#account").wait_for()
        _mark_one_then_see_a_new_one(page, flask_app, user_id, lang, artifacts, "account")
        assert page.locator("#message-language select[name=locale]").count() == 1  # the page as before
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_admin_reads_and_marks_notices_on_the_unmatched_requests(browser, live, artifacts, lang):
    flask_app = live["flask_app"]
    email = f"ops-{secrets.token_hex(4)}@example.go.kr"
    user_id = people.accounts(flask_app).sign_up(email, steps.PASSWORD, role="admin").id
    context, page, errors = steps.phone(browser, live, LOCALE[lang])
    try:
        steps.sign_in(page, live["app"], email, f"/admin/care-requests?lang={lang}")
        steps.ready(page)
        _mark_one_then_see_a_new_one(page, flask_app, user_id, lang, artifacts, "admin")
        steps.fits(page)
        assert steps.script_errors(errors) == []
    finally:
        context.close()
