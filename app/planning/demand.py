"""Child population (demand) per area, point or grid cell, and its spread onto small units.

Three inputs, one output. Inputs: the MOIS 주민등록 연령별 인구 tables (10-year bands per
행정기관, plus the 0세 table), a CSV of counts per area code (what the synthetic demo layer
is), or a CSV of counts per 국가지점번호 grid cell or per point. Output: :class:`DemandUnits`,
small pieces with a point in EPSG:5179 metres and children per single year of age, each
knowing its 시군구, its area and its grid cell, ready for the measures.

Areas are spread onto grid cells by area share (children evenly over the area's land inside
each cell); finer input (읍면동 or grid cells) therefore gives finer answers than 시군구 rows.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

import shapely

from app.geo import admin
from app.geo.crs import from_metric, to_metric
from app.planning import grid
from app.planning.ages import AgeSplitRule

DEMAND_COLUMNS = ("area_code", "area_name", "age_0_9", "age_10_19", "age_0")
MOIS_BANDS = {"0~9세": "age_0_9", "10~19세": "age_10_19"}


class DemandError(ValueError):
    """Demand input that cannot be read (the message names the file, row or column)."""


@dataclass
class DemandReport:
    """How every input row was used: ``used`` plus each reason a row was set aside."""

    read: int = 0
    used: int = 0
    set_aside: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON form; ``read == used + sum(set_aside)``."""
        return {"read": self.read, "used": self.used, "set_aside": dict(self.set_aside),
                "notes": self.notes}


# --- the MOIS tables ---------------------------------------------------------------------
def _read_excel(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, thousands=",", dtype={"행정기관코드": str}, engine="openpyxl")
    except FileNotFoundError:
        raise DemandError(f"{path}: no such file") from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not .xlsx
        raise DemandError(f"{path}: not a readable .xlsx file ({exc.__class__.__name__})") from None


def read_mois_age_table(path: str | Path) -> pd.DataFrame:
    """A 연령별인구현황 export: 10-digit code, name and the 0~9세 / 10~19세 counts per row."""
    path = Path(path)
    raw = _read_excel(path)
    missing = [c for c in ("행정기관코드", "행정기관", *MOIS_BANDS) if c not in raw.columns]
    if missing:
        raise DemandError(f"{path}: missing column(s) {missing}; a 주민등록 연령별 인구현황 export "
                          "has 행정기관코드, 행정기관, 0~9세, 10~19세, …")
    out = pd.DataFrame({"code10": raw["행정기관코드"].astype(str).str.strip(),
                        "name": raw["행정기관"].astype(str).str.strip()})
    for src, dst in MOIS_BANDS.items():
        out[dst] = pd.to_numeric(raw[src], errors="coerce")
    return out


def read_mois_zero_table(path: str | Path) -> pd.DataFrame:
    """A 0세 인구 export: 10-digit code and the count of 0-year-olds per row."""
    path = Path(path)
    raw = _read_excel(path)
    col = "zero" if "zero" in raw.columns else "0세" if "0세" in raw.columns else None
    if "행정기관코드" not in raw.columns or col is None:
        raise DemandError(f"{path}: a 0세 table needs 행정기관코드 and a 'zero' or '0세' column")
    return pd.DataFrame({"code10": raw["행정기관코드"].astype(str).str.strip(),
                         "age_0": pd.to_numeric(raw[col], errors="coerce")})


@lru_cache(maxsize=1)
def area_code_aliases() -> dict[str, str]:
    """Old 5-digit 시군구 codes -> current ones (``data/area_code_aliases.csv``)."""
    text = files("app.planning").joinpath("data/area_code_aliases.csv").read_text(encoding="utf-8")
    return {r["old_code"]: r["current_code"] for r in csv.DictReader(text.splitlines())}


def _known_codes() -> tuple[set[str], set[str]]:
    infos = admin.gyeonggi_sigungu().values()
    return {i.sigungu_code for i in infos}, {i.sigun_code for i in infos}


