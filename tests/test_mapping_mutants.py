"""Column mappings, pinned down where mutation testing (``bench/mutation.sh mapping``) found them
loose: the built-in mappings' columns, ids and defaults, format detection and its message, the
checks of a mapping file (each message with its file name and its full list of allowed values),
flag columns, number / list / vacancy / report-time cells. Every answer is checkable by hand."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from app.ingest import mapping as mapping_module
from app.ingest.mapping import (
    NO,
    YES,
    FieldValueError,
    Flag,
    Mapping,
    MappingError,
    canonical_mapping,
    check_columns,
    convert,
    detect_mapping,
    load_mapping_file,
    localdata_mapping,
    parse_list,
    portal_mapping,
    registry_locale,
    registry_settings,
    whole_number,
)
from app.ingest.readers import InputFileError, RawTable
from app.search.locale import RegistryLocale

SEOUL = ZoneInfo("Asia/Seoul")
# The 어린이집 standard (app/reference/daycare.json, from 보육사업안내): Mon-Fri 07:30-19:30, Sat 07:30-15:30,
# ages 0 to 83 months.
STANDARD_HOURS = {"mon": ["07:30-19:30"], "tue": ["07:30-19:30"], "wed": ["07:30-19:30"],
                  "thu": ["07:30-19:30"], "fri": ["07:30-19:30"], "sat": ["07:30-15:30"]}
MINIMAL = '[columns]\nname = "기관명"\n[defaults]\nkind = "daycare"\n'


def write(tmp_path: Path, text: str, name: str = "m.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def table(*columns: str, geometries=None) -> RawTable:
    return RawTable(path=Path("in.csv"), columns=list(columns), rows=[], geometries=geometries)


def refused(tmp_path: Path, text: str, message: str) -> None:
    """Loading ``text`` as m.toml fails with exactly ``message`` (literal text)."""
    with pytest.raises(MappingError, match=f"^{re.escape(message)}$"):
        load_mapping_file(write(tmp_path, text))


class TestFieldValueError:
    def test_message_names_field_and_value_and_keeps_the_field(self):
        exc = FieldValueError("capacity", "many", "is not a number")
        assert (str(exc), exc.field) == ("capacity 'many': is not a number", "capacity")

    def test_a_value_of_80_characters_is_shown_whole(self):
        assert str(FieldValueError("name", "가" * 80, "r")) == f"name '{'가' * 80}': r"

    def test_a_longer_value_is_cut_to_77_characters_and_an_ellipsis(self):
        value = "a" * 71 + "bcdefghijk"  # 81 characters
        assert str(FieldValueError("name", value, "r")) == f"name '{'a' * 71}bcdefg…': r"

    def test_a_value_that_is_not_text_is_shown_as_is(self):
        assert str(FieldValueError("vacancies", 12, "r")) == "vacancies 12: r"


class TestCells:
    @pytest.mark.parametrize(("text", "number"), [("1,234", 1234), ("12.0", 12), ("0", 0)])
    def test_whole_numbers(self, text, number):
        assert whole_number("capacity", text) == number

    @pytest.mark.parametrize("text", ["-3", "1.5", "many", "nan", "inf"])
    def test_not_whole_numbers(self, text):
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"enrolment {text!r}: is not a whole number >= 0") + "$") as caught:
            whole_number("enrolment", text)
        assert caught.value.field == "enrolment"

    def test_counts_and_ages_are_numbers(self):
        assert [convert(f, "1,234", SEOUL) for f in
                ("capacity", "enrolment", "age_min_months", "age_max_months")] == [1234] * 4

    def test_a_count_error_names_its_field(self):
        with pytest.raises(FieldValueError, match=r"^capacity 'many': ") as caught:
            convert("capacity", "many", SEOUL)
        assert caught.value.field == "capacity"

    def test_lists_from_text_or_json(self):
        assert parse_list("services", " night; holiday ;;") == {"night", "holiday"}
        assert parse_list("services", "night;holiday") == {"night", "holiday"}
        assert parse_list("services", '["night", "24h"]') == {"night", "24h"}
        assert parse_list("services", "") == frozenset()

    def test_a_list_that_is_not_json(self):
        with pytest.raises(FieldValueError, match="^" + re.escape(
                "services '[night': is not a JSON list such as [\"night\"] or text such as "
                "night;holiday") + "$") as caught:
            parse_list("services", "[night")
        assert caught.value.field == "services"

    @pytest.mark.parametrize("text", ["[1, 2]", '["night", 3]'])
    def test_a_json_list_of_other_things(self, text):
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"programmes {text!r}: must be a list of text") + "$") as caught:
            parse_list("programmes", text)
        assert caught.value.field == "programmes"

    def test_a_list_error_through_convert_names_its_field(self):
        with pytest.raises(FieldValueError,
                           match=r"^service_area_sigungu_codes '\[41': is not a JSON list") as caught:
            convert("service_area_sigungu_codes", "[41", SEOUL)
        assert caught.value.field == "service_area_sigungu_codes"

    def test_vacancies_may_be_zero(self):
        assert convert("vacancies", '{"regular": 0, "infant": 2}', SEOUL) == {"regular": 0, "infant": 2}

    @pytest.mark.parametrize("text", ['{"regular": -1}', '{"regular": 2.5}', '{"regular": true}',
                                      '{"regular": "3"}', "[3]", "three"])
    def test_vacancies_that_are_not_counts_of_places(self, text):
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"vacancies {text!r}: is not a JSON object of places such as "
                '{"regular": 3}') + "$"):
            convert("vacancies", text, SEOUL)


class FrozenClock(datetime):
    """``datetime`` whose ``now`` is 2026-11-30 12:00 UTC."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 11, 30, 12, 0, tzinfo=UTC).astimezone(tz)


