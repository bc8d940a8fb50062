"""Every CSV the product writes goes through app/csvsafe.py (issue 12, item 4).

A module that calls ``csv.writer``/``csv.DictWriter`` or a DataFrame's ``.to_csv(`` itself
could write a cell that opens as a live formula; this test finds such calls so that future
CSV outputs cannot skip the neutralising writer.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
ALLOWED = {APP / "csvsafe.py"}
WRITERS = {"writer", "DictWriter"}


def csv_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) of each direct CSV write in Python source."""
    found = []
    tree = ast.parse(source)
    csv_names = {"csv"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            csv_names |= {a.asname or a.name for a in node.names if a.name == "csv"}
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            for a in node.names:
                if a.name in WRITERS:
                    found.append((node.lineno, f"from csv import {a.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            if attr == "to_csv":
                found.append((node.lineno, ".to_csv("))
            elif attr in WRITERS and isinstance(owner, ast.Name) and owner.id in csv_names:
                found.append((node.lineno, f"{owner.id}.{attr}("))
    return sorted(set(found))


def test_the_guard_finds_each_kind_of_direct_write():
    source = (
        "import csv\nimport csv as c\nfrom csv import DictWriter\n"
        "w = csv.writer(fh)\nd = c.DictWriter(fh, ['a'])\ndf.to_csv(fh)\n"
        "r = csv.reader(fh)\n"
    )
    assert [what for _, what in csv_writes(source)] == [
        "from csv import DictWriter", "csv.writer(", "c.DictWriter(", ".to_csv(",
    ]


def test_only_csvsafe_writes_csv():
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path in ALLOWED:
            continue
        for line, what in csv_writes(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(APP.parent)}:{line}: {what}")
    assert offenders == [], (
        "write CSV through app.csvsafe (write_rows or dataframe_to_csv), which neutralises "
        "cells that would open as formulas: " + "; ".join(offenders)
    )
