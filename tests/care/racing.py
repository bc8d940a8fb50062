"""Run calls at the same moment, for the booking race tests (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(*calls: Callable[[], object], timeout_s: float = 60) -> list[object]:
    """Run ``calls`` in threads released together by a barrier; each one's result or the
    exception it raised, in the order given (a thread still running after ``timeout_s``: its
    entry is a ``TimeoutError``, so a deadlock fails the test instead of hanging it)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [TimeoutError("still running")] * len(calls)

    def run(n: int, call: Callable[[], object]) -> None:
        barrier.wait(10)
        try:
            outcomes[n] = call()
        except BaseException as exc:  # a deadlock (PostgreSQL 40P01) lands here too
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    return outcomes
