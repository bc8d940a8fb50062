"""The tiny registry the ``app`` fixture serves is the one tests/tiny_registry.py describes, and
answers as its table says (so tests over it can be checked by hand)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from . import tiny_registry as tiny
from .conftest import TINY_REGISTRY


def test_the_committed_file_is_the_described_registry() -> None:
    assert TINY_REGISTRY == tiny.PATH
    assert TINY_REGISTRY.read_text(encoding="utf-8") == tiny.text(), \
        "regenerate it: python -m tests.tiny_registry"


def _json(client: FlaskClient, url: str, **query: str) -> Any:
    response = client.get(url, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_nearest_from_home_as_the_table_says(client: FlaskClient) -> None:
    body = _json(client, "/api/v1/facilities/nearest", **tiny.HOME, limit="20")
    got = [(x["facility"]["id"], x["distance_m"], x["availability"]["status"]) for x in body["results"]]
    assert [(i, s) for i, _, s in got] == [
        ("tiny-dc-01", "available"), ("tiny-dc-02", "full"), ("tiny-cc-01", "available"),
        ("tiny-tc-01", "unknown"), ("tiny-dc-03", "unknown"), ("tiny-dc-04", "unknown"),
        ("tiny-dc-06", "unknown"), ("tiny-dc-05", "unknown"), ("tiny-dc-07", "unknown")]
    # the table's distances (0.001° is 111 m north, 88.6 m east here; measured in the search's
    # planar metres, which run short of the ground by under 0.1 %)
    assert [d for _, d, _ in got] == pytest.approx([100, 177, 266, 400, 4012, 5403, 7998, 16249, 44029],
                                                   rel=1e-3, abs=1)
    assert body["synthetic"] is True


def test_home_visit_and_counts(client: FlaskClient) -> None:
    hv = _json(client, "/api/v1/facilities/nearest", **tiny.HOME, programme="home_visit_emergency")["results"]
    assert [(x["facility"]["id"], x["comes_to_you"], x["distance_m"]) for x in hv] == \
        [("tiny-hv-01", True, None)]
    meta = _json(client, "/api/v1/meta")
    assert (meta["total"], meta["counts_by_kind"]) == (10, {
        "daycare": 7, "community_child_center": 1, "together_care_center": 1,
        "home_visit_provider": 1})
    assert _json(client, "/healthz")["facilities"] == 11  # the closed tiny-dc-09 too
    work = _json(client, "/api/v1/facilities/nearest", lat="37.4", lon="127.11", limit="1")["results"]
    assert [(x["facility"]["id"], round(x["distance_m"])) for x in work] == [("tiny-dc-05", 56)]
