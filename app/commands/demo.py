"""``flask demo accounts``: try the whole care cycle on the demo in minutes.

Only when the synthetic demo registry is served (a real registry gets no made-up accounts):
makes (or gives a new password to) a guardian with the consents given and one child aged four,
and provider staff for a 언제나 어린이집 and a 지역아동센터 near 수원시청, whose next seven days are
published as bookable slots from their opening hours; prints how to sign in and what to try.
Passwords are random, made anew on every run, printed once and never logged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

import click
from flask import Flask
from flask.cli import with_appcontext

GUARDIAN_EMAIL = "parent@demo.dolbom.kr"
SUWON_CITY_HALL = (127.0286, 37.2636)  # lon, lat
SLOT_DAYS = 7


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    what: str


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_group)


@click.group("demo")
def demo_group() -> None:
    """The demo: accounts to try the care cycle with (synthetic registry only)."""


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def _account(email: str, role: str, facility_id: str | None) -> tuple[str, str]:
    """(user id, password): made, or an existing account given a new password through a reset link."""
    from app.care.accounts import EmailTaken
    from app.pages import account_sessions as people

    store = people.accounts()
    password = _password()
    try:
        return store.sign_up(email, password, role=role, facility_id=facility_id).id, password
    except EmailTaken:
        issued = store.issue_reset(email)
        assert issued is not None
        token, _ = issued
        user = store.reset_password(token, password)
        store.grant(user.id, role, facility_id)  # the demo's provider may have changed since
        return user.id, password


def _nearest(programme: str) -> str:
    from app.extensions.registry import get_index

    index = get_index()
    lon0, lat0 = SUWON_CITY_HALL
    offering = [f for f in index.by_id.values() if programme in f.programmes and f.hours is not None
                and f.is_open_status]
    if not offering:
        raise click.ClickException(f"the demo registry has no provider running {programme}")
    # The nearest that reports a free place in the programme (the map shows it as available),
    # else the nearest that reports nothing (its places are then the demo's own number).
    with_places = [f for f in offering if f.vacancies.get(programme, 0) > 0]
    unreported = [f for f in offering if programme not in f.vacancies]
    pool = with_places or unreported or offering
    return min(pool, key=lambda f: ((f.lon - lon0) * 0.8) ** 2 + (f.lat - lat0) ** 2).id


@demo_group.command("accounts")
@with_appcontext
def demo_accounts() -> None:
    """Make the demo's guardian and provider-staff accounts and publish the providers' places."""
    from app.care.children import consent_purposes, consent_version
    from app.care.slots import derive_slots
    from app.extensions.care import get_bookings, get_children
    from app.extensions.registry import get_index, get_registry

    registry = get_registry()
    if not registry.synthetic:
        raise click.ClickException("the served registry is not the synthetic demo: demo accounts are made only "
                                   "for the demo (serve it with the default REGISTRY_PATH)")
    now = datetime.now(UTC)
    children = get_children()
    guardian_id, guardian_password = _account(GUARDIAN_EMAIL, "guardian", None)
    for purpose in consent_purposes():
        children.give_consent(guardian_id, purpose, consent_version(purpose), now)
    if not children.list_for_guardian(guardian_id):
        today = registry.locale.now().date()
        children.register(guardian_id, given_name="지우", family_name="김",
                          birth_date=date(today.year - 4, 3, 15), relation="mother",
                          emergency_contact_name="김하늘", emergency_contact_phone="010-0000-0000",
                          care_notes="견과류 알레르기 (demo)", now=now)
    made = [DemoAccount(GUARDIAN_EMAIL, guardian_password, "guardian (보호자) with a child aged 4")]
    locale = registry.locale
    for programme, email in (("always_daycare", "daycare@demo.dolbom.kr"),
                             ("elementary_emergency", "centre@demo.dolbom.kr")):
        facility_id = _nearest(programme)
        facility = get_index().by_id[facility_id]
        _, password = _account(email, "provider_staff", facility_id)
        planned = derive_slots(facility, programme, locale.now().date(), SLOT_DAYS, locale.tz, locale.is_holiday,
                               places=None if programme in facility.vacancies else 3)
        get_bookings().publish_missing(facility_id, programme, [(s.start, s.end, s.places) for s in planned])
        made.append(DemoAccount(email, password, f"provider staff of {facility.name} ({facility_id}, {programme})"))
    click.echo("Demo accounts (synthetic registry; new passwords on every run):")
    for account in made:
        click.echo(f"  {account.email}  password {account.password}  — {account.what}")
    click.echo("Sign in at http://127.0.0.1:5000/account/sign-in (a second browser or a private window for the "
               "staff), then: the parent finds care near 수원시청 tonight on the map and books; the staff open "
               "/provider/inbox to confirm, check in and check out (README: the care cycle).")
