"""``flask demo accounts``: try the whole care cycle on the demo in minutes.

Only when the synthetic demo registry is served (a real registry gets no made-up accounts):
makes (or gives a new password to) a guardian with the consents given and two children, 지우
aged four (언제나 어린이집, 6-83 months) and 서준 aged eight (초등 시설형 긴급돌봄, 72-155 months),
and provider staff for the 언제나 어린이집 and the 지역아동센터 or 다함께돌봄센터 nearest
수원시청 that can take them: open, taking the child's age, open every evening of the next
week from 19:00 to 21:00 (the README's window: tomorrow 19:00-21:00) and reporting a free
place (else reporting none: the demo then publishes 3). Their next seven days are published as
bookable slots from their opening hours. Run again, it cancels the guardian's bookings and
requests left from earlier runs (:func:`clean_slate`), so the README's walk starts clean.
Prints the children, what it cancelled, which provider is where (its distance from 수원시청),
how to sign in and what to try. Passwords are random, made anew on
every run, printed once and never logged.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from app.search.model import Facility

GUARDIAN_EMAIL = "parent@demo.dolbom.kr"
SUWON_CITY_HALL = (127.0286, 37.2636)  # lon, lat
SLOT_DAYS = 7
EVENING = (time(19, 0), time(21, 0))  # the README's window, on any of the next SLOT_DAYS - 1 days
UNREPORTED_PLACES = 3  # places the demo publishes for a provider that reports none


@dataclass(frozen=True)
class DemoChild:
    given_name: str
    years: int
    programme: str  # the programme the README books for this child
    staff_email: str


# The guardian's children, one for each bookable programme (ages from programmes.json).
CHILDREN = (DemoChild("지우", 4, "always_daycare", "daycare@demo.dolbom.kr"),
            DemoChild("서준", 8, "elementary_emergency", "centre@demo.dolbom.kr"))


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


def birth_date_for(years: int, today: date) -> date:
    """The first of the month ``years`` years and three months before ``today``'s month: the
    child is ``years`` years old (and three months) today and for the next nine months."""
    months = (today.year - years) * 12 + today.month - 1 - 3
    return date(months // 12, months % 12 + 1, 1)


def distance_m(facility: Facility) -> float:
    """Great-circle metres from 수원시청 (the README's home)."""
    lon0, lat0 = (math.radians(v) for v in SUWON_CITY_HALL)
    lon, lat = math.radians(facility.lon), math.radians(facility.lat)
    h = math.sin((lat - lat0) / 2) ** 2 + math.cos(lat0) * math.cos(lat) * math.sin((lon - lon0) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def evenings(today: date, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """The README's window (:data:`EVENING`) on each day from tomorrow to the last published one."""
    return [(datetime.combine(today + timedelta(days=n), EVENING[0], tz),
             datetime.combine(today + timedelta(days=n), EVENING[1], tz)) for n in range(1, SLOT_DAYS)]


def pick_provider(programme: str, age_months: int) -> Facility:
    """The provider nearest 수원시청 where the README's booking goes through: it runs
    ``programme`` (:func:`app.care.rules.check_provider`: kind, 시군, open, the child's age),
    is open every evening of :func:`evenings`, and reports a free place in the programme (the
    map shows it available), else reports nothing (the demo then publishes its own number)."""
    from app.care.rules import NotEligible, booking_rule, check_provider
    from app.extensions.registry import get_index

    index = get_index()
    locale = index.locale
    rule = booking_rule(programme)
    windows = evenings(locale.now().date(), locale.tz)

    def fits(f: Facility) -> bool:
        try:
            check_provider(rule, f, age_months)
        except NotEligible:
            return False
        hours = f.hours
        return hours is not None and all(hours.is_open_for(s, e, locale.is_holiday, tz=locale.tz)
                                         for s, e in windows)

    offering = [f for f in index.by_id.values() if programme in f.programmes and fits(f)]
    with_places = [f for f in offering if f.vacancies.get(programme, 0) > 0]
    unreported = [f for f in offering if programme not in f.vacancies]
    pool = with_places or unreported
    if not pool:
        raise click.ClickException(f"the demo registry has no provider running {programme} for a child of "
                                   f"{age_months} months, open {EVENING[0]:%H:%M}-{EVENING[1]:%H:%M} every "
                                   "evening, with a place")
    return min(pool, key=distance_m)


def _ensure_children(guardian_id: str, today: date, now: datetime) -> dict[str, tuple[str, int]]:
    """The guardian's demo children, registered when missing (by given name): given name ->
    (programme, age in months today)."""
    from app.care.rules import age_in_months
    from app.extensions.care import get_children

    children = get_children()
    have = {c.given_name: c for c in children.list_for_guardian(guardian_id)}
    out = {}
    for child in CHILDREN:
        known = have.get(child.given_name)
        if known is None:
            known = children.register(
                guardian_id, given_name=child.given_name, family_name="김",
                birth_date=birth_date_for(child.years, today), relation="mother",
                emergency_contact_name="김하늘", emergency_contact_phone="010-0000-0000",
                care_notes="견과류 알레르기 (demo)" if child.years < 6 else "천식 흡입기 지참 (demo)", now=now)
        out[child.given_name] = (child.programme, age_in_months(known.birth_date, today))
    return out


CLEAN_REASON = "demo accounts made again: the demo guardian starts clean"


def clean_slate(guardian_id: str, names: dict[str, str], now: datetime, tz: tzinfo) -> list[str]:
    """Cancel, as the guardian, the demo guardian's emergency requests still open and bookings
    still live from earlier runs (a second run would otherwise keep a child booked twice at one
    time, and the README's bookings would be refused as duplicates); each cancel is recorded
    (who, when, why) and its place given back. ``names``: child id -> given name. Returns one
    line per booking or request cancelled, or left because it cannot be cancelled (care under
    way), for the command to print; nothing about the child beyond the first name."""
    from app.care.matching import MatchingEngine
    from app.care.states import BOOKING, CARE_REQUEST
    from app.domain import DomainError
    from app.extensions.care import get_bookings
    from app.extensions.db import get_engine

    def when(start: datetime, end: datetime) -> str:
        return f"{start.astimezone(tz):%Y-%m-%d %H:%M}-{end.astimezone(tz):%H:%M}"

    lines = []
    matching = MatchingEngine(get_engine(), None)
    for r in matching.of_guardian(guardian_id):
        if CARE_REQUEST.state(r.status).final:
            continue
        what = f"emergency request for {names.get(r.child_id, '?')}, {r.programme}, {when(r.start, r.end)} ({r.status})"
        try:
            matching.cancel(r.id, "guardian", guardian_id, now, reason=CLEAN_REASON)
        except DomainError as exc:
            lines.append(f"  left {what}: {exc}")
            continue
        lines.append(f"  cancelled {what}")
    bookings = get_bookings()
    for b in bookings.find(guardian_id=guardian_id):
        if b.status not in BOOKING.holding_states():
            continue
        what = f"booking of {names.get(b.child_id, '?')} at {b.facility_id}, {when(b.start, b.end)} ({b.status})"
        try:
            bookings.transition(b.id, "cancel", "guardian", guardian_id, reason=CLEAN_REASON, now=now, tz=tz)
        except DomainError as exc:
            lines.append(f"  left {what}: {exc}")
            continue
        lines.append(f"  cancelled {what}")
    return lines


SIGN_IN_PATH = "/account/sign-in"


def sign_in_address(base_url: str | None) -> str:
    """Where to sign in, as the command prints it: the path on the address ``serve`` printed
    (the README's walk; the command cannot know the port ``serve --port`` was given), and,
    when ``NOTIFY_PUBLIC_BASE_URL`` is set, that public address labelled as the one e-mailed
    links use (tester pass 26: it alone was printed, though the walk runs on serve's)."""
    served = f"{SIGN_IN_PATH} on the address `python3 manage.py serve` printed (Running on http://…)"
    if base_url:
        return (f"{served}; the public address e-mailed links use (NOTIFY_PUBLIC_BASE_URL) is "
                f"{base_url.rstrip('/')}{SIGN_IN_PATH}")
    return served


@demo_group.command("accounts")
@with_appcontext
def demo_accounts() -> None:
    """Make the demo's guardian and provider-staff accounts and publish the providers' places."""
    from app.care.children import consent_purposes, consent_version
    from app.care.slots import derive_slots
    from app.extensions.care import get_bookings, get_children
    from app.extensions.registry import get_registry

    registry = get_registry()
    if not registry.synthetic:
        raise click.ClickException("the served registry is not the synthetic demo: demo accounts are made only "
                                   "for the demo (serve it with the default REGISTRY_PATH)")
    now = datetime.now(UTC)
    locale = registry.locale
    today = locale.now().date()
    children = get_children()
    guardian_id, guardian_password = _account(GUARDIAN_EMAIL, "guardian", None)
    for purpose in consent_purposes():
        children.give_consent(guardian_id, purpose, consent_version(purpose), now)
    kids = _ensure_children(guardian_id, today, now)
    names = {c.id: c.given_name for c in children.list_for_guardian(guardian_id)}
    cleaned = clean_slate(guardian_id, names, now, locale.tz)
    made = [DemoAccount(GUARDIAN_EMAIL, guardian_password, "guardian (보호자) of " + ", ".join(
        f"{name} ({months // 12} years {months % 12} months)" for name, (_, months) in kids.items()))]
    where = []
    for child in CHILDREN:
        programme, months = kids[child.given_name]
        facility = pick_provider(programme, months)
        places = None if programme in facility.vacancies else UNREPORTED_PLACES
        _, password = _account(child.staff_email, "provider_staff", facility.id)
        planned = derive_slots(facility, programme, today, SLOT_DAYS, locale.tz, locale.is_holiday, places=places)
        get_bookings().publish_missing(facility.id, programme, [(s.start, s.end, s.places) for s in planned])
        made.append(DemoAccount(child.staff_email, password,
                                f"provider staff of {facility.name} ({facility.id}, {programme})"))
        where.append(f"  {child.given_name} -> {facility.name} ({facility.id}): {programme}, "
                     f"{facility.sigungu or facility.address or ''}, {distance_m(facility) / 1000:.1f} km from "
                     f"수원시청; {places if places is not None else facility.vacancies[programme]} places an hour "
                     f"from {today} to {today + timedelta(days=SLOT_DAYS - 1)}")
    tomorrow = today + timedelta(days=1)
    click.echo("Demo accounts (synthetic registry; new passwords on every run):")
    for account in made:
        click.echo(f"  {account.email}  password {account.password}  — {account.what}")
    click.echo(f"The guardian's earlier bookings and requests ({len(cleaned)}):" if cleaned
               else "The guardian has no earlier booking or request to cancel.")
    for line in cleaned:
        click.echo(line)
    click.echo("Where each child can be booked:")
    for line in where:
        click.echo(line)
    sign_in = sign_in_address(current_app.config.get("NOTIFY_PUBLIC_BASE_URL"))
    click.echo(f"Sign in at {sign_in} (a second browser or a private window for the staff), then (README: "
               f"the care cycle): the parent sets home at 수원시청, picks the programme and 직접 입력 {tomorrow} "
               f"{EVENING[0]:%H:%M}-{EVENING[1]:%H:%M} and books each child; the "
               f"언제나 어린이집 confirms at once, the centre's staff accept at /provider/inbox. Same-day "
               f"언제나 어린이집 bookings close at 15:00: for tonight, send an emergency request.")
