"""Tester 28, finding 7 ("Decline reasons"): a common decline reason is stored as its code
(app/reference/decline_reasons.json) and each reader gets it in their own language — the family's
message, the booking's events over the API — whatever the language of the staff's page; words the
staff type stay as typed; reasons stored before (a preset's words) are read as that preset."""

from __future__ import annotations

import sqlalchemy as sa

from app.care.notify import reasons
from app.care.notify.messages import render
from app.db.engine import outbox
from tests.care.test_api_bookings import CENTRE, book, guardian, publish, staff
from tests.pages.conftest import app, clock, csrf_of, make_app  # noqa: F401  (fixtures)

NAMES = {CENTRE: "작은지역아동센터"}.get


def _declined_payloads(app) -> list[dict]:  # noqa: F811
    with app.extensions["dolbom_db"].connect() as conn:
        return [r.payload for r in conn.execute(sa.select(outbox.c.payload).where(
            outbox.c.topic == "booking.declined").order_by(outbox.c.id))]


def test_a_preset_reason_is_stored_as_its_code_and_read_in_each_readers_language(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    desk = staff(app, "staff@cc.kr", CENTRE)
    publish(desk, CENTRE, "elementary_emergency")
    first = book(father, child_id, CENTRE, "elementary_emergency", 18, 21).json
    second = book(father, child_id, CENTRE, "elementary_emergency", 13, 15).json
    inbox = desk.get(f"/provider/inbox?facility_id={CENTRE}&lang=en").get_data(as_text=True)
    assert "We are full" in inbox and '"code": "full"' in inbox.replace('"code":"full"', '"code": "full"')

    refused = desk.send("POST", f"/api/v1/bookings/{first['id']}/decline", {"reason_code": "moon"})
    assert refused.status_code == 400 and refused.json["error"]["field"] == "reason_code", refused.json
    both = desk.send("POST", f"/api/v1/bookings/{first['id']}/decline", {"reason_code": "full", "reason": "x"})
    assert both.status_code == 400 and both.json["error"]["field"] == "reason_code", both.json
    assert desk.send("POST", f"/api/v1/bookings/{first['id']}/decline",
                     {"reason_code": "full"}).json["status"] == "rejected"
    typed_decline = desk.send("POST", f"/api/v1/bookings/{second['id']}/decline", {"reason": "오늘은 행사가 있어요"})
    assert typed_decline.status_code == 200, typed_decline.json

    for lang, words in (("ko", "정원이 찼습니다"), ("en", "We are full")):
        if lang == "en":  # the family now reads English (its account's language)
            page = father.client.get("/account?lang=en").get_data(as_text=True)
            assert father.client.post("/account/language?lang=en", data={"locale": "en", "csrf_token": csrf_of(page)}
                                      ).status_code == 302
        events = father.get(f"/api/v1/bookings/{first['id']}").json["events"]
        assert [(e["action"], e["reason"], e["reason_code"]) for e in events][-1] == ("decline", words, "full")
        typed = father.get(f"/api/v1/bookings/{second['id']}").json["events"]
        assert [(e["reason"], e["reason_code"]) for e in typed][-1] == ("오늘은 행사가 있어요", None)

    coded, free = _declined_payloads(app)
    assert coded["reason"] == "preset:full" and free["reason"] == "오늘은 행사가 있어요"
    ko, en = render("booking.declined", coded, "ko", NAMES), render("booking.declined", coded, "en", NAMES)
    assert ko.body.endswith("기관이 남긴 사유: “정원이 찼습니다”"), ko.body
    assert en.body.endswith('The provider\'s reason: "We are full"'), en.body
    assert render("booking.declined", free, "en", NAMES).body.endswith('reason: "오늘은 행사가 있어요"')


def test_a_presets_words_from_any_page_are_stored_as_its_code(app):  # noqa: F811
    """A client that sends the words it showed (an English page's "We are full") still stores the
    code: a Korean family reads Korean."""
    father, child_id = guardian(app, "father@example.kr", birth_date="2017-05-05")
    desk = staff(app, "staff@cc.kr", CENTRE)
    publish(desk, CENTRE, "elementary_emergency")
    held = book(father, child_id, CENTRE, "elementary_emergency", 18, 21).json
    assert desk.send("POST", f"/api/v1/bookings/{held['id']}/decline", {"reason": "We are full"}).status_code == 200
    [payload] = _declined_payloads(app)
    assert payload["reason"] == "preset:full"
    assert render("booking.declined", payload, "ko", NAMES).body.endswith("“정원이 찼습니다”")


def test_stored_reasons_from_before_read_as_before_or_as_their_preset():
    assert reasons.text("We are full", "ko") == "정원이 찼습니다"  # a preset's words stored before codes
    assert reasons.text("정원이 찼습니다", "en") == "We are full"
    assert reasons.text("Full today, sorry", "ko") == "Full today, sorry"  # typed: as typed
    assert reasons.text(None, "ko") is None
    assert reasons.text("preset:moon", "ko") == "preset:moon" and reasons.code_of("preset:moon") is None
    assert reasons.from_words("돌볼 선생님이 없습니다") == "preset:staff"
    assert [c["code"] for c in reasons.choices("en")] == ["full", "closed", "age", "staff"]
