"""A malformed holiday calendar setting is refused naming the setting (issue 12): a country
followed by a dash and no subdivision (``KR-``) used to pass as the country's calendar."""

from __future__ import annotations

import pytest

from app.ingest.mapping import MappingError, load_mapping_file
from app.search.locale import LocaleError, RegistryLocale

from .test_registry_locale import TINY_MAPPING


@pytest.mark.parametrize(("code", "message"), [
    ("KR-", r"^holidays 'KR-': the subdivision after '-' is empty; write KR alone or "
            r"KR-<subdivision> \(allowed: none\)$"),
    ("CA-", r"^holidays 'CA-': the subdivision after '-' is empty; write CA alone or "
            r"CA-<subdivision> \(allowed: AB, BC, .*ON, PE, QC, SK, YT\)$"),
])
def test_an_empty_subdivision_is_refused(code, message):
    with pytest.raises(LocaleError, match=message) as info:
        RegistryLocale(holidays=code)
    assert info.value.field == "holidays"


@pytest.mark.parametrize("code", ["KR", "CA-ON", "none"])
def test_well_formed_calendars_stay_allowed(code):
    assert RegistryLocale(holidays=code).holidays == code


def test_a_mapping_names_the_setting(tmp_path):
    path = tmp_path / "m.toml"
    text = TINY_MAPPING.read_text(encoding="utf-8")
    assert 'holidays = "CA-ON"' in text
    path.write_text(text.replace('holidays = "CA-ON"', 'holidays = "CA-"'), encoding="utf-8")
    with pytest.raises(MappingError, match=r"\[registry\] holidays 'CA-': the subdivision after "
                                           r"'-' is empty"):
        load_mapping_file(path)
