"""Children, consent and family-data privacy (개인정보 보호법), on one SQLAlchemy engine (SQLite or
PostgreSQL, from :func:`app.db.engine.make_engine`). No Flask; ``now`` is passed in (aware, UTC).

- **Consent first.** A guardian's consent is recorded per purpose and text version
  (``app/reference/consents.json``): ``child_registration`` before a child is stored or changed,
  ``care_notes`` (health details are sensitive information, 제23조) before care notes are stored,
  ``share_with_provider`` before provider staff see anything. A consent counts only while its text
  version is the current one and it is not withdrawn (:meth:`ChildStore.has_consent`).
- **Children.** Given and family name apart (messages carry the given name only), birth date,
  the guardian's relation (``app/reference/children.json``), an emergency contact (a Korean phone
  number, stored as ``010-1234-5678``) and optional care notes, sealed at rest
  (:class:`app.care.sealing.Sealer`). A guardian sees only their own children: another's child is
  "not found", as is a child that does not exist.
- **Staff reads.** :meth:`ChildStore.read_for_booking` gives provider staff only what a booking
  needs (given name, age in months on the booking's date, care notes, emergency contact), for a
  live booking (requested, accepted, in progress) of this child at the staff's own provider, while
  ``share_with_provider`` is current; anything else is "not found". Every staff or admin read,
  granted or denied, appends to ``child_access_log`` (ids, role, purpose, time; append-only in the
  database), in the transaction that reads.
- **Export and delete.** :meth:`ChildStore.export_family` gives everything held about a family;
  :meth:`ChildStore.delete_family` cancels its live bookings (places given back once) and deletes
  its personal data (what remains, and why, is in that method's docstring). Later tables add their
  part with :func:`register_family_part`.
- **Retention.** :meth:`ChildStore.purge_inactive` deletes the data of families without use for
  longer than the retention period. Use: the account's creation or change, a sign-in or any
  signed-in request (:meth:`ChildStore.record_use`, called by the web layer at most once an hour
  per family), a change of children or consents, every booking of the family's children and
  every care request (its window's end and its last change, so a family with a booking or request
  not yet ended is never purged).

Nothing logged carries child data: only ids.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.db.children_tables import child_access_log, children, consents, guardian_activity
from app.db.engine import booking_events, bookings, outbox, password_resets, reads, user_roles, users
from app.db.outbox_tables import notifications, outbox_deliveries
from app.db.request_tables import care_request_events, care_requests, offer_events
from app.db.request_tables import offers as request_offers
from app.domain import DomainError, Problems, raise_all
from app.reference import document
from app.search.model import programme_rules

from .accounts import Roles, User
from .bookings import Booking, BookingNotFound, BookingStore, lock_child
from .notify import reasons as decline_reasons
from .notify.messages import FIRST_NAME_MAX_CHARS, secret_fields
from .outbox import erase_family_messages
from .reason_sealing import EVENT_TABLES, erase_reasons, open_reason, rotate_reasons, seal_plain_reasons, use_sealer
from .references import booking_reference
from .rules import age_in_months
from .sealing import Sealer
from .states import (
    ADMIN,
    BOOKING,
    CARE_REQUEST,
    GUARDIAN,
    OFFER,
    PROVIDER_STAFF,
    WINDOW_IS_USE,
    InvalidTransition,
    TransitionError,
)

log = logging.getLogger(__name__)

SEOUL = ZoneInfo("Asia/Seoul")  # birth dates and booking dates are Korean calendar dates
NAME_MAX_CHARS = 50
CARE_NOTES_MAX_CHARS = 2000
MAX_AGE_YEARS = 18  # 아동복지법 제3조: a child is a person under 18
MAX_CHILDREN_PER_GUARDIAN = 20
RETENTION_DAYS = 365
"""Default retention period (days without use); the service's is ``CARE_RETENTION_DAYS``."""
ACCESS_LOG_LIMIT, ACCESS_LOG_MAX = 50, 200  # reads of the family's records one answer lists (default, most)
USE_STAMP_EVERY = timedelta(hours=1)
"""How stale a family's stored last use may get before a signed-in request writes it again."""
DELETE_ATTEMPTS = 3
ROTATE_BATCH = 500
EXPORT_FORMAT = "dolbom-family-export/1"
FIELDS = ("given_name", "family_name", "birth_date", "relation", "emergency_contact_name",
          "emergency_contact_phone", "care_notes")
"""The fields of a child a guardian gives (register) and may change (update)."""
CHILD_REGISTRATION, CARE_NOTES, SHARE_WITH_PROVIDER = "child_registration", "care_notes", "share_with_provider"
WITHDRAWAL_TOPICS = {SHARE_WITH_PROVIDER: "booking.sharing_withdrawn", CARE_NOTES: "booking.notes_withdrawn"}
"""The outbox topic telling a live booking's provider that the family withdrew this consent."""
BOOKING_CARE, UNMATCHED_REQUEST = "booking_care", "unmatched_request"  # access purposes (children.json)
ANSWERING_OFFER = "answering_offer"  # access purpose (children.json): staff shown the child of an offer
ACCESS_COALESCE_SECONDS = 120
"""Default window (seconds) in which an identical read (same reader, child, booking, purpose and
outcome) is not logged again: one showing is one line, however often a page asks; the service's
is ``CARE_ACCESS_LOG_COALESCE_S``."""
GRANTED, DENIED = "granted", "denied"


# -- errors -------------------------------------------------------------------------------------

class ChildError(DomainError):
    """A child, consent or family request the rules refuse; ``http_status`` is the API's."""

    http_status = 400


class ChildProblems(Problems, ChildError):
    """Several problems of a child's record found at once (missing fields, wrong values,
    consents), in the form's order: :class:`app.domain.Problems`."""


class ChildNotFound(ChildError):
    """No such child for this person (also: another family's child, a denied staff read)."""

    code = "not_found"
    http_status = 404


class FamilyNotFound(ChildError):
    code = "not_found"
    http_status = 404


class ConsentRequired(ChildError):
    """The guardian has not given the current version of the consent ``purpose`` needs."""

    code = "consent_required"
    http_status = 409

    def __init__(self, purpose: str, version: str, what: str) -> None:
        super().__init__(f"{what} needs the guardian's consent {purpose!r}, version {version}: show its "
                         f"text (app/reference/consents.json) and record the consent first", "consent")
        self.purpose = purpose
        self.version = version

    @property
    def extra(self) -> dict[str, object]:
        return {"purpose": self.purpose, "version": self.version}


class ConsentWithdrawn(ChildError):
    """A provider's staff reading a child of their own live booking after the family withdrew
    ``share_with_provider``: 403, as the refusal is the family's permission, not the booking's
    state (a 409 would suggest the staff could change something to get the record)."""

    code = "consent_withdrawn"
    http_status = 403
    reason = "consent_withdrawn"

    def __init__(self, purpose: str, booking_id: str) -> None:
        super().__init__(f"the family withdrew the consent {purpose!r} to share the child's record with the "
                         f"provider: booking {booking_id}'s child is not shown (the booking itself stands)",
                         "consent")
        self.purpose = purpose

    @property
    def extra(self) -> dict[str, object]:
        return {"purpose": self.purpose}


class ConsentError(ChildError):
    """A consent that cannot be given or withdrawn (an unknown purpose, an outdated text)."""

    code = "invalid_consent"


class ConsentOutdated(ConsentError):
    """A consent given to a text version that is not the current one (the guardian saw an old text)."""

    code = "consent_outdated"
    http_status = 409


class ConsentInUse(ConsentError):
    """A consent that cannot be withdrawn while data stored on it remains (delete that instead)."""

    code = "consent_in_use"
    http_status = 409


class NotUnmatched(ChildError):
    """A care request no longer waiting for a person (matched, cancelled): its family's contact
    is not shown; ``current_state`` says what it became."""

    code = "not_unmatched"
    http_status = 409

    def __init__(self, request_id: str, status: str) -> None:
        super().__init__(f"care request {request_id} is {status}, not unmatched: the family's contact is shown "
                         "only while the request waits in the queue for people", "request_id")
        self.current_state = status

    @property
    def extra(self) -> dict[str, object]:
        return {"current_state": self.current_state}


class BirthDateInUse(ChildError):
    """A birth-date change that would leave live bookings or care requests of the child outside
    their programme's ages (409): ``affected_bookings`` and ``affected_requests`` name each
    (id, programme, provider, window, state, the age in months it would give and the
    programme's ages) and ``what_to_do`` says to cancel them first."""

    code = "birth_date_in_use"
    http_status = 409


class FamilyBusy(ChildError):
    """A family (or child) whose data cannot be deleted now: care is under way."""

    code = "family_busy"
    http_status = 409


# -- reference data -----------------------------------------------------------------------------

def consent_purposes() -> dict[str, dict[str, Any]]:
    """The consent purposes by name: ``version``, ``title`` and ``text`` (``ko``, ``en``),
    ``source`` (the law's articles); from ``app/reference/consents.json``."""
    return document("consents.json")["purposes"]


def consent_version(purpose: str) -> str:
    """The current text version of ``purpose``; :class:`ConsentError` naming the purposes for
    an unknown one."""
    found = consent_purposes().get(purpose)
    if found is None:
        raise ConsentError(f"unknown consent purpose {purpose!r}: one of {', '.join(sorted(consent_purposes()))}",
                           "purpose")
    return str(found["version"])


def consent_text(purpose: str, locale: str, retention_days: int = RETENTION_DAYS) -> dict[str, str]:
    """What a guardian is shown for ``purpose`` in ``locale`` (``ko`` or ``en``): ``purpose``,
    ``version``, ``title``, ``text`` (the retention period filled in, in days) and ``source``."""
    consent_version(purpose)
    spec = consent_purposes()[purpose]
    if locale not in spec["text"]:
        raise ConsentError(f"locale must be one of {', '.join(sorted(spec['text']))}, not {locale!r}", "locale")
    return {"purpose": purpose, "version": str(spec["version"]), "title": spec["title"][locale],
            "text": spec["text"][locale].replace("{retention_days}", str(int(retention_days))),
            "source": spec["source"]}


def relations() -> dict[str, dict[str, str]]:
    """The guardian's relations to a child allowed, each with its ``ko`` and ``en`` label."""
    return document("children.json")["relations"]


def access_purposes() -> dict[str, dict[str, Any]]:
    """Why staff may open a child's record: purpose -> ``roles`` allowed, ``ko``, ``en``."""
    return document("children.json")["access_purposes"]


# -- records ------------------------------------------------------------------------------------

