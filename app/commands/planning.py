"""Planners' commands: build a demand layer from the MOIS tables, export measures, suggest sites.

``flask planning-demand``, ``flask planning-measures`` and ``flask planning-sites`` call the
same functions as the API and the page. Every CSV they write goes through :mod:`app.csvsafe`
(no cell opens as a formula); errors in the demand file or the options are one readable line,
never a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.csvsafe import dataframe_to_csv
from app.planning import export as planning_export
from app.planning.analysis import LEVELS, Analysis, AnalysisError, Parameters
from app.planning.demand import DemandError, mois_demand, read_mois_age_table, read_mois_zero_table
from app.planning.scenario import Scenario
from app.planning.settings import periods, planning_settings, services
from app.planning.sites import METHODS, SiteError
from app.planning.siting import plan_sites, run_sites
from app.registry.io import atomic_open

_Command = TypeVar("_Command", bound=Callable[..., Any])


@click.command("planning-demand")
@click.argument("ages", type=click.Path(path_type=Path))
@click.option("--zeros", type=click.Path(path_type=Path), default=None,
              help="The matching 0세 인구 table (0-year-olds per area).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="CSV to write (area_code, area_name, age_0_9, age_10_19, age_0); point "
                   "PLANNING_DEMAND_PATH at it.")
@click.option("--sido", default="41", show_default=True, help="2-digit 시도 code to keep.")
def planning_demand(ages: Path, zeros: Path | None, out: Path, sido: str) -> None:
    """Children per 시군구 from a MOIS 주민등록 연령별 인구현황 export, every row accounted for."""
    try:
        table, report = mois_demand(read_mois_age_table(ages),
                                    read_mois_zero_table(zeros) if zeros else None, sido)
    except DemandError as exc:
        raise click.ClickException(str(exc)) from None
    with atomic_open(out) as fh:
        dataframe_to_csv(table, fh)
    click.echo(f"read {report.read} rows: {report.used} areas written to {out}")
    for reason, n in sorted(report.set_aside.items()):
        if n:
            click.echo(f"  set aside, {reason}: {n}")
    for note in report.notes:
        click.echo(f"  note: {note}")
    click.echo(f"children 0-9: {table['age_0_9'].sum():,.0f}; 10-19: {table['age_10_19'].sum():,.0f}")


def _numbers(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    """A click callback: ``500,1000,1500`` -> (500.0, 1000.0, 1500.0)."""
    if value is None:
        return None
    try:
        out = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter("numbers separated by commas, e.g. 500,1000,1500") from None
    if not all(math.isfinite(v) for v in out):
        raise click.BadParameter("finite numbers, e.g. 500,1000,1500")
    return out


def fca_options(command: _Command) -> _Command:
    """The 2SFCA/E2SFCA catchment and bands and the desert thresholds as options (defaults:
    ``app/reference/planning.json``)."""
    s = planning_settings()
    fca, desert = s["fca"], s["desert"]
    for option in reversed([
        click.option("--catchment-m", type=float, default=None,
                     help=f"2SFCA catchment in metres [default: {fca['catchment_m']:g}]"),
        click.option("--bands-m", callback=_numbers, default=None,
                     help="E2SFCA distance bands in metres, comma-separated [default: "
                          + ",".join(f"{b:g}" for b in fca["bands_m"]) + "]"),
        click.option("--weights", callback=_numbers, default=None,
                     help="one E2SFCA weight per band, comma-separated [default: "
                          + ",".join(f"{w:g}" for w in fca["weights"]) + "]"),
        click.option("--min-children", type=float, default=None,
                     help=f"care desert: more children than this [default: "
                          f"{desert['min_children']:g}]"),
        click.option("--max-children-per-place", type=float, default=None,
                     help=f"care desert: more children per place than this [default: "
                          f"{desert['max_children_per_place']:g}]"),
    ]):
        command = option(command)
    return command


def _analysis(supply: str, **params: Any) -> Analysis:
    """The analysis of the app's demand layer and registry, or a readable error (the demand
    file's problem, or the option at fault); prints what reading the demand layer reported."""
    from app.extensions.planning import get_planning

    try:
        parameters = Parameters.defaults(supply_value=supply, **params)
        planning = get_planning()
        analysis = planning.analysis(Scenario(), parameters)
    except AnalysisError as exc:
        raise click.ClickException(_option_error(exc)) from None
    except DemandError as exc:
        raise click.ClickException(f"the demand layer cannot be read: {exc}") from None
    for line in analysis.units.report.lines():
        click.echo(f"demand: {line}")
    return analysis


def _option_error(exc: AnalysisError) -> str:
    option = f"--{exc.field.replace('_', '-')}" if exc.field else None
    return f"{option}: {exc}" if option else str(exc)


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
@fca_options
@with_appcontext
def planning_measures(level: str, service_ids: tuple[str, ...], period_ids: tuple[str, ...], supply: str,
                      out: Path, **params: Any) -> None:
    """Every measure for every area of LEVEL, service and period, to a file."""
    analysis = _analysis(supply, **params)
    try:
        df = analysis.all_measures(level, service_ids or None, period_ids or None)
    except AnalysisError as exc:
        raise click.ClickException(_option_error(exc)) from None
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with atomic_open(out) as fh:
            dataframe_to_csv(df, fh)
    elif suffix == ".geojson":
        with atomic_open(out) as fh:
            fh.write(planning_export.to_geojson(df, analysis.units, level))
    elif suffix == ".gpkg":
        data = planning_export.to_gpkg(df, analysis.units, level, layer=out.stem)
        with atomic_open(out, binary=True) as fh:
            fh.write(data)
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
              help="CSV of candidate sites (parcels) with lon and lat columns (WGS84) and, if "
                   "present, id and name, instead.")