def mois_demand(ages: pd.DataFrame, zero: pd.DataFrame | None = None,
                sido_code: str = admin.GYEONGGI_SIDO_CODE) -> tuple[pd.DataFrame, DemandReport]:
    """Demand per 시군구 from the MOIS tables, with an account of every row.

    A row is used when it is the finest area the table gives: an 일반구, or a 시군 without 구
    rows. Set aside: rows of other 시도, the 시도 total, a 시 whose 구 rows are used
    (``aggregate_of_used_rows``), offices with no population (출장소), and rows whose code no
    boundary knows (``unknown_area``, which should not happen: it is reported, not dropped).
    The used rows must add up to the 시도 total; a mismatch is a note in the report.
    """
    report = DemandReport(read=len(ages))
    aliases = area_code_aliases()
    sigungu_codes, sigun_codes = _known_codes()
    df = ages.copy()
    df["code5"] = df["code10"].str[:5].map(lambda c: aliases.get(c, c))
    in_region = df["code10"].str.startswith(sido_code)
    report.set_aside["other_sido"] += int((~in_region).sum())
    df = df[in_region]
    is_total = df["code5"] == sido_code + "000"
    report.set_aside["sido_total"] += int(is_total.sum())
    total_row = df[is_total]
    df = df[~is_total]
    bad_numbers = df[["age_0_9", "age_10_19"]].isna().any(axis=1)
    report.set_aside["unreadable_numbers"] += int(bad_numbers.sum())
    df = df[~bad_numbers]
    known = df["code5"].isin(sigungu_codes | sigun_codes)
    empty = (df["age_0_9"] + df["age_10_19"] == 0) & ~known
    report.set_aside["office_without_population"] += int(empty.sum())
    unknown = ~known & ~empty
    report.set_aside["unknown_area"] += int(unknown.sum())
    for _, r in df[unknown].iterrows():
        report.notes.append(f"row {r['code10']} {r['name']}: no boundary has this code")
    df = df[known]
    gu_rows = df[df["code5"].isin(sigungu_codes - sigun_codes)]
    parents = {admin.sigun_of(c) for c in gu_rows["code5"]}
    is_parent = df["code5"].isin(parents)
    report.set_aside["aggregate_of_used_rows"] += int(is_parent.sum())
    used = df[~is_parent].copy()
    report.used = len(used)
    if zero is not None:
        z = zero.set_index("code10")["age_0"]
        used["age_0"] = used["code10"].map(z)
    else:
        used["age_0"] = np.nan
    names = {i.sigungu_code: i.sigungu_name for i in admin.gyeonggi_sigungu().values()}
    names.update({i.sigun_code: i.sigun_name for i in admin.gyeonggi_sigungu().values()})
    out = pd.DataFrame({"area_code": used["code5"], "area_name": used["code5"].map(names),
                        "age_0_9": used["age_0_9"].astype(float),
                        "age_10_19": used["age_10_19"].astype(float),
                        "age_0": used["age_0"].astype(float)}).reset_index(drop=True)
    if len(total_row) == 1:
        for band in ("age_0_9", "age_10_19"):
            want, got = float(total_row[band].iloc[0]), float(out[band].sum())
            if want != got:
                report.notes.append(f"{band}: used rows add up to {got:,.0f}, the total row says "
                                    f"{want:,.0f}")
    if out["area_code"].duplicated().any():
        raise DemandError("two rows map to the same area: " + ", ".join(
            out.loc[out["area_code"].duplicated(), "area_code"]))
    return out, report


