"""Turn registry files into facilities, accounting for every input row.

Every row ends either as a facility or as a reject with one reason (``REASONS``), checked in
that order. All files are read and checked before anything is returned, so a bad file stops
the whole import with one :class:`InputFileError` and nothing is written.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from app import config as _defaults
from app.geo import admin
from app.geo.crs import (
    UnknownCRSError,
    check_crs,
    crs_label,
    geodesic_distance_m,
    metres_per_unit,
    same_crs,
    to_wgs84,
)
from app.geo.korea import SEOUL
from app.geo.named_areas import distance_to_named_sigungu_m, sigungu_key
from app.reference import daycare_rules
from app.registry.text import TextRuleError, TextRules, clean_text
from app.search.hours import HoursFormatError
from app.search.locale import RegistryLocale
from app.search.model import (
    KINDS,
    OPEN_STATUSES,
    REGULAR,
    Facility,
    FacilityFormatError,
)

from .mapping import (
    FieldValueError,
    Mapping,
    check_columns,
    convert,
    detect_mapping,
    load_mapping_file,
    registry_locale,
    registry_settings,
)
from .readers import (
    InputFileError,
    RawTable,
    is_empty_geometry,
    parse_point_text,
    point_of_geometry,
    read_csv,
    read_excel,
    read_geojson,
    read_gpkg,
)

REASONS = (
    "unparsable_field",
    "invalid_id",  # an id that is not allowed in URLs (app.registry.text)
    "invalid_text",  # text over its length limit, or a phone that is not one
    "closed",
    "no_coordinates",
    "invalid_coordinates",
    "imprecise_coordinates",  # written too coarsely to place a building (37 / 127)
    "placeholder",  # a known stand-in point, or one point named by many 시군구
    "outside_region",
    "far_from_named_sigungu",  # farther from the 시군구 the row names than the setting allows
    "duplicate",
)
# Row fields holding free text, cleaned before any check (see app.registry.text).
ROW_TEXT_FIELDS = ("name", "address", "phone", "sido", "sigungu", "emd", "establishment_type",
                   "kind", "status", "authorised_on")


@dataclass(frozen=True)
class ImportRules:
    """What an import holds rows to; the settings of ``app/config.py`` (``REGISTRY_*`` for
    text, ``IMPORT_*`` for coordinates) are the defaults."""

    text: TextRules = field(default_factory=TextRules)
    # A coordinate written in steps coarser than this (metres) is imprecise.
    max_coordinate_step_m: float = _defaults.IMPORT_MAX_COORDINATE_STEP_M
    # A point farther than this (metres) from the 시군구 its row names is rejected.
    named_sigungu_max_distance_m: float = _defaults.IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M
    # One point named by rows of this many different 시군구 is a placeholder.
    shared_point_min_sigungu: int = _defaults.IMPORT_SHARED_POINT_MIN_SIGUNGU

    @classmethod
    def from_config(cls, config: MappingABC[str, Any]) -> ImportRules:
        """The rules from a Flask config (missing settings take their defaults)."""
        base = cls()
        return cls(
            text=TextRules.from_config(config),
            max_coordinate_step_m=float(config.get("IMPORT_MAX_COORDINATE_STEP_M",
                                                   base.max_coordinate_step_m)),
            named_sigungu_max_distance_m=float(config.get(
                "IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M", base.named_sigungu_max_distance_m)),
            shared_point_min_sigungu=int(config.get("IMPORT_SHARED_POINT_MIN_SIGUNGU",
                                                    base.shared_point_min_sigungu)),
        )
FORMATS = ("auto", "excel", "csv", "geojson", "gpkg")
_BASE_DATE_RE = re.compile(r"기준일\((\d{8})\)")


@dataclass
class Reject:
    """One input row that did not become a facility, and why."""

    file: str
    row: int
    reason: str
    detail: str
    record: dict[str, str]


@dataclass
class FileReport:
    """What happened to one input file's rows."""

    file: str
    format: str
    read: int = 0
    accepted: int = 0
    reasons: Counter = field(default_factory=Counter)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        """Rows of this file that ended in the rejects."""
        return sum(self.reasons.values())


