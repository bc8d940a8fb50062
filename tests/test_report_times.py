"""Times out of any sane range (issue 12, the kind behind year 1 and 9999): a provider's report,
a registry's report time and a search window take years 2000-2099 only, a report reaches at
most REPORT_HORIZON_DAYS ahead and a registry's report time is not in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.ingest.mapping import FieldValueError, convert
from app.live.record import RecordError, ReportLimits, parse_report
from app.search.locale import TimeOutOfRangeError, parse_local_time
from app.search.model import Facility, FacilityFormatError

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "9999-12-31T23:59:59", "1999-12-31T23:59",
                                  "2100-01-01T00:00+09:00"])
def test_times_outside_the_years_2000_2099_are_refused(text):
    with pytest.raises(TimeOutOfRangeError, match="outside the years 2000-2099"):
        parse_local_time(text, SEOUL)


@pytest.mark.parametrize("text", ["2000-01-01T00:00", "2099-12-31T23:59:59+09:00"])
def test_the_first_and_last_moment_of_the_range_are_taken(text):
    assert parse_local_time(text, SEOUL).year in (2000, 2099)


def report(**content):
    return {"version": 0, **content}


@pytest.mark.parametrize(("content", "field"), [
    ({"hours": {"0001-01-01": []}}, "hours.0001-01-01"),
    ({"hours": {"9999-12-31": ["09:00-18:00"]}}, "hours.9999-12-31"),
    ({"closures": [{"start": "0001-01-01T00:00", "end": "0001-01-02T00:00"}]}, "closures[0].start"),
    ({"closures": [{"start": "2026-12-01T09:00", "end": "9999-12-31T23:59"}]}, "closures[0].end"),
    ({"slots": {"always_daycare": [{"start": "9999-12-31T19:00", "end": "9999-12-31T23:00",
                                    "places": 1}]}}, "slots.always_daycare[0].start"),
])
def test_a_report_out_of_range_names_its_field(content, field):
    with pytest.raises(RecordError, match="out of range") as caught:
        parse_report(report(**content), SEOUL, now=NOW)
    assert caught.value.field == field


def test_a_report_reaches_at_most_the_horizon_ahead():
    limits = ReportLimits(horizon_days=10)
    # NOW + 10 days is 2026-12-10 21:00 in Seoul: that day may be reported, the next may not.
    parse_report(report(hours={"2026-12-10": []}), SEOUL, limits=limits, now=NOW)
    with pytest.raises(RecordError, match="until 2026-12-10") as caught:
        parse_report(report(hours={"2026-12-11": []}), SEOUL, limits=limits, now=NOW)
    assert caught.value.field == "hours.2026-12-11"
    parse_report(report(closures=[{"start": "2026-12-10T21:00+09:00", "end": "2026-12-11T09:00"}]),
                 SEOUL, limits=limits, now=NOW)
    with pytest.raises(RecordError, match="too far ahead") as caught:
        parse_report(report(closures=[{"start": "2026-12-10T21:01+09:00", "end": "2026-12-11T09:00"}]),
                     SEOUL, limits=limits, now=NOW)
    assert caught.value.field == "closures[0].start"


def test_a_registry_report_time_out_of_range_or_in_the_future_is_a_field_error():
    with pytest.raises(FieldValueError, match="years 2000-2099"):
        convert("availability_reported_at", "9999-12-31T23:59:59", SEOUL)
    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    with pytest.raises(FieldValueError, match="in the future"):
        convert("availability_reported_at", ahead, SEOUL)
    # Within a day of this clock (clocks differ) and in the past are taken.
    soon = datetime.now(UTC) + timedelta(hours=20)
    assert convert("availability_reported_at", soon.isoformat(), SEOUL) == soon
    assert convert("availability_reported_at", "2026-11-29T20:45:23", SEOUL).year == 2026


def test_a_registry_file_with_year_9999_is_a_format_error_not_an_overflow():
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.03, 37.26]},
               "properties": {"id": "x", "name": "x", "kind": "daycare",
                              "availability_reported_at": "9999-12-31T23:59:59"}}
    with pytest.raises(FacilityFormatError, match="outside the years"):
        Facility.from_feature(feature, time_shift=timedelta(days=3))


def test_a_registry_file_with_a_report_time_in_the_future_is_refused(tmp_path):
    import json

    from app.registry.io import RegistryFileError, read_registry

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def registry(reported: str):
        path = tmp_path / "r.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.03, 37.26]},
             "properties": {"id": "a", "name": "a", "kind": "daycare", "vacancies": {"regular": 2},
                            "availability_reported_at": reported}}]}), encoding="utf-8")
        return path

    # 2026-12-01T20:00+09:00 is 11:00 UTC: 23 h ahead of now, within a day's clock difference.
    assert read_registry(registry("2026-12-01T20:00:00+09:00"), now=now).facilities[0].id == "a"
    with pytest.raises(RegistryFileError, match=r"feature 1: .*in the future"):
        read_registry(registry("2026-12-01T22:00:00+09:00"), now=now)  # 25 h ahead
    with pytest.raises(RegistryFileError, match="in the future"):
        read_registry(registry("2099-12-31T00:00:00+09:00"), now=now)
