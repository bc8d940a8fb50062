"""Reading registry files into tables of text: Excel, CSV in any Korean encoding, GeoJSON, GPKG.

Every reader returns a :class:`RawTable`: column names and rows of strings, with the row
number a person would see in the file (header = row 1), so rejects can point at the row.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain import DomainError
from app.geo.crs import UnknownCRSError, crs_from_geojson_member, same_crs

ENCODINGS = ("utf-8-sig", "utf-8", "cp949")


class InputFileError(DomainError):
    """A file that cannot be imported at all: wrong format, encoding or columns."""


@dataclass
class RawTable:
    """Rows of text read from one file."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    first_row_number: int = 2  # the header is row 1
    notes: dict[str, str] = field(default_factory=dict)
    geometries: list[dict | None] | None = None  # GeoJSON geometries, for GeoJSON/GPKG input

    def records(self) -> list[dict[str, str]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_excel(path: Path) -> RawTable:
    """Read the first sheet of an .xls or .xlsx file.

    Legacy .xls is read with xlrd: calamine 0.9 decodes the portal's BIFF8 text as Latin-1
    (garbled Hangul), while xlrd reads it correctly and fast enough (about 1.3 s for all
    31,826 rows of the 15 portal files).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            sheet = book.sheet_by_index(0)
            sheet_name = book.sheet_names()[0]
            grid = [sheet.row_values(i) for i in range(sheet.nrows)]
        else:
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_path(str(path))
            sheet_name = book.sheet_names[0]
            grid = book.get_sheet_by_index(0).to_python()
    except Exception as exc:
        raise InputFileError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}: {exc}); "
            "expected an .xls or .xlsx export such as the 어린이집 정보공개포털 '어린이집 기본정보'"
        ) from exc
    if not grid:
        raise InputFileError(f"{path.name}: the first sheet is empty; expected a header row")
    columns = [_cell_text(c) for c in grid[0]]
    rows = [[c.strip() if type(c) is str else _cell_text(c) for c in r] for r in grid[1:]]
    return RawTable(path=path, columns=columns, rows=rows, notes={"sheet": sheet_name})


def detect_encoding(data: bytes) -> str:
    """The first of UTF-8 with BOM, UTF-8 and CP949 that decodes ``data`` without error."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp949"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputFileError(
        "the file is neither UTF-8 nor CP949 (EUC-KR) text; "
        "give the encoding with --encoding, one of: utf-8, utf-8-sig, cp949"
    )


def read_csv(path: Path, encoding: str | None = None) -> RawTable:
    """Read a CSV file in UTF-8, UTF-8 with BOM or CP949 (detected when not given)."""
    data = path.read_bytes()
    try:
        enc = encoding or detect_encoding(data)
    except InputFileError as exc:
        raise InputFileError(f"{path.name}: {exc}") from exc
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(
            f"{path.name}: cannot be decoded as {enc} ({exc}); "
            "allowed encodings: utf-8, utf-8-sig, cp949, or leave it out to detect"
        ) from exc
    if "\x00" in text[:4096]:
        raise InputFileError(f"{path.name}: contains NUL bytes; expected a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputFileError(f"{path.name}: the file is empty; expected a CSV header row") from None
    except csv.Error as exc:
        raise InputFileError(f"{path.name}: not a CSV file ({exc})") from exc
    columns = [c.strip().lstrip("\ufeff") for c in header]
    try:
        rows = [[c.strip() for c in r] for r in reader]
    except csv.Error as exc:
        raise InputFileError(f"{path.name}: not a valid CSV file ({exc})") from exc
    return RawTable(path=path, columns=columns, rows=rows, notes={"encoding": enc})


def read_geojson(path: Path) -> RawTable:
    """Read a GeoJSON FeatureCollection; properties become columns (nested values as JSON).

    A legacy ``crs`` member (``urn:ogc:def:crs:EPSG::5179``, ``EPSG:4162``, ``OGC:CRS84``…) is
    honoured: its CRS goes to ``notes["crs"]``; without one the coordinates are WGS84 (RFC 7946).
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path.name}: not UTF-8 GeoJSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputFileError(f"{path.name}: expected a GeoJSON FeatureCollection")
    features = doc.get("features") or []
    notes = {}
    if "crs" in doc:  # legacy GeoJSON (2008): coordinates are in this CRS, not WGS84
        try:
            notes["crs"] = crs_from_geojson_member(doc["crs"])
        except UnknownCRSError as exc:
            raise InputFileError(f"{path.name}: {exc}") from None
    _check_nested_crs(path, features, notes.get("crs"))
    columns: list[str] = []
    for f in features:
        for k in (f.get("properties") or {}):
            if k not in columns:
                columns.append(k)
    rows = []
    for f in features:
        props = f.get("properties") or {}
        rows.append([_json_cell(props.get(c)) for c in columns])
    geoms = [f.get("geometry") for f in features]
    return RawTable(path=path, columns=columns, rows=rows, first_row_number=1, geometries=geoms,
                    notes=notes)


def _check_nested_crs(path: Path, features: list, declared: str | None) -> None:
    """Refuse ``crs`` members on features or geometries that differ from the collection's (the
    2008 format allowed them; one CRS per file is what we read)."""
    for n, f in enumerate(features, start=1):
        for obj in (f, f.get("geometry")) if isinstance(f, dict) else ():
            if not isinstance(obj, dict) or "crs" not in obj:
                continue
            try:
                nested = crs_from_geojson_member(obj["crs"])
            except UnknownCRSError as exc:
                raise InputFileError(f"{path.name}, feature {n}: {exc}") from None
            if not same_crs(nested, declared or "OGC:CRS84"):
                raise InputFileError(
                    f"{path.name}, feature {n}: its crs member says {nested} but the file's "
                    f"coordinates are {declared or 'WGS84 (no crs member)'}; one CRS per file, "
                    "given once at the top"
                )


def read_gpkg(path: Path) -> RawTable:
    """Read the first layer of a GeoPackage; geometries are kept in the file's CRS."""
    import pyogrio
    import shapely

    try:
        meta = pyogrio.read_info(str(path))
        table = pyogrio.read_dataframe(str(path))
    except Exception as exc:
        raise InputFileError(f"{path.name}: not a readable GeoPackage ({exc})") from exc
    columns = [c for c in table.columns if c != "geometry"]
    rows = [[_json_cell(v) for v in rec] for rec in table[columns].itertuples(index=False)]
    geoms = [
        json.loads(shapely.to_geojson(g)) if g is not None else None for g in table.geometry
    ]
    crs = meta.get("crs")
    return RawTable(path=path, columns=columns, rows=rows, first_row_number=1,
                    geometries=geoms, notes={"crs": crs or ""})


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if value != value:  # NaN from a GeoPackage null
            return ""
        return repr(value)
    return str(value).strip()


_NUMBER_PAIR = re.compile(r"^\s*\[?\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*\]?\s*$")


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None


def is_empty_geometry(obj: object) -> bool:
    """True for a missing geometry or one with no coordinates (``"coordinates": []``);
    ``obj`` is a GeoJSON-like mapping or its text."""
    if isinstance(obj, str):
        obj = _literal(obj) if obj.strip() else None
    if obj is None:
        return True
    return isinstance(obj, dict) and obj.get("coordinates") in ([], None)


def parse_point_text(text: str) -> tuple[float, float] | None:
    """(x, y) from a GeoJSON-like point written as JSON or a Python literal, or ``None``.

    Accepts ``{"type": "Point", "coordinates": [x, y]}``, a one-point MultiPoint (Toronto's
    ``{'type': 'MultiPoint', 'coordinates': [[x, y]]}``) and ``"x, y"``.
    """
    if not text:
        return None
    m = _NUMBER_PAIR.match(text)
    if m:
        return float(m.group(1)), float(m.group(2))
    return point_of_geometry(_literal(text))


def point_of_geometry(obj: object) -> tuple[float, float] | None:
    """(x, y) of a GeoJSON Point or single-point MultiPoint mapping, or ``None``."""
    if not isinstance(obj, dict):
        return None
    coords: Any = obj.get("coordinates")  # anything: what is not a point fails below
    try:
        if obj.get("type") == "Point":
            return float(coords[0]), float(coords[1])
        if obj.get("type") == "MultiPoint" and len(coords) == 1:
            return float(coords[0][0]), float(coords[0][1])
    except (TypeError, ValueError, IndexError):
        return None
    return None