@dataclass
class ImportResult:
    """Accepted facilities, rejected rows and per-file counts of one import."""

    facilities: list[Facility]
    rejects: list[Reject]
    files: list[FileReport]
    disagreements: list[dict[str, str]]
    # The registry's time zone, holiday calendar and area (stored in its metadata), and the
    # [registry] settings of the mapping as given (its name, …).
    locale: RegistryLocale = field(default_factory=RegistryLocale)
    settings: dict = field(default_factory=dict)
    # 시군구 names rows give that the boundary data does not know (name -> rows): their
    # distance to the named area could not be checked.
    unchecked_sigungu: Counter = field(default_factory=Counter)

    @property
    def read(self) -> int:
        """Rows read from all files."""
        return sum(f.read for f in self.files)


@dataclass
class _Row:
    """A row on its way through the checks."""

    report: FileReport
    number: int
    record: dict[str, str]
    values: dict[str, str]
    mapping: Mapping
    base_date: datetime | None
    x: float = math.nan
    y: float = math.nan
    crs: str = "EPSG:4326"
    lon: float = math.nan
    lat: float = math.nan
    rules: ImportRules = field(default_factory=ImportRules)


def read_table(path: Path, fmt: str = "auto", encoding: str | None = None) -> RawTable:
    """Read one input file in the given or detected format."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if fmt not in FORMATS:
        raise InputFileError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    suffix = path.suffix.lower()
    if fmt == "auto":
        fmt = {".xls": "excel", ".xlsx": "excel", ".csv": "csv", ".txt": "csv",
               ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}.get(suffix, "")
        if not fmt:
            raise InputFileError(
                f"{path.name}: cannot tell the format from the extension {suffix or '(none)'}; "
                "allowed: .xls, .xlsx, .csv, .geojson, .json, .gpkg, or give --format"
            )
    if fmt == "excel":
        return read_excel(path)
    if fmt == "csv":
        return read_csv(path, encoding)
    if fmt == "geojson":
        return read_geojson(path)
    return read_gpkg(path)


# How often (rows) an import reports its progress while it reads a file and while it places rows.
PROGRESS_EVERY_ROWS = 1000


def import_files(
    paths: list[Path],
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    crs: str | None = None,
    mapping_path: Path | None = None,
    region: str = "KR",
    progress: Callable[[str, int], None] | None = None,
    rules: ImportRules | None = None,
) -> ImportResult:
    """Import registry files. ``region``: ``KR`` (South Korea), a 2-digit 시도 code, or
    ``none`` (no area check, for registries outside Korea). ``crs`` gives the CRS of
    coordinates of files that do not declare one (a GeoPackage's CRS, a GeoJSON ``crs``
    member); a file declaring another CRS is refused. ``progress(file_name, rows_read)`` is
    called every :data:`PROGRESS_EVERY_ROWS` rows of a file as it is read and once at its end;
    then ``progress("", rows_done)`` as the rows are placed in their areas and checked: first
    with the rows already refused, then every :data:`PROGRESS_EVERY_ROWS` rows, and last with
    every row read. ``rules`` (default: the settings' defaults) limits text and coordinates."""
    rules = rules or ImportRules()
    if crs:
        try:
            check_crs(crs)
        except UnknownCRSError as exc:
            raise InputFileError(str(exc)) from exc
    custom = load_mapping_file(mapping_path) if mapping_path else None
    tables: list[tuple[RawTable, Mapping]] = []
    for path in paths:
        table = read_table(Path(path), fmt, encoding)
        _check_declared_crs(table, crs)
        mapping = custom or detect_mapping(table)
        check_columns(mapping, table)
        tables.append((table, mapping))
    if custom and custom.region:
        region = custom.region
    _check_region(region)
    settings = registry_settings(custom, region)

    rejects: list[Reject] = []
    reports: list[FileReport] = []
    rows: list[_Row] = []
    for table, mapping in tables:
        report = FileReport(file=clean_text(table.path.name), format=mapping.name,
                            notes=dict(table.notes))
        reports.append(report)
        base_date = _base_date(table, mapping.timezone)
        for i, record in enumerate(table.records()):
            report.read += 1
            try:
                values, problem = mapping.values_of(record), None
            except FieldValueError as exc:  # a value the mapping cannot translate
                values, problem = {}, ("unparsable_field", str(exc))
            row = _Row(report=report, number=table.first_row_number + i, record=record,
                       values=values, mapping=mapping, base_date=base_date,
                       crs=crs or (table.notes.get("crs") or mapping.crs), rules=rules)
            geom = table.geometries[i] if table.geometries is not None else None
            problem = problem or _first_problem(row, geom, table.geometries is not None)
            if problem:
                rejects.append(_reject(row, *problem))
            else:
                rows.append(row)
            if progress and report.read % PROGRESS_EVERY_ROWS == 0:
                progress(report.file, report.read)
        if progress:
            progress(report.file, report.read)

    read_total = sum(r.read for r in reports)
    if progress:
        progress("", read_total - len(rows))
    rows = _transform(rows, rejects)
    rows = _drop_placeholders(rows, rejects)
    rows = _keep_in_area(rows, rejects, settings.get("area"), region)
    unchecked: Counter = Counter()
    placed = None
    if progress:
        before = read_total - len(rows)
        placed = lambda n: progress("", before + n)  # noqa: E731
    facilities, disagreements = _place_and_build(rows, rejects, region, unchecked, placed)
    if progress:
        progress("", read_total)
    for f_report in reports:
        f_report.accepted = f_report.read - f_report.rejected
    locale = registry_locale(settings, region, ((f.lon, f.lat) for f in facilities))
    return ImportResult(facilities=facilities, rejects=rejects, files=reports,
                        disagreements=disagreements, locale=locale, settings=settings,
                        unchecked_sigungu=unchecked)


def _check_declared_crs(table: RawTable, crs: str | None) -> None:
    """Refuse ``--crs`` when the file itself declares another CRS."""
    declared = table.notes.get("crs")
    if crs and declared and not same_crs(crs, declared):
        raise InputFileError(
            f"{table.path.name}: the file declares its coordinates in {crs_label(declared)}, "
            f"but --crs says {crs_label(crs)}; leave out --crs (the file's CRS is used) or "
            "correct the file"
        )


def _keep_in_area(rows: list[_Row], rejects: list[Reject], area: Sequence[float] | None,
                  region: str) -> list[_Row]:
    """A registry outside Korea with a ``[registry] area``: points outside it are
    ``outside_region`` (searches there would never reach them)."""
    if region != "none" or not area:
        return rows
    min_lon, min_lat, max_lon, max_lat = area
    kept = []
    for r in rows:
        if min_lon <= r.lon <= max_lon and min_lat <= r.lat <= max_lat:
            kept.append(r)
        else:
            rejects.append(_reject(r, "outside_region", f"({r.lat:.6f}, {r.lon:.6f}) is outside "
                                   f"the registry's area {list(area)}"))
    return kept


def _check_region(region: str) -> None:
    if region in ("KR", "none") or re.fullmatch(r"\d{2}", region):
        return
    raise InputFileError(
        f"unknown region {region!r}; allowed: KR (all of South Korea), a 2-digit 시도 code "
        "such as 41 for 경기도, or none (no area check)"
    )


def _base_date(table: RawTable, tz: tzinfo = SEOUL) -> datetime | None:
    """The sheet's 기준일 (a date), as midnight in the registry's zone ``tz``."""
    m = _BASE_DATE_RE.search(table.notes.get("sheet", ""))
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=tz)


