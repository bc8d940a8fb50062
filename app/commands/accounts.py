"""``flask accounts create-staff|create-admin|disable``: people's accounts made by an operator.

Provider staff get a user account tied to their provider (the per-provider API tokens of
``flask token issue`` stay, for machine clients); admins get one tied to no provider. The
password is typed at a hidden prompt (twice) or read from the first line of standard input with
``--password-stdin`` (for scripts) — never an argument, which shells keep in their history and
process lists show to every user. Nothing printed or logged holds the password.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(accounts_group)


@click.group("accounts")
def accounts_group() -> None:
    """People's accounts: provider staff and admins (guardians sign up on /account/sign-up)."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.ClickException("--password-stdin: standard input is empty; give the password on its "
                                       "first line")
        return line.rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _create(email: str, role: str, facility_id: str | None, from_stdin: bool) -> None:
    from app.care.accounts import AccountError
    from app.pages import account_sessions as people

    password = _password(from_stdin)
    try:
        user = people.accounts().sign_up(email, password, role=role, facility_id=facility_id)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise click.ClickException(f"the database cannot be reached ({type(exc.orig).__name__}); no account "
                                   "was made") from None
    where = f" of {facility_id}" if facility_id else ""
    click.echo(f"made account {user.id} ({user.email}) as {role}{where}")


_STDIN_HELP = "Read the password from the first line of standard input instead of a prompt."


@accounts_group.command("create-staff")
@click.option("--facility", "facility_id", required=True, help="The provider's id in the registry.")
@click.option("--email", required=True, help="The staff member's e-mail (they sign in with it).")
@click.option("--password-stdin", "from_stdin", is_flag=True, help=_STDIN_HELP)
@with_appcontext
def create_staff(facility_id: str, email: str, from_stdin: bool) -> None:
    """Make a provider staff account tied to the provider FACILITY (an id of the registry)."""
    from app.extensions.registry import get_index

    if facility_id not in get_index().by_id:
        raise click.ClickException(f"no facility with id {facility_id!r} in the registry; the staff account "
                                   "must be tied to a provider the service lists")
    _create(email, "provider_staff", facility_id, from_stdin)


@accounts_group.command("create-admin")
@click.option("--email", required=True, help="The admin's e-mail (they sign in with it).")
@click.option("--password-stdin", "from_stdin", is_flag=True, help=_STDIN_HELP)
@with_appcontext
def create_admin(email: str, from_stdin: bool) -> None:
    """Make an admin account (every permission of the admin role in app/reference/roles.json)."""
    _create(email, "admin", None, from_stdin)


@accounts_group.command("disable")
@click.option("--email", required=True, help="The account's e-mail.")
@with_appcontext
def disable(email: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions end on every server."""
    import sqlalchemy as sa

    from app.care.accounts import InvalidEmail, normalise_email
    from app.db.engine import users
    from app.pages import account_sessions as people

    try:
        address = normalise_email(email)
    except InvalidEmail as exc:
        raise click.ClickException(str(exc)) from None
    store = people.sessions()
    try:
        with store.engine.begin() as conn:
            user_id = conn.execute(sa.select(users.c.id).where(users.c.email == address)).scalar()
            if user_id is None:
                raise click.ClickException(f"no account with the e-mail {address}")
            conn.execute(users.update().where(users.c.id == user_id, users.c.disabled_at.is_(None))
                         .values(disabled_at=store.now()))
        ended = store.end_all(user_id, "disabled")
    except DBAPIError as exc:
        raise click.ClickException(f"the database cannot be reached ({type(exc.orig).__name__})") from None
    click.echo(f"account {user_id} disabled; {ended} session(s) ended")