# Built once (every booking reads it): the child, and whether its guardian's consent to the
# purpose is current.
_CONSENTED = sa.exists().where(consents.c.guardian_id == children.c.guardian_id,
                               consents.c.purpose == sa.bindparam("purpose"),
                               consents.c.text_version == sa.bindparam("version"), consents.c.withdrawn_at.is_(None))
_BRIEF = (sa.select(children.c.id, children.c.given_name, children.c.birth_date, _CONSENTED.label("consented"))
          .where(children.c.id == sa.bindparam("child_id"), children.c.guardian_id == sa.bindparam("guardian_id")))


@dataclass(frozen=True)
class ChildBrief:
    """What a booking needs of a child (:meth:`ChildStore.brief`): its first name (for the
    provider's message), its birth date (for the age rules), and whether the guardian's consent
    to the purpose asked is current."""
    id: str
    given_name: str
    birth_date: date
    consented: bool


@dataclass(frozen=True)
class Child:
    """A child as its guardian (and an admin) sees it; ``care_notes`` opened. The repr shows the
    id only, so a child logged by mistake gives away nothing."""

    id: str
    guardian_id: str = field(repr=False)
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    birth_date: date = field(repr=False)
    relation: str = field(repr=False)
    emergency_contact_name: str = field(repr=False)
    emergency_contact_phone: str = field(repr=False)
    care_notes: str | None = field(repr=False)
    created_at: datetime = field(repr=False)
    updated_at: datetime = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: dates and times in ISO 8601 (times UTC)."""
        return {"id": self.id, "given_name": self.given_name, "family_name": self.family_name,
                "birth_date": self.birth_date.isoformat(), "relation": self.relation,
                "emergency_contact": {"name": self.emergency_contact_name, "phone": self.emergency_contact_phone},
                "care_notes": self.care_notes, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


@dataclass(frozen=True)
class ChildForBooking:
    """What provider staff see for one booking: no family name, no birth date, no relation."""

    child_id: str
    booking_id: str
    first_name: str = field(repr=False)
    age_months: int = field(repr=False)  # whole months on the booking's first day (Korean date)
    care_notes: str | None = field(repr=False)
    emergency_contact_name: str = field(repr=False)
    emergency_contact_phone: str = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"child_id": self.child_id, "booking_id": self.booking_id, "first_name": self.first_name,
                "age_months": self.age_months, "care_notes": self.care_notes,
                "emergency_contact": {"name": self.emergency_contact_name, "phone": self.emergency_contact_phone}}


@dataclass(frozen=True)
class ChildForOffer:
    """What provider staff see of the child of an emergency-care offer to them, once they ask
    (a logged read): the first name and the age in months on the request's first day."""

    child_id: str
    offer_id: str
    first_name: str = field(repr=False)
    age_months: int = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"child_id": self.child_id, "offer_id": self.offer_id, "first_name": self.first_name,
                "age_months": self.age_months}


@dataclass(frozen=True)
class RequestContact:
    """What an administrator sees to call back the family of an unmatched care request: the
    child's emergency contact and the guardian's relation to the child, nothing else."""

    request_id: str
    child_id: str
    relation: str = field(repr=False)
    emergency_contact_name: str = field(repr=False)
    emergency_contact_phone: str = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "child_id": self.child_id, "relation": self.relation,
                "emergency_contact": {"name": self.emergency_contact_name, "phone": self.emergency_contact_phone}}


@dataclass(frozen=True)
class Consent:
    id: int
    guardian_id: str
    purpose: str
    text_version: str
    given_at: datetime
    withdrawn_at: datetime | None

    @property
    def current(self) -> bool:
        """Given to the purpose's current text and not withdrawn."""
        spec = consent_purposes().get(self.purpose)
        return self.withdrawn_at is None and spec is not None and self.text_version == str(spec["version"])

    def as_dict(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "text_version": self.text_version, "given_at": self.given_at.isoformat(),
                "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
                "current": self.current}


ProviderAges = Callable[[str], "tuple[int | None, int | None] | None"]
"""A provider's id to its own ages in whole months, ``(age_min_months, age_max_months)`` (either
None: unknown), or None for a provider it does not know (the served registry's)."""


def deletion_keeps_for_providers() -> frozenset[str]:
    """The outbox topics a deleted family's undelivered messages to providers are kept for
    (``deletion_keeps_for_providers`` in ``app/reference/children.json``): what the staff still
    need once the family is gone; every other message about the family is deleted."""
    return frozenset(document("children.json")["deletion_keeps_for_providers"])


