"""Column mappings: how a source table's columns become facility fields.

Built-in mappings cover the 어린이집 정보공개포털 export, LOCALDATA 인허가 files and CSV/GeoJSON
written with our own field names; any other registry is described by a small TOML file
(see ``tests/data/toronto-mapping.toml`` and ``data/facilities/README.md``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app.geo.crs import UnknownCRSError, check_crs

from .readers import InputFileError, RawTable

# Facility fields a mapping may fill from a column.
FIELDS = (
    "id", "name", "kind", "status", "establishment_type", "capacity", "enrolment", "address",
    "phone", "sido", "sigungu", "emd", "age_min_months", "age_max_months", "services",
    "programmes", "hours", "vacancies", "availability_reported_at",
    "service_area_sigungu_codes", "x", "y", "authorised_on",
)

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


@dataclass
class Mapping:
    """How to read one source table."""

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

    def source_columns(self) -> set[str]:
        """Every source column the mapping reads."""
        cols = {c for cands in self.columns.values() for c in cands}
        if self.geometry_column:
            cols.add(self.geometry_column)
        return cols


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
        defaults={"kind": "daycare"},
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
        defaults={"kind": "daycare"},
        id_prefix="localdata-",
    )


def canonical_mapping(columns: list[str]) -> Mapping:
    """A table that already uses our field names (``lon``/``lat`` or ``x``/``y``)."""
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
    for cands in mapping.columns.values():
        if column in cands and len(cands) > 1:
            return any(c in have for c in cands)
    return False


def load_mapping_file(path: Path) -> Mapping:
    """Read a TOML column-mapping file (sections ``source``, ``columns``, ``geometry``,
    ``defaults``, ``status_values``)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path.name} is not valid UTF-8 TOML: {exc}") from exc
    unknown = set(doc) - {"source", "columns", "geometry", "defaults", "status_values"}
    if unknown:
        raise MappingError(
            f"mapping file {path.name}: unknown section(s) {sorted(unknown)}; allowed: "
            "source, columns, geometry, defaults, status_values"
        )
    columns: dict[str, list[str]] = {}
    for fld, col in (doc.get("columns") or {}).items():
        if fld not in FIELDS:
            raise MappingError(
                f"mapping file {path.name}: unknown field {fld!r} in [columns]; "
                f"allowed: {', '.join(FIELDS)}"
            )
        columns[fld] = [col] if isinstance(col, str) else list(col)
    geometry = doc.get("geometry") or {}
    source = doc.get("source") or {}
    for key, fld in (("x", "x"), ("y", "y")):
        if key in geometry:
            columns[fld] = [geometry[key]]
    crs = source.get("crs", geometry.get("crs", "EPSG:4326"))
    try:
        check_crs(crs)
    except UnknownCRSError as exc:
        raise MappingError(f"mapping file {path.name}: {exc}") from exc
    defaults = {k: str(v) for k, v in (doc.get("defaults") or {}).items()}
    bad = set(defaults) - set(FIELDS)
    if bad:
        raise MappingError(
            f"mapping file {path.name}: unknown field(s) {sorted(bad)} in [defaults]"
        )
    if "name" not in columns:
        raise MappingError(f"mapping file {path.name}: [columns] must name the 'name' column")
    return Mapping(
        name=f"mapping {path.name}",
        columns=columns,
        crs=crs,
        geometry_column=geometry.get("column"),
        defaults=defaults,
        status_values={**STATUS_VALUES, **(doc.get("status_values") or {})},
        id_prefix=source.get("id_prefix", ""),
        id_from=tuple(source.get("id_from", ("name", "x", "y"))),
        region=source.get("region"),
    )
