"""Care-notes sealing (app.care.sealing): first key seals, every key opens, rotation, and the
keys the app takes from its settings (configured, testing, the demo's instance file, refused on
a shared database). No database."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from app import config as defaults
from app.care.sealing import SETTING, CareNotesKeyError, Sealer, care_notes_keys, generate_key, public_testing_key
from app.settings_env import SettingError, apply_environment

KEY_1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes 0..31
KEY_2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="  # bytes 32..63

TEXT = "우유 알레르기; needs a nap at 13:00"


def test_first_key_seals_every_key_opens():
    token = Sealer([KEY_1]).seal(TEXT)
    assert TEXT not in token and Sealer([KEY_2, KEY_1]).open(token) == TEXT
    newer = Sealer([KEY_2, KEY_1]).seal(TEXT)
    assert Sealer([KEY_2]).open(newer) == TEXT
    with pytest.raises(CareNotesKeyError):
        Sealer([KEY_1]).open(newer)


def test_rotate_reseals_with_the_first_key_and_keeps_the_time():
    old = Sealer([KEY_1]).seal(TEXT)
    both = Sealer([KEY_2, KEY_1])
    assert not both.sealed_with_first(old)
    new = both.rotate(old)
    assert both.sealed_with_first(new) and Sealer([KEY_2]).open(new) == TEXT
    assert Fernet(KEY_2).extract_timestamp(new) == Fernet(KEY_1).extract_timestamp(old)
    with pytest.raises(CareNotesKeyError, match="put back the key"):
        Sealer([KEY_2]).rotate(Sealer([generate_key()]).seal(TEXT))


@pytest.mark.parametrize(("keys", "message"), [
    ([], "CARE_NOTES_KEYS is empty: it needs at least one key; make one with: python -c"),
    (KEY_1, "CARE_NOTES_KEYS must be a list of keys"),
    ([KEY_1, "not-a-key"], "CARE_NOTES_KEYS: key 2 of 2 is not a Fernet key"),
    ([KEY_1[:-2]], "CARE_NOTES_KEYS: key 1 of 1 is not a Fernet key"),
    ([None], "key 1 of 1 is not a Fernet key"),
])
def test_bad_keys_are_a_configuration_error_naming_the_setting(keys, message):
    with pytest.raises(CareNotesKeyError, match=message) as caught:
        Sealer(keys)
    assert isinstance(caught.value, SettingError)  # start-up reports it like any bad setting
    assert "not-a-key" not in str(caught.value) and KEY_1[:-2] not in str(caught.value)


def test_a_sealer_never_shows_its_keys():
    assert repr(Sealer([KEY_1, KEY_2])) == "Sealer(2 keys from CARE_NOTES_KEYS)"


def test_configured_keys_win(tmp_path):
    config = {SETTING: [f" {KEY_2} ", KEY_1], "DATABASE_URL": "postgresql+psycopg://db/x"}
    assert care_notes_keys(config, tmp_path) == [KEY_2, KEY_1]
    with pytest.raises(CareNotesKeyError, match="key 1 of 1"):
        care_notes_keys({SETTING: ["bad"]}, tmp_path)


def test_testing_apps_share_one_public_key(tmp_path):
    config = {SETTING: [], "TESTING": True, "DATABASE_URL": "postgresql+psycopg://db/x"}
    assert care_notes_keys(config, tmp_path / "a") == care_notes_keys(config, tmp_path / "b") == [public_testing_key()]
    assert not (tmp_path / "a").exists()


def test_the_demo_keeps_one_key_in_the_instance_folder(tmp_path):
    config = {SETTING: [], "DATABASE_URL": None}
    first = care_notes_keys(config, tmp_path)
    assert care_notes_keys(config, tmp_path) == first  # made once, then read
    path = tmp_path / "care_notes_key"
    assert path.read_text() == first[0] and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    Sealer(first)  # a valid key


def test_a_shared_database_without_keys_stops_start_up(tmp_path):
    config = {SETTING: [], "DATABASE_URL": "postgresql+psycopg://db/x"}
    with pytest.raises(CareNotesKeyError, match="CARE_NOTES_KEYS is not set and DATABASE_URL names a shared "
                                                "database: give every server the same keys"):
        care_notes_keys(config, tmp_path)
    assert not (tmp_path / "care_notes_key").exists()


def test_settings_from_the_environment():
    config: dict = {}
    apply_environment(config, defaults, {"DOLBOM_CARE_NOTES_KEYS": f"{KEY_2},{KEY_1}",
                                         "DOLBOM_CARE_RETENTION_DAYS": "90"})
    assert config == {"CARE_NOTES_KEYS": [KEY_2, KEY_1], "CARE_RETENTION_DAYS": 90}
    with pytest.raises(SettingError, match="DOLBOM_CARE_RETENTION_DAYS='1' is too small; it must be at least 30"):
        apply_environment({}, defaults, {"DOLBOM_CARE_RETENTION_DAYS": "1"})
