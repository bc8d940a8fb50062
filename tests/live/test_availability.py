"""Provider reports on SQLite and PostgreSQL: auth, versions, audit, validation, search."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions.db import get_engine
from app.extensions.registry import get_store

from ..conftest import next_weekday

SUWON = {"lat": "37.2636", "lon": "127.045"}
EMPTY = {"vacancies": {}, "slots": {}, "hours": {}, "closures": []}  # a report as stored


def nearest_daycare(client) -> dict:
    body = client.get("/api/v1/facilities/nearest",
                      query_string={**SUWON, "kind": "daycare", "limit": "1"}).json
    return body["results"][0]


def url(fid: str) -> str:
    return f"/api/v1/providers/{fid}/availability"


def test_first_report_then_update_and_history(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    assert live_client.get(url(fid)).json["version"] == 0
    r = live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 3}}, headers=me)
    assert r.status_code == 200 and r.json["version"] == 1
    r = live_client.put(url(fid), json={"version": 1, "vacancies": {"regular": 2}}, headers=me)
    assert r.json["version"] == 2 and r.json["vacancies"] == {"regular": 2}
    admin = issue("admin")
    changes = live_client.get(f"/api/v1/providers/{fid}/history", headers=admin).json["changes"]
    assert [(c["version"], c["old"] and c["old"]["vacancies"], c["new"]["vacancies"])
            for c in changes] == [(2, {"regular": 3}, {"regular": 2}),
                                  (1, None, {"regular": 3})]
    assert live_client.get(f"/api/v1/providers/{fid}/history", headers=me).status_code == 403


def test_stale_write_gets_409_with_current(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 3}}, headers=me)
    r = live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 9}}, headers=me)
    assert r.status_code == 409
    assert r.json["error"]["current"]["version"] == 1
    assert r.json["error"]["current"]["vacancies"] == {"regular": 3}


def test_auth(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    body = {"version": 0, "vacancies": {"regular": 1}}
    r = live_client.put(url(fid), json=body)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = live_client.put(url(fid), json=body, headers={"Authorization": "Bearer dlb_x_y"})
    assert r.status_code == 401
    other = issue("provider", "demo-dc-00002" if fid != "demo-dc-00002" else "demo-dc-00003")
    assert live_client.put(url(fid), json=body, headers=other).status_code == 403
    assert live_client.put(url(fid), json=body, headers=issue("admin")).status_code == 200


def test_revoked_token_is_refused(live_app, live_client, issue):
    from app.live import tokens

    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    token_id = me["Authorization"].split("_")[1]
    with live_app.app_context():
        assert tokens.revoke(get_engine(), token_id)
        with get_engine().connect() as conn:
            row = conn.execute(sa.text("SELECT secret_hash FROM tokens")).first()
    assert me["Authorization"].split("_", 2)[2] not in row[0]  # stored hashed
    r = live_client.put(url(fid), json={"version": 0}, headers=me)
    assert r.status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"version": 0, "vacancies": {"regular": -1}}, "vacancies.regular"),
    ({"version": 0, "vacancies": {"regular": 1.5}}, "vacancies.regular"),
    ({"version": 0, "vacancies": {"regular": "3"}}, "vacancies.regular"),
    ({"version": 0, "vacancies": {"night": 1}}, "vacancies.night"),
    ({"vacancies": {"regular": 1}}, "version"),
    ({"version": 0, "slots": {"always_daycare": [
        {"start": "2026-11-24T20:00", "end": "2026-11-24T19:00", "places": 1}]}},
     "slots.always_daycare[0].end"),
    ({"version": 0, "closures": [{"start": "2026-11-24", "end": "nope"}]}, "closures[0].end"),
    ({"version": 0, "hours": {"2026-11-24": ["19:30-07:30"]}}, "hours.2026-11-24"),
    ({"version": 0, "extra": 1}, "extra"),
    ([1, 2], "body"),
])
def test_bad_input_changes_nothing(live_client, issue, body, field):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    r = live_client.put(url(fid), json=body, headers=me)
    assert r.status_code == 400, r.json
    assert r.json["error"]["field"] == field
    assert live_client.get(url(fid)).json["version"] == 0


def test_wrong_content_type_and_oversized_body(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    r = live_client.put(url(fid), data='{"version": 0}', headers={**me,
                                                                  "Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json["error"]["field"] == "Content-Type"
    big = '{"version": 0, "closures": [' + ",".join(['{"start": "2026-11-24T09:00", '
                                                     '"end": "2026-11-24T10:00", "reason": "'
                                                     + "x" * 500 + '"}'] * 200) + "]}"
    r = live_client.put(url(fid), data=big, headers={**me, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"]["field"] == "body"
    r = live_client.put(url(fid), data="{not json", headers={**me,
                                                             "Content-Type": "application/json"})
    assert r.status_code == 400
    assert live_client.get(url(fid)).json["version"] == 0


def test_unknown_facility(live_client, issue):
    r = live_client.put(url("nope"), json={"version": 0}, headers=issue("admin"))
    assert r.status_code == 404


def test_audit_log_is_append_only(live_app, live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 1}},
                    headers=issue("provider", fid))
    with live_app.app_context(), pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"), \
            get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'forged'"))
    with live_app.app_context(), pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"), \
            get_engine().begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))


def test_another_server_sees_the_update_within_the_propagation_bound(make_app, issue,
                                                                     live_client):
    # A second app on the same database stands for another worker or machine.
    other = make_app().test_client()
    hit = nearest_daycare(other)
    fid = hit["facility"]["id"]
    me = issue("provider", fid)
    live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 0}}, headers=me)
    seen = eventually(lambda: (h := nearest_daycare(other))["availability"]["status"] == "full"
                      and h)
    assert seen["facility"]["id"] == fid
    assert seen["availability"]["status"] == "full"
    put = live_client.put(url(fid), json={"version": 1, "vacancies": {"regular": 4}}, headers=me)
    seen = eventually(lambda: (h := nearest_daycare(other))["availability"]["places"] == 4
                      and h)
    assert (seen["availability"]["status"], seen["availability"]["places"]) == ("available", 4)
    assert seen["availability"]["age_minutes"] == 0
    # the time of the new report, not the one this server showed before
    assert seen["availability"]["reported_at"] == put.json["reported_at"] != hit["availability"]["reported_at"]
    only = other.get("/api/v1/facilities/nearest", query_string={
        **SUWON, "kind": "daycare", "available": "true", "limit": "1"}).json["results"]
    assert only[0]["facility"]["id"] == fid


def overlay_of(app):
    """Sync the app's copy of the reports (as its next search would) and return it."""
    with app.app_context():
        live = get_store().live
        live.sync(get_engine())
    return live


