"""A registry's area, time zone and holiday calendar are its own settings (issue 12, item 21).

Registries outside Korea (the City of Toronto's) are imported with a mapping whose
``[registry]`` section names them; searches then accept points in that area, read times in
that zone and keep that calendar's holidays. Fields the mapping does not give are unknown,
never Korean defaults, and unknown is never presented as open or eligible.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app import create_app
from app.geo.crs import geodesic_distance_m
from app.ingest.mapping import MappingError, load_mapping_file
from app.ingest.pipeline import import_files
from app.ingest.readers import InputFileError
from app.planning.periods import reference_day, windows
from app.registry.io import read_registry, write_registry
from app.search.hours import WeeklyHours
from app.search.index import Criteria, FacilityIndex
from app.search.locale import KOREA, RegistryLocale
from app.search.model import Facility

from .conftest import DATA, ROOT, facility, shared

TINY = DATA / "toronto_tiny.csv"
TINY_MAPPING = DATA / "toronto-tiny-mapping.toml"
TORONTO_MAPPING = DATA / "toronto-mapping.toml"
CITY_HALL = {"lat": "43.6534", "lon": "-79.3841"}  # Toronto City Hall
SUWON = {"lat": "37.2636", "lon": "127.0286"}
TORONTO = ZoneInfo("America/Toronto")
SEOUL = ZoneInfo("Asia/Seoul")
# "Now" for every search below: windows from October 2026 to February 2027 are all allowed.
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=TORONTO)
FAMILY_DAY = "2027-02-15"  # Ontario's Family Day (third Monday of February); not Korean
HANGUL_DAY = "2026-10-09"  # 한글날, a Friday; not an Ontario holiday
PLAIN_MONDAY = "2027-02-22"


@pytest.fixture
def frozen_now(monkeypatch):
    """Searches run at NOW (seen in each registry's own zone)."""
    monkeypatch.setattr(RegistryLocale, "now", lambda self: NOW.astimezone(self.tz))


def _import(tmp_path: Path, paths: list[Path], mapping: Path | None) -> Path:
    out = tmp_path / "registry.geojson"
    app = create_app({"TESTING": True}, instance_path=str(tmp_path / "import-instance"))
    args = ["import-facilities", *map(str, paths), "--out", str(out)]
    if mapping:
        args += ["--mapping", str(mapping)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return out


def _client(tmp_path: Path, registry: Path):
    app = create_app({"TESTING": True, "REGISTRY_PATH": str(registry)},
                     instance_path=str(tmp_path / "instance"))
    return app.test_client()


@pytest.fixture
def tiny_client(tmp_path, frozen_now):
    return _client(tmp_path, _import(tmp_path, [TINY], TINY_MAPPING))


@pytest.fixture
def korean_client(tmp_path, frozen_now):
    """A Korean registry (no settings: Asia/Seoul, KR holidays) with the same weekday hours."""
    path = tmp_path / "kr.geojson"
    hours = WeeklyHours.from_text("Mo-Fr 07:30-18:00")
    write_registry(path, {"name": "kr"}, [facility("kr-1", 127.0290, 37.2640, hours=hours)])
    return _client(tmp_path, path)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [h["facility"]["id"] for h in response.json["results"]]


def window(day: str, start: str = "09:00", end: str = "10:00") -> dict[str, str]:
    return {"start": f"{day}T{start}", "end": f"{day}T{end}"}


class TestTorontoRegistry:
    def test_real_toronto_import_answers_searches_in_toronto(self, tmp_path):
        csv_path = shared("ca-toronto-licensed-child-care-centres", "raw_childcare_data.csv")
        registry = _import(tmp_path, [csv_path], TORONTO_MAPPING)
        meta = read_registry(registry).meta
        assert (meta["timezone"], meta["holidays"], meta["area_name"]) == \
            ("America/Toronto", "CA-ON", "Toronto")
        client = _client(tmp_path, registry)
        r = client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL, "limit": "5"})
        found = ids(r)
        assert len(found) == 5 and all(i.startswith("toronto-") for i in found)
        first = r.json["results"][0]
        # The file has no hours and no ages: unknown, not Korean daycare hours and 0-83 months.
        assert first["facility"]["hours"] is None
        assert first["facility"]["age_min_months"] is None
        assert first["facility"]["age_max_months"] is None
        # Distances are metres in Toronto too (the registry's own metric CRS, not UTM-K).
        f = first["facility"]
        assert first["distance_m"] == pytest.approx(
            float(geodesic_distance_m(-79.3841, 43.6534, f["lon"], f["lat"])), rel=0.001)
        # Unknown hours never match a time filter, unknown ages never an age filter.
        assert ids(client.get("/api/v1/facilities/nearest",
                              query_string={**CITY_HALL, "open_now": "true"})) == []
        assert ids(client.get("/api/v1/facilities/nearest",
                              query_string={**CITY_HALL, "age_months": "30"})) == []
        meta = client.get("/api/v1/meta").json
        assert (meta["timezone"], meta["holidays"], meta["total"]) == ("America/Toronto", "CA-ON",
                                                                       1064)

    def test_point_outside_the_registrys_area(self, tiny_client):
        r = tiny_client.get("/api/v1/facilities/nearest", query_string=SUWON)
        assert r.status_code == 400
        assert r.json["error"]["field"] == "lat"
        assert "outside Toronto (allowed: lat 43.55 to 43.9, lon -79.7 to -79.05)" in \
            r.json["error"]["message"]

    def test_the_page_opens_on_toronto_and_offers_no_korean_places(self, tiny_client):
        import json
        import re

        page = tiny_client.get("/").get_data(as_text=True)
        config = json.loads(re.search(r'id="page-config">(.*?)</script>', page, re.S).group(1))
        lat, lon = config["center"]
        assert 43.55 <= lat <= 43.9 and -79.7 <= lon <= -79.05  # inside the registry's area
        r = tiny_client.get("/api/v1/places", query_string={"q": "수원"})
        assert r.status_code == 200
        assert r.json == {"results": [], "suggestions": []}

    def test_korean_registry_keeps_the_swapped_hint(self, korean_client):
        r = korean_client.get("/api/v1/facilities/nearest",
                              query_string={"lat": "127.0286", "lon": "37.2636"})
        assert r.status_code == 400
        assert "outside South Korea" in r.json["error"]["message"]
        assert "look swapped" in r.json["error"]["message"]

    def test_plain_search_lists_unknown_hours_as_unknown(self, tiny_client):
        r = tiny_client.get("/api/v1/facilities/nearest", query_string=CITY_HALL)
        by_id = {h["facility"]["id"]: h["facility"] for h in r.json["results"]}
        assert sorted(by_id) == ["tt-1", "tt-2", "tt-3"]
        assert by_id["tt-3"]["hours"] is None
        assert by_id["tt-1"]["hours"]["mon"] == ["07:30-18:00"]
        assert by_id["tt-2"]["hours"]["holiday"] == ["09:00-17:00"]

    def test_ontario_holiday_closes_what_a_korean_day_would_not(self, tiny_client):
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL,
                                                                        **window(FAMILY_DAY)})
        # Family Day: only the centre with PH hours; the weekday-only one is closed, and the
        # one with unknown hours is never presented as open.
        assert ids(r) == ["tt-2"]
        assert r.json["day_type"] == "holiday"
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL,
                                                                        **window(PLAIN_MONDAY)})
        assert sorted(ids(r)) == ["tt-1", "tt-2"]
        assert r.json["day_type"] == "mon"

    def test_korean_holiday_is_a_working_day_in_toronto(self, tiny_client):
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL,
                                                                        **window(HANGUL_DAY)})
        assert sorted(ids(r)) == ["tt-1", "tt-2"]
        assert r.json["day_type"] == "fri"

    def test_vice_versa_in_a_korean_registry(self, korean_client):
        r = korean_client.get("/api/v1/facilities/nearest", query_string={**SUWON,
                                                                          **window(HANGUL_DAY)})
        assert ids(r) == []
        assert r.json["day_type"] == "holiday"
        r = korean_client.get("/api/v1/facilities/nearest", query_string={**SUWON,
                                                                          **window(FAMILY_DAY)})
        assert ids(r) == ["kr-1"]

    def test_window_is_read_in_toronto_time(self, tiny_client):
        # 17:30-18:00 Toronto time is inside 07:30-18:00; the same wall clock in Seoul would be
        # the small hours of Tuesday morning in Toronto.
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={
            **CITY_HALL, **window(PLAIN_MONDAY, "17:30", "18:00")})
        assert sorted(ids(r)) == ["tt-1", "tt-2"]
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={
            **CITY_HALL, "start": f"{PLAIN_MONDAY}T17:30+09:00", "end": f"{PLAIN_MONDAY}T18:00+09:00"})
        assert ids(r) == []

    def test_open_now_is_toronto_now(self, tmp_path, monkeypatch):
        client = _client(tmp_path, _import(tmp_path, [TINY], TINY_MAPPING))
        # Monday 2027-02-22 08:00 in Toronto is 22:00 the same day in Seoul.
        at = datetime(2027, 2, 22, 8, 0, tzinfo=TORONTO)
        monkeypatch.setattr(RegistryLocale, "now", lambda self: at.astimezone(self.tz))
        assert sorted(ids(client.get("/api/v1/facilities/nearest",
                                     query_string={**CITY_HALL, "open_now": "true"}))) == \
            ["tt-1", "tt-2"]

    def test_unknown_ages_are_not_eligible(self, tiny_client):
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL,
                                                                        "age_months": "24"})
        assert sorted(ids(r)) == ["tt-1", "tt-2"]
        r = tiny_client.get("/api/v1/facilities/nearest", query_string={**CITY_HALL,
                                                                        "age_months": "100"})
        assert ids(r) == ["tt-2"]

    def test_report_time_without_offset_is_toronto_time(self, tmp_path, monkeypatch):
        client = _client(tmp_path, _import(tmp_path, [TINY], TINY_MAPPING))
        # tt-1 reported "2026-09-30 13:00:00" (no offset): 13:00 in Toronto, 23 h before this.
        at = datetime(2026, 10, 1, 12, 0, tzinfo=TORONTO)
        monkeypatch.setattr(RegistryLocale, "now", lambda self: at.astimezone(self.tz))
        r = client.get("/api/v1/facilities/nearest", query_string=CITY_HALL)
        a = next(h["availability"] for h in r.json["results"] if h["facility"]["id"] == "tt-1")
        assert a == {"status": "available", "places": 2,
                     "reported_at": "2026-09-30T13:00:00-04:00", "age_minutes": 23 * 60}


