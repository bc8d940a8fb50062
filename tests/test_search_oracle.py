"""The nearest search against an independent oracle (issue 12, item 24).

The brute force in test_search_core.py filters with the same ``is_open_for`` and availability
code as the index, so a fault in either passes both. The oracle here shares no search code with
the index: it reads the *raw* inputs the test wrote — the hours as ``"HH:MM-HH:MM"`` text per
day type, a provider's changed hours per date and its closures as text and times, a fixed list
of the Korean public holidays in the test's dates, the raw vacancy report — and decides

- opening minute by minute: every minute of the window lies in an interval of the day it
  belongs to or of the day before (intervals may end up to 48:00), and in no closure;
- availability: the reported places of the requested kind, fresh (reported at most the maximum
  age ago), more than 0 places; a live report replaces the registry's figure; a closure at this
  moment makes it "closed";
- distance: its own pyproj transform to EPSG:5179 and a hypotenuse.

app.search is used only to build the inputs (Facility, WeeklyHours, Criteria, FacilityIndex).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyproj import Transformer

from app.live.record import Closure, LiveRecord
from app.search.hours import WeeklyHours
from app.search.index import Criteria, FacilityIndex

from .conftest import facility

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SEOUL)  # a Monday
MAX_AGE = timedelta(hours=24)
# Every Korean public holiday from 2026-02-25 to 03-06, 11-20 to 11-28 and 12-20 to 12-29 (the
# days windows below can touch, the day before included): 삼일절, its substitute, Christmas.
HOLIDAYS = {date(2026, 3, 1), date(2026, 3, 2), date(2026, 12, 25)}
# Windows start on these days (a Saturday before a holiday weekend, a Monday, the day before
# Christmas) and last at most 40 hours, so they stay inside the ranges above.
ANCHORS = [date(2026, 2, 28), date(2026, 11, 23), date(2026, 12, 24)]
DAY_TYPES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAY_TYPES[:5]

RAW_HOURS = [
    {d: ["07:30-19:30"] for d in WEEKDAYS},
    {**{d: ["07:30-31:30"] for d in DAY_TYPES}, "holiday": ["07:30-31:30"]},
    {d: ["13:00-22:00"] for d in WEEKDAYS},
    {**{d: ["07:30-12:00", "13:00-19:30"] for d in WEEKDAYS}, "sat": ["07:30-15:30"]},
    {"sat": ["00:00-24:00"], "sun": ["00:00-24:00"], "holiday": ["09:00-13:00"]},
    {"mon": ["00:00-48:00"], "wed": ["09:00-18:00"], "sat": ["19:30-31:30"]},
    {**{d: ["07:30-12:00", "12:00-24:00"] for d in WEEKDAYS}, "holiday": ["00:00-24:00"]},
    {},
]
# A provider's changed hours for one date (raw text), per anchor day and the day after.
RAW_CHANGES = [
    {},
    {date(2026, 11, 23): ["13:00-19:30"]},
    {date(2026, 11, 23): []},  # closed that day
    {date(2026, 11, 24): ["00:00-24:00"], date(2026, 3, 1): ["09:00-21:00"]},
    {date(2026, 12, 24): ["19:30-31:30"], date(2026, 2, 28): ["07:00-08:00"]},
]
# Closures (start, end), naive Seoul wall-clock text.
RAW_CLOSURES = [
    [],
    [("2026-11-23T11:00", "2026-11-23T18:00")],  # covers NOW
    [("2026-11-24T00:00", "2026-11-25T00:00")],
    [("2026-12-24T19:30", "2026-12-25T07:30"), ("2026-03-01T12:00", "2026-03-01T12:30")],
]
_TO_5179 = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)


# --- the oracle --------------------------------------------------------------------------------
def minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def raw_intervals(raw_hours: dict, changes: dict, day: date) -> list[tuple[int, int]]:
    """The intervals (minutes after the day's midnight) that start on ``day``."""
    if day in changes:
        texts = changes[day]
    elif day in HOLIDAYS:
        texts = raw_hours.get("holiday", [])
    else:
        texts = raw_hours.get(DAY_TYPES[day.weekday()], [])
    return [(minutes(t.split("-")[0]), minutes(t.split("-")[1])) for t in texts]


@cache
def open_minutes(hours_no: int, changes_no: int, day: date) -> bytes:
    """Per minute of ``day`` (1,440 of them), 1 when the whole minute [t, t + 1 min) lies in an
    interval of that day or of the day before (ends reach at most 48:00, the end of the next
    day)."""
    out = bytearray(1440)
    for back in (0, 1):
        for s, e in raw_intervals(RAW_HOURS[hours_no], RAW_CHANGES[changes_no],
                                  day - timedelta(days=back)):
            for minute in range(1440):
                since_midnight = back * 1440 + minute
                if s <= since_midnight and since_midnight + 1 <= e:
                    out[minute] = 1
    return bytes(out)


@cache
def closed_minutes(closures_no: int, day: date) -> bytes:
    """Per minute of ``day``, 1 when a closure overlaps the minute."""
    out = bytearray(1440)
    midnight = datetime(day.year, day.month, day.day, tzinfo=SEOUL)
    for cs, ce in closures_of_raw(RAW_CLOSURES[closures_no]):
        for minute in range(1440):
            t = midnight + timedelta(minutes=minute)
            if cs < t + timedelta(minutes=1) and t < ce:
                out[minute] = 1
    return bytes(out)


@dataclass
class Raw:
    """What the test wrote for one provider."""

    id: str
    lon: float
    lat: float
    kind: str
    status: str
    services: frozenset
    age_min: int
    age_max: int
    hours_no: int  # RAW_HOURS[hours_no]
    vacancies: dict
    reported_at: datetime | None
    live: dict | None = None  # {"vacancies", "reported_at", "changes_no", "closures_no"}
    xy: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        self.xy = _TO_5179.transform(self.lon, self.lat)

    @property
    def hours(self) -> dict:
        return RAW_HOURS[self.hours_no]


def closures_of(r: Raw) -> list[tuple[datetime, datetime]]:
    return closures_of_raw(RAW_CLOSURES[r.live["closures_no"]]) if r.live else []


def oracle_open(r: Raw, start: datetime, end: datetime) -> bool:
    """Open, and in no closure, for every minute from ``start`` to ``end`` (whole minutes)."""
    if end <= start:
        return False
    changes_no = r.live["changes_no"] if r.live else 0
    closures_no = r.live["closures_no"] if r.live else 0
    day = start.date()
    while True:
        midnight = datetime(day.year, day.month, day.day, tzinfo=start.tzinfo)
        first = max(int((start - midnight).total_seconds() // 60), 0)
        last = min(int((end - midnight).total_seconds() // 60), 1440)  # exclusive
        if first < last and (0 in open_minutes(r.hours_no, changes_no, day)[first:last]
                             or 1 in closed_minutes(closures_no, day)[first:last]):
            return False
        if last < 1440:
            return True
        day += timedelta(days=1)


def oracle_availability(r: Raw, now: datetime) -> tuple:
    """(status, places, reported_at, age_minutes) from the raw report."""
    if r.live:
        places = r.live["vacancies"].get("regular")
        reported = r.live["reported_at"]
        age = max(math.floor((now - reported).total_seconds() / 60), 0)
        if any(cs < now < ce for cs, ce in closures_of(r)):
            return ("closed", 0, reported, age)
    else:
        places = r.vacancies.get("regular")
        reported = r.reported_at
        if places is None or reported is None:
            return ("unknown", None, reported, None)
        age = max(math.floor((now - reported).total_seconds() / 60), 0)
    if places is None:
        return ("unknown", None, reported, age)
    if now - reported > MAX_AGE:
        return ("unknown", places, reported, age)
    return ("available" if places > 0 else "full", places, reported, age)


def oracle_nearest(raws: list[Raw], home, work, c: Criteria, mode: str) -> list[tuple]:
    """Every matching provider as (key distance, id, anchor), nearest first, ties by id."""
    hx, hy = _TO_5179.transform(*home)
    wx, wy = _TO_5179.transform(*work)
    rows = []
    for r in raws:
        if r.status not in ("정상", "재개"):
            continue
        if c.kinds is not None and r.kind not in c.kinds:
            continue
        if c.services and not c.services <= r.services:
            continue
        if c.age_months is not None and not r.age_min <= c.age_months <= r.age_max:
            continue
        if c.start is not None and not oracle_open(r, c.start, c.end):
            continue
        if c.available_only and oracle_availability(r, NOW)[0] != "available":
            continue
        dh = math.hypot(r.xy[0] - hx, r.xy[1] - hy)
        dw = math.hypot(r.xy[0] - wx, r.xy[1] - wy)
        if mode == "home":
            rows.append((dh, r.id, "home"))
        else:
            rows.append((min(dh, dw), r.id, "home" if dh <= dw else "work"))
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


# --- inputs ------------------------------------------------------------------------------------
class Overlay:
    """The live layer the index reads: reports by provider id."""

    reachable = True

    def __init__(self, records: dict[str, LiveRecord]) -> None:
        self.records = records

    def get(self, facility_id: str) -> LiveRecord | None:
        return self.records.get(facility_id)


def live_record(live: dict) -> LiveRecord:
    return LiveRecord(
        version=1, reported_at=live["reported_at"], reported_by="t1",
        vacancies=dict(live["vacancies"]),
        hours={d: tuple((minutes(t.split("-")[0]), minutes(t.split("-")[1])) for t in texts)
               for d, texts in RAW_CHANGES[live["changes_no"]].items()},
        closures=tuple(Closure(a, b) for a, b in closures_of_raw(RAW_CLOSURES[live["closures_no"]])),
    )


def closures_of_raw(raw: list) -> list[tuple[datetime, datetime]]:
    return [(datetime.fromisoformat(a).replace(tzinfo=SEOUL),
             datetime.fromisoformat(b).replace(tzinfo=SEOUL)) for a, b in raw]


def build(raws: list[Raw], sub_share: int) -> FacilityIndex:
    facilities = [facility(r.id, r.lon, r.lat, kind=r.kind, status=r.status, services=r.services,
                           age_min_months=r.age_min, age_max_months=r.age_max,
                           hours=WeeklyHours.from_mapping(r.hours), vacancies=r.vacancies,
                           availability_reported_at=r.reported_at) for r in raws]
    overlay = Overlay({r.id: live_record(r.live) for r in raws if r.live})
    return FacilityIndex(facilities, MAX_AGE, sub_index_max_share=sub_share, live=overlay)


AGES = [timedelta(minutes=m) for m in (0, 1, 59, 60, 61, 23 * 60 + 59, 24 * 60, 24 * 60 + 1,
                                        30 * 60, -5)]  # -5: a clock a little ahead


KINDS3 = ("daycare", "community_child_center", "together_care_center")
# Strategies made once (making them per draw costs more than the test).
LIVE = st.none() | st.none() | st.fixed_dictionaries({
    "vacancies": st.sampled_from([{}, {"regular": 0}, {"regular": 1}, {"always_daycare": 2}]),
    "reported_at": st.sampled_from(AGES).map(lambda a: NOW - a),
    "changes_no": st.integers(0, len(RAW_CHANGES) - 1),
    "closures_no": st.integers(0, len(RAW_CLOSURES) - 1),
})
PROVIDER = st.tuples(
    st.integers(0, 12), st.integers(0, 12),  # a coarse grid: equal distances are common
    st.sampled_from(KINDS3),
    st.sampled_from(["정상", "정상", "정상", "재개", "휴지", "폐지"]),
    st.sampled_from([frozenset(), frozenset({"night"}), frozenset({"holiday"}),
                     frozenset({"night", "holiday"})]),
    st.sampled_from([0, 6, 72]), st.sampled_from([0, 35, 83]),
    st.integers(0, len(RAW_HOURS) - 1),
    st.sampled_from([{}, {"regular": 0}, {"regular": 1}, {"regular": 3}, {"always_daycare": 1}]),
    st.none() | st.sampled_from(AGES).map(lambda a: NOW - a),
    LIVE,
)


def to_raw(i: int, t: tuple) -> Raw:
    gx, gy, kind, status, services, age_min, age_span, hours_no, vacancies, reported, live = t
    return Raw(id=f"p{i:03d}", lon=127.0 + gx * 0.001, lat=37.3 + gy * 0.001, kind=kind,
               status=status, services=services, age_min=age_min, age_max=age_min + age_span,
               hours_no=hours_no, vacancies=vacancies, reported_at=reported, live=live)


raw_providers = st.lists(PROVIDER, min_size=1, max_size=30).map(
    lambda rows: [to_raw(i, t) for i, t in enumerate(rows)])


@st.composite
def criteria(draw):
    start = end = None
    if draw(st.booleans()):
        day = draw(st.sampled_from(ANCHORS))
        # Half-hour steps: windows often start or end exactly at an opening or closing time.
        start = datetime(day.year, day.month, day.day, tzinfo=SEOUL) + \
            timedelta(minutes=30 * draw(st.integers(0, 47)))
        end = start + timedelta(minutes=30 * draw(st.integers(1, 32)))
    return Criteria(
        kinds=draw(st.none() | st.sets(st.sampled_from(["daycare", "community_child_center",
                                                       "together_care_center"]),
                                       min_size=1).map(frozenset)),
        services=draw(st.none() | st.just(frozenset({"night"}))),
        age_months=draw(st.none() | st.sampled_from([0, 5, 6, 41, 72, 100, 155])),
        start=start, end=end,
        available_only=draw(st.booleans()),
    )


HOME, WORK = (127.003, 37.303), (127.009, 37.308)


def assert_matches_oracle(hits, expected, limit, mode):
    assert len(hits) == min(limit, len(expected)), [h.facility.id for h in hits]
    by_id = {fid: (d, anchor) for d, fid, anchor in expected}
    for k, hit in enumerate(hits):
        d, anchor = by_id[hit.facility.id]  # KeyError: the index returned a non-match
        # Rank by rank the same distances (two transforms may differ in the last digits, so
        # providers at equal distances are compared by distance, not by id).
        assert abs(hit.distance_m - d) < 1e-6
        assert abs(hit.distance_m - expected[k][0]) < 1e-6
        if mode == "either":
            dh_dw_close = abs(d - hit.sort_key) < 1e-6 and anchor != hit.anchor
            assert hit.anchor == anchor or dh_dw_close
        else:
            assert hit.anchor == "home"
    assert len({h.facility.id for h in hits}) == len(hits)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_providers, criteria(), st.integers(1, 12), st.sampled_from(["home", "either"]),
       st.sampled_from([1, 32]))
def test_nearest_equals_independent_oracle(raws, c, limit, mode, sub_share):
    index = build(raws, sub_share)
    hits = index.nearest(*HOME, c, NOW, limit, work=WORK, mode=mode)
    expected = oracle_nearest(raws, HOME, WORK, c, mode)
    assert_matches_oracle(hits, expected, limit, mode)
    raw_by_id = {r.id: r for r in raws}
    for hit in hits:
        a = hit.availability
        assert (a.status, a.places, a.reported_at, a.age_minutes) == \
            oracle_availability(raw_by_id[hit.facility.id], NOW)


# --- the oracle itself, checked by hand ----------------------------------------------------------
def test_oracle_by_hand():
    mon = date(2026, 11, 23)
    at = lambda d, h, m=0: datetime(d.year, d.month, d.day, h, m, tzinfo=SEOUL)  # noqa: E731
    r = Raw("x", 127.0, 37.3, "daycare", "정상", frozenset(), 0, 83, 0,
            {"regular": 0}, NOW - timedelta(hours=1))
    assert oracle_open(r, at(mon, 7, 30), at(mon, 19, 30))
    assert not oracle_open(r, at(mon, 7, 29), at(mon, 8))
    assert oracle_availability(r, NOW) == ("full", 0, NOW - timedelta(hours=1), 60)
    night = Raw("y", 127.0, 37.3, "daycare", "정상", frozenset(), 0, 83, 1,
                {"regular": 2}, NOW - timedelta(hours=25))
    assert oracle_open(night, at(mon, 19), at(mon + timedelta(days=1), 7, 30))
    assert oracle_availability(night, NOW)[0] == "unknown"
    # 2026-03-02, the substitute holiday: the weekday daycare is closed, holiday hours apply.
    assert not oracle_open(r, at(date(2026, 3, 2), 9), at(date(2026, 3, 2), 10))
    weekend = Raw("z", 127.0, 37.3, "daycare", "정상", frozenset(), 0, 83, 4, {}, None)
    assert oracle_open(weekend, at(date(2026, 3, 2), 9), at(date(2026, 3, 2), 13))
    assert not oracle_open(weekend, at(date(2026, 3, 2), 13), at(date(2026, 3, 2), 13, 1))