PROPAGATION_BOUND_S = 5.0  # far above what bench/bench_propagation.py measures


def eventually(check, bound_s: float = PROPAGATION_BOUND_S):
    """``check()`` until it returns a true value; another server sees a write once it reaches
    its watcher: on SQLite at its next search, on PostgreSQL when the NOTIFY arrives (a moment
    after the commit). Fails after ``bound_s``."""
    deadline = time.monotonic() + bound_s
    while not (found := check()):
        assert time.monotonic() < deadline, "the change did not reach the other server"
        time.sleep(0.01)
    return found


def synced(other, fid: str, version: int):
    """The other server's record of ``fid`` once it has caught up with ``version``."""
    return eventually(lambda: (rec := overlay_of(other).get(fid)) is not None
                      and rec.version >= version and rec)


def test_a_report_too_big_for_a_notification_reaches_every_server(make_app, issue,
                                                                  live_client):
    other = make_app()
    # A provider that runs always_daycare: slots are refused for programmes it does not run.
    fid = other.test_client().get("/api/v1/facilities/nearest", query_string={
        **SUWON, "programme": "always_daycare", "limit": "1"}).json["results"][0]["facility"]["id"]
    slots = [{"start": f"{date(2026, 12, 1) + timedelta(days=i)}T19:00:00+09:00",
              "end": f"{date(2026, 12, 1) + timedelta(days=i)}T23:00:00+09:00", "places": 2}
             for i in range(150)]
    body = {"version": 0, "vacancies": {"regular": 5}, "slots": {"always_daycare": slots}}
    assert len(json.dumps(body)) > 8000  # PostgreSQL's NOTIFY payload limit
    assert live_client.put(url(fid), json=body, headers=issue("admin")).status_code == 200
    record = synced(other, fid, 1)
    assert (record.version, record.vacancies, len(record.slots["always_daycare"])) == \
        (1, {"regular": 5}, 150)


