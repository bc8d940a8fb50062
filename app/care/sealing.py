"""Care notes sealed at rest: Fernet (AES-128-CBC with HMAC-SHA256, ``cryptography``) under a list of
keys, the setting ``CARE_NOTES_KEYS``.

- The **first** key seals every new note; **every** key opens (:class:`cryptography.fernet.MultiFernet`).
- **Rotation**: put a new key first and keep the old ones after it; :meth:`Sealer.rotate` (and
  :meth:`app.care.children.ChildStore.rotate_care_notes` for the stored notes) re-seals a note
  with the first key; once every note is re-sealed, the old keys can be dropped from the list.
- A key is 32 random bytes in URL-safe base64 (44 characters), made with::

      python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

  (or :func:`generate_key`). Every server of one deployment needs the same list.
- A Fernet token carries the time it was first sealed in clear (kept by rotation); the text,
  its length to 16 bytes, and nothing else, are hidden.

A missing or malformed key, or a stored note no key opens (a key dropped before rotation), is a
:class:`CareNotesKeyError` naming the setting; no message here ever carries a note or a key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.settings_env import SettingError

SETTING = "CARE_NOTES_KEYS"
KEY_FILE = "care_notes_key"
"""The key file in the instance folder used when no key is set and the database is the instance
folder's own SQLite (one machine; see :func:`care_notes_keys`)."""
_TESTING_SEED = b"dolbom-map testing care-notes key: not a secret"
GENERATE_HINT = ('make one with: python -c "from cryptography.fernet import Fernet; '
                 'print(Fernet.generate_key().decode())"')


class CareNotesKeyError(SettingError):
    """``CARE_NOTES_KEYS`` is missing or malformed, or no key of it opens a stored note."""


def generate_key() -> str:
    """A new random key for ``CARE_NOTES_KEYS`` (44 characters, URL-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def public_testing_key() -> str:
    """The fixed key of apps made with ``TESTING`` and no key set: derived from a public text, so
    every test app on one database opens the others' notes. Never a key for real data."""
    return base64.urlsafe_b64encode(hashlib.sha256(_TESTING_SEED).digest()).decode("ascii")


class Sealer:
    """Seals and opens care notes with ``keys`` (the first seals, every one opens).

    Raises :class:`CareNotesKeyError` naming ``setting`` and the position of the bad key when
    ``keys`` is empty, not a list of texts, or holds a text that is not a Fernet key.
    """

    def __init__(self, keys: Sequence[str], setting: str = SETTING) -> None:
        if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
            raise CareNotesKeyError(f"{setting} must be a list of keys (the first seals new care notes), "
                                    f"not {type(keys).__name__}; {GENERATE_HINT}")
        if not keys:
            raise CareNotesKeyError(f"{setting} is empty: it needs at least one key; {GENERATE_HINT}")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                if not isinstance(key, str):
                    raise ValueError
                fernets.append(Fernet(key.strip()))
            except ValueError:
                # Never the key itself in the message: it may be a real key with a typo.
                raise CareNotesKeyError(f"{setting}: key {position} of {len(keys)} is not a Fernet key (32 bytes "
                                        f"in URL-safe base64, 44 characters); {GENERATE_HINT}") from None
        self.setting = setting
        self._first = fernets[0]
        self._all = MultiFernet(fernets)
        self.key_count = len(fernets)

    def __repr__(self) -> str:
        return f"Sealer({self.key_count} keys from {self.setting})"

    def seal(self, text: str) -> str:
        """The Fernet token (ASCII) of ``text`` under the first key."""
        return self._all.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """The text sealed in ``token``. Raises :class:`CareNotesKeyError` when no key opens it
        (the key that sealed it was dropped from the setting before the notes were rotated)."""
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise CareNotesKeyError(f"a stored care note opens with no key of {self.setting}: the key that "
                                    "sealed it was removed before the notes were rotated; put that key back "
                                    "(after the first) and rotate") from None

    def sealed_with_first(self, token: str) -> bool:
        """Whether the first key opens ``token`` (it needs no rotation)."""
        try:
            self._first.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """``token`` re-sealed with the first key (its text and sealing time unchanged). Raises
        :class:`CareNotesKeyError` when no key opens it."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise CareNotesKeyError(f"a stored care note opens with no key of {self.setting}: put back the key "
                                    "that sealed it (after the first) and rotate again") from None


def care_notes_keys(config: Mapping[str, Any], instance_path: str | os.PathLike[str]) -> list[str]:
    """The care-notes keys the app uses, from its settings (``config``: the Flask config).

    1. ``CARE_NOTES_KEYS`` when set (checked: :class:`Sealer` refuses a malformed key).
    2. Else, in an app made with ``TESTING``: :func:`public_testing_key` (fixed, public: test data only),
       so several test apps ("servers") on one database open each other's notes.
    3. Else, when the database is the instance folder's own SQLite (``DATABASE_URL`` None: the
       demo, development): one random key made on first use and kept in
       ``<instance>/care_notes_key`` (mode 0600), as ``SECRET_KEY`` is kept in
       ``<instance>/secret_key``. That protects a copied database file, not a copied instance
       folder; a deployment sets its own keys.
    4. Else, when ``DATABASE_URL`` names a SQLite file (one machine, as the README's
       ``DOLBOM_DATABASE_URL=sqlite:////tmp/dolbom-demo.sqlite3`` for trying the demo aside):
       one random key per database file, kept in ``<instance>/care_notes_key-<12 hex>`` (the
       first 12 hex digits of the SHA-256 of the file's absolute path; mode 0600), so two
       throwaway databases never share a key and the same file gets the same key on each start.
    5. Else (a shared database such as PostgreSQL): :class:`CareNotesKeyError`. A key made per
       instance folder would differ between servers, and notes sealed by one server could not be
       opened by another, so no key is made up.
    """
    keys = config.get(SETTING)
    if keys:
        Sealer(keys)  # a malformed list stops here, naming the setting
        return [k.strip() for k in keys]
    if config.get("TESTING"):
        return [public_testing_key()]
    if config.get("DATABASE_URL") is None:
        return [_instance_key(Path(instance_path) / KEY_FILE)]
    sqlite_file = _sqlite_file(str(config.get("DATABASE_URL")))
    if sqlite_file is not None:
        digest = hashlib.sha256(str(sqlite_file).encode()).hexdigest()[:12]
        return [_instance_key(Path(instance_path) / f"{KEY_FILE}-{digest}")]
    raise CareNotesKeyError(f"{SETTING} is not set and DATABASE_URL names a shared database: give every server "
                            f"the same keys (DOLBOM_{SETTING}=<key>, or a list in instance/config.py); "
                            f"{GENERATE_HINT}")


def _sqlite_file(url: str) -> Path | None:
    """The absolute path of the SQLite file ``url`` names (``sqlite:///rel.db``,
    ``sqlite:////abs.db``, any ``sqlite+driver`` prefix), or None: not SQLite, in memory, or not
    a database URL at all."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def _instance_key(path: Path) -> str:
    """The key kept in ``path``, made there (0600) by the first process that needs it: created
    exclusively, so two workers starting at once end up with the same key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(generate_key())
    for _ in range(50):  # the creator may not have written it yet
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.01)
    raise CareNotesKeyError(f"{path} is empty: delete it (a new key is made) only if no care note was sealed "
                            f"with it, or set {SETTING}")
