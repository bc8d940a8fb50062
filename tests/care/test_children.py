"""Children, consent and family-data privacy (app.care.children) on SQLite and PostgreSQL: sealed
care notes and key rotation, consent before storing, own children only, staff reads through a
booking (each logged, append-only), the family's export and deletion, the retention purge with a
moved clock. Every expected figure is worked out by hand in the test."""

from __future__ import annotations

import glob
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.care import children as children_module
from app.care.accounts import AccountStore
from app.care.bookings import BookingStore
from app.care.children import (
    CARE_NOTES,
    CHILD_REGISTRATION,
    SHARE_WITH_PROVIDER,
    ChildError,
    ChildNotFound,
    ChildProblems,
    ChildStore,
    ConsentInUse,
    ConsentOutdated,
    ConsentRequired,
    ConsentWithdrawn,
    FamilyBusy,
    FamilyNotFound,
    FamilyPart,
    consent_version,
)
from app.care.matching import MatchingEngine, MatchSettings
from app.care.notify.messages import render
from app.care.sealing import CareNotesKeyError, Sealer
from app.db.children_tables import child_access_log, children
from app.db.engine import booking_capacity, make_engine, outbox, upgrade
from tests.live.servers import reset_postgres, skip_without_postgres

from . import matching_data

# Two fixed Fernet keys (URL-safe base64 of bytes 0..31 and 32..63), so a failure reproduces.
KEY_1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
KEY_2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
NOTES = "땅콩 알레르기 (에피펜 가방 안)"  # peanut allergy, EpiPen in the bag


