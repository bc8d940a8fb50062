"""The availability database: SQLite (WAL) in the instance folder by default, PostgreSQL when
``DATABASE_URL`` says so. Schema changes go through Alembic migrations (``migrations/``)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection, QueuePool

metadata = sa.MetaData()

availability = sa.Table(
    "availability", metadata,
    sa.Column("facility_id", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # JSON: vacancies, slots, hours, closures
    sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reported_by", sa.String(40), nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("facility_id", sa.String(100), nullable=False, index=True),
    sa.Column("actor", sa.String(40), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("old", sa.Text, nullable=True),
    sa.Column("new", sa.Text, nullable=False),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),  # provider or admin
    sa.Column("facility_id", sa.String(100), nullable=True),
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),  # None: never (0004)
)


# Rate-limit counters (app.db.ratelimit), shared by every server: one row per token and limit.
rate_limits = sa.Table(
    "rate_limits", metadata,
    sa.Column("limit_key", sa.String(255), primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # epoch seconds, the database's clock
)

# Sites allowed to frame the widget, kept by operators without a restart (app.live.embed_origins),
# and every change to them (who, when; never a token).
embed_origins = sa.Table(
    "embed_origins", metadata,
    sa.Column("origin", sa.String(300), primary_key=True),
    sa.Column("note", sa.String(200), nullable=True),
    sa.Column("added_by", sa.String(60), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
)

embed_origin_log = sa.Table(
    "embed_origin_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("origin", sa.String(300), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # add or remove
    sa.Column("actor", sa.String(60), nullable=False),  # token:<id> or cli:<user>
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
)

# Bookings (app.care.bookings; migration 0008). Places a provider publishes per programme and time
# slot ``[slot_start, slot_end)`` (UTC), with the count held by bookings; the database refuses a
# count above the places.
booking_capacity = sa.Table(
    "booking_capacity", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("facility_id", sa.String(100), nullable=False),
    sa.Column("programme", sa.String(60), nullable=False),
    sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("places", sa.Integer, nullable=False),
    sa.Column("held", sa.Integer, nullable=False),
    sa.UniqueConstraint("facility_id", "programme", "slot_start", name="booking_capacity_slot"),
    sa.CheckConstraint("slot_end > slot_start", name="booking_capacity_slot_order"),
    sa.CheckConstraint("held >= 0 AND held <= places", name="booking_capacity_held_in_places"),
    # The slots that have not ended, for the search's books_online (open_online; migration 0019).
    sa.Index("booking_capacity_open", "facility_id", "slot_end"),
)

BOOKING_STATES = ("requested", "accepted", "in-progress", "rejected", "expired", "no-show", "cancelled",
                  "completed")  # app.care.states.BOOKING's states (a test keeps them equal)

bookings = sa.Table(
    "bookings", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("facility_id", sa.String(100), nullable=False),
    sa.Column("programme", sa.String(60), nullable=False),
    sa.Column("child_id", sa.String(40), nullable=False),  # a reference only: no child data here
    sa.Column("guardian_id", sa.String(40), nullable=True),  # users.id (0014; null only before it)
    # The emergency care request and its accepted offer the booking was made from (0015; null for
    # a booking made at the booking desk). One booking per request at most (bookings_request).
    sa.Column("request_id", sa.String(40), nullable=True),  # care_requests.id
    sa.Column("offer_id", sa.String(40), nullable=True),  # offers.id
    # The weekly pattern the booking was made in (0018): one id shared by every booking of one
    # ``repeat`` request; null for a single booking and for bookings made before 0018.
    sa.Column("pattern_id", sa.String(40), nullable=True),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("window_end > window_start", name="bookings_window_order"),
    sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in BOOKING_STATES) + ")",
                       name="bookings_status"),
    sa.Index("bookings_request", "request_id", unique=True),
    sa.Index("bookings_pattern", "pattern_id"),
)

# A provider's booking settings (0014): confirm bookings without staff, or not (the default).
provider_booking_settings = sa.Table(
    "provider_booking_settings", metadata,
    sa.Column("facility_id", sa.String(100), primary_key=True),
    sa.Column("auto_confirm", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Which capacity rows a booking holds a place in (deleted when the place is given back).
booking_holds = sa.Table(
    "booking_holds", metadata,
    sa.Column("booking_id", sa.String(40), primary_key=True),
    sa.Column("capacity_id", sa.Integer, primary_key=True),
)

booking_events = sa.Table(  # append-only (triggers, 0008)
    "booking_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("booking_id", sa.String(40), nullable=False, index=True),  # ix_booking_events_booking_id
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),  # None: the booking was made
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("actor_role", sa.String(30), nullable=False),
    sa.Column("actor_id", sa.String(100), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # 0020: sealed unless a preset (app.care.reason_sealing)
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason_erased_at", sa.DateTime(timezone=True), nullable=True),  # 0020: erased with the family
)

# The transactional outbox: written in the transaction of the change it announces; a worker
# delivers each message once (its idempotency key) and stamps sent_at.
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("topic", sa.String(60), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    # The delivery worker's lease and outcome (app.care.outbox; migration 0012).
    sa.Column("claimed_by", sa.String(100), nullable=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
)

# People's accounts (app.care.accounts, 0009): the e-mail is stored normalised (unique), the
# password only as its argon2id hash; the sign-in failure counter and lockout live on the row.
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_sign_ins", sa.Integer, nullable=False),
    sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("email", name="users_email"),
)

# A person's roles: names from app/reference/roles.json (data, so no CHECK on the name); a
# role of scope "facility" (provider staff) names its one provider.
user_roles = sa.Table(
    "user_roles", metadata,
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(40), primary_key=True),
    sa.Column("facility_id", sa.String(100), nullable=True),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
)

# Password-reset links: only the SHA-256 of the token is stored; single use, superseded by a
# newer one, expiring.
password_resets = sa.Table(
    "password_resets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("token_hash", name="password_resets_token_hash"),
)

# The largest value an Integer column holds on every database used (PostgreSQL's integer is 32
# bits): client numbers bound for one (a report's version) are checked against it first.
MAX_INTEGER = 2**31 - 1


def is_outage(exc: DBAPIError) -> bool:
    """True when ``exc`` means the database is out of reach or out of service (answer 503,
    "try again"), False when the statement itself was refused — a value the column cannot
    hold (DataError: out of range, a NUL in text), a constraint, our SQL — which no retry
    fixes and which must not be reported as an outage.

    Out of reach: a connection that broke, failed or was refused (no SQLSTATE: it never
    got an answer), or the server's classes 08 (connection), 53 (out of resources), 57
    (shut down, cancelled, cannot connect now) and 58 (I/O); SQLite's OperationalError (file
    missing, locked, I/O).
    """
    if exc.connection_invalidated:
        return True
    if isinstance(exc, InterfaceError) and isinstance(exc.orig, sqlite3.Error):
        return False  # SQLite's InterfaceError: a parameter it cannot bind, not a connection
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state[:2] in {"08", "53", "57", "58"}


def _sqlite_file(url: str) -> str | None:
    """The file path of a SQLite URL (``sqlite:///path`` or ``sqlite:///file:path?…``)."""
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        return None
    return database.removeprefix("file:").split("?")[0]


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def make_engine(url: str) -> sa.Engine:
    """An engine; SQLite gets WAL, a busy timeout, and a small pool of kept connections. A database
    error's text never carries the statement's values (``hide_parameters``): they may be personal
    data (a typed reason, a child's name in a message), and the error handler logs that text."""
    if url.startswith("sqlite"):
        # Kept connections: opening one (and closing the last, which checkpoints the WAL) cost
        # more than the write itself. Each is checked at checkout against the file on disk, so
        # a database moved away or replaced counts as unreachable instead of being written to.
        engine = sa.create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=8, hide_parameters=True,
                                  connect_args={"timeout": 30, "check_same_thread": False})
        path = _sqlite_file(url)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
            conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a committed write survives a crash of the app (kill -9); only a
            # power cut can lose the last commits. FULL would fsync every commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            record.info["inode"] = _inode(path) if path else None

        @sa.event.listens_for(engine, "checkout")
        def _same_file(conn: sqlite3.Connection, record: ConnectionPoolEntry,
                       proxy: PoolProxiedConnection) -> None:
            if path and _inode(path) != record.info.get("inode"):
                raise DisconnectionError("the database file was moved or replaced")

        # Writers take the lock at BEGIN, so a read-then-write transaction cannot deadlock;
        # reads (``one_statement``) begin deferred: a snapshot of their own, no lock held, so
        # they never queue behind a writer or hold one up (WAL).
        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(conn: sa.Connection) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get(_SQLITE_BEGIN, "BEGIN IMMEDIATE"))

        return engine
    engine = sa.create_engine(url, pool_size=5, max_overflow=5, hide_parameters=True,
                              connect_args={"connect_timeout": 3})
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0


