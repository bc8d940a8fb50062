"""Reference facts kept as data (programmes and the 시군 that offer them), read from JSON."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache  # every document (a few small files): a bounded cache smaller than the folder thrashed
def document(name: str) -> dict[str, Any]:
    """The JSON document ``name`` (``programmes.json``, ``daycare.json``, ``planning.json``) of
    this package, read once; raises ``FileNotFoundError`` for a name that is not here."""
    text = files("app.reference").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def programmes_document() -> dict[str, Any]:
    """The whole ``programmes.json`` document (see its ``about`` field)."""
    return document("programmes.json")


def programmes() -> dict[str, dict[str, Any]]:
    """The 언제나돌봄 programmes keyed by id (``elementary_emergency`` …)."""
    return programmes_document()["programmes"]


def daycare_rules() -> dict[str, Any]:
    """어린이집 standard hours, default ages and known placeholder points (``daycare.json``)."""
    return document("daycare.json")
