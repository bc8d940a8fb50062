"""Reads through ``reads(engine)`` neither wait for a writer nor hold one up (issue 15: a
booking's reads at 100 bookings/s); writes through the engine still take the lock at BEGIN."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from app.db.engine import availability, make_engine, reads, upgrade


def _in_thread(work, seconds: float) -> tuple[bool, list]:
    """Run ``work`` in a thread; (finished within ``seconds``, [its result or error])."""
    out: list = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:  # reported to the test
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    return not t.is_alive(), out


def test_a_read_does_not_wait_for_an_open_write_transaction(tmp_path):
    url = f"sqlite:///{tmp_path / 'reads.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as writer:  # holds the write lock until the block ends
        writer.execute(availability.delete())

        def read() -> int:
            with reads(engine).connect() as conn:
                return conn.execute(sa.select(sa.func.count()).select_from(availability)).scalar_one()

        finished, out = _in_thread(read, 3.0)
        assert finished, "the read waited for the writer's lock"
        assert out == [0]

        def write_through_engine() -> int:
            with engine.connect() as conn:  # BEGIN IMMEDIATE: must wait for the writer
                return conn.execute(sa.select(sa.func.count()).select_from(availability)).scalar_one()

        finished, _ = _in_thread(write_through_engine, 0.5)
        assert not finished, "a transaction of the engine itself did not take the write lock at BEGIN"
    engine.dispose()


def test_a_read_in_progress_does_not_hold_up_a_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'reads.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with reads(engine).connect() as reader:
        reader.execute(sa.select(sa.func.count()).select_from(availability)).scalar_one()  # snapshot open

        def write() -> bool:
            with engine.begin() as conn:
                conn.execute(availability.delete())
            return True

        finished, out = _in_thread(write, 3.0)
        assert finished and out == [True], "a read kept a writer waiting"
    engine.dispose()