def _fresh_postgres(url: str) -> None:
    """Empty every table of a migrated test database, or migrate it when another test module
    dropped the schema."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            ready = conn.execute(sa.text("SELECT to_regclass('public.child_access_log') IS NOT NULL")).scalar()
        if not ready:
            reset_postgres(url)
            upgrade(url)
            return
        with engine.begin() as conn:
            names = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
                                         "tablename NOT IN ('spatial_ref_sys', 'alembic_version')")).scalars().all()
            # Triggers (the append-only guards, foreign keys) off for this transaction only: a
            # DELETE per table is far quicker than TRUNCATE on a test's few rows.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for name in names:
                conn.execute(sa.text(f'DELETE FROM "{name}"'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("children-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path, sqlite_template: str, postgres_db) -> Iterator[sa.Engine]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "children.sqlite3"
        for part in glob.glob(sqlite_template + "*"):
            if not part.endswith(".lock"):
                shutil.copy(part, str(target) + part[len(sqlite_template):])
        url = f"sqlite:///{target}"
    else:
        if postgres_db is None:
            skip_without_postgres()
        url = postgres_db
        _fresh_postgres(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    if request.param == "sqlite":
        for part in glob.glob(str(tmp_path / "children.sqlite3") + "*"):
            os.remove(part)


@pytest.fixture
def accounts(engine: sa.Engine) -> AccountStore:
    return AccountStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16,
                                                      salt_len=8))


@pytest.fixture
def store(engine: sa.Engine) -> ChildStore:
    return ChildStore(engine, Sealer([KEY_1]))


@pytest.fixture
def bookings(store: ChildStore) -> BookingStore:
    return store.booking_store


@dataclass
class Family:
    guardian_id: str
    email: str
    child_id: str


def child_fields(**changes: object) -> dict[str, object]:
    """민서 김, born 2024-06-01, the mother registering, the father as emergency contact."""
    fields: dict[str, object] = {"given_name": "민서", "family_name": "김", "birth_date": "2024-06-01",
                                 "relation": "mother", "emergency_contact_name": "김철수",
                                 "emergency_contact_phone": "+82 10 1234 5678", "care_notes": NOTES}
    fields.update(changes)
    return fields


def make_family(accounts: AccountStore, store: ChildStore, email: str, now: datetime = T0,
                purposes: tuple[str, ...] = (CHILD_REGISTRATION, CARE_NOTES, SHARE_WITH_PROVIDER),
                **changes: object) -> Family:
    """A guardian who gave ``purposes`` and registered one child (fields: :func:`child_fields`)."""
    user = accounts.sign_up(email, PASSWORD, now=now)
    for purpose in purposes:
        store.give_consent(user.id, purpose, consent_version(purpose), now)
    child = store.register(user.id, **child_fields(**changes), now=now)  # type: ignore[arg-type]
    return Family(user.id, user.email, child.id)


def count(engine: sa.Engine, table: str, where: str = "", **params: object) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}"), params).scalar_one()


F1, F2, PROG = "F1", "F2", "always_daycare"
# 2026-11-30 15:30 UTC is 2026-12-01 00:30 in Seoul: the booking's date is 1 December.
SLOT = (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), datetime(2026, 11, 30, 21, 0, tzinfo=UTC))
WINDOW = (datetime(2026, 11, 30, 15, 30, tzinfo=UTC), datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
VERSION = "2026-12-01"


def book(bookings, child_id: str, guardian_id: str, facility: str = F1, places: int = 1,
         window: tuple[datetime, datetime] = WINDOW, now: datetime = T0, first_name: str | None = None):
    """Publish ``places`` in a slot from 30 minutes before the window to 5½ hours after its
    start, and book the window for the child."""
    bookings.publish_slot(facility, PROG, window[0] - timedelta(minutes=30), window[0] + timedelta(hours=5, minutes=30),
                          places)
    return bookings.book(facility, PROG, child_id, window[0], window[1], None, actor_id=guardian_id, now=now,
                         guardian_id=guardian_id, first_name=first_name)


def held(engine, facility: str = F1) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(booking_capacity.c.held).where(booking_capacity.c.facility_id == facility)
                                 .order_by(booking_capacity.c.slot_start)).scalars())


def log_rows(engine) -> list[tuple]:
    cal = child_access_log
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(cal.c.actor_id, cal.c.actor_role, cal.c.facility_id,
                                                         cal.c.child_id, cal.c.booking_id, cal.c.purpose,
                                                         cal.c.outcome).order_by(cal.c.id))]


# -- registering, consent ------------------------------------------------------------------------

def test_register_and_read_back(accounts, store):
    fam = make_family(accounts, store, "mom@example.com")
    child = store.get(fam.guardian_id, fam.child_id)
    assert (child.given_name, child.family_name, child.birth_date, child.relation) == ("민서", "김", date(2024, 6, 1),
                                                                                       "mother")
    assert (child.emergency_contact_name, child.emergency_contact_phone) == ("김철수", "010-1234-5678")
    assert child.care_notes == NOTES
    assert [c.id for c in store.list_for_guardian(fam.guardian_id)] == [fam.child_id]
    assert fam.child_id in repr(child) and "민서" not in repr(child) and NOTES not in repr(child)
    changed = store.update(fam.guardian_id, fam.child_id, {"care_notes": "", "given_name": " 서윤 "},
                           T0 + timedelta(days=1))
    assert (changed.given_name, changed.care_notes) == ("서윤", None)
    assert changed.updated_at == T0 + timedelta(days=1)


def test_care_notes_are_not_stored_in_plaintext(accounts, store, engine):
    fam = make_family(accounts, store, "mom@example.com")
    with engine.connect() as conn:
        raw = conn.execute(sa.select(children.c.care_notes).where(children.c.id == fam.child_id)).scalar_one()
    assert "땅콩" not in raw and "EpiPen" not in raw and "에피펜" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token: version byte 0x80, then the time
    assert Sealer([KEY_1]).open(raw) == NOTES
    with pytest.raises(CareNotesKeyError, match="CARE_NOTES_KEYS"):
        Sealer([KEY_2]).open(raw)


def test_rotation_keeps_old_notes_readable_then_lets_the_old_key_go(accounts, store, engine):
    fam = make_family(accounts, store, "mom@example.com")
    rotated_store = ChildStore(engine, Sealer([KEY_2, KEY_1]))  # new key first, old one kept
    assert rotated_store.get(fam.guardian_id, fam.child_id).care_notes == NOTES
    assert rotated_store.rotate_care_notes() == 1
    assert rotated_store.rotate_care_notes() == 0  # all sealed with the first key now
    only_new = ChildStore(engine, Sealer([KEY_2]))
    assert only_new.get(fam.guardian_id, fam.child_id).care_notes == NOTES
    with pytest.raises(CareNotesKeyError, match="CARE_NOTES_KEYS") as caught:
        store.get(fam.guardian_id, fam.child_id)  # the old key alone no longer opens it
    assert NOTES not in str(caught.value) and KEY_1 not in str(caught.value)


def test_no_consent_is_refused_and_nothing_is_stored(accounts, store, engine):
    user = accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    with pytest.raises(ConsentRequired, match=f"'child_registration', version {VERSION}") as caught:
        store.register(user.id, **child_fields(care_notes=None), now=T0)
    assert caught.value.http_status == 409 and caught.value.extra == {"purpose": CHILD_REGISTRATION,
                                                                      "version": VERSION}
    # both consents missing: both named at once (tester pass 28, section 6)
    with pytest.raises(ChildProblems, match=f"'child_registration', version {VERSION}.*'care_notes'") as both:
        store.register(user.id, **child_fields(), now=T0)
    assert (both.value.http_status, both.value.code) == (409, "consent_required")
    assert [e["purpose"] for e in both.value.extra["errors"]] == [CHILD_REGISTRATION, CARE_NOTES]
    store.give_consent(user.id, CHILD_REGISTRATION, VERSION, T0)
    with pytest.raises(ConsentRequired, match=r"storing care notes needs .*'care_notes'"):
        store.register(user.id, **child_fields(), now=T0)
    assert count(engine, "children") == 0
    child = store.register(user.id, **child_fields(care_notes=None), now=T0)  # no notes: no care_notes consent
    assert child.care_notes is None and count(engine, "children") == 1


def test_consent_versions_and_withdrawal(accounts, store, engine):
    user = accounts.sign_up("mom@example.com", PASSWORD, now=T0)
    with pytest.raises(ConsentOutdated, match=f"version {VERSION}, not '2020-01-01'"):
        store.give_consent(user.id, CHILD_REGISTRATION, "2020-01-01", T0)
    with pytest.raises(ChildError, match="unknown consent purpose 'marketing': one of care_notes, "
                                         "child_registration, share_with_provider"):
        store.give_consent(user.id, "marketing", VERSION, T0)
    first = store.give_consent(user.id, CHILD_REGISTRATION, VERSION, T0)
    assert store.give_consent(user.id, CHILD_REGISTRATION, VERSION, T0 + timedelta(hours=1)) == first  # once
    fam = make_family(accounts, store, "dad@example.com")
    with pytest.raises(ConsentInUse, match="delete the children"):
        store.withdraw_consent(fam.guardian_id, CHILD_REGISTRATION, T0)
    assert store.withdraw_consent(fam.guardian_id, CARE_NOTES, T0 + timedelta(days=1)) == 1
    assert store.get(fam.guardian_id, fam.child_id).care_notes is None  # withdrawn: the notes are deleted
    assert count(engine, "children", "WHERE care_notes IS NOT NULL") == 0
    assert {(c.purpose, c.current) for c in store.consents(fam.guardian_id)} == {
        (CHILD_REGISTRATION, True), (CARE_NOTES, False), (SHARE_WITH_PROVIDER, True)}
    with pytest.raises(ConsentRequired, match="care_notes"):
        store.update(fam.guardian_id, fam.child_id, {"care_notes": NOTES}, T0 + timedelta(days=2))


def test_a_new_consent_text_asks_again(accounts, store, monkeypatch):
    fam = make_family(accounts, store, "mom@example.com")
    purposes = json.loads(json.dumps(children_module.consent_purposes()))
    purposes[CHILD_REGISTRATION]["version"] = "2027-01-01"
    monkeypatch.setattr(children_module, "consent_purposes", lambda: purposes)
    assert not store.has_consent(fam.guardian_id, CHILD_REGISTRATION)
    with pytest.raises(ConsentRequired, match="version 2027-01-01"):
        store.update(fam.guardian_id, fam.child_id, {"given_name": "서윤"}, T0)


def test_another_guardians_child_is_not_found(accounts, store):
    mine = make_family(accounts, store, "mom@example.com")
    other = make_family(accounts, store, "other@example.com")
    for call in (lambda: store.get(other.guardian_id, mine.child_id),
                 lambda: store.update(other.guardian_id, mine.child_id, {"given_name": "X"}, T0),
                 lambda: store.delete(other.guardian_id, mine.child_id, T0),
                 lambda: store.get(mine.guardian_id, "no-such-child")):
        with pytest.raises(ChildNotFound) as caught:
            call()
        assert caught.value.http_status == 404
    assert store.get(mine.guardian_id, mine.child_id).given_name == "민서"
    assert [c.id for c in store.list_for_guardian(other.guardian_id)] == [other.child_id]


# -- staff and admin reads -----------------------------------------------------------------------

def test_staff_read_gives_only_what_the_booking_needs_and_is_logged(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    seen = store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0)
    # Born 2024-06-01; the booking's date in Seoul is 2026-12-01: 2 years 6 months = 30 months
    # (its UTC date, 2026-11-30, would give 29).
    assert seen.as_dict() == {"child_id": fam.child_id, "booking_id": booking.id, "first_name": "민서",
                              "age_months": 30, "care_notes": NOTES,
                              "emergency_contact": {"name": "김철수", "phone": "010-1234-5678"}}
    assert "김" not in (seen.first_name, str(seen.age_months))  # no family name
    store.read_for_booking(fam.child_id, staff, booking.id, "emergency_contact", T0 + timedelta(minutes=5))
    assert log_rows(engine) == [
        (staff.id, "provider_staff", F1, fam.child_id, booking.id, "booking_care", "granted"),
        (staff.id, "provider_staff", F1, fam.child_id, booking.id, "emergency_contact", "granted")]


def test_staff_of_another_provider_gets_not_found_and_no_granted_read(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    other_fam = make_family(accounts, store, "other@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    other_booking = book(bookings, other_fam.child_id, other_fam.guardian_id, places=2)
    stranger = accounts.sign_up("staff2@example.com", PASSWORD, role="provider_staff", facility_id=F2, now=T0)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    guardian = accounts.get(fam.guardian_id)
    denied = [(stranger, fam.child_id, booking.id),  # another provider
              (staff, fam.child_id, other_booking.id),  # a booking of another child
              (staff, "no-such-child", booking.id),
              (guardian, fam.child_id, booking.id)]  # a guardian is no staff
    for user, child_id, booking_id in denied:
        with pytest.raises(ChildNotFound, match="no child"):
            store.read_for_booking(child_id, user, booking_id, "booking_care", T0)
    rows = log_rows(engine)
    assert [r[-1] for r in rows] == ["denied"] * 4
    assert rows[0] == (stranger.id, "provider_staff", F2, fam.child_id, booking.id, "booking_care", "denied")
    assert rows[3] == (guardian.id, "guardian", None, fam.child_id, booking.id, "booking_care", "denied")
    with pytest.raises(ChildError, match="purpose must be one of booking_care, emergency_contact for "
                                         "provider_staff, not 'curiosity'"):
        store.read_for_booking(fam.child_id, staff, booking.id, "curiosity", T0)
    assert len(log_rows(engine)) == 4  # a refused purpose reads nothing


def test_staff_read_needs_the_share_consent_and_a_live_booking(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0)
    store.withdraw_consent(fam.guardian_id, SHARE_WITH_PROVIDER, T0 + timedelta(minutes=1))
    with pytest.raises(ConsentWithdrawn):  # the staff see the booking: told why, not "no child"
        store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0 + timedelta(minutes=2))
    store.give_consent(fam.guardian_id, SHARE_WITH_PROVIDER, VERSION, T0 + timedelta(minutes=3))
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0 + timedelta(minutes=4))
    # the family cancels before the booking's start (its cutoff; WINDOW starts before T0)
    bookings.transition(booking.id, "cancel", "guardian", fam.guardian_id, now=WINDOW[0] - timedelta(minutes=5))
    with pytest.raises(ChildNotFound):  # a cancelled booking needs no child data
        store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0 + timedelta(minutes=6))
    assert [r[-1] for r in log_rows(engine)] == ["granted", "denied", "granted", "denied"]


def _outbox_rows(engine, topic: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r.payload) for r in conn.execute(sa.select(outbox.c.payload).where(outbox.c.topic == topic)
                                                       .order_by(outbox.c.id))]


def test_a_withdrawal_tells_the_provider_of_each_live_booking_and_which_child(accounts, store,
                                                                             bookings, engine):
    """share_with_provider withdrawn: the staff of each live booking get one message naming the
    booking (programme, window, reference; tester 26, finding 9: staff must know which booking),
    not the child (tester 27, finding 8), in the withdrawal's transaction; a cancelled
    booking's provider is not told. care_notes withdrawn: only the bookings of a child who had
    notes (its provider is told the notes are gone); a withdrawal with nothing standing: none."""
    fam = make_family(accounts, store, "mom@example.com")
    live = book(bookings, fam.child_id, fam.guardian_id)
    later = (WINDOW[0] + timedelta(days=1), WINDOW[1] + timedelta(days=1))
    gone = book(bookings, fam.child_id, fam.guardian_id, facility=F2, window=later)
    bookings.transition(gone.id, "cancel", "guardian", fam.guardian_id, now=T0)
    no_notes = make_family(accounts, store, "dad@example.com", care_notes=None, given_name="도윤")
    book(bookings, no_notes.child_id, no_notes.guardian_id, facility=F2, window=later)

    assert store.withdraw_consent(fam.guardian_id, SHARE_WITH_PROVIDER, T0 + timedelta(minutes=1)) == 1
    [told] = _outbox_rows(engine, "booking.sharing_withdrawn")
    assert told["to"] == [{"facility_id": F1}] and told["booking_id"] == live.id
    assert told["bookings"][0]["window_start"] == WINDOW[0].isoformat() and told["programme"] == PROG
    # tester 27, finding 8: the notice says the staff can no longer see the child's name: it says none
    assert "first_name" not in told and "민서" not in json.dumps(told, ensure_ascii=False)
    assert fam.child_id not in json.dumps(told)
    for locale in ("ko", "en"):
        text = render("booking.sharing_withdrawn", told, locale, {F1: "햇살어린이집"}.get, audience="staff")
        assert "햇살어린이집" in text.body and "민서" not in text.body and "민서" not in text.title
        assert ("12월 1일" if locale == "ko" else "1 Dec 00:30") in text.body, text.body
    assert store.withdraw_consent(fam.guardian_id, SHARE_WITH_PROVIDER, T0 + timedelta(minutes=2)) == 0
    assert len(_outbox_rows(engine, "booking.sharing_withdrawn")) == 1  # nothing standing: nobody told again

    store.withdraw_consent(no_notes.guardian_id, CARE_NOTES, T0 + timedelta(minutes=3))
    assert _outbox_rows(engine, "booking.notes_withdrawn") == []  # no notes: nothing was lost
    store.withdraw_consent(fam.guardian_id, CARE_NOTES, T0 + timedelta(minutes=4))
    assert [m["booking_id"] for m in _outbox_rows(engine, "booking.notes_withdrawn")] == [live.id]


def test_the_access_log_is_append_only(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0)
    for statement in ("UPDATE child_access_log SET purpose = 'x'", "DELETE FROM child_access_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert len(log_rows(engine)) == 1


def test_admin_reads_are_logged(accounts, store, engine):
    fam = make_family(accounts, store, "mom@example.com")
    admin = accounts.sign_up("admin@example.com", PASSWORD, role="admin", now=T0)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    child = store.read_as_admin(fam.child_id, admin, "support_request", T0)
    assert (child.family_name, child.care_notes) == ("김", NOTES)
    with pytest.raises(ChildNotFound):
        store.read_as_admin(fam.child_id, staff, "support_request", T0)
    with pytest.raises(ChildError, match="purpose must be one of support_request, incident_review, "
                                         "unmatched_request for admin"):
        store.read_as_admin(fam.child_id, admin, "booking_care", T0)
    assert log_rows(engine) == [(admin.id, "admin", None, fam.child_id, None, "support_request", "granted"),
                                (staff.id, "provider_staff", F1, fam.child_id, None, "support_request", "denied")]


# -- export, deletion ----------------------------------------------------------------------------

def test_export_holds_everything_of_the_family_and_nothing_of_another(accounts, store, bookings):
    fam = make_family(accounts, store, "mom@example.com")
    other = make_family(accounts, store, "other@example.com", given_name="도윤", family_name="박",
                        emergency_contact_phone="031-123-4567", care_notes="우유 알레르기")
    booking = book(bookings, fam.child_id, fam.guardian_id, places=2)
    other_booking = bookings.book(F1, PROG, other.child_id, *WINDOW, None, actor_id=other.guardian_id, now=T0,
                                  guardian_id=other.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0 + timedelta(minutes=1))
    store.read_for_booking(other.child_id, staff, other_booking, "booking_care", T0 + timedelta(minutes=1))
    bookings.transition(booking.id, "confirm", "provider_staff", staff.id, now=T0 + timedelta(minutes=2))
    store.record_use(fam.guardian_id, T0 + timedelta(hours=1))

    export = store.export_family(fam.guardian_id, T0 + timedelta(days=1))
    text = json.dumps(export, ensure_ascii=False)  # JSON-able as it is
    assert export["account"]["email"] == "mom@example.com"
    assert export["account"]["roles"] == [{"role": "guardian", "facility_id": None}]
    assert export["activity"] == {"last_active_at": "2026-12-01T01:00:00+00:00"}
    [child] = export["children"]
    assert (child["given_name"], child["care_notes"], child["emergency_contact"]["phone"]) == (
        "민서", NOTES, "010-1234-5678")
    assert sorted(c["purpose"] for c in export["consents"]) == [CARE_NOTES, CHILD_REGISTRATION, SHARE_WITH_PROVIDER]
    [b] = export["bookings"]
    assert (b["id"], b["status"], [e["action"] for e in b["events"]]) == (booking.id, "accepted", ["book", "confirm"])
    assert [(e["child_id"], e["actor_id"], e["facility_id"], e["outcome"]) for e in export["access_log"]] == [
        (fam.child_id, staff.id, F1, "granted")]
    for foreign in (other.guardian_id, other.child_id, other_booking.id, "other@example.com", "도윤", "박",
                    "우유", "031-123-4567"):
        assert foreign not in text, foreign
    with pytest.raises(FamilyNotFound):
        store.export_family("no-such-guardian", T0)


def test_delete_family_gives_the_place_back_once_and_keeps_only_ids(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    other = make_family(accounts, store, "other@example.com")
    # The provider's booking.requested message names the child, as the outbox contract allows.
    booking = book(bookings, fam.child_id, fam.guardian_id, places=2, first_name="민서")
    bookings.book(F1, PROG, other.child_id, *WINDOW, None, actor_id=other.guardian_id, now=T0,
                  guardian_id=other.guardian_id, first_name="하준")
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0)
    assert held(engine) == [2]

    counts = store.delete_family(fam.guardian_id, T0 + timedelta(hours=1))
    # the provider's booking.requested (undelivered) is deleted; its cancellation is kept for the staff
    assert counts == {"bookings_cancelled": 1, "children": 1, "consents": 3, "accounts": 1, "messages_deleted": 1,
                      "messages_kept": 1, "care_requests": 0}
    assert held(engine) == [1]  # one place back; the other family's booking still holds its own
    assert bookings.get(booking.id).status == "cancelled"
    assert bookings.events(booking.id)[-1]["actor_role"] == "guardian"
    assert count(engine, "users", "WHERE id = :g", g=fam.guardian_id) == 0
    assert count(engine, "children", "WHERE guardian_id = :g", g=fam.guardian_id) == 0
    assert count(engine, "consents", "WHERE guardian_id = :g", g=fam.guardian_id) == 0
    assert count(engine, "user_roles", "WHERE user_id = :g", g=fam.guardian_id) == 0
    assert len(log_rows(engine)) == 1  # the read stays on record, as ids
    with engine.connect() as conn:
        payloads = json.dumps(list(conn.execute(sa.select(outbox.c.payload)).scalars()), ensure_ascii=False)
    assert "민서" not in payloads and "하준" in payloads  # the other family's message is untouched
    with pytest.raises(FamilyNotFound):
        store.export_family(fam.guardian_id, T0 + timedelta(hours=2))

    again = store.delete_family(fam.guardian_id, T0 + timedelta(hours=2))
    assert again == {"bookings_cancelled": 0, "children": 0, "consents": 0, "accounts": 0, "messages_deleted": 0,
                     "messages_kept": 0, "care_requests": 0}
    assert held(engine) == [1]  # not given back twice
    assert store.get(other.guardian_id, other.child_id).care_notes == NOTES


def test_a_booking_from_an_accepted_offer_is_exported_and_deleted_with_the_family(accounts, store, bookings,
                                                                                  engine):
    born = matching_data.BIRTH.isoformat()  # the birth date the requests give (checked under the child's lock)
    fam = make_family(accounts, store, "mom@example.com", birth_date=born)
    other = make_family(accounts, store, "other@example.com", birth_date=born)
    index = matching_data.index()
    matching = MatchingEngine(engine, lambda: index, MatchSettings(mode="top_n", batch=2),
                              first_name=store.first_name)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id="tc-1", now=T0)
    bookings.publish_slot("tc-1", matching_data.PROGRAMME, matching_data.START, matching_data.END, 2)
    made = []
    for family in (fam, other):
        r = matching.create(family.guardian_id, family.child_id, matching_data.PROGRAMME, matching_data.START,
                            matching_data.END, "home", matching_data.HOME, matching_data.BIRTH, matching_data.NOW)
        offer = next(o for o in matching.offers_of(r.id) if o.facility_id == "tc-1")
        made.append((r, matching.accept(offer.id, staff.id, matching_data.NOW + timedelta(minutes=1)).booking))
    (request, booking), (_, other_booking) = made
    assert held(engine, "tc-1") == [2]

    export = store.export_family(fam.guardian_id, matching_data.NOW + timedelta(hours=1))
    [b] = export["bookings"]
    assert (b["id"], b["status"], b["request_id"], b["facility_id"]) == (booking.id, "accepted", request.id, "tc-1")
    assert [(e["action"], e["actor_id"]) for e in b["events"]] == [("book", staff.id), ("confirm", staff.id)]
    [exported_request] = export["care_requests"]
    assert (exported_request["id"], exported_request["booking_id"]) == (request.id, booking.id)
    assert other_booking.id not in json.dumps(export)

    counts = store.delete_family(fam.guardian_id, matching_data.NOW + timedelta(hours=2))
    assert (counts["bookings_cancelled"], counts["care_requests"], counts["children"]) == (1, 1, 1)
    assert bookings.get(booking.id).status == "cancelled" and matching.get(request.id).status == "cancelled"
    assert bookings.get(other_booking.id).status == "accepted"
    assert held(engine, "tc-1") == [1]  # the deleted family's place given back, the other's held
    with engine.connect() as conn:
        payloads = [p for p in conn.execute(sa.select(outbox.c.payload)).scalars()
                    if p.get("request_id") == request.id or p.get("booking_id") == booking.id]
    assert payloads and all("first_name" not in p for p in payloads)


def test_delete_waits_while_care_is_under_way(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    bookings.transition(booking.id, "confirm", "provider_staff", staff.id, now=T0)
    bookings.transition(booking.id, "check_in", "provider_staff", staff.id, now=WINDOW[0])
    with pytest.raises(FamilyBusy, match=f"booking {booking.id} is under way \\(in-progress\\) until "
                                         "2026-11-30T17:30:00\\+00:00"):
        store.delete_family(fam.guardian_id, WINDOW[0] + timedelta(minutes=5))
    assert count(engine, "children") == 1 and count(engine, "users", "WHERE id = :g", g=fam.guardian_id) == 1


def test_deleting_one_child_cancels_its_bookings(accounts, store, bookings, engine):
    fam = make_family(accounts, store, "mom@example.com")
    book(bookings, fam.child_id, fam.guardian_id)
    assert held(engine) == [1]
    assert store.delete(fam.guardian_id, fam.child_id, T0 + timedelta(hours=1)) == 1
    assert held(engine) == [0] and store.list_for_guardian(fam.guardian_id) == []
    assert count(engine, "users", "WHERE id = :g", g=fam.guardian_id) == 1  # the account stays


def test_a_registered_family_part_is_exported_and_erased(accounts, store, monkeypatch):
    erased: list[tuple[str, tuple[str, ...]]] = []
    part = FamilyPart("care_requests", export=lambda conn, family: [{"children": list(family.child_ids)}],
                      erase=lambda conn, family, now: erased.append((family.guardian_id, family.child_ids)) or 2)
    monkeypatch.setattr(children_module, "_PARTS", {})
    monkeypatch.setattr(children_module, "CORE_PART_MODULES", ())
    children_module.register_family_part(part)
    with pytest.raises(ValueError, match="'care_requests' exists already"):
        children_module.register_family_part(part)
    with pytest.raises(ValueError, match="'children' exists already"):
        children_module.register_family_part(FamilyPart("children", part.export, part.erase))
    fam = make_family(accounts, store, "mom@example.com")
    assert store.export_family(fam.guardian_id, T0)["care_requests"] == [{"children": [fam.child_id]}]
    assert store.delete_family(fam.guardian_id, T0)["care_requests"] == 2
    assert erased == [(fam.guardian_id, (fam.child_id,))]


# -- retention -----------------------------------------------------------------------------------

def test_purge_with_a_moved_clock(accounts, store, bookings, engine):
    """Retention 365 days. Family "old" was last seen at T0; "recent" signed in on day 300;
    "booked" was last seen at T0 but has a booking on day 400. Staff accounts are no family."""
    old = make_family(accounts, store, "old@example.com")
    recent = make_family(accounts, store, "recent@example.com")
    booked = make_family(accounts, store, "booked@example.com")
    day400 = (WINDOW[0] + timedelta(days=400), WINDOW[1] + timedelta(days=400))
    booking = book(bookings, booked.child_id, booked.guardian_id, window=day400)
    store.record_use(recent.guardian_id, T0 + timedelta(days=300))
    store.record_use(recent.guardian_id, T0 + timedelta(days=10))  # never moves the clock back
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)

    # Day 365: "old" has been idle exactly the period, not longer: nothing goes.
    assert store.purge_inactive(T0 + timedelta(days=365), 365) == {"families": 0, "kept": 3, "busy": 0}
    result = store.purge_inactive(T0 + timedelta(days=366), 365)
    assert result == {"families": 1, "kept": 2, "busy": 0, "bookings_cancelled": 0, "children": 1,
                      "consents": 3, "accounts": 1, "messages_deleted": 0, "messages_kept": 0, "care_requests": 0}
    assert count(engine, "users", "WHERE id = :g", g=old.guardian_id) == 0
    assert count(engine, "children", "WHERE guardian_id = :g", g=old.guardian_id) == 0
    assert [c.id for c in store.list_for_guardian(recent.guardian_id)] == [recent.child_id]
    assert [c.id for c in store.list_for_guardian(booked.guardian_id)] == [booked.child_id]

    # Day 666 (300 + 366): "recent" is idle too; "booked"'s booking ends on day 400, 266 days ago.
    assert store.purge_inactive(T0 + timedelta(days=666), 365)["families"] == 1
    assert store.list_for_guardian(recent.guardian_id) == []
    # Day 766: "booked" goes; its booking, still requested, is cancelled on the way, place given back.
    assert held(engine) == [1]
    result = store.purge_inactive(T0 + timedelta(days=766), 365)
    assert (result["families"], result["bookings_cancelled"]) == (1, 1)
    assert held(engine) == [0] and bookings.get(booking.id).status == "cancelled"
    assert accounts.get(staff.id).email == "staff1@example.com"  # staff are no family
    with pytest.raises(ChildError, match="retention_days must be a whole number of days, at least 1"):
        store.purge_inactive(T0, 0)


# -- no child data in logs -----------------------------------------------------------------------

def test_nothing_personal_is_logged(accounts, store, bookings, caplog):
    caplog.set_level(logging.DEBUG)
    fam = make_family(accounts, store, "mom@example.com")
    booking = book(bookings, fam.child_id, fam.guardian_id)
    staff = accounts.sign_up("staff1@example.com", PASSWORD, role="provider_staff", facility_id=F1, now=T0)
    store.read_for_booking(fam.child_id, staff, booking, "booking_care", T0)
    store.export_family(fam.guardian_id, T0)
    store.delete_family(fam.guardian_id, T0)
    assert fam.child_id in caplog.text  # the log speaks, in ids
    for secret in ("민서", "김철수", "010-1234-5678", "땅콩", "mom@example.com", "2024-06-01"):
        assert secret not in caplog.text, secret


def test_the_export_gives_a_preset_decline_reason_in_the_familys_words_and_a_typed_one_as_typed(
        accounts, store, bookings):
    # A preset reason is stored as its code (preset:full); the download said "preset:full" (tester 29).
    fam = make_family(accounts, store, "mom@example.com")
    first = book(bookings, fam.child_id, fam.guardian_id, places=2)
    bookings.transition(first.id, "decline", "provider_staff", "s1", reason="preset:full", now=T0)
    [b] = store.export_family(fam.guardian_id, T0 + timedelta(hours=1), "en")["bookings"]
    assert [(e["reason"], e["reason_code"]) for e in b["events"]] == [(None, None), ("We are full", "full")]
    [b] = store.export_family(fam.guardian_id, T0 + timedelta(hours=1))["bookings"]
    assert b["events"][1]["reason"] == "정원이 찼습니다" and "preset:" not in json.dumps(b, ensure_ascii=False)