def _reject(row: _Row, reason: str, detail: str) -> Reject:
    row.report.reasons[reason] += 1
    return Reject(file=row.report.file, row=row.number, reason=reason, detail=detail,
                  record=row.record)


def _first_problem(
    row: _Row, geometry: dict | None, table_has_geometry: bool
) -> tuple[str, str] | None:
    """The first reason (in ``REASONS`` order, up to coordinates) this row cannot be used."""
    problem = _text_problem(row)
    if problem:
        return problem
    v = row.values
    if not v.get("name"):
        return "unparsable_field", "name is empty"
    kind = v.get("kind", "daycare")
    if kind not in KINDS:
        return "unparsable_field", f"kind {kind!r} is not one of {', '.join(KINDS)}"
    if "status" in row.mapping.columns and not v.get("status"):
        return "unparsable_field", "status is empty"
    raw_status = v.get("status", "정상")
    status = row.mapping.status_values.get(raw_status)
    if status is None:
        return "unparsable_field", (
            f"status {raw_status!r} is unknown; known: {', '.join(row.mapping.status_values)}"
        )
    v["status"] = status
    if status not in OPEN_STATUSES:
        return "closed", f"status {raw_status}"
    for fld in ("capacity", "enrolment", "age_min_months", "age_max_months"):
        if v.get(fld) and _whole_number(v[fld]) is None:
            return "unparsable_field", f"{fld} {v[fld]!r} is not a whole number >= 0"
    point: tuple[float, float] | None
    if row.mapping.geometry_column:
        text = row.record.get(row.mapping.geometry_column, "")
        if is_empty_geometry(text):
            return "no_coordinates", f"{row.mapping.geometry_column} is empty"
        point = parse_point_text(text)
        if point is None:
            return "invalid_coordinates", f"{row.mapping.geometry_column} is not a point"
    elif "x" in v or "y" in v:
        if not v.get("x") or not v.get("y"):
            return "no_coordinates", "x or y is empty"
        try:
            point = float(v["x"]), float(v["y"])
        except ValueError:
            return "invalid_coordinates", f"coordinates ({v['x']!r}, {v['y']!r}) are not numbers"
    elif table_has_geometry:
        if is_empty_geometry(geometry):
            return "no_coordinates", "the geometry is empty"
        point = point_of_geometry(geometry)
        if point is None:
            return "invalid_coordinates", "the geometry is not a point"
    else:
        return "no_coordinates", "no coordinates"
    if not all(math.isfinite(c) for c in point) or point == (0.0, 0.0):
        return "invalid_coordinates", f"coordinates {point} are not a location"
    step_m = coordinate_step_m(point[0], point[1], row.crs)
    if step_m > row.rules.max_coordinate_step_m:
        return "imprecise_coordinates", (
            f"coordinates x {_written(point[0])}, y {_written(point[1])} in {crs_label(row.crs)} "
            f"are written in steps of {step_m:,.0f} m, too coarse to place a building (at "
            f"most {row.rules.max_coordinate_step_m:g} m, setting IMPORT_MAX_COORDINATE_STEP_M)"
        )
    row.x, row.y = point
    return None


