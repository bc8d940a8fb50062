"""Child population (demand) per area, point or grid cell, and its spread onto small units.

Three inputs, one output. Inputs: the MOIS 주민등록 연령별 인구 tables (10-year bands per
행정기관, plus the 0세 table), a CSV of counts per area code (what the synthetic demo layer
is), or a CSV of counts per 국가지점번호 grid cell or per point. Output: :class:`DemandUnits`,
small pieces with a point in EPSG:5179 metres and children per single year of age, each
knowing its 시군구, its area and its grid cell, ready for the measures.

Areas are spread onto grid cells by area share (children evenly over the area's land inside
each cell); finer input (읍면동 or grid cells) therefore gives finer answers than 시군구 rows.

Real files: counts the statistics agency suppressed for confidentiality are written ``N/A``
(SGIS grids: a count of fewer than 5, i.e. 1–4). They are not 0: each counts as
:attr:`CountRule.value` children (2.5, the middle of 1–4, by default), and the
:class:`InputReport` says how many there were and how many children that adds. A cell or point
that lies in no 읍면동 polygon (a gap between the generalised boundaries, a shoreline) belongs to
the nearest 경기도 읍면동 within :attr:`CountRule.gap_max_m`; farther rows are set aside and
listed row by row in the report. A row in an area of another 시도 (인천, 서울, 충남, …, or off a
shoreline nearest one) is outside the study area: set aside and reported with its own reason,
never joined to that area nor to a 경기도 one. CSV files are read as UTF-8 or, failing that, CP949.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import shapely

from app.domain import DomainError
from app.geo import admin
from app.geo.crs import from_metric, to_metric
from app.planning import grid
from app.planning.ages import AgeRuleError, AgeSplitRule
from app.registry.text import TextRules, clean_text, visible

DEMAND_COLUMNS = ("area_code", "area_name", "age_0_9", "age_10_19", "age_0")
MOIS_BANDS = {"0~9세": "age_0_9", "10~19세": "age_10_19"}


class DemandError(DomainError):
    """Demand input that cannot be read (the message names the file, row or column)."""


#: What KOSTAT's SGIS grids (and other agency tables) write for a suppressed small count.
SUPPRESSED_MARKERS = ("N/A",)
#: The agency's rule: a suppressed count is one of 1, 2, 3, 4 ("fewer than 5", populated).
SUPPRESSED_RANGE = (1.0, 4.0)


@dataclass(frozen=True)
class CountRule:
    """How demand files' counts and places are read.

    ``markers``: texts meaning "suppressed, fewer than 5" (compared after trimming spaces);
    ``value``: the children a suppressed count stands for (default 2.5, the middle of the 1–4
    it hides; 1 or 4 give the low and high ends), at least 0 and below 5;
    ``gap_max_m``: a demand row in no 읍면동 polygon joins the nearest 경기도 읍면동 within this
    many metres; farther rows are set aside and reported.
    """

    markers: tuple[str, ...] = SUPPRESSED_MARKERS
    value: float = 2.5
    gap_max_m: float = 1000.0

    def __post_init__(self) -> None:
        if not (isinstance(self.value, (int, float)) and 0 <= self.value < 5):
            raise DemandError(f"the value of a suppressed count must be >= 0 and < 5 (the agency "
                              f"suppresses counts of fewer than 5), not {self.value!r}")
        if not (isinstance(self.gap_max_m, (int, float)) and math.isfinite(self.gap_max_m)
                and self.gap_max_m >= 0):
            raise DemandError(f"the gap distance must be a distance >= 0 in metres, not "
                              f"{self.gap_max_m!r}")


@dataclass
class InputReport:
    """What reading a demand file did besides reading numbers (shown by the CLI and the API).

    ``suppressed``: per count column, how many values were suppressed (``N/A``);
    ``suppressed_rows``: rows with at least one; ``suppressed_children``: the children they
    were counted as (``suppressed_value`` each; between ``SUPPRESSED_RANGE`` × count in truth);
    ``gap_assigned``: rows in no 읍면동 polygon joined to the nearest within ``gap_max_m``;
    ``set_aside``: rows not used, one dict each (line, id, reason, area, distance_m, children):
    reason ``gap_too_far`` (in no 경기도 읍면동, farther than ``gap_max_m`` from every one) or
    ``outside_study_area`` (in an area of another 시도, named by ``area``).
    """

    rows: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    suppressed_rows: int = 0
    suppressed_value: float = 2.5
    suppressed_children: float = 0.0
    gap_assigned: int = 0
    gap_max_m: float = 1000.0
    set_aside: list[dict] = field(default_factory=list)

    def as_dict(self, max_rows: int = 20) -> dict:
        """JSON form; ``set_aside_rows`` lists the first ``max_rows`` rows set aside."""
        lo, hi = SUPPRESSED_RANGE
        n = sum(self.suppressed.values())
        return {"rows": self.rows, "suppressed_rows": self.suppressed_rows,
                "suppressed_values": dict(self.suppressed),
                "suppressed_rule": f"a suppressed count (e.g. N/A) is fewer than 5 (1–4), counted "
                                   f"as {self.suppressed_value:g}",
                "suppressed_value": self.suppressed_value,
                "suppressed_children": round(self.suppressed_children, 3),
                "suppressed_children_range": [lo * n, hi * n],
                "gap_assigned": self.gap_assigned, "gap_max_m": self.gap_max_m,
                "set_aside": len(self.set_aside),
                "set_aside_reasons": dict(Counter(r.get("reason", "gap_too_far")
                                                  for r in self.set_aside)),
                "set_aside_children": round(sum(r["children"] for r in self.set_aside), 3),
                "set_aside_rows": self.set_aside[:max_rows]}

    def lines(self, max_rows: int = 20) -> list[str]:
        """Readable lines for a terminal (nothing when there is nothing to say)."""
        out = []
        if self.suppressed_rows:
            lo, hi = SUPPRESSED_RANGE
            n = sum(self.suppressed.values())
            cols = ", ".join(f"{c} {k:,}" for c, k in self.suppressed.items() if k)
            out.append(f"suppressed counts (N/A = fewer than 5): {self.suppressed_rows:,} of "
                       f"{self.rows:,} rows ({cols}); counted as {self.suppressed_value:g} each = "
                       f"{self.suppressed_children:,.1f} children (truly {lo * n:,.0f}–{hi * n:,.0f})")
        if self.gap_assigned:
            out.append(f"{self.gap_assigned:,} row(s) in a gap between 읍면동 polygons joined the "
                       f"nearest 읍면동 within {self.gap_max_m:,.0f} m")
        if self.set_aside:
            total = sum(r["children"] for r in self.set_aside)
            reasons = Counter(r.get("reason", "gap_too_far") for r in self.set_aside)
            said = {"gap_too_far": f"farther than {self.gap_max_m:,.0f} m from every 경기도 읍면동",
                    "outside_study_area": "outside the study area (in another 시도)"}
            why = "; ".join(f"{n:,} {said.get(k, k)}" for k, n in sorted(reasons.items()))
            out.append(f"{len(self.set_aside):,} row(s) set aside ({why}; {total:,.1f} children):")
            for r in self.set_aside[:max_rows]:
                far = "" if r["distance_m"] is None else f", {r['distance_m']:,.0f} m away"
                where = f", in {visible(str(r['area']))}" if r.get("area") else ""
                out.append(f"  line {r['line']}{' ' + visible(str(r['id'])) if r.get('id') else ''}: "
                           f"{r['children']:,.1f} children{far}, {r.get('reason', 'gap_too_far')}"
                           f"{where}")
            if len(self.set_aside) > max_rows:
                out.append(f"  … and {len(self.set_aside) - max_rows:,} more")
        return out


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    """A CSV as text columns (nothing turned into NaN), UTF-8 or else CP949."""
    try:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                               **kwargs)
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp949", **kwargs)
    except FileNotFoundError:
        raise DemandError(f"{path}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DemandError(f"{path}: not a readable CSV ({exc.__class__.__name__})") from None


def _lines(rows: np.ndarray, first_line: int = 2, most: int = 5) -> str:
    shown = ", ".join(str(int(i) + first_line) for i in rows[:most])
    return shown + (f" and {len(rows) - most} more" if len(rows) > most else "")


def parse_counts(df: pd.DataFrame, path: str | Path, rule: CountRule,
                 required: tuple[str, ...] = ("age_0_9", "age_10_19"),
                 optional: tuple[str, ...] = ("age_0",), first_line: int = 2) -> tuple[pd.DataFrame, InputReport]:
    """Count columns of a text table as floats, with suppressed values imputed by ``rule``.

    Required columns must hold numbers >= 0 or a suppressed marker; optional ones may also be
    empty (unknown: NaN). A suppressed ``age_0`` is ``min(rule.value, age_0_9)``, unknown when
    the band is suppressed too; a suppressed band is raised to a known ``age_0`` above it.
    Raises :class:`DemandError` naming the lines (``first_line`` is the line of row 0).
    """
    out = df.copy()
    report = InputReport(rows=len(df), suppressed_value=float(rule.value))
    any_suppressed = np.zeros(len(df), bool)
    masks = {}
    for col in (*required, *optional):
        if col not in out.columns:
            continue
        text = out[col].astype(str).str.strip()
        suppressed = text.isin(rule.markers).to_numpy()
        empty = (text == "").to_numpy()
        num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").to_numpy(
            float, copy=True)
        bad = ~suppressed & ~(np.isfinite(num) & (num >= 0))
        if col in optional:
            bad &= ~empty
        if bad.any():
            rows = np.flatnonzero(bad)
            raise DemandError(f"{path}: line(s) {_lines(rows, first_line)}: {col} must be a number "
                              f">= 0 or {' / '.join(rule.markers)} (suppressed: fewer than 5), "
                              f"not {text.iloc[rows[0]]!r}")
        num[suppressed] = rule.value
        num[empty & ~suppressed] = np.nan
        out[col] = num
        masks[col] = suppressed
        report.suppressed[col] = int(suppressed.sum())
        any_suppressed |= suppressed
    if "age_0" in masks and "age_0_9" in masks:
        z, b = out["age_0"].to_numpy(float), out["age_0_9"].to_numpy(float)
        zs, bs = masks["age_0"], masks["age_0_9"]
        z = np.where(zs & bs, np.nan, np.where(zs, np.minimum(z, b), z))
        b = np.where(bs & np.isfinite(z) & ~zs, np.maximum(b, np.nan_to_num(z)), b)
        over = np.isfinite(z) & (z > b)
        if over.any():
            rows = np.flatnonzero(over)
            raise DemandError(f"{path}: line(s) {_lines(rows, first_line)}: age_0 (0-year-olds) "
                              "exceeds age_0_9")
        out["age_0"], out["age_0_9"] = z, b
    report.suppressed_rows = int(any_suppressed.sum())
    report.suppressed_children = float(sum(
        (out[c].to_numpy(float)[m]).sum() for c, m in masks.items() if c in required))
    return out, report


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
        report.notes.append(f"row {visible(str(r['code10']))} {visible(clean_text(str(r['name'])))}: "
                            "no boundary has this code")
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


def read_demand_csv(path: str | Path, rule: CountRule | None = None) -> pd.DataFrame:
    """A demand table per area (columns ``area_code, area_name, age_0_9, age_10_19[, age_0]``).

    Suppressed counts (``N/A``) are imputed by ``rule`` (:func:`parse_counts`); the
    :class:`InputReport` is kept in ``table.attrs["report"]``. Raises :class:`DemandError`.
    """
    path = Path(path)
    rule = rule or CountRule()
    df = _read_csv(path, comment="#")
    missing = [c for c in ("area_code", "age_0_9", "age_10_19") if c not in df.columns]
    if missing:
        raise DemandError(f"{path}: missing column(s) {missing}; expected {', '.join(DEMAND_COLUMNS)}")
    if "age_0" not in df.columns:
        df["age_0"] = ""
    if "area_name" not in df.columns:
        df["area_name"] = df["area_code"]
    df["area_code"] = df["area_code"].str.strip()
    df["area_name"] = _clean_names(df["area_name"], path)
    df.loc[df["area_name"] == "", "area_name"] = df["area_code"]
    df, report = parse_counts(df, path, rule)
    out = df[list(DEMAND_COLUMNS)].copy()
    out.attrs["report"] = report
    return out


def _clean_names(names: pd.Series, path: Path, first_line: int = 2) -> pd.Series:
    """Area names of a file under the registry's text rules (:mod:`app.registry.text`): control,
    format (bidi, zero-width) and invisible characters removed, at most
    ``REGISTRY_NAME_MAX_CHARS`` characters (a :class:`DemandError` naming the line beyond)."""
    limit = TextRules().name_max_chars
    out = names.astype(str).map(clean_text)
    long = np.flatnonzero(out.str.len().to_numpy() > limit)
    if len(long):
        raise DemandError(f"{path}: line(s) {_lines(long, first_line)}: area_name is longer than "
                          f"{limit} characters (setting REGISTRY_NAME_MAX_CHARS)", "area_name")
    return out


# --- areas to polygons --------------------------------------------------------------------
def area_polygons(codes: Iterable[str]) -> dict[str, shapely.Geometry]:
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


def _to_metric_geom(geom: shapely.Geometry) -> shapely.Geometry:
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
    report: InputReport = field(default_factory=InputReport)  # suppressed counts, gap rows

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
    years = _single_years(rule, table)
    geoms = area_polygons(list(table["area_code"]))
    xs, ys, ys_list, codes, cells = [], [], [], [], []
    for row_i, code in enumerate(table["area_code"]):
        poly_m = _to_metric_geom(geoms[code])
        gx, gy, area, pieces = grid.cells_over(poly_m, cell_m, with_pieces=True)
        if len(gx) == 0:
            continue
        share = area / area.sum()
        partial = area < cell_m**2 - 1e-6
        cx, cy = gx + cell_m / 2, gy + cell_m / 2
        if partial.any():
            cent = shapely.centroid(pieces[partial])
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
        synthetic=synthetic, report=table.attrs.get("report") or InputReport(rows=len(table)))


def _single_years(rule: AgeSplitRule, df: pd.DataFrame) -> np.ndarray:
    try:
        return rule.single_years(df["age_0_9"], df["age_10_19"], df["age_0"])
    except AgeRuleError as exc:
        raise DemandError(str(exc)) from None


def units_from_cells(path: str | Path, rule: AgeSplitRule | None = None,
                     cell_column: str = "cell_id", counts: CountRule | None = None) -> DemandUnits:
    """Demand from a CSV of counts per 국가지점번호 cell (``cell_id, age_0_9, age_10_19[, age_0]``,
    any cell size), one unit at each cell centre; areas are the 읍면동 holding the centres.

    ``counts``: how suppressed counts (``N/A``) and cells in gaps between 읍면동 are treated
    (:class:`CountRule`); what happened is in the result's ``report``.
    """
    path = Path(path)
    counts = counts or CountRule()
    df = _read_csv(path)
    if cell_column not in df.columns:
        raise DemandError(f"{path}: no {cell_column!r} column (the 국가지점번호 of each cell)")
    for c in ("age_0_9", "age_10_19"):
        if c not in df.columns:
            raise DemandError(f"{path}: no {c!r} column; expected {cell_column}, age_0_9, "
                              "age_10_19[, age_0]")
    df = df.rename(columns={cell_column: "area_code"})
    if "age_0" not in df.columns:
        df["age_0"] = ""
    df, report = parse_counts(df, path, counts)
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
                              cell_ids=np.array([grid.encode(x, y, 3) for x, y in corner[:, :2] + 1]),
                              counts=counts, report=report, path=path)


def units_from_points(path: str | Path, rule: AgeSplitRule | None = None,
                      counts: CountRule | None = None) -> DemandUnits:
    """Demand from a CSV of points (``lon, lat, age_0_9, age_10_19[, age_0]``, WGS84); suppressed
    counts and points in gaps are treated by ``counts`` (:class:`CountRule`)."""
    path = Path(path)
    counts = counts or CountRule()
    df = _read_csv(path)
    for c in ("lon", "lat", "age_0_9", "age_10_19"):
        if c not in df.columns:
            raise DemandError(f"{path}: no {c!r} column; expected lon, lat, age_0_9, age_10_19")
    if "age_0" not in df.columns:
        df["age_0"] = ""
    df, report = parse_counts(df, path, counts)
    lon = pd.to_numeric(df["lon"].str.strip(), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df["lat"].str.strip(), errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise DemandError(f"{path}: line(s) {_lines(np.flatnonzero(bad))}: lon and lat must be "
                          "numbers (WGS84 degrees)")
    x, y = to_metric(lon, lat)
    return _units_from_points(df, np.asarray(x), np.asarray(y), rule, cell_m=500.0,
                              counts=counts, report=report, path=path)


@lru_cache(maxsize=1)
def _emd_tree_m() -> tuple[shapely.STRtree, list[str]]:
    """The 경기도 읍면동 polygons in EPSG:5179 metres, in an STRtree, and their codes."""
    polys = admin.gyeonggi_emd_polygons()
    return (shapely.STRtree([_to_metric_geom(p.geometry) for p in polys]),
            [p.emd_code for p in polys])


def nearest_emd(x_m: np.ndarray, y_m: np.ndarray, max_m: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """For EPSG:5179 points, the code of the nearest 경기도 읍면동 within ``max_m`` metres (``""``
    beyond) and the distance in metres to the nearest one (any distance; 0 inside)."""
    tree, codes = _emd_tree_m()
    points = shapely.points(np.asarray(x_m, float), np.asarray(y_m, float))
    code = np.full(len(points), "", dtype=object)
    dist = np.full(len(points), np.inf)
    if len(points) == 0:
        return code, dist
    (pt, poly), d = tree.query_nearest(points, return_distance=True, all_matches=False)
    dist[pt] = d
    near = d <= max_m
    code[pt[near]] = np.array(codes, dtype=object)[poly[near]]
    return code, dist


def _units_from_points(df: pd.DataFrame, x: np.ndarray, y: np.ndarray, rule: AgeSplitRule | None,
                       cell_m: float, cell_ids: np.ndarray | None = None, counts: CountRule | None = None,
                       report: InputReport | None = None, path: str | Path | None = None) -> DemandUnits:
    rule = rule or AgeSplitRule()
    counts = counts or CountRule()
    report = report or InputReport(rows=len(df))
    report.gap_max_m = float(counts.gap_max_m)
    years = _single_years(rule, df)
    lon, lat = from_metric(x, y)
    areas = admin.locate(lon, lat)
    study = {p.emd_code for p in admin.gyeonggi_emd_polygons()}
    emd_code = np.array([a.emd_code if a and a.emd_code in study else "" for a in areas], dtype=object)
    # In (or snapped by the coast rule to) an area of another 시도: outside the study area, set
    # aside whatever the distance to 경기도; never joined to that area nor pulled into 경기도.
    elsewhere = {int(i): (a.emd_code or a.sigungu_code or a.sido_code) for i, a in enumerate(areas)
                 if a and a.sido_code and a.sido_code != admin.GYEONGGI_SIDO_CODE}
    outside = np.flatnonzero(emd_code == "")
    ids = df["area_code"].to_numpy() if "area_code" in df.columns else None
    if len(outside):
        # In no 경기도 읍면동 polygon: a gap between the generalised boundaries, off a shoreline,
        # or in another 시도.
        code, dist = nearest_emd(np.asarray(x)[outside], np.asarray(y)[outside], counts.gap_max_m)
        gap = np.array([int(i) not in elsewhere for i in outside], bool)
        code[~gap] = ""
        emd_code[outside] = code
        report.gap_assigned = int((code != "").sum())
        for k, i in enumerate(outside):
            if code[k] == "":
                other = elsewhere.get(int(i))
                report.set_aside.append({
                    "line": int(i) + 2, "id": clean_text(str(ids[i])) if ids is not None else None,
                    "reason": "outside_study_area" if other else "gap_too_far",
                    "area": other,
                    "distance_m": round(float(dist[k]), 1) if np.isfinite(dist[k]) else None,
                    "children": round(float(years[i].sum()), 3)})
    keep = emd_code != ""
    if not keep.any():
        raise DemandError(f"{path or 'demand'}: all {len(emd_code)} demand point(s) lie outside "
                          f"every 읍면동 of 경기도 (the study area): in another 시도, or farther "
                          f"than {counts.gap_max_m:,.0f} m from a 경기도 읍면동")
    if not keep.all():
        x, y, years, emd_code = np.asarray(x)[keep], np.asarray(y)[keep], years[keep], emd_code[keep]
        if cell_ids is not None:
            cell_ids = np.asarray(cell_ids)[keep]
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
        area_geoms={c: polys[c].geometry for c in codes if c in polys}, report=report)