class TestReportTimes:
    @pytest.fixture(autouse=True)
    def _frozen(self, monkeypatch):
        monkeypatch.setattr(mapping_module, "datetime", FrozenClock)

    @pytest.mark.parametrize(("text", "utc"), [
        ("2026-11-30T13:00:00+00:00", datetime(2026, 11, 30, 13, 0, tzinfo=UTC)),
        ("2026-12-01T12:00:00+00:00", datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
        ("2026-12-01T21:00:00", datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),  # Seoul wall clock
    ])
    def test_up_to_one_day_ahead_of_the_clock_is_taken(self, text, utc):
        # The clock says 2026-11-30 12:00 UTC; clocks may differ by a day (REPORT_CLOCK_SKEW).
        assert convert("availability_reported_at", text, SEOUL) == utc

    def test_later_is_in_the_future(self):
        text = "2026-12-01T12:00:01+00:00"
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"availability_reported_at {text!r}: is in the future: give the time the places "
                "were counted") + "$") as caught:
            convert("availability_reported_at", text, SEOUL)
        assert caught.value.field == "availability_reported_at"

    def test_out_of_the_years_2000_2099(self):
        text = "9999-12-31T23:59:59"
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"availability_reported_at {text!r}: is not in the years 2000-2099: a typo for "
                "the time the places were reported") + "$") as caught:
            convert("availability_reported_at", text, SEOUL)
        assert caught.value.field == "availability_reported_at"

    def test_not_a_date_time(self):
        with pytest.raises(FieldValueError, match="^" + re.escape(
                "availability_reported_at 'yesterday': is not an ISO 8601 date-time such as "
                "2026-11-29T20:45:23 (the registry's zone) or 2026-11-29T20:45:23+09:00") + "$") \
                as caught:
            convert("availability_reported_at", "yesterday", SEOUL)
        assert caught.value.field == "availability_reported_at"


