"""Column mappings: how a source table's columns become facility fields.

Built-in mappings cover the 어린이집 정보공개포털 export, LOCALDATA 인허가 files and CSV/GeoJSON
written with our own field names; any other registry is described by a small TOML file
(see ``tests/data/toronto-mapping.toml`` and ``data/facilities/README.md``).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from app.domain import DomainError
from app.geo.crs import UnknownCRSError, check_crs
from app.reference import daycare_rules
from app.search.hours import HoursFormatError, WeeklyHours
from app.search.locale import (
    DEFAULT_TIMEZONE,
    EARLIEST_YEAR,
    LATEST_YEAR,
    REPORT_CLOCK_SKEW,
    LocaleError,
    RegistryLocale,
    TimeOutOfRangeError,
    parse_local_time,
    zone,
)
from app.search.model import ESTABLISHMENT_TYPES, KINDS, PROGRAMMES, SERVICES, STATUSES

from .readers import InputFileError, RawTable

# Facility fields a mapping may fill from a column.
FIELDS = (
    "id", "name", "kind", "status", "establishment_type", "capacity", "enrolment", "address",
    "phone", "sido", "sigungu", "emd", "age_min_months", "age_max_months", "services",
    "programmes", "hours", "vacancies", "availability_reported_at",
    "service_area_sigungu_codes", "x", "y", "authorised_on",
)
# The values a translation ([values.<field>]) may produce, for fields with a closed set.
FIELD_VALUES = {"kind": KINDS, "status": STATUSES, "establishment_type": ESTABLISHMENT_TYPES}
# Yes/no cells of a flag column ([services], [programmes]), compared without case; an empty
# cell is unknown (the flag is not claimed).
YES = ("y", "yes", "true", "1", "o", "예", "있음", "운영")
NO = ("n", "no", "false", "0", "x", "아니오", "없음", "미운영")
# The [registry] settings (see app.search.locale): stored in the registry file's metadata.
REGISTRY_KEYS = ("name", "timezone", "holidays", "area", "area_name")
SECTIONS = ("source", "columns", "geometry", "defaults", "values", "status_values", "services",
            "programmes", "registry")
# A registry outside Korea without an [registry] area: the box around its points, this much
# wider on every side (degrees; about 55 km north-south).
AREA_MARGIN_DEG = 0.5

PORTAL_COLUMNS = (
    "시도", "시군구", "어린이집명", "어린이집유형구분", "운영현황", "우편번호", "주소", "어린이집전화번호",
    "어린이집팩스번호", "보육실수", "보육실면적", "놀이터수", "보육교직원수", "정원수", "현원수", "위도", "경도",
    "통학차량운영여부", "홈페이지주소", "인가일자", "휴지시작일자", "휴지종료일자", "폐지일자",
)

STATUS_VALUES = {
    "정상": "정상", "재개": "재개", "휴지": "휴지", "폐지": "폐지",
    # LOCALDATA 영업상태명
    "영업/정상": "정상", "영업": "정상", "휴업": "휴지", "폐업": "폐지",
    "취소/말소/만료/정지/중지": "폐지",
}


class MappingError(InputFileError):
    """A mapping file that is malformed or names columns the source does not have."""


class FieldValueError(DomainError):
    """A cell that cannot become its field's value; the message names the field and the value."""

    def __init__(self, fld: str, value: Any, reason: str) -> None:
        shown = value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "…"
        super().__init__(f"{fld} {shown!r}: {reason}", fld)


@dataclass(frozen=True)
class Flag:
    """A yes/no column that sets one service or programme flag."""

    column: str
    yes: tuple[str, ...] = YES
    no: tuple[str, ...] = NO


