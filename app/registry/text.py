"""Rules for the text a registry record carries: ids, names, addresses, phones, areas.

One set of rules for importing (each row is cleaned, or rejected with a reason) and for loading
a registry file (a hand-edited file that breaks them is refused), so nothing the service shows
can carry text that hides or reorders what a reader sees:

- ``id``: used in URLs (``/api/v1/providers/<id>``), so never cleaned, only checked: it must
  fully match ``REGISTRY_ID_PATTERN`` (letters, digits, ``. _ : -``; no ``/``, no spaces) and be
  at most ``REGISTRY_ID_MAX_CHARS`` long.
- other text (name, address, phone, 시도/시군구/읍면동, type, …): Unicode NFC; control characters
  (NUL, BEL, ESC, …) removed, tabs and line breaks made spaces; format characters removed:
  the bidirectional overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069,
  U+200E, U+200F, U+061C), zero-width spaces and joiners (U+200B–U+200D, U+2060, U+FEFF), soft
  hyphens and every other Unicode "Cf" character; Hangul fillers (U+3164, U+115F, U+1160,
  U+FFA0) and other separators made spaces; runs of spaces collapsed and the ends trimmed.
  Then a length limit (characters, after cleaning): ``REGISTRY_NAME_MAX_CHARS``,
  ``REGISTRY_ADDRESS_MAX_CHARS``, ``REGISTRY_PHONE_MAX_CHARS``, ``REGISTRY_TEXT_MAX_CHARS``.
- ``phone``: after cleaning, digits with ``+ - ( ) . / , ~ # *`` and spaces, and extension
  words (``x``, ``ext``, ``내선``); a phone without any digit (``--``) is no phone.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from app import config as _defaults
from app.domain import DomainError

# Text fields of the facility model and the limit each one is held to.
NAME_FIELDS = ("name",)
ADDRESS_FIELDS = ("address", "source")  # source: the file and row a record came from
PHONE_FIELDS = ("phone",)
SHORT_FIELDS = ("sido", "sigungu", "emd", "establishment_type", "sido_code", "sigungu_code",
                "emd_code")
TEXT_FIELDS = NAME_FIELDS + ADDRESS_FIELDS + PHONE_FIELDS + SHORT_FIELDS
# Code lists (service areas) hold ids of areas: checked like ids.
CODE_LIST_FIELDS = ("service_area_sigungu_codes",)

# Characters that look like blanks but are letters (category Lo): spoofed "empty" names.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0"
# Control characters that separate words: become a space rather than vanish.
_SPACE_CONTROLS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"
_SPACES = re.compile(r" {2,}")
_BLANK_LETTER = re.compile(f"[{_BLANK_LETTERS}]")
_DIGIT = re.compile(r"\d")
_PHONE = re.compile(r"(?:[0-9 +()./,~#*-]|ext\.?|x|내선)+", re.IGNORECASE)


class TextRuleError(DomainError):
    """A text value that breaks the rules; ``field`` names the field, the message says what is
    allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field)


def shown(value: str, limit: int = 60) -> str:
    """``value`` for a message: its repr (control and format characters escaped), cut to about
    ``limit`` characters."""
    if len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    return repr(value)


def _is_clean(value: str) -> bool:
    """True when :func:`clean_text` would return ``value`` unchanged."""
    return value.isprintable() and "  " not in value and value[:1] != " " \
        and value[-1:] != " " and not _BLANK_LETTER.search(value) \
        and unicodedata.is_normalized("NFC", value)


def clean_text(value: str) -> str:
    """``value`` in NFC without control, format (bidi, zero-width) or blank-letter characters,
    with every run of whitespace one space and no space at either end. Pure; fast for text
    that is already clean."""
    if _is_clean(value):
        return value
    out = []
    for ch in unicodedata.normalize("NFC", value):
        cat = unicodedata.category(ch)
        if ch in _SPACE_CONTROLS or cat in ("Zs", "Zl", "Zp") or ch in _BLANK_LETTERS:
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cs"):
            continue
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip(" ")


def visible(value: str) -> str:
    """``value`` with control, format, surrogate and line/paragraph separator characters written
    as ``\\uXXXX``, for files people open (rejects CSVs): what was there stays legible but
    cannot reorder or hide the text around it."""
    if value.isprintable():
        return value
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch
        for ch in value
    )