PORTAL_COLUMNS = {
    "sido": ["시도"], "sigungu": ["시군구"], "name": ["어린이집명"],
    "establishment_type": ["어린이집유형구분"], "status": ["운영현황"], "address": ["주소"],
    "phone": ["어린이집전화번호"], "capacity": ["정원수"], "enrolment": ["현원수"],
    "x": ["경도"], "y": ["위도"], "authorised_on": ["인가일자"],
}


def standard_defaults(m: Mapping) -> None:
    """``m`` gives the 어린이집 standard hours and ages, and kind daycare, to every row."""
    values = m.values_of({})
    assert json.loads(values.pop("hours")) == STANDARD_HOURS
    assert values == {"kind": "daycare", "age_min_months": "0", "age_max_months": "83"}


class TestBuiltInMappings:
    def test_portal(self):
        m = portal_mapping()
        assert (m.name, m.crs, m.id_prefix, m.geometry_column) == \
            ("어린이집 정보공개포털 기본정보", "EPSG:4326", "kr-cc-", None)
        assert m.columns == PORTAL_COLUMNS
        assert m.id_from == ("sido", "sigungu", "name", "authorised_on", "address")
        standard_defaults(m)

    def test_localdata(self):
        m = localdata_mapping(["관리번호", "사업장명", "좌표정보(X)", "좌표정보(Y)", "영업상태명"])
        assert (m.name, m.crs, m.id_prefix, m.id_from) == ("LOCALDATA 인허가", "EPSG:5174", "localdata-", ())
        assert m.columns == {
            "id": ["관리번호"], "name": ["사업장명"], "status": ["영업상태명"],
            "address": ["도로명주소", "도로명전체주소", "지번주소", "소재지전체주소"],
            "phone": ["전화번호", "소재지전화"], "x": ["좌표정보(X)"], "y": ["좌표정보(Y)"],
        }
        standard_defaults(m)

    def test_localdata_coordinate_columns_in_any_case(self):
        m = localdata_mapping(["좌표정보(y)", "사업장명", "좌표정보(x)"])
        assert (m.columns["x"], m.columns["y"]) == (["좌표정보(x)"], ["좌표정보(y)"])

    def test_localdata_row(self):
        m = localdata_mapping(["좌표정보(X)", "좌표정보(Y)"])
        row = {"관리번호": "PHMA-1", "사업장명": "해님병원", "영업상태명": "영업/정상", "도로명주소": "",
               "도로명전체주소": " ", "지번주소": "광진구 화양동 1", "소재지전체주소": "서울 광진구 화양동 1",
               "전화번호": "", "소재지전화": "02-111-2222", "좌표정보(X)": "205000.1", "좌표정보(Y)": "449000.2"}
        values = m.values_of(row)
        assert {k: values[k] for k in ("id", "name", "status", "address", "phone", "x", "y")} == {
            "id": "PHMA-1", "name": "해님병원", "status": "영업/정상", "address": "광진구 화양동 1",
            "phone": "02-111-2222", "x": "205000.1", "y": "449000.2"}
        assert m.status_values["영업/정상"] == "정상"

    def test_our_own_field_names(self):
        m = canonical_mapping(["name", "lon", "lat", "hours", "colour"])
        assert m == Mapping(name="Dolbom Map fields",
                            columns={"name": ["name"], "hours": ["hours"], "x": ["lon"], "y": ["lat"]},
                            defaults={"kind": "daycare"}, id_from=("name", "x", "y"))
        assert m.values_of({"name": "가", "lon": "127", "lat": "37"}) == \
            {"kind": "daycare", "name": "가", "x": "127", "y": "37"}
        assert canonical_mapping(["name", "x", "y"]).columns == {"name": ["name"], "x": ["x"], "y": ["y"]}


PORTAL_HEADER = ("시도", "시군구", "어린이집명", "어린이집유형구분", "운영현황", "우편번호", "주소",
                 "어린이집전화번호", "어린이집팩스번호", "보육실수", "보육실면적", "놀이터수", "보육교직원수",
                 "정원수", "현원수", "위도", "경도")
