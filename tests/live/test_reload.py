"""Every gunicorn worker serves a new registry file without a restart."""

from __future__ import annotations

import time
from pathlib import Path

from app.db.engine import upgrade
from app.registry.io import write_registry

from ..conftest import demo_registry
from .servers import Gunicorn, request


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # not a process, or gone meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def test_every_worker_serves_a_new_registry_without_a_restart(tmp_path):
    daycares = [f for f in demo_registry().facilities
                if f.kind == "daycare" and f.is_open_status]
    path = tmp_path / "registry.geojson"
    write_registry(path, {"name": "before", "synthetic": True}, daycares[:40])
    db_url = f"sqlite:///{tmp_path}/live.sqlite3"
    upgrade(db_url)
    server = Gunicorn(db_url, tmp_path, config={"REGISTRY_PATH": str(path),
                                                "REGISTRY_CHECK_SECONDS": 0.2}).start()
    try:
        assert {request("GET", f"{server.url}/api/v1/meta")[1]["name"]
                for _ in range(20)} == {"before"}
        workers = _children(server.proc.pid)
        assert len(workers) == 2
        write_registry(path, {"name": "after", "synthetic": True}, daycares[:7])
        deadline = time.monotonic() + 20
        in_a_row = 0
        while in_a_row < 40:  # both workers answer over 40 requests
            status, body = request("GET", f"{server.url}/api/v1/meta")
            assert status == 200
            in_a_row = in_a_row + 1 if (body["name"], body["total"]) == ("after", 7) else 0
            assert time.monotonic() < deadline, "a worker still serves the old registry"
        assert _children(server.proc.pid) == workers  # the same workers: nothing restarted
    finally:
        server.kill()
