"""Times without an offset mean the registry's zone, whatever the machine's TZ (issue 12,
item 13).

Every test here runs with the process's ``TZ`` set to UTC, America/Los_Angeles and
Pacific/Kiritimati (UTC+14), so a time read in the server's own zone shows up as a wrong age,
a wrong day or a wrong window.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import create_app
from app.config import DEMO_REGISTRY_PATH
from app.ingest.pipeline import import_files
from app.live.record import parse_report
from app.registry.io import read_registry, write_registry
from app.search.index import Criteria, FacilityIndex
from app.search.locale import KOREA, RegistryLocale, parse_local_time
from app.search.model import Facility, FacilityFormatError

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
ZONES = ("UTC", "America/Los_Angeles", "Pacific/Kiritimati")
# The example: reported at 2026-11-29 20:45:23 (no offset, so Seoul time), read 30 h later.
REPORTED = "2026-11-29 20:45:23"
NOW = datetime(2026, 12, 1, 2, 45, 23, tzinfo=SEOUL)
SUWON = {"lat": "37.2636", "lon": "127.0286"}


@pytest.fixture(params=ZONES)
def machine_tz(request):
    """The process's local time zone (what naive datetime methods would use)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def feature(fid: str, lon: float, lat: float, reported: str | None, places: int = 3) -> dict:
    f = facility(fid, lon, lat).to_feature()
    f["properties"]["vacancies"] = {"regular": places}
    f["properties"]["availability_reported_at"] = reported
    return f


def write_naive_registry(path) -> None:
    """Two providers whose report times have no offset: 30 h and 21 h before NOW."""
    features = [feature("a-30h", 127.0290, 37.2640, REPORTED),
                feature("b-21h", 127.0300, 37.2650, "2026-11-30T05:45:23")]
    path.write_text(json.dumps({"type": "FeatureCollection", "registry": {"name": "t"},
                                "features": features}), encoding="utf-8")


def test_the_machine_zone_is_really_set(machine_tz):
    assert time.strftime("%Z", time.localtime(0)) != "KST"
    assert datetime(2026, 1, 1).astimezone().utcoffset() != timedelta(hours=9)


def test_naive_report_30_hours_old_is_unknown(machine_tz, tmp_path, monkeypatch):
    path = tmp_path / "r.geojson"
    write_naive_registry(path)
    monkeypatch.setattr(RegistryLocale, "now", lambda self: NOW.astimezone(self.tz))
    client = create_app({"TESTING": True, "REGISTRY_PATH": str(path)},
                        instance_path=str(tmp_path / "instance")).test_client()
    r = client.get("/api/v1/facilities/nearest", query_string=SUWON)
    assert r.status_code == 200
    got = {h["facility"]["id"]: h["availability"] for h in r.json["results"]}
    assert got["a-30h"] == {"status": "unknown", "places": None,
                            "reported_at": "2026-11-29T20:45:23+09:00", "age_minutes": 30 * 60}
    assert got["b-21h"] == {"status": "available", "places": 3,
                            "reported_at": "2026-11-30T05:45:23+09:00", "age_minutes": 21 * 60}


def test_index_reads_naive_report_times_in_the_registrys_zone(machine_tz, tmp_path):
    path = tmp_path / "r.geojson"
    write_naive_registry(path)
    registry = read_registry(path)
    index = FacilityIndex(registry.facilities, timedelta(hours=24), locale=registry.locale)
    a = index.availability(index.by_id["a-30h"], Criteria(), NOW)
    assert (a.status, a.age_minutes) == ("unknown", 1800)
    assert index.by_id["a-30h"].availability_reported_at == datetime(2026, 11, 29, 20, 45, 23,
                                                                     tzinfo=SEOUL)


def test_a_toronto_registry_reads_them_in_toronto(machine_tz, tmp_path):
    path = tmp_path / "r.geojson"
    write_naive_registry(path)
    text = path.read_text(encoding="utf-8").replace(
        '"registry": {"name": "t"}', '"registry": {"name": "t", "timezone": "America/Toronto", '
        '"holidays": "CA-ON", "area": [-80, 43, -79, 44]}')
    path.write_text(text, encoding="utf-8")
    f = read_registry(path).facilities[0]
    assert f.availability_reported_at.isoformat() == "2026-11-29T20:45:23-05:00"


def test_facility_refuses_a_naive_report_time():
    with pytest.raises(FacilityFormatError, match="availability_reported_at must be a time "
                                                  "with its zone"):
        Facility(id="x", name="x", kind="daycare", lon=127.0, lat=37.0,
                 availability_reported_at=datetime(2026, 11, 29, 20, 45, 23))