EXPECTED = ("expected the 어린이집 정보공개포털 columns (시도, 시군구, 어린이집명, 운영현황, 위도, 경도, …), "
            "LOCALDATA columns (사업장명, 영업상태명, 좌표정보(X), 좌표정보(Y)), our own field names "
            "(name, lon, lat, …), or a column-mapping file given with --mapping")


class TestDetection:
    def test_portal(self):
        assert detect_mapping(table(*PORTAL_HEADER)).name == "어린이집 정보공개포털 기본정보"

    @pytest.mark.parametrize("columns", [("좌표정보(X)", "좌표정보(Y)"), ("사업장명", "좌표정보(x)", "좌표정보(y)")])
    def test_localdata(self, columns):
        m = detect_mapping(table(*columns))
        assert (m.name, m.columns["x"], m.columns["y"]) == ("LOCALDATA 인허가", [columns[-2]], [columns[-1]])

    @pytest.mark.parametrize(("columns", "x", "y"), [(("name", "lon", "lat"), "lon", "lat"),
                                                     (("name", "x", "y"), "x", "y"),
                                                     (("x", "y", "name"), "x", "y")])
    def test_our_own_field_names(self, columns, x, y):
        m = detect_mapping(table(*columns))
        assert (m.name, m.columns["x"], m.columns["y"]) == ("Dolbom Map fields", [x], [y])

    def test_our_own_field_names_with_geometries(self):
        assert detect_mapping(table("name", geometries=[])).name == "Dolbom Map fields"

    @pytest.mark.parametrize(("columns", "shown"), [
        (("name", "lon"), "['name', 'lon']"),
        (("lon", "lat", "x", "y"), "['lon', 'lat', 'x', 'y']"),
        (tuple("abcdefgh"), "['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']"),
        (tuple("abcdefghi"), "['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']…"),
    ])
    def test_unrecognised(self, columns, shown):
        with pytest.raises(InputFileError, match="^" + re.escape(
                f"in.csv: unrecognised columns {shown}; {EXPECTED}") + "$"):
            detect_mapping(table(*columns))


KINDS_TEXT = "daycare, community_child_center, together_care_center, home_visit_provider"
SERVICES_TEXT = "night, holiday, 24h, hourly, disability_integrated, infant_only"
PROGRAMMES_TEXT = "elementary_emergency, always_daycare, home_visit_emergency"
FIELDS_TEXT = ("id, name, kind, status, establishment_type, capacity, enrolment, address, phone, sido, "
               "sigungu, emd, age_min_months, age_max_months, services, programmes, hours, vacancies, "
               "availability_reported_at, service_area_sigungu_codes, x, y, authorised_on")


