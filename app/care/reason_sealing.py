"""The reasons of state changes (``booking_events``, ``care_request_events``, ``offer_events``:
column ``reason``) at rest.

- A **preset** reason (``preset:<code>``, :mod:`app.care.notify.reasons`) is stored as it is: it
  names no one and the counts read it.
- **Any other reason** (typed by staff or a family: a cancel reason, a decline's "other" text,
  an admin's note; or made by the system, which may quote a typed one) is sealed with the
  care-notes keys (:class:`app.care.sealing.Sealer`) and stored as ``sealed:<Fernet token>``
  (:data:`SEALED_PREFIX`); :func:`open_reason` gives the text back to the readers.
- **Rows from before sealing** (plain text) are read as they are: a stored value that is not
  ``sealed:`` followed by a Fernet token is read as plain text (:func:`open_reason`);
  :func:`seal_plain_reasons` seals them in place (the append-only triggers of migration 0020
  allow that change, a key rotation's and an erasure's, and nothing else).
- **Erasure**: when a family's data is deleted or purged (:func:`erase_reasons`), every non-preset
  reason of their events becomes NULL with ``reason_erased_at`` set (the marker); who, when, the
  states and a preset code stay as the audit trail.
- A sealed reason of :data:`app.care.states.REASON_MAX_CHARS` Korean characters is about four times
  longer (UTF-8, then base64): the column is TEXT (migration 0020).

The sealer is the engine's (:func:`use_sealer`, called by :class:`app.care.children.ChildStore`,
so by every app); on an engine without one (a bare store in a script or test) reasons are stored
as typed, with one warning per engine. Nothing here ever logs a reason.
"""

from __future__ import annotations

import base64
import binascii
import logging
import weakref
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from app.db.engine import booking_events
from app.db.request_tables import care_request_events, offer_events

from .notify import reasons as preset_reasons
from .sealing import CareNotesKeyError, Sealer

log = logging.getLogger(__name__)

SEALED_PREFIX = "sealed:"
"""What a sealed reason starts with (then the Fernet token, ASCII)."""
EVENT_TABLES = (booking_events, care_request_events, offer_events)
"""The tables whose ``reason`` is sealed (each with ``id``, ``reason``, ``reason_erased_at``)."""

_SEALERS: weakref.WeakKeyDictionary[sa.Engine, Sealer] = weakref.WeakKeyDictionary()
_WARNED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def use_sealer(engine: sa.Engine, sealer: Sealer) -> None:
    """Seal the event reasons written through ``engine`` with ``sealer`` (the care-notes keys)."""
    _SEALERS[engine] = sealer


def _engine(bind: sa.Engine | sa.Connection) -> sa.Engine:
    return bind.engine if isinstance(bind, sa.Connection) else bind


def sealer_of(bind: sa.Engine | sa.Connection) -> Sealer | None:
    """The sealer registered for ``bind``'s engine, or None."""
    return _SEALERS.get(_engine(bind))


def is_preset(stored: str | None) -> bool:
    """Whether ``stored`` is a preset reason's stored form (``preset:<code>``)."""
    return isinstance(stored, str) and stored.startswith(preset_reasons.prefix())


