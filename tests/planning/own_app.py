"""The planners' API tests' app: over the demo registry and the synthetic demand layer, one per
test module (the tokens and sessions it issues stay in its own instance, never in the shared
``demo_app``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.extensions.db import get_engine


@pytest.fixture(scope="module", name="app")
def own_demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """``app``, for a module that imports it: ``from tests.planning.own_app import own_demo_app``."""
    app = create_app({"TESTING": True}, instance_path=str(tmp_path_factory.mktemp("inst")))
    yield app
    with app.app_context():
        get_engine().dispose()
