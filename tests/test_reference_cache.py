"""The reference documents are read from disk once each: a bounded cache smaller than the
folder (it held 8 of 9) re-read and re-parsed a JSON file on every booking (profiled, stop 28)."""

from __future__ import annotations

from importlib.resources import files

import pytest

import app.reference as reference


def test_every_reference_document_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    names = sorted(p.name for p in files("app.reference").iterdir() if p.name.endswith(".json"))
    assert len(names) >= 9
    reference.document.cache_clear()
    first = {n: reference.document(n) for n in names}

    def no_disk(*_args: object) -> None:
        raise AssertionError("a reference document was read from disk again")

    monkeypatch.setattr(reference, "files", no_disk)
    for name in names:  # every one still held, in any order of use
        assert reference.document(name) is first[name]
