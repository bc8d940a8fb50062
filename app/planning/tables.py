"""Measures tables as the API, the planner page and the CLI hand them out: rows of one area,
and rows as JSON objects."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from app.geo.admin import sigun_of
from app.planning.demand import DemandUnits


def in_area(df: pd.DataFrame, units: DemandUnits, level: str, area: str) -> pd.DataFrame:
    """The rows of ``df`` (a measures table of ``level``, keyed by ``key``) inside ``area``: a
    5-digit 시군구 code (a 시 with 일반구 takes in its 구), or an 8-digit 읍면동 code. Grid cells
    belong to the area of the demand they were spread from."""
    if level == "grid":
        cells = {c for c, s, a in zip(units.cell_id, units.sigungu_code, units.area_code, strict=True)
                 if (s.startswith(area[:5]) and (len(area) == 5 or a == area))
                 or sigun_of(s[:5]) == area}
        return df[df["key"].isin(cells)]
    return df[df["key"].str.startswith(area[:5]) | (df["key"].map(lambda k: sigun_of(k[:5])) == area)]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: NaN and unknown as null, numpy numbers as Python ones."""
    out = []
    for row in df.to_dict(orient="records"):
        out.append({k: (None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                        else bool(v) if isinstance(v, (bool, np.bool_))
                        else float(v) if isinstance(v, (np.floating, float)) else v)
                    for k, v in row.items()})
    return out