def _text_problem(row: _Row) -> tuple[str, str] | None:
    """Clean the row's text in place (:mod:`app.registry.text`); the problem of an id or text
    that breaks the rules."""
    v, rules = row.values, row.rules.text
    try:
        cleaned = rules.clean_fields(v, ROW_TEXT_FIELDS)
    except TextRuleError as exc:
        return "invalid_text", str(exc)
    for fld, text in cleaned.items():
        if text is None:
            del v[fld]
        else:
            v[fld] = text
    # The id the facility will get: the file's id with the prefix, or the prefix and a hash.
    fid = f"{row.mapping.id_prefix}{v['id']}" if v.get("id") else \
        f"{row.mapping.id_prefix or 'imp-'}{'0' * 16}"
    try:
        rules.check_id(fid)
    except TextRuleError as exc:
        return "invalid_id", str(exc)
    return None


def _written(value: float) -> str:
    """A coordinate as the file could have written it (``37`` rather than ``37.0``)."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _decimals(value: float) -> int:
    """Digits after the decimal point in the shortest text that reads back as ``value`` (how
    the file wrote it, trailing zeros aside: 37 -> 0, 37.2636 -> 4, 37.000000 -> 0)."""
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(-int(exponent), 0)


def coordinate_step_m(x: float, y: float, crs: str) -> float:
    """How coarsely a point is written: the larger of its x and y steps in metres (one unit of
    the last written digit; a whole number of metres steps 1 m, a whole degree about 111 km)."""
    per_x, per_y = metres_per_unit(crs, y)
    return max(10.0 ** -_decimals(x) * per_x, 10.0 ** -_decimals(y) * per_y)


def _whole_number(text: str) -> int | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    if not value.is_integer() or value < 0:
        return None
    return int(value)


def _transform(rows: list[_Row], rejects: list[Reject]) -> list[_Row]:
    """Project each row's x/y from its CRS to WGS84; reject results that are not lon/lat."""
    by_crs: dict[str, list[_Row]] = {}
    for r in rows:
        by_crs.setdefault(r.crs, []).append(r)
    for crs, group in by_crs.items():
        lon, lat = to_wgs84([r.x for r in group], [r.y for r in group], crs)
        for r, lo, la in zip(group, lon, lat, strict=True):
            r.lon, r.lat = float(lo), float(la)
    kept = []
    for r in rows:
        if math.isfinite(r.lon) and math.isfinite(r.lat) and -180 <= r.lon <= 180 \
                and -90 <= r.lat <= 90:
            kept.append(r)
        else:
            rejects.append(_reject(r, "invalid_coordinates",
                                   f"({r.x}, {r.y}) in {r.crs} is not a place on Earth"))
    return kept


