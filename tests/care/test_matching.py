"""Emergency care requests and offers (app.care.matching) on SQLite and PostgreSQL, over the
hand-checkable registry of tests/care/matching_data.py (tc-1 … tc-4 at 111, 222, 333, 444 m)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.care.bookings import BookingStore, PlacesFull
from app.care.children import Family, deletion_keeps_for_providers, family_parts
from app.care.matching import (
    REQUEST_MAX_WINDOW,
    MatchingEngine,
    MatchingError,
    MatchSettings,
    OfferNotFound,
    UnmetDemand,
    erase_family_requests,
    export_family_requests,
)
from app.care.outbox import erase_family_messages
from app.care.rules import NotEligible
from app.care.states import CARE_REQUEST, GUARDIAN, OFFER, ActorNotAllowed, InvalidTransition
from app.care.windows import WindowError
from app.db.engine import booking_holds, bookings, make_engine, outbox, upgrade
from app.db.request_tables import CARE_REQUEST_STATES, OFFER_STATES, offer_events, offers
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)

from . import matching_data as d

MIN = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(db_url):  # noqa: F811
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def matcher(engine: sa.Engine, only: tuple[str, ...] | None = None, **settings) -> MatchingEngine:
    index = d.index(only)
    return MatchingEngine(engine, lambda: index, MatchSettings(**settings), first_name=lambda conn, child_id: "지우")


def request(m: MatchingEngine, now: datetime = d.NOW, **kw):
    args = dict(guardian_id="guardian-1", child_id="child-1", programme=d.PROGRAMME, start=d.START, end=d.END,
                place_kind="home", point=d.HOME, birth_date=d.BIRTH, now=now)
    args.update(kw)
    return m.create(**args)


def by_facility(m: MatchingEngine, request_id: str) -> dict[str, tuple[str, int]]:
    return {o.facility_id: (o.status, o.rank) for o in m.offers_of(request_id)}


def messages(engine: sa.Engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        return [(r.topic, r.payload) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]


def offer_of(m: MatchingEngine, request_id: str, facility_id: str):
    return next(o for o in m.offers_of(request_id) if o.facility_id == facility_id)


def test_tables_keep_the_lifecycles_states():
    assert set(CARE_REQUEST_STATES) == set(CARE_REQUEST.states)
    assert set(OFFER_STATES) == set(OFFER.states)


class TestSequential:
    def test_one_offer_at_a_time_in_rank_order_and_a_decline_moves_on(self, engine):
        m = matcher(engine)
        r = request(m)
        assert r.status == "requested" and r.candidates == d.RANKED
        assert by_facility(m, r.id) == {"tc-1": ("requested", 1)}
        first = offer_of(m, r.id, "tc-1")
        assert first.respond_by == d.NOW.astimezone(UTC) + 10 * MIN
        assert r.match_by == d.NOW.astimezone(UTC) + 60 * MIN
        out = m.decline(first.id, "staff-1", d.NOW + MIN, reason="no carer tonight", facility_id="tc-1")
        assert out.offer.status == "rejected" and out.offer.responded_by == "staff-1"
        assert by_facility(m, r.id) == {"tc-1": ("rejected", 1), "tc-2": ("requested", 2)}
        assert offer_of(m, r.id, "tc-2").respond_by == (d.NOW + 11 * MIN).astimezone(UTC)
        assert m.offer_events(first.id)[-1] == {
            "action": "decline", "from_state": "requested", "to_state": "rejected", "actor_role": "provider_staff",
            "actor_id": "staff-1", "reason": "no carer tonight", "at": (d.NOW + MIN).astimezone(UTC).isoformat()}

    def test_acceptance_matches_the_request_and_tells_the_guardian(self, engine):
        m = matcher(engine)
        r = request(m)
        m.decline(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        out = m.accept(offer_of(m, r.id, "tc-2").id, "staff-2", d.NOW + 2 * MIN, facility_id="tc-2")
        assert out.offer.status == "accepted" and out.request.status == "accepted"
        assert m.get(r.id).status == "accepted"
        assert [e["action"] for e in m.events(r.id)] == ["request", "match"]
        match = m.events(r.id)[-1]
        assert match["actor_role"] == "system" and out.offer.id in match["reason"]
        topics = [t for t, _ in messages(engine)]
        assert topics == ["offer.received", "offer.received", "request.matched"]
        _, payload = messages(engine)[-1]
        assert payload["to"] == [{"user_id": "guardian-1"}] and payload["facility_id"] == "tc-2"
        assert payload["first_name"] == "지우" and payload["window_start"] == d.START.astimezone(UTC).isoformat()

    def test_timeout_moves_on_to_the_next_provider(self, engine):
        m = matcher(engine)
        r = request(m)
        assert len(m.fire_due(d.NOW + 10 * MIN - timedelta(seconds=1))) == 0
        fired = m.fire_due(d.NOW + 10 * MIN)
        assert fired.expired_offers == [offer_of(m, r.id, "tc-1").id] and fired.unmatched_requests == []
        assert by_facility(m, r.id) == {"tc-1": ("expired", 1), "tc-2": ("requested", 2)}
        assert offer_of(m, r.id, "tc-2").respond_by == (d.NOW + 20 * MIN).astimezone(UTC)
        expired = [p for t, p in messages(engine) if t == "offer.expired"]
        assert expired == [{"to": [{"facility_id": "tc-1"}], "offer_id": offer_of(m, r.id, "tc-1").id,
                            "request_id": r.id, "facility_id": "tc-1", "programme": d.PROGRAMME,
                            "window_start": d.START.astimezone(UTC).isoformat(),
                            "window_end": d.END.astimezone(UTC).isoformat(),
                            "deadline": (d.NOW + 10 * MIN).astimezone(UTC).isoformat(),
                            "reason": "no answer before the response deadline"}]

    def test_an_answer_after_the_deadline_finds_the_offer_lapsed(self, engine):
        m = matcher(engine)
        r = request(m)
        first = offer_of(m, r.id, "tc-1")
        with pytest.raises(InvalidTransition) as caught:
            m.accept(first.id, "staff-1", d.NOW + 10 * MIN)
        assert caught.value.current_state == "expired" and caught.value.http_status == 409
        assert m.offer(first.id).status == "expired" and m.get(r.id).status == "requested"
        assert offer_of(m, r.id, "tc-2").status == "requested"
        assert m.fire_due(d.NOW + 10 * MIN).expired_offers == []  # fired once, by the answer

    def test_list_exhausted_is_unmatched_queued_and_counted(self, engine):
        m = matcher(engine)
        r = request(m)
        for i, fid in enumerate(d.RANKED, start=1):
            m.decline(offer_of(m, r.id, fid).id, f"staff-{fid}", d.NOW + i * MIN)
        done = m.get(r.id)
        assert done.status == "unmatched" and done.unmatched_at == (d.NOW + 4 * MIN).astimezone(UTC)
        assert m.events(r.id)[-1]["reason"] == "every ranked provider declined or did not answer"
        assert [q.id for q in m.unmatched()] == [r.id]
        topic, payload = messages(engine)[-1]
        assert topic == "request.unmatched" and payload["to"] == [{"user_id": "guardian-1"}]
        day = d.START.date()
        assert m.unmet_demand(d.NOW, d.NOW + timedelta(days=1)) == [UnmetDemand(d.PROGRAMME, "41110", day, 1)]
        assert m.unmet_demand_count(d.NOW, d.NOW + timedelta(days=1), programme="always_daycare") == 0
        assert m.unmet_demand_count(d.END, d.END + timedelta(days=1)) == 0  # window starts before

    def test_total_deadline_ends_matching(self, engine):
        m = matcher(engine, match_minutes=15)
        r = request(m)
        m.fire_due(d.NOW + 10 * MIN)
        second = offer_of(m, r.id, "tc-2")
        assert second.respond_by == (d.NOW + 15 * MIN).astimezone(UTC)  # never past the request's deadline
        fired = m.fire_due(d.NOW + 15 * MIN)
        assert fired.expired_offers == [second.id] and fired.unmatched_requests == [r.id]
        assert m.get(r.id).status == "unmatched"
        assert m.events(r.id)[-1]["reason"] == "no provider accepted before the request's deadline"
        assert "tc-3" not in by_facility(m, r.id)
        assert m.unmet_demand_count(d.NOW, d.NOW + timedelta(days=1)) == 1

    def test_request_deadline_lapses_the_open_offers(self, engine):
        m = matcher(engine, mode="top_n", batch=2, response_minutes=30, match_minutes=20)
        r = request(m)
        assert m.fire_due(d.NOW + 20 * MIN).expired_offers  # respond_by was capped at match_by
        assert m.get(r.id).status == "unmatched"
        assert {s for s, _ in by_facility(m, r.id).values()} == {"expired"}

    def test_nobody_can_take_the_child_is_unmatched_at_once(self, engine):
        m = matcher(engine, only=("tc-full", "tc-shut", "tc-stale"))
        r = request(m)
        assert r.status == "unmatched" and r.candidates == () and m.offers_of(r.id) == []
        assert m.events(r.id)[-1]["to_state"] == "unmatched"
        assert [t for t, _ in messages(engine)] == ["request.unmatched"]


class TestTopN:
    def test_top_n_at_once_a_decline_passes_the_turn_and_the_winner_withdraws_the_rest(self, engine):
        m = matcher(engine, mode="top_n", batch=2)
        r = request(m)
        assert by_facility(m, r.id) == {"tc-1": ("requested", 1), "tc-2": ("requested", 2)}
        m.decline(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        assert by_facility(m, r.id)["tc-3"] == ("requested", 3)
        m.accept(offer_of(m, r.id, "tc-3").id, "staff-3", d.NOW + 2 * MIN)
        assert by_facility(m, r.id) == {"tc-1": ("rejected", 1), "tc-2": ("cancelled", 2),
                                        "tc-3": ("accepted", 3)}
        withdrawn = m.offer_events(offer_of(m, r.id, "tc-2").id)[-1]
        assert withdrawn["action"] == "withdraw" and withdrawn["reason"] == "another provider accepted the request"
        with pytest.raises(InvalidTransition) as caught:
            m.accept(offer_of(m, r.id, "tc-2").id, "staff-2", d.NOW + 3 * MIN)
        assert caught.value.current_state == "cancelled"


class TestOneWinner:
    def test_two_providers_accepting_at_once_give_one_match(self, engine, db_url):  # noqa: F811
        first = matcher(engine, mode="top_n", batch=4)
        r = request(first)
        ids = [o.id for o in first.offers_of(r.id)]
        engines = [make_engine(db_url) for _ in ids]  # one server each
        barrier = threading.Barrier(len(ids))
        results: list[object] = [None] * len(ids)

        def accept(i: int) -> None:
            m = matcher(engines[i])
            barrier.wait()
            try:
                results[i] = m.accept(ids[i], f"staff-{i}", d.NOW + MIN)
            except InvalidTransition as exc:
                results[i] = exc

        threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(ids))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for e in engines:
            e.dispose()
        won = [x for x in results if not isinstance(x, InvalidTransition)]
        lost = [x for x in results if isinstance(x, InvalidTransition)]
        assert len(won) == 1 and len(lost) == len(ids) - 1
        assert all(x.http_status == 409 and x.current_state == "cancelled" for x in lost)
        assert [o.status for o in first.offers_of(r.id)].count("accepted") == 1
        assert [t for t, _ in messages(engine)].count("request.matched") == 1
        [booking] = BookingStore(engine).of_requests([r.id]).values()  # one booking, the winner's
        assert booking.offer_id == won[0].offer.id and booking.facility_id == won[0].offer.facility_id

    def test_the_database_refuses_a_second_accepted_offer(self, engine):
        m = matcher(engine, mode="top_n", batch=2)
        r = request(m)
        a, b = m.offers_of(r.id)
        m.accept(a.id, "staff-1", d.NOW + MIN)
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(offers.update().where(offers.c.id == b.id).values(status="accepted"))

    def test_only_the_offers_provider_answers_and_only_as_staff(self, engine):
        m = matcher(engine)
        r = request(m)
        first = offer_of(m, r.id, "tc-1")
        with pytest.raises(OfferNotFound):
            m.accept(first.id, "staff-x", d.NOW + MIN, facility_id="tc-2")
        with pytest.raises(ActorNotAllowed):
            m.accept(first.id, "guardian-1", d.NOW + MIN, actor_role=GUARDIAN)
        assert m.offer(first.id).status == "requested"


def _fire_in_child(url: str, at: datetime, start, out) -> None:
    engine = make_engine(url)
    m = MatchingEngine(engine, None)
    start.wait(30)
    out.put(m.fire_due(at).expired_offers)
    engine.dispose()


def _hold_and_die(url: str, offer_id: str, ready) -> None:
    """Start expiring the offer (row locked, status written, not committed), then wait to be killed."""
    engine = make_engine(url)
    conn = engine.connect()
    trans = conn.begin()
    conn.execute(sa.select(offers).where(offers.c.id == offer_id).with_for_update())
    conn.execute(offers.update().where(offers.c.id == offer_id).values(status="expired"))
    ready.set()
    time.sleep(60)
    trans.commit()  # never reached: the parent kills this process


class TestSeveralServers:
    def test_two_processes_firing_one_deadline_give_one_expiry(self, engine, db_url):  # noqa: F811
        m = matcher(engine)
        r = request(m)
        first = offer_of(m, r.id, "tc-1")
        ctx = multiprocessing.get_context("fork")
        go, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_fire_in_child, args=(db_url, d.NOW + 10 * MIN, go, out)) for _ in range(2)]
        for p in procs:
            p.start()
        go.set()
        fired = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        assert sorted(fired, key=len) == [[], [first.id]]
        with engine.connect() as conn:
            expiries = conn.execute(sa.select(sa.func.count()).select_from(offer_events).where(
                offer_events.c.offer_id == first.id, offer_events.c.action == "expire")).scalar_one()
        assert expiries == 1
        assert by_facility(m, r.id) == {"tc-1": ("expired", 1), "tc-2": ("requested", 2)}
        assert [t for t, _ in messages(engine)].count("offer.expired") == 1

    def test_a_worker_killed_mid_expiry_leaves_nothing_stuck(self, engine, db_url):  # noqa: F811
        m = matcher(engine)
        r = request(m)
        first = offer_of(m, r.id, "tc-1")
        ctx = multiprocessing.get_context("fork")
        ready = ctx.Event()
        proc = ctx.Process(target=_hold_and_die, args=(db_url, first.id, ready))
        proc.start()
        assert ready.wait(30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        assert m.offer(first.id).status == "requested"  # the dead worker's write never landed
        fired = m.fire_due(d.NOW + 10 * MIN)
        assert fired.expired_offers == [first.id]
        assert by_facility(m, r.id) == {"tc-1": ("expired", 1), "tc-2": ("requested", 2)}

    def test_a_new_engine_after_a_restart_fires_what_fell_due(self, engine, db_url):  # noqa: F811
        r = request(matcher(engine))
        engine.dispose()  # the server stops; an hour and a half passes
        later = make_engine(db_url)
        try:
            m = MatchingEngine(later, None)
            fired = m.fire_due(d.NOW + 90 * MIN)
            assert len(fired.expired_offers) == 1 and fired.unmatched_requests == [r.id]
            assert m.get(r.id).status == "unmatched"
        finally:
            later.dispose()


class TestTimeZones:
    def test_the_servers_zone_does_not_shift_deadlines(self, db_url):  # noqa: F811
        upgrade(db_url)
        engine = make_engine(db_url)
        if engine.dialect.name == "postgresql":
            @sa.event.listens_for(engine, "connect")
            def _zone(dbapi_conn, record):  # the database session in another zone too
                with dbapi_conn.cursor() as cur:
                    cur.execute("SET TIME ZONE 'America/Los_Angeles'")
                dbapi_conn.commit()
        before = os.environ.get("TZ")
        os.environ["TZ"] = "America/Los_Angeles"
        time.tzset()
        try:
            m = matcher(engine)
            r = request(m)
            first = offer_of(m, r.id, "tc-1")
            assert first.respond_by == datetime(2026, 12, 2, 1, 10, tzinfo=UTC)  # 10:10 in Seoul
            assert m.get(r.id).match_by == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
            assert m.get(r.id).start == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
            assert len(m.fire_due(datetime(2026, 12, 2, 1, 9, 59, tzinfo=UTC))) == 0
            assert m.fire_due(datetime(2026, 12, 2, 1, 10, tzinfo=UTC)).expired_offers == [first.id]
        finally:
            if before is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = before
            time.tzset()
            engine.dispose()


class TestRequests:
    def test_home_visit_programme_offers_the_provider_serving_the_home(self, engine):
        m = matcher(engine)
        r = request(m, programme="home_visit_emergency")
        assert r.candidates == ("hv-1",) and by_facility(m, r.id) == {"hv-1": ("requested", 1)}
        with pytest.raises(MatchingError, match="place must be home") as caught:
            request(m, programme="home_visit_emergency", place_kind="work", home_sigungu="41117")
        assert caught.value.field == "place"  # the API's field (tester pass 25, finding 11)

    def test_ranking_by_home_or_work_as_the_search_does(self, engine):
        m = matcher(engine)
        work = (d.HOME[0] + 0.0002, d.HOME[1] + 0.004)  # 18 m east of tc-4
        # Nearer of home and work: tc-4 18 m (work), tc-1 111 m (home), tc-3 112.5 m (work), tc-2 222 m.
        assert request(m, work=work, mode="either").candidates == ("tc-4", "tc-1", "tc-3", "tc-2")
        assert request(m, work=work, mode="home", child_id="child-2").candidates == d.RANKED  # one request a child
        with pytest.raises(MatchingError, match="unknown mode"):
            request(m, work=work, mode="fly")
        with pytest.raises(MatchingError) as caught:
            request(m, work=(139.69, 35.68), mode="either")
        assert caught.value.field == "work"

    def test_work_place_needs_the_homes_area(self, engine):
        m = matcher(engine)
        with pytest.raises(MatchingError, match="home_sigungu is required"):
            request(m, place_kind="work")
        r = request(m, place_kind="work", home_sigungu="41117")
        assert r.place_kind == "work" and r.candidates == d.RANKED
        with pytest.raises(NotEligible, match="경기도"):
            request(m, place_kind="work", home_sigungu="11110")  # a 서울 home: not a 경기도 resident

    @pytest.mark.parametrize(("change", "error", "field"), [
        ({"programme": "swimming"}, MatchingError, "programme"),
        ({"place_kind": "school"}, MatchingError, "place"),
        ({"point": (139.69, 35.68)}, MatchingError, "point"),  # 東京
        ({"point": (float("nan"), 37.2)}, MatchingError, "point"),
        ({"now": d.NOW.replace(tzinfo=None)}, MatchingError, "now"),
        ({"start": d.NOW - timedelta(hours=1)}, WindowError, "start"),
        ({"end": d.START - timedelta(hours=1)}, WindowError, "end"),
        ({"end": d.START + REQUEST_MAX_WINDOW + MIN}, WindowError, "end"),
        ({"birth_date": d.BIRTH.replace(year=2024)}, NotEligible, "child"),  # 34 months: too young
        ({"birth_date": d.START.date() + timedelta(days=1)}, MatchingError, "birth_date"),
    ])
    def test_bad_requests_name_the_field(self, engine, change, error, field):
        m = matcher(engine)
        with pytest.raises(error) as caught:
            request(m, **change)
        assert caught.value.field == field
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(offers)).scalar_one() == 0

    def test_a_request_starting_beyond_the_coming_days_is_refused_naming_the_latest_start(self, engine):
        """The tester's case: a request for 11 months ahead was accepted and offered as urgent.
        A request is for the coming days (``request_max_days_ahead``, 7, booking_rules.json):
        a start after now + 7 days is refused naming the latest start in local time; that
        latest start itself is fine."""
        m = matcher(engine)
        far = datetime(2027, 11, 2, 18, 0, tzinfo=d.SEOUL)
        for start in (far, d.NOW + timedelta(days=7, minutes=15)):  # the first start on the window step after
            with pytest.raises(WindowError) as caught:
                request(m, start=start, end=start + timedelta(hours=2))
            exc = caught.value
            assert (exc.code, exc.field, exc.reason) == ("invalid_window", "start", "too_far_ahead")
            assert exc.extra == {"latest_start": "2026-12-09T10:00:00+09:00", "max_days_ahead": 7}
            assert "at or before 2026-12-09 10:00 (Asia/Seoul)" in str(exc)
        assert m.of_guardian("guardian-1") == [] and messages(engine) == []
        latest = d.NOW + timedelta(days=7)
        assert request(m, start=latest, end=latest + timedelta(hours=2)).status == "requested"

    def test_messages_carry_no_place_and_no_child_data_but_the_first_name(self, engine):
        m = MatchingEngine(engine, lambda: d.index(), MatchSettings())  # no first names known
        r = request(m)
        m.decline(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        m.accept(offer_of(m, r.id, "tc-2").id, "staff-2", d.NOW + 2 * MIN)
        sent = messages(engine)
        assert [t for t, _ in sent] == ["offer.received", "offer.received", "request.matched"]
        text = repr(sent)
        for secret in ("127.045", "37.26", "child-1", "birth", "lon", "lat"):
            assert secret not in text
        assert all("first_name" not in p for _, p in sent)
        assert sent[0][1]["to"] == [{"facility_id": "tc-1"}]
        assert "37.2636" not in repr(m.get(r.id))  # the place stays out of repr, so out of logs

    def test_guardian_cancels_and_the_open_offers_are_withdrawn(self, engine):
        m = matcher(engine, mode="top_n", batch=2)
        r = request(m)
        done = m.cancel(r.id, GUARDIAN, "guardian-1", d.NOW + MIN)
        assert done.status == "cancelled"
        assert {s for s, _ in by_facility(m, r.id).values()} == {"cancelled"}
        assert m.fire_due(d.NOW + 2 * 60 * MIN).unmatched_requests == []
        with pytest.raises(InvalidTransition):
            m.cancel(r.id, GUARDIAN, "guardian-1", d.NOW + 2 * MIN)

    def test_settings_are_checked(self):
        with pytest.raises(MatchingError, match="CARE_OFFER_MODE"):
            MatchSettings(mode="broadcast")
        with pytest.raises(MatchingError, match="CARE_OFFER_BATCH"):
            MatchSettings(batch=0)
        assert MatchSettings.from_config({"CARE_OFFER_MODE": "top_n", "CARE_OFFER_BATCH": 2,
                                          "CARE_OFFER_RESPONSE_MINUTES": 5, "CARE_REQUEST_MATCH_MINUTES": 30,
                                          "CARE_MATCH_MAX_PROVIDERS": 8}) == MatchSettings("top_n", 2, 5, 30, 8)

    def test_event_logs_are_append_only(self, engine):
        m = matcher(engine)
        r = request(m)
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM care_request_events WHERE request_id = :r"), {"r": r.id})
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(offer_events.update().values(reason="rewritten"))


class TestFamilyData:
    def test_export_then_deletion_cancels_strips_the_place_and_the_first_name(self, engine):
        assert "care_requests" in [part.name for part in family_parts()]
        m = matcher(engine, mode="top_n", batch=2)
        r = request(m)
        family = Family("guardian-1", ("child-1",), ())
        with engine.connect() as conn:
            exported = export_family_requests(conn, family)
            assert export_family_requests(conn, Family("someone-else", (), ())) == []
        assert [(x["id"], x["lon"], x["lat"], x["status"]) for x in exported] == [(r.id, *d.HOME, "requested")]
        assert [o["facility_id"] for o in exported[0]["offers"]] == ["tc-1", "tc-2"]
        assert any("first_name" in p for _, p in messages(engine))
        with engine.begin() as conn:
            assert erase_family_requests(conn, family, d.NOW + MIN) == 1
            # the deletion then erases the messages it finds by request_id (the offers' too)
            erase_family_messages(conn, "guardian-1", (), {r.id}, deletion_keeps_for_providers())
        gone = m.get(r.id)
        assert gone.status == "cancelled" and gone.lon is None and gone.lat is None
        assert m.events(r.id)[-1]["actor_id"] == "guardian-1"
        assert {s for s, _ in by_facility(m, r.id).values()} == {"cancelled"}
        assert not [p for _, p in messages(engine) if p.get("request_id") == r.id]
        assert gone.sigungu_code == "41117" and gone.programme == d.PROGRAMME  # what planners count stays

    def test_the_export_names_the_booking_an_accepted_offer_made(self, engine):
        m = matcher(engine)
        r = request(m)
        out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        with engine.connect() as conn:
            [exported] = export_family_requests(conn, Family("guardian-1", ("child-1",), ()))
        assert exported["booking_id"] == out.booking.id and exported["status"] == "accepted"


# -- an accepted offer books the child at the provider ------------------------------------------

SLOTS = ((d.START - 60 * MIN, d.START + 120 * MIN), (d.START + 120 * MIN, d.END + 60 * MIN))  # 17-20, 20-23 Seoul


def publish(store: BookingStore, places: int, facility_id: str = "tc-1") -> None:
    for start, end in SLOTS:
        store.publish_slot(facility_id, d.PROGRAMME, start, end, places)


def held(store: BookingStore, facility_id: str = "tc-1") -> list[int]:
    return [s.held for s in store.slots(facility_id, d.PROGRAMME)]


def rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


class TestOfferBooking:
    def test_acceptance_books_the_child_confirmed_at_the_provider(self, engine):
        m, store = matcher(engine), BookingStore(engine)
        r = request(m)
        offer = offer_of(m, r.id, "tc-1")
        out = m.accept(offer.id, "staff-1", d.NOW + MIN, facility_id="tc-1")
        booking = store.get(out.booking.id)
        assert booking == out.booking
        assert (booking.facility_id, booking.programme, booking.child_id, booking.guardian_id) == (
            "tc-1", d.PROGRAMME, "child-1", "guardian-1")
        assert (booking.status, booking.fhir_status, booking.version, booking.hold_expires_at) == (
            "accepted", "accepted", 2, None)
        assert (booking.start, booking.end) == (r.start, r.end)
        assert (booking.request_id, booking.offer_id) == (r.id, offer.id)
        at = (d.NOW + MIN).astimezone(UTC).isoformat()
        reason = f"offer {offer.id} accepted"
        assert store.events(booking.id) == [
            {"action": "book", "from_state": None, "to_state": "requested", "actor_role": "provider_staff",
             "actor_id": "staff-1", "reason": reason, "at": at},
            {"action": "confirm", "from_state": "requested", "to_state": "accepted", "actor_role": "provider_staff",
             "actor_id": "staff-1", "reason": reason, "at": at}]
        assert store.of_requests([r.id, "no-such-request"]) == {r.id: booking}
        # the provider's list of the day and the guardian's bookings show it
        assert [b.id for b in store.find(facility_id="tc-1", day=d.START.date(), tz=d.SEOUL)] == [booking.id]
        assert [b.id for b in store.find(guardian_id="guardian-1")] == [booking.id]
        assert store.find(facility_id="tc-2") == []
        # no slots published: the provider accepted outside its published places, none held
        assert rows(engine, booking_holds) == 0
        # one message for the one event: the guardian's request.matched names the booking
        sent = messages(engine)
        assert [t for t, _ in sent] == ["offer.received", "request.matched"]
        assert sent[-1][1]["booking_id"] == booking.id and sent[-1][1]["first_name"] == "지우"

    @staticmethod
    def accepted_with_slots(engine, places: int):
        """A request accepted by tc-1, which publishes ``places`` in each slot: (store, outcome)."""
        m, store = matcher(engine), BookingStore(engine)
        publish(store, places=places)
        r = request(m)
        return store, m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)

    def test_acceptance_holds_a_place_in_the_published_slots_until_care_ends(self, engine):
        store, out = self.accepted_with_slots(engine, places=2)
        assert held(store) == [1, 1]
        assert rows(engine, booking_holds) == 2
        checked_in = store.transition(out.booking.id, "check_in", "provider_staff", "staff-1", now=d.START)
        assert (checked_in.status, checked_in.fhir_status) == ("in-progress", "in-progress")
        assert held(store) == [1, 1]
        done = store.transition(out.booking.id, "check_out", "provider_staff", "staff-1", now=d.END)
        assert done.status == "completed" and held(store) == [0, 0]  # the place given back once

    def test_cancelling_the_booking_gives_the_place_back(self, engine):
        store, out = self.accepted_with_slots(engine, places=1)
        assert held(store) == [1, 1]
        store.transition(out.booking.id, "cancel", GUARDIAN, "guardian-1", now=d.NOW + 2 * MIN)
        assert held(store) == [0, 0]

    def test_cancelling_the_matched_request_cancels_its_booking_in_one_go(self, engine):
        m, store = matcher(engine), BookingStore(engine)
        publish(store, places=1)
        r = request(m)
        out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        assert m.cancel(r.id, GUARDIAN, "guardian-1", d.NOW + 2 * MIN).status == "cancelled"
        assert store.get(out.booking.id).status == "cancelled" and held(store) == [0, 0]
        last = store.events(out.booking.id)[-1]
        assert (last["action"], last["actor_role"], last["actor_id"], last["reason"]) == (
            "cancel", "guardian", "guardian-1", f"care request {r.id} cancelled")
        topic, payload = messages(engine)[-1]
        assert topic == "booking.cancelled" and {"facility_id": "tc-1"} in payload["to"]  # the provider is told

    def test_a_request_whose_care_is_under_way_cannot_be_cancelled(self, engine):
        m, store = matcher(engine), BookingStore(engine)
        r = request(m)
        out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        store.transition(out.booking.id, "check_in", "provider_staff", "staff-1", now=d.START)
        with pytest.raises(InvalidTransition) as caught:
            m.cancel(r.id, GUARDIAN, "guardian-1", d.START + MIN)
        assert caught.value.current_state == "in-progress"
        assert m.get(r.id).status == "in-progress" and store.get(out.booking.id).status == "in-progress"

    def test_full_slots_refuse_the_acceptance_and_change_nothing(self, engine):
        m, store = matcher(engine), BookingStore(engine)
        publish(store, places=1)
        store.book("tc-1", d.PROGRAMME, "child-9", SLOTS[1][0], SLOTS[1][1], None, now=d.NOW)  # 20-23 is full
        r = request(m)
        offer = offer_of(m, r.id, "tc-1")
        before = (messages(engine), rows(engine, bookings), rows(engine, offer_events), m.events(r.id))
        with pytest.raises(PlacesFull) as caught:
            m.accept(offer.id, "staff-1", d.NOW + MIN, facility_id="tc-1")
        assert caught.value.http_status == 409 and caught.value.slot_start == SLOTS[1][0].astimezone(UTC)
        assert m.offer(offer.id).status == "requested" and m.get(r.id).status == "requested"
        assert (messages(engine), rows(engine, bookings), rows(engine, offer_events), m.events(r.id)) == before
        assert held(store) == [0, 1] and store.of_requests([r.id]) == {}
        # the offer is still open: the provider may decline it, and the next provider is asked
        m.decline(offer.id, "staff-1", d.NOW + 2 * MIN, reason="정원 초과")
        out = m.accept(offer_of(m, r.id, "tc-2").id, "staff-2", d.NOW + 3 * MIN)
        assert out.booking.facility_id == "tc-2" and held(store) == [0, 1]

    def test_a_window_partly_outside_the_slots_holds_the_places_published(self, engine):
        m, store = matcher(engine), BookingStore(engine)
        store.publish_slot("tc-1", d.PROGRAMME, *SLOTS[0], 3)  # 17-20 only; 20-22 published nowhere
        r = request(m)
        m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        assert held(store) == [1]

    def test_home_visit_acceptance_books_nothing(self, engine):
        m = matcher(engine)
        r = request(m, programme="home_visit_emergency")
        out = m.accept(offer_of(m, r.id, "hv-1").id, "staff-hv", d.NOW + MIN)
        assert out.request.status == "accepted" and out.booking is None
        assert rows(engine, bookings) == 0
        assert "booking_id" not in messages(engine)[-1][1]

    def test_one_booking_per_request_and_migration_0015_goes_back(self, engine, db_url):  # noqa: F811
        m = matcher(engine)
        r = request(m)
        out = m.accept(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        second = {"id": "second", "facility_id": "tc-2", "programme": d.PROGRAMME, "child_id": "child-1",
                  "window_start": r.start, "window_end": r.end, "status": "accepted", "version": 2,
                  "created_at": d.NOW, "updated_at": d.NOW, "request_id": r.id}
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the index bookings_request
            conn.execute(bookings.insert().values(**second))
        engine.dispose()
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "app/db/migrations"))
        cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
        command.downgrade(cfg, "0014")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("bookings")}
        assert "guardian_id" in columns and not {"request_id", "offer_id"} & columns
        upgrade(db_url)
        booking = BookingStore(engine).get(out.booking.id)
        assert booking.status == "accepted" and booking.request_id is None  # the link went with 0015

    def test_migration_0016_indexes_a_childs_requests_and_goes_back(self, engine, db_url):  # noqa: F811
        def child_index() -> list[str] | None:
            with engine.connect() as conn:
                found = [i for i in sa.inspect(conn).get_indexes("care_requests") if i["name"] == "care_requests_child"]
            return list(found[0]["column_names"]) if found else None

        assert child_index() == ["child_id", "status"]
        engine.dispose()
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "app/db/migrations"))
        cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
        command.downgrade(cfg, "0015")
        assert child_index() is None
        upgrade(db_url)
        assert child_index() == ["child_id", "status"]

    def test_a_decline_books_nothing(self, engine):
        m = matcher(engine)
        r = request(m)
        out = m.decline(offer_of(m, r.id, "tc-1").id, "staff-1", d.NOW + MIN)
        assert out.booking is None and rows(engine, bookings) == 0
