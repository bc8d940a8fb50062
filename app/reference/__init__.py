"""Reference facts kept as data (programmes and the 시군 that offer them), read from JSON."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any


@lru_cache(maxsize=1)
def programmes_document() -> dict[str, Any]:
    """The whole ``programmes.json`` document (see its ``about`` field)."""
    text = files("app.reference").joinpath("programmes.json").read_text(encoding="utf-8")
    return json.loads(text)


def programmes() -> dict[str, dict[str, Any]]:
    """The 언제나돌봄 programmes keyed by id (``elementary_emergency`` …)."""
    return programmes_document()["programmes"]


@lru_cache(maxsize=1)
def daycare_rules() -> dict[str, Any]:
    """어린이집 standard hours, default ages and known placeholder points (``daycare.json``)."""
    text = files("app.reference").joinpath("daycare.json").read_text(encoding="utf-8")
    return json.loads(text)
