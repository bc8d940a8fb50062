"""One error base (issue 13, point 6): every error the core raises for bad input is a
DomainError with a field, and the one handler answers any that a view leaves uncaught as a 400
in the JSON envelope — never a 500."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from app import create_app
from app.domain import DomainError
from app.planning.analysis import AnalysisError
from app.planning.demand import DemandError
from app.settings_env import SettingError

CORE = ("geo", "search", "planning", "ingest", "registry", "live", "db", "care")


def core_error_classes():
    for package in CORE:
        pkg = importlib.import_module(f"app.{package}")
        for info in pkgutil.walk_packages(pkg.__path__, f"app.{package}."):
            if ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                # A SettingError is the operator's (start-up stops), not a request's input.
                if cls.__module__ == module.__name__ and issubclass(cls, ValueError) and \
                        not issubclass(cls, SettingError):
                    yield cls


def test_every_input_error_of_the_core_is_a_domain_error():
    found = list(core_error_classes())
    assert len(found) >= 19  # the record, scenario, site, analysis, demand … errors
    assert [c.__name__ for c in found if not issubclass(c, DomainError)] == []


@pytest.fixture
def raising_app(tmp_path):
    flask_app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False},
                           instance_path=str(tmp_path / "instance"))

    @flask_app.get("/api/v1/test-raise/<kind>")
    def raise_it(kind):
        raise {"demand": DemandError("no 읍면동 99999999 in the demand layer", "area"),
               "analysis": AnalysisError("catchment_m must be > 0", "catchment_m")}[kind]

    @flask_app.get("/test-page-raise")
    def page_raise():
        raise DemandError("no such area", "area")

    return flask_app


@pytest.mark.parametrize(("kind", "field", "message"), [
    ("demand", "area", "no 읍면동 99999999 in the demand layer"),
    ("analysis", "catchment_m", "catchment_m must be > 0"),
])
def test_an_uncaught_domain_error_is_a_400_naming_the_field(raising_app, kind, field, message):
    r = raising_app.test_client().get(f"/api/v1/test-raise/{kind}")
    assert r.status_code == 400
    assert r.json == {"error": {"code": "invalid_parameter", "message": message, "field": field}}


def test_on_a_page_it_is_a_plain_400(raising_app):
    r = raising_app.test_client().get("/test-page-raise")
    assert (r.status_code, r.get_data(as_text=True)) == (400, "no such area")


class _Weird(DomainError):
    """A core error claiming a status no refusal may have."""

    code = "weird"
    http_status = 500


def test_a_core_error_keeps_its_status_and_recovery_fields(tmp_path):
    # A booking confirmed by another member of staff meanwhile: a 409 naming the current state
    # and what may still be done (app.care.states.InvalidTransition), not a 400.
    from app.care.states import BOOKING

    flask_app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False},
                           instance_path=str(tmp_path / "instance"))

    @flask_app.post("/api/v1/test-confirm")
    def confirm_twice():
        BOOKING.fire("accepted", "confirm", "provider_staff")

    @flask_app.get("/api/v1/test-weird")
    def weird():
        raise _Weird("odd", "x")

    client = flask_app.test_client()
    r = client.post("/api/v1/test-confirm")
    assert r.status_code == 409
    assert r.json["error"]["current_state"] == "accepted"
    assert "cancel" in r.json["error"]["allowed_actions"]
    assert r.json["error"]["code"] == "invalid_transition"
    r = client.get("/api/v1/test-weird")  # a status outside the refusals is answered as a 400
    assert (r.status_code, r.json["error"]["code"]) == (400, "weird")