class TestMappingFileChecks:
    @pytest.mark.parametrize("section", ["columns", "geometry", "source", "defaults", "values",
                                         "status_values", "services", "programmes", "registry"])
    def test_a_section_that_is_not_a_table(self, tmp_path, section):
        text = f"{section} = 3\n" + ("" if section in ("columns", "defaults") else MINIMAL)
        refused(tmp_path, text, f"mapping file m.toml: [{section}] must be a table")

    def test_unknown_default_lists_the_fields(self, tmp_path):
        refused(tmp_path, MINIMAL + 'colour = "red"\n',
                f"mapping file m.toml: unknown field(s) ['colour'] in [defaults]; allowed: {FIELDS_TEXT}")

    @pytest.mark.parametrize("values", ['colour = { a = "b" }', 'kind = "daycare"'])
    def test_values_must_translate_a_field(self, tmp_path, values):
        fld = values.split(" ")[0]
        refused(tmp_path, MINIMAL + f"[values]\n{values}\n",
                f"mapping file m.toml: [values.{fld}] must translate a field ({FIELDS_TEXT}): "
                "source text = our value")

    def test_values_of_a_closed_field_list_what_is_allowed(self, tmp_path):
        refused(tmp_path, MINIMAL + '[values.kind]\nCentre = "nursery"\n',
                "mapping file m.toml: [values.kind] translates to ['nursery'], not values of kind; "
                f"allowed: {KINDS_TEXT}")

    def test_values_of_a_free_text_field(self, tmp_path):
        m = load_mapping_file(write(tmp_path, '[columns]\nname = "기관명"\nsido = "시도"\n[defaults]\n'
                                    'kind = "daycare"\n[values.sido]\n"경기" = "경기도"\n"-" = ""\n'))
        assert m.values == {"sido": {"경기": "경기도", "-": ""}}
        assert m.values_of({"기관명": "가", "시도": "경기"}) == {"kind": "daycare", "name": "가", "sido": "경기도"}
        assert m.values_of({"기관명": "가", "시도": "-"}) == {"kind": "daycare", "name": "가"}

    def test_status_values_list_the_statuses(self, tmp_path):
        refused(tmp_path, MINIMAL + '[status_values]\n"운영중" = "open"\n',
                "mapping file m.toml: [status_values] translates to ['open']; allowed: 정상, 휴지, 폐지, 재개")

    def test_values_status_joins_the_status_values(self, tmp_path):
        m = load_mapping_file(write(tmp_path, '[columns]\nname = "기관명"\nstatus = "상태"\n'
                                    '[defaults]\nkind = "daycare"\n[values.status]\n"운영중" = "정상"\n'))
        assert (m.status_values["운영중"], m.status_values["폐업"]) == ("정상", "폐지")
        assert m.values == {}
        # The status is checked against status_values, which keep the built-in ones.
        assert m.values_of({"기관명": "가", "상태": "폐업"})["status"] == "폐업"

    def test_a_default_kind_must_be_a_kind(self, tmp_path):
        refused(tmp_path, MINIMAL.replace('"daycare"', '"nursery"'),
                f"mapping file m.toml: [defaults] kind 'nursery' is not one of {KINDS_TEXT}")

    def test_a_default_status_may_be_one_the_mapping_translates(self, tmp_path):
        m = load_mapping_file(write(tmp_path, MINIMAL + 'status = "영업"\n'))
        assert m.defaults["status"] == "영업"
        refused(tmp_path, MINIMAL + 'status = "open"\n',
                "mapping file m.toml: [defaults] status 'open' is not one of 정상, 휴지, 폐지, 재개")

    def test_a_default_report_time_is_read_for_its_format_only(self, tmp_path):
        m = load_mapping_file(write(tmp_path, MINIMAL + 'availability_reported_at = "2026-11-29T20:45:23"\n'))
        assert m.defaults["availability_reported_at"] == "2026-11-29T20:45:23"

    def test_the_kind_is_needed_and_the_kinds_listed(self, tmp_path):
        refused(tmp_path, '[columns]\nname = "기관명"\n',
                "mapping file m.toml: give the providers' kind, in [columns] or [defaults] "
                f"(kind = \"daycare\"); allowed: {KINDS_TEXT}")

    def test_geometry_column(self, tmp_path):
        m = load_mapping_file(write(tmp_path, MINIMAL + '[geometry]\ncolumn = "geom"\n'))
        assert m.geometry_column == "geom"
        assert m.source_columns() == {"기관명", "geom"}

    def test_read_as_utf8_whatever_the_locale(self, tmp_path, monkeypatch):
        path = write(tmp_path, MINIMAL)
        # As on Korean Windows, where text files are cp949 unless told otherwise.
        monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "cp949")
        assert load_mapping_file(path).columns == {"name": ["기관명"]}

    def test_defaults_tables_and_lists_are_kept_as_json_text(self, tmp_path):
        m = load_mapping_file(write(tmp_path, MINIMAL + 'services = ["night"]\nemd = ["매탄동"]\n'
                                    'hours = { mon = ["07:30-19:30"] }\n'))
        assert (m.defaults["services"], m.defaults["emd"], m.defaults["hours"]) == \
            ('["night"]', '["매탄동"]', '{"mon": ["07:30-19:30"]}')
        assert m.defaults["kind"] == "daycare"

    def test_registry_name_must_be_text(self, tmp_path):
        refused(tmp_path, MINIMAL + "[registry]\nname = 5\n", "mapping file m.toml: [registry] name must be text")

    def test_unknown_registry_setting_lists_the_settings(self, tmp_path):
        refused(tmp_path, MINIMAL + '[registry]\ncolour = "red"\n',
                "mapping file m.toml: unknown setting(s) ['colour'] in [registry]; "
                "allowed: name, timezone, holidays, area, area_name")

    def test_registry_setting_errors_name_the_file(self, tmp_path):
        refused(tmp_path, MINIMAL + "[registry]\narea_name = 3\n",
                "mapping file m.toml: [registry] area_name must be text, got 3")


