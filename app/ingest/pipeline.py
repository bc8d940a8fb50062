"""Turn registry files into facilities, accounting for every input row.

Every row ends either as a facility or as a reject with one reason (``REASONS``), checked in
that order. All files are read and checked before anything is returned, so a bad file stops
the whole import with one :class:`InputFileError` and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from app.geo import admin
from app.geo.crs import UnknownCRSError, check_crs, geodesic_distance_m, to_wgs84
from app.reference import daycare_rules
from app.search.hours import HoursFormatError, WeeklyHours
from app.search.model import (
    KINDS,
    OPEN_STATUSES,
    REGULAR,
    Facility,
    FacilityFormatError,
)

from .mapping import Mapping, check_columns, detect_mapping, load_mapping_file
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

SEOUL = ZoneInfo("Asia/Seoul")
REASONS = (
    "unparsable_field",
    "closed",
    "no_coordinates",
    "invalid_coordinates",
    "placeholder",
    "outside_region",
    "duplicate",
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


def import_files(
    paths: list[Path],
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    crs: str | None = None,
    mapping_path: Path | None = None,
    region: str = "KR",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import registry files. ``region``: ``KR`` (South Korea), a 2-digit 시도 code, or
    ``none`` (no area check, for registries outside Korea). ``crs`` overrides the CRS of
    coordinates; ``progress`` is called with the number of rows done as work advances."""
    if crs:
        try:
            check_crs(crs)
        except UnknownCRSError as exc:
            raise InputFileError(str(exc)) from exc
    custom = load_mapping_file(mapping_path) if mapping_path else None
    tables: list[tuple[RawTable, Mapping]] = []
    for path in paths:
        table = read_table(Path(path), fmt, encoding)
        mapping = custom or detect_mapping(table)
        check_columns(mapping, table)
        tables.append((table, mapping))
    if custom and custom.region:
        region = custom.region
    _check_region(region)

    rejects: list[Reject] = []
    reports: list[FileReport] = []
    rows: list[_Row] = []
    for table, mapping in tables:
        report = FileReport(file=table.path.name, format=mapping.name, notes=dict(table.notes))
        reports.append(report)
        base_date = _base_date(table)
        for i, record in enumerate(table.records()):
            report.read += 1
            row = _Row(report=report, number=table.first_row_number + i, record=record,
                       values=_values(mapping, record), mapping=mapping, base_date=base_date,
                       crs=crs or (table.notes.get("crs") or mapping.crs))
            geom = table.geometries[i] if table.geometries is not None else None
            problem = _first_problem(row, geom, table.geometries is not None)
            if problem:
                rejects.append(_reject(row, *problem))
            else:
                rows.append(row)
        if progress:
            progress(report.read)

    rows = _transform(rows, rejects)
    rows = _drop_placeholders(rows, rejects)
    facilities, disagreements = _place_and_build(rows, rejects, region)
    for f_report in reports:
        f_report.accepted = f_report.read - f_report.rejected
    return ImportResult(facilities=facilities, rejects=rejects, files=reports,
                        disagreements=disagreements)


def _check_region(region: str) -> None:
    if region in ("KR", "none") or re.fullmatch(r"\d{2}", region):
        return
    raise InputFileError(
        f"unknown region {region!r}; allowed: KR (all of South Korea), a 2-digit 시도 code "
        "such as 41 for 경기도, or none (no area check)"
    )


def _base_date(table: RawTable) -> datetime | None:
    m = _BASE_DATE_RE.search(table.notes.get("sheet", ""))
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=SEOUL)


def _values(mapping: Mapping, record: dict[str, str]) -> dict[str, str]:
    values = dict(mapping.defaults)
    for fld, candidates in mapping.columns.items():
        for col in candidates:
            v = (record.get(col) or "").strip()
            if v:
                values[fld] = v
                break
    return values


def _reject(row: _Row, reason: str, detail: str) -> Reject:
    row.report.reasons[reason] += 1
    return Reject(file=row.report.file, row=row.number, reason=reason, detail=detail,
                  record=row.record)