def read_demand_csv(path: str | Path) -> pd.DataFrame:
    """A demand table per area (columns ``area_code, area_name, age_0_9, age_10_19[, age_0]``)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"area_code": str}, comment="#")
    except FileNotFoundError:
        raise DemandError(f"{path}: no such file") from None
    missing = [c for c in ("area_code", "age_0_9", "age_10_19") if c not in df.columns]
    if missing:
        raise DemandError(f"{path}: missing column(s) {missing}; expected {', '.join(DEMAND_COLUMNS)}")
    if "age_0" not in df.columns:
        df["age_0"] = np.nan
    if "area_name" not in df.columns:
        df["area_name"] = df["area_code"]
    for c in ("age_0_9", "age_10_19", "age_0"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    bad = df[["age_0_9", "age_10_19"]].isna().any(axis=1) | (df[["age_0_9", "age_10_19"]] < 0).any(axis=1)
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise DemandError(f"{path}: line(s) {rows}: age counts must be numbers >= 0")
    return df[list(DEMAND_COLUMNS)]


# --- areas to polygons --------------------------------------------------------------------
def area_polygons(codes) -> dict[str, shapely.Geometry]:
    """WGS84 polygons of demand areas: 8-digit codes are 읍면동, 5-digit codes 시군구 (a 시 whose
    구 have polygons of their own is their union). Raises for a code no boundary has."""
    emd = {p.emd_code: p.geometry for p in admin.gyeonggi_emd_polygons()}
    by_sigungu: dict[str, list] = {}
    by_sigun: dict[str, list] = {}
    for info, geom in admin.gyeonggi_sigungu_polygons():
        by_sigungu.setdefault(info.sigungu_code, []).append(geom)
        by_sigun.setdefault(info.sigun_code, []).append(geom)
    aliases = area_code_aliases()
    out = {}
    for code in codes:
        c = aliases.get(code, code)
        if len(c) == 8 and c in emd:
            out[code] = emd[c]
        elif c in by_sigungu:
            out[code] = shapely.union_all(by_sigungu[c])
        elif c in by_sigun:
            out[code] = shapely.union_all(by_sigun[c])
        else:
            raise DemandError(f"area code {code!r} is neither a 경기도 읍면동 (8 digits) nor a "
                              "시군구 (5 digits) of the boundaries")
    return out


def _to_metric_geom(geom):
    return shapely.transform(geom, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))


# --- demand units -------------------------------------------------------------------------
@dataclass
class DemandUnits:
    """Small pieces of demand: a point (EPSG:5179 m) and children per single year (n, 20).

    ``area_code`` is the input area a piece came from, ``sigungu_code`` its current 시군구
    (a 시 code for a 시 given as a whole), ``cell_id`` the grid cell it lies in (named by the
    100 m cell at the cell's south-west corner), ``cell_m`` the cell side.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    years: np.ndarray
    area_code: np.ndarray
    sigungu_code: np.ndarray
    cell_id: np.ndarray
    cell_m: float
    area_names: dict[str, str]
    area_geoms: dict[str, shapely.Geometry]  # WGS84
    synthetic: bool = False

    def __len__(self) -> int:
        return len(self.x_m)

    def levels(self) -> tuple[str, ...]:
        """The levels measures can be aggregated to for this demand."""
        area_lengths = {len(c) for c in self.area_code}
        out = ["grid"]
        if 8 in area_lengths:
            out.append("emd")
        out.append("sigungu")
        return tuple(out)


def _sigungu_of_area(code: str) -> str:
    return code[:5] if len(code) == 8 else area_code_aliases().get(code, code)


def units_from_areas(table: pd.DataFrame, cell_m: float = 500.0,
                     rule: AgeSplitRule | None = None, synthetic: bool = False) -> DemandUnits:
    """Spread a demand table per area over grid cells by area share; one unit per piece of a
    cell inside an area, at the piece's centroid."""
    rule = rule or AgeSplitRule()
    years = rule.single_years(table["age_0_9"], table["age_10_19"], table["age_0"])
    geoms = area_polygons(list(table["area_code"]))
    xs, ys, ys_list, codes, cells = [], [], [], [], []
    for row_i, code in enumerate(table["area_code"]):
        poly_m = _to_metric_geom(geoms[code])
        gx, gy, area = grid.cells_over(poly_m, cell_m)
        if len(gx) == 0:
            continue
        share = area / area.sum()
        boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
        partial = area < cell_m**2 - 1e-6
        cx, cy = gx + cell_m / 2, gy + cell_m / 2
        if partial.any():
            cent = shapely.centroid(shapely.intersection(boxes[partial], poly_m))
            cx[partial], cy[partial] = shapely.get_x(cent), shapely.get_y(cent)
        xs.append(cx)
        ys.append(cy)
        ys_list.append(share[:, None] * years[row_i][None, :])
        codes.append(np.full(len(gx), code, dtype=object))
        cells.append(grid.encode_many(gx + 1, gy + 1, 3))
    names = dict(zip(table["area_code"], table["area_name"].fillna(table["area_code"]), strict=True))
    area_code = np.concatenate(codes)
    return DemandUnits(
        x_m=np.concatenate(xs), y_m=np.concatenate(ys), years=np.vstack(ys_list),
        area_code=area_code,
        sigungu_code=np.array([_sigungu_of_area(c) for c in area_code], dtype=object),
        cell_id=np.concatenate(cells), cell_m=cell_m, area_names=names, area_geoms=geoms,
        synthetic=synthetic)


def units_from_cells(path: str | Path, rule: AgeSplitRule | None = None,
                     cell_column: str = "cell_id") -> DemandUnits:
    """Demand from a CSV of counts per 국가지점번호 cell (``cell_id, age_0_9, age_10_19[, age_0]``,
    any cell size), one unit at each cell centre; areas are the 읍면동 holding the centres."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={cell_column: str})
    except FileNotFoundError:
        raise DemandError(f"{path}: no such file") from None
    if cell_column not in df.columns:
        raise DemandError(f"{path}: no {cell_column!r} column (the 국가지점번호 of each cell)")
    df = df.rename(columns={cell_column: "area_code"})
    if "age_0" not in df.columns:
        df["age_0"] = np.nan
    decoded = []
    for line, cid in enumerate(df["area_code"], start=2):
        try:
            decoded.append(grid.decode(cid))
        except grid.GridCodeError as exc:
            raise DemandError(f"{path}: line {line}: {exc}") from None
    corner = np.array(decoded)
    size = corner[:, 2]
    cx, cy = corner[:, 0] + size / 2, corner[:, 1] + size / 2
    return _units_from_points(df, cx, cy, rule, cell_m=float(size.max()),
                              cell_ids=np.array([grid.encode(x, y, 3) for x, y in corner[:, :2] + 1]))


def units_from_points(path: str | Path, rule: AgeSplitRule | None = None) -> DemandUnits:
    """Demand from a CSV of points (``lon, lat, age_0_9, age_10_19[, age_0]``, WGS84)."""
    path = Path(path)
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise DemandError(f"{path}: no such file") from None
    for c in ("lon", "lat", "age_0_9", "age_10_19"):
        if c not in df.columns:
            raise DemandError(f"{path}: no {c!r} column; expected lon, lat, age_0_9, age_10_19")
    if "age_0" not in df.columns:
        df["age_0"] = np.nan
    x, y = to_metric(df["lon"].to_numpy(float), df["lat"].to_numpy(float))
    return _units_from_points(df, np.asarray(x), np.asarray(y), rule, cell_m=500.0)


def _units_from_points(df, x, y, rule, cell_m, cell_ids=None) -> DemandUnits:

    rule = rule or AgeSplitRule()
    years = rule.single_years(df["age_0_9"], df["age_10_19"], df["age_0"])
    lon, lat = from_metric(x, y)
    areas = admin.locate(lon, lat)
    emd_code = np.array([a.emd_code if a and a.emd_code else "" for a in areas], dtype=object)
    outside = emd_code == ""
    if outside.any():
        raise DemandError(f"{int(outside.sum())} demand point(s) lie outside every 읍면동, "
                          f"e.g. lon {lon[outside][0]:.5f}, lat {lat[outside][0]:.5f}")
    if cell_ids is None:
        cx = np.floor(x / cell_m) * cell_m
        cy = np.floor(y / cell_m) * cell_m
        cell_ids = grid.encode_many(cx + 1, cy + 1, 3)
    codes = sorted(set(emd_code))
    polys = {p.emd_code: p for p in admin.gyeonggi_emd_polygons()}
    return DemandUnits(
        x_m=np.asarray(x, float), y_m=np.asarray(y, float), years=years, area_code=emd_code,
        sigungu_code=np.array([c[:5] for c in emd_code], dtype=object), cell_id=cell_ids,
        cell_m=cell_m, area_names={c: polys[c].emd if c in polys else c for c in codes},
        area_geoms={c: polys[c].geometry for c in codes if c in polys})