def _drop_placeholders(rows: list[_Row], rejects: list[Reject]) -> list[_Row]:
    if not rows:
        return rows
    lon = np.array([r.lon for r in rows])
    lat = np.array([r.lat for r in rows])
    bad = np.zeros(len(rows), dtype=bool)
    for p in daycare_rules()["placeholder_points"]:
        bad |= geodesic_distance_m(lon, lat, p["lon"], p["lat"]) <= p["tolerance_m"]
    shared = _shared_points(rows, bad)
    kept = []
    for r, is_bad in zip(rows, bad, strict=True):
        point = (round(r.lon, 7), round(r.lat, 7))
        if is_bad:
            rejects.append(_reject(r, "placeholder",
                                   f"({r.lat}, {r.lon}) is a known placeholder location"))
        elif point in shared:
            rejects.append(_reject(r, "placeholder", (
                f"({r.lat}, {r.lon}) is given by rows naming {shared[point]} different 시군구: "
                "a stand-in location, not where this provider is (setting "
                "IMPORT_SHARED_POINT_MIN_SIGUNGU)")))
        else:
            kept.append(r)
    return kept


def _shared_points(rows: list[_Row], known: np.ndarray) -> dict[tuple[float, float], int]:
    """Points (lon, lat to 1e-7 degrees) named by rows of at least the setting's number of
    different 시군구, with that number."""
    names: dict[tuple[float, float], set] = {}
    for r, is_known in zip(rows, known, strict=True):
        key = sigungu_key(r.values.get("sido"), r.values.get("sigungu"))
        if key is not None and not is_known:
            names.setdefault((round(r.lon, 7), round(r.lat, 7)), set()).add(key)
    least = rows[0].rules.shared_point_min_sigungu if rows else 0
    return {p: len(n) for p, n in names.items() if len(n) >= least}


def _place_and_build(
    rows: list[_Row], rejects: list[Reject], region: str, unchecked: Counter | None = None,
    placed: Callable[[int], None] | None = None,
) -> tuple[list[Facility], list[dict[str, str]]]:
    areas = admin.locate([r.lon for r in rows], [r.lat for r in rows]) if region != "none" \
        else [None] * len(rows)
    named_m = _distance_to_named_m(rows, region, unchecked if unchecked is not None else Counter())
    facilities: list[Facility] = []
    disagreements: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for done, (r, area, far_m) in enumerate(zip(rows, areas, named_m, strict=True)):
        if placed and done and done % PROGRESS_EVERY_ROWS == 0:
            placed(done)
        if region != "none" and (area is None or (region != "KR" and area.sido_code != region)):
            where = "outside South Korea" if area is None else f"in {area.sido} {area.sigungu}"
            rejects.append(_reject(r, "outside_region",
                                   f"({r.lat:.6f}, {r.lon:.6f}) is {where}, not in region {region}"))
            continue
        # Without an area (region none) the distance is NaN: never far.
        if area is not None and far_m > r.rules.named_sigungu_max_distance_m:
            rejects.append(_reject(r, "far_from_named_sigungu", (
                f"({r.lat:.6f}, {r.lon:.6f}) lies {far_m / 1000:,.1f} km from "
                f"{r.values.get('sido', '')} {r.values['sigungu']}, the 시군구 the row names "
                f"(in {area.sigungu or area.sido}); more than "
                f"{r.rules.named_sigungu_max_distance_m / 1000:g} km is a wrong point "
                "(setting IMPORT_NAMED_SIGUNGU_MAX_DISTANCE_M)").replace("  ", " ")))
            continue
        fid = _facility_id(r)
        if fid in seen:
            rejects.append(_reject(r, "duplicate", f"same id {fid} as row {seen[fid]}"))
            continue
        listed = len(disagreements)
        try:
            # Every text the record carries (service areas too) meets the registry's rules.
            facility = r.rules.text.check_facility(_build(r, fid, area, disagreements))
        except TextRuleError as exc:
            del disagreements[listed:]
            reason = "invalid_id" if exc.field in ("id", "service_area_sigungu_codes") \
                else "invalid_text"
            rejects.append(_reject(r, reason, str(exc)))
            continue
        except (FacilityFormatError, HoursFormatError, ValueError) as exc:
            del disagreements[listed:]
            rejects.append(_reject(r, "unparsable_field", str(exc)))
            continue
        seen[fid] = r.number
        facilities.append(facility)
    return facilities, disagreements


