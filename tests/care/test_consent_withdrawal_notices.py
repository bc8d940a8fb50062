"""A consent withdrawal tells each provider once (tester pass 27, finding 7): a family with
several live bookings at one provider (a weekly pattern's dates) withdrawing ``care_notes`` or
``share_with_provider`` writes ONE message per provider listing every affected booking by its
window, programme and reference — not one per date — and the share withdrawal's notice never
names the child (finding 8). Rendered at delivery in each language. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from app.care.children import CARE_NOTES, SHARE_WITH_PROVIDER
from app.care.notify.messages import STAFF_AUDIENCE, render
from app.care.references import booking_reference
from tests.care.test_children import (  # noqa: F401  (fixtures)
    F1,
    F2,
    T0,
    WINDOW,
    _outbox_rows,
    accounts,
    book,
    bookings,
    engine,
    make_family,
    sqlite_template,
    store,
)
from tests.live.conftest import postgres_db  # noqa: F401  (fixture)

NAMES = {F1: "햇살어린이집", F2: "달빛센터"}.get


def _week(n: int) -> tuple:
    return WINDOW[0] + timedelta(days=7 * n), WINDOW[1] + timedelta(days=7 * n)


def test_one_message_per_provider_listing_its_dates(accounts, store, bookings, engine):  # noqa: F811
    fam = make_family(accounts, store, "mom@example.com", given_name="지우")
    at_f1 = [book(bookings, fam.child_id, fam.guardian_id, window=_week(n)) for n in range(3)]
    at_f2 = book(bookings, fam.child_id, fam.guardian_id, facility=F2, window=_week(4))

    store.withdraw_consent(fam.guardian_id, CARE_NOTES, T0 + timedelta(minutes=1))
    notes = _outbox_rows(engine, "booking.notes_withdrawn")
    assert [m["to"] for m in notes] == [[{"facility_id": F1}], [{"facility_id": F2}]], notes
    assert [b["booking_id"] for b in notes[0]["bookings"]] == [b.id for b in at_f1]
    assert [b["booking_id"] for b in notes[1]["bookings"]] == [at_f2.id]
    assert notes[0]["first_name"] == "지우"  # the notes notice may name the child: its staff still see the name
    ko = render("booking.notes_withdrawn", notes[0], "ko", NAMES, audience=STAFF_AUDIENCE)
    assert "해당 예약 3건" in ko.body and ko.body.count("예약번호") == 3, ko.body
    assert "12월 1일(화) 00:30–02:30" in ko.body and "12월 15일(화) 00:30–02:30" in ko.body, ko.body
    for b in at_f1:
        assert booking_reference(b.id) in ko.body

    store.withdraw_consent(fam.guardian_id, SHARE_WITH_PROVIDER, T0 + timedelta(minutes=2))
    shared = _outbox_rows(engine, "booking.sharing_withdrawn")
    assert len(shared) == 2 and [len(m["bookings"]) for m in shared] == [3, 1], shared
    assert all("지우" not in json.dumps(m, ensure_ascii=False) for m in shared)
    for locale in ("ko", "en"):
        text = render("booking.sharing_withdrawn", shared[0], locale, NAMES, audience=STAFF_AUDIENCE)
        assert "지우" not in text.body and "지우" not in text.title, text.body
        assert all(booking_reference(b.id) in text.body for b in at_f1), text.body
    en = render("booking.sharing_withdrawn", shared[0], "en", NAMES, audience=STAFF_AUDIENCE)
    assert "Bookings at 햇살어린이집 (3): Tue 1 Dec 00:30–02:30, Always-open" in en.body, en.body


def test_a_notes_notice_after_sharing_was_withdrawn_does_not_name_the_child(accounts, store, bookings,  # noqa: F811
                                                                             engine):  # noqa: F811
    """Tester pass 28: with share_with_provider withdrawn first, the staff may no longer see
    the child's name; the care-notes notice that follows must not say it either."""
    fam = make_family(accounts, store, "dad@example.com", given_name="서준")
    at_f1 = book(bookings, fam.child_id, fam.guardian_id, window=_week(0))
    store.withdraw_consent(fam.guardian_id, SHARE_WITH_PROVIDER, T0 + timedelta(minutes=1))
    store.withdraw_consent(fam.guardian_id, CARE_NOTES, T0 + timedelta(minutes=2))
    [notes] = _outbox_rows(engine, "booking.notes_withdrawn")
    assert [b["booking_id"] for b in notes["bookings"]] == [at_f1.id]
    assert "서준" not in json.dumps(notes, ensure_ascii=False), notes
    for locale in ("ko", "en"):
        text = render("booking.notes_withdrawn", notes, locale, NAMES, audience=STAFF_AUDIENCE)
        assert "서준" not in text.body and "서준" not in text.title, text.body
        assert booking_reference(at_f1.id) in text.body


def test_the_reference_is_short_and_shown_by_the_api():
    assert booking_reference("3f9a2c7e5d0b4e1f9a2c7e5d0b4e1f9a") == "3F9A-2C7E"
    assert booking_reference("b1") == "B1"