def test_import_reads_naive_report_times_in_the_registrys_zone(machine_tz, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,lon,lat,vacancies,availability_reported_at\n"
                    f'가,127.045,37.2636,"{{""regular"": 1}}",{REPORTED}\n', encoding="utf-8")
    [f] = import_files([path]).facilities
    assert f.availability_reported_at == datetime(2026, 11, 29, 20, 45, 23, tzinfo=SEOUL)
    out = tmp_path / "r.geojson"
    write_registry(out, {"name": "t"}, [f])
    assert '"availability_reported_at": "2026-11-29T20:45:23+09:00"' in out.read_text("utf-8")


@pytest.mark.parametrize(("start", "end", "open_"), [
    ("2026-12-01T19:00", "2026-12-01T19:30", True),  # Seoul wall clock: inside 07:30-19:30
    ("2026-12-01T19:00", "2026-12-01T19:31", False),
    ("2026-12-01T10:00Z", "2026-12-01T10:30Z", True),  # 19:00-19:30 in Seoul
    ("2026-12-01T10:00Z", "2026-12-01T10:31Z", False),
    ("2026-11-30T22:00Z", "2026-11-30T23:00Z", False),  # Tuesday 07:00-08:00 in Seoul
    ("2026-11-30T23:00Z", "2026-11-30T23:30Z", True),  # Tuesday 08:00-08:30 in Seoul
])
def test_request_windows_are_read_in_the_registrys_zone(machine_tz, tmp_path, monkeypatch,
                                                        start, end, open_):
    path = tmp_path / "r.geojson"
    write_registry(path, {"name": "t"}, [facility("a", 127.0290, 37.2640)])
    monkeypatch.setattr(RegistryLocale, "now", lambda self: NOW.astimezone(self.tz))
    client = create_app({"TESTING": True, "REGISTRY_PATH": str(path)},
                        instance_path=str(tmp_path / "instance")).test_client()
    r = client.get("/api/v1/facilities/nearest", query_string={**SUWON, "start": start,
                                                               "end": end})
    assert r.status_code == 200, r.json
    assert (r.json["count"] == 1) is open_
    assert r.json["day_type"] == "tue"


def test_open_now_and_day_type_are_seoul_now(machine_tz, tmp_path, monkeypatch):
    # 2026-12-01 02:45 in Seoul is a Tuesday night (closed), while it is still Monday
    # afternoon or evening in UTC and Los Angeles.
    path = tmp_path / "r.geojson"
    write_registry(path, {"name": "t"}, [facility("a", 127.0290, 37.2640)])
    monkeypatch.setattr(RegistryLocale, "now", lambda self: NOW.astimezone(self.tz))
    client = create_app({"TESTING": True, "REGISTRY_PATH": str(path)},
                        instance_path=str(tmp_path / "instance")).test_client()
    r = client.get("/api/v1/facilities/nearest", query_string={**SUWON, "open_now": "true"})
    assert (r.json["count"], r.json["day_type"]) == (0, "tue")


def test_provider_report_times_without_offset_are_the_registrys(machine_tz):
    body = {"version": 0, "closures": [{"start": "2026-12-01T09:00", "end": "2026-12-01T18:00"}],
            "slots": {"always_daycare": [{"start": "2026-12-01T19:00:00",
                                          "end": "2026-12-02T07:00:00", "places": 1}]}}
    _, content = parse_report(body, ZoneInfo("America/Toronto"))
    assert content["closures"][0]["start"] == "2026-12-01T09:00:00-05:00"
    assert content["slots"]["always_daycare"][0]["end"] == "2026-12-02T07:00:00-05:00"
    _, content = parse_report({"version": 0, "closures": [
        {"start": "2026-12-01T09:00", "end": "2026-12-01T18:00"}]})
    assert content["closures"][0]["start"] == "2026-12-01T09:00:00+09:00"  # Korean default


def test_parse_local_time(machine_tz):
    assert parse_local_time(REPORTED, SEOUL) == datetime(2026, 11, 29, 11, 45, 23,
                                                         tzinfo=ZoneInfo("UTC"))
    assert parse_local_time("2026-11-29T20:45:23+00:00", SEOUL).utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="Invalid isoformat string"):
        parse_local_time("yesterday", SEOUL)


def test_demo_registry_answers_the_same_in_every_zone():
    """The whole path (the demo file's rebased report times, the index) gives the same
    availability whatever the machine's zone."""
    old = os.environ.get("TZ")
    seen = []
    try:
        for tz in ("Asia/Seoul", *ZONES):
            os.environ["TZ"] = tz
            time.tzset()
            registry = read_registry(DEMO_REGISTRY_PATH, now=NOW)
            index = FacilityIndex(registry.facilities[:2000], timedelta(hours=24),
                                  locale=registry.locale)
            seen.append([(a.status, a.age_minutes) for a in
                         (index.availability(f, Criteria(), NOW) for f in index.facilities)])
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
    assert all(s == seen[0] for s in seen[1:])
    assert {s for s, _ in seen[0]} == {"available", "full", "unknown"}
    assert KOREA.timezone == "Asia/Seoul"
