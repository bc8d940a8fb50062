"""The checks of a child's fields (app.care.children), without a database: every refusal names
the field and says what is allowed; consent texts as data."""

from __future__ import annotations

from datetime import date

import pytest

from app.care.children import (
    ChildError,
    access_purposes,
    check_birth_date,
    check_care_notes,
    check_name,
    check_relation,
    consent_purposes,
    consent_text,
    normalise_phone,
    relations,
)
from app.care.states import ADMIN, PROVIDER_STAFF

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("written", "stored"), [
    ("010-1234-5678", "010-1234-5678"), ("01012345678", "010-1234-5678"), ("+82 10 1234 5678", "010-1234-5678"),
    ("+82 (0)10-1234-5678", "010-1234-5678"), ("821012345678", "010-1234-5678"), ("011-123-4567", "011-123-4567"),
    ("02-123-4567", "02-123-4567"), ("02 1234 5678", "02-1234-5678"), ("031.123.4567", "031-123-4567"),
    ("064-1234-5678", "064-1234-5678"), ("070-1234-5678", "070-1234-5678"),
    ("０１０-１２３４-５６７８", "010-1234-5678"),  # full-width digits, as a Korean keyboard may type them
])
def test_korean_phone_numbers(written, stored):
    assert normalise_phone(written) == stored


@pytest.mark.parametrize(("written", "message"), [
    ("010-123-4567", "has 10 digits"),  # 010 has 8 digits after it
    ("02-12-345", "has 7 digits"),
    ("080-123-4567", "starts with no Korean mobile or area code"),
    ("1588-1234", "starts with no Korean mobile or area code"),
    ("+1 202 555 0100", "is not a Korean \\(\\+82\\) number"),
    ("010-1234-567x", "not '010-1234-567x'"),
    ("", "not ''"),
    (1012345678, "such as 010-1234-5678"),
])
def test_bad_phone_numbers_say_what_is_allowed(written, message):
    with pytest.raises(ChildError, match=message) as caught:
        normalise_phone(written)
    assert caught.value.field == "emergency_contact_phone"
    assert "must be a Korean phone number such as 010-1234-5678 or 031-123-4567" in str(caught.value)


def test_names():
    assert check_name("  민서 ", "given_name") == "민서"
    assert check_name("Anne-Marie O'Neil", "given_name") == "Anne-Marie O'Neil"
    for bad, message in ((" ", "given_name must not be empty"), ("가" * 51, "at most 50 characters, not 51"),
                         ("민\u200b서", "invisible .*U\\+200B"), ("민\n서", "line breaks"), (None, "must be text")):
        with pytest.raises(ChildError, match=message) as caught:
            check_name(bad, "given_name")
        assert caught.value.field == "given_name"


def test_birth_dates():
    assert check_birth_date("2024-06-01", TODAY) == date(2024, 6, 1)
    assert check_birth_date(TODAY, TODAY) == TODAY  # born today
    assert check_birth_date(date(2008, 12, 2), TODAY) == date(2008, 12, 2)  # 17 years and 364 days old
    for bad, message in (("2026-12-02", "is in the future \\(today is 2026-12-01\\)"),
                         ("2008-12-01", "a child is under 18 \\(born after 2008-12-01\\)"),
                         ("01/06/2024", "YYYY-MM-DD, not '01/06/2024'"), (20240601, "must be a date")):
        with pytest.raises(ChildError, match=message) as caught:
            check_birth_date(bad, TODAY)
        assert caught.value.field == "birth_date"


def test_relations_are_data():
    assert check_relation("grandparent") == "grandparent"
    assert relations()["mother"] == {"ko": "어머니", "en": "Mother"}
    with pytest.raises(ChildError, match="relation must be one of mother, father, grandparent, legal_guardian, "
                                         "foster_parent, not 'uncle'"):
        check_relation("uncle")


def test_care_notes():
    assert check_care_notes(None) is None and check_care_notes("  \n ") is None
    assert check_care_notes("땅콩 알레르기\r\n에피펜 가방 안\t") == "땅콩 알레르기\n에피펜 가방 안"
    with pytest.raises(ChildError, match="care_notes must have at most 2000 characters, not 2001"):
        check_care_notes("가" * 2001)
    with pytest.raises(ChildError, match="U\\+202E"):
        check_care_notes("abc\u202edef")


def test_consent_texts_are_data_with_the_retention_period():
    purposes = consent_purposes()
    assert set(purposes) == {"child_registration", "care_notes", "share_with_provider"}
    for name, spec in purposes.items():
        assert spec["version"] and spec["source"].startswith("개인정보 보호법"), name
        for locale in ("ko", "en"):
            shown = consent_text(name, locale, retention_days=90)
            assert shown["version"] == spec["version"] and "{" not in shown["text"]
    assert "90일" in consent_text("child_registration", "ko", 90)["text"]
    assert "90 days" in consent_text("child_registration", "en", 90)["text"]
    with pytest.raises(ChildError, match="locale must be one of en, ko, not 'ja'"):
        consent_text("child_registration", "ja")


def test_access_purposes_name_known_roles():
    for name, spec in access_purposes().items():
        assert set(spec["roles"]) <= {PROVIDER_STAFF, ADMIN} and spec["ko"] and spec["en"], name