FLAGS = MINIMAL + """[services]
night = "야간"
holiday = { column = "휴일", yes = ["JA", 1], no = ["Nein"] }
24h = { column = "종일" }
[programmes]
always_daycare = "상시"
elementary_emergency = "긴급"
"""
SPEC = '{ column = "…", yes = ["Y"], no = ["N"] }'


class TestFlags:
    def test_flags_as_column_names_or_tables(self, tmp_path):
        m = load_mapping_file(write(tmp_path, FLAGS))
        assert m.flags == {
            "services": {"night": Flag("야간", YES, NO), "holiday": Flag("휴일", ("ja", "1"), ("nein",)),
                         "24h": Flag("종일", YES, NO)},
            "programmes": {"always_daycare": Flag("상시", YES, NO), "elementary_emergency": Flag("긴급", YES, NO)},
        }
        assert m.source_columns() == {"기관명", "야간", "휴일", "종일", "상시", "긴급"}

    def test_yes_no_and_empty_cells(self, tmp_path):
        m = load_mapping_file(write(tmp_path, FLAGS))
        values = m.values_of({"기관명": "가", "야간": " Y ", "휴일": "Ja", "종일": "", "상시": "운영", "긴급": "N"})
        assert values == {"kind": "daycare", "name": "가", "services": "holiday;night",
                          "programmes": "always_daycare"}
        assert "services" not in m.values_of({"기관명": "가", "야간": "아니오", "휴일": "nein"})

    def test_a_cell_that_is_neither_lists_yes_and_no(self, tmp_path):
        m = load_mapping_file(write(tmp_path, FLAGS))
        with pytest.raises(FieldValueError, match="^" + re.escape(
                "services 'maybe': column 야간 (night) must be yes (y, yes, true, 1, o, 예, 있음, 운영) or "
                "no (n, no, false, 0, x, 아니오, 없음, 미운영)") + "$"):
            m.values_of({"기관명": "가", "야간": "maybe"})
        with pytest.raises(FieldValueError, match="^" + re.escape(
                "services 'Y': column 휴일 (holiday) must be yes (ja, 1) or no (nein)") + "$"):
            m.values_of({"기관명": "가", "휴일": "Y"})

    def test_flags_add_to_a_services_column(self, tmp_path):
        m = load_mapping_file(write(tmp_path, FLAGS.replace('name = "기관명"', 'name = "기관명"\nservices = "서비스"')))
        assert m.values_of({"기관명": "가", "서비스": "hourly; 24h", "야간": "y"})["services"] == "24h;hourly;night"
        with pytest.raises(FieldValueError, match=r"^services '\[night': is not a JSON list") as caught:
            m.values_of({"기관명": "가", "서비스": "[night", "야간": "y"})
        assert caught.value.field == "services"

    @pytest.mark.parametrize("spec", ["5", '["야간"]', '{ column = "야간", colour = "red" }',
                                      '{ yes = ["Y"] }', '{ column = 5 }'])
    def test_a_flag_that_is_neither_a_column_nor_a_table(self, tmp_path, spec):
        refused(tmp_path, MINIMAL + f"[services]\nnight = {spec}\n",
                f"mapping file m.toml: [services] night must be a column name or {SPEC}")

    def test_unknown_flags_list_the_allowed_ones(self, tmp_path):
        refused(tmp_path, MINIMAL + '[programmes]\nsauna = "S"\n',
                "mapping file m.toml: unknown programme 'sauna' in [programmes]; allowed: "
                "elementary_emergency, always_daycare, home_visit_emergency")
        refused(tmp_path, MINIMAL + '[services]\nsauna = "S"\n',
                f"mapping file m.toml: unknown service 'sauna' in [services]; allowed: {SERVICES_TEXT}")