class TestMappingTranslatesAndNamesErrors:
    def test_rows_of_the_tiny_file(self):
        result = import_files([TINY], mapping_path=TINY_MAPPING)
        by_id = {f.id: f for f in result.facilities}
        assert sorted(by_id) == ["tt-1", "tt-2", "tt-3"]
        assert by_id["tt-1"].services == frozenset()
        assert by_id["tt-2"].services == frozenset({"night"})  # EVENING = Y
        assert by_id["tt-3"].services == frozenset()  # empty cell: not claimed
        assert (by_id["tt-1"].age_min_months, by_id["tt-1"].age_max_months) == (18, 68)
        assert by_id["tt-3"].hours is None
        assert (by_id["tt-3"].age_min_months, by_id["tt-3"].age_max_months) == (None, None)
        assert by_id["tt-2"].hours.to_mapping()["sat"] == []
        details = {r.row: (r.reason, r.detail) for r in result.rejects}
        assert details[5] == ("unparsable_field",
                              "hours '7-18': '7-18' is not HH:MM-HH:MM, off or closed "
                              "(e.g. Mo-Fr 07:30-19:30; Sa 08:00-12:00)")
        assert details[6][0] == "unparsable_field"
        assert details[6][1].startswith("services 'maybe': column EVENING (night) must be yes")
        assert details[7] == ("unparsable_field",
                              "kind 'Nursery': column TYPE has a value that [values.kind] does "
                              "not translate; it translates 'Centre'")
        assert details[8][0] == "outside_region"
        assert result.locale == RegistryLocale("America/Toronto", "CA-ON",
                                               (-79.70, 43.55, -79.05, 43.90), "Toronto")

    def test_bad_json_hours_name_field_and_value(self, tmp_path):
        path = tmp_path / "c.csv"
        path.write_text('name,lon,lat,hours\n가,127.045,37.2636,"{""mon"": 7}"\n', encoding="utf-8")
        result = import_files([path])
        assert [r.detail for r in result.rejects] == [
            "hours '{\"mon\": 7}': is not opening hours: hours must map day types to lists of "
            "text: 'int' object is not iterable"]

    def test_bad_vacancies_name_field_and_value(self, tmp_path):
        path = tmp_path / "c.csv"
        path.write_text("name,lon,lat,vacancies\n가,127.045,37.2636,three\n", encoding="utf-8")
        [reject] = import_files([path]).rejects
        assert reject.detail == ("vacancies 'three': is not a JSON object of places such as "
                                 '{"regular": 3}')

    def test_unmapped_fields_are_unknown_in_our_own_format(self, tmp_path):
        path = tmp_path / "c.csv"
        path.write_text("name,kind,lon,lat\n가,daycare,127.045,37.2636\n"
                        "나,community_child_center,127.046,37.2637\n", encoding="utf-8")
        for f in import_files([path]).facilities:
            assert (f.hours, f.age_min_months, f.age_max_months) == (None, None, None)

    def test_korean_portal_keeps_its_declared_defaults(self):
        f = next(f for f in import_files([DATA / "portal_tiny.csv"]).facilities
                 if f.name == "매탄해님어린이집")
        assert f.hours.to_mapping()["sat"] == ["07:30-15:30"]
        assert (f.age_min_months, f.age_max_months) == (0, 83)

    def test_defaults_section_can_give_hours_and_ages(self, tmp_path):
        mapping = tmp_path / "m.toml"
        mapping.write_text(TINY_MAPPING.read_text(encoding="utf-8").replace(
            "[defaults]\n", '[defaults]\nhours = "Mo-Sa 08:00-16:00"\nage_min_months = 0\n'
                            "age_max_months = 60\n"), encoding="utf-8")
        tt3 = next(f for f in import_files([TINY], mapping_path=mapping).facilities
                   if f.id == "tt-3")
        assert tt3.hours.to_mapping()["sat"] == ["08:00-16:00"]
        assert (tt3.age_min_months, tt3.age_max_months) == (0, 60)

    @pytest.mark.parametrize(("change", "message"), [
        (('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"'),
         r"\[registry\] timezone 'Mars/Olympus' is not an IANA time zone"),
        (('holidays = "CA-ON"', 'holidays = "CA-XX"'),
         r"\[registry\] holidays 'CA-XX': CA has no subdivision 'XX'; allowed: AB, BC"),
        (("area = [-79.70, 43.55, -79.05, 43.90]", "area = [-79.05, 43.55, -79.70, 43.90]"),
         r"\[registry\] area \[-79.05, 43.55, -79.7, 43.9\] must have min_lon < max_lon"),
        (("area_name =", "colour ="), r"unknown setting\(s\) \['colour'\] in \[registry\]"),
        (("Centre = \"daycare\"", "Centre = \"nursery\""),
         r"\[values.kind\] translates to \['nursery'\], not values of kind; allowed: daycare"),
        (("night = \"EVENING\"", "sauna = \"EVENING\""),
         r"unknown service 'sauna' in \[services\]; allowed: night"),
        (('status = "정상"', 'hours = "Mo-Fr 7-18"'),
         r"\[defaults\] hours 'Mo-Fr 7-18': '7-18' is not HH:MM-HH:MM"),
        (('kind = "TYPE"\n', ""), r"give the providers' kind, in \[columns\] or \[defaults\]"),
    ])
    def test_mapping_errors_name_section_field_and_value(self, tmp_path, change, message):
        text = TINY_MAPPING.read_text(encoding="utf-8")
        assert change[0] in text
        path = tmp_path / "m.toml"
        path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
        with pytest.raises(MappingError, match=message):
            load_mapping_file(path)

    def test_outside_korea_needs_zone_and_holidays(self, tmp_path):
        path = tmp_path / "m.toml"
        text = TINY_MAPPING.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\[registry\]\n(?:[^\n]+\n)*", "", text), encoding="utf-8")
        with pytest.raises(InputFileError, match=r"region none \(a registry outside Korea\) "
                                                 r"needs its timezone and holidays"):
            import_files([TINY], mapping_path=path)

    def test_area_defaults_to_the_points_outside_korea(self, tmp_path):
        path = tmp_path / "m.toml"
        text = TINY_MAPPING.read_text(encoding="utf-8")
        path.write_text(re.sub(r"area = .*\n", "", text), encoding="utf-8")
        result = import_files([TINY], mapping_path=path)
        # No area: every point is kept (Ottawa too), and the area is their box + 0.5 degrees.
        assert "tt-7" in {f.id for f in result.facilities}
        assert result.locale.area == pytest.approx((-79.885, 43.153, -75.1972, 45.9215))


