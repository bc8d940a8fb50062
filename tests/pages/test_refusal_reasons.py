"""Every refusal the family forms (children, booking, request) and the provider inbox can meet
says what is wrong and what is allowed in both languages: the API sends a stable ``reason``
(and the figures the message needs), and ``app/translations/{ko,en}.json`` hold a message for
it, which ``errorText`` (app/static/js/family/api.js) looks up as ``errcode_<code>_<reason>``.

The reasons are read from the code, not listed here: every ``raise`` in the modules below is
parsed (``ast``), its exception class resolved in the module and the reason taken from the
call's ``reason`` argument (by the class's own signature) or the class's ``reason`` attribute.
A refusal the forms meet that carries no reason fails too: a Korean page would say only
"check the field", an English one the API's developer sentence."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app import errors
from app.domain import DomainError
from app.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("app.care.children", "app.care.windows", "app.care.rules", "app.care.desk", "app.care.bookings",
           "app.api.bodies", "app.api.care_bookings", "app.api.care_requests", "app.api.care_family",
           "app.care.matching", "app.care.request_rows", "app.care.slots")
# Where a family form's refusals are raised: every refusal raised here must carry a reason.
FORM_CHECKS = {
    "app.care.windows": None,  # every function
    "app.care.rules": None,
    "app.api.bodies": None,
    "app.care.children": {"_text", "check_birth_date", "check_relation", "normalise_phone", "register", "update"},
    "app.care.bookings": {"hold_places", "refuse_uncovered", "check_child_window", "check_not_ended"},
    "app.care.matching": {"create"},
}
REFUSALS = (DomainError, errors.ApiError)


@dataclass(frozen=True)
class Raised:
    module: str
    function: str
    line: int
    code: str
    field: str | None
    reason: str | None
    passed_on: bool = False  # the reason is another refusal's, passed on (``exc.reason``)


def _constant(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _argument(call: ast.Call, cls: type, name: str) -> ast.expr | None:
    """The expression passed as ``name`` to ``cls(...)`` (by keyword or by its position)."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    if name in names and names.index(name) < len(call.args):
        return call.args[names.index(name)]
    return None


def raised_refusals() -> list[Raised]:
    """Each ``raise SomeRefusal(...)`` in :data:`MODULES`, with its code, field and reason."""
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                        and isinstance(node.exc.func, ast.Name)):
                    continue
                cls = getattr(module, node.exc.func.id, None)
                if not (isinstance(cls, type) and issubclass(cls, REFUSALS)):
                    continue
                given = _argument(node.exc, cls, "reason")
                reason = _constant(given)
                if reason is None and isinstance(getattr(cls, "reason", None), str):
                    reason = cls.reason
                found.append(Raised(name, func.name, node.lineno, cls.code,
                                    _constant(_argument(node.exc, cls, "field")), reason,
                                    given is not None and reason is None))
    return found


def _has_message(messages: dict[str, str], r: Raised) -> bool:
    """``errcode_<code>_<reason>``, else the reason as the map's pages say it (common.js):
    ``err_reason_<reason>`` or ``err_<field>_<reason>`` (any field when the class sets its own)."""
    if f"errcode_{r.code}_{r.reason}" in messages or f"err_reason_{r.reason}" in messages:
        return True
    if r.reason == r.code and f"errcode_{r.code}" in messages:  # the code says it all (consent_withdrawn)
        return True
    if r.field:
        return f"err_{r.field}_{r.reason}" in messages
    return any(k.startswith("err_") and k.endswith("_" + str(r.reason)) for k in messages)


def test_the_scan_finds_the_refusals_of_the_forms():
    reasons = {(r.code, r.reason) for r in raised_refusals()}
    assert {("invalid_parameter", "in_future"), ("invalid_window", "too_many_days"),
            ("invalid_window", "in_past"), ("invalid_window", "end_not_after_start"),
            ("not_eligible", "age_outside_programme"), ("not_bookable", "no_places_published"),
            ("no_places", "slot_full"), ("child_already_booked", "child_already_booked"),
            ("no_places", "none_opened"), ("not_bookable", "published_until"), ("invalid_slot", "in_past"),
            ("child_already_requested", "child_already_requested"), ("invalid_window", "too_far_ahead"),
            ("child_already_booked", "booked_elsewhere")} <= reasons