@dataclass
class Mapping:
    """How to read one source table.

    A field the mapping neither reads from a column nor gives in ``defaults`` is unknown: no
    hours, ages or other facts are assumed for it (built-in Korean mappings give 어린이집
    standard hours and ages as their defaults; a mapping file gives its own in ``[defaults]``).
    """

    name: str
    columns: dict[str, list[str]]  # field -> candidate source columns, first non-empty wins
    crs: str = "EPSG:4326"
    geometry_column: str | None = None  # a column holding a GeoJSON-like point
    defaults: dict[str, str] = field(default_factory=dict)
    status_values: dict[str, str] = field(default_factory=lambda: dict(STATUS_VALUES))
    id_prefix: str = ""
    id_from: tuple[str, ...] = ()  # fields hashed into a stable id when the file has none
    region: str | None = None  # overrides the command's --region
    required: tuple[str, ...] = ("name",)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {source: ours}
    flags: dict[str, dict[str, Flag]] = field(default_factory=dict)  # services/programmes
    registry: dict[str, Any] = field(default_factory=dict)  # [registry] settings as given

    def source_columns(self) -> set[str]:
        """Every source column the mapping reads."""
        cols = {c for cands in self.columns.values() for c in cands}
        cols |= {f.column for group in self.flags.values() for f in group.values()}
        if self.geometry_column:
            cols.add(self.geometry_column)
        return cols

    @property
    def timezone(self) -> tzinfo:
        """The zone a time without an offset is read in: the registry's (Asia/Seoul unless
        ``[registry] timezone`` says otherwise)."""
        return zone(self.registry.get("timezone", DEFAULT_TIMEZONE))

    def values_of(self, record: dict[str, str]) -> dict[str, str]:
        """A row's field values as text: each field from its first non-empty column, translated
        through ``[values.<field>]``; ``[defaults]`` for fields the row leaves empty; flags
        from yes/no columns added to ``services``/``programmes``.

        Raises :class:`FieldValueError` naming the field and the cell for a value the mapping
        cannot translate.
        """
        values = dict(self.defaults)
        for fld, candidates in self.columns.items():
            for col in candidates:
                v = (record.get(col) or "").strip()
                if not v:
                    continue
                table = self.values.get(fld)
                if table is not None:
                    if v not in table:
                        known = ", ".join(map(repr, list(table)[:12]))
                        raise FieldValueError(fld, v, f"column {col} has a value that [values.{fld}] "
                                                      f"does not translate; it translates {known}")
                    v = table[v]
                if v:
                    values[fld] = v
                else:  # translated to "" : unknown
                    values.pop(fld, None)
                break
        for group, flags in self.flags.items():
            chosen = set(parse_list(group, values.get(group, "")))
            for flag_name, flag in flags.items():
                cell = (record.get(flag.column) or "").strip()
                low = cell.casefold()
                if low in flag.yes:
                    chosen.add(flag_name)
                elif cell and low not in flag.no:
                    raise FieldValueError(
                        group, cell, f"column {flag.column} ({flag_name}) must be yes "
                                     f"({', '.join(flag.yes)}) or no ({', '.join(flag.no)})")
            if chosen:
                values[group] = ";".join(sorted(chosen))
        return values


def parse_list(fld: str, text: str | None) -> frozenset[str]:
    """A list field (services, programmes, service areas) from a JSON list or ``a;b`` text."""
    if not text:
        return frozenset()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            raise FieldValueError(fld, text, 'is not a JSON list such as ["night"] or text '
                                             "such as night;holiday") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise FieldValueError(fld, text, "must be a list of text")
        return frozenset(items)
    return frozenset(t.strip() for t in text.split(";") if t.strip())


def whole_number(fld: str, text: str) -> int:
    """A count or age in a cell (``1,234`` and ``12.0`` are fine)."""
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not value.is_integer() or value < 0:
        raise FieldValueError(fld, text, "is not a whole number >= 0")
    return int(value)


def convert(fld: str, text: str, tz: tzinfo) -> Any:
    """One field's value from its text, or :class:`FieldValueError` naming field and value.

    ``hours``: :meth:`WeeklyHours.from_text` (JSON or ``Mo-Fr 07:30-19:30; Sa …``); ages and
    counts: whole numbers; ``vacancies``: a JSON object of places; ``availability_reported_at``:
    ISO 8601, a time without an offset being in ``tz`` (the registry's zone); lists:
    :func:`parse_list`.
    """
    if fld == "hours":
        try:
            return WeeklyHours.from_text(text)
        except HoursFormatError as exc:
            reason = str(exc).removeprefix(f"hours {text!r}: ")
            raise FieldValueError(fld, text, reason if reason != str(exc)
                                  else f"is not opening hours: {exc}") from None
    if fld in ("age_min_months", "age_max_months", "capacity", "enrolment"):
        return whole_number(fld, text)
    if fld in ("services", "programmes", "service_area_sigungu_codes"):
        return parse_list(fld, text)
    if fld == "vacancies":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in doc.values()):
            raise FieldValueError(fld, text, 'is not a JSON object of places such as '
                                             '{"regular": 3}')
        return doc
    if fld == "availability_reported_at":
        try:
            reported = parse_local_time(text, tz)
        except TimeOutOfRangeError:
            raise FieldValueError(fld, text, f"is not in the years {EARLIEST_YEAR}-{LATEST_YEAR}: "
                                             "a typo for the time the places were reported") from None
        except ValueError:
            raise FieldValueError(fld, text, "is not an ISO 8601 date-time such as "
                                             "2026-11-29T20:45:23 (the registry's zone) or "
                                             "2026-11-29T20:45:23+09:00") from None
        if reported > datetime.now(UTC) + REPORT_CLOCK_SKEW:
            raise FieldValueError(fld, text, "is in the future: give the time the places were "
                                             "counted")
        return reported
    return text