def _token(stored: str) -> str | None:
    """The Fernet token of a sealed reason, or None when ``stored`` is not one (plain text, even
    one that happens to start with the prefix)."""
    if not stored.startswith(SEALED_PREFIX):
        return None
    token = stored[len(SEALED_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return token if len(raw) >= 57 and raw[0] == 0x80 else None  # version byte, time, IV, block, HMAC


def is_sealed(stored: str | None) -> bool:
    """Whether ``stored`` is a sealed reason (``sealed:`` and a Fernet token)."""
    return isinstance(stored, str) and _token(stored) is not None


def seal_reason(bind: sa.Engine | sa.Connection, reason: str | None) -> str | None:
    """``reason`` as stored: None and presets as they are, a sealed one unchanged, any other text
    sealed with the engine's sealer (as typed when the engine has none: one warning, no text)."""
    if reason is None or is_preset(reason) or is_sealed(reason):
        return reason
    sealer = sealer_of(bind)
    if sealer is None:
        engine = _engine(bind)
        if engine not in _WARNED:
            _WARNED.add(engine)
            log.warning("event reasons are stored unsealed on this engine: no care-notes keys registered "
                        "(app.care.reason_sealing.use_sealer)")
        return reason
    return SEALED_PREFIX + sealer.seal(reason)


def open_reason(bind: sa.Engine | sa.Connection, stored: str | None) -> str | None:
    """The reason a reader sees for the stored value: a sealed one opened, anything else (a
    preset, a plain text from before sealing, None: erased or never given) as stored. Raises
    :class:`app.care.sealing.CareNotesKeyError` when no key opens a sealed one, or the engine has no
    sealer."""
    if stored is None:
        return None
    token = _token(stored)
    if token is None:
        return stored
    sealer = sealer_of(bind)
    if sealer is None:
        raise CareNotesKeyError("a stored event reason is sealed but no care-notes keys are registered "
                                "for this database (app.care.reason_sealing.use_sealer)")
    return sealer.open(token)


def _erasable(table: sa.Table) -> sa.ColumnElement[bool]:
    """The rows of ``table`` whose reason is personal text (not None, not a preset)."""
    return sa.and_(table.c.reason.is_not(None), sa.not_(table.c.reason.startswith(preset_reasons.prefix(),
                                                                                   autoescape=True)))


def erase_reasons(conn: sa.Connection, table: sa.Table, key: str, ids: Iterable[str], at: datetime) -> int:
    """In ``conn``'s transaction: every non-preset reason of the events of ``table`` whose column
    ``key`` is in ``ids`` becomes NULL, ``reason_erased_at`` = ``at``. Returns the rows erased."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    erased = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        erased += conn.execute(table.update().where(table.c[key].in_(chunk), _erasable(table))
                               .values(reason=None, reason_erased_at=at)).rowcount
    return erased


def seal_plain_reasons(engine: sa.Engine, tables: Iterable[sa.Table], batch_size: int = 500,
                       sealer: Sealer | None = None) -> int:
    """Seal, in place, the plain-text (pre-sealing) non-preset reasons of ``tables`` with ``sealer``
    (the engine's unless given); returns how many were sealed (0 without a sealer). Each batch is
    one transaction."""
    sealer = sealer or sealer_of(engine)
    if sealer is None:
        return 0
    done = 0
    for table in tables:
        while True:
            with engine.begin() as conn:
                rows = conn.execute(sa.select(table.c.id, table.c.reason)
                                    .where(_erasable(table), table.c.reason.not_like(f"{SEALED_PREFIX}%"))
                                    .order_by(table.c.id).limit(batch_size)).all()
                todo = [(r.id, r.reason) for r in rows if not is_sealed(r.reason)]
                for row_id, reason in todo:
                    conn.execute(table.update().where(table.c.id == row_id, table.c.reason == reason)
                                 .values(reason=SEALED_PREFIX + sealer.seal(reason)))
            done += len(todo)
            if len(rows) < batch_size:
                break
    return done


def rotate_reasons(engine: sa.Engine, tables: Iterable[sa.Table], batch_size: int = 500,
                   sealer: Sealer | None = None) -> int:
    """Re-seal with the first key of ``sealer`` (the engine's unless given) every sealed reason of
    ``tables`` that needs it (:meth:`app.care.children.ChildStore.rotate_care_notes` calls it, so
    the old keys can be dropped after that); returns how many were re-sealed. Raises
    :class:`app.care.sealing.CareNotesKeyError` for a reason no key opens."""
    sealer = sealer or sealer_of(engine)
    if sealer is None:
        return 0
    done = 0
    for table in tables:
        last = 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(sa.select(table.c.id, table.c.reason)
                                    .where(table.c.id > last, table.c.reason.like(f"{SEALED_PREFIX}%"))
                                    .order_by(table.c.id).limit(batch_size)).all()
                for r in rows:
                    token = _token(r.reason)
                    if token is not None and not sealer.sealed_with_first(token):
                        conn.execute(table.update().where(table.c.id == r.id)
                                     .values(reason=SEALED_PREFIX + sealer.rotate(token)))
                        done += 1
            if len(rows) < batch_size:
                break
            last = rows[-1].id
    return done
