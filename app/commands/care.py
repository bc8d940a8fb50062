"""``flask care clock``: the care clock in a process of its own (deadlines, the outbox, the
retention purge), for deployments whose web servers run with ``CARE_CLOCK_IN_PROCESS`` off;
``flask care tick``: everything due now, once (a cron job, or to see what is pending);
``flask care alimtalk-templates``: the 알림톡 template texts to register, and which changed."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def init_app(app: Flask) -> None:
    app.cli.add_command(care_group)


@click.group("care")
def care_group() -> None:
    """The care cycle's clock."""


@care_group.command("clock")
@with_appcontext
def clock() -> None:
    """Run the care clock until stopped (SIGTERM or Ctrl-C); safe beside other clocks."""
    from app.extensions.care import start_clock

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    running = start_clock(app)
    click.echo(f"care clock running every {running.interval_s:g} s: {', '.join(running.names)} (stop: Ctrl-C)")
    stop.wait()
    running.stop()
    click.echo("care clock stopped")


@care_group.command("tick")
@with_appcontext
def tick() -> None:
    """Fire everything due now once, and say what each tick did."""
    from app.extensions.care import care_clock

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for name, result in care_clock(app).run_once().items():
        if isinstance(result, dict):
            done: object = ", ".join(f"{k} {v}" for k, v in result.items())
        elif isinstance(result, list) or hasattr(result, "__len__"):
            done = len(result)
        else:
            done = result
        click.echo(f"{name}: {done}")


@care_group.command("alimtalk-templates")
@click.option("--record", is_flag=True,
              help="after registering them with Kakao: write the current texts to alimtalk_registered.json")
def alimtalk_templates(record: bool) -> None:
    """List every 알림톡 template code with the text to register for it (fields as #{...}), then
    what differs from the texts last registered; exits 1 while something does."""
    from importlib.resources import as_file, files

    from app.care.notify.alimtalk import REGISTERED_FILE, record_file, templates, unregistered

    if record:
        with as_file(files("app.care.notify").joinpath(REGISTERED_FILE)) as path:
            click.echo(f"recorded {record_file(path)} template texts in {path}")
        return
    for t in templates():
        click.echo(f"{t.code}\t{t.locale}\t{t.place}\n    {t.text}")
    problems = unregistered()
    for line in problems:
        click.echo(f"not registered: {line}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("every text is the one registered")