def _standard_daycare_defaults() -> dict[str, str]:
    # 보육사업안내: the standard hours and ages of a Korean 어린이집, for Korean registries that
    # do not list them (the portal export and LOCALDATA have no hours or ages).
    rules = daycare_rules()
    return {"kind": "daycare", "hours": json.dumps(rules["standard_hours"]),
            "age_min_months": str(rules["age_min_months"]),
            "age_max_months": str(rules["age_max_months"])}


def portal_mapping() -> Mapping:
    """어린이집 정보공개포털 '어린이집 기본정보' (23 columns, WGS84 위도/경도)."""
    return Mapping(
        name="어린이집 정보공개포털 기본정보",
        columns={
            "sido": ["시도"], "sigungu": ["시군구"], "name": ["어린이집명"],
            "establishment_type": ["어린이집유형구분"], "status": ["운영현황"], "address": ["주소"],
            "phone": ["어린이집전화번호"], "capacity": ["정원수"], "enrolment": ["현원수"],
            "x": ["경도"], "y": ["위도"], "authorised_on": ["인가일자"],
        },
        defaults=_standard_daycare_defaults(),
        id_prefix="kr-cc-",
        id_from=("sido", "sigungu", "name", "authorised_on", "address"),
    )


def localdata_mapping(columns: list[str]) -> Mapping:
    """LOCALDATA 인허가 files: 좌표정보(X)/(Y) in Korean TM (EPSG:5174 unless told)."""
    x_col = next(c for c in columns if c.lower() == "좌표정보(x)")
    y_col = next(c for c in columns if c.lower() == "좌표정보(y)")
    return Mapping(
        name="LOCALDATA 인허가",
        columns={
            "id": ["관리번호"], "name": ["사업장명"], "status": ["영업상태명"],
            "address": ["도로명주소", "도로명전체주소", "지번주소", "소재지전체주소"],
            "phone": ["전화번호", "소재지전화"], "x": [x_col], "y": [y_col],
        },
        crs="EPSG:5174",
        defaults=_standard_daycare_defaults(),
        id_prefix="localdata-",
    )


def canonical_mapping(columns: list[str]) -> Mapping:
    """A table that already uses our field names (``lon``/``lat`` or ``x``/``y``); fields it
    does not have (hours, ages…) are unknown."""
    cols = {f: [f] for f in FIELDS if f in columns}
    if "lon" in columns:
        cols["x"] = ["lon"]
    if "lat" in columns:
        cols["y"] = ["lat"]
    return Mapping(name="Dolbom Map fields", columns=cols, defaults={"kind": "daycare"},
                   id_from=("name", "x", "y"))


def detect_mapping(table: RawTable) -> Mapping:
    """Choose a built-in mapping from a table's columns, or explain what was expected."""
    cols = table.columns
    if all(c in cols for c in ("어린이집명", "운영현황", "위도", "경도")):
        return portal_mapping()
    lowered = {c.lower() for c in cols}
    if {"좌표정보(x)", "좌표정보(y)"} <= lowered:
        return localdata_mapping(cols)
    if "name" in cols and (
        {"lon", "lat"} <= set(cols) or {"x", "y"} <= set(cols) or table.geometries is not None
    ):
        return canonical_mapping(cols)
    raise InputFileError(
        f"{table.path.name}: unrecognised columns {cols[:8]}{'…' if len(cols) > 8 else ''}; "
        "expected the 어린이집 정보공개포털 columns (시도, 시군구, 어린이집명, 운영현황, 위도, 경도, …), "
        "LOCALDATA columns (사업장명, 영업상태명, 좌표정보(X), 좌표정보(Y)), our own field names "
        "(name, lon, lat, …), or a column-mapping file given with --mapping"
    )