# -- the family-data registry -------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """One family as the export and the deletion see it: the guardian, the ids of their
    children, and of the bookings of those children or made for the guardian."""

    guardian_id: str
    child_ids: tuple[str, ...]
    booking_ids: tuple[str, ...]


@dataclass(frozen=True)
class FamilyPart:
    """A table (or tables) holding family data, registered by the module that owns it.

    ``export(conn, family)``: the part's JSON-able records (the export's key ``name``).
    ``erase(conn, family, now)``: delete (or strip of personal data) the part's records, in the
    deletion's transaction, before the children and the account go; returns how many rows it
    changed (the deletion's count ``name``).
    """

    name: str
    export: Callable[[sa.Connection, Family], Any]
    erase: Callable[[sa.Connection, Family, datetime], int]


BUILT_IN_PARTS = frozenset({"format", "exported_at", "guardian_id", "account", "activity", "children",
                            "consents", "bookings", "access_log", "notifications"})
_PARTS: dict[str, FamilyPart] = {}


def register_family_part(part: FamilyPart) -> None:
    """Add a table's family data to every export and deletion (care requests, offers, contacts
    register theirs at import). A name the export already uses is refused (ValueError)."""
    if part.name in BUILT_IN_PARTS or part.name in _PARTS:
        raise ValueError(f"a family part named {part.name!r} exists already")
    _PARTS[part.name] = part


CORE_PART_MODULES = ("app.care.matching",)
"""The modules of the care core that hold family data of their own: imported before any export
or deletion, so what is exported or erased never depends on what happened to be imported."""


def family_parts() -> tuple[FamilyPart, ...]:
    """The registered parts, in registration order (the core's own first)."""
    import importlib

    for name in CORE_PART_MODULES:
        importlib.import_module(name)
    return tuple(_PARTS.values())


# -- checks -------------------------------------------------------------------------------------

def _text(value: Any, field_name: str, max_chars: int, *, multiline: bool = False) -> str:
    """``value`` as clean text (NFC, stripped); refused when not text, empty, too long, or holding
    control, format (bidi, zero-width) or private-use characters."""
    if not isinstance(value, str):
        raise ChildError(f"{field_name} must be text", field_name, "not_text")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if not text:
        raise ChildError(f"{field_name} must not be empty", field_name, "empty")
    if len(text) > max_chars:
        raise ChildError(f"{field_name} must have at most {max_chars} characters, not {len(text)}", field_name,
                         "too_long", {"max_chars": max_chars})
    allowed = {"\n", "\t"} if multiline else set()
    for ch in text:
        if ch not in allowed and (unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")):
            what = "line breaks, tabs and " if not multiline else ""
            raise ChildError(f"{field_name} must not contain {what}control, invisible or private-use characters "
                             f"(found U+{ord(ch):04X})", field_name, "bad_characters")
    return text


def check_name(value: Any, field_name: str) -> str:
    """A given name, family name or contact's name: 1 to :data:`NAME_MAX_CHARS` characters."""
    return _text(value, field_name, NAME_MAX_CHARS)


def check_birth_date(value: Any, today: date) -> date:
    """A birth date (a ``date`` or ``YYYY-MM-DD``) not after ``today`` and less than
    :data:`MAX_AGE_YEARS` years before it."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ChildError(f"birth_date must be a date written YYYY-MM-DD, not {value!r}", "birth_date",
                             "not_a_date") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ChildError("birth_date must be a date (YYYY-MM-DD), without a time", "birth_date", "not_a_date")
    if value > today:
        raise ChildError(f"birth_date {value.isoformat()} is in the future (today is {today.isoformat()})",
                         "birth_date", "in_future", {"today": today.isoformat()})
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if value <= oldest:
        raise ChildError(f"birth_date {value.isoformat()}: a child is under {MAX_AGE_YEARS} (born after "
                         f"{oldest.isoformat()})", "birth_date", "too_old",
                         {"max_age_years": MAX_AGE_YEARS, "born_after": oldest.isoformat()})
    return value


def check_relation(value: Any) -> str:
    """One of :func:`relations`' names."""
    allowed = relations()
    if not isinstance(value, str) or value not in allowed:
        raise ChildError(f"relation must be one of {', '.join(allowed)}, not {value!r}", "relation",
                         "unknown_value")
    return value


_PHONE_SEPARATORS = str.maketrans("", "", " -.()")


def normalise_phone(value: Any, field_name: str = "emergency_contact_phone") -> str:
    """A Korean phone number written with hyphens: mobile ``010-1234-5678`` (also 011, 016–019),
    서울 ``02-123-4567``/``02-1234-5678``, an area code 031–064 with 7 or 8 digits, or an internet
    phone ``070-1234-5678``. Spaces, hyphens, dots and brackets are ignored; ``+82`` (or ``82``)
    stands for the leading 0. Anything else is a :class:`ChildError` with an example."""
    example = f"{field_name} must be a Korean phone number such as 010-1234-5678 or 031-123-4567"
    if not isinstance(value, str):
        raise ChildError(example, field_name, "not_a_phone")
    digits = unicodedata.normalize("NFKC", value).strip().translate(_PHONE_SEPARATORS)
    if digits.startswith("+82"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:].removeprefix("0")
    elif digits.startswith("+"):
        raise ChildError(f"{example}: {value!r} is not a Korean (+82) number", field_name, "not_a_phone")
    if not digits.isascii() or not digits.isdigit():
        raise ChildError(f"{example}, not {value!r}", field_name, "not_a_phone")
    if digits.startswith("02"):
        area = "02"
    elif digits[:3] in {"010", "011", "016", "017", "018", "019", "070"} or digits[:3] in _AREA_CODES:
        area = digits[:3]
    else:
        raise ChildError(f"{example}: {value!r} starts with no Korean mobile or area code", field_name,
                         "not_a_phone")
    rest = digits[len(area):]
    if (area in ("010", "070") and len(rest) != 8) or len(rest) not in (7, 8):
        raise ChildError(f"{example}: {value!r} has {len(digits)} digits", field_name, "not_a_phone")
    return f"{area}-{rest[:-4]}-{rest[-4:]}"


_AREA_CODES = frozenset({"031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055",
                         "061", "062", "063", "064"})


def check_care_notes(value: Any) -> str | None:
    """Care notes: None or empty for none, else text of at most :data:`CARE_NOTES_MAX_CHARS`
    characters (line breaks allowed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _text(value, "care_notes", CARE_NOTES_MAX_CHARS, multiline=True)


def _utc(value: datetime, field_name: str = "now") -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ChildError(f"{field_name} must be a time with a time zone (an offset or Z)", field_name)
    return value.astimezone(UTC)


def _read(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _read(value).isoformat()


def _acting_as(user: User, wanted: str) -> tuple[str, str | None]:
    """The role (and its provider) a read is logged under: ``wanted`` when the user holds it,
    else the user's first role (``"none"`` without any), so a denied attempt names who tried."""
    grant = next((g for g in user.grants if g.role == wanted), user.grants[0] if user.grants else None)
    return (grant.role, grant.facility_id) if grant is not None else ("none", None)


def _cascade_on_sqlite(conn: sa.Connection, user_id: str) -> None:
    """Delete, on SQLite, the rows of every table whose foreign key to ``users.id`` says ``ON
    DELETE CASCADE`` (sessions, contacts, …): PostgreSQL does it itself, but SQLite enforces no
    foreign key unless told to per connection, so those rows would outlive the account."""
    if conn.dialect.name != "sqlite":
        return
    inspector = sa.inspect(conn)
    for name in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(name):
            if (fk.get("referred_table") == "users" and fk.get("referred_columns") == ["id"]
                    and len(fk["constrained_columns"]) == 1
                    and str(fk.get("options", {}).get("ondelete", "")).upper() == "CASCADE"):
                column = fk["constrained_columns"][0]
                table = sa.table(name, sa.column(column))
                conn.execute(table.delete().where(table.c[column] == user_id))


# -- the store ----------------------------------------------------------------------------------

class ChildStore:
    """Children, consents, the access log and the family's data rights on one engine.

    ``sealer`` seals care notes (built from ``CARE_NOTES_KEYS``: :func:`app.care.sealing.care_notes_keys`),
    and the typed reasons of every event written through ``engine`` (:func:`app.care.reason_sealing.use_sealer`);
    ``roles``: :class:`~app.care.accounts.Roles` (``roles.json``) unless given; ``booking_store``:
    the :class:`~app.care.bookings.BookingStore` whose transitions cancel a deleted family's bookings
    (one on ``engine`` unless given); ``access_coalesce``: an identical staff or admin read within
    it is not logged again (:meth:`_log`).
    """

    def __init__(self, engine: sa.Engine, sealer: Sealer, *, roles: Roles | None = None,
                 booking_store: BookingStore | None = None,
                 access_coalesce: timedelta = timedelta(seconds=ACCESS_COALESCE_SECONDS)) -> None:
        self.engine = engine
        self.access_coalesce = access_coalesce  # identical reads within it are one line of the log
        self.sealer = sealer
        use_sealer(engine, sealer)
        self.roles = roles if roles is not None else Roles()
        self.booking_store = booking_store if booking_store is not None else BookingStore(engine)

    # -- use (the retention clock) ---------------------------------------------------------------

    def record_use(self, guardian_id: str, now: datetime, *, unless_within: timedelta = timedelta(0)) -> bool:
        """Note that the family used the service at ``now`` (the web layer calls this on a
        guardian's sign-in and signed-in requests, :func:`app.pages.account_sessions.note_use`);
        never moves the clock back, and writes nothing when the stored use is less than
        ``unless_within`` before ``now`` (the web layer's :data:`USE_STAMP_EVERY`: one write an
        hour per family, not one per request). Returns whether the time was written."""
        with self.engine.begin() as conn:
            return self._touch(conn, guardian_id, _utc(now), unless_within)

    @staticmethod
    def _touch(conn: sa.Connection, guardian_id: str, at: datetime,
               unless_within: timedelta = timedelta(0)) -> bool:
        ga = guardian_activity
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(ga).values(guardian_id=guardian_id, last_active_at=at)
        return bool(conn.execute(stmt.on_conflict_do_update(
            index_elements=[ga.c.guardian_id], set_={"last_active_at": stmt.excluded.last_active_at},
            where=ga.c.last_active_at <= at - unless_within if unless_within else
            ga.c.last_active_at < stmt.excluded.last_active_at)).rowcount)

    # -- consent ---------------------------------------------------------------------------------

    def give_consent(self, guardian_id: str, purpose: str, text_version: str, now: datetime) -> Consent:
        """Record that the guardian agreed to ``purpose``'s text ``text_version`` at ``now``.

        Raises :class:`ConsentError` for an unknown purpose (naming the purposes),
        :class:`ConsentOutdated` (409) for a version that is not the current one (the guardian saw
        an old text: show the current one), :class:`FamilyNotFound` for an unknown account.
        Giving a consent that is current already returns it (nothing new is stored).
        """
        at = _utc(now)
        version = consent_version(purpose)
        if text_version != version:
            raise ConsentOutdated(f"the text of consent {purpose!r} is version {version}, not {text_version!r}: "
                                  "show the current text and ask again", "version",
                                  extra={"current_version": version})
        with self.engine.begin() as conn:
            self._account(conn, guardian_id)
            for found in self._consents(conn, guardian_id):
                if found.purpose == purpose and found.current:
                    return found
            key = conn.execute(consents.insert().values(guardian_id=guardian_id, purpose=purpose,
                                                        text_version=version, given_at=at,
                                                        withdrawn_at=None)).inserted_primary_key
            assert key is not None
            self._touch(conn, guardian_id, at)
        log.info("guardian %s consented to %s (version %s)", guardian_id, purpose, version)
        return Consent(int(key[0]), guardian_id, purpose, version, at, None)

    def withdraw_consent(self, guardian_id: str, purpose: str, now: datetime) -> int:
        """Withdraw every standing consent of the guardian to ``purpose``; returns how many (0
        when there was none). Effects: ``care_notes`` deletes the family's care notes at once;
        ``share_with_provider`` stops every staff read; ``child_registration`` is refused
        (:class:`ConsentInUse`, 409) while children are registered (delete them, or the family's data, instead).
        The staff of each live booking that loses what they could see are told (outbox, in this
        transaction; :data:`WITHDRAWAL_TOPICS`)."""
        at = _utc(now)
        consent_version(purpose)
        with self.engine.begin() as conn:
            own = sa.select(children.c.id).where(children.c.guardian_id == guardian_id)
            if purpose == CHILD_REGISTRATION and conn.execute(own.limit(1)).first() is not None:
                raise ConsentInUse("children are registered on this consent: delete the children (or the family's "
                                   "data) to withdraw it", "purpose")
            count = conn.execute(consents.update().where(
                consents.c.guardian_id == guardian_id, consents.c.purpose == purpose,
                consents.c.withdrawn_at.is_(None)).values(withdrawn_at=at)).rowcount
            if count and purpose in WITHDRAWAL_TOPICS:
                self._tell_providers(conn, guardian_id, purpose, at)
            if purpose == CARE_NOTES:
                conn.execute(children.update().where(children.c.guardian_id == guardian_id,
                                                     children.c.care_notes.is_not(None))
                             .values(care_notes=None, updated_at=at))
            self._touch(conn, guardian_id, at)
        log.info("guardian %s withdrew consent %s", guardian_id, purpose)
        return count

    @staticmethod
    def _tell_providers(conn: sa.Connection, guardian_id: str, purpose: str, at: datetime) -> None:
        """One message (outbox, this transaction) to the staff of each provider with live
        bookings a withdrawal of ``purpose`` leaves caring without what they could see:
        ``share_with_provider`` (the child's details, every live booking) or ``care_notes`` (the
        notes, the bookings of children who had some). A provider with several such bookings (a
        weekly pattern's dates) gets one message listing them all (tester pass 27, finding 7).

        The payload's ``bookings`` identify each booking (``booking_id``, ``programme``,
        ``window_start``, ``window_end``, ``reference``: the code the family can quote, see
        :func:`app.care.references.booking_reference`), soonest first; ``booking_id`` is the
        first one's (what a family's deletion finds the message by). ``first_name`` (the
        children's first names, ``·``-joined) only for ``care_notes`` while ``share_with_provider``
        stands (tester pass 28: a notes notice after sharing was withdrawn named the child): after a withdrawn
        ``share_with_provider`` the staff may no longer see the name, so its notice does not say
        it either (finding 8)."""
        b = bookings
        query = (sa.select(b.c.id, b.c.facility_id, b.c.programme, b.c.status, b.c.window_start, b.c.window_end,
                           children.c.given_name)
                 .join(children, children.c.id == b.c.child_id)
                 .where(children.c.guardian_id == guardian_id, b.c.status.in_(sorted(BOOKING.holding_states()))))
        if purpose == CARE_NOTES:
            query = query.where(children.c.care_notes.is_not(None))
        topic = WITHDRAWAL_TOPICS[purpose]
        by_provider: dict[str, list[Any]] = {}
        for r in conn.execute(query.order_by(b.c.window_start, b.c.id)):
            by_provider.setdefault(r.facility_id, []).append(r)
        for facility_id, rows in sorted(by_provider.items()):
            payload: dict[str, Any] = {
                "to": [{"facility_id": facility_id}], "facility_id": facility_id, "booking_id": rows[0].id,
                "programme": rows[0].programme,
                "bookings": [{"booking_id": r.id, "programme": r.programme, "status": r.status,
                              "reference": booking_reference(r.id),
                              "window_start": _read(r.window_start).isoformat(),
                              "window_end": _read(r.window_end).isoformat()} for r in rows]}
            names = "·".join(dict.fromkeys(r.given_name for r in rows))
            if (purpose == CARE_NOTES and len(names) <= FIRST_NAME_MAX_CHARS  # longer: "the child"
                    and ChildStore._has_consent(conn, guardian_id, SHARE_WITH_PROVIDER)):  # else not theirs to see
                payload["first_name"] = names
            conn.execute(outbox.insert().values(
                idempotency_key=f"consent/{guardian_id}/{purpose}/{at.isoformat()}/{facility_id}", topic=topic,
                payload=payload, created_at=at, available_at=at, attempts=0, sent_at=None))

    def live_bookings(self, guardian_id: str) -> list[dict[str, Any]]:
        """The live bookings (requested, accepted, in progress) of the guardian's children,
        soonest first: what a withdrawn ``share_with_provider`` (staff no longer see the child's
        care notes and emergency contact) or ``care_notes`` (the notes are gone) leaves providers
        to care without. Each: ``id``, ``child_id``, ``first_name``, ``facility_id``,
        ``programme``, ``start``, ``end`` (aware UTC), ``status``."""
        b = bookings
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(b.c.id, b.c.child_id, children.c.given_name, b.c.facility_id, b.c.programme,
                                          b.c.window_start, b.c.window_end, b.c.status)
                                .join(children, children.c.id == b.c.child_id)
                                .where(children.c.guardian_id == guardian_id,
                                       b.c.status.in_(sorted(BOOKING.holding_states())))
                                .order_by(b.c.window_start, b.c.id)).all()
        return [{"id": r.id, "child_id": r.child_id, "first_name": r.given_name, "facility_id": r.facility_id,
                 "programme": r.programme, "start": _read(r.window_start), "end": _read(r.window_end),
                 "status": r.status} for r in rows]

    def consents(self, guardian_id: str) -> list[Consent]:
        """Every consent the guardian gave (withdrawn and outdated ones too), oldest first."""
        with self.engine.connect() as conn:
            return self._consents(conn, guardian_id)

    def has_consent(self, guardian_id: str, purpose: str) -> bool:
        """Whether the guardian's consent to ``purpose`` is current (the booking flow asks this for
        ``share_with_provider`` before a booking is made)."""
        with self.engine.connect() as conn:
            return self._has_consent(conn, guardian_id, purpose)

    @staticmethod
    def _consents(conn: sa.Connection, guardian_id: str) -> list[Consent]:
        rows = conn.execute(sa.select(consents).where(consents.c.guardian_id == guardian_id)
                            .order_by(consents.c.given_at, consents.c.id))
        return [Consent(r.id, r.guardian_id, r.purpose, r.text_version, _read(r.given_at),
                        _read(r.withdrawn_at) if r.withdrawn_at is not None else None) for r in rows]

    @staticmethod
    def _has_consent(conn: sa.Connection, guardian_id: str, purpose: str) -> bool:
        return conn.execute(sa.select(consents.c.id).where(
            consents.c.guardian_id == guardian_id, consents.c.purpose == purpose,
            consents.c.text_version == consent_version(purpose), consents.c.withdrawn_at.is_(None))
            .limit(1)).first() is not None

    def _require_consent(self, conn: sa.Connection, guardian_id: str, purpose: str, what: str) -> None:
        if not self._has_consent(conn, guardian_id, purpose):
            raise ConsentRequired(purpose, consent_version(purpose), what)

    # -- children (the guardian's side) ----------------------------------------------------------

    def register(self, guardian_id: str, *, given_name: str, family_name: str, birth_date: date | str,
                 relation: str, emergency_contact_name: str, emergency_contact_phone: str,
                 care_notes: str | None = None, now: datetime) -> Child:
        """Register a child of the guardian. Every field is checked first (:class:`ChildError`
        naming the field); then :class:`ConsentRequired` (409) without a current
        ``child_registration`` consent, or without ``care_notes`` when notes are given; at most
        :data:`MAX_CHILDREN_PER_GUARDIAN` children. Nothing is stored when refused."""
        return self.register_fields(guardian_id, {
            "given_name": given_name, "family_name": family_name, "birth_date": birth_date, "relation": relation,
            "emergency_contact_name": emergency_contact_name, "emergency_contact_phone": emergency_contact_phone,
            "care_notes": care_notes}, now)

    def register_fields(self, guardian_id: str, fields: Mapping[str, Any], now: datetime) -> Child:
        """:meth:`register` with the fields as sent (keys of :data:`FIELDS`; ``care_notes`` may
        be left out). Every problem is found before any is raised: each required field missing
        (reason ``missing``; the relation with its ``allowed`` values), each value refused, then
        each consent missing (:class:`ConsentRequired`), in that order; one is raised as itself,
        several as :class:`ChildProblems` (the envelope's ``errors`` lists them all)."""
        at = _utc(now)
        values, problems = self._check_all(fields, at, partial=False)
        child_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            self._account(conn, guardian_id)
            if not self._has_consent(conn, guardian_id, CHILD_REGISTRATION):
                problems.append(ConsentRequired(CHILD_REGISTRATION, consent_version(CHILD_REGISTRATION),
                                                "registering a child"))
            notes = fields.get("care_notes")
            if isinstance(notes, str) and notes.strip() and not self._has_consent(conn, guardian_id, CARE_NOTES):
                problems.append(ConsentRequired(CARE_NOTES, consent_version(CARE_NOTES), "storing care notes"))
            raise_all(problems, ChildProblems)
            count = conn.execute(sa.select(sa.func.count()).select_from(children)
                                 .where(children.c.guardian_id == guardian_id)).scalar_one()
            if count >= MAX_CHILDREN_PER_GUARDIAN:
                raise ChildError(f"a guardian can register at most {MAX_CHILDREN_PER_GUARDIAN} children", "child",
                                 "too_many_children", {"max_children": MAX_CHILDREN_PER_GUARDIAN})
            conn.execute(children.insert().values(
                id=child_id, guardian_id=guardian_id, created_at=at, updated_at=at,
                **self._stored(values)))
            self._touch(conn, guardian_id, at)
        log.info("child %s registered by guardian %s", child_id, guardian_id)
        return self.get(guardian_id, child_id)

    def update(self, guardian_id: str, child_id: str, changes: Mapping[str, Any], now: datetime,
               provider_ages: ProviderAges | None = None) -> Child:
        """Change some fields of the guardian's child (keys of :data:`FIELDS`; ``care_notes``
        None or empty deletes the notes). Same checks and consents as :meth:`register`;
        :class:`ChildNotFound` for a child that is not the guardian's.

        A new ``birth_date`` while the child has live bookings (requested, accepted, in
        progress) or live care requests is taken when every one of them stays within its
        programme's ages (programmes.json; the age on the window's first day, as booking
        checks it) and every booking within its provider's own ages (``provider_ages``: a
        provider's id to its ``(age_min_months, age_max_months)`` in the served registry, None
        for one it does not know; ages unknown there are not held against the change): a
        corrected typo that changes nothing for the providers. Otherwise
        :class:`BirthDateInUse` (409) names those that would fall outside and nothing changes:
        the family cancels them first, then corrects the date and books again, so a provider
        never holds a place for a child its programme, or itself, does not take. Checked under
        the child's lock, the one a booking takes, so a booking made at the same moment is
        either seen here or sees the new date."""
        at = _utc(now)
        if not isinstance(changes, Mapping) or not changes:
            raise ChildError(f"give at least one field to change: {', '.join(FIELDS)}", "changes", "no_changes")
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise ChildError(f"{', '.join(unknown)} cannot be changed: the fields are {', '.join(FIELDS)}",
                             unknown[0], "not_changeable")
        values, problems = self._check_all(changes, at, partial=True)
        raise_all(problems, ChildProblems)  # every refused value at once
        with self.engine.begin() as conn:
            # The lock a booking of the child takes (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on
            # SQLite): a booking either committed before, and is checked below, or reads the new
            # birth date under the same lock (app.care.bookings.lock_child_checking_age).
            lock_child(conn, child_id)
            row = self._own_row(conn, guardian_id, child_id, lock=True)
            self._require_consent(conn, guardian_id, CHILD_REGISTRATION, "changing a child's details")
            if "birth_date" in values and values["birth_date"] != row.birth_date:
                self._check_live_ages(conn, child_id, values["birth_date"], provider_ages)
            if values.get("care_notes") is not None:
                self._require_consent(conn, guardian_id, CARE_NOTES, "storing care notes")
            conn.execute(children.update().where(children.c.id == child_id)
                         .values(updated_at=at, **self._stored(values)))
            self._touch(conn, guardian_id, at)
        log.info("child %s changed by guardian %s", child_id, guardian_id)
        return self.get(guardian_id, child_id)

    @staticmethod
    def _check_live_ages(conn: sa.Connection, child_id: str, birth_date: date,
                         provider_ages: ProviderAges | None = None) -> None:
        """Refuse (:class:`BirthDateInUse`) ``birth_date`` when a live booking or care request of
        the child would fall outside its programme's ages with it, or a booking outside its
        provider's own (:meth:`update`). Each item names the ages it falls outside of
        (``age_min_months``, ``age_max_months``) and whose they are (``limit``: ``programme``
        or ``provider``)."""
        rules = programme_rules()
        b, r = bookings, care_requests
        live_requests = sorted(n for n, st in CARE_REQUEST.states.items() if not st.final)
        found = [("booking", row) for row in conn.execute(
            sa.select(b.c.id, b.c.programme, b.c.facility_id, b.c.window_start, b.c.window_end, b.c.status)
            .where(b.c.child_id == child_id, b.c.status.in_(sorted(BOOKING.holding_states())))
            .order_by(b.c.window_start, b.c.id))]
        found += [("request", row) for row in conn.execute(
            sa.select(r.c.id, r.c.programme, sa.null().label("facility_id"), r.c.window_start, r.c.window_end,
                      r.c.status)
            .where(r.c.child_id == child_id, r.c.status.in_(live_requests)).order_by(r.c.window_start, r.c.id))]
        outside: dict[str, list[dict[str, Any]]] = {"booking": [], "request": []}
        for kind, row in found:
            rule = rules.get(row.programme)
            first_day = _read(row.window_start).astimezone(SEOUL).date()
            months = age_in_months(birth_date, first_day) if birth_date <= first_day else None
            if rule is None:
                continue
            limit, low, high = "programme", rule.age_min_months, rule.age_max_months
            if months is not None and low <= months <= high:
                own = provider_ages(row.facility_id) if provider_ages and kind == "booking" else None
                own_low, own_high = own if own is not None else (None, None)
                if own_low is None or own_high is None or own_low <= months <= own_high:
                    continue  # within the provider's ages, or they are not known here
                limit, low, high = "provider", own_low, own_high
            item: dict[str, Any] = {
                "id": row.id, "programme": row.programme, "status": row.status,
                "start": _read(row.window_start).astimezone(SEOUL).isoformat(),
                "end": _read(row.window_end).astimezone(SEOUL).isoformat(), "age_months": months,
                "age_min_months": low, "age_max_months": high, "limit": limit}
            if kind == "booking":
                item["facility_id"] = row.facility_id
            outside[kind].append(item)
        if not outside["booking"] and not outside["request"]:
            return
        named = [f"booking {x['id']} ({x['programme']}, {x['start'][:16]}, {x['status']}"
                 + (f"; {x['facility_id']} takes {x['age_min_months']}-{x['age_max_months']} months)"
                    if x["limit"] == "provider" else ")") for x in outside["booking"]]
        named += [f"care request {x['id']} ({x['programme']}, {x['start'][:16]}, {x['status']})"
                  for x in outside["request"]]
        what = ("cancel them first (a booking in progress ends first), then change the birth date and book or "
                "request again; or keep the birth date")
        raise BirthDateInUse(f"birth_date {birth_date.isoformat()} would put the child outside the ages of "
                             f"{len(named)} live {'booking or request' if len(named) == 1 else 'bookings or requests'}"
                             f": {'; '.join(named)}: {what}", "birth_date", "live_bookings",
                             {"affected_bookings": outside["booking"], "affected_requests": outside["request"],
                              "what_to_do": what})

    def first_name(self, conn: sa.Connection | None, child_id: str) -> str | None:
        """The child's first name (the only child data a message may carry), None when the
        child is not (or no longer) registered; read on ``conn`` when given (a transaction that
        writes the message: on SQLite a second connection would wait for its lock). Not a read
        of the record: nothing is logged."""
        query = sa.select(children.c.given_name).where(children.c.id == child_id)
        if conn is not None:
            return conn.execute(query).scalar()
        with self.engine.connect() as own:
            return own.execute(query).scalar()

    def list_for_guardian(self, guardian_id: str) -> list[Child]:
        """The guardian's children, youngest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(children).where(children.c.guardian_id == guardian_id)
                                .order_by(children.c.birth_date.desc(), children.c.created_at, children.c.id))
            return [self._child(r) for r in rows]

    def brief(self, guardian_id: str, child_id: str, purpose: str) -> ChildBrief:
        """What a booking checks of the guardian's child, and whether the guardian's consent to
        ``purpose`` is current — one read, no care notes opened (the booking desk asks this on
        every booking). :class:`ChildNotFound` for another's child, as for none."""
        with reads(self.engine).connect() as conn:
            row = conn.execute(_BRIEF, {"child_id": child_id, "guardian_id": guardian_id, "purpose": purpose,
                                        "version": consent_version(purpose)}).first()
        if row is None:
            raise ChildNotFound(f"no child {child_id} among your children", "child_id")
        return ChildBrief(row.id, row.given_name, row.birth_date, bool(row.consented))

    def get(self, guardian_id: str, child_id: str) -> Child:
        """The guardian's child; :class:`ChildNotFound` for another's child, as for none."""
        with self.engine.connect() as conn:
            return self._child(self._own_row(conn, guardian_id, child_id))

    def delete(self, guardian_id: str, child_id: str, now: datetime) -> int:
        """Delete the guardian's child, cancelling its requested and accepted bookings first (their
        places given back once); returns how many bookings were cancelled. :class:`FamilyBusy`
        (409) while one of its bookings is in progress; :class:`ChildNotFound` for another's child.
        The typed reasons of the child's events go with it (:meth:`_erase_child_reasons`)."""
        at = _utc(now)
        with self.engine.connect() as conn:
            self._own_row(conn, guardian_id, child_id)
        for _ in range(DELETE_ATTEMPTS):
            cancelled = self._cancel_live_bookings(guardian_id, [child_id], at)
            with self.engine.begin() as conn:
                self._own_row(conn, guardian_id, child_id, lock=True)
                if self._live_bookings(conn, [child_id]):
                    continue  # booked again meanwhile: cancel that one too
                conn.execute(children.delete().where(children.c.id == child_id))
                self._erase_child_reasons(conn, child_id, at)
                self._touch(conn, guardian_id, at)
            log.info("child %s deleted by guardian %s (%d bookings cancelled)", child_id, guardian_id, cancelled)
            return cancelled
        raise FamilyBusy("the child kept being booked while it was being deleted: try again", "child")

    # -- staff and admin reads -------------------------------------------------------------------

    def read_for_booking(self, child_id: str, staff_user: User, booking: Booking | str, purpose: str,
                         now: datetime) -> ChildForBooking:
        """What provider staff see of a child for one booking (see :class:`ChildForBooking`).

        Granted only when the user's grant allows ``children.read_for_booking`` at the booking's
        provider, the booking (read afresh; ``booking`` may be a stale copy or just its id) is of
        this child and live (requested, accepted, in progress), and the guardian's
        ``share_with_provider`` consent is current. Otherwise :class:`ConsentWithdrawn` when only
        the consent is missing (the staff see the booking anyway), else :class:`ChildNotFound`, the
        same for every other reason. ``purpose``: one of :func:`access_purposes` for provider staff (else
        :class:`ChildError`). Every call is logged (granted or denied) with the read.
        """
        at = _utc(now)
        self._check_purpose(purpose, PROVIDER_STAFF)
        booking_id = booking if isinstance(booking, str) else booking.id
        role, facility_id = _acting_as(staff_user, PROVIDER_STAFF)
        with self.engine.begin() as conn:
            b = conn.execute(sa.select(bookings.c.facility_id, bookings.c.child_id, bookings.c.status,
                                       bookings.c.window_start).where(bookings.c.id == booking_id)).first()
            row = conn.execute(sa.select(children).where(children.c.id == child_id)).first()
            theirs = (b is not None and row is not None and b.child_id == child_id
                      and b.status in BOOKING.holding_states()
                      and self.roles.allows(staff_user, "children.read_for_booking", facility_id=b.facility_id))
            granted = theirs and row is not None and self._has_consent(conn, row.guardian_id, SHARE_WITH_PROVIDER)
            if granted:
                assert b is not None and row is not None
                on = _read(b.window_start).astimezone(SEOUL).date()
                seen = ChildForBooking(child_id, booking_id, row.given_name, age_in_months(row.birth_date, on),
                                       self._open(row.care_notes), row.emergency_contact_name,
                                       row.emergency_contact_phone)
                self._log(conn, staff_user.id, role, facility_id, child_id, booking_id, purpose, GRANTED, at)
                return seen
        with self.engine.begin() as conn:
            self._log(conn, staff_user.id, role, facility_id, child_id, booking_id, purpose, DENIED, at)
        log.info("staff %s denied child %s for booking %s", staff_user.id, child_id, booking_id)
        if theirs:  # the staff already see this booking: only the family's withdrawal is news
            raise ConsentWithdrawn(SHARE_WITH_PROVIDER, booking_id)
        raise ChildNotFound(f"no child {child_id} in a current booking {booking_id} of your provider", "child_id")

    def read_for_offer(self, offer_id: str, staff_user: User, now: datetime) -> ChildForOffer:
        """The child of an emergency-care offer (first name, age in months on the request's first
        day) for the staff of the provider offered, while the offer waits for its answer (its
        initial state, before its deadline) and the
        family's ``share_with_provider`` consent is current; logged (purpose ``answering_offer``,
        in the transaction that reads; an identical read within ``access_coalesce`` once).
        Anything else: :class:`ChildNotFound` (404), logged as denied when the child is known."""
        at = _utc(now)
        role, _ = _acting_as(staff_user, PROVIDER_STAFF)
        with self.engine.begin() as conn:
            o = conn.execute(sa.select(request_offers.c.facility_id, request_offers.c.status,
                                       request_offers.c.respond_by, care_requests.c.child_id,
                                       care_requests.c.window_start)
                             .join(care_requests, care_requests.c.id == request_offers.c.request_id)
                             .where(request_offers.c.id == offer_id)).first()
            if o is None or not self.roles.allows(staff_user, "offers.respond", facility_id=o.facility_id):
                raise ChildNotFound(f"no offer {offer_id!r} to your provider", "offer_id")
            row = conn.execute(sa.select(children.c.given_name, children.c.birth_date, children.c.guardian_id)
                               .where(children.c.id == o.child_id)).first()
            if o.status == OFFER.initial and _read(o.respond_by) > at and row is not None and \
                    self._has_consent(conn, row.guardian_id, SHARE_WITH_PROVIDER):
                on = _read(o.window_start).astimezone(SEOUL).date()
                self._log(conn, staff_user.id, role, o.facility_id, o.child_id, None, ANSWERING_OFFER, GRANTED, at)
                return ChildForOffer(o.child_id, offer_id, row.given_name, age_in_months(row.birth_date, on))
        if row is not None:
            with self.engine.begin() as conn:
                self._log(conn, staff_user.id, role, o.facility_id, o.child_id, None, ANSWERING_OFFER, DENIED, at)
        raise ChildNotFound(f"the child of offer {offer_id!r} is shown only while the offer is open", "offer_id")

    def read_as_admin(self, child_id: str, admin_user: User, purpose: str, now: datetime) -> Child:
        """A child's whole record for an administrator (``purpose``: one of
        :func:`access_purposes` for admins), logged; :class:`ChildNotFound` (logged as denied)
        when the user is no admin or there is no such child."""
        at = _utc(now)
        self._check_purpose(purpose, ADMIN)
        role, facility_id = _acting_as(admin_user, ADMIN)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(children).where(children.c.id == child_id)).first()
            if role == ADMIN and row is not None:
                self._log(conn, admin_user.id, ADMIN, None, child_id, None, purpose, GRANTED, at)
                return self._child(row)
        with self.engine.begin() as conn:
            self._log(conn, admin_user.id, role, facility_id, child_id, None, purpose, DENIED, at)
        raise ChildNotFound(f"no child {child_id}", "child_id")

    def contact_for_unmatched_request(self, request_id: str, admin_user: User, now: datetime) -> RequestContact:
        """The emergency contact of the child of an unmatched care request (:class:`RequestContact`),
        for an administrator calling the family back; logged as a read of the child's record
        (purpose ``unmatched_request``, in the transaction that reads).

        Refused, with nothing read and nothing logged: a user without ``care_requests.contact``
        (roles.json) or no such request (:class:`ChildNotFound`, 404), a request that no longer
        waits (:class:`NotUnmatched`, 409 with ``current_state``: the family is served or withdrew).
        A child deleted since: :class:`ChildNotFound`, logged as denied.
        """
        at = _utc(now)
        self._check_purpose(UNMATCHED_REQUEST, ADMIN)
        if not self.roles.allows(admin_user, "care_requests.contact"):
            raise ChildNotFound(f"no care request {request_id!r} for you", "request_id")
        with self.engine.begin() as conn:
            req = conn.execute(sa.select(care_requests.c.status, care_requests.c.child_id,
                                         care_requests.c.guardian_id).where(care_requests.c.id == request_id)).first()
            if req is None:
                raise ChildNotFound(f"no care request {request_id!r}", "request_id")
            if req.status != "unmatched":
                raise NotUnmatched(request_id, req.status)
            row = conn.execute(sa.select(children.c.relation, children.c.emergency_contact_name,
                                         children.c.emergency_contact_phone).where(
                children.c.id == req.child_id, children.c.guardian_id == req.guardian_id)).first()
            if row is not None:
                self._log(conn, admin_user.id, ADMIN, None, req.child_id, None, UNMATCHED_REQUEST, GRANTED, at)
                return RequestContact(request_id, req.child_id, row.relation, row.emergency_contact_name,
                                      row.emergency_contact_phone)
        with self.engine.begin() as conn:
            self._log(conn, admin_user.id, ADMIN, None, req.child_id, None, UNMATCHED_REQUEST, DENIED, at)
        raise ChildNotFound(f"the child of care request {request_id!r} is no longer registered", "child_id")

    def first_names_for_staff(self, staff_user: User, facility_id: str, booking_ids: Iterable[str],
                              now: datetime, tz: tzinfo = UTC) -> dict[str, str]:
        """The children's first names (booking id -> name) of the provider's bookings among
        ``booking_ids``, for its staff's lists (who is arriving today): only the first name, and
        only under :meth:`read_for_booking`'s rules (a live booking at ``facility_id``, the
        guardian's ``share_with_provider`` consent current), or a booking completed or marked a
        no-show today (its window ending since the last midnight in ``tz``, the registry's zone:
        today's list keeps naming whom the staff checked out or waited for in vain, as it named
        them while confirmed; minimum data: only that day); other bookings (cancelled, declined,
        completed or no-show before today) are left out.

        Each name given is a staff read of that child's record: one ``child_access_log`` row per
        booking (purpose ``booking_care``), one insert in the transaction that reads; a booking
        whose name this user was given within ``access_coalesce`` is not logged again. A user
        without ``children.read_for_booking`` at the provider gets ``{}``, nothing logged.
        """
        at = _utc(now)
        ids = sorted(set(booking_ids))
        if not ids or not self.roles.allows(staff_user, "children.read_for_booking", facility_id=facility_id):
            return {}
        b = bookings
        local = at.astimezone(tz)
        midnight = datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)
        done_today = sa.and_(b.c.status.in_(("completed", "no-show")), b.c.window_end > midnight)
        query = (sa.select(b.c.id, b.c.child_id, children.c.given_name)
                 .join(children, children.c.id == b.c.child_id)
                 .where(b.c.id.in_(ids), b.c.facility_id == facility_id,
                        sa.or_(b.c.status.in_(sorted(BOOKING.holding_states())), done_today), _CONSENTED))
        with self.engine.begin() as conn:
            rows = conn.execute(query, {"purpose": SHARE_WITH_PROVIDER,
                                        "version": consent_version(SHARE_WITH_PROVIDER)}).all()
            fresh = [r for r in rows if not self._logged_lately(conn, staff_user.id, r.child_id, r.id,
                                                                BOOKING_CARE, GRANTED, at)]
            if fresh:
                conn.execute(child_access_log.insert(), [
                    {"actor_id": staff_user.id, "actor_role": PROVIDER_STAFF, "facility_id": facility_id,
                     "child_id": r.child_id, "booking_id": r.id, "purpose": BOOKING_CARE, "outcome": GRANTED,
                     "at": at} for r in fresh])
        return {r.id: r.given_name for r in rows}

    def access_log(self, child_id: str) -> list[dict[str, Any]]:
        """Every read of the child's record, oldest first (``at`` ISO 8601 UTC)."""
        with self.engine.connect() as conn:
            return self._access_entries(conn, [child_id])

    def family_access_log(self, guardian_id: str, limit: int = ACCESS_LOG_LIMIT) -> tuple[list[dict[str, Any]], int]:
        """The latest ``limit`` (1 to :data:`ACCESS_LOG_MAX`) reads of the records of the
        guardian's children, newest first, and how many there are in all: what the consent text
        promises the guardian can see. Each: ``at`` (aware UTC), ``child_id``, ``first_name``,
        ``actor_role`` (provider_staff, admin), ``facility_id`` (the staff's provider; None for
        the service's admins), ``booking_id``, ``purpose`` (children.json), ``outcome`` (granted,
        denied). The staff member's own account is left out (the export keeps its id)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= ACCESS_LOG_MAX:
            raise ChildError(f"limit must be a whole number from 1 to {ACCESS_LOG_MAX}, not {limit!r}", "limit")
        cal = child_access_log
        own = cal.c.child_id.in_(sa.select(children.c.id).where(children.c.guardian_id == guardian_id))
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(cal).where(own)).scalar_one()
            rows = conn.execute(sa.select(cal, children.c.given_name).join(children, children.c.id == cal.c.child_id)
                                .where(own).order_by(cal.c.at.desc(), cal.c.id.desc()).limit(limit)).all()
        return [{"at": _read(r.at), "child_id": r.child_id, "first_name": r.given_name, "actor_role": r.actor_role,
                 "facility_id": r.facility_id, "booking_id": r.booking_id, "purpose": r.purpose,
                 "outcome": r.outcome} for r in rows], int(total)

    @staticmethod
    def _check_purpose(purpose: str, role: str) -> None:
        allowed = [name for name, spec in access_purposes().items()
                   if role in spec["roles"] and name != ANSWERING_OFFER]  # read_for_offer's own
        if purpose not in allowed:
            raise ChildError(f"purpose must be one of {', '.join(allowed)} for {role}, not {purpose!r}", "purpose")

    def _logged_lately(self, conn: sa.Connection, actor_id: str, child_id: str, booking_id: str | None,
                       purpose: str, outcome: str, at: datetime) -> bool:
        """Whether this very read (reader, child, booking, purpose, outcome) is in the log within
        ``access_coalesce`` before ``at``: the same showing asked again (a page polling, a card
        redrawn), not a new one."""
        if self.access_coalesce <= timedelta(0):
            return False
        cal = child_access_log
        same_booking = cal.c.booking_id.is_(None) if booking_id is None else cal.c.booking_id == booking_id
        return conn.execute(sa.select(cal.c.id).where(
            cal.c.actor_id == actor_id, cal.c.child_id == child_id, same_booking, cal.c.purpose == purpose,
            cal.c.outcome == outcome, cal.c.at > at - self.access_coalesce,
            cal.c.at <= at).limit(1)).first() is not None

    def _log(self, conn: sa.Connection, actor_id: str, role: str, facility_id: str | None, child_id: str,
             booking_id: str | None, purpose: str, outcome: str, at: datetime) -> None:
        """Append one read to ``child_access_log`` unless the same read was logged within
        ``access_coalesce`` (:meth:`_logged_lately`)."""
        if self._logged_lately(conn, actor_id, child_id, booking_id, purpose, outcome, at):
            return
        conn.execute(child_access_log.insert().values(
            actor_id=actor_id, actor_role=role, facility_id=facility_id, child_id=child_id, booking_id=booking_id,
            purpose=purpose, outcome=outcome, at=at))

    @staticmethod
    def _access_entries(conn: sa.Connection, child_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(child_ids)
        if not ids:
            return []
        cal = child_access_log
        rows = conn.execute(sa.select(cal).where(cal.c.child_id.in_(ids)).order_by(cal.c.at, cal.c.id))
        return [{"child_id": r.child_id, "actor_id": r.actor_id, "actor_role": r.actor_role,
                 "facility_id": r.facility_id, "booking_id": r.booking_id, "purpose": r.purpose,
                 "outcome": r.outcome, "at": _iso(r.at)} for r in rows]

    # -- export ----------------------------------------------------------------------------------

    def export_family(self, guardian_id: str, now: datetime, locale: str = "ko") -> dict[str, Any]:
        """Everything held about the family, JSON-able: ``account`` (e-mail, created, roles),
        ``activity`` (last use, as the retention purge counts it: :meth:`last_use`), ``children``
        (care notes opened), ``consents``, ``bookings`` of the children with their ``events``,
        ``access_log`` (every staff or admin read of the children), ``notifications`` (the
        messages held about the family: :meth:`_notifications`), then each registered
        :class:`FamilyPart` under its name. Read in one snapshot. :class:`FamilyNotFound` for an
        unknown account. ``locale`` (``ko``/``en``): the language a preset decline reason is
        given in (``reason``, its ``reason_code`` beside it; a typed reason as typed)."""
        at = _utc(now)
        with self._snapshot() as conn:
            account = self._account(conn, guardian_id)
            family = self._family(conn, guardian_id)
            roles = conn.execute(sa.select(user_roles.c.role, user_roles.c.facility_id)
                                 .where(user_roles.c.user_id == guardian_id).order_by(user_roles.c.role)).all()
            # the family's real activity (no window's end: a coming or lapsed one is no activity)
            last = self._last_use(conn, guardian_id, windows=False).get(guardian_id)
            kids = conn.execute(sa.select(children).where(children.c.guardian_id == guardian_id)
                                .order_by(children.c.created_at, children.c.id)).all()
            booked = conn.execute(sa.select(bookings).where(bookings.c.id.in_(family.booking_ids))
                                  .order_by(bookings.c.window_start, bookings.c.id)).all() if family.booking_ids else []
            events: dict[str, list[dict[str, Any]]] = {}
            if family.booking_ids:
                ev = booking_events
                for e in conn.execute(sa.select(ev).where(ev.c.booking_id.in_(family.booking_ids))
                                      .order_by(ev.c.id)):
                    reason = open_reason(conn, e.reason)  # a typed one is sealed at rest
                    events.setdefault(e.booking_id, []).append({
                        "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
                        "actor_role": e.actor_role, "actor_id": e.actor_id,
                        # a preset reason in the family's words (``locale``), with its code; typed text as typed
                        "reason": decline_reasons.text(reason, locale),
                        "reason_code": decline_reasons.code_of(reason), "at": _iso(e.at)})
            out: dict[str, Any] = {
                "format": EXPORT_FORMAT, "exported_at": at.isoformat(), "guardian_id": guardian_id,
                "account": {"id": account.id, "email": account.email, "created_at": _iso(account.created_at),
                            "updated_at": _iso(account.updated_at),
                            "roles": [{"role": r.role, "facility_id": r.facility_id} for r in roles]},
                "activity": {"last_active_at": _iso(last)},
                "children": [self._child(r).as_dict() for r in kids],
                "consents": [c.as_dict() for c in self._consents(conn, guardian_id)],
                "bookings": [{"id": b.id, "child_id": b.child_id, "facility_id": b.facility_id,
                              "programme": b.programme, "window_start": _iso(b.window_start),
                              "window_end": _iso(b.window_end), "status": b.status, "version": b.version,
                              "created_at": _iso(b.created_at), "updated_at": _iso(b.updated_at),
                              "request_id": b.request_id, "offer_id": b.offer_id,
                              "events": events.get(b.id, [])} for b in booked],
                "access_log": self._access_entries(conn, family.child_ids),
                "notifications": self._notifications(conn, family),
            }
            for part in family_parts():
                out[part.name] = part.export(conn, family)
        log.info("guardian %s exported the family's data", guardian_id)
        return out

    @staticmethod
    def _notifications(conn: sa.Connection, family: Family) -> dict[str, Any]:
        """The messages held about the family (the export's ``notifications``):

        - ``messages``: every outbox message addressed to the guardian (``to_you``) or about the
          family's bookings and care requests (to their providers' staff: ``to_providers``),
          oldest first: ``id``, ``topic``, ``created_at``, ``sent_at``, ``failed_at`` and the
          ``payload`` the text is made from, without its recipients list and without the topic's
          secret fields (a password-reset link: named in ``removed``);
        - ``in_page``: the notifications shown to the guardian in the page, as rendered (``title``,
          ``body``, ``locale``, ``created_at``, ``read_at``);
        - ``deliveries``: how each message reached the guardian (``channel``, ``status``,
          ``attempts``, ``sent_at``); never an address or a gateway's error text.
        """
        gid = family.guardian_id
        n, d = notifications, outbox_deliveries
        in_page = conn.execute(sa.select(n).where(n.c.user_id == gid).order_by(n.c.created_at, n.c.id)).all()
        delivered = conn.execute(sa.select(d).where(d.c.user_id == gid).order_by(d.c.outbox_id, d.c.id)).all()
        request_ids = set(conn.execute(sa.select(care_requests.c.id).where(care_requests.c.guardian_id == gid))
                          .scalars())
        booking_ids = set(family.booking_ids)
        mine = {r.outbox_id for r in in_page} | {r.outbox_id for r in delivered}
        about = sa.or_(outbox.c.topic.like("booking.%"), outbox.c.topic.like("offer.%"),
                       outbox.c.topic.like("request.%"), sa.cast(outbox.c.payload, sa.Text).like(f"%{gid}%"))
        if mine:
            about = sa.or_(about, outbox.c.id.in_(sorted(mine)))
        messages = []
        for row in conn.execute(sa.select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.created_at,
                                          outbox.c.sent_at, outbox.c.failed_at).where(about)
                                .order_by(outbox.c.created_at, outbox.c.id)):
            payload = row.payload if isinstance(row.payload, dict) else {}
            given = payload.get("to")
            to: list[Any] = given if isinstance(given, list) else []
            to_you = row.id in mine or any(isinstance(t, dict) and t.get("user_id") == gid for t in to)
            if not (to_you or payload.get("booking_id") in booking_ids or payload.get("request_id") in request_ids):
                continue
            secret = set(secret_fields(row.topic))
            messages.append({
                "id": row.id, "topic": row.topic, "created_at": _iso(row.created_at), "sent_at": _iso(row.sent_at),
                "failed_at": _iso(row.failed_at), "to_you": to_you,
                "to_providers": sorted({t["facility_id"] for t in to if isinstance(t, dict) and "facility_id" in t}),
                "payload": {k: v for k, v in payload.items() if k != "to" and k not in secret},
                "removed": sorted(secret & set(payload))})
        return {"messages": messages,
                "in_page": [{"outbox_id": r.outbox_id, "topic": r.topic, "locale": r.locale, "title": r.title,
                             "body": r.body, "created_at": _iso(r.created_at), "read_at": _iso(r.read_at)}
                            for r in in_page],
                "deliveries": [{"outbox_id": r.outbox_id, "channel": r.channel, "status": r.status,
                                "attempts": r.attempts, "sent_at": _iso(r.sent_at)} for r in delivered]}

    def _snapshot(self) -> Any:
        """A connection whose reads all see one moment (PostgreSQL: REPEATABLE READ; SQLite: the
        read transaction of one connection)."""
        if self.engine.dialect.name == "postgresql":
            return self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        return self.engine.connect()

    # -- deletion --------------------------------------------------------------------------------

    def delete_family(self, guardian_id: str, now: datetime) -> dict[str, int]:
        """Delete everything personal held about the family; returns counts (``bookings_cancelled``,
        ``children``, ``consents``, ``accounts``, ``messages_deleted``, ``messages_kept`` and one
        per registered part).

        1. The children's requested and accepted bookings are cancelled through
           :meth:`BookingStore.transition` (action ``cancel``, actor the guardian), so each
           booking's place is given back exactly once and the provider is told (outbox). A booking
           in progress (care under way) stops the deletion: :class:`FamilyBusy` (409).
        2. In one transaction: every registered :class:`FamilyPart` erases its rows; the
           messages held about the family are deleted, but for the providers' undelivered notices
           they still need (:func:`deletion_keeps_for_providers`: the cancellation giving the
           place back), kept for the staff only and without the child's name; the staff's page
           list keeps its rows, re-rendered without the name
           (:func:`app.care.outbox.erase_family_messages`); the
           children (with their care notes), the consents, the last-use row, the reset links, the
           roles and the account row (e-mail, password hash) are deleted. A person who also holds
           another role (provider staff, admin) keeps the account without the guardian role.

        What remains, holding no personal data once those rows are gone: the ``bookings`` rows
        (provider, programme, window, state and the child's id, which no longer leads to anyone)
        and their ``booking_events`` (append-only: the providers' record of places and of care
        given, with the guardian's id as actor; a typed reason, sealed at rest, is erased: NULL
        with ``reason_erased_at`` set, a preset's code kept:
        :func:`app.care.reason_sealing.erase_reasons`; the care requests' and offers' events
        alike, by their part); the ``child_access_log`` (append-only: who read
        which child id when and why, the ids only, kept as the proof that reads were lawful).
        Deleting a family that is gone already does nothing (all counts 0).
        """
        at = _utc(now)
        cancelled = 0
        for _ in range(DELETE_ATTEMPTS):
            with self.engine.connect() as conn:
                child_ids = list(conn.execute(sa.select(children.c.id)
                                              .where(children.c.guardian_id == guardian_id)).scalars())
            cancelled += self._cancel_live_bookings(guardian_id, child_ids, at)
            with self.engine.begin() as conn:
                locked = list(conn.execute(sa.select(children.c.id).where(children.c.guardian_id == guardian_id)
                                           .with_for_update()).scalars())
                if set(locked) != set(child_ids) or self._live_bookings(conn, locked):
                    continue  # a child or a booking was added meanwhile: cancel again
                counts = self._erase(conn, self._family(conn, guardian_id), at)
            counts["bookings_cancelled"] = cancelled
            log.info("guardian %s: the family's data was deleted (%d children, %d bookings cancelled)",
                     guardian_id, counts["children"], cancelled)
            return counts
        raise FamilyBusy("the family's children kept being booked while the data was being deleted: try again",
                         "guardian_id")

    def _cancel_live_bookings(self, guardian_id: str, child_ids: list[str], at: datetime) -> int:
        """Cancel the children's requested and accepted bookings (as the guardian); returns how
        many this call cancelled. :class:`FamilyBusy` when one is in progress."""
        if not child_ids:
            return 0
        with self.engine.connect() as conn:
            live = self._live_bookings(conn, child_ids)
        cancellable = BOOKING.sources("cancel")
        busy = [b for b in live if b.status not in cancellable]
        if busy:
            raise FamilyBusy(f"booking {busy[0].id} is under way ({busy[0].status}) until "
                             f"{_read(busy[0].window_end).isoformat()}: delete after it ends", "booking_id")
        done = 0
        for b in live:
            try:
                # a deletion, not the family's choice to cancel: whatever the cancel cutoff
                self.booking_store.transition(b.id, "cancel", GUARDIAN, guardian_id,
                                              reason="the family's data was deleted", now=at, timed=False)
            except (InvalidTransition, BookingNotFound):
                continue  # changed meanwhile: the check after this finds what it became
            except TransitionError as exc:  # a state the lifecycle gained that cancel cannot leave
                raise FamilyBusy(f"booking {b.id} cannot be cancelled now: {exc}", "booking_id") from None
            done += 1
        return done

    @staticmethod
    def _live_bookings(conn: sa.Connection, child_ids: list[str]) -> list[sa.Row[Any]]:
        if not child_ids:
            return []
        return list(conn.execute(sa.select(bookings.c.id, bookings.c.status, bookings.c.window_end).where(
            bookings.c.child_id.in_(child_ids), bookings.c.status.in_(sorted(BOOKING.holding_states())))
            .order_by(bookings.c.window_start, bookings.c.id)))

    @staticmethod
    def _erase_child_reasons(conn: sa.Connection, child_id: str, at: datetime) -> None:
        """The typed reasons of the events of the child's bookings, care requests and their
        offers, erased as the family's are (:func:`app.care.reason_sealing.erase_reasons`): they
        may name the child or a health detail; the history (who, when, state, preset) stays."""
        booking_ids = conn.execute(sa.select(bookings.c.id).where(bookings.c.child_id == child_id)).scalars().all()
        erase_reasons(conn, booking_events, "booking_id", booking_ids, at)
        request_ids = conn.execute(sa.select(care_requests.c.id).where(care_requests.c.child_id == child_id)
                                   ).scalars().all()
        erase_reasons(conn, care_request_events, "request_id", request_ids, at)
        erase_reasons(conn, offer_events, "request_id", request_ids, at)

    def _erase(self, conn: sa.Connection, family: Family, at: datetime) -> dict[str, int]:
        gid = family.guardian_id
        counts = {part.name: int(part.erase(conn, family, at)) for part in reversed(family_parts())}
        # the typed reasons of the bookings' events (may name the child, or a health detail)
        erase_reasons(conn, booking_events, "booking_id", family.booking_ids, at)
        request_ids = conn.execute(sa.select(care_requests.c.id).where(care_requests.c.guardian_id == gid)).scalars()
        counts.update(erase_family_messages(conn, gid, family.booking_ids, set(request_ids),
                                            deletion_keeps_for_providers()))
        counts["children"] = conn.execute(children.delete().where(children.c.guardian_id == gid)).rowcount
        counts["consents"] = conn.execute(consents.delete().where(consents.c.guardian_id == gid)).rowcount
        conn.execute(guardian_activity.delete().where(guardian_activity.c.guardian_id == gid))
        other_roles = conn.execute(sa.select(user_roles.c.role).where(
            user_roles.c.user_id == gid, user_roles.c.role != GUARDIAN)).first()
        if other_roles is None:
            _cascade_on_sqlite(conn, gid)
            conn.execute(password_resets.delete().where(password_resets.c.user_id == gid))
            conn.execute(user_roles.delete().where(user_roles.c.user_id == gid))
            counts["accounts"] = conn.execute(users.delete().where(users.c.id == gid)).rowcount
        else:
            conn.execute(user_roles.delete().where(user_roles.c.user_id == gid, user_roles.c.role == GUARDIAN))
            counts["accounts"] = 0
        return counts

    # -- retention -------------------------------------------------------------------------------

    def last_use(self, guardian_id: str | None = None) -> dict[str, datetime]:
        """Each family's last use (guardian id -> UTC time; only ``guardian_id``'s when given):
        the latest of the account's creation and change, :meth:`record_use` (sign-ins and
        signed-in requests), its children's and consents' changes, its children's bookings
        (window end and last change) and its care requests (window end and last change)."""
        with self._snapshot() as conn:
            return self._last_use(conn, guardian_id)

    @staticmethod
    def _last_use(conn: sa.Connection, guardian_id: str | None, windows: bool = True) -> dict[str, datetime]:
        """:meth:`last_use`; a booking's or request's window end counts only in the states of
        :data:`~app.care.states.WINDOW_IS_USE` (a lapsed one's never happened), and only with
        ``windows`` (the purge's clock; without: the export's real activity, only times things
        were done, never a window still to come)."""
        found: dict[str, datetime] = {}
        families: set[str] = set()

        def seen(query: sa.Select[Any], owner: sa.ColumnElement[str]) -> None:
            if guardian_id is not None:
                query = query.where(owner == guardian_id)
            for row in conn.execute(query):
                gid, times = row[0], row[1:]
                families.add(gid)
                t: datetime | None
                for t in times:
                    if t is not None and (gid not in found or _read(t) > found[gid]):
                        found[gid] = _read(t)

        c, con, b, cr, ga = children, consents, bookings, care_requests, guardian_activity
        seen(sa.select(users.c.id, users.c.created_at, users.c.updated_at)
             .join(user_roles, user_roles.c.user_id == users.c.id).where(user_roles.c.role == GUARDIAN), users.c.id)
        guardians = set(families)  # guardian_activity alone does not make a family (staff signing in)
        seen(sa.select(ga.c.guardian_id, ga.c.last_active_at), ga.c.guardian_id)
        seen(sa.select(c.c.guardian_id, sa.func.max(c.c.updated_at)).group_by(c.c.guardian_id), c.c.guardian_id)
        seen(sa.select(con.c.guardian_id, sa.func.max(con.c.given_at), sa.func.max(con.c.withdrawn_at))
             .group_by(con.c.guardian_id), con.c.guardian_id)
        used_b, used_cr = (WINDOW_IS_USE["booking"], WINDOW_IS_USE["care_request"]) if windows else ((), ())
        seen(sa.select(c.c.guardian_id, sa.func.max(sa.case((b.c.status.in_(used_b), b.c.window_end))),
                       sa.func.max(b.c.updated_at))
             .join(b, b.c.child_id == c.c.id).group_by(c.c.guardian_id), c.c.guardian_id)
        seen(sa.select(cr.c.guardian_id, sa.func.max(sa.case((cr.c.status.in_(used_cr), cr.c.window_end))),
                       sa.func.max(cr.c.updated_at))
             .group_by(cr.c.guardian_id), cr.c.guardian_id)
        for owner in (c.c.guardian_id, con.c.guardian_id):
            query = sa.select(owner).distinct()
            guardians |= set(conn.execute(query if guardian_id is None else query.where(owner == guardian_id))
                             .scalars())
        return {gid: t for gid, t in found.items() if gid in guardians}

    def purge_inactive(self, now: datetime, retention_days: int) -> dict[str, int]:
        """Delete (:meth:`delete_family`) the data of every family whose last use
        (:meth:`last_use`) is more than ``retention_days`` days before ``now``. A family with a
        booking not yet ended is never purged (its window's end is a use in the future); one
        whose care is under way is skipped (``busy``). Returns ``families`` purged, ``kept``,
        ``busy``, and the sums of the deletions' counts. The scheduler's daily job."""
        at = _utc(now)
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise ChildError(f"retention_days must be a whole number of days, at least 1, not {retention_days!r}",
                             "retention_days")
        cutoff = at - timedelta(days=retention_days)
        uses = self.last_use()
        totals: dict[str, int] = {"families": 0, "kept": 0, "busy": 0}
        for gid, last in sorted(uses.items()):
            if last >= cutoff:
                totals["kept"] += 1
                continue
            try:
                counts = self.delete_family(gid, at)
            except FamilyBusy:
                totals["busy"] += 1
                continue
            totals["families"] += 1
            for name, n in counts.items():
                totals[name] = totals.get(name, 0) + n
        log.info("retention purge: %d families purged, %d kept, %d busy", totals["families"], totals["kept"],
                 totals["busy"])
        return totals

    # -- key rotation ----------------------------------------------------------------------------

    def rotate_care_notes(self, batch_size: int = ROTATE_BATCH) -> int:
        """Re-seal with the first key every stored care note that the first key does not open;
        returns how many. After it, keys after the first may be dropped from ``CARE_NOTES_KEYS``.
        A note changed meanwhile is left as the change wrote it (sealed with the first key). The
        typed reasons of the event tables, sealed with the same keys, are re-sealed too, and
        plain ones from before sealing sealed (:mod:`app.care.reason_sealing`; not counted)."""
        seal_plain_reasons(self.engine, EVENT_TABLES, sealer=self.sealer)
        rotate_reasons(self.engine, EVENT_TABLES, sealer=self.sealer)
        rotated = 0
        after = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(children.c.id, children.c.care_notes).where(
                    children.c.care_notes.is_not(None), children.c.id > after).order_by(children.c.id)
                    .limit(batch_size)).all()
            if not rows:
                return rotated
            with self.engine.begin() as conn:
                for row in rows:
                    if self.sealer.sealed_with_first(row.care_notes):
                        continue
                    rotated += conn.execute(children.update().where(
                        children.c.id == row.id, children.c.care_notes == row.care_notes)
                        .values(care_notes=self.sealer.rotate(row.care_notes))).rowcount
            after = rows[-1].id

    # -- helpers ---------------------------------------------------------------------------------

    def _check_all(self, raw: Mapping[str, Any], at: datetime, *,
                   partial: bool) -> tuple[dict[str, Any], list[ChildError]]:
        """The fields of ``raw`` checked and cleaned, and every problem found (in
        :data:`FIELDS` order): unless ``partial``, each field of :data:`FIELDS` but
        ``care_notes`` not in ``raw`` is missing (reason ``missing``; the relation with its
        ``allowed`` values); each value refused is its check's :class:`ChildError`."""
        checks = self._checks(at)
        values: dict[str, Any] = {}
        problems: list[ChildError] = []
        for name in FIELDS:
            if name not in raw:
                if not partial and name != "care_notes":
                    allowed = list(relations()) if name == "relation" else None
                    problems.append(ChildError(f"{name} is required" + (f": one of {', '.join(allowed)}"
                                                                         if allowed else ""), name, "missing",
                                               {"allowed": allowed} if allowed else None))
                continue
            try:
                values[name] = checks[name](raw[name])
            except ChildError as exc:
                problems.append(exc)
        return values, problems

    def _checked(self, raw: dict[str, Any], at: datetime, *, partial: bool) -> dict[str, Any]:
        """The fields of ``raw`` checked and cleaned (all of :data:`FIELDS` unless ``partial``);
        every problem at once (:meth:`_check_all`, :func:`app.domain.raise_all`)."""
        values, problems = self._check_all(raw, at, partial=partial)
        raise_all(problems, ChildProblems)
        return values

    @staticmethod
    def _checks(at: datetime) -> dict[str, Callable[[Any], Any]]:
        """Each field's check (:data:`FIELDS`), a birth date against ``at``'s Korean date."""
        checks: dict[str, Callable[[Any], Any]] = {
            "given_name": lambda v: check_name(v, "given_name"),
            "family_name": lambda v: check_name(v, "family_name"),
            "birth_date": lambda v: check_birth_date(v, at.astimezone(SEOUL).date()),
            "relation": check_relation,
            "emergency_contact_name": lambda v: check_name(v, "emergency_contact_name"),
            "emergency_contact_phone": normalise_phone,
            "care_notes": check_care_notes,
        }
        return checks

    def _stored(self, values: dict[str, Any]) -> dict[str, Any]:
        """Checked values as stored: care notes sealed."""
        out = dict(values)
        if "care_notes" in out and out["care_notes"] is not None:
            out["care_notes"] = self.sealer.seal(out["care_notes"])
        return out

    def _open(self, token: str | None) -> str | None:
        return None if token is None else self.sealer.open(token)

    def _child(self, row: sa.Row[Any]) -> Child:
        return Child(row.id, row.guardian_id, row.given_name, row.family_name, row.birth_date, row.relation,
                     row.emergency_contact_name, row.emergency_contact_phone, self._open(row.care_notes),
                     _read(row.created_at), _read(row.updated_at))

    @staticmethod
    def _own_row(conn: sa.Connection, guardian_id: str, child_id: str, lock: bool = False) -> sa.Row[Any]:
        query = sa.select(children).where(children.c.id == child_id, children.c.guardian_id == guardian_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise ChildNotFound(f"no child {child_id} among your children", "child_id")
        return row

    @staticmethod
    def _account(conn: sa.Connection, guardian_id: str) -> sa.Row[Any]:
        row = conn.execute(sa.select(users).where(users.c.id == guardian_id)).first()
        if row is None:
            raise FamilyNotFound(f"no account {guardian_id}", "guardian_id")
        return row

    @staticmethod
    def _family(conn: sa.Connection, guardian_id: str) -> Family:
        child_ids = tuple(conn.execute(sa.select(children.c.id).where(children.c.guardian_id == guardian_id)
                                       .order_by(children.c.id)).scalars())
        # Its children's bookings, and those made for the guardian (a child deleted since among them).
        booking_ids = tuple(conn.execute(sa.select(bookings.c.id).where(sa.or_(
            bookings.c.child_id.in_(child_ids), bookings.c.guardian_id == guardian_id)).order_by(bookings.c.id))
            .scalars())
        return Family(guardian_id, child_ids, booking_ids)