class TestHoursText:
    @pytest.mark.parametrize(("text", "expected"), [
        ("Mo-Fr 07:30-19:30; Sa 07:30-15:30",
         {"mon": ["07:30-19:30"], "fri": ["07:30-19:30"], "sat": ["07:30-15:30"], "sun": [],
          "holiday": []}),
        ("Mo,We 08:00-12:00,13:00-17:00", {"mon": ["08:00-12:00", "13:00-17:00"], "tue": []}),
        ("Fr-Mo 19:00-07:00", {"fri": ["19:00-31:00"], "mon": ["19:00-31:00"], "tue": []}),
        ("Mo-Su 08:00-18:00; Su off; PH 10:00-14:00",
         {"sat": ["08:00-18:00"], "sun": [], "holiday": ["10:00-14:00"]}),
        ("24/7", {"tue": ["00:00-24:00"], "holiday": ["00:00-24:00"]}),
        ("mon 7:05-24:00", {"mon": ["07:05-24:00"]}),
        ('{"tue": ["13:00-19:00"]}', {"tue": ["13:00-19:00"], "mon": []}),
    ])
    def test_forms(self, text, expected):
        got = WeeklyHours.from_text(text).to_mapping()
        assert {k: got[k] for k in expected} == expected

    @pytest.mark.parametrize(("text", "message"), [
        ("Mo-Fr 07:61-08:00", r"'07:61-08:00' is not a time of day"),
        ("Mo 08:00-08:00", r"starts and ends at the same time"),
        ("Mo 24:30-25:00", r"'24:30-25:00' is not a time of day"),
        ("Mo-PH 08:00-09:00", r"PH cannot be part of a range"),
        ("Xx 08:00-09:00", r"'Xx 08:00-09:00' is not HH:MM-HH:MM"),
        ("{broken", r"are not a JSON object"),
        ("", r"are empty"),
    ])
    def test_errors_quote_the_text(self, text, message):
        with pytest.raises(ValueError, match=message):
            WeeklyHours.from_text(text)


