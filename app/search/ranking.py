"""Ranking the providers that can take one child for one programme and window: the search's
own core (:class:`app.search.index.FacilityIndex`), called without Flask.

This is what the parents' search does for ``programme``, ``age_months``, ``start``/``end`` and
``available``: the programme's eligibility rules (the child's age, the family's 시군구 and the
시군 that run it, the provider's kind), opening for the whole window, a fresh report of a free
place, then distance from the point (or from home and work, or the detour of the commute).
The matching engine (:mod:`app.care.matching`) ranks its offers with it, so an offer goes only
to a provider the search would have shown the family.
"""

from __future__ import annotations

from datetime import datetime

from app.domain import DomainError
from app.geo import admin

from .index import MODES, Criteria, FacilityIndex, Hit
from .model import PROGRAMMES


class RankingError(DomainError):
    """Arguments the search cannot rank with; the message names the argument."""


def home_sigungu_code(lon: float, lat: float) -> str:
    """The current 5-digit 시군구 code of the point (WGS84 degrees), ``""`` when it lies in
    none (the sea, another country): the value the search's residence rules and home-visit
    service areas read as ``Criteria.home_sigungu_code``."""
    area = admin.locate([lon], [lat])[0]
    return (area.sigungu_code or "") if area else ""


def rank(index: FacilityIndex, programme: str, age_months: int, start: datetime, end: datetime,
         point: tuple[float, float], now: datetime, limit: int, *,
         home_sigungu: str | None = None, work: tuple[float, float] | None = None,
         mode: str = "home", radius_m: float | None = None, available_only: bool = True) -> list[Hit]:
    """The providers that can take the child, best first (at most ``limit``).

    Parameters
    ----------
    programme : one of :data:`app.search.model.PROGRAMMES`.
    age_months : the child's age in whole months on the first day of the window.
    start, end : the window ``[start, end)``, aware datetimes; the provider must be open for all
        of it (hours read in the registry's zone, whatever zone these are given in).
    point : (lon, lat) in WGS84 degrees, the family's home (or the place care is needed).
    now : aware; the time against which the freshness of reports is judged.
    home_sigungu : the 시군구 code of the family's home (``""``: in none); ``None`` looks it up
        from ``point`` (:func:`home_sigungu_code`).
    work, mode : as :meth:`FacilityIndex.nearest` (``home``, ``either``, ``commute``).
    radius_m : the farthest provider, metres (the detour in ``commute``); ``None`` for no limit.
    available_only : only providers with a fresh report of a free place in the programme.

    Returns the search's :class:`~app.search.index.Hit` list: home-visit providers (which come
    to the family, ``distance_m`` None) first, then sited ones nearest first, ties by id.
    Raises :class:`RankingError` for an unknown programme or mode, naive times or an empty window.
    """
    if programme not in PROGRAMMES:
        raise RankingError(f"unknown programme {programme!r}; programmes: {', '.join(PROGRAMMES)}")
    if mode not in MODES:
        raise RankingError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    for name, value in (("start", start), ("end", end), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise RankingError(f"{name} must carry a time zone")
    if end <= start:
        raise RankingError("end must be after start")
    if limit < 1:
        raise RankingError(f"limit must be at least 1, not {limit}")
    if home_sigungu is None:
        home_sigungu = home_sigungu_code(*point)
    tz = index.locale.tz
    criteria = Criteria(programmes=frozenset({programme}), age_months=age_months,
                        start=start.astimezone(tz), end=end.astimezone(tz),
                        available_only=available_only, home_sigungu_code=home_sigungu)
    return index.nearest(point[0], point[1], criteria, now.astimezone(tz), limit, radius_m=radius_m,
                         work=work, mode=mode)
