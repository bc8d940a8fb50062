"""What-if scenarios: add, close or resize providers, then compare every measure with the
baseline.

A scenario is plain data (``{"add": [...], "close": [...], "resize": [...]}``) so that the API,
the planner page (in its URL) and the notebooks can all write one; :func:`parse_scenario`
checks it and names what is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from app.domain import DomainError
from app.geo import admin
from app.geo.korea import KOREA_LAT_RANGE, KOREA_LON_RANGE
from app.planning.settings import planning_settings, services
from app.search.hours import WeeklyHours
from app.search.model import Facility


class ScenarioError(DomainError):
    """A scenario that cannot be applied; ``field`` names the part at fault."""

    def __init__(self, message: str, field: str = "scenario") -> None:
        super().__init__(message, field)


@dataclass(frozen=True)
class NewCentre:
    """A centre added in a scenario."""

    lon: float
    lat: float
    service: str
    capacity: int
    hours_preset: str


@dataclass(frozen=True)
class Scenario:
    """Changes to the registry: centres added, providers closed, capacities changed."""

    add: tuple[NewCentre, ...] = ()
    close: tuple[str, ...] = ()
    resize: tuple[tuple[str, int], ...] = ()

    @property
    def is_baseline(self) -> bool:
        """True when the scenario changes nothing."""
        return not (self.add or self.close or self.resize)

    def to_json(self) -> dict[str, Any]:
        """The plain-data form :func:`parse_scenario` reads."""
        return {"add": [dataclasses.asdict(a) for a in self.add], "close": list(self.close),
                "resize": [{"id": i, "capacity": c} for i, c in self.resize]}


@overload
def _number(value: object, name: str, lo: float, hi: float, integer: Literal[False] = False) -> float: ...
@overload
def _number(value: object, name: str, lo: float, hi: float, integer: Literal[True]) -> int: ...
def _number(value: object, name: str, lo: float, hi: float, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{name} must be a number", name)
    if integer and (not float(value).is_integer()):
        raise ScenarioError(f"{name} must be a whole number", name)
    if not (np.isfinite(value) and lo <= value <= hi):
        raise ScenarioError(f"{name} must be between {lo} and {hi}", name)
    return int(value) if integer else float(value)


def parse_scenario(data: Mapping[str, Any] | None, known_ids: Mapping[str, Facility]) -> Scenario:
    """Check a scenario's plain data against the registry; raises :class:`ScenarioError`."""
    if data is None:
        return Scenario()
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario is an object with add, close and resize lists")
    unknown = set(data) - {"add", "close", "resize"}
    if unknown:
        raise ScenarioError(f"unknown scenario part(s) {sorted(unknown)}; allowed: add, close, resize")
    limits = planning_settings()["scenario"]
    presets = planning_settings()["hours_presets"]
    parts = {k: data.get(k) or [] for k in ("add", "close", "resize")}
    for k, v in parts.items():
        if not isinstance(v, list):
            raise ScenarioError(f"{k} must be a list", k)
    if sum(len(v) for v in parts.values()) > limits["max_changes"]:
        raise ScenarioError(f"at most {limits['max_changes']} changes per scenario")
    adds = []
    for n, a in enumerate(parts["add"]):
        where = f"add[{n}]"
        if not isinstance(a, Mapping):
            raise ScenarioError(f"{where} must be an object with lon, lat, service, capacity", where)
        service = a.get("service")
        if not isinstance(service, str) or service not in services() or services()[service].get("comes_to_family"):
            allowed = [s for s, v in services().items() if not v.get("comes_to_family")]
            raise ScenarioError(f"{where}.service must be one of {', '.join(allowed)}",
                                f"{where}.service")
        preset = a.get("hours_preset", "round_the_clock")
        if not isinstance(preset, str) or preset not in presets:
            raise ScenarioError(f"{where}.hours_preset must be one of {', '.join(presets)}",
                                f"{where}.hours_preset")
        lon = _number(a.get("lon"), f"{where}.lon", *KOREA_LON_RANGE)
        lat = _number(a.get("lat"), f"{where}.lat", *KOREA_LAT_RANGE)
        area = admin.locate([lon], [lat])[0]
        if area is None or area.sido_code != admin.GYEONGGI_SIDO_CODE:
            raise ScenarioError(f"{where}: ({lon}, {lat}) is not in 경기도", f"{where}.lon")
        cap = _number(a.get("capacity"), f"{where}.capacity", 1, limits["max_capacity"], True)
        adds.append(NewCentre(lon=lon, lat=lat, service=service, capacity=cap, hours_preset=preset))
    closes = []
    for n, fid in enumerate(parts["close"]):
        if not isinstance(fid, str) or fid not in known_ids:
            raise ScenarioError(f"close[{n}]: no provider with id {fid!r}", f"close[{n}]")
        closes.append(fid)
    resizes = []
    for n, r in enumerate(parts["resize"]):
        where = f"resize[{n}]"
        if not isinstance(r, Mapping) or not isinstance(r.get("id"), str) \
                or r.get("id") not in known_ids:
            raise ScenarioError(f"{where}: needs the id of a provider and a capacity", where)
        cap = _number(r.get("capacity"), f"{where}.capacity", 0, limits["max_capacity"], True)
        resizes.append((r["id"], cap))
    return Scenario(add=tuple(adds), close=tuple(closes), resize=tuple(resizes))


