"""Provider reports on SQLite and PostgreSQL (issue 12): capped sizes, per-token write limits
shared by every server, a paged history, reported_by for admins only, client errors that are
never reported as outages, and a write shown by the next search of the server that took it."""

from __future__ import annotations

import json
import signal
from collections import Counter
from datetime import date, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from app.db.engine import is_outage, upgrade
from app.extensions.db import get_engine
from app.extensions.registry import get_store
from app.live import record, tokens

from ..conftest import next_weekday
from .servers import Gunicorn, request
from .test_availability import SUWON, nearest_daycare, url

DEFAULT_PROVIDER_LIMIT = 30  # app.config PROVIDER_WRITE_RATE_LIMIT = "30 per minute; …"
ALWAYS = "demo-dc-09396"  # a daycare that runs always_daycare, so it may report its slots


def stored(app) -> tuple[int, int]:
    """(audit entries, bytes of report text kept in availability and audit_log)."""
    with app.app_context(), get_engine().connect() as conn:
        return tuple(conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM audit_log), "
            "(SELECT coalesce(sum(length(data)), 0) FROM availability) + "
            "(SELECT coalesce(sum(length(new) + coalesce(length(old), 0)), 0) FROM audit_log)"
        )).one())


def put_raw(client, fid: str, text: str, headers: dict):
    return client.put(url(fid), data=text, headers={**headers,
                                                     "Content-Type": "application/json"})


def slots(n: int, day: date = date(2026, 12, 1)) -> list[dict]:
    return [{"start": f"{day + timedelta(days=i // 4)}T{8 + i % 4 * 3:02d}:00",
             "end": f"{day + timedelta(days=i // 4)}T{10 + i % 4 * 3:02d}:00", "places": 2}
            for i in range(n)]


def closures(n: int, reason: str = "") -> list[dict]:
    return [{"start": f"{date(2026, 12, 1) + timedelta(days=i)}T09:00",
             "end": f"{date(2026, 12, 1) + timedelta(days=i)}T12:00", "reason": reason}
            for i in range(n)]


def dates(n: int) -> dict:
    return {str(date(2026, 12, 1) + timedelta(days=i)): ["09:00-18:00"] for i in range(n)}


# --- item 3: sizes ------------------------------------------------------------------------------
# (body, field, the cap the message names): one over each cap of app.config REPORT_MAX_*.
OVER_A_CAP = [
    ({"slots": {"always_daycare": slots(201)}}, "slots", "200"),
    ({"hours": dates(63)}, "hours", "62"),
    ({"hours": {"2026-12-01": ["07:00-08:00", "09:00-10:00", "11:00-12:00", "13:00-14:00",
                               "15:00-16:00"]}}, "hours.2026-12-01", "4"),
    ({"closures": closures(21)}, "closures", "20"),
    ({"closures": closures(1, "가" * 201)}, "closures[0].reason", "200"),
    # Times out of range (year 9999 once overflowed into a 500).
    ({"closures": [{"start": "2026-12-01T09:00", "end": "9999-12-31T23:59"}]}, "closures[0].end",
     "out of range"),
    ({"hours": {"0001-01-01": []}}, "hours.0001-01-01", "2000"),
    # Nothing a client adds is stored: an unknown field inside a slot or closure is refused.
    ({"slots": {"always_daycare": [{**slots(1)[0], "note": "x" * 5000}]}},
     "slots.always_daycare[0].note", "allowed"),
    ({"closures": [{**closures(1)[0], "padding": "x" * 5000}]}, "closures[0].padding",
     "allowed"),
]
AT_THE_CAP = [
    {"slots": {"always_daycare": slots(200)}},
    {"hours": dates(62)},
    {"hours": {"2026-12-01": ["07:00-08:00", "09:00-10:00", "11:00-12:00", "13:00-14:00"]}},
    {"closures": closures(20, "가" * 200)},
]


@pytest.mark.parametrize(("content", "field", "cap"), OVER_A_CAP)
def test_a_report_over_a_cap_is_refused_naming_the_field_and_nothing_is_stored(
        live_app, live_client, issue, content, field, cap):
    fid = ALWAYS
    me = issue("provider", fid)
    before = stored(live_app)
    r = live_client.put(url(fid), json={"version": 0, **content}, headers=me)
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field
    assert cap in r.json["error"]["message"]
    assert stored(live_app) == before


@pytest.mark.parametrize("content", AT_THE_CAP)
def test_a_report_at_the_caps_is_taken(live_client, issue, content):
    fid = ALWAYS
    r = live_client.put(url(fid), json={"version": 0, **content}, headers=issue("provider", fid))
    assert r.status_code == 200, r.json


