"""Every message the family pages, the provider inbox and the admins' queue show exists in both
catalogues (``app/translations/ko.json`` and ``en.json``): a missing one shows its raw key
(``request_see_booking``) on a phone, in either language. The scripts name a message by a
literal key (``t("request_see_booking")``, ``[k, v]`` pairs, ``a ? "x" : "y"``) or by a prefix
and a value (``t("request_state_" + status)``, ``t('programme_' ~ p)``): literal keys are found
by their prefixes, and each prefix is expanded over the values it takes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.care.states import CARE_REQUEST, OFFER
from app.i18n import LANGUAGES, catalogue
from app.reference import document
from app.search.model import PROGRAMMES

APP = Path(__file__).resolve().parents[2] / "app"
JS = APP / "static" / "js"
SCRIPTS = [*sorted((JS / "family").glob("*.js")), *sorted((JS / "provider").glob("*.js")), JS / "common.js"]
TEMPLATES = sorted(p for p in (APP / "templates").glob("*.html")
                   if p.name.startswith(("family", "provider", "admin_care", "account", "macros")))
PREFIXES = ("family_", "request_", "inbox_", "queue_", "account_", "errcode_", "booking_state_", "programme_")
# Any quoted word_with_underscores in a script or a template that starts with a message prefix.
QUOTED = re.compile(r"""(["'])((?:""" + "|".join(PREFIXES) + r""")[a-z0-9_]*)\1""")
NOT_KEYS = {"family_name", "request_id"}  # a field of the children API, a query parameter: not messages
# Prefixes used with a value, and the values each takes (a prefix not listed fails the test).
DYNAMIC: dict[str, list[str]] = {
    "request_state_": [s.replace("-", "_") for s in CARE_REQUEST.states],
    "request_place_": ["home", "work"],
    "programme_": list(PROGRAMMES),
    "family_consent_agree_": list(document("consents.json")["purposes"]),
    "family_consents_means_": list(document("consents.json")["purposes"]),
    "request_consent_agree_": ["share_with_provider"],
    "inbox_done_": ["confirm", "decline", "check_in", "check_out", "mark_no_show"],
    "family_field_": [],  # looked up only when it exists (api.js errorText)
    "errcode_": [],  # idem
    "booking_state_": [],  # every booking state is checked at start-up (app.pages.family)
}


def used_keys(paths: list[Path]) -> tuple[set[str], set[str]]:
    """(literal keys, prefixes) quoted in ``paths``."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in paths:
        for match in QUOTED.finditer(path.read_text(encoding="utf-8")):
            if match.group(2) not in NOT_KEYS:
                (prefixes if match.group(2).endswith("_") else keys).add(match.group(2))
    return keys, prefixes


def test_the_scan_finds_what_the_pages_use():
    keys, prefixes = used_keys(SCRIPTS + TEMPLATES)
    assert {"request_see_booking", "request_explain_provider", "inbox_offer_gone_taken", "inbox_check_in",
            "inbox_child_name", "family_consent_given"} <= keys
    assert {"request_state_", "programme_", "family_consent_agree_"} <= prefixes
    assert OFFER.states  # the offer states are said by the inbox's own keys, not by a prefix


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_the_family_and_provider_pages_use_is_in_the_catalogue(lang):
    messages = catalogue(lang)
    keys, prefixes = used_keys(SCRIPTS + TEMPLATES)
    unknown_prefixes = sorted(p for p in prefixes if p not in DYNAMIC)
    assert not unknown_prefixes, f"say which values these prefixes take (DYNAMIC): {unknown_prefixes}"
    wanted = keys | {p + v for p in prefixes for v in DYNAMIC[p]}
    missing = sorted(k for k in wanted if k not in messages)
    assert not missing, f"app/translations/{lang}.json lacks {missing}"


def test_the_care_refusals_a_parent_or_staff_meets_have_their_own_message():
    """``apiErrorText`` (app/static/js/common.js) shows ``err_<field>_<reason>`` for a refusal
    with a field and a reason; without one a Korean page said only "changed elsewhere" (the
    409's generic text) and an English one the API's developer sentence with booking ids. The
    booking rules' refusals (overlap, consecutive days, an action at the wrong time) each have
    their message in both languages."""
    from app.care.bookings import ChildAlreadyBooked, TooManyConsecutiveDays

    refusals = [("window", ChildAlreadyBooked.reason), ("window", TooManyConsecutiveDays.reason),
                ("now", "too_early"), ("now", "too_late")]
    for lang in LANGUAGES:
        messages = catalogue(lang)
        missing = [f"err_{field}_{reason}" for field, reason in refusals
                   if f"err_{field}_{reason}" not in messages and f"err_reason_{reason}" not in messages]
        assert not missing, (lang, missing)
