"""Flask CLI commands: ``import-facilities`` and ``generate-demo``."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app import csvsafe
from app.geo.korea import SEOUL
from app.ingest.pipeline import FORMATS, REASONS, ImportResult, ImportRules, import_files
from app.ingest.readers import InputFileError
from app.registry.io import atomic_open, write_registry
from app.registry.text import visible

if TYPE_CHECKING:
    from tqdm import tqdm



def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    for command in (import_facilities, generate_demo, token_group, availability_history,
                    availability_report, db_upgrade, registry_to_db):
        app.cli.add_command(command)


@click.command("import-facilities")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Registry file to write (default: instance/registry.geojson, which the "
                   "service then serves).")
@click.option("--rejects", type=click.Path(path_type=Path), default=None,
              help="CSV of rejected rows with a reason each (default: beside --out).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--encoding", type=click.Choice(["utf-8", "utf-8-sig", "cp949"]), default=None,
              help="Text encoding of CSV files (default: detected).")
@click.option("--crs", default=None,
              help="CRS of the coordinates, any pyproj knows (default: WGS84; EPSG:5174 for "
                   "LOCALDATA files).")
@click.option("--mapping", "mapping_path", type=click.Path(path_type=Path), default=None,
              help="TOML column-mapping file for registries in other layouts.")
@click.option("--region", default="KR", show_default=True,
              help="Keep points in: KR (South Korea), a 2-digit 시도 code (41 = 경기도), or none.")
@with_appcontext
def import_facilities(paths: tuple[Path, ...], out: Path | None, rejects: Path | None, fmt: str,
                      encoding: str | None, crs: str | None, mapping_path: Path | None, region: str) -> None:
    """Import registry files (portal Excel, CSV, LOCALDATA, GeoJSON, GeoPackage) into a
    registry, accounting for every input row."""
    out = out or Path(current_app.instance_path) / "registry.geojson"
    rejects = rejects or out.with_name(out.stem + ".rejects.csv")
    try:
        rules = ImportRules.from_config(current_app.config)
    except ValueError as exc:  # a setting that cannot be used
        raise click.ClickException(str(exc)) from None
    bar = _progress_bar(paths)
    started = time.monotonic()
    try:
        result = import_files(list(paths), fmt=fmt, encoding=encoding, crs=crs,
                              mapping_path=mapping_path, region=region, progress=bar, rules=rules)
    except InputFileError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    click.echo(f"import of {len(paths)} file(s) on {datetime.now(result.locale.tz):%Y-%m-%d %H:%M} "
               f"({result.locale.timezone}), {time.monotonic() - started:.1f} s:")
    _report(result)
    meta = {
        "name": result.settings.get("name", "imported registry"),
        "synthetic": False,
        "imported_at": datetime.now(result.locale.tz).isoformat(timespec="seconds"),
        "sources": [f.file for f in result.files],
        "rows_read": result.read,
        "rows_accepted": len(result.facilities),
        "rows_rejected": len(result.rejects),
        # The registry's time zone, holiday calendar and area: searches use these.
        **result.locale.to_meta(),
    }
    write_registry(out, meta, result.facilities)
    _write_rejects(rejects, result)
    click.echo(f"registry: {out}")
    loc = result.locale
    click.echo(f"time zone {loc.timezone}, public holidays {loc.holidays}, area {loc.area_name} "
               f"{list(loc.area)}")
    click.echo(f"rejects:  {rejects}")
    if result.disagreements:
        click.echo(f"disagreements: {rejects.with_name(rejects.stem + '.disagreements.csv')}")


class _ProgressBars:
    """Rows read, per file, as they are read, then rows placed and checked out of all rows
    read (tqdm on stderr; the counts move every ``PROGRESS_EVERY_ROWS`` rows)."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._file: str | None = None
        self._read: dict[str, int] = {}

    def __call__(self, file_name: str, rows: int) -> None:
        from tqdm import tqdm

        if file_name:
            self._read[file_name] = rows
        if file_name != self._file:
            self.close()
            self._file = file_name
            desc = f"reading {file_name}" if file_name else "placing and checking rows"
            self._bar = tqdm(total=None if file_name else sum(self._read.values()), unit=" rows",
                             desc=desc, leave=False)
        assert self._bar is not None
        self._bar.update(rows - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _progress_bar(paths: Iterable[Path]) -> _ProgressBars | None:
    total = 0
    for p in paths:
        try:
            total += max(Path(p).stat().st_size, 1)
        except OSError:
            return None
    if total < 1_000_000:  # small inputs finish before a bar would help
        return None
    return _ProgressBars()


def _report(result: ImportResult) -> None:
    for f in result.files:
        reasons = ", ".join(f"{r} {f.reasons[r]}" for r in REASONS if f.reasons[r])
        click.echo(f"{f.file} [{f.format}]: read {f.read} = accepted {f.accepted} "
                   f"+ rejected {f.rejected}" + (f" ({reasons})" if reasons else ""))
    total = sum((f.reasons for f in result.files), start=Counter())
    reasons = ", ".join(f"{r} {total[r]}" for r in REASONS if total[r])
    click.echo(f"total: read {result.read} = accepted {len(result.facilities)} "
               f"+ rejected {len(result.rejects)}" + (f" ({reasons})" if reasons else ""))
    if result.disagreements:
        click.echo(f"{len(result.disagreements)} rows name a 시군구 that differs from the one "
                   "their point lies in; the point's was used")
    if result.unchecked_sigungu:
        names = ", ".join(visible(n) for n, _ in result.unchecked_sigungu.most_common(5))
        click.echo(f"{sum(result.unchecked_sigungu.values())} rows name a 시군구 the boundary "
                   f"data does not know ({names}); their distance to it was not checked")


def _write_csv_atomic(path: Path, header: list[str], rows: Iterable[Sequence[Any]]) -> None:
    # UTF-8 with BOM so that Excel, which data officers open these in, shows Hangul. Cells come
    # from the input files: no cell may open as a formula (csvsafe) or hide, reorder or break
    # the text around it (control and bidi characters written as \uXXXX).
    with atomic_open(path, encoding="utf-8-sig", newline="") as fh:
        csvsafe.write_rows(fh, header, ([visible(c) if isinstance(c, str) else c for c in row]
                                        for row in rows))


def _write_rejects(path: Path, result: ImportResult) -> None:
    _write_csv_atomic(
        path, ["file", "row", "reason", "detail", "record"],
        ([r.file, r.row, r.reason, r.detail, json.dumps(r.record, ensure_ascii=False)]
         for r in result.rejects),
    )
    if result.disagreements:
        keys = ["file", "row", "id", "field", "in_file", "from_point"]
        _write_csv_atomic(path.with_name(path.stem + ".disagreements.csv"), keys,
                          ([d[k] for k in keys] for d in result.disagreements))


@click.command("generate-demo")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: the committed demo registry).")
def generate_demo(out: Path | None) -> None:
    """Regenerate the synthetic 경기도 demo registry (deterministic)."""
    from app.demo.cli_main import main

    main([str(out)] if out else [])