def test_a_change_made_outside_the_app_is_audited_and_seen(make_app, issue, live_client):
    other = make_app()
    fid = nearest_daycare(other.test_client())["facility"]["id"]
    live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": 1}},
                    headers=issue("admin"))
    assert synced(other, fid, 1).vacancies == {"regular": 1}
    with other.app_context(), get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE availability SET version = 2, reported_by = 'dba', "
                             "data = '{\"vacancies\": {\"regular\": 7}}' "
                             "WHERE facility_id = :f"), {"f": fid})
    assert synced(other, fid, 2).vacancies == {"regular": 7}
    changes = live_client.get(f"/api/v1/providers/{fid}/history",
                              headers=issue("admin")).json["changes"]
    newest = changes[0]
    assert (newest["version"], newest["actor"], newest["old"], newest["new"]) == \
        (2, "dba", {**EMPTY, "vacancies": {"regular": 1}}, {"vacancies": {"regular": 7}})


def test_writes_committed_out_of_audit_order_are_all_seen(make_app, db_url, issue,
                                                          live_client):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time: audit entries follow commit order")
    other = make_app()
    overlay_of(other)
    first, second = "demo-dc-00001", "demo-dc-00002"
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as slow:
            pending = slow.begin()  # takes the lower audit id, commits last
            slow.execute(sa.text(
                "INSERT INTO availability (facility_id, version, data, reported_at, reported_by) "
                "VALUES (:f, 1, '{\"vacancies\": {\"regular\": 3}}', now(), 'slow')"),
                {"f": first})
            assert live_client.put(url(second), json={"version": 0, "vacancies": {"regular": 4}},
                                   headers=issue("admin")).status_code == 200
            assert synced(other, second, 1).vacancies == {"regular": 4}
            pending.commit()
    finally:
        engine.dispose()
    assert synced(other, first, 1).vacancies == {"regular": 3}


def test_closure_and_changed_hours_apply_to_searches(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    me = issue("provider", fid)
    day = next_weekday(1)  # a Tuesday ahead: searches refuse windows far from today
    window = {**SUWON, "kind": "daycare", "limit": "3",
              "start": f"{day}T10:00", "end": f"{day}T12:00"}

    def ids():
        return [r["facility"]["id"] for r in
                live_client.get("/api/v1/facilities/nearest", query_string=window).json[
                    "results"]]

    assert fid in ids()
    live_client.put(url(fid), json={"version": 0, "closures": [
        {"start": f"{day}T00:00", "end": f"{day}T23:59", "reason": "방역"}]},
        headers=me)
    assert fid not in ids()
    live_client.put(url(fid), json={"version": 1, "hours": {day: ["13:00-19:30"]}},
                    headers=me)
    assert fid not in ids()
    live_client.put(url(fid), json={"version": 2, "hours": {day: ["07:30-19:30"]}},
                    headers=me)
    assert fid in ids()


@pytest.mark.full_demo  # the report counts the province's silent providers
def test_admin_report(live_client, issue):
    fid = nearest_daycare(live_client)["facility"]["id"]
    capacity = nearest_daycare(live_client)["facility"]["capacity"]
    live_client.put(url(fid), json={"version": 0, "vacancies": {"regular": capacity + 5}},
                    headers=issue("provider", fid))
    admin = issue("admin")
    report = live_client.get("/api/v1/admin/report?hours=24", headers=admin).json
    assert [f["id"] for f in report["over_capacity"]] == [fid]
    silent = report["not_reported_by_sigungu"]
    assert sum(v["count"] for v in silent.values()) > 1000
    assert all(fid != p["id"] for v in silent.values() for p in v["providers"])
    assert live_client.get("/api/v1/admin/report", headers=issue("provider", fid)) \
        .status_code == 403


def test_cli_tokens_and_report(live_app):
    runner = live_app.test_cli_runner()
    r = runner.invoke(args=["token", "issue", "--facility", "demo-dc-00001", "--label", "t"])
    assert r.exit_code == 0 and r.output.startswith("dlb_")
    token_id = r.output.split("_")[1]
    assert token_id in runner.invoke(args=["token", "list"]).output
    assert runner.invoke(args=["token", "revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(args=["token", "list"]).output
    r = runner.invoke(args=["token", "issue", "--facility", "nope"])
    assert r.exit_code == 1 and "no facility" in r.output
    r = runner.invoke(args=["availability-report", "--hours", "24"])
    assert r.exit_code == 0 and "not reported within 24 h" in r.output