def test_300_bodies_of_58_kb_are_refused_and_the_database_does_not_grow(live_app, live_client,
                                                                        issue):
    """The issue's attack: 300 PUTs of 58 KB in a row with one provider token. Each is over
    the 32 KB body cap (413) until the token's limit of 30 writes a minute is spent (429)."""
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    body = json.dumps({"version": 0, "closures": closures(1, "x" * 58_000)})
    assert 58_000 < len(body) < 59_000
    before = stored(live_app)
    answers = [put_raw(live_client, fid, body, me) for _ in range(300)]
    assert Counter(r.status_code for r in answers) == {413: DEFAULT_PROVIDER_LIMIT,
                                                       429: 300 - DEFAULT_PROVIDER_LIMIT}
    assert answers[0].json["error"] == {"code": "payload_too_large", "field": "body",
                                        "message": "the body may be at most 32768 bytes"}
    assert stored(live_app) == before


def test_reports_at_the_cap_sent_flat_out_store_at_most_the_limit(live_app, live_client, issue):
    """Valid reports as large as allowed, 300 in a row: 30 are kept (the per-minute limit),
    so the report text kept grows by at most 30 x 3 copies (report, audit old and new) of
    the 32 KB cap — not 300 x 58 KB."""
    fid = ALWAYS
    me = issue("provider", fid)
    content = {"slots": {"always_daycare": slots(200)}, "hours": dates(62),
               "closures": closures(20, "가" * 200)}
    size = len(json.dumps({"version": 0, **content}, ensure_ascii=False).encode())
    assert 25_000 < size <= 32 * 1024
    entries, text = stored(live_app)
    version, statuses = 0, Counter()
    for _ in range(300):
        r = live_client.put(url(fid), json={"version": version, **content}, headers=me)
        statuses[r.status_code] += 1
        version = r.json["version"] if r.status_code == 200 else version
    assert statuses == {200: DEFAULT_PROVIDER_LIMIT, 429: 300 - DEFAULT_PROVIDER_LIMIT}
    now_entries, now_text = stored(live_app)
    assert now_entries - entries == DEFAULT_PROVIDER_LIMIT
    assert now_text - text <= DEFAULT_PROVIDER_LIMIT * 3 * 32 * 1024


