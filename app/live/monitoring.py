"""The regional centre's monitoring report over providers' availability reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from app.live.record import LiveRecord
from app.search.model import Facility


def monitoring_report(facilities: Iterable[Facility], live_records: Mapping[str, LiveRecord],
                      not_reported_hours: float, now: datetime) -> dict[str, Any]:
    """Providers silent for more than ``not_reported_hours`` by 시군구, and providers
    reporting more places than their capacity (``live_records``: the current report per
    facility id; a facility without one counts with the registry's report). The API's
    ``/admin/report`` and ``flask availability-report`` both answer with this."""
    cutoff = now - timedelta(hours=not_reported_hours)
    silent: dict[str, list[dict]] = defaultdict(list)
    over: list[dict] = []
    for f in facilities:
        if not f.is_open_status:
            continue
        rec = live_records.get(f.id)
        reported = rec.reported_at if rec else f.availability_reported_at
        if reported is None or reported < cutoff:
            silent[f.sigungu or "?"].append({"id": f.id, "name": f.name,
                                             "last_report": reported.isoformat()
                                             if reported else None})
        vacancies = rec.vacancies if rec else f.vacancies
        if f.capacity is not None and any(v > f.capacity for v in vacancies.values()):
            over.append({"id": f.id, "name": f.name, "sigungu": f.sigungu,
                         "capacity": f.capacity, "vacancies": dict(vacancies)})
    return {
        "not_reported_hours": not_reported_hours,
        "generated_at": now.isoformat(timespec="seconds"),
        "not_reported_by_sigungu": {k: {"count": len(v), "providers": v}
                                    for k, v in sorted(silent.items())},
        "over_capacity": over,
    }
