"""The planner's choropleth, made with folium and pointed at the local Leaflet copy.

folium writes a whole page with inline scripts and CDN links; our pages allow scripts from
our own origin only. So the map is split the way folium's "Using folium with Flask" guide
shows: its ``<div>`` goes into our template and its script is served as a file
(``/planner/map.js``); our template loads Leaflet from ``/vendor``. A test checks that the
output names no other origin.
"""

from __future__ import annotations

import html
import math
import re
from typing import cast

import branca.colormap as cm
import pandas as pd
from branca.element import Figure

import folium
import geopandas as gpd

MAP_NAME = "planner"  # the map's JavaScript variable is map_planner
MEASURES = ("share_500", "share_1000", "share_2000", "nearest_m", "sfca", "e2sfca",
            "children_per_place", "children", "places")
# For these, a higher value is worse (more red).
HIGHER_IS_WORSE = {"nearest_m", "children_per_place", "children"}


def fmt_value(measure: str, value: float | None) -> str:
    """A measure's value as the map shows it ("–" when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if measure.startswith("share_"):
        return f"{value * 100:.1f}%"
    if measure in ("sfca", "e2sfca"):
        return f"{value:.3f}"
    return f"{value:,.0f}"


def colour_scale(values: pd.Series, measure: str) -> cm.LinearColormap:
    """A red–yellow–green scale over the measure's range (red = worse)."""
    finite = values[values.notna() & values.map(lambda v: math.isfinite(v))]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1e-9
    colours = ["#1a9850", "#fee08b", "#d73027"] if measure in HIGHER_IS_WORSE else \
        ["#d73027", "#fee08b", "#1a9850"]
    return cm.LinearColormap(colours, vmin=lo, vmax=hi)


def build_map(df: pd.DataFrame, shapes: list, measure: str, deserts: dict[str, tuple[str, list]],
              center: tuple[float, float], zoom: int, tile_url: str, attribution: str,
              vendor: dict[str, str], labels: dict[str, str]) -> folium.Map:
    """The choropleth of ``measure`` over ``df``'s areas, one switchable desert layer per
    period (``deserts``: period -> (its name, the desert areas' shapes)), tiles if they load.
    Every text from data is HTML-escaped before it reaches folium."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=False)
    m._id = MAP_NAME
    m.default_js = [("leaflet", vendor["js"])]
    m.default_css = [("leaflet_css", vendor["css"])]
    folium.TileLayer(tiles=tile_url, attr=html.escape(attribution), name=labels["tiles"],
                     overlay=False, control=False).add_to(m)
    scale = colour_scale(df[measure], measure)
    gdf = gpd.GeoDataFrame({
        "key": df["key"].to_numpy(),
        "name": [html.escape(str(n)) for n in df["name"]],
        "value": [fmt_value(measure, v) for v in df[measure]],
        "colour": [scale(v) if v is not None and not pd.isna(v) and math.isfinite(v) else "#9e9e9e"
                   for v in df[measure]],
    }, geometry=shapes, crs="EPSG:4326")
    folium.GeoJson(
        gdf.to_json(), name=labels["measure"],
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555",
                                  "weight": 0.6, "fillOpacity": 0.65},
        highlight_function=lambda f: {"weight": 2.5, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=[labels["area"],
                                                                         labels["measure"]]),
    ).add_to(m)
    for period, (name, desert_shapes) in deserts.items():
        group = folium.FeatureGroup(name=html.escape(name), show=(period == labels["period"]))
        if desert_shapes:
            folium.GeoJson(
                gpd.GeoSeries(desert_shapes, crs="EPSG:4326").to_json(),
                style_function=lambda f: {"color": "#b2182b", "weight": 2.5, "fill": False,
                                          "dashArray": "4 3"},
            ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])  # show the areas asked for, on any screen
    return m


def split(m: folium.Map) -> tuple[str, str]:
    """folium's map as (the ``<div>`` for the page, the script to serve as a file)."""
    root = cast(Figure, m.get_root())  # a map's root is its page
    root.render()
    header = root.header.render()
    inline = "\n".join(re.findall(r"<script>(.*?)</script>", header, flags=re.S))
    for url in re.findall(r'(?:src|href)="([^"]+)"', header):
        if "//" in url:
            raise RuntimeError(f"folium wants an external file: {url}")
    return root.html.render(), inline + "\n" + root.script.render()