class TestTranslations:
    def test_a_translation_replaces_the_cell(self, tmp_path):
        m = load_mapping_file(write(tmp_path, '[columns]\nname = "기관명"\nkind = "유형"\n[defaults]\n'
                                    'kind = "daycare"\n[values.kind]\n"지역아동센터" = "community_child_center"\n'
                                    '"기타" = ""\n'))
        assert m.values_of({"기관명": "가", "유형": "지역아동센터"})["kind"] == "community_child_center"
        # Translated to "": unknown, the default too.
        assert m.values_of({"기관명": "가", "유형": "기타"}) == {"name": "가"}

    def test_an_untranslated_value_lists_at_most_12_translations(self, tmp_path):
        pairs = "".join(f'"s{i}" = "daycare"\n' for i in range(1, 14))
        m = load_mapping_file(write(tmp_path, '[columns]\nname = "기관명"\nkind = "유형"\n[values.kind]\n' + pairs))
        shown = ", ".join(f"'s{i}'" for i in range(1, 13))
        with pytest.raises(FieldValueError, match="^" + re.escape(
                f"kind 'x': column 유형 has a value that [values.kind] does not translate; it translates {shown}")
                + "$"):
            m.values_of({"기관명": "가", "유형": "x"})


TORONTO = MappingProxyType({"timezone": "America/Toronto", "holidays": "CA-ON"})


class TestRegistryLocale:

    def test_the_box_around_the_points_stops_at_the_poles_and_the_date_line(self):
        locale = registry_locale(TORONTO, "none", [(-179.9, -89.9), (179.9, 89.9)])
        assert (locale.area, locale.area_name) == ((-180, -90, 180, 90), "the registry's area")

    def test_the_box_around_the_points(self):
        locale = registry_locale(TORONTO, "none", [(-79.4, 43.6), (-79.2, 43.8)])
        assert locale.area == pytest.approx((-79.9, 43.1, -78.7, 44.3))
        assert locale.area_name == "the registry's area"

    def test_an_area_without_a_name(self):
        locale = registry_locale({**TORONTO, "area": [-79.7, 43.55, -79.05, 43.9]}, "none", [])
        assert (locale.area, locale.area_name) == ((-79.7, 43.55, -79.05, 43.9), "the registry's area")

    def test_a_korean_registry_keeps_the_korea_box_and_its_name(self):
        assert registry_locale({"name": "경기도"}, "KR", [(127.0, 37.0)]) == RegistryLocale()


def two_addresses(name: str = "상호") -> Mapping:
    return Mapping(name="m", columns={"address": ["도로명주소", "지번주소"], "name": [name],
                                      "x": ["X"], "y": ["Y"]})


