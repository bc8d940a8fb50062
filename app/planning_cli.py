"""Planners' commands: build a demand layer from the MOIS tables, export measures, suggest sites.

``flask planning-demand``, ``flask planning-measures`` and ``flask planning-sites`` call the
same functions as the API and the page.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from flask import Flask
from flask.cli import with_appcontext

from app.planning.analysis import LEVELS, AnalysisError, Parameters
from app.planning.demand import DemandError, mois_demand, read_mois_age_table, read_mois_zero_table
from app.planning.scenario import Scenario
from app.planning.settings import periods, services
from app.planning.sites import METHODS, SiteError, suggest_sites
from app.registry.io import atomic_open


@click.command("planning-demand")
@click.argument("ages", type=click.Path(path_type=Path))
@click.option("--zeros", type=click.Path(path_type=Path), default=None,
              help="The matching 0세 인구 table (0-year-olds per area).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="CSV to write (area_code, area_name, age_0_9, age_10_19, age_0); point "
                   "PLANNING_DEMAND_PATH at it.")
@click.option("--sido", default="41", show_default=True, help="2-digit 시도 code to keep.")
def planning_demand(ages, zeros, out, sido):
    """Children per 시군구 from a MOIS 주민등록 연령별 인구현황 export, every row accounted for."""
    try:
        table, report = mois_demand(read_mois_age_table(ages),
                                    read_mois_zero_table(zeros) if zeros else None, sido)
    except DemandError as exc:
        raise click.ClickException(str(exc)) from None
    with atomic_open(out) as fh:
        table.to_csv(fh, index=False)
    click.echo(f"read {report.read} rows: {report.used} areas written to {out}")
    for reason, n in sorted(report.set_aside.items()):
        if n:
            click.echo(f"  set aside, {reason}: {n}")
    for note in report.notes:
        click.echo(f"  note: {note}")
    click.echo(f"children 0-9: {table['age_0_9'].sum():,.0f}; 10-19: {table['age_10_19'].sum():,.0f}")


def _analysis(supply: str):
    from app.planning_store import get_planning

    return get_planning().analysis(Scenario(), Parameters.defaults(supply_value=supply))


@click.command("planning-measures")
@click.option("--level", type=click.Choice(LEVELS), default="sigungu", show_default=True)
@click.option("--service", "service_ids", multiple=True, type=click.Choice(list(services())),
              help="Repeat for several (default: all).")
@click.option("--period", "period_ids", multiple=True, type=click.Choice(list(periods())),
              help="Repeat for several (default: all).")
@click.option("--supply", type=click.Choice(["capacity", "vacancies"]), default="capacity",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write: .csv, .geojson or .gpkg.")
@with_appcontext
def planning_measures(level, service_ids, period_ids, supply, out):
    """Every measure for every area of LEVEL, service and period, to a file."""
    analysis = _analysis(supply)
    try:
        df = analysis.all_measures(level, service_ids or None, period_ids or None)
    except AnalysisError as exc:
        raise click.ClickException(str(exc)) from None
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with atomic_open(out) as fh:
            df.to_csv(fh, index=False)
    elif suffix in (".geojson", ".gpkg"):
        import geopandas as gpd

        from app.planning.shapes import level_shapes

        keys = list(dict.fromkeys(df["key"]))
        shape_of = dict(zip(keys, level_shapes(analysis.units, level, keys), strict=True))
        gdf = gpd.GeoDataFrame(df, geometry=[shape_of[k] for k in df["key"]], crs="EPSG:4326")
        gdf["desert"] = gdf["desert"].astype(float)
        gdf.to_file(out, driver="GeoJSON" if suffix == ".geojson" else "GPKG")
    else:
        raise click.ClickException("--out must end in .csv, .geojson or .gpkg")
    deserts = int(df["desert"].fillna(False).sum())
    click.echo(f"wrote {len(df)} rows ({df['key'].nunique()} areas) to {out}; {deserts} "
               "area-service-period combinations are care deserts")


@click.command("planning-sites")
@click.option("--service", type=click.Choice([s for s, v in services().items()
                                              if not v.get("comes_to_family")]), required=True)
@click.option("--period", type=click.Choice(list(periods())), default="day", show_default=True)
@click.option("--p", "p", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--radius-m", type=click.FloatRange(1, 10_000), default=1000, show_default=True)
@click.option("--candidates", type=click.IntRange(1, 20_000), default=2000, show_default=True,
              help="Candidate sites: the centres of this many grid cells with the most children.")
@click.option("--candidates-file", type=click.Path(path_type=Path), default=None,
              help="CSV of candidate sites (parcels) with lon and lat columns, instead.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True)
@with_appcontext
def planning_sites(service, period, p, radius_m, candidates, candidates_file, method):
    """Where P new centres would newly cover the most children (existing centres kept)."""
    from app.geo.crs import from_metric

    analysis = _analysis("capacity")
    um = analysis.unit_measures(service, period)
    u = analysis.units
    cand = analysis.grid_candidates(service, period, candidates)
    if candidates_file is not None:
        cand = _candidate_file(candidates_file)
    try:
        result = suggest_sites(np.column_stack([u.x_m, u.y_m]), um.children,
                               np.column_stack([um.supply.x_m, um.supply.y_m]), cand,
                               radius_m, p, method=method)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    lon, lat = from_metric(cand[result.chosen, 0], cand[result.chosen, 1])
    click.echo(f"children {result.total_children:,.0f}; within {radius_m:g} m of an existing "
               f"centre: {result.share_before:.1%}; with the new sites: {result.share_after:.1%} "
               f"({result.method}{', proven optimal' if result.proven_optimal else ''})")
    for k, (a, b, gain) in enumerate(zip(np.atleast_1d(lon), np.atleast_1d(lat),
                                         result.newly_covered, strict=True), start=1):
        click.echo(json.dumps({"rank": k, "lon": round(float(a), 6), "lat": round(float(b), 6),
                               "newly_covered": round(float(gain), 1)}))


def _candidate_file(path: Path) -> np.ndarray:
    import pandas as pd

    from app.geo.crs import in_korea_box, to_metric

    try:
        df = pd.read_csv(path)
    except (FileNotFoundError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read a CSV ({exc.__class__.__name__})") from None
    if not {"lon", "lat"} <= set(df.columns):
        raise click.ClickException(f"{path}: needs lon and lat columns (WGS84)")
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | ~np.asarray(in_korea_box(lon, lat))
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
        raise click.ClickException(f"{path}: line(s) {lines}: lon/lat must be numbers in Korea")
    x, y = to_metric(lon, lat)
    return np.column_stack([x, y])


def init_app(app: Flask) -> None:
    """Register the planners' commands."""
    for command in (planning_demand, planning_measures, planning_sites):
        app.cli.add_command(command)