def _ping_after_idle(engine: sa.Engine) -> None:
    """Check a pooled connection before use only when it sat idle for a while.

    A connection that was used a moment ago is as good as a ping (pre-ping on every checkout
    cost a round trip and ~0.1 ms of CPU per write). A connection that breaks while in use is
    reported by SQLAlchemy as a disconnect, which discards the whole pool, so the next
    request connects afresh either way.
    """
    @sa.event.listens_for(engine, "checkin")
    def _stamp(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry,
              proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.get("idle_since")  # None: connected just now
        if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_S:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error as exc:
                raise DisconnectionError(f"a pooled connection was broken: {exc}") from exc


MIGRATION_LOCK_KEY = 727_2026  # PostgreSQL advisory lock id for schema migrations


def upgrade(url: str) -> None:
    """Bring the schema to the newest migration (every head: work landing in parallel may branch
    from one revision until it is chained). Safe when several workers start at once:
    PostgreSQL serialises them with an advisory lock, SQLite with a lock file."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if url.startswith("sqlite"):
        import fcntl

        db_path = (sa.make_url(url).database or "").removeprefix("file:")
        lock_path = (db_path.split("?")[0] or "/tmp/dolbom-memory") + ".migrate.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command.upgrade(cfg, "heads")
        return
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
                conn.commit()
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                             {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


_ONE_STATEMENT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_SQLITE_BEGIN = "dolbom_sqlite_begin"  # execution option: the BEGIN a SQLite transaction sends
_READS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def one_statement(engine: sa.Engine) -> sa.Engine:
    """The engine for work that is a single statement (a read, or a write whose audit entry
    the trigger adds): on PostgreSQL in autocommit, saving the BEGIN and COMMIT/ROLLBACK round
    trips; the statement is a transaction of its own. SQLite is unchanged (``BEGIN IMMEDIATE``:
    a connection lent to a request may read, then write)."""
    if engine.dialect.name != "postgresql":
        return engine
    found = _ONE_STATEMENT.get(engine)
    if found is None:
        found = _ONE_STATEMENT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


def reads(engine: sa.Engine) -> sa.Engine:
    """The engine for reads only (one statement or several; never a write).

    PostgreSQL: autocommit, as :func:`one_statement` (each statement sees what READ COMMITTED
    would show it inside a transaction). SQLite: a deferred ``BEGIN`` instead of ``BEGIN
    IMMEDIATE``: the read has a snapshot of its own and takes no write lock, so under WAL it
    neither waits for a writer nor holds one up (a booking's reads at 100 bookings/s). A write
    through it could fail with "database is locked" after a read: use the engine itself."""
    if engine.dialect.name == "postgresql":
        return one_statement(engine)
    found = _READS.get(engine)
    if found is None:
        found = _READS[engine] = engine.execution_options(**{_SQLITE_BEGIN: "BEGIN"})
    return found


@contextlib.contextmanager
def connection(bind: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """The given connection, or one checked out of the engine (``one_statement``) for the
    block: lets a request run its token check and its write on one pooled connection."""
    if isinstance(bind, sa.Connection):
        yield bind
    else:
        with one_statement(bind).connect() as conn:
            yield conn