@click.group("token")
def token_group() -> None:
    """Issue, revoke and list access tokens for providers and admins."""


@token_group.command("issue")
@click.option("--facility", "facility_id", default=None, help="The facility the token may change.")
@click.option("--admin", is_flag=True, help="An admin token (may change any record).")
@click.option("--label", default=None, help="Who holds it, for the list.")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stops working after this many days (with its planner sessions); default never.")
@with_appcontext
def token_issue(facility_id: str | None, admin: bool, label: str | None, expires_days: float | None) -> None:
    """Print a new token (shown once; only its hash is kept)."""
    from datetime import UTC, timedelta

    from app.extensions.db import get_engine
    from app.extensions.registry import get_index
    from app.live import tokens

    if admin == bool(facility_id):
        raise click.ClickException("give either --facility ID or --admin")
    if facility_id and facility_id not in get_index().by_id:
        raise click.ClickException(f"no facility with id {facility_id!r} in the registry")
    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    try:
        text = tokens.issue(get_engine(), "admin" if admin else "provider", facility_id, label,
                            expires_at=expires_at)
    except ValueError as exc:  # a label too long or with control characters: say so, no traceback
        raise click.ClickException(str(exc)) from None
    click.echo(text)


@token_group.command("revoke")
@click.argument("token_id")
@with_appcontext
def token_revoke(token_id: str) -> None:
    """Revoke a token by its id (the part after dlb_)."""
    from app.extensions.db import get_engine
    from app.live import tokens

    if not tokens.revoke(get_engine(), token_id):
        raise click.ClickException(f"no active token with id {token_id!r}")
    click.echo(f"revoked {token_id}")