def _first_problem(
    row: _Row, geometry: dict | None, table_has_geometry: bool
) -> tuple[str, str] | None:
    """The first reason (in ``REASONS`` order, up to coordinates) this row cannot be used."""
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
    row.x, row.y = point
    return None


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
    kept = []
    for r, is_bad in zip(rows, bad, strict=True):
        if is_bad:
            rejects.append(_reject(r, "placeholder",
                                   f"({r.lat}, {r.lon}) is a known placeholder location"))
        else:
            kept.append(r)
    return kept


def _place_and_build(
    rows: list[_Row], rejects: list[Reject], region: str
) -> tuple[list[Facility], list[dict[str, str]]]:
    areas = admin.locate([r.lon for r in rows], [r.lat for r in rows]) if region != "none" \
        else [None] * len(rows)
    facilities: list[Facility] = []
    disagreements: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for r, area in zip(rows, areas, strict=True):
        if region != "none" and (area is None or (region != "KR" and area.sido_code != region)):
            where = "outside South Korea" if area is None else f"in {area.sido} {area.sigungu}"
            rejects.append(_reject(r, "outside_region",
                                   f"({r.lat:.6f}, {r.lon:.6f}) is {where}, not in region {region}"))
            continue
        fid = _facility_id(r)
        if fid in seen:
            rejects.append(_reject(r, "duplicate", f"same id {fid} as row {seen[fid]}"))
            continue
        try:
            facility = _build(r, fid, area, disagreements)
        except (FacilityFormatError, HoursFormatError, ValueError) as exc:
            rejects.append(_reject(r, "unparsable_field", str(exc)))
            continue
        seen[fid] = r.number
        facilities.append(facility)
    return facilities, disagreements


def _facility_id(r: _Row) -> str:
    v = r.values
    if v.get("id"):
        return f"{r.mapping.id_prefix}{v['id']}"
    parts = [v.get(k, "") if k not in ("x", "y") else f"{getattr(r, k):.7f}"
             for k in r.mapping.id_from]
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{r.mapping.id_prefix or 'imp-'}{digest}"


def _json_list(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    if text.startswith("["):
        return frozenset(json.loads(text))
    return frozenset(t.strip() for t in text.split(";") if t.strip())


_NO_HOURS = WeeklyHours.from_mapping({})


@lru_cache(maxsize=1)
def _standard_daycare_hours() -> WeeklyHours:
    return WeeklyHours.from_mapping(daycare_rules()["standard_hours"])


def _build(r: _Row, fid: str, area: admin.AdminArea | None,
           disagreements: list[dict[str, str]]) -> Facility:
    v = r.values
    kind = v.get("kind", "daycare")
    rules = daycare_rules()
    capacity = _whole_number(v["capacity"]) if v.get("capacity") else None
    enrolment = _whole_number(v["enrolment"]) if v.get("enrolment") else None
    if v.get("hours"):
        hours = WeeklyHours.from_mapping(json.loads(v["hours"]))
    elif kind == "daycare":
        hours = _standard_daycare_hours()
    else:
        hours = _NO_HOURS
    vacancies: dict[str, int] = {}
    reported = None
    if v.get("vacancies"):
        vacancies = {k: int(n) for k, n in json.loads(v["vacancies"]).items()}
        if v.get("availability_reported_at"):
            reported = datetime.fromisoformat(v["availability_reported_at"])
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
    default_min = rules["age_min_months"] if kind == "daycare" else 0
    default_max = rules["age_max_months"] if kind == "daycare" else 155
    return Facility(
        id=fid,
        name=v["name"],
        kind=kind,
        lon=round(r.lon, 7),
        lat=round(r.lat, 7),
        status=v["status"],
        establishment_type=v.get("establishment_type"),
        services=_json_list(v.get("services")),
        programmes=_json_list(v.get("programmes")),
        age_min_months=int(v.get("age_min_months") or default_min),
        age_max_months=int(v.get("age_max_months") or default_max),
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
        service_area_sigungu_codes=_json_list(v.get("service_area_sigungu_codes")),
        source=f"{r.report.file} row {r.number}",
        **codes,
    )
