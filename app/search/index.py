"""Nearest-available search over the registry, in metres.

Points are projected once to EPSG:5179 (UTM-K) and held in a k-d tree (scipy ``cKDTree``).
Planar distance in UTM-K is within 0.1 % of the WGS84 geodesic anywhere in Korea (scale factor
0.9996 at 127.5°E), well inside the 0.5 % the product promises.

Why a k-d tree and not rtree or shapely's STRtree: for point data and k-nearest queries it was
the fastest of the three measured (see ``bench/bench_search.py``), and it walks candidates in
exact distance order, which the incremental filtering below needs.

Filtering is incremental: candidates are taken in distance order, in growing batches, until
``limit`` of them pass every filter (or the radius or the registry is exhausted) — never "the
100 nearest, filtered", which returns too few or wrong results for selective filters.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.spatial import cKDTree

from app.geo.crs import to_metric

from .hours import WeeklyHours
from .locale import KOREA, RegistryLocale
from .model import (
    KINDS,
    PROGRAMMES,
    REGULAR,
    SERVICES,
    Facility,
    programme_rules,
    sigun_code,
    usable_programmes,
)

if TYPE_CHECKING:
    from app.live.record import LiveRecord

WALKING_SPEED_M_PER_MIN = 4000 / 60  # 4 km/h, a parent with a small child
WALKING_DETOUR_FACTOR = 1.3  # streets are longer than the straight line
MODES = ("home", "either", "commute")
# A filter that keeps fewer than 1 provider in this many gets its own (cached) tree.
SUB_INDEX_MAX_SHARE = 32
SUB_INDEX_CACHE_SIZE = 256
# Unknown ages (None) become bounds that no age passes: unknown is never presented as eligible.
UNKNOWN_AGE_MIN = 2**31 - 1
UNKNOWN_AGE_MAX = -1
_NO_HOURS = WeeklyHours.from_mapping({})


class LiveReports(Protocol):
    """What the index reads of reports newer than the registry (app.live.service.LiveOverlay)."""

    reachable: bool

    def get(self, facility_id: str) -> LiveRecord | None: ...


def walking_minutes(distance_m: float) -> int:
    """Estimated walking time for a straight-line distance (4 km/h, detour factor 1.3)."""
    return round(distance_m * WALKING_DETOUR_FACTOR / WALKING_SPEED_M_PER_MIN)


@dataclass(frozen=True)
class Criteria:
    """What care is needed. ``None`` means "any"."""

    kinds: frozenset[str] | None = None
    programmes: frozenset[str] | None = None
    services: frozenset[str] | None = None  # all of these flags
    age_months: int | None = None
    start: datetime | None = None  # aware, the whole window must be open
    end: datetime | None = None
    available_only: bool = False
    # The home's 시군구: home-visit providers' service areas and the programmes' residence
    # rules ("" : the home lies in no known 시군구; None: not given — no home-visit providers,
    # residence rules not applied).
    home_sigungu_code: str | None = None
    # Only providers in this 시군구 or 시군 (5-digit code; 41110 covers 41111 … 41117);
    # home-visit providers: those serving some part of it.
    region: str | None = None

    @cached_property
    def vacancy_key(self) -> str:
        """Which vacancy figure counts: the requested programme's, else ordinary places."""
        return min(self.programmes) if self.programmes else REGULAR

    @cached_property
    def usable_programmes(self) -> frozenset[str]:
        """The requested programmes this family may use (age, residence; see
        :class:`app.search.model.ProgrammeRule`); empty when none, or none requested."""
        return usable_programmes(self.programmes, self.age_months, self.home_sigungu_code)


# Results are made ten at a time on every search: plain slotted classes, created several
# times faster than frozen dataclasses. Treat them as read-only.
@dataclass(slots=True)
class Availability:
    """Places for the requested programme (or ordinary places), and how fresh the figure is."""

    status: str  # "available", "full", "closed" (a reported closure now) or "unknown"
    places: int | None
    reported_at: datetime | None
    age_minutes: int | None


@dataclass(slots=True)
class Hit:
    """One search result."""

    facility: Facility
    distance_m: float | None  # None for home-visit providers (they come to the family)
    anchor: str  # "home", "work", or "route" (commute) or "home_visit"
    detour_m: float | None
    availability: Availability
    sort_key: float = 0.0

    @property
    def walking_minutes(self) -> int | None:
        """Estimated walk to the provider, None when it comes to the family."""
        return None if self.distance_m is None else walking_minutes(self.distance_m)


