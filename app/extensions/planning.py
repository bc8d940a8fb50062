"""The app's planning store (:mod:`app.planning.store`), which follows the app's registry.

Settings: ``PLANNING_DEMAND_PATH`` (None: the synthetic demo layer), ``PLANNING_DEMAND_FORMAT``,
``PLANNING_CELL_M``, ``PLANNING_SUPPRESSED_MARKERS``/``_VALUE``, ``PLANNING_GAP_MAX_M``,
``PLANNING_FCA_MAX_PAIRS`` (see app/config.py).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from app.planning.demand import CountRule
from app.planning.store import DEMO_DEMAND_PATH, PlanningStore

from .registry import EXTENSION as REGISTRY_EXTENSION

EXTENSION = "dolbom_planning"


def init_app(app: Flask) -> None:
    """Set up the planning store (nothing is read until a planner asks)."""
    configured = app.config.get("PLANNING_DEMAND_PATH")
    path = Path(configured) if configured else DEMO_DEMAND_PATH
    cfg = app.config
    markers = cfg.get("PLANNING_SUPPRESSED_MARKERS", ["N/A"])
    counts = CountRule(markers=tuple([markers] if isinstance(markers, str) else markers),
                       value=float(cfg.get("PLANNING_SUPPRESSED_VALUE", 2.5)),
                       gap_max_m=float(cfg.get("PLANNING_GAP_MAX_M", 1000)))
    registry = app.extensions[REGISTRY_EXTENSION]
    app.extensions[EXTENSION] = PlanningStore(
        registry, path, cfg.get("PLANNING_DEMAND_FORMAT", "areas"),
        float(cfg.get("PLANNING_CELL_M", 500)), synthetic=not configured, counts=counts,
        max_fca_pairs=float(cfg.get("PLANNING_FCA_MAX_PAIRS", float("inf"))))


def get_planning() -> PlanningStore:
    """The planning store of the current app."""
    return current_app.extensions[EXTENSION]
