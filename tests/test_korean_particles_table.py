"""app/korean.py against the particle table shared with the pages' script
(tests/data/korean_particles.json; tests/browser/test_korean_particles_table.py runs the same
table through ``particles`` in app/static/js/common.js), so the two stay in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.korean import particles

TABLE = json.loads((Path(__file__).parent / "data" / "korean_particles.json").read_text(encoding="utf-8"))


def expected_cases(table: dict) -> list[tuple[str, str]]:
    """(text written with a pair, what it should read) for every word and pair of ``table``,
    reversed pairs included, then its whole texts."""
    pairs = table["pairs"]
    written = [*pairs, *table["reversed"]]
    cases = []
    for row in table["words"]:
        forms = dict(zip(pairs, pairs if row["forms"] == "kept" else row["forms"], strict=True))
        for pair in written:
            form = forms[table["reversed"].get(pair, pair)]
            cases.append((row["word"] + pair, row["word"] + (pair if row["forms"] == "kept" else form)))
    return cases + [(text, reads) for text, reads in table["texts"]]


@pytest.mark.parametrize(("text", "reads"), expected_cases(TABLE), ids=repr)
def test_the_server_reads_the_shared_table(text, reads):
    assert particles(text) == reads