@token_group.command("list")
@with_appcontext
def token_list() -> None:
    """List tokens (ids, roles, facilities; never secrets)."""
    from app.extensions.db import get_engine
    from app.live import tokens

    for t in tokens.list_tokens(get_engine()):
        state = ("revoked" if t["revoked_at"] else "expired" if tokens.expired(t["expires_at"])
                 else "active")
        click.echo(f"{t['id']}  {t['role']:8s}  {t['facility_id'] or '-':20s}  {state}  "
                   f"{t['label'] or ''}")


@click.command("availability-history")
@click.argument("facility_id")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def availability_history(facility_id: str, limit: int) -> None:
    """Show a provider's changes: who, when, old and new values."""
    from app.extensions.db import get_engine
    from app.live import service

    changes = service.history(get_engine(), facility_id, limit)
    if not changes:
        click.echo(f"no changes recorded for {facility_id}")
    for c in changes:
        click.echo(f"v{c['version']}  {c['at']}  by {c['actor']}")
        click.echo(f"    old: {json.dumps(c['old'], ensure_ascii=False)}")
        click.echo(f"    new: {json.dumps(c['new'], ensure_ascii=False)}")


@click.command("availability-report")
@click.option("--hours", default=24.0, show_default=True,
              help="Providers silent for more than this many hours.")
@with_appcontext
def availability_report(hours: float) -> None:
    """Providers that have not reported, by 시군구, and providers over capacity."""
    from app.extensions.db import get_engine
    from app.extensions.registry import get_store
    from app.live.monitoring import monitoring_report

    store = get_store()
    store.live.sync(get_engine())
    report = monitoring_report(store.registry.facilities, store.live.records,
                               hours, datetime.now(SEOUL))
    total = sum(v["count"] for v in report["not_reported_by_sigungu"].values())
    click.echo(f"not reported within {hours:g} h: {total}")
    for area, v in report["not_reported_by_sigungu"].items():
        click.echo(f"  {area}: {v['count']}")
    click.echo(f"reporting more places than capacity: {len(report['over_capacity'])}")
    for f in report["over_capacity"]:
        click.echo(f"  {f['id']} {f['name']} ({f['sigungu']}): capacity {f['capacity']}, "
                   f"vacancies {f['vacancies']}")


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending database migrations."""
    from app.db.engine import upgrade
    from app.extensions.db import database_url

    upgrade(database_url(current_app))
    click.echo("database schema is current")


@click.command("registry-to-db")
@click.option("--from", "source", type=click.Path(path_type=Path), default=None,
              help="Registry file (default: the one the service would load).")
@with_appcontext
def registry_to_db(source: Path | None) -> None:
    """Store the registry in PostGIS (DATABASE_URL), for SEARCH_BACKEND = 'postgis'."""
    from app.extensions.db import get_engine
    from app.extensions.registry import registry_path
    from app.registry.io import RegistryFileError, read_registry
    from app.registry.postgis import store_registry
    from app.registry.text import TextRules

    engine = get_engine()
    if engine.dialect.name != "postgresql":
        raise click.ClickException("DATABASE_URL must point to PostgreSQL with PostGIS")
    path = source or registry_path(current_app)
    try:
        registry = read_registry(path, text_rules=TextRules.from_config(current_app.config))
    except RegistryFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"stored {store_registry(engine, registry)} facilities from {path}")