def has_static_filters(c: Criteria) -> bool:
    """True when ``c`` filters on what a provider is (kind, programme, service, age, region),
    which makes most candidates fail: a walk then takes larger batches."""
    return not (c.kinds is None and not c.programmes and not c.services and c.age_months is None
                and c.region is None)


def _programme_bits(programmes: Iterable[str]) -> int:
    return sum(1 << PROGRAMMES.index(p) for p in programmes)


class _Columns:
    """The static attributes of a list of facilities as arrays, for vectorised filtering."""

    def __init__(self, facilities: Sequence[Facility]) -> None:
        svc = list(SERVICES)
        self.kind = np.array([KINDS.index(f.kind) for f in facilities], dtype=np.int8)
        # The programmes each provider offers under the programme's rules (its kind, and for
        # programmes at a centre a 시군 that runs it): a provider that lists a programme its 시군
        # does not run is not offered to families for it.
        rules = programme_rules()
        self.offered_bits = np.array(
            [_programme_bits(p for p in f.programmes if rules[p].offered_by(f)) for f in facilities],
            dtype=np.int16,
        )
        # The regions (5-digit 시군구 and 시군 codes) each provider belongs to: where it is, or
        # for home-visit providers every area it serves.
        self.region_keys = [
            frozenset(k for code in (f.service_area_sigungu_codes if f.comes_to_family
                                     else (f.sigungu_code,)) if code
                      for k in (code, sigun_code(code)))
            for f in facilities]
        self._in_region: dict[str, np.ndarray] = {}
        self.service_bits = np.array(
            [sum(1 << svc.index(s) for s in f.services) for f in facilities], dtype=np.int16
        )
        self.age_min = np.array([UNKNOWN_AGE_MIN if f.age_min_months is None else f.age_min_months
                                 for f in facilities], dtype=np.int32)
        self.age_max = np.array([UNKNOWN_AGE_MAX if f.age_max_months is None else f.age_max_months
                                 for f in facilities], dtype=np.int32)

    def in_region(self, region: str) -> np.ndarray:
        """Per facility, whether it belongs to ``region`` (computed once per region)."""
        found = self._in_region.get(region)
        if found is None:
            found = np.array([region in keys for keys in self.region_keys], dtype=bool)
            if len(self._in_region) >= 1024:  # a bound, whatever callers pass
                self._in_region.clear()
            self._in_region[region] = found
        return found

    def mask(self, idx: np.ndarray, c: Criteria) -> np.ndarray:
        """Which of the facilities at ``idx`` pass the kind, programme (with its eligibility
        rules), service, age and region filters."""
        mask = np.ones(len(idx), dtype=bool)
        if c.kinds is not None:
            mask &= np.isin(self.kind[idx], [KINDS.index(k) for k in c.kinds])
        if c.programmes:
            bits = _programme_bits(c.usable_programmes)
            mask &= (self.offered_bits[idx] & bits) != 0
        if c.region is not None:
            mask &= self.in_region(c.region)[idx]
        if c.services:
            bits = sum(1 << list(SERVICES).index(s) for s in c.services)
            mask &= (self.service_bits[idx] & bits) == bits
        if c.age_months is not None:
            mask &= (self.age_min[idx] <= c.age_months) & (c.age_months <= self.age_max[idx])
        return mask


