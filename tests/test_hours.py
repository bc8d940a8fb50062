"""Opening hours: overnight intervals, day boundaries and Korean public holidays."""

from datetime import date, datetime

import pytest

from app.search.hours import (
    HoursFormatError,
    WeeklyHours,
    is_korean_public_holiday,
    parse_interval,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


class TestParse:
    def test_overnight_end(self):
        assert parse_interval("07:30-31:30") == (450, 1890)

    @pytest.mark.parametrize("text, rule", [
        ("7:30-19:30", "not of the form HH:MM-HH:MM"),
        ("19:30-07:30", "the end must be after the start"),
        ("24:00-25:00", "the start must be 00:00-23:59"),
        ("07:30-48:01", "at most 48:00"),
        ("07:61-08:00", "the start must be 00:00-23:59"),
        ("nonsense", "not of the form HH:MM-HH:MM"),
    ])
    def test_rejects(self, text, rule):
        with pytest.raises(HoursFormatError, match=rule):
            parse_interval(text)

    def test_round_trip(self):
        hours = {"mon": ["07:30-19:30"], "sat": ["07:30-15:30"], "holiday": ["00:00-24:00"]}
        assert {k: v for k, v in WeeklyHours.from_mapping(hours).to_mapping().items() if v} \
            == hours

    def test_unknown_day(self):
        with pytest.raises(HoursFormatError, match="allowed: mon"):
            WeeklyHours.from_mapping({"monday": ["07:30-19:30"]})


class TestOpenForWindow:
    standard = WeeklyHours.from_mapping(
        {**{d: ["07:30-19:30"] for d in WEEKDAYS}, "sat": ["07:30-15:30"]})
    overnight = WeeklyHours.from_mapping(
        {d: ["07:30-31:30"] for d in (*WEEKDAYS, "sat", "sun", "holiday")})
    night = WeeklyHours.from_mapping({d: ["07:30-24:00"] for d in WEEKDAYS})

    def test_inside_day(self):
        # 2026-11-23 is a Monday.
        assert self.standard.is_open_for(dt("2026-11-23T09:00"), dt("2026-11-23T19:30"),
                                         is_korean_public_holiday)

    def test_past_closing(self):
        assert not self.standard.is_open_for(dt("2026-11-23T19:00"), dt("2026-11-23T19:31"),
                                             is_korean_public_holiday)

    def test_saturday_short_day_and_sunday_closed(self):
        assert self.standard.is_open_for(dt("2026-11-28T08:00"), dt("2026-11-28T15:30"),
                                         is_korean_public_holiday)
        assert not self.standard.is_open_for(dt("2026-11-29T10:00"), dt("2026-11-29T11:00"),
                                             is_korean_public_holiday)

    def test_across_midnight(self):
        # 19:00 Monday to 02:00 Tuesday inside 07:30 to 07:30 next day.
        assert self.overnight.is_open_for(dt("2026-11-23T19:00"), dt("2026-11-24T02:00"),
                                          is_korean_public_holiday)
        # Early morning belongs to the previous day's overnight interval.
        assert self.overnight.is_open_for(dt("2026-11-24T03:00"), dt("2026-11-24T07:00"),
                                          is_korean_public_holiday)

    def test_continuous_for_days(self):
        assert self.overnight.is_open_for(dt("2026-11-23T08:00"), dt("2026-11-26T08:00"),
                                          is_korean_public_holiday)

    def test_night_extension_ends_at_midnight(self):
        assert self.night.is_open_for(dt("2026-11-23T19:00"), dt("2026-11-24T00:00"),
                                      is_korean_public_holiday)
        assert not self.night.is_open_for(dt("2026-11-23T19:00"), dt("2026-11-24T00:30"),
                                          is_korean_public_holiday)

    def test_substitute_holiday_closes_a_weekday_daycare(self):
        # 2026-03-02 (Monday) is the substitute holiday for 삼일절 on Sunday 2026-03-01.
        assert is_korean_public_holiday(date(2026, 3, 2))
        assert not self.standard.is_open_for(dt("2026-03-02T09:00"), dt("2026-03-02T12:00"),
                                             is_korean_public_holiday)
        assert self.standard.is_open_for(dt("2026-03-03T09:00"), dt("2026-03-03T12:00"),
                                         is_korean_public_holiday)

    def test_empty_window_is_not_open(self):
        assert not self.overnight.is_open_for(dt("2026-11-23T09:00"), dt("2026-11-23T09:00"),
                                              is_korean_public_holiday)