def apply_scenario(facilities: Sequence[Facility], scenario: Scenario) -> list[Facility]:
    """The registry as the scenario would make it (the input is not changed)."""
    closed = set(scenario.close)
    sizes = dict(scenario.resize)
    out = []
    for f in facilities:
        if f.id in closed:
            continue
        if f.id in sizes:
            f = dataclasses.replace(f, capacity=sizes[f.id])
        out.append(f)
    presets = planning_settings()["hours_presets"]
    for n, a in enumerate(scenario.add, start=1):
        spec = services()[a.service]
        area = admin.locate([a.lon], [a.lat])[0]
        if area is None:  # parse_scenario keeps added centres in 경기도
            raise ScenarioError(f"add[{n - 1}]: ({a.lon}, {a.lat}) is not in Korea", f"add[{n - 1}].lon")
        kinds = spec.get("kinds") or _kind_for_programme(a.service)
        out.append(Facility(
            id=f"scenario-{n}", name=f"새 시설 {n} (시나리오)", kind=kinds[0], lon=a.lon, lat=a.lat,
            programmes=frozenset(spec.get("programmes", ())),
            age_min_months=spec["age_min_months"], age_max_months=spec["age_max_months"],
            hours=WeeklyHours.from_mapping(presets[a.hours_preset]["hours"]),
            capacity=a.capacity, sido=area.sido, sido_code=area.sido_code, sigungu=area.sigungu,
            sigungu_code=area.sigungu_code, emd=area.emd, emd_code=area.emd_code,
            source="scenario"))
    return out


def _kind_for_programme(service: str) -> list[str]:
    from app.reference import programmes

    return list(programmes()[service]["kinds"])


@dataclass
class Comparison:
    """Baseline and scenario measures side by side, with the change of each."""

    table: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def compare(baseline: pd.DataFrame, scenario: pd.DataFrame) -> Comparison:
    """Join two measure tables of one service and period on the area: ``<col>`` (scenario),
    ``<col>_baseline`` and ``<col>_change`` for numbers; a summary of deserts and of the
    children-weighted shares within each distance."""
    keys = ["key", "name", "service", "period"]
    merged = scenario.merge(baseline, on=keys, suffixes=("", "_baseline"))
    for col in scenario.columns:
        if col in keys:
            continue
        if col == "desert":
            continue
        merged[f"{col}_change"] = merged[col] - merged[f"{col}_baseline"]
    shares = [c for c in scenario.columns if c.startswith("share_")]
    summary: dict[str, float | None] = {
        "deserts_baseline": int(baseline["desert"].fillna(False).sum()),
        "deserts_scenario": int(scenario["desert"].fillna(False).sum()),
        "areas_changed": int((merged[[f"{c}_change" for c in ("places", "sfca")]].abs()
                              .fillna(0).sum(axis=1) > 1e-9).sum()),
    }
    total = float(scenario["children"].sum())
    for c in shares:  # children-weighted over the areas of one service and period
        for name, table in (("baseline", baseline), ("scenario", scenario)):
            covered = float((table[c].fillna(0) * table["children"]).sum())
            summary[f"{c}_{name}"] = covered / total if total else None
    return Comparison(table=merged, summary=summary)