# --- item 3: the write limit, per token, shared by every server ---------------------------------
def test_the_limit_is_per_token_with_retry_after_and_the_json_envelope(live_app, live_client,
                                                                       issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    first, second = issue("provider", fid), issue("provider", fid)
    statuses = [live_client.put(url(fid), json={"version": 99}, headers=first).status_code
                for _ in range(DEFAULT_PROVIDER_LIMIT)]
    assert statuses == [409] * DEFAULT_PROVIDER_LIMIT  # every write counts, whatever its answer
    r = live_client.put(url(fid), json={"version": 0}, headers=first)
    assert r.status_code == 429
    assert r.json["error"]["code"] == "rate_limited"
    assert r.json["error"]["field"] == "Authorization"
    assert "30 per 1 minute" in r.json["error"]["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # Another token of the same provider, and an admin, have their own counts.
    assert live_client.put(url(fid), json={"version": 0}, headers=second).status_code == 200
    assert live_client.put(url(fid), json={"version": 1}, headers=issue("admin")).status_code \
        == 200
    # Counted by token id, never by the token itself.
    first_id, first_secret = tokens.parse(first["Authorization"].removeprefix("Bearer "))
    with live_app.app_context(), get_engine().connect() as conn:
        keys = conn.execute(sa.text("SELECT limit_key FROM rate_limits")).scalars().all()
    assert any(first_id in k for k in keys)
    assert not any(first_secret in k for k in keys)


def test_two_servers_on_one_database_share_a_tokens_limit(make_app, live_client, issue):
    """Two apps (two servers, each with its own Flask-Limiter and storage object) on one
    database: a token's 30 writes a minute are 30 in all, not 30 on each."""
    other = make_app().test_client()
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    statuses = []
    for i in range(2 * DEFAULT_PROVIDER_LIMIT):
        client = (live_client, other)[i % 2]
        statuses.append(client.put(url(fid), json={"version": 99}, headers=me).status_code)
    assert statuses == [409] * DEFAULT_PROVIDER_LIMIT + [429] * DEFAULT_PROVIDER_LIMIT


def test_two_server_processes_share_a_tokens_limit(db_url, tmp_path):
    """Two gunicorn servers (separate processes, nothing shared but the database), writes
    alternating between them: 25 writes with one token, 10 allowed a minute in all."""
    upgrade(db_url)
    engine = sa.create_engine(db_url)
    token = tokens.issue(engine, "provider", "demo-dc-00001")
    engine.dispose()
    config = {"PROVIDER_WRITE_RATE_LIMIT": "10 per minute"}
    servers = [Gunicorn(db_url, tmp_path / name, config=config, workers=1) for name in "ab"]
    try:
        for server in servers:
            server.start()
        path = "/api/v1/providers/demo-dc-00001/availability"
        statuses = [request("PUT", servers[i % 2].url + path, {"version": 99}, token)[0]
                    for i in range(25)]
    finally:
        for server in servers:
            server.kill(signal.SIGTERM)
    assert statuses == [409] * 10 + [429] * 15


# --- item 3: the history in pages ---------------------------------------------------------------
def test_history_comes_in_pages(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    admin = issue("admin")
    for version in range(7):
        assert live_client.put(url(fid), json={"version": version,
                                               "vacancies": {"regular": version}},
                               headers=admin).status_code == 200
    history = f"/api/v1/providers/{fid}/history"
    pages, link = [], f"{history}?limit=3"
    while link:
        body = live_client.get(link, headers=admin).json
        pages.append([c["version"] for c in body["changes"]])
        link = body["next"]
        assert link is None or link.startswith(f"{history}?")  # relative, only our parameters
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]
    everything = live_client.get(history, headers=admin).json  # default page: 20
    assert ([c["version"] for c in everything["changes"]], everything["next"]) == \
        (list(range(7, 0, -1)), None)
    for query, field in (("limit=51", "limit"), ("limit=0", "limit"), ("limit=x", "limit"),
                         ("before=-1", "before"), ("before=99999999999", "before")):
        r = live_client.get(f"{history}?{query}", headers=admin)
        assert (r.status_code, r.json["error"]["field"]) == (400, field), query
    assert "50" in live_client.get(f"{history}?limit=51", headers=admin).json["error"]["message"]


# --- item 6: reported_by for admins only --------------------------------------------------------
def test_reported_by_is_shown_to_admins_only(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me, admin = issue("provider", fid), issue("admin")
    mine = live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 2}},
                           headers=me)
    assert mine.status_code == 200 and "reported_by" not in mine.json
    my_id = tokens.parse(me["Authorization"].removeprefix("Bearer "))[0]
    assert "reported_by" not in live_client.get(url(fid)).json
    assert "reported_by" not in live_client.get(url(fid), headers=me).json
    assert "reported_by" not in live_client.get(
        url(fid), headers={"Authorization": "Bearer dlb_0000_not-a-valid-secret-at-all"}).json
    assert live_client.get(url(fid), headers=admin).json["reported_by"] == my_id
    stale = live_client.put(url(fid), json={"version": 0}, headers=me)
    assert stale.status_code == 409 and "reported_by" not in stale.json["error"]["current"]
    stale = live_client.put(url(fid), json={"version": 0}, headers=admin)
    assert stale.json["error"]["current"]["reported_by"] == my_id


