"""A search with a window says which providers take bookings online FOR THAT WINDOW (each hit's
``books_online``: places published covering the whole window), not merely "some time" (tester
27, finding 4: a card offered 예약하기 for 12-15 though places were published only until 12-09,
and the booking page then refused). Without a window it keeps its meaning: places in a slot
still to come. Still one query for all the results.

And the refusal of a window that starts after the last published places advises an earlier
date (``window_after_places``), not an earlier end (``published_until``, kept for a window
that starts before the places stop).

Hand-checkable: 영통지역아동센터 (tiny-cc-01, open 13:00-22:00) publishes tomorrow 15:00-16:00,
16:00-17:00 and 17:00-18:00 (Seoul), 2 places each."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.bookings import NotBookable, open_in_window
from app.extensions.care import get_bookings
from tests.care.conftest import store  # noqa: F401  (fixture)
from tests.care.test_api_bookings import CENTRE
from tests.care.test_bookings import NOW, at
from tests.care.test_search_books_online import _search
from tests.live.conftest import db_url, postgres_db  # noqa: F401  (fixtures)
from tests.pages.conftest import (  # noqa: F401  (fixtures)
    app,
    clock,
    make_app,
)

SEOUL = ZoneInfo("Asia/Seoul")
P = "elementary_emergency"


def _tomorrow(hh: int) -> datetime:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hh, tzinfo=SEOUL)


def _window(start_hh: int, end_hh: int) -> str:
    return f"&start={_tomorrow(start_hh):%Y-%m-%dT%H:%M}&end={_tomorrow(end_hh):%Y-%m-%dT%H:%M}"


@pytest.mark.parametrize(("start_hh", "end_hh", "expected"), [
    (15, 17, [P]),  # inside the published 15-18
    (15, 18, [P]),  # exactly the published hours
    (17, 19, []),  # runs past the last place (18:00)
    (19, 21, []),  # after the last place: the tester's case
    (14, 16, []),  # starts before the first place
])
def test_books_online_reflects_the_searched_window(app, start_hh, end_hh, expected):  # noqa: F811
    with app.app_context():
        for hh in (15, 16, 17):
            get_bookings().publish_slot(CENTRE, P, _tomorrow(hh), _tomorrow(hh + 1), 2)
    hits, reads = _search(app, f"&programme={P}&limit=20" + _window(start_hh, end_hh))
    assert hits[CENTRE]["books_online"] == expected
    assert all(h["books_online"] == [] for f, h in hits.items() if f != CENTRE)  # TOGETHER publishes none
    assert reads == 1  # one query for all the results
    hits, reads = _search(app, f"&programme={P}&limit=20")  # no window: places still to come
    assert hits[CENTRE]["books_online"] == [P] and reads == 1


def test_a_slot_opening_no_place_or_a_gap_breaks_the_cover(store):  # noqa: F811
    """open_in_window over the slots: a gap or a slot of 0 places inside the window is no cover."""
    store.publish_slot("gap", P, at(9), at(10), 1)
    store.publish_slot("gap", P, at(11), at(12), 1)
    store.publish_slot("zero", P, at(9), at(10), 1)
    store.publish_slot("zero", P, at(10), at(11), 0)
    store.publish_slot("whole", P, at(8), at(12), 1)
    with store.engine.connect() as conn:
        assert open_in_window(conn, ["gap", "zero", "whole", "none"], at(9), at(10)) == {
            "gap": frozenset({P}), "zero": frozenset({P}), "whole": frozenset({P})}
        assert open_in_window(conn, ["gap", "zero", "whole", "none"], at(9), at(11)) == {"whole": frozenset({P})}
        assert open_in_window(conn, [], at(9), at(11)) == {}


def test_a_window_after_the_last_places_is_refused_with_advice_for_an_earlier_date(store):  # noqa: F811
    store.publish_slot("F1", "always_daycare", at(9), at(10), 5)
    store.publish_slot("F1", "always_daycare", at(10), at(11), 5)
    for start in (at(11), at(13)):  # starts at or after the last place's end (11:00)
        with pytest.raises(NotBookable) as caught:
            store.book("F1", "always_daycare", "a", start, at(14), None, now=NOW)
        exc = caught.value
        assert (exc.code, exc.reason, exc.http_status) == ("not_bookable", "window_after_places", 409)
        assert exc.extra["places_until"] == "2026-12-02T11:00:00+00:00"
        assert exc.extra["window_start"] == start.isoformat()
    with pytest.raises(NotBookable) as caught:  # starts inside the places: an earlier end helps
        store.book("F1", "always_daycare", "a", at(10), at(14), None, now=NOW)
    assert caught.value.reason == "published_until"
    assert caught.value.extra["places_until"] == "2026-12-02T11:00:00+00:00"


def test_the_openapi_document_says_books_online_follows_the_window(app):  # noqa: F811
    doc = app.test_client().get("/api/v1/openapi.json").json
    said = doc["components"]["schemas"]["Hit"]["properties"]["books_online"]["description"]
    assert "With a window" in said and "over the whole window" in said and "Without a window" in said
