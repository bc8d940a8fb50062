"""Why a search found nothing, and the nearest provider without the condition that failed.

A parent who gets an empty list needs to know what to change: that the programme is not for a
child of this age, or not run in the family's 시군 (``programmes.json``'s eligibility rules),
or that no provider is open for the whole window. :func:`diagnose` answers with the rules the
family does not meet and, trying one condition at a time in the order a family would most
readily give it up, the nearest provider found without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from app.geo.admin import gyeonggi_siguns
from app.geo.landmarks import english_area
from app.search.index import Criteria, FacilityIndex, Hit
from app.search.model import programme_rules, sigun_code

# Conditions tried one at a time, in order: (name, does the search use it, the search without).
# Never the child's age: a provider that cannot take the child is no answer.
RELAXATIONS: tuple[tuple[str, Callable[[Criteria], bool], Callable[[Criteria], Criteria]], ...] = (
    ("available", lambda c: c.available_only, lambda c: replace(c, available_only=False)),
    ("window", lambda c: c.start is not None, lambda c: replace(c, start=None, end=None)),
    ("services", lambda c: bool(c.services), lambda c: replace(c, services=None)),
    ("programme", lambda c: bool(c.programmes), lambda c: replace(c, programmes=None)),
    ("kind", lambda c: c.kinds is not None, lambda c: replace(c, kinds=None)),
    ("region", lambda c: c.region is not None, lambda c: replace(c, region=None)),
)


@dataclass(frozen=True)
class Diagnosis:
    """``reasons``: the programme rules the family does not meet, each a dict with ``code``
    (``programme_age``, ``programme_not_in_sigun`` or ``programme_residence``), ``programme``
    and, for ages, ``age_min_months``/``age_max_months``, for the home's 시군 ``sigun_name`` and
    ``sigun_name_en`` (None outside 경기도); ``without``: the first condition
    (a name of :data:`RELAXATIONS`, or ``radius``) whose removal finds a provider, and ``nearest`` that
    provider (None, None when even the plainest search finds nothing)."""

    reasons: list[dict]
    without: str | None
    nearest: Hit | None


def programme_reasons(c: Criteria) -> list[dict]:
    """The eligibility rules (programmes.json) each requested programme fails for this
    family: its ages, whether the home's 시군 runs a programme at home, residence."""
    rules = programme_rules()
    reasons: list[dict] = []
    for p in sorted(c.programmes or ()):
        rule = rules[p]
        if c.age_months is not None and not rule.age_min_months <= c.age_months <= rule.age_max_months:
            reasons.append({"code": "programme_age", "programme": p,
                            "age_min_months": rule.age_min_months, "age_max_months": rule.age_max_months})
        elif c.home_sigungu_code is not None and not rule.family_may_use(None, c.home_sigungu_code):
            home_sigun = sigun_code(c.home_sigungu_code)
            at_home_elsewhere = rule.where == "home" and home_sigun not in rule.sigun_codes
            name = gyeonggi_siguns().get(home_sigun)
            reasons.append({"code": "programme_not_in_sigun" if at_home_elsewhere else "programme_residence",
                            "programme": p, "sigun_name": name,
                            "sigun_name_en": english_area(name) if name else None})
    return reasons


def diagnose(index: FacilityIndex, lon: float, lat: float, c: Criteria, now: datetime,
             radius_m: float | None = None, work: tuple[float, float] | None = None,
             mode: str = "home") -> Diagnosis:
    """For a search (same arguments as :meth:`FacilityIndex.nearest`) that found nothing:
    the failed rules and the nearest provider without one condition. At most one search per
    condition the search uses (seven at most), each for one result."""
    reasons = programme_reasons(c)
    for name, used, without in RELAXATIONS:
        if not used(c):
            continue
        hits = index.nearest(lon, lat, without(c), now, 1, radius_m=radius_m, work=work, mode=mode)
        if hits:
            return Diagnosis(reasons, name, hits[0])
    if radius_m is not None:
        hits = index.nearest(lon, lat, c, now, 1, work=work, mode=mode)
        if hits:
            return Diagnosis(reasons, "radius", hits[0])
    return Diagnosis(reasons, None, None)