# --- item 9: client errors are 400/409, never 500 or "database cannot be reached" ---------------
def test_a_body_nested_975_levels_is_a_400(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    r = put_raw(live_client, fid, "[" * 975 + "]" * 975, issue("admin"))
    assert r.status_code == 400
    assert r.json["error"]["field"] == "body"
    assert "32 levels" in r.json["error"]["message"]
    deep = '{"version": 0, "vacancies": ' + '{"a": ' * 500 + "1" + "}" * 501
    assert put_raw(live_client, fid, deep, issue("admin")).status_code == 400


def test_a_json_body_nested_deep_is_a_400_on_every_json_route(live_client, issue):
    """The same bound holds for request.get_json (here the planners' POST routes)."""
    r = live_client.post("/api/v1/coverage/compare", data="[" * 975 + "]" * 975,
                         headers={**issue("admin"), "Content-Type": "application/json"})
    assert r.status_code == 400, r.json


@pytest.mark.parametrize("version", [2147483647, 9223372036854775807, 2**70])
def test_a_version_beyond_the_column_is_a_400(live_client, issue, version):
    fid = nearest_daycare(live_client)["facility"]["id"]
    r = live_client.put(url(fid), json={"version": version}, headers=issue("admin"))
    assert (r.status_code, r.json["error"]["field"]) == (400, "version")
    assert "2147483646" in r.json["error"]["message"]


def test_the_largest_version_is_a_conflict_not_an_error(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    r = live_client.put(url(fid), json={"version": 2147483646}, headers=issue("admin"))
    assert r.status_code == 409 and r.json["error"]["current"]["version"] == 0


def test_a_value_the_database_refuses_is_a_client_error_not_an_outage(live_client, issue,
                                                                      db_url, monkeypatch):
    """Without the version check the database itself refuses the number (PostgreSQL: integer
    out of range, a DataError; SQLite: too large for its driver): still a 400 — or a 409
    where the database can hold it — and never 503 "cannot be reached"."""
    monkeypatch.setattr(record, "MAX_VERSION", 2**80)
    fid = nearest_daycare(live_client)["facility"]["id"]
    admin = issue("admin")
    big = live_client.put(url(fid), json={"version": 9223372036854775807}, headers=admin)
    assert big.status_code == 400, big.json
    int4 = live_client.put(url(fid), json={"version": 2147483647}, headers=admin)
    assert int4.status_code == (400 if db_url.startswith("postgresql") else 409), int4.json


@pytest.mark.parametrize("reason", ["a\x00b", "bell\x07", "\u202eevil", "\ud800", "two\nlines"])
def test_control_characters_in_text_are_a_400(live_client, issue, reason):
    fid = nearest_daycare(live_client)["facility"]["id"]
    body = json.dumps({"version": 0, "closures": closures(1, reason)})  # \u escapes
    r = put_raw(live_client, fid, body, issue("provider", fid))
    assert (r.status_code, r.json["error"]["field"]) == (400, "closures[0].reason"), r.json


@pytest.mark.parametrize("token", ["dlb_a\x00b_c", "dlb_a\x00b_" + "c" * 43, "dlb_ab_c\x00" * 3,
                                   "dlb_" + "a" * 5000 + "_" + "b" * 43])
def test_a_malformed_token_is_refused_before_it_reaches_the_database(live_client, token):
    fid = nearest_daycare(live_client)["facility"]["id"]
    r = live_client.put(url(fid), json={"version": 0},
                        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.json
    assert live_client.get("/api/v1/providers/me",
                           headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_planner_sign_in_with_a_nul_in_the_token_is_refused_not_an_outage(live_client):
    r = live_client.post("/planner/login", data="token=dlb_a%00b_c",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 401


def test_revoking_a_malformed_token_id_is_no_such_token(live_app):
    with live_app.app_context():
        assert tokens.revoke(get_engine(), "a\x00b") is False


def test_only_connection_failures_count_as_outages():
    def wrapped(cls, orig):
        return cls("SELECT 1", {}, orig)

    assert is_outage(wrapped(sa.exc.OperationalError, psycopg.OperationalError("refused")))
    assert is_outage(wrapped(sa.exc.OperationalError, psycopg.errors.AdminShutdown()))
    assert not is_outage(wrapped(sa.exc.DataError, psycopg.errors.NumericValueOutOfRange()))
    assert not is_outage(wrapped(sa.exc.DataError, psycopg.DataError("NUL bytes")))
    assert not is_outage(wrapped(sa.exc.IntegrityError, psycopg.errors.UniqueViolation()))
    assert not is_outage(wrapped(sa.exc.OperationalError,
                                 psycopg.errors.ProgramLimitExceeded()))
    import sqlite3
    assert is_outage(wrapped(sa.exc.OperationalError, sqlite3.OperationalError("locked")))
    assert not is_outage(wrapped(sa.exc.InterfaceError, sqlite3.InterfaceError("binding")))


# --- item 20: the server that acknowledged a write shows it on its next search -------------------
DAY = next_weekday(1)  # a Tuesday ahead: searches refuse windows far from today
WINDOW = {**SUWON, "kind": "daycare", "limit": "5", "start": f"{DAY}T10:00",
          "end": f"{DAY}T12:00"}


def _write_then_search(client, fid: str, admin: dict, rounds: int) -> None:
    def ids():
        return [r["facility"]["id"] for r in client.get(
            "/api/v1/facilities/nearest", query_string=WINDOW).json["results"]]

    assert fid in ids()
    version = client.get(url(fid)).json["version"]
    for i in range(rounds):
        closed = i % 2 == 0
        closure = {"start": f"{DAY}T00:00", "end": f"{DAY}T23:59", "reason": "방역"}
        body = {"version": version, "vacancies": {"regular": i % 7},
                "closures": [closure] if closed else []}
        r = client.put(url(fid), json=body, headers=admin)
        assert r.status_code == 200, r.json
        version = r.json["version"]
        assert (fid in ids()) is not closed, (i, closed)  # no sleep, no retry


def test_a_write_is_in_the_next_search_of_the_server_that_took_it(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    _write_then_search(live_client, fid, issue("admin"), rounds=40)


def test_even_before_the_watcher_hears_of_it(live_app, live_client, issue, monkeypatch):
    """The guarantee does not rest on the watcher's timing: with every change notice held
    back (a NOTIFY still on its way), the server that took the write still shows it."""
    fid = nearest_daycare(live_client)["facility"]["id"]
    with live_app.app_context():
        live = get_store().live
        live.sync(get_engine())
        watcher = next(iter(live._watchers.values()))
    monkeypatch.setattr(watcher, "changed", lambda: False)
    _write_then_search(live_client, fid, issue("admin"), rounds=10)
