"""The reasons of state changes at rest (app.care.reason_sealing, migration 0020), on SQLite and
PostgreSQL: a typed reason (which may name a child or a health detail) is sealed with the
care-notes keys and read back as typed; a preset stays readable as ``preset:<code>``; a plain row
from before sealing is read as typed and can be sealed in place; deleting or purging a family
erases its typed reasons (NULL, ``reason_erased_at`` set) and keeps the state history; the event
tables stay append-only for every other change; no typed reason reaches a log line."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.care.children import ChildStore
from app.care.matching import MatchingEngine, MatchSettings
from app.care.reason_sealing import SEALED_PREFIX, erase_reasons, rotate_reasons, seal_plain_reasons
from app.care.sealing import Sealer
from app.care.states import REASON_MAX_CHARS
from app.db.engine import booking_events, make_engine, outbox, upgrade
from app.db.request_tables import care_request_events, offer_events
from tests.care import test_children as children_tests
from tests.care.test_children import KEY_1, KEY_2, PASSWORD, PROG, T0, WINDOW, make_family

from . import matching_data

# the fixtures of the children's tests (a migrated database of each kind, the stores on it)
sqlite_template, engine, accounts = children_tests.sqlite_template, children_tests.engine, children_tests.accounts
store, bookings = children_tests.store, children_tests.bookings

# What a family or staff member types: a child's name and a health detail.
TYPED_DECLINE = "김민서 어린이 땅콩 알레르기 때문에 오늘은 어렵습니다"
TYPED_OFFER = "민서는 천식이 있어 야간 돌봄이 어려워요"
TYPED_CANCEL = "민서가 열이 38.5도라 취소합니다"
TYPED = (TYPED_DECLINE, TYPED_OFFER, TYPED_CANCEL)
EVENT_TABLES = (booking_events, care_request_events, offer_events)


@dataclass
class Story:
    guardian_id: str
    booking_ids: tuple[str, str]  # declined with a typed reason, declined with a preset
    request_id: str
    offer_id: str


def story(accounts, store: ChildStore, bookings, engine, email: str = "mom@example.com") -> Story:
    """A family (child born on matching_data.BIRTH) whose first booking staff declined with a
    typed reason, whose second with the preset ``full``, whose care request's first offer staff
    declined with a typed reason, then the family cancelled the request with a typed reason."""
    fam = make_family(accounts, store, email, birth_date=matching_data.BIRTH.isoformat())
    bookings.publish_slot("F1", PROG, WINDOW[0] - timedelta(minutes=30), WINDOW[1] + timedelta(hours=4), 2)
    made = []
    for reason in (TYPED_DECLINE, "preset:full"):
        b = bookings.book("F1", PROG, fam.child_id, *WINDOW, None, actor_id=fam.guardian_id, now=T0,
                          guardian_id=fam.guardian_id)
        bookings.transition(b.id, "decline", "provider_staff", "s1", reason=reason, now=T0)
        made.append(b.id)
    index = matching_data.index()
    matching = MatchingEngine(engine, lambda: index, MatchSettings(mode="top_n", batch=2),
                              first_name=store.first_name)
    staff = accounts.sign_up(f"staff-{email}", PASSWORD, role="provider_staff", facility_id="tc-1", now=T0)
    r = matching.create(fam.guardian_id, fam.child_id, matching_data.PROGRAMME, matching_data.START,
                        matching_data.END, "home", matching_data.HOME, matching_data.BIRTH, matching_data.NOW)
    offer = next(o for o in matching.offers_of(r.id) if o.facility_id == "tc-1")
    matching.decline(offer.id, staff.id, matching_data.NOW + timedelta(minutes=1), reason=TYPED_OFFER)
    matching.cancel(r.id, "guardian", fam.guardian_id, matching_data.NOW + timedelta(minutes=2),
                    reason=TYPED_CANCEL)
    return Story(fam.guardian_id, (made[0], made[1]), r.id, offer.id)


def matching_of(engine, store) -> MatchingEngine:
    index = matching_data.index()
    return MatchingEngine(engine, lambda: index, MatchSettings(mode="top_n", batch=2), first_name=store.first_name)


def stored(engine) -> list[tuple]:
    """Every event row as stored: (table, action, to_state, actor_id, reason, erased)."""
    out = []
    with engine.connect() as conn:
        for t in EVENT_TABLES:
            for r in conn.execute(sa.select(t).order_by(t.c.id)):
                out.append((t.name, r.action, r.to_state, r.actor_id, r.reason, r.reason_erased_at is not None))
    return out


def test_a_typed_reason_is_sealed_at_rest_and_read_back_as_typed(accounts, store, bookings, engine):
    s = story(accounts, store, bookings, engine)
    rows = stored(engine)
    raw = json.dumps([r[4] for r in rows], ensure_ascii=False)
    for typed in (*TYPED, "민서", "알레르기", "천식"):
        assert typed not in raw, typed
    assert [r[4] for r in rows if r[0] == "booking_events" and r[1] == "decline"][1] == "preset:full"  # counted
    typed_rows = [r for r in rows if r[4] is not None and not r[4].startswith("preset:")]
    assert typed_rows and all(r[4].startswith(SEALED_PREFIX) for r in typed_rows)

    # the readers see the text as typed
    assert [e["reason"] for e in bookings.events(s.booking_ids[0])] == [None, TYPED_DECLINE]
    assert [e["reason"] for e in bookings.events(s.booking_ids[1])] == [None, "preset:full"]
    matching = matching_of(engine, store)
    assert matching.offer_events(s.offer_id)[-1]["reason"] == TYPED_OFFER
    assert matching.events(s.request_id)[-1]["reason"] == TYPED_CANCEL
    export = store.export_family(s.guardian_id, T0 + timedelta(days=2), "en")
    by_id = {b["id"]: b for b in export["bookings"]}
    assert [(e["reason"], e["reason_code"]) for e in by_id[s.booking_ids[0]]["events"]][-1] == (TYPED_DECLINE, None)
    assert [(e["reason"], e["reason_code"]) for e in by_id[s.booking_ids[1]]["events"]][-1] == ("We are full", "full")
    [request] = export["care_requests"]
    assert request["events"][-1]["reason"] == TYPED_CANCEL

    # another app with the keys rotated (a new first key, the old one after it) reads them; once
    # rotated, the old key can go
    rotated = ChildStore(engine, Sealer([KEY_2, KEY_1]))
    assert rotated.booking_store.events(s.booking_ids[0])[-1]["reason"] == TYPED_DECLINE
    assert rotated.rotate_care_notes() == 1  # the child's care notes; the typed reasons with them
    assert rotate_reasons(engine, EVENT_TABLES) == 0  # nothing left under the old key
    only_new = ChildStore(engine, Sealer([KEY_2]))
    assert only_new.booking_store.events(s.booking_ids[0])[-1]["reason"] == TYPED_DECLINE
    assert matching_of(engine, only_new).events(s.request_id)[-1]["reason"] == TYPED_CANCEL


def test_a_plain_reason_from_before_sealing_is_read_as_typed_then_sealed_in_place(store, engine):
    old = "예전에 입력한 사유: 민서 감기"
    with engine.begin() as conn:
        conn.execute(booking_events.insert(), [
            {"booking_id": "b-old", "action": "decline", "from_state": "requested", "to_state": "declined",
             "actor_role": "provider_staff", "actor_id": "s1", "reason": reason, "at": T0}
            for reason in (old, "preset:full", "sealed:not a token")])
    assert [e["reason"] for e in store.booking_store.events("b-old")] == [old, "preset:full", "sealed:not a token"]
    assert seal_plain_reasons(engine, EVENT_TABLES) == 1  # the preset stays; "sealed:…" that is no token too
    assert [e["reason"] for e in store.booking_store.events("b-old")] == [old, "preset:full", "sealed:not a token"]
    with engine.connect() as conn:
        first = conn.execute(sa.select(booking_events.c.reason).order_by(booking_events.c.id)).scalars().first()
    assert first is not None and first.startswith(SEALED_PREFIX) and "민서" not in first


def _erased_story_checks(engine, s: Story, before: list[tuple]) -> None:
    after = stored(engine)
    assert len(after) >= len(before)
    # the history stays: table, action, state, actor of every earlier row, in order
    assert [r[:4] for r in after[:len(before)]] == [r[:4] for r in before]
    mine = [r for r in after if r[4] is not None and not r[4].startswith("preset:")]
    assert mine == [], mine  # no typed reason of the family is left
    assert ("booking_events", "decline", "rejected", "s1", "preset:full", False) in after  # the preset counts stay
    assert [r for r in after if r[5]]  # the marker: erased rows say so
    for r in after:
        if r[5]:
            assert r[4] is None


def test_deleting_a_family_erases_its_typed_reasons_and_keeps_the_history(accounts, store, bookings,
                                                                          engine):
    s = story(accounts, store, bookings, engine)
    other = story(accounts, store, bookings, engine, "other@example.com")
    before = stored(engine)
    store.delete_family(s.guardian_id, T0 + timedelta(days=2))
    after = stored(engine)
    assert [r[:4] for r in after[:len(before)]] == [r[:4] for r in before]  # the history stays, in order
    erased = [r for r in after if r[5]]
    # the typed booking decline, the typed offer decline, the typed request cancel and the two open
    # offers it withdrew (a reason the system wrote: every non-preset reason goes alike): NULL, marked
    assert sorted((r[0], r[1], r[4]) for r in erased) == [
        ("booking_events", "decline", None), ("care_request_events", "cancel", None),
        ("offer_events", "decline", None), ("offer_events", "withdraw", None), ("offer_events", "withdraw", None)]
    assert [(e["to_state"], e["reason"]) for e in bookings.events(s.booking_ids[0])] == [
        ("requested", None), ("rejected", None)]
    assert bookings.events(s.booking_ids[1])[-1]["reason"] == "preset:full"  # a preset stays (counts)
    matching = matching_of(engine, store)
    assert (matching.events(s.request_id)[-1]["actor_id"], matching.events(s.request_id)[-1]["reason"]) == (
        s.guardian_id, None)
    assert matching.offer_events(s.offer_id)[-1]["reason"] is None
    # the other family's reasons are untouched: still sealed, still readable
    assert bookings.events(other.booking_ids[0])[-1]["reason"] == TYPED_DECLINE
    assert matching.offer_events(other.offer_id)[-1]["reason"] == TYPED_OFFER
    assert matching.events(other.request_id)[-1]["reason"] == TYPED_CANCEL
    raw = json.dumps([r[4] for r in after], ensure_ascii=False)
    assert all(typed not in raw for typed in TYPED)


def test_the_retention_purge_erases_the_typed_reasons_too(accounts, store, bookings, engine):
    s = story(accounts, store, bookings, engine)
    before = stored(engine)
    result = store.purge_inactive(T0 + timedelta(days=400), 365)
    assert result["families"] == 1
    _erased_story_checks(engine, s, before)


@pytest.mark.parametrize("change", [
    "UPDATE {t} SET action = 'x'",  # the history
    "UPDATE {t} SET reason = 'plain text now'",  # a sealed reason to clear text
    "UPDATE {t} SET reason = NULL",  # erased without the marker
    "UPDATE {t} SET reason = NULL, reason_erased_at = at, actor_id = 'someone'",  # erasing and more
    "DELETE FROM {t}",
])
def test_the_event_tables_stay_append_only_for_every_other_change(accounts, store, bookings, engine,
                                                                  change):
    story(accounts, store, bookings, engine)
    for t in EVENT_TABLES:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(change.format(t=t.name) + " WHERE reason LIKE 'sealed:%'"))


def test_an_erased_reason_stays_erased(accounts, store, bookings, engine):
    s = story(accounts, store, bookings, engine)
    store.delete_family(s.guardian_id, T0 + timedelta(days=2))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE booking_events SET reason = 'sealed:x', reason_erased_at = NULL "
                             "WHERE reason_erased_at IS NOT NULL"))


def test_no_typed_reason_reaches_a_log_line(accounts, store, bookings, engine, caplog):
    caplog.set_level(logging.DEBUG)
    s = story(accounts, store, bookings, engine)
    store.export_family(s.guardian_id, T0 + timedelta(days=1))
    store.delete_family(s.guardian_id, T0 + timedelta(days=2))
    assert s.guardian_id in caplog.text  # the log speaks, in ids
    for typed in (*TYPED, "민서", "알레르기"):
        assert typed not in caplog.text, typed



def test_a_database_error_never_carries_a_typed_reason(engine):
    """The error handler logs an unhandled database error's text (app.errors): the values of the
    failed statement (here an outbox message quoting a typed reason) are not in it."""
    row = {"idempotency_key": "dup", "topic": "booking.cancelled", "payload": {"reason": TYPED_CANCEL},
           "created_at": T0, "available_at": T0, "attempts": 0, "sent_at": None}
    with engine.begin() as conn:
        conn.execute(outbox.insert(), row)
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(outbox.insert(), row)
    text = str(caught.value)  # (PostgreSQL names the duplicate key itself: no person)
    assert TYPED_CANCEL not in text and "[parameters:" not in text  # (SQLite's showed the JSON, escaped)


def test_migration_0020_reads_older_rows_as_typed_seals_them_and_goes_back(db_url):
    """Rows written before 0020 (plain text; one of the longest reasons, 500 Korean characters)
    are read as typed, sealed in place (a TEXT column now: sealed, it is about 2,100 characters)
    and erasable; going back to 0019 brings the strict append-only guard back."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parents[2] / "app/db/migrations"))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(cfg, "0019")
    longest = "가" * REASON_MAX_CHARS
    insert = sa.text("INSERT INTO booking_events (booking_id, action, from_state, to_state, actor_role, actor_id, "
                     "reason, at) VALUES ('b-old', 'decline', 'requested', 'rejected', 'provider_staff', 's1', "
                     ":reason, :at)")
    eng = make_engine(db_url)
    with eng.begin() as conn:
        for reason in (TYPED_DECLINE, longest, "preset:full"):
            conn.execute(insert, {"reason": reason, "at": T0})
    eng.dispose()

    upgrade(db_url)
    eng = make_engine(db_url)
    try:
        old = ChildStore(eng, Sealer([KEY_1])).booking_store
        assert [e["reason"] for e in old.events("b-old")] == [TYPED_DECLINE, longest, "preset:full"]
        assert seal_plain_reasons(eng, EVENT_TABLES) == 2
        assert [e["reason"] for e in old.events("b-old")] == [TYPED_DECLINE, longest, "preset:full"]
        with eng.connect() as conn:
            raw = conn.execute(sa.select(booking_events.c.reason).order_by(booking_events.c.id)).scalars().all()
        assert raw[0].startswith(SEALED_PREFIX) and len(raw[1]) > 2000 and raw[2] == "preset:full"
        with eng.begin() as conn:
            assert erase_reasons(conn, booking_events, "booking_id", ["b-old"], T0) == 2
        assert [e["reason"] for e in old.events("b-old")] == [None, None, "preset:full"]
    finally:
        eng.dispose()

    command.downgrade(cfg, "0019")
    eng = make_engine(db_url)
    try:
        with eng.connect() as conn:
            assert "reason_erased_at" not in {c["name"] for c in sa.inspect(conn).get_columns("booking_events")}
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), eng.begin() as conn:
            conn.execute(sa.text("UPDATE booking_events SET reason = NULL WHERE reason = 'preset:full'"))
    finally:
        eng.dispose()
    upgrade(db_url)


def test_deleting_one_child_erases_the_typed_reasons_of_its_events(accounts, store, bookings, engine):
    """A child deleted on its own (the family stays): the typed reasons of its bookings', care
    requests' and offers' events go with it, the history and the presets stay; another family's
    stay as they were."""
    s = story(accounts, store, bookings, engine)
    other = story(accounts, store, bookings, engine, "other@example.com")
    before = stored(engine)
    [child] = store.list_for_guardian(s.guardian_id)
    store.delete(s.guardian_id, child.id, T0 + timedelta(days=2))
    after = stored(engine)
    assert [r[:4] for r in after[:len(before)]] == [r[:4] for r in before]
    assert [(e["to_state"], e["reason"]) for e in bookings.events(s.booking_ids[0])] == [
        ("requested", None), ("rejected", None)]
    assert bookings.events(s.booking_ids[1])[-1]["reason"] == "preset:full"
    matching = matching_of(engine, store)
    assert matching.offer_events(s.offer_id)[-1]["reason"] is None
    assert matching.events(s.request_id)[-1]["reason"] is None
    assert bookings.events(other.booking_ids[0])[-1]["reason"] == TYPED_DECLINE
    assert matching.events(other.request_id)[-1]["reason"] == TYPED_CANCEL
