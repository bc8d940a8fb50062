"""The API takes the windows the pages take (tester pass 24, finding 6): every start and end of
a booking, a quote, an emergency request and a published slot falls on the window step
(``window_step_minutes`` in app/reference/booking_rules.json, 15: the pages' time pickers); any
other time is a 400 with ``reason`` ``window_step``, the step and the nearest allowed times,
which the pages say in Korean and English. Places are a whole number: 2.5 is a 400 naming the
field, never 2."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care import rules
from app.care.rules import booking_rule, window_step_minutes
from app.care.slots import SlotPlanError, derive_slots
from app.care.windows import WindowError, check_weekly, check_window
from app.i18n import LANGUAGES, catalogue
from tests.care.test_api_bookings import CENTRE, DAYCARE, guardian, publish, staff, tomorrow
from tests.care.test_api_requests import HOME, next_weekday
from tests.pages.conftest import app, clock, make_app  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")
DAYCARE_RULE = booking_rule("always_daycare")


def kst(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, 12, 3, hh, mm, ss, tzinfo=SEOUL)


def test_the_step_is_the_rule_in_booking_rules_json(monkeypatch):
    assert window_step_minutes() == 15
    monkeypatch.setattr(rules, "document", lambda name: {"window_step_minutes": 7})
    rules.window_step_minutes.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="must be a whole number of minutes that divides a day"):
            window_step_minutes()  # 7 does not divide 1440: a day's steps would not start at midnight
    finally:
        monkeypatch.undo()
        rules.window_step_minutes.cache_clear()


@pytest.mark.parametrize(("start", "end", "field", "earlier", "later"), [
    (kst(19, 7), kst(19, 8), "start", "19:00", "19:15"),
    (kst(19), kst(20, 50), "end", "20:45", "21:00"),
    (kst(19, 0, 30), kst(20), "start", "19:00", "19:15"),  # seconds are off the step too
])
def test_a_window_off_the_step_is_refused_naming_the_nearest_times(start, end, field, earlier, later):
    with pytest.raises(WindowError) as caught:
        check_window(DAYCARE_RULE, start, end, SEOUL)
    exc = caught.value
    assert (exc.code, exc.field, exc.reason) == ("invalid_window", field, "window_step")
    assert exc.extra == {"step_minutes": 15, "earlier": f"2026-12-03T{earlier}+09:00",
                         "later": f"2026-12-03T{later}+09:00"}
    assert "not on the 15-minute step" in str(exc)


def test_windows_on_the_step_pass_naive_or_aware():
    assert check_window(DAYCARE_RULE, kst(19, 15), kst(20, 45), SEOUL).start == kst(19, 15)
    assert check_window(DAYCARE_RULE, datetime(2026, 12, 3, 23, 45), datetime(2026, 12, 4, 0, 0), SEOUL)


def test_a_weekly_pattern_off_the_step_is_refused():
    elementary = booking_rule("elementary_emergency")
    with pytest.raises(WindowError) as caught:
        check_weekly(elementary, kst(0).date(), kst(0).date() + timedelta(days=13), [1, 3], time(15, 10),
                     time(18), SEOUL)
    assert (caught.value.field, caught.value.reason) == ("start_time", "window_step")


def test_derived_slots_are_cut_in_whole_steps():
    from tests.care.test_slots import facility

    hours = facility({"mon": ["07:30-10:00"]})
    with pytest.raises(SlotPlanError) as caught:
        derive_slots(hours, "always_daycare", kst(0).date(), 1, SEOUL, lambda d: False, 2, slot_minutes=50)
    assert (caught.value.field, caught.value.reason, caught.value.extra) == ("slot_minutes", "window_step",
                                                                             {"step_minutes": 15})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pages_say_the_step_in_both_languages(lang):
    messages = catalogue(lang)
    for key in ("errcode_invalid_window_window_step", "errcode_invalid_slot_window_step"):
        assert {"step_minutes", "earlier", "later"} <= set(
            part.split("}")[0] for part in messages[key].split("{")[1:])
    assert "{step_minutes}" in messages["errcode_invalid_parameter_window_step"]


def _refused(answer, code: str, field: str, reason: str) -> dict:
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert (error["code"], error["field"], error["reason"]) == (code, field, reason)
    return error


def test_the_api_refuses_bookings_quotes_and_requests_off_the_step(app):  # noqa: F811
    mother, toddler = guardian(app, "mother@example.kr")
    desk = staff(app, "dc@example.kr", DAYCARE)
    publish(desk, DAYCARE, "always_daycare")
    day = tomorrow(0)[:10]
    odd = {"child_id": toddler, "facility_id": DAYCARE, "programme": "always_daycare",
           "start": f"{day}T19:07", "end": f"{day}T19:08"}
    for path in ("/api/v1/bookings", "/api/v1/bookings/quote"):
        error = _refused(mother.send("POST", path, odd), "invalid_window", "start", "window_step")
        assert (error["step_minutes"], error["earlier"], error["later"]) == (
            15, f"{day}T19:00+09:00", f"{day}T19:15+09:00")
    assert mother.get("/api/v1/bookings").json["bookings"] == []  # nothing was booked (the tester: 201, 3,000 won)
    fine = mother.send("POST", "/api/v1/bookings", {**odd, "start": f"{day}T19:00", "end": f"{day}T19:15"})
    assert fine.status_code == 201 and fine.json["estimate_krw"] == 3000, fine.json
    father, pupil = guardian(app, "father@example.kr", birth_date="2017-05-05")
    error = _refused(father.send("POST", "/api/v1/care-requests", {
        "child_id": pupil, "programme": "elementary_emergency", "start": next_weekday(15),
        "end": next_weekday(17).replace("17:00", "17:20"), "place": "home", "point": HOME}),
        "invalid_window", "end", "window_step")
    assert error["step_minutes"] == 15


def test_the_api_refuses_slots_off_the_step_and_places_that_are_not_whole(app):  # noqa: F811
    desk = staff(app, "cc@example.kr", CENTRE)
    day = next_weekday(0)[:10]
    path = f"/api/v1/providers/{CENTRE}/slots"
    slot = {"programme": "elementary_emergency", "start": f"{day}T04:07", "end": f"{day}T05:00", "places": 2}
    error = _refused(desk.send("POST", path, slot), "invalid_slot", "start", "window_step")
    assert (error["earlier"], error["later"]) == (f"{day}T04:00+09:00", f"{day}T04:15+09:00")
    _refused(desk.send("POST", path, {**slot, "start": f"{day}T04:00", "end": f"{day}T05:00:30"}),
             "invalid_slot", "end", "window_step")
    for body, field in (({**slot, "start": f"{day}T04:00", "places": 2.5}, "places"),
                        ({"programme": "elementary_emergency", "derive": {"days": 1, "places": 2.5}}, "places")):
        error = _refused(desk.send("POST", path, body), "invalid_parameter", field, "out_of_range")
        assert (error["minimum"], error["maximum"]) == (0, 1000)
    _refused(desk.send("POST", path, {"programme": "elementary_emergency", "derive": {"days": 1, "slot_minutes": 50}}),
             "invalid_parameter", "slot_minutes", "window_step")
    assert desk.get(f"{path}?programme=elementary_emergency").json["slots"] == []  # nothing published
    made = desk.send("POST", path, {**slot, "start": f"{day}T04:00"})
    assert made.status_code == 200 and made.json["slot"]["places"] == 2, made.json
