"""The planning settings kept as data (``app/reference/planning.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any


@lru_cache(maxsize=1)
def planning_settings() -> dict[str, Any]:
    """The whole ``planning.json`` document (see its ``about`` field)."""
    text = files("app.reference").joinpath("planning.json").read_text(encoding="utf-8")
    return json.loads(text)


def services() -> dict[str, dict[str, Any]]:
    """Kinds of care the measures are computed for, keyed by id (``daycare`` …)."""
    return planning_settings()["services"]


def periods() -> dict[str, dict[str, Any]]:
    """Times of day the supply is counted for, keyed by id (``day``, ``night`` …)."""
    return planning_settings()["periods"]
