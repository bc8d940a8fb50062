"""Long planning work runs as a job in the shared database, never past the worker timeout
(issue 12, item 10): 202 + Location, polled from another server, picked up again when its
server stops; the solver and the whole job have time limits."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from app import create_app
from app.api import planning_jobs
from app.db.engine import make_engine, upgrade
from app.extensions.db import get_engine
from app.live import tokens
from app.planning import sites as sites_module
from app.planning.sites import suggest_sites

# Four 100 m cells in 수원 (인계동 ×2, 화서동, 신동): a demand layer that loads in a moment.
CELLS = "cell_id,age_0_9,age_10_19\n다사582184,120,40\n다사583191,90,30\n다사565202,150,60\n" \
        "다사596168,80,20\n"
BODY = {"service": "daycare", "period": "day", "p": 2, "radius_m": 300, "method": "greedy"}


def _app(instance, **config):
    return create_app({"TESTING": True, "PLANNING_DEMAND_PATH": str(instance / "cells.csv"),
                       "PLANNING_DEMAND_FORMAT": "cells", "PLANNING_JOB_POLL_S": 0.2, **config},
                      instance_path=str(instance))


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """Two apps over one instance folder (one SQLite database): two servers of one deployment.
    The first runs every suggestion as a job."""
    instance = tmp_path_factory.mktemp("jobs")
    (instance / "cells.csv").write_text(CELLS, encoding="utf-8")
    one = _app(instance, PLANNING_SITES_SYNC_MAX_WORK=0)
    two = _app(instance)
    yield one, two
    for app in (one, two):
        planning_jobs.stop_runner(app)
        with app.app_context():
            get_engine().dispose()


@pytest.fixture(scope="module")
def admin(apps):
    with apps[0].app_context():
        return {"Authorization": f"Bearer {tokens.issue(get_engine(), 'admin')}"}


def _wait(client, url, headers, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.json
        if r.json["status"] in ("done", "failed"):
            return r.json
        time.sleep(0.2)
    raise AssertionError(f"the job at {url} did not finish in {timeout_s} s: {r.json}")


def test_a_job_started_on_one_server_is_polled_on_another(apps, admin):
    one, two = apps
    r = one.test_client().post("/api/v1/coverage/sites", json=BODY, headers=admin)
    assert r.status_code == 202, r.json
    url = r.headers["Location"]
    assert url.startswith("/api/v1/coverage/jobs/") and r.json["status_url"] == url
    # the job's state when the answer was written: on an idle machine its worker may be done already
    assert r.json["status"] in ("queued", "running", "done")
    assert (r.json["result"] is None) == (r.json["status"] != "done")
    assert r.headers["Retry-After"]
    job = _wait(two.test_client(), url, admin)  # the other server reads it from the database
    assert job["status"] == "done" and job["error"] is None and job["progress"] == 1.0
    assert job["expires_at"] > job["finished_at"]
    result = job["result"]
    assert [s["rank"] for s in result["sites"]] == [1, 2]
    assert result["covered_after"] == pytest.approx(
        result["covered_before"] + sum(s["newly_covered"] for s in result["sites"]))
    # the same question answered inline by the second server (it may: small and greedy)
    inline = two.test_client().post("/api/v1/coverage/sites", json=BODY, headers=admin)
    assert inline.status_code == 200
    assert [s["id"] for s in inline.json["sites"]] == [s["id"] for s in result["sites"]]
    assert one.test_client().get(url, headers=admin).json["status"] == "done"


def test_prefer_respond_async_asks_for_a_job(apps, admin):
    r = apps[1].test_client().post("/api/v1/coverage/sites", json=BODY,
                                   headers={**admin, "Prefer": "respond-async"})
    assert r.status_code == 202
    assert _wait(apps[1].test_client(), r.headers["Location"], admin)["status"] == "done"


def test_a_job_left_by_a_stopped_server_is_run_by_another(apps, admin):
    one, two = apps
    with one.app_context():
        engine = get_engine()
        job_id = planning_jobs.submit(engine, "sites", {
            **BODY, "supply": "capacity", "area": None, "candidates": None, "n_candidates": 100,
            "scenario": {}}, "test", 20)
        # a server claims it and dies: its heartbeat stops ten minutes ago
        with engine.begin() as conn:
            conn.execute(sa.update(planning_jobs.jobs).where(planning_jobs.jobs.c.id == job_id)
                         .values(status="running", worker="gone:1", attempts=1,
                                 heartbeat_at=datetime.now(UTC) - timedelta(minutes=10)))
    job = _wait(two.test_client(), f"/api/v1/coverage/jobs/{job_id}", admin)
    assert job["status"] == "done" and job["attempts"] == 2


def test_a_job_that_fails_says_why(apps, admin):
    one, _ = apps
    with one.app_context():
        job_id = planning_jobs.submit(get_engine(), "sites", {
            **BODY, "supply": "capacity", "area": None, "candidates": None, "n_candidates": 100,
            "scenario": {"close": ["no-such-provider"]}}, "test", 20)
    job = _wait(one.test_client(), f"/api/v1/coverage/jobs/{job_id}", admin)
    assert job["status"] == "failed" and job["result"] is None
    assert job["error"]["code"] == "invalid_parameter"
    assert job["error"]["field"] == "scenario.close[0]"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database of each kind (PostgreSQL when DOLBOM_TEST_POSTGRES_URL names a test
    cluster with PostGIS: ``eval "$(bash .ci/postgres.sh)"``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
        return
    base = os.environ.get("DOLBOM_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("no PostgreSQL: eval \"$(bash .ci/postgres.sh)\" or python3 manage.py test")
    url = sa.make_url(base)
    name = f"dolbom_jobs_{os.getpid()}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM pg_available_extensions "
                                    "WHERE name = 'postgis'")).first() is None:
                pytest.skip("the test PostgreSQL has no PostGIS, which the schema needs")
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))  # an earlier run's
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def test_claim_is_a_compare_and_set(db_url):
    url = db_url
    upgrade(url)
    engine = make_engine(url)
    try:
        job_id = planning_jobs.submit(engine, "sites", {"p": 1}, "tok", 5)
        assert planning_jobs.claim(engine, "a", 60, 2) == (job_id, "sites", {"p": 1})
        assert planning_jobs.claim(engine, "b", 60, 2) is None  # nothing left for b
        assert not planning_jobs.beat(engine, job_id, "b", 0.5)  # not b's job
        assert planning_jobs.beat(engine, job_id, "a", 0.5, "half")
        assert planning_jobs.load(engine, job_id, 60)["progress"] == 0.5
        assert not planning_jobs.finish(engine, job_id, "b", result={"x": 1})
        assert planning_jobs.finish(engine, job_id, "a", result={"x": 1})
        done = planning_jobs.load(engine, job_id, 60)
        assert done["status"] == "done" and done["result"] == {"x": 1}
        # kept keep_s seconds after it ended, then gone
        later = datetime.now(UTC) + timedelta(seconds=61)
        assert planning_jobs.load(engine, job_id, 60, now=later) is None
        assert planning_jobs.purge(engine, 60, now=later) == 1
        # a job whose runner stopped twice is failed with a reason, not run for ever
        lost = planning_jobs.submit(engine, "sites", {}, "tok", 5)
        past = datetime.now(UTC) - timedelta(minutes=5)
        assert planning_jobs.claim(engine, "a", 60, 2, now=past)[0] == lost
        assert planning_jobs.claim(engine, "b", 60, 2, now=past + timedelta(seconds=61))[0] == lost
        assert planning_jobs.claim(engine, "c", 60, 2, now=past + timedelta(seconds=122)) is None
        failed = planning_jobs.load(engine, lost, 600)
        assert failed["status"] == "failed" and failed["error"]["code"] == "job_lost"
        # at most max_waiting jobs wait or run
        planning_jobs.submit(engine, "sites", {}, "tok", 1)
        with pytest.raises(planning_jobs.TooManyJobs, match="limit is 1"):
            planning_jobs.submit(engine, "sites", {}, "tok", 1)
    finally:
        engine.dispose()


def test_too_many_waiting_jobs_is_a_429(apps, admin):
    one, _ = apps
    one.config["PLANNING_JOB_MAX_WAITING"] = 0
    try:
        r = one.test_client().post("/api/v1/coverage/sites", json=BODY, headers=admin)
    finally:
        one.config["PLANNING_JOB_MAX_WAITING"] = 20
    assert r.status_code == 429 and r.json["error"]["code"] == "too_many_jobs"
    assert "PLANNING_JOB_MAX_WAITING" in r.json["error"]["message"]


def test_job_urls_need_an_admin_and_a_known_id(apps, admin):
    client = apps[0].test_client()
    assert client.get("/api/v1/coverage/jobs/abcdefgh12345678").status_code == 401
    with apps[0].app_context():
        provider = tokens.issue(get_engine(), "provider", "demo-dc-00010")
    r = client.get("/api/v1/coverage/jobs/abcdefgh12345678",
                   headers={"Authorization": f"Bearer {provider}"})
    assert r.status_code == 403
    for job_id in ("abcdefgh12345678", "x"):
        r = client.get(f"/api/v1/coverage/jobs/{job_id}", headers=admin)
        assert r.status_code == 404 and r.json["error"]["field"] == "job_id"


def test_the_exact_solver_gets_the_configured_time_limit(apps, admin, monkeypatch):
    one, _ = apps
    seen = []
    real = sites_module._cbc

    def spy(time_limit_s):
        seen.append(time_limit_s)
        return real(time_limit_s)

    monkeypatch.setattr(sites_module, "_cbc", spy)
    for app in apps:  # whichever server's runner takes the job uses its own settings
        monkeypatch.setitem(app.config, "PLANNING_CBC_TIME_LIMIT_S", 7)
    r = one.test_client().post("/api/v1/coverage/sites", json={**BODY, "method": "exact"},
                               headers=admin)
    assert r.status_code == 202  # exact always runs as a job
    job = _wait(one.test_client(), r.headers["Location"], admin)
    assert job["status"] == "done" and job["result"]["method"] == "exact"
    assert seen and all(0 < t <= 7 for t in seen)


def test_exact_is_refused_beyond_its_pair_limit(apps, admin):
    one, _ = apps
    one.config["PLANNING_EXACT_MAX_PAIRS"] = 1
    try:
        r = one.test_client().post("/api/v1/coverage/sites", json={**BODY, "method": "exact"},
                                   headers=admin)
    finally:
        one.config["PLANNING_EXACT_MAX_PAIRS"] = 1_000_000
    assert r.status_code == 400 and r.json["error"]["field"] == "method"
    assert "PLANNING_EXACT_MAX_PAIRS" in r.json["error"]["message"]


def test_a_deadline_ends_the_swaps_with_an_answer():
    rng = np.random.default_rng(3)
    demand = rng.uniform(0, 5000, (400, 2))
    kids = rng.uniform(1, 50, 400)
    cand = rng.uniform(0, 5000, (120, 2))
    free = suggest_sites(demand, kids, np.zeros((0, 2)), cand, 400, 6, method="greedy")
    cut = suggest_sites(demand, kids, np.zeros((0, 2)), cand, 400, 6, method="auto", deadline_s=0)
    assert not free.stopped_early and cut.stopped_early
    assert len(cut.chosen) == 6 and cut.method == "greedy"  # no CBC without time left
    assert cut.covered_after <= free.covered_after + 1e-9
