"""The care cycle's stores on the app's database (Flask's tutorial pattern: built once by
``init_app``, reached in a request through ``get_*``): children and consent
(:class:`app.care.children.ChildStore`, its care-notes keys from the settings), bookings
(:class:`app.care.bookings.BookingStore`) and the booking desk for the registry served now;
and the care clock (:func:`start_clock`): the deadlines, the outbox's delivery and the
retention purge, run in the background of a server process."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app

from app.care.bookings import BookingStore
from app.care.children import ChildStore
from app.care.desk import BookingDesk, facility_lookup
from app.care.matching import MatchingEngine, MatchSettings
from app.care.outbox import build_worker
from app.care.scheduler import Clock
from app.care.sealing import Sealer, care_notes_keys

from .db import EXTENSION as DB_EXTENSION
from .registry import get_index, get_registry

EXTENSION = "dolbom_care"


def init_app(app: Flask) -> None:
    """Build the stores; a malformed or missing care-notes key stops start-up naming the
    setting (:class:`app.care.sealing.CareNotesKeyError`)."""
    engine = app.extensions[DB_EXTENSION]
    sealer = Sealer(care_notes_keys(app.config, app.instance_path))
    bookings = BookingStore(engine)
    app.extensions[EXTENSION] = {"bookings": bookings,
                                 "children": ChildStore(
                                     engine, sealer, booking_store=bookings,
                                     access_coalesce=timedelta(seconds=app.config["CARE_ACCESS_LOG_COALESCE_S"]))}


def get_bookings() -> BookingStore:
    return current_app.extensions[EXTENSION]["bookings"]


def get_children() -> ChildStore:
    return current_app.extensions[EXTENSION]["children"]


def get_desk() -> BookingDesk:
    """The booking desk for the registry served now (its providers, its time zone)."""
    return BookingDesk(get_bookings(), get_children(), facility_lookup(get_index().by_id),
                       get_registry().locale.tz, int(current_app.config["CARE_BOOKING_HOLD_MINUTES"]))


def care_clock(app: Flask) -> Clock:
    """The care clock of this process, not started: booking holds that lapse
    (:meth:`~app.care.bookings.BookingStore.expire_holds`), offers and requests past their
    deadlines (:meth:`~app.care.matching.MatchingEngine.fire_due`), the outbox delivered (e-mail,
    알림톡, the page: :func:`app.care.outbox.build_worker`) and, once an hour, the families whose
    data is past ``CARE_RETENTION_DAYS`` purged. Every tick is safe on several processes and
    servers at once (one outcome per deadline, each message sent once)."""
    care = app.extensions[EXTENSION]
    registry = app.extensions["dolbom_registry"]

    def facility_name(facility_id: str) -> str | None:
        found = registry.index.by_id.get(facility_id)
        return found.name if found is not None else None

    engine = app.extensions[DB_EXTENSION]
    children: ChildStore = care["children"]
    matching = MatchingEngine(engine, lambda: registry.index, MatchSettings.from_config(app.config),
                              first_name=children.first_name)
    retention_days = int(app.config["CARE_RETENTION_DAYS"])
    every = timedelta(hours=1)
    last_purge: list[datetime] = []

    def purge(now: datetime) -> object:
        if last_purge and now - last_purge[0] < every:
            return None
        last_purge[:] = [now]
        return children.purge_inactive(now, retention_days)

    clock = Clock(float(app.config["CARE_CLOCK_INTERVAL_S"]))
    clock.register("bookings.expire_holds", care["bookings"].expire_holds)
    clock.register("bookings.warn_expiring", care["bookings"].warn_expiring)
    clock.register("matching.fire_due", matching.fire_due)
    clock.register("outbox.drain", build_worker(engine, app.config, facility_name=facility_name).drain)
    clock.register("families.purge", purge)
    return clock


def start_clock(app: Flask) -> Clock:
    """Start this process's care clock (:func:`care_clock`) in a background thread; it runs
    every tick at once, then every ``CARE_CLOCK_INTERVAL_S`` seconds."""
    clock = care_clock(app)
    clock.start()
    app.extensions[EXTENSION]["clock"] = clock
    return clock
