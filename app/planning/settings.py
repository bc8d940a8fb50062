"""The planning settings kept as data (``app/reference/planning.json``)."""

from __future__ import annotations

from typing import Any

from app.reference import document


def planning_settings() -> dict[str, Any]:
    """The whole ``planning.json`` document (see its ``about`` field)."""
    return document("planning.json")


def services() -> dict[str, dict[str, Any]]:
    """Kinds of care the measures are computed for, keyed by id (``daycare`` …)."""
    return planning_settings()["services"]


def periods() -> dict[str, dict[str, Any]]:
    """Times of day the supply is counted for, keyed by id (``day``, ``night`` …)."""
    return planning_settings()["periods"]
