"""The booking store's tests run on SQLite and on PostgreSQL, with the fixtures of tests/live."""

import pytest

from app.care.bookings import BookingStore
from app.db.engine import make_engine, upgrade
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)


@pytest.fixture
def store(db_url):  # noqa: F811
    """A BookingStore on a freshly migrated database of each kind."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield BookingStore(engine)
    engine.dispose()