@dataclass(frozen=True)
class TextRules:
    """The limits of registry text (settings ``REGISTRY_*`` in ``app/config.py``)."""

    id_pattern: str = _defaults.REGISTRY_ID_PATTERN
    id_max_chars: int = _defaults.REGISTRY_ID_MAX_CHARS
    name_max_chars: int = _defaults.REGISTRY_NAME_MAX_CHARS
    address_max_chars: int = _defaults.REGISTRY_ADDRESS_MAX_CHARS
    phone_max_chars: int = _defaults.REGISTRY_PHONE_MAX_CHARS
    text_max_chars: int = _defaults.REGISTRY_TEXT_MAX_CHARS

    def __post_init__(self) -> None:
        try:
            re.compile(self.id_pattern)
        except re.error as exc:
            raise ValueError(f"setting REGISTRY_ID_PATTERN {self.id_pattern!r} is not a regular "
                             f"expression: {exc}") from None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TextRules:
        """The rules from a Flask config (or any mapping of the ``REGISTRY_*`` settings);
        missing settings take their defaults."""
        kw: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = "REGISTRY_" + f.name.upper()
            if key in config:
                kw[f.name] = str(config[key]) if f.name == "id_pattern" else int(config[key])
        return cls(**kw)

    @cached_property
    def _id_re(self) -> re.Pattern[str]:
        return re.compile(self.id_pattern)

    @cached_property
    def _limits(self) -> dict[str, int]:
        return {f: self.max_chars(f) for f in TEXT_FIELDS}

    def max_chars(self, field: str) -> int:
        """The length limit of a text field, in characters."""
        if field in NAME_FIELDS:
            return self.name_max_chars
        if field in ADDRESS_FIELDS:
            return self.address_max_chars
        if field in PHONE_FIELDS:
            return self.phone_max_chars
        return self.text_max_chars

    def check_id(self, value: str, field: str = "id") -> str:
        """``value`` if it is an allowed id, else :class:`TextRuleError` saying what ids may be."""
        if len(value) > self.id_max_chars or not self._id_re.fullmatch(value):
            raise TextRuleError(
                field,
                f"{field} {shown(value)} is not allowed: ids are at most {self.id_max_chars} "
                f"characters matching {self.id_pattern} (letters, digits, . _ : - ; no '/', "
                "spaces or other characters), as they appear in URLs "
                "(settings REGISTRY_ID_PATTERN, REGISTRY_ID_MAX_CHARS)",
            )
        return value

    def clean(self, field: str, value: str | None) -> str | None:
        """The cleaned text of one field (see the module doc), ``None`` when nothing is left.

        Raises :class:`TextRuleError` naming the field when the cleaned text is longer than the
        field's limit, or a phone holds more than digits and punctuation.
        """
        return self.clean_fields({field: value}, (field,)).get(field)

    def clean_fields(self, values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str | None]:
        """The cleaned text of each of ``fields`` that ``values`` holds (not ``None``): a dict
        field -> text, ``None`` where nothing is left. Raises :class:`TextRuleError` for the
        first field that breaks a rule (see :meth:`clean`) or is not text."""
        present = [f for f in fields if values.get(f) is not None]
        texts = [values[f] for f in present]
        for f, t in zip(present, texts, strict=True):
            if not isinstance(t, str):
                raise TextRuleError(f, f"{f} {t!r} is not text")
        if not _is_clean(" | ".join(texts)):  # one check for the whole row, nearly always clean
            texts = [clean_text(t) for t in texts]
        out: dict[str, str | None] = {}
        limits = self._limits
        for f, text in zip(present, texts, strict=True):
            limit = limits.get(f, self.text_max_chars)
            if len(text) > limit:
                raise TextRuleError(
                    f,
                    f"{f} is {len(text)} characters long ({shown(text, 40)}); at most {limit} "
                    f"are allowed (setting REGISTRY_{_setting(f)}_MAX_CHARS)",
                )
            if f in PHONE_FIELDS and text:
                if not _DIGIT.search(text):
                    text = ""  # "--", "없음": no phone
                elif not _PHONE.fullmatch(text):
                    raise TextRuleError(
                        f,
                        f"phone {shown(text)} is not a phone number: digits with spaces, "
                        "+ - ( ) . / , ~ # * and an extension (x, ext, 내선) only",
                    )
            out[f] = text or None
        return out

    def check_codes(self, field: str, codes: Iterable[str]) -> None:
        """Each code of a code list (service areas) must be an allowed id."""
        for code in codes:
            if not isinstance(code, str):
                raise TextRuleError(field, f"{field} holds {code!r}, not text")
            self.check_id(code, field)

    def check_facility(self, facility: Any) -> Any:
        """A registry record (a dataclass such as ``Facility``) with every text field cleaned
        (the same object when nothing changed); fields not in ``TEXT_FIELDS`` are held to
        ``text_max_chars``.

        Raises :class:`TextRuleError` for an id or service-area code that is not allowed, a
        name that is empty once cleaned, or a text field over its limit (see :meth:`clean`).
        """
        self.check_id(facility.id)
        self.check_codes("service_area_sigungu_codes", facility.service_area_sigungu_codes)
        # Every text the record carries (a field added later too), not only TEXT_FIELDS.
        given = {f.name: getattr(facility, f.name) for f in dataclasses.fields(facility)
                 if f.name != "id" and isinstance(getattr(facility, f.name), str)}
        cleaned = self.clean_fields(given, given)
        if not cleaned.get("name"):
            raise TextRuleError("name", f"name {shown(str(facility.name))} is empty once control "
                                        "and invisible characters are removed")
        changes = {f: t for f, t in cleaned.items() if t != given[f]}
        return dataclasses.replace(facility, **changes) if changes else facility


def _setting(field: str) -> str:
    if field in NAME_FIELDS:
        return "NAME"
    if field in ADDRESS_FIELDS:
        return "ADDRESS"
    if field in PHONE_FIELDS:
        return "PHONE"
    return "TEXT"
