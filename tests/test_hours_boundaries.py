"""Opening-hours boundaries no other test pins down (issue 12, item 24): a window starting
exactly at opening time, an empty interval, an end of exactly 48:00, minutes over 59 where only
the minutes rule can fire, touching and nested intervals, per-date changes, aware times."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.search.hours import (
    DAY_TYPES,
    HoursFormatError,
    WeeklyHours,
    check_holiday_calendar,
    format_interval,
    holiday_calendar,
    holiday_name,
    is_korean_public_holiday,
    korean_holiday_name,
    parse_interval,
)

SEOUL = ZoneInfo("Asia/Seoul")
MON = date(2026, 11, 23)  # a Monday, no holiday near
START_RULE = "the start must be 00:00-23:59"
END_RULE = "the end must be after the start and at most 48:00"


def at(day: date, hhmm: str, tz=None) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=h, minutes=m)


def never(_day: date) -> bool:
    return False


def weekdays(*intervals: str) -> WeeklyHours:
    return WeeklyHours.from_mapping({d: list(intervals) for d in ("mon", "tue", "wed", "thu", "fri")})


class TestParseBoundaries:
    def test_end_of_exactly_48_00(self):
        assert parse_interval("00:00-48:00") == (0, 2880)
        assert parse_interval("23:59-48:00") == (1439, 2880)
        assert format_interval(0, 2880) == "00:00-48:00"

    def test_one_minute_past_48_00(self):
        with pytest.raises(HoursFormatError, match=END_RULE):
            parse_interval("00:00-48:01")

    def test_empty_interval(self):
        with pytest.raises(HoursFormatError, match=END_RULE):
            parse_interval("08:00-08:00")

    def test_one_minute_interval(self):
        assert parse_interval("08:00-08:01") == (480, 481)

    @pytest.mark.parametrize("text", ["07:00-07:61", "07:60-09:00", "07:00-08:60"])
    def test_minutes_over_59_only_the_minutes_rule(self, text):
        # Each reads as start < end <= 48:00 in plain minutes (07:61 would be 08:01), so only the
        # minutes rule can refuse it.
        with pytest.raises(HoursFormatError, match=START_RULE) as err:
            parse_interval(text)
        assert "after the start" not in str(err.value)

    def test_last_start_of_the_day(self):
        assert parse_interval("23:59-24:00") == (1439, 1440)
        with pytest.raises(HoursFormatError, match=START_RULE):
            parse_interval("24:00-24:30")

    def test_surrounding_spaces_are_ignored(self):
        assert parse_interval(" 07:30-19:30 ") == (450, 1170)

    @pytest.mark.parametrize("text", ["07:30-19:30x", "x07:30-19:30", "07:30 19:30", "0730-1930"])
    def test_whole_text_must_match(self, text):
        with pytest.raises(HoursFormatError, match="are not of the form HH:MM-HH:MM"):
            parse_interval(text)

    def test_not_text(self):
        with pytest.raises(HoursFormatError, match="are not text of the form HH:MM-HH:MM"):
            parse_interval(730)

    def test_hours_not_lists_of_text(self):
        with pytest.raises(HoursFormatError, match="hours must map day types to lists of text"):
            WeeklyHours.from_mapping({"mon": 5})

    def test_intervals_sorted_and_every_day_type_in_the_mapping(self):
        hours = WeeklyHours.from_mapping({"mon": ["13:00-19:30", "07:30-12:00"]})
        assert hours.by_day[0] == ((450, 720), (780, 1170))
        assert list(hours.to_mapping()) == list(DAY_TYPES)
        assert hours.to_mapping()["mon"] == ["07:30-12:00", "13:00-19:30"]
        assert hours.to_mapping()["holiday"] == []


class TestWindowBoundaries:
    day = weekdays("07:30-19:30")

    def test_window_starting_exactly_at_opening(self):
        assert self.day.is_open_for(at(MON, "07:30"), at(MON, "08:30"), never)
        assert not self.day.is_open_for(at(MON, "07:29"), at(MON, "08:30"), never)

    def test_window_ending_exactly_at_closing(self):
        assert self.day.is_open_for(at(MON, "18:30"), at(MON, "19:30"), never)
        assert not self.day.is_open_for(at(MON, "18:30"), at(MON, "19:31"), never)

    def test_whole_opening(self):
        assert self.day.is_open_for(at(MON, "07:30"), at(MON, "19:30"), never)

    def test_reversed_window_is_not_open(self):
        assert not self.day.is_open_for(at(MON, "10:00"), at(MON, "09:00"), never)

    def test_lunch_break(self):
        split = weekdays("07:30-12:00", "13:00-19:30")
        assert split.is_open_for(at(MON, "08:00"), at(MON, "12:00"), never)
        assert split.is_open_for(at(MON, "13:00"), at(MON, "19:30"), never)
        assert not split.is_open_for(at(MON, "11:00"), at(MON, "14:00"), never)
        assert not split.is_open_for(at(MON, "12:00"), at(MON, "13:00"), never)
        # A window in the second interval only: the first does not decide.
        assert split.is_open_for(at(MON, "14:00"), at(MON, "15:00"), never)

    def test_touching_intervals_are_one_opening(self):
        touching = weekdays("07:30-12:00", "12:00-19:30")
        assert touching.is_open_for(at(MON, "11:00"), at(MON, "14:00"), never)

    def test_nested_interval_does_not_shorten_the_opening(self):
        # 08:00-09:00 inside 07:00-20:00 must not end the opening at 09:00.
        nested = weekdays("07:00-20:00", "08:00-09:00")
        assert nested.is_open_for(at(MON, "10:00"), at(MON, "19:00"), never)
        assert nested.is_open_for(at(MON, "07:00"), at(MON, "20:00"), never)

    def test_48_00_reaches_the_end_of_the_next_day(self):
        # Monday 00:00-48:00: open through Tuesday 23:59, Tuesday's own hours aside.
        two_days = WeeklyHours.from_mapping({"mon": ["00:00-48:00"]})
        assert two_days.is_open_for(at(MON, "00:00"), at(MON + timedelta(days=2), "00:00"), never)
        assert not two_days.is_open_for(at(MON, "12:00"),
                                        at(MON + timedelta(days=2), "00:01"), never)
        assert not two_days.is_open_for(at(MON - timedelta(days=1), "23:59"), at(MON, "01:00"),
                                        never)

    def test_overnight_reaches_into_a_day_with_no_hours(self):
        # Friday 19:00-31:00 covers Saturday 00:00-07:00 although Saturday has no hours.
        fri = date(2026, 11, 27)
        late = WeeklyHours.from_mapping({"fri": ["19:00-31:00"]})
        assert late.is_open_for(at(fri, "23:00"), at(fri + timedelta(days=1), "07:00"), never)
        assert late.is_open_for(at(fri + timedelta(days=1), "06:00"),
                                at(fri + timedelta(days=1), "07:00"), never)
        assert not late.is_open_for(at(fri + timedelta(days=1), "06:00"),
                                    at(fri + timedelta(days=1), "07:01"), never)

    def test_window_over_several_days_needs_every_night(self):
        overnight = WeeklyHours.from_mapping({d: ["07:30-31:30"] for d in ("mon", "tue", "wed")})
        assert overnight.is_open_for(at(MON, "08:00"), at(MON + timedelta(days=3), "07:30"),
                                     never)
        assert not overnight.is_open_for(at(MON, "08:00"), at(MON + timedelta(days=3), "07:31"),
                                         never)

    def test_aware_times(self):
        start = at(MON, "07:30", SEOUL)
        assert self.day.is_open_for(start, start + timedelta(hours=12), never)
        assert not self.day.is_open_for(start - timedelta(minutes=1),
                                        start + timedelta(hours=1), never)


class TestHolidaysAndChangedHours:
    hours = WeeklyHours.from_mapping({"mon": ["07:30-19:30"], "holiday": ["09:00-13:00"]})

    def test_holiday_hours_replace_the_weekday(self):
        holiday = {MON}.__contains__
        assert self.hours.intervals_on(MON, holiday) == ((540, 780),)
        assert self.hours.is_open_for(at(MON, "09:00"), at(MON, "13:00"), holiday)
        assert not self.hours.is_open_for(at(MON, "08:00"), at(MON, "10:00"), holiday)

    def test_changed_hours_for_one_date_win_over_weekday_and_holiday(self):
        changed = {MON: ((780, 1170),)}  # 13:00-19:30 that Monday only
        assert self.hours.intervals_on(MON, never, changed) == ((780, 1170),)
        assert self.hours.intervals_on(MON, {MON}.__contains__, changed) == ((780, 1170),)
        assert not self.hours.is_open_for(at(MON, "09:00"), at(MON, "10:00"), never, changed)
        assert self.hours.is_open_for(at(MON, "13:00"), at(MON, "19:30"), never, changed)
        # The next Monday keeps its usual hours.
        nxt = MON + timedelta(days=7)
        assert self.hours.is_open_for(at(nxt, "09:00"), at(nxt, "10:00"), never, changed)

    def test_closed_for_a_date(self):
        closed = {MON: ()}
        assert self.hours.intervals_on(MON, never, closed) == ()
        assert not self.hours.is_open_for(at(MON, "09:00"), at(MON, "10:00"), never, closed)

    def test_korean_holiday_names(self):
        assert is_korean_public_holiday(date(2026, 1, 1))
        assert not is_korean_public_holiday(date(2026, 1, 2))
        assert korean_holiday_name(date(2026, 1, 1)) is not None
        assert korean_holiday_name(date(2026, 1, 2)) is None


class TestMoreWindowBoundaries:
    split = weekdays("07:30-12:00", "13:00-19:30")

    def test_window_exactly_the_first_of_two_intervals(self):
        # Starts exactly at opening and a later interval follows on the same day.
        assert self.split.is_open_for(at(MON, "07:30"), at(MON, "12:00"), never)
        assert self.split.is_open_for(at(MON, "13:00"), at(MON, "14:00"), never)

    def test_naive_and_aware_times_are_not_mixed(self):
        # A naive time is never silently read in the machine's zone.
        with pytest.raises(TypeError, match="offset-naive and offset-aware"):
            self.split.is_open_for(at(MON, "08:00", SEOUL), at(MON, "09:00"), never)

    def test_end_given_in_another_zone(self):
        # Monday 20:00 to Tuesday 08:00 in Seoul, the end written in UTC (Monday 23:00 UTC):
        # Tuesday's own morning hours must count.
        hours = WeeklyHours.from_mapping({"mon": ["07:30-24:00"], "tue": ["00:00-12:00"]})
        start = at(MON, "20:00", SEOUL)
        end = at(MON + timedelta(days=1), "08:00", SEOUL).astimezone(ZoneInfo("UTC"))
        assert end.date() == MON
        assert hours.is_open_for(start, end, never)
        assert not hours.is_open_for(start, end + timedelta(hours=4, minutes=1), never)


class TestMessages:
    def test_end_rule_message_whole(self):
        with pytest.raises(HoursFormatError, match=(
                r"^hours '19:30-07:30': the end must be after the start and at most 48:00 "
                r"\(write 07:30-31:30 for 07:30 to 07:30 the next day\)$")):
            parse_interval("19:30-07:30")

    def test_not_a_mapping(self):
        with pytest.raises(HoursFormatError, match=(
                r"""^hours \['07:30-19:30'\] must map day types to lists of HH:MM-HH:MM, """
                r"""such as \{"mon": \["07:30-19:30"\]\}$""")):
            WeeklyHours.from_mapping(["07:30-19:30"])

    def test_unknown_day_lists_the_allowed_ones(self):
        with pytest.raises(HoursFormatError,
                           match=r"allowed: mon, tue, wed, thu, fri, sat, sun, holiday$"):
            WeeklyHours.from_mapping({"Monday": ["07:30-19:30"]})


def text_hours(text: str) -> dict[str, list[str]]:
    return {k: v for k, v in WeeklyHours.from_text(text).to_mapping().items() if v}


class TestHoursTextBoundaries:
    """``WeeklyHours.from_text`` (OpenStreetMap-style hours in registry files)."""

    def test_day_lists(self):
        assert text_hours("Mo,We 08:00-12:00") == {"mon": ["08:00-12:00"], "wed": ["08:00-12:00"]}
        assert text_hours("Mo, We-Th 08:00-12:00") == \
            {"mon": ["08:00-12:00"], "wed": ["08:00-12:00"], "thu": ["08:00-12:00"]}

    def test_range_of_one_day_and_ranges_over_the_weekend(self):
        assert text_hours("We-We 08:00-12:00") == {"wed": ["08:00-12:00"]}
        # Fr-Mo wraps over the weekend; public holidays are not a day of the week.
        assert text_hours("Fr-Mo 08:00-12:00") == {d: ["08:00-12:00"]
                                                   for d in ("mon", "fri", "sat", "sun")}

    def test_empty_rules_are_skipped(self):
        assert text_hours("Mo 08:00-09:00;; Tu 10:00-11:00;") == \
            {"mon": ["08:00-09:00"], "tue": ["10:00-11:00"]}

    @pytest.mark.parametrize("word", ["closed", "CLOSED", "off", "Off"])
    def test_closed_days(self, word):
        assert text_hours(f"Mo-Sa 08:00-12:00; Sa {word}") == \
            {d: ["08:00-12:00"] for d in ("mon", "tue", "wed", "thu", "fri")}

    @pytest.mark.parametrize("text, interval", [
        ("Mo 08:00-24:00", "08:00-24:00"),
        ("Mo 08:00-08:05", "08:00-08:05"),
        ("Mo 08:30-08:45", "08:30-08:45"),
        ("Mo 23:00-00:00", "23:00-24:00"),
        ("Mo 10:05-10:00", "10:05-34:00"),  # ends before it starts: runs past midnight
        ("Mo 08:30-08:15", "08:30-32:15"),
        ("Mo 19:00-07:30", "19:00-31:30"),
    ])
    def test_intervals(self, text, interval):
        assert text_hours(text) == {"mon": [interval]}

    @pytest.mark.parametrize("part", ["08:60-09:00", "08:00-09:60", "24:00-25:00", "24:30-01:00",
                                      "08:00-25:00", "08:00-24:30"])
    def test_not_a_time_of_day(self, part):
        with pytest.raises(HoursFormatError,
                           match=rf"^hours 'Mo {part}': '{part}' is not a time of day \(00:00-24:00\)$"):
            WeeklyHours.from_text(f"Mo {part}")

    def test_same_start_and_end(self):
        with pytest.raises(HoursFormatError, match=(
                r"^hours 'Mo 08:00-08:00': '08:00-08:00' starts and ends at the same time "
                r"\(write 00:00-24:00 for the whole day\)$")):
            WeeklyHours.from_text("Mo 08:00-08:00")

    def test_holiday_in_a_range_quotes_the_text(self):
        with pytest.raises(HoursFormatError,
                           match=r"^hours 'Mo-PH 08:00-09:00': PH cannot be part of a range"):
            WeeklyHours.from_text("Mo-PH 08:00-09:00")


class TestHolidayCalendars:
    def test_subdivision_with_a_hyphen_is_read_after_the_first_one(self):
        with pytest.raises(ValueError, match=r"CA has no subdivision 'ON-X'"):
            check_holiday_calendar("CA-ON-X")

    def test_calendar_codes(self):
        assert check_holiday_calendar("CA-ON") == "CA-ON"
        assert holiday_calendar("CA-ON")(date(2027, 2, 15))  # Family Day
        assert not holiday_calendar("KR")(date(2027, 2, 15))
        assert holiday_name("KR", date(2026, 3, 2)) is not None
        assert holiday_name("none", date(2026, 3, 2)) is None