def _distance_to_named_m(rows: list[_Row], region: str, unchecked: Counter) -> np.ndarray:
    """Metres from each row's point to the 시군구 the row names; NaN where it names none, the
    name is unknown (counted in ``unchecked``) or the registry is not Korean."""
    if region == "none" or not rows:
        return np.full(len(rows), np.nan)
    sido = [r.values.get("sido") for r in rows]
    sigungu = [r.values.get("sigungu") for r in rows]
    out = distance_to_named_sigungu_m([r.lon for r in rows], [r.lat for r in rows], sido, sigungu)
    for s, g, d in zip(sido, sigungu, out, strict=True):
        if g and np.isnan(d):
            unchecked[f"{s or ''} {g}".strip()] += 1
    return out


def _facility_id(r: _Row) -> str:
    v = r.values
    if v.get("id"):
        return f"{r.mapping.id_prefix}{v['id']}"
    parts = [v.get(k, "") if k not in ("x", "y") else f"{getattr(r, k):.7f}"
             for k in r.mapping.id_from]
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{r.mapping.id_prefix or 'imp-'}{digest}"


def _build(r: _Row, fid: str, area: admin.AdminArea | None,
           disagreements: list[dict[str, str]]) -> Facility:
    v = r.values
    kind = v.get("kind", "daycare")
    capacity = _whole_number(v["capacity"]) if v.get("capacity") else None
    enrolment = _whole_number(v["enrolment"]) if v.get("enrolment") else None
    tz = r.mapping.timezone  # a time without an offset is in the registry's zone

    def typed(fld: str) -> Any:  # None (unknown) when the row and the mapping's defaults lack it
        return convert(fld, v[fld], tz) if v.get(fld) else None

    # Hours and ages the row and mapping do not give are unknown (None), never assumed.
    hours = typed("hours")
    vacancies: dict[str, int] = {}
    reported = None
    if v.get("vacancies"):
        vacancies = typed("vacancies")
        reported = typed("availability_reported_at")
    elif capacity is not None and enrolment is not None and r.base_date is not None:
        vacancies = {REGULAR: max(capacity - enrolment, 0)}
        reported = r.base_date
    sido, sigungu, emd = v.get("sido"), v.get("sigungu"), v.get("emd")
    codes: dict[str, str | None] = {"sido_code": None, "sigungu_code": None, "emd_code": None}
    if area is not None:
        if sigungu and area.sigungu and \
                admin.normalise_sigungu_name(sigungu) != admin.normalise_sigungu_name(area.sigungu):
            disagreements.append({
                "file": r.report.file, "row": str(r.number), "id": fid, "field": "sigungu",
                "in_file": sigungu, "from_point": area.sigungu,
            })
        sido, sigungu, emd = area.sido or sido, area.sigungu or sigungu, area.emd or emd
        codes = {"sido_code": area.sido_code, "sigungu_code": area.sigungu_code,
                 "emd_code": area.emd_code}
    return Facility(
        id=fid,
        name=v["name"],
        kind=kind,
        lon=round(r.lon, 7),
        lat=round(r.lat, 7),
        status=v["status"],
        establishment_type=v.get("establishment_type"),
        services=typed("services") or frozenset(),
        programmes=typed("programmes") or frozenset(),
        age_min_months=typed("age_min_months"),
        age_max_months=typed("age_max_months"),
        hours=hours,
        capacity=capacity,
        enrolment=enrolment,
        vacancies=vacancies,
        availability_reported_at=reported,
        address=v.get("address"),
        phone=v.get("phone"),
        sido=sido,
        sigungu=sigungu,
        emd=emd,
        service_area_sigungu_codes=typed("service_area_sigungu_codes") or frozenset(),
        source=f"{r.report.file} row {r.number}",
        **codes,
    )