def check_columns(mapping: Mapping, table: RawTable) -> None:
    """Raise :class:`InputFileError` naming the columns the mapping needs but the file lacks."""
    have = set(table.columns)
    missing = sorted(c for c in mapping.source_columns() if c not in have
                     and not _any_candidate_present(mapping, c, have))
    if mapping.name.startswith("어린이집 정보공개포털"):
        missing = sorted(set(missing) | {c for c in PORTAL_COLUMNS[:17] if c not in have})
    if missing:
        raise InputFileError(
            f"{table.path.name}: missing required column(s) {', '.join(missing)} "
            f"for the {mapping.name} format; the file has: {', '.join(table.columns[:30])}"
        )
    has_point = ("x" in mapping.columns and "y" in mapping.columns) or mapping.geometry_column \
        or table.geometries is not None
    if not has_point:
        raise InputFileError(
            f"{table.path.name}: no coordinates: the mapping must name x and y columns "
            "or a geometry column"
        )


def _any_candidate_present(mapping: Mapping, column: str, have: set[str]) -> bool:
    # A column the file lacks is not needed when every field that reads it has another
    # candidate column in the file (a field whose only column it is still needs it).
    fields = [cands for cands in mapping.columns.values() if column in cands]
    return bool(fields) and all(any(c in have for c in cands) for cands in fields)


def _default_text(value: Any) -> str:
    # A TOML table or list (e.g. hours = { mon = ["07:30-19:30"] }) is kept as JSON text.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list, bool)) \
        else str(value)


def _table(doc: dict, section: str, where: str) -> dict:
    value = doc.get(section) or {}
    if not isinstance(value, dict):
        raise MappingError(f"{where}: [{section}] must be a table")
    return value


def _flags(doc: dict, group: str, allowed: Iterable[str], where: str) -> dict[str, Flag]:
    flags: dict[str, Flag] = {}
    for name, spec in _table(doc, group, where).items():
        if name not in allowed:
            raise MappingError(f"{where}: unknown {group[:-1]} {name!r} in [{group}]; allowed: "
                               f"{', '.join(allowed)}")
        if isinstance(spec, str):
            flags[name] = Flag(column=spec)
            continue
        extra = set(spec) - {"column", "yes", "no"} if isinstance(spec, dict) else {"?"}
        if extra or not isinstance(spec.get("column"), str):
            raise MappingError(f"{where}: [{group}] {name} must be a column name or "
                               '{ column = "…", yes = ["Y"], no = ["N"] }')
        lists = {k: tuple(str(v).casefold() for v in spec.get(k, default))
                 for k, default in (("yes", YES), ("no", NO))}
        flags[name] = Flag(column=spec["column"], **lists)
    return flags


