"""Measures tables with their shapes, in the formats planners open in QGIS or Excel: GeoJSON,
GeoPackage and CSV. The coverage API and ``flask planning-measures`` both write through here.
Every CSV cell is neutralised against formula injection (:mod:`app.csvsafe`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from app.csvsafe import dataframe_to_csv
from app.planning.demand import DemandUnits
from app.planning.shapes import level_shapes

if TYPE_CHECKING:
    import geopandas as gpd

SHAPE_FORMATS = ("geojson", "gpkg")


def with_shapes(df: pd.DataFrame, units: DemandUnits, level: str) -> gpd.GeoDataFrame:
    """``df`` (keyed by ``key``, one or more rows per area) as a GeoDataFrame in EPSG:4326 with
    each area's shape (:func:`app.planning.shapes.level_shapes`)."""
    import geopandas as gpd

    df = df.reset_index(drop=True)
    keys = list(dict.fromkeys(df["key"]))
    shape_of = dict(zip(keys, level_shapes(units, level, keys), strict=True))
    return gpd.GeoDataFrame(df, geometry=[shape_of[k] for k in df["key"]], crs="EPSG:4326")


def csv_text(df: pd.DataFrame) -> str:
    """CSV text with a BOM (Excel then reads Hangul), every text cell neutralised."""
    return "\ufeff" + dataframe_to_csv(df)


def to_geojson(df: pd.DataFrame, units: DemandUnits, level: str,
               meta: dict[str, Any] | None = None) -> str:
    """A GeoJSON FeatureCollection of the rows with their shapes; ``meta`` (what the rows are)
    as a foreign member when given."""
    doc = json.loads(with_shapes(df, units, level).to_json(na="null", drop_id=True))
    if meta is not None:
        doc["meta"] = meta
    return json.dumps(doc, ensure_ascii=False)


def to_gpkg(df: pd.DataFrame, units: DemandUnits, level: str, layer: str) -> bytes:
    """A GeoPackage with one layer of the rows and their shapes."""
    gdf = with_shapes(df, units, level)
    gdf["desert"] = gdf["desert"].astype("float")  # GeoPackage has no nullable boolean
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "measures.gpkg"
        gdf.to_file(path, layer=layer, driver="GPKG")
        return path.read_bytes()
