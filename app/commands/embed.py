"""``flask embed-origins add|remove|list|log``: the sites allowed to embed the widget, kept in
the database (no restart: every server process sees a change within EMBED_ORIGINS_CACHE_S)."""

from __future__ import annotations

import getpass

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(embed_origins_group)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:60]
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def _propagation() -> str:
    return (f"every server allows it within {float(current_app.config['EMBED_ORIGINS_CACHE_S']):g} "
            "seconds, no restart needed")


def _database_error(exc: DBAPIError) -> click.ClickException:
    return click.ClickException(f"the database cannot be reached ({type(exc.orig).__name__}); "
                                "nothing was changed")


@click.group("embed-origins")
def embed_origins_group() -> None:
    """The sites allowed to embed the widget (/embed), kept in the database."""


@embed_origins_group.command("add")
@click.argument("origin")
@click.option("--note", default=None, help="Who asked, a ticket number (plain text).")
@with_appcontext
def embed_origins_add(origin: str, note: str | None) -> None:
    """Allow ORIGIN (https://host[:port]; *.host for every subdomain) to embed the widget."""
    from app.extensions.db import get_engine
    from app.live import embed_origins

    try:
        entry, added = embed_origins.add(get_engine(), origin, _actor(), note)
    except embed_origins.OriginError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise _database_error(exc) from None
    if added:
        click.echo(f"added {entry['origin']}: {_propagation()}")
    else:
        click.echo(f"{entry['origin']} was already allowed (added by {entry['added_by']} at "
                   f"{entry['added_at']}); nothing changed")


@embed_origins_group.command("remove")
@click.argument("origin")
@with_appcontext
def embed_origins_remove(origin: str) -> None:
    """Stop allowing ORIGIN (as stored in the database list)."""
    from app.extensions.db import get_engine
    from app.live import embed_origins

    try:
        removed = embed_origins.remove(get_engine(), origin, _actor())
    except embed_origins.OriginError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise _database_error(exc) from None
    normal = embed_origins.parse_origin(origin, wildcard=True)
    if not removed:
        where = (" (it is in the EMBED_ALLOWED_ORIGINS setting: remove it there and restart)"
                 if normal in current_app.config["EMBED_ALLOWED_ORIGINS"] else "")
        raise click.ClickException(f"{normal} is not in the database list{where}")
    seconds = float(current_app.config["EMBED_ORIGINS_CACHE_S"])
    click.echo(f"removed {normal}: every server refuses it within {seconds:g} seconds")


@embed_origins_group.command("list")
@with_appcontext
def embed_origins_list() -> None:
    """List the allowed sites: the setting's, then the database's with who added them."""
    from app.extensions.db import get_engine
    from app.live import embed_origins

    try:
        stored = embed_origins.list_origins(get_engine())
    except DBAPIError as exc:
        raise _database_error(exc) from None
    for origin in current_app.config["EMBED_ALLOWED_ORIGINS"]:
        click.echo(f"{origin}  setting (EMBED_ALLOWED_ORIGINS)")
    for e in stored:
        click.echo(f"{e['origin']}  database, added {e['added_at']} by {e['added_by']}"
                   + (f"  {e['note']}" if e["note"] else ""))
    if not stored and not current_app.config["EMBED_ALLOWED_ORIGINS"]:
        click.echo("no site is allowed besides this service itself")


@embed_origins_group.command("log")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@with_appcontext
def embed_origins_log(limit: int) -> None:
    """The latest changes to the database list, newest first."""
    from app.extensions.db import get_engine
    from app.live import embed_origins

    try:
        entries = embed_origins.history(get_engine(), limit)
    except DBAPIError as exc:
        raise _database_error(exc) from None
    for e in entries:
        click.echo(f"{e['at']}  {e['action']:6s}  {e['origin']}  by {e['actor']}"
                   + (f"  {e['note']}" if e["note"] else ""))