def load_mapping_file(path: Path) -> Mapping:
    """Read a TOML column-mapping file (sections ``source``, ``columns``, ``geometry``,
    ``defaults``, ``values``, ``status_values``, ``services``, ``programmes``, ``registry``;
    see ``data/facilities/README.md``). Raises :class:`MappingError` naming the section, field
    and value that are wrong."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path.name} is not valid UTF-8 TOML: {exc}") from exc
    where = f"mapping file {path.name}"
    unknown = set(doc) - set(SECTIONS)
    if unknown:
        raise MappingError(
            f"{where}: unknown section(s) {sorted(unknown)}; allowed: {', '.join(SECTIONS)}"
        )
    columns: dict[str, list[str]] = {}
    for fld, col in _table(doc, "columns", where).items():
        if fld not in FIELDS:
            raise MappingError(
                f"{where}: unknown field {fld!r} in [columns]; allowed: {', '.join(FIELDS)}"
            )
        columns[fld] = [col] if isinstance(col, str) else list(col)
    geometry = _table(doc, "geometry", where)
    source = _table(doc, "source", where)
    for key, fld in (("x", "x"), ("y", "y")):
        if key in geometry:
            columns[fld] = [geometry[key]]
    crs = source.get("crs", geometry.get("crs", "EPSG:4326"))
    try:
        check_crs(crs)
    except UnknownCRSError as exc:
        raise MappingError(f"{where}: {exc}") from exc
    defaults = {k: _default_text(v) for k, v in _table(doc, "defaults", where).items()}
    bad = set(defaults) - set(FIELDS)
    if bad:
        raise MappingError(f"{where}: unknown field(s) {sorted(bad)} in [defaults]; allowed: "
                           f"{', '.join(FIELDS)}")
    values: dict[str, dict[str, str]] = {}
    for fld, table in _table(doc, "values", where).items():
        if fld not in FIELDS or not isinstance(table, dict):
            raise MappingError(f"{where}: [values.{fld}] must translate a field "
                               f"({', '.join(FIELDS)}): source text = our value")
        values[fld] = {str(k): str(v) for k, v in table.items()}
        allowed = FIELD_VALUES.get(fld)
        wrong = sorted({v for v in values[fld].values() if v} - set(allowed or ())) if allowed else []
        if wrong:
            raise MappingError(f"{where}: [values.{fld}] translates to {wrong}, not values of "
                               f"{fld}; allowed: {', '.join(allowed or ())}")
    status_values = {**STATUS_VALUES, **_table(doc, "status_values", where),
                     **values.pop("status", {})}
    wrong = sorted(set(status_values.values()) - set(STATUSES))
    if wrong:
        raise MappingError(f"{where}: [status_values] translates to {wrong}; allowed: "
                           f"{', '.join(STATUSES)}")
    for fld, text in defaults.items():  # a default that cannot be read is the file's fault
        allowed = FIELD_VALUES.get(fld)
        if allowed and text not in allowed and not (fld == "status" and text in status_values):
            raise MappingError(f"{where}: [defaults] {fld} {text!r} is not one of "
                               f"{', '.join(allowed)}")
        try:
            convert(fld, text, zone("UTC"))  # the format only; rows read times in their zone
        except FieldValueError as exc:
            raise MappingError(f"{where}: [defaults] {exc}") from None
    flags = {group: found for group, allowed in (("services", SERVICES), ("programmes", PROGRAMMES))
             if (found := _flags(doc, group, allowed, where))}
    if "name" not in columns:
        raise MappingError(f"{where}: [columns] must name the 'name' column")
    if "kind" not in columns and "kind" not in defaults:
        raise MappingError(f"{where}: give the providers' kind, in [columns] or [defaults] "
                           f"(kind = \"daycare\"); allowed: {', '.join(KINDS)}")
    registry = _registry_section(_table(doc, "registry", where), where)
    return Mapping(
        name=f"mapping {path.name}",
        columns=columns,
        crs=crs,
        geometry_column=geometry.get("column"),
        defaults=defaults,
        status_values=status_values,
        id_prefix=source.get("id_prefix", ""),
        id_from=tuple(source.get("id_from", ("name", "x", "y"))),
        region=source.get("region"),
        values=values,
        flags=flags,
        registry=registry,
    )


def _registry_section(section: dict, where: str) -> dict[str, Any]:
    unknown = set(section) - set(REGISTRY_KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown setting(s) {sorted(unknown)} in [registry]; "
                           f"allowed: {', '.join(REGISTRY_KEYS)}")
    if "name" in section and not isinstance(section["name"], str):
        raise MappingError(f"{where}: [registry] name must be text")
    settings = {k: v for k, v in section.items() if k != "name"}
    try:
        RegistryLocale(**settings)
    except LocaleError as exc:
        raise MappingError(f"{where}: [registry] {exc}") from None
    except TypeError as exc:
        raise MappingError(f"{where}: [registry] {exc}") from None
    return dict(section)


def registry_settings(mapping: Mapping | None, region: str) -> dict[str, Any]:
    """The registry's settings for an import: the mapping's ``[registry]``, and for a Korean
    region (``KR`` or a 시도 code) Korean defaults (Asia/Seoul, KR holidays, the Korea box).

    A registry outside Korea (``region = "none"``) must say its time zone and holiday
    calendar: guessing Korean ones would give wrong answers that look right. Raises
    :class:`InputFileError` saying what to add.
    """
    given = dict(mapping.registry) if mapping else {}
    if region == "none":
        missing = [k for k in ("timezone", "holidays") if k not in given]
        if missing:
            raise InputFileError(
                f"region none (a registry outside Korea) needs its {' and '.join(missing)}: "
                "give a --mapping file with a [registry] section, e.g. timezone = "
                '"America/Toronto", holidays = "CA-ON" (holidays package code, or "none")')
    return given


def registry_locale(settings: dict[str, Any], region: str,
                    points: Iterable[tuple[float, float]]) -> RegistryLocale:
    """The registry's time zone, holidays and area from :func:`registry_settings`. Without an
    area, a registry outside Korea (``region`` none) gets the box around its ``points`` (lon,
    lat degrees), :data:`AREA_MARGIN_DEG` wider on every side; a Korean one the Korea box."""
    given = {k: v for k, v in settings.items() if k != "name"}
    if "area" not in given and region == "none":
        pts = list(points)
        if pts:
            lons, lats = [p[0] for p in pts], [p[1] for p in pts]
            m = AREA_MARGIN_DEG
            given["area"] = (max(min(lons) - m, -180), max(min(lats) - m, -90),
                             min(max(lons) + m, 180), min(max(lats) + m, 90))
            given.setdefault("area_name", "the registry's area")
    if "area" in given:
        given.setdefault("area_name", "the registry's area")
    return RegistryLocale(**given)

