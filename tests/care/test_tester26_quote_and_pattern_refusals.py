"""Tester 26, findings 1 and 5: the single window's quote checks the provider's published
places as the booking does (one function, :func:`app.care.bookings.check_places`); a weekly
pattern's date refused names what a parent reads (the child's first name, the other booking's
provider by name), and every refusal a pattern's date can have has a parent's text in Korean
and English (``errcode_pattern_<code>_<reason>``, app/static/js/family/book.js)."""

from __future__ import annotations

import inspect
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from app.care import bookings as care_bookings
from tests.care.test_api_bookings import CENTRE, DAYCARE, SEOUL, guardian, publish, staff
from tests.care.test_weekly_bookings import PUPIL_BORN, first_day, published, weekly_body
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


def test_a_single_window_quote_refuses_unpublished_places_as_the_booking_does(app):  # noqa: F811
    mother, child_id = guardian(app, "mother@example.kr")
    publish(staff(app, "dc@example.kr", DAYCARE), DAYCARE, "always_daycare")  # the next 3 days
    day = datetime.now(SEOUL).date() + timedelta(days=10)
    body = {"child_id": child_id, "facility_id": DAYCARE, "programme": "always_daycare",
            "start": f"{day.isoformat()}T19:00", "end": f"{day.isoformat()}T21:00"}
    answers = [mother.send("POST", path, body) for path in ("/api/v1/bookings/quote", "/api/v1/bookings")]
    for r in answers:
        assert r.status_code == 409, r.json
    quoted, booked = (r.json["error"] for r in answers)
    # the window starts after the last published places (tester 27: its own reason, an earlier date)
    assert (quoted["code"], quoted["reason"]) == (booked["code"], booked["reason"]) == ("not_bookable",
                                                                                        "window_after_places")
    assert quoted["places_until"] == booked["places_until"]


def test_a_pattern_date_clashing_with_the_childs_booking_names_the_child_and_the_provider(app):  # noqa: F811
    father, child_id = guardian(app, "father@example.kr", birth_date=PUPIL_BORN)
    published(staff(app, "cc@example.kr", CENTRE), 2)
    day = first_day().isoformat()
    single = father.send("POST", "/api/v1/bookings", {
        "child_id": child_id, "facility_id": CENTRE, "programme": "elementary_emergency",
        "start": f"{day}T15:00", "end": f"{day}T17:00"})
    assert single.status_code == 201, single.json
    for path in ("/api/v1/bookings/quote", "/api/v1/bookings"):
        r = father.send("POST", path, weekly_body(child_id, weeks=1))
        assert r.status_code == 409, r.json
        dates = r.json["error"]["dates"]
        assert [d["date"] for d in dates] == [day]
        entry = dates[0]
        assert (entry["code"], entry["first_name"], entry["provider_name"]) == (
            "child_already_booked", "하린", "영통지역아동센터")
        assert entry["window_start"].startswith(f"{day}T15:00") and entry["window_end"].startswith(f"{day}T17:00")


def _pattern_refusals() -> set[tuple[str, str]]:
    """(code, reason) of every refusal a pattern's date can carry: the classes check_child_window
    and check_places raise, and each reason refuse_uncovered gives a NotBookable."""
    classes = (care_bookings.ChildAlreadyBooked, care_bookings.ChildAlreadyRequested,
               care_bookings.TooManyConsecutiveDays, care_bookings.PlacesFull, care_bookings.NoPlacesOpened)
    found = {(str(c.code), str(c.reason)) for c in classes}
    reasons = re.findall(r'"window", "(\w+)"', inspect.getsource(care_bookings.refuse_uncovered))
    assert len(reasons) == 5, reasons
    return found | {("not_bookable", r) for r in reasons}


def test_every_refusal_of_a_pattern_date_has_a_parents_text_in_both_languages():
    for lang in ("ko", "en"):
        messages = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
        for code, reason in sorted(_pattern_refusals()):
            text = messages.get(f"errcode_pattern_{code}_{reason}")
            assert text, (lang, code, reason)
            assert "_id}" not in text and "{message}" not in text, text
        assert "nothing was booked" not in messages["family_pattern_quote_refused"]
        assert "아무것도 예약하지" not in messages["family_pattern_quote_refused"]


def test_a_quote_says_the_hours_and_the_hourly_fee_of_its_estimate(app):  # noqa: F811
    """Tester 26, finding 4: a window over several dates is one continuous stay; the quote says
    its hours and the fee per hour, so the page can show hours × fee = the estimate."""
    mother, child_id = guardian(app, "mother@example.kr")
    publish(staff(app, "dc@example.kr", DAYCARE), DAYCARE, "always_daycare")  # the next 3 days
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    r = mother.send("POST", "/api/v1/bookings/quote", {
        "child_id": child_id, "facility_id": DAYCARE, "programme": "always_daycare",
        "start": f"{day.isoformat()}T19:00", "end": f"{(day + timedelta(days=1)).isoformat()}T21:00"})
    assert r.status_code == 200, r.json
    assert (r.json["hours"], r.json["fee_krw_per_hour"], r.json["estimate_krw"]) == (26, 3000, 78_000)
