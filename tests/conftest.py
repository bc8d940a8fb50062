"""Shared fixtures: the app over a tiny registry, and the real datasets in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.search.hours import WeeklyHours
from app.search.model import Facility

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A path in ../shared/data, skipping the test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real dataset {path} is absent (../shared is not beside the checkout)")
    return path


def next_weekday(weekday: int = 1) -> str:
    """The next such weekday (0 Monday … 6 Sunday; default Tuesday) that is not a Korean public
    holiday, at least a day ahead in Asia/Seoul, as YYYY-MM-DD: searches refuse care windows far
    from today (SEARCH_WINDOW_* settings), so tests that search at a fixed weekday use this."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import holidays

    day = datetime.now(ZoneInfo("Asia/Seoul")).date() + timedelta(days=1)
    while day.weekday() != weekday or day in holidays.country_holidays("KR", years=day.year):
        day += timedelta(days=1)
    return day.isoformat()


def facility(id: str, lon: float, lat: float, **kw) -> Facility:
    """A facility with plain defaults: an open daycare, weekdays 07:30-19:30, ages 0-83."""
    kw.setdefault("name", f"시설 {id}")
    kw.setdefault("kind", "daycare")
    kw.setdefault("age_max_months", 83)
    kw.setdefault("hours", WeeklyHours.from_mapping(
        {d: ["07:30-19:30"] for d in ("mon", "tue", "wed", "thu", "fri")}))
    return Facility(id=id, lon=lon, lat=lat, **kw)


@pytest.fixture
def app(tmp_path):
    """The app over the committed demo registry, with its instance folder in tmp."""
    return create_app({"TESTING": True}, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