class FacilityIndex:
    """An immutable search index over a registry's facilities."""

    # Whether candidates come from the k-d tree here (a subclass that walks elsewhere, such as
    # the PostGIS index, sets False and no tree is built).
    walks_in_memory = True

    def __init__(self, facilities: Sequence[Facility], max_age: timedelta,
                 sub_index_max_share: int = SUB_INDEX_MAX_SHARE, live: LiveReports | None = None,
                 locale: RegistryLocale = KOREA) -> None:
        # ``live``: reports newer than the registry (an object with ``get(facility_id)`` and
        # ``reachable``; see app.live.service.LiveOverlay), or None.
        # ``locale``: the registry's time zone and holiday calendar, in which hours are read.
        self.live = live
        self.locale = locale
        self._is_holiday = locale.is_holiday
        self._tz = locale.tz
        self.max_age = max_age
        self.sub_index_max_share = sub_index_max_share
        self.by_id = {f.id: f for f in facilities}
        self._max_age_s = max_age.total_seconds()
        self._now_memo: tuple[datetime | None, float] = (None, 0.0)
        self._reported_s = {f.id: f.availability_reported_at.timestamp()
                            for f in facilities if f.availability_reported_at}
        # Closed providers never appear, so they are not indexed at all.
        sited = [f for f in facilities if f.is_open_status and not f.comes_to_family]
        self.home_visit = sorted(
            (f for f in facilities if f.is_open_status and f.comes_to_family),
            key=lambda f: f.id,
        )
        sited.sort(key=lambda f: f.id)
        self.facilities = sited
        lon = np.array([f.lon for f in sited], dtype=float)
        lat = np.array([f.lat for f in sited], dtype=float)
        self._metric_crs = locale.metric_crs  # planar metres in the registry's area
        x, y = to_metric(lon, lat, self._metric_crs)
        self.xy = np.column_stack([x, y]) if len(sited) else np.zeros((0, 2))
        self.tree = cKDTree(self.xy) if len(sited) and self.walks_in_memory else None
        # The box around every sited provider (metric CRS, metres): what the registry covers.
        self.extent_m: tuple[float, float, float, float] | None = (
            (float(self.xy[:, 0].min()), float(self.xy[:, 1].min()),
             float(self.xy[:, 0].max()), float(self.xy[:, 1].max())) if len(sited) else None)
        self._sub_trees: OrderedDict[tuple, tuple[cKDTree | None, np.ndarray | None]] = \
            OrderedDict()
        self._sub_lock = threading.Lock()
        self.columns = _Columns(sited)
        self.home_visit_columns = _Columns(self.home_visit)
        # Every 시군구 and 시군 code some provider belongs to (for checking a region filter).
        self.regions = frozenset().union(*self.columns.region_keys,
                                         *self.home_visit_columns.region_keys)
        self.lon, self.lat = lon, lat
        self._lon_order = np.argsort(lon, kind="stable")
        self._lon_sorted = lon[self._lon_order]

    def __len__(self) -> int:
        return len(self.facilities) + len(self.home_visit)

    # --- filters --------------------------------------------------------------------------
    def availability(self, f: Facility, c: Criteria, now: datetime) -> Availability:
        """Places for the requested programme, unknown when missing or older than max age."""
        memo = self._now_memo  # one timestamp per search, not per result (thread-safe swap)
        if memo[0] is not now:
            memo = self._now_memo = (now, now.timestamp())
        now_s = memo[1]
        live = self.live
        rec = live.get(f.id) if live is not None else None
        if rec is not None:
            places = rec.vacancies.get(c.vacancy_key)
            reported: datetime | None = rec.reported_at
            age_s = now_s - rec.reported_at.timestamp()
            if rec.closures and rec.closed_during(now, now):
                return Availability("closed", 0, reported, max(int(age_s // 60), 0))
        else:
            places = f.vacancies.get(c.vacancy_key)
            reported = f.availability_reported_at
            if places is None or reported is None:
                return Availability("unknown", None, reported, None)
            # Epoch seconds: aware-datetime subtraction is slow; this runs for every result.
            age_s = now_s - self._reported_s[f.id]
        if places is None:
            return Availability("unknown", None, reported, max(int(age_s // 60), 0))
        if live is not None and not live.reachable:
            # The database is out of reach: last known figures, but not vouched for.
            return Availability("unknown", places, reported, max(int(age_s // 60), 0))
        age_min = max(int(age_s // 60), 0)
        if age_s > self._max_age_s:
            return Availability("unknown", places, reported, age_min)
        return Availability("available" if places > 0 else "full", places, reported, age_min)

    def dynamic_ok(self, f: Facility, c: Criteria, now: datetime) -> bool:
        """True when ``f`` passes what changes with time: open for the whole window
        ``c.start``..``c.end`` and not closed during it, and a free place when
        ``c.available_only``."""
        if c.start is not None and c.end is not None:
            rec = self.live.get(f.id) if self.live is not None else None
            if rec is not None and rec.closed_during(c.start, c.end):
                return False
            overrides = rec.hours if rec is not None else None
            # Unknown hours are never presented as open: only dates the provider reported
            # hours for can open it.
            hours = f.hours if f.hours is not None else _NO_HOURS
            if not hours.is_open_for(c.start, c.end, self._is_holiday, overrides, self._tz):
                return False
        return not c.available_only or self.availability(f, c, now).status == "available"

    def _home_visit_hits(self, c: Criteria, now: datetime, limit: int) -> list[Hit]:
        wanted = (c.kinds is not None and "home_visit_provider" in c.kinds) or \
            (c.programmes is not None and "home_visit_emergency" in c.programmes)
        if not wanted or c.home_sigungu_code is None:
            return []
        hits = []
        passing = self.home_visit_columns.mask(np.arange(len(self.home_visit)), c)
        for f, static_ok in zip(self.home_visit, passing, strict=True):
            if not static_ok or c.home_sigungu_code not in f.service_area_sigungu_codes:
                continue
            if self.dynamic_ok(f, c, now):
                hits.append(Hit(f, None, "home_visit", None, self.availability(f, c, now), -1.0))
        return hits[:limit]

    # --- walking candidates in distance order ------------------------------------------------
    def walk_candidates(self, x: float, y: float, c: Criteria, now: datetime, limit: int,
                        radius_m: float | None) -> Iterator[list[tuple[int, float]]]:
        """Yield batches (lists) of (index, distance_m) of matches in distance
        order, ties by id; ``x``, ``y`` in the registry's metric CRS, metres. The hook another
        backend overrides (:class:`app.registry.postgis.PostgisIndex` runs it as SQL).
        Batches rather than single items: a generator step per item cost more than the rest
        of a plain search."""
        tree, members = self._tree_for(c)
        if tree is None:
            return
        static = has_static_filters(c)
        n = tree.n
        # Without filters nearly every candidate matches: start just above the limit.
        k = min(n, max(32, limit * 4) if static or c.start or c.available_only else limit + 6)
        done = 0
        # The radius is inclusive (a provider exactly radius_m away is in, as in PostGIS's
        # ST_DWithin): the tree is asked with a little slack (its bound is strict, and compared
        # squared), then cut at distance <= radius_m below.
        bound = np.inf if radius_m is None else radius_m * (1 + 1e-9) + 1e-6
        while done < n:
            dist, idx = tree.query([x, y], k=k, distance_upper_bound=bound)
            # Small batches are handled as Python lists: numpy's per-call cost on a dozen
            # numbers outweighs the work.
            dl = np.atleast_1d(dist).tolist()
            # Misses (beyond the bound) are inf, last; then the exact, inclusive radius.
            m = bisect.bisect_left(dl, math.inf) if radius_m is None else \
                bisect.bisect_right(dl, radius_m)
            del dl[m:]
            il = np.atleast_1d(idx)[:m]
            il = (members[il] if members is not None else il).tolist()
            exhausted = m < k or k >= n
            # The last distance of this batch may continue into the next batch; hold back every
            # candidate at that distance so ties are ordered by id across batches.
            cut = bisect.bisect_left(dl, dl[-1]) if not exhausted and m else m
            # Index order is id order (facilities are sorted by id), so this breaks ties by id.
            pairs = sorted(zip(dl[done:cut], il[done:cut], strict=True))
            if pairs:
                if members is None and static:
                    ids = np.fromiter((i for _, i in pairs), dtype=np.int64, count=len(pairs))
                    keep = self.columns.mask(ids, c).tolist()
                    pairs = [pr for pr, ok in zip(pairs, keep, strict=True) if ok]
                if c.start is not None or c.available_only:
                    facilities, dynamic_ok = self.facilities, self.dynamic_ok
                    pairs = [(d, i) for d, i in pairs if dynamic_ok(facilities[i], c, now)]
                if pairs:
                    yield [(i, d) for d, i in pairs]
            done = max(done, cut)
            if exhausted:
                return
            k = min(n, k * 4)

    def _tree_for(self, c: Criteria) -> tuple[cKDTree | None, np.ndarray | None]:
        """The tree to walk for these criteria: the whole registry, or — when the static
        filters (kind, programme, service, age) keep few providers — a cached tree over just
        those, so a 1-in-1,000 filter does not walk a thousand non-matches per match."""
        if self.tree is None or not has_static_filters(c):
            return self.tree, None
        key = (c.kinds, c.programmes, c.usable_programmes if c.programmes else None, c.services,
               c.age_months, c.region)
        with self._sub_lock:
            cached = self._sub_trees.get(key)
            if cached is not None:
                self._sub_trees.move_to_end(key)
                return cached
        members = np.flatnonzero(self.columns.mask(np.arange(len(self.facilities)), c))
        if len(members) * self.sub_index_max_share > len(self.facilities):
            entry: tuple[cKDTree | None, np.ndarray | None] = (self.tree, None)
        elif len(members) == 0:
            entry = (None, None)
        else:
            entry = (cKDTree(self.xy[members]), members)
        with self._sub_lock:
            self._sub_trees[key] = entry
            while len(self._sub_trees) > SUB_INDEX_CACHE_SIZE:
                self._sub_trees.popitem(last=False)
        return entry

    def nearest(self, lon: float, lat: float, c: Criteria, now: datetime, limit: int,
                radius_m: float | None = None, work: tuple[float, float] | None = None,
                mode: str = "home") -> list[Hit]:
        """The ``limit`` nearest matching providers to home (and work), exact and ordered.

        ``mode``: ``home`` — distance from home; ``either`` — the smaller of the distances
        from home and work (each hit says which anchor it is near); ``commute`` — the detour
        added to the home–work trip, d(home, f) + d(f, work) − d(home, work).
        ``radius_m`` limits the distance from the nearer anchor (``commute``: the detour).
        """
        hits = self._home_visit_hits(c, now, limit)
        hx, hy = to_metric(float(lon), float(lat), self._metric_crs)
        if work is None or mode == "home":
            for i, d in self._take(self.walk_candidates(hx, hy, c, now, limit, radius_m), limit):
                f = self.facilities[i]
                hits.append(Hit(f, d, "home", None, self.availability(f, c, now), d))
            return hits[:limit]
        wx, wy = to_metric(float(work[0]), float(work[1]), self._metric_crs)
        if mode == "either":
            best: dict[int, Hit] = {}
            for anchor, (ax, ay) in (("home", (hx, hy)), ("work", (wx, wy))):
                for i, d in self._take(self.walk_candidates(ax, ay, c, now, limit, radius_m), limit):
                    if i not in best or d < best[i].sort_key:
                        f = self.facilities[i]
                        best[i] = Hit(f, d, anchor, None, self.availability(f, c, now), d)
            ranked = sorted(best.values(), key=lambda h: (h.sort_key, h.facility.id))
            return (hits + ranked)[:limit]
        return (hits + self._commute(hx, hy, wx, wy, c, now, limit, radius_m))[:limit]

    @staticmethod
    def _take(batches: Iterable[list[tuple[int, float]]], limit: int) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        for batch in batches:
            out.extend(batch)
            if len(out) >= limit:
                break
        return out[:limit]

    def _commute(self, hx: float, hy: float, wx: float, wy: float, c: Criteria, now: datetime, limit: int,
                 detour_max_m: float | None) -> list[Hit]:
        base = float(np.hypot(wx - hx, wy - hy))
        mx, my = (hx + wx) / 2, (hy + wy) / 2
        found: list[tuple[float, str, int, float]] = []
        for i, d_mid in itertools.chain.from_iterable(self.walk_candidates(mx, my, c, now, limit, None)):
            # Triangle inequality: d(home,f) + d(f,work) >= 2 d(mid,f), so no farther
            # candidate can beat the current limit-th detour once this bound exceeds it. The
            # bound holds in exact arithmetic; computed, it can exceed the detour it bounds by a
            # rounding error (a provider at home or at work: detour 0, bound 1e-12), so it is
            # lowered by a micrometre, or such a provider is lost at a detour limit of 0.
            lower = 2 * d_mid - base - 1e-6
            if len(found) >= limit and lower > found[limit - 1][0]:
                break
            if detour_max_m is not None and lower > detour_max_m:
                break
            fx, fy = self.xy[i]
            dh = float(np.hypot(fx - hx, fy - hy))
            dw = float(np.hypot(fx - wx, fy - wy))
            detour = max(dh + dw - base, 0.0)
            if detour_max_m is not None and detour > detour_max_m:
                continue
            found.append((detour, self.facilities[i].id, i, min(dh, dw)))
            found.sort(key=lambda t: (t[0], t[1]))
            del found[limit:]
        return [Hit(self.facilities[i], dist, "route", det,
                    self.availability(self.facilities[i], c, now), det)
                for det, _, i, dist in found]

    def distance_to_extent_m(self, lon: float, lat: float) -> float | None:
        """Straight-line metres from (lon, lat), degrees, to the box around every sited
        provider (:attr:`extent_m`): 0.0 inside it, None when no provider is sited. A home far
        outside it is outside the area the registry covers (a home in 부산 on a 경기도
        registry), however near its nearest result is listed."""
        if self.extent_m is None:
            return None
        x, y = to_metric(float(lon), float(lat), self._metric_crs)
        min_x, min_y, max_x, max_y = self.extent_m
        dx = max(min_x - x, 0.0, x - max_x)
        dy = max(min_y - y, 0.0, y - max_y)
        return float(np.hypot(dx, dy))

    def within_bbox(self, min_lon: float, min_lat: float, max_lon: float,
                    max_lat: float) -> list[Facility]:
        """Open providers whose point lies in the lon/lat box, in id order."""
        # Only the providers in the box's band of longitudes are looked at: a map viewport at
        # street level holds a sliver of a national registry.
        lo = np.searchsorted(self._lon_sorted, min_lon, side="left")
        hi = np.searchsorted(self._lon_sorted, max_lon, side="right")
        band = self._lon_order[lo:hi]
        lat = self.lat[band]
        inside = np.sort(band[(lat >= min_lat) & (lat <= max_lat)])  # index order is id order
        return [self.facilities[i] for i in inside.tolist()]