class TestCoreUsesTheRegistrysCalendar:
    weekday = WeeklyHours.from_text("Mo-Fr 07:30-18:00")

    def _index(self, locale: RegistryLocale) -> FacilityIndex:
        lon, lat = (-79.384, 43.654) if locale is not KOREA else (127.03, 37.26)
        return FacilityIndex([facility("a", lon, lat, hours=self.weekday)], timedelta(hours=24),
                             locale=locale)

    @pytest.mark.parametrize(("day", "ontario_open", "korea_open"), [
        (FAMILY_DAY, False, True), (HANGUL_DAY, True, False), (PLAIN_MONDAY, True, True)])
    def test_holidays_of_each_calendar(self, day, ontario_open, korea_open):
        ontario = RegistryLocale("America/Toronto", "CA-ON", (-79.7, 43.55, -79.05, 43.9),
                                 "Toronto")
        for locale, expected in ((ontario, ontario_open), (KOREA, korea_open)):
            start = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=locale.tz)
            c = Criteria(start=start, end=start.replace(hour=10))
            index = self._index(locale)
            lon, lat = index.lon[0], index.lat[0]
            assert bool(index.nearest(lon, lat, c, start, 1)) is expected, (locale, day)

    @pytest.mark.parametrize(("utc_hour", "ontario_open", "korea_open"), [
        (20, True, False),  # Wednesday 16:00 in Toronto, Thursday 05:00 in Seoul
        (1, False, True),  # Tuesday 21:00 in Toronto, Wednesday 10:00 in Seoul
    ])
    def test_aware_times_in_another_zone_are_read_in_the_registrys(self, utc_hour,
                                                                     ontario_open, korea_open):
        ontario = RegistryLocale("America/Toronto", "CA-ON", (-79.7, 43.55, -79.05, 43.9))
        at = datetime(2026, 10, 7, utc_hour, 0, tzinfo=ZoneInfo("UTC"))
        until = at.replace(minute=30)
        assert self.weekday.is_open_for(at, until, ontario.is_holiday, tz=ontario.tz) \
            is ontario_open
        assert self.weekday.is_open_for(at, until, KOREA.is_holiday, tz=KOREA.tz) is korea_open

    def test_planning_periods_use_the_registrys_calendar(self):
        ontario = RegistryLocale("America/Toronto", "CA-ON", (-79.7, 43.55, -79.05, 43.9))
        # After 설날 (2027-02-06 to 09): Family Day in Ontario, 삼일절 in Korea.
        assert reference_day("holiday", date(2027, 2, 10), ontario) == date(2027, 2, 15)
        assert reference_day("holiday", date(2027, 2, 10), KOREA) == date(2027, 3, 1)
        start, _ = windows("day", date(2027, 2, 10), ontario)[0]
        assert start.tzinfo == TORONTO

    def test_unknown_hours_and_ages_never_match(self):
        unknown = Facility(id="u", name="u", kind="daycare", lon=127.03, lat=37.26, hours=None,
                           age_min_months=None, age_max_months=None)
        index = FacilityIndex([unknown], timedelta(hours=24))
        start = datetime(2026, 12, 1, 9, tzinfo=SEOUL)
        assert index.nearest(127.03, 37.26, Criteria(), start, 1)
        assert not index.nearest(127.03, 37.26, Criteria(age_months=30), start, 1)
        assert not index.nearest(127.03, 37.26, Criteria(start=start, end=start.replace(hour=10)),
                                 start, 1)


def test_readme_toronto_example_is_the_working_mapping(tmp_path):
    """The TOML example in data/facilities/README.md imports the real Toronto file."""
    readme = (ROOT / "data" / "facilities" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    path = tmp_path / "toronto.toml"
    path.write_text(block, encoding="utf-8")
    mapping = load_mapping_file(path)
    assert mapping.registry["timezone"] == "America/Toronto"
    csv_path = shared("ca-toronto-licensed-child-care-centres", "raw_childcare_data.csv")
    result = import_files([csv_path], mapping_path=path)
    assert len(result.facilities) == 1064
    assert result.locale.holidays == "CA-ON"
    registry = tmp_path / "r.geojson"
    write_registry(registry, result.locale.to_meta(), result.facilities)
    assert read_registry(registry).locale == result.locale