@click.option("--area", default=None,
              help="Only children (and grid candidates) in this 시군구 (5 digits) or 읍면동 "
                   "(8 digits); every existing centre still counts.")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True)
@with_appcontext
def planning_sites(service: str, period: str, p: int, radius_m: float, candidates: int,
                   candidates_file: Path | None, area: str | None, method: str) -> None:
    """Where P new centres would newly cover the most children (existing centres kept).

    Prints the children of the service's ages, how many an existing centre covers, how many
    the new sites add, then one JSON line per chosen site: its id (grid cell, or the file's
    id or line), name, 시군구 and 읍면동, and the children it newly covers."""
    if area is not None and not (area.isdigit() and len(area) in (5, 8)):
        raise click.BadParameter("a 5-digit 시군구 or 8-digit 읍면동 code", param_hint="--area")
    analysis = _analysis("capacity")
    cand = _candidate_file(candidates_file) if candidates_file is not None else None
    try:
        plan = plan_sites(analysis, service, period, p, radius_m, method, area, candidates, cand)
        answer = run_sites(plan, time_limit_s=float(current_app.config.get(
            "PLANNING_CBC_TIME_LIMIT_S", 60)))
    except AnalysisError as exc:
        raise click.ClickException(_option_error(exc)) from None
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    spec = services()[service]
    total = answer["children"]

    def pct(x: float) -> str:
        return f"{x / total:.1%}" if total > 0 else "–"

    where = f" in {area}" if area else ""
    click.echo(f"children aged {spec['age_min_months']}–{spec['age_max_months']} months "
               f"({service}, {period}){where}: {total:,.1f}")
    click.echo(f"within {radius_m:g} m of an existing centre: {answer['covered_before']:,.1f} "
               f"({pct(answer['covered_before'])})")
    click.echo(f"with {len(answer['sites'])} new site(s): {answer['covered_after']:,.1f} "
               f"({pct(answer['covered_after'])}), "
               f"+{answer['covered_after'] - answer['covered_before']:,.1f} children newly "
               f"covered ({answer['method']}{', proven optimal' if answer['proven_optimal'] else ''}"
               f"{', stopped at the time limit' if answer['stopped_early'] else ''}; "
               f"{len(plan.cand_xy):,} candidates)")
    for row in answer["sites"]:
        click.echo(json.dumps(row, ensure_ascii=False))


def _candidate_file(path: Path) -> tuple[np.ndarray, list[str], list[str | None]]:
    """Candidate sites from a CSV: points (EPSG:5179 m), ids (the ``id`` column, else "line N")
    and names (the ``name`` column, else none)."""
    import pandas as pd

    from app.geo.crs import in_korea_box, to_metric

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (FileNotFoundError, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read a CSV ({exc.__class__.__name__})") from None
    if not {"lon", "lat"} <= set(df.columns):
        raise click.ClickException(f"{path}: needs lon and lat columns (WGS84)")
    if df.empty:
        raise click.ClickException(f"{path}: no candidate rows")
    lon = pd.to_numeric(df["lon"].str.strip(), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df["lat"].str.strip(), errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | ~np.asarray(in_korea_box(lon, lat))
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
        raise click.ClickException(f"{path}: line(s) {lines}: lon/lat must be numbers in Korea")
    x, y = to_metric(lon, lat)
    ids, names = _candidate_texts(path, df)
    return np.column_stack([x, y]), ids, names


def _candidate_texts(path: Path, df: Any) -> tuple[list[str], list[str | None]]:
    """The ids and names of a candidates file under the registry's text rules
    (:mod:`app.registry.text`): an id must be an allowed registry id (else an error naming the
    line); a name loses control, format (bidi, zero-width) and invisible characters, each such
    removal printed with its line, and may be at most ``REGISTRY_NAME_MAX_CHARS`` long."""
    from app.registry.text import TextRuleError, TextRules, visible

    rules = TextRules.from_config(current_app.config)
    ids: list[str] = []
    names: list[str | None] = []
    raw_ids = list(df["id"]) if "id" in df.columns else [""] * len(df)
    raw_names = list(df["name"]) if "name" in df.columns else [""] * len(df)
    for line, (raw_id, raw_name) in enumerate(zip(raw_ids, raw_names, strict=True), start=2):
        try:
            ids.append(rules.check_id(raw_id, "id") if raw_id else f"line {line}")
            name = rules.clean("name", raw_name) if raw_name else None
        except TextRuleError as exc:
            raise click.ClickException(f"{path}: line {line}: {exc}") from None
        if raw_name and name != raw_name.strip(" "):
            click.echo(f"candidates: line {line}: name {visible(raw_name)} cleaned to "
                       f"{name or '(nothing: no name)'}: control, format (bidi, zero-width) and "
                       "invisible characters removed, spaces collapsed")
        names.append(name)
    return ids, names


def init_app(app: Flask) -> None:
    """Register the planners' commands."""
    for command in (planning_demand, planning_measures, planning_sites):
        app.cli.add_command(command)