def test_every_refusal_of_a_family_form_carries_a_reason():
    missing = [f"{r.module}.{r.function}:{r.line} ({r.code}, {r.field})" for r in raised_refusals()
               if r.module in FORM_CHECKS and r.reason is None and not r.passed_on
               and (FORM_CHECKS[r.module] is None or r.function in FORM_CHECKS[r.module])]
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_the_api_sends_has_a_message(lang):
    messages = catalogue(lang)
    missing = sorted({f"errcode_{r.code}_{r.reason}" for r in raised_refusals()
                      if r.reason is not None and not _has_message(messages, r)})
    assert not missing, f"app/translations/{lang}.json lacks {missing}"


def test_the_messages_name_only_figures_the_envelope_carries():
    """A ``{placeholder}`` of a reason's message that the error does not send would show raw."""
    from app.care import children, rules, windows

    today = date(2026, 12, 2)
    samples = {}
    for call in (lambda: children.check_birth_date("2027-01-01", today),
                 lambda: children.check_birth_date("2000-01-01", today),
                 lambda: children.check_name("x" * 60, "given_name")):
        with pytest.raises(DomainError) as caught:
            call()
        samples[caught.value.reason] = caught.value
    rule = rules.booking_rules()["always_daycare"]
    seoul = ZoneInfo("Asia/Seoul")
    for start, end in ((datetime(2026, 12, 3, 9), datetime(2026, 12, 10, 9)),
                       (datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10))):
        with pytest.raises(DomainError) as caught:
            windows.check_window(rule, start, end, seoul, now=datetime(2026, 12, 2, 12, tzinfo=seoul))
        samples[caught.value.reason] = caught.value
    assert set(samples) == {"in_future", "too_old", "too_long", "too_many_days", "in_past"}
    for lang in LANGUAGES:
        for reason, exc in samples.items():
            text = catalogue(lang)[f"errcode_{exc.code}_{reason}"]
            wanted = set(re.findall(r"\{(\w+)\}", text)) - {"field"}
            assert wanted <= set(exc.extra), (lang, reason, wanted - set(exc.extra))


def test_the_booking_and_request_refusals_messages_name_only_figures_they_carry():
    """The refusals of a tester's pass (a slot with no places opened, places open only until a
    time, a request too far ahead, an open request of the child, a slot in the past, the
    provider's child-booked-elsewhere) each send the figures their messages name."""
    from app.care import bookings, matching

    seoul = ZoneInfo("Asia/Seoul")
    at = datetime(2026, 12, 2, 12, tzinfo=seoul)
    samples: list[DomainError] = [
        bookings.NoPlacesOpened("D1", "always_daycare", at, at, 0),
        bookings.ChildAlreadyRequested("r1", "requested", at, at, seoul),
        bookings.ChildBookedElsewhere()]
    for call in (lambda: matching.check_horizon(datetime(2027, 11, 2, 9, tzinfo=seoul), at, seoul),
                 lambda: bookings.check_not_ended(at, at, "end")):
        with pytest.raises(DomainError) as caught:
            call()
        samples.append(caught.value)
    samples.append(bookings.NotBookable("x", "window", "published_until",
                                        {"uncovered_from": "a", "window_end": "b", "places_until": "c"}))
    for lang in LANGUAGES:
        for exc in samples:
            text = catalogue(lang)[f"errcode_{exc.code}_{exc.reason}"]
            wanted = set(re.findall(r"\{(\w+)\}", text)) - {"field"}
            assert wanted <= set(exc.extra), (lang, exc.reason, wanted - set(exc.extra))


def test_the_envelope_carries_the_reason_and_its_figures():
    from app.care.children import check_birth_date

    app = Flask(__name__)
    errors.init_app(app)

    @app.post("/api/v1/probe")
    def probe():
        check_birth_date("2030-01-01", date(2026, 12, 2))

    error = app.test_client().post("/api/v1/probe").get_json()["error"]
    assert error == {"code": "invalid_parameter", "field": "birth_date", "reason": "in_future",
                     "today": "2026-12-02",
                     "message": "birth_date 2030-01-01 is in the future (today is 2026-12-02)"}
