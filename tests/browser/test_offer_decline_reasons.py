"""Tester 30, finding 2: an emergency offer is declined in the inbox with the same common reasons
as a booking (app/reference/decline_reasons.json, stored as the code) or the staff's own words,
a reason still optional for an offer — on a phone, in Korean and English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db.request_tables import offer_events

from . import care_steps as steps
from .test_tester_pass_24_inbox import _desk, _request_at_the_centre

pytestmark = pytest.mark.browser

PRESETS = json.loads((Path(__file__).resolve().parents[2] / "app/reference/decline_reasons.json")
                     .read_text(encoding="utf-8"))["reasons"]


def _reject_reason(flask_app, request_id: str) -> list[str | None]:
    with flask_app.extensions["dolbom_db"].connect() as conn:
        return list(conn.execute(sa.select(offer_events.c.reason).where(
            offer_events.c.request_id == request_id, offer_events.c.to_state == "rejected")).scalars())


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_offer_is_declined_with_a_common_reason_stored_as_its_code(browser, live, lang):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR" if lang == "ko" else "en-US", lang)
    try:
        request_id = _request_at_the_centre(flask_app, "하린")
        card = desk.locator("#new-offers li.offer")
        card.wait_for(timeout=3000)
        card.locator("button[data-action=decline]").click()
        box = card.locator(".decline")
        for code, words in PRESETS.items():
            assert box.get_by_label(words[lang]).count() == 1, code
        box.get_by_label(PRESETS["full"][lang]).check()
        steps.fits(desk)
        box.locator("button[data-action=decline-send]").click()
        desk.locator("#offers-empty").wait_for(timeout=3000)
        assert _reject_reason(flask_app, request_id) == ["preset:full"]
        assert errors == []
    finally:
        context.close()


def test_an_offer_may_still_be_declined_without_a_reason(browser, live):
    flask_app = live["flask_app"]
    context, desk, errors = _desk(browser, live, "ko-KR", "ko")
    try:
        request_id = _request_at_the_centre(flask_app, "하린")
        card = desk.locator("#new-offers li.offer")
        card.wait_for(timeout=3000)
        card.locator("button[data-action=decline]").click()
        card.locator("button[data-action=decline-send]").click()
        desk.locator("#offers-empty").wait_for(timeout=3000)
        assert _reject_reason(flask_app, request_id) == [None]
        assert errors == []
    finally:
        context.close()