class TestCheckColumns:
    def test_one_of_two_candidates_is_enough(self):
        check_columns(two_addresses(), table("상호", "지번주소", "X", "Y"))
        check_columns(two_addresses(), table("상호", "도로명주소", "X", "Y"))

    @pytest.mark.parametrize(("columns", "missing"), [
        (("지번주소", "X", "Y"), "상호"),
        (("상호", "X", "Y"), "도로명주소, 지번주소"),
        (("X", "Y"), "도로명주소, 상호, 지번주소"),
    ])
    def test_missing_columns_are_named(self, columns, missing):
        with pytest.raises(InputFileError, match="^" + re.escape(
                f"in.csv: missing required column(s) {missing} for the m format; the file has: "
                f"{', '.join(columns)}") + "$"):
            check_columns(two_addresses(), table(*columns))

    def test_a_field_whose_only_column_is_missing_needs_it_even_when_another_field_may_do_without(self):
        # 상호 is the name's only column and the address's second choice: the file lacks it, and
        # without the check every row would be refused for an empty name.
        m = Mapping(name="m", columns={"name": ["상호"], "address": ["주소", "상호"], "x": ["X"], "y": ["Y"]})
        with pytest.raises(InputFileError, match=r"^in\.csv: missing required column\(s\) 상호 for the m format"):
            check_columns(m, table("주소", "X", "Y"))
        check_columns(m, table("상호", "X", "Y"))

    def test_a_flag_column_is_needed(self, tmp_path):
        m = load_mapping_file(write(tmp_path, FLAGS + '[geometry]\nx = "X"\ny = "Y"\n'))
        with pytest.raises(InputFileError, match=r"^in\.csv: missing required column\(s\) 긴급, 종일 for the "
                                                 r"mapping m\.toml format"):
            check_columns(m, table("기관명", "야간", "휴일", "상시", "X", "Y"))

    def test_the_portal_needs_its_first_17_columns(self):
        header = [c for c in PORTAL_HEADER if c != "우편번호"] + ["인가일자"]
        with pytest.raises(InputFileError, match=r"^in\.csv: missing required column\(s\) 우편번호 for the "
                                                 r"어린이집 정보공개포털 기본정보 format"):
            check_columns(portal_mapping(), table(*header))
        check_columns(portal_mapping(), table(*PORTAL_HEADER, "인가일자"))

    def test_the_message_shows_the_files_first_30_columns(self):
        columns = [f"c{i}" for i in range(1, 32)]
        with pytest.raises(InputFileError, match="^" + re.escape(
                "in.csv: missing required column(s) X, Y, 도로명주소, 상호, 지번주소 for the m format; "
                "the file has: " + ", ".join(columns[:30])) + "$"):
            check_columns(two_addresses(), table(*columns))

    @pytest.mark.parametrize("columns", [{"name": ["n"], "x": ["X"]}, {"name": ["n"], "y": ["Y"]}])
    def test_no_coordinates(self, columns):
        with pytest.raises(InputFileError, match="^" + re.escape(
                "in.csv: no coordinates: the mapping must name x and y columns or a geometry column") + "$"):
            check_columns(Mapping(name="m", columns=columns), table("n", "X", "Y"))
        check_columns(Mapping(name="m", columns=columns, geometry_column="g"), table("n", "X", "Y", "g"))
        check_columns(Mapping(name="m", columns=columns), table("n", "X", "Y", geometries=[]))


class TestRegistrySettings:
    def test_a_korean_import_without_a_mapping_file(self):
        assert registry_settings(None, "KR") == {}
        assert registry_settings(None, "41") == {}

    def test_the_mappings_registry_section(self):
        m = Mapping(name="m", columns={}, registry={"name": "T", **TORONTO})
        assert registry_settings(m, "none") == {"name": "T", **TORONTO}

    @pytest.mark.parametrize(("registry", "missing"), [({}, "timezone and holidays"),
                                                       ({"timezone": "America/Toronto"}, "holidays"),
                                                       ({"holidays": "CA-ON"}, "timezone")])
    def test_outside_korea_the_zone_and_holidays_are_needed(self, registry, missing):
        with pytest.raises(InputFileError, match="^" + re.escape(
                f"region none (a registry outside Korea) needs its {missing}: give a --mapping file with "
                'a [registry] section, e.g. timezone = "America/Toronto", holidays = "CA-ON" (holidays '
                'package code, or "none")') + "$"):
            registry_settings(Mapping(name="m", columns={}, registry=registry), "none")
