"""Supply for one kind of care at one time of day: where the providers are and how many places.

Places are the registered capacity (default) or the vacancies providers reported, when the
figure is fresher than the maximum age (a stale or missing figure counts as 0 places and is
counted in ``unknown_places``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from app.domain import DomainError
from app.geo.crs import to_metric
from app.planning.periods import open_for, windows
from app.planning.settings import services
from app.search.locale import KOREA, RegistryLocale
from app.search.model import Facility

SUPPLY_VALUES = ("capacity", "vacancies")


class SupplyError(DomainError):
    """An unknown service or supply value."""


@dataclass
class Supply:
    """Providers of one service open in one period: points (EPSG:5179 m) and places."""

    ids: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    places: np.ndarray
    sigungu_code: np.ndarray
    emd_code: np.ndarray
    service_areas: list[frozenset[str]]  # 시군구 served, for providers that come to the family
    unknown_places: int = 0

    def __len__(self) -> int:
        return len(self.ids)


def serves(facility: Facility, service: str) -> bool:
    """True when an open provider offers this service (a kind or a programme)."""
    spec = services().get(service)
    if spec is None:
        raise SupplyError(f"unknown service {service!r}; allowed: {', '.join(services())}")
    if not facility.is_open_status:
        return False
    if "kinds" in spec and facility.kind in spec["kinds"]:
        return True
    return bool(set(spec.get("programmes", ())) & facility.programmes)


def build_supply(facilities: Sequence[Facility], service: str, period: str | None,
                 week_of: date, value: str = "capacity",
                 vacancies: Callable[[Facility, str], int | None] | None = None,
                 locale: RegistryLocale = KOREA) -> Supply:
    """The supply of ``service`` open for the whole of ``period`` (``None``: any time), in the
    registry's zone and holiday calendar (``locale``).

    ``vacancies(facility, service)`` gives the fresh reported places or ``None``; needed when
    ``value == "vacancies"``.
    """
    if value not in SUPPLY_VALUES:
        raise SupplyError(f"supply value {value!r} is not one of {', '.join(SUPPLY_VALUES)}")
    wins = windows(period, week_of, locale) if period else []
    # Many providers keep the same hours: decide once per distinct week (hours are values).
    is_open: dict[object, bool] = {}

    def open_now(f: Facility) -> bool:
        if f.hours not in is_open:
            is_open[f.hours] = open_for(f, wins, locale)
        return is_open[f.hours]

    chosen = [f for f in facilities if serves(f, service) and (not wins or open_now(f))]
    places, unknown = [], 0
    for f in chosen:
        n = f.capacity if value == "capacity" else (vacancies(f, service) if vacancies else None)
        if n is None:
            unknown += 1
            n = 0
        places.append(n)
    x, y = to_metric(np.array([f.lon for f in chosen], float), np.array([f.lat for f in chosen], float))
    return Supply(
        ids=np.array([f.id for f in chosen], dtype=object), x_m=np.asarray(x, float),
        y_m=np.asarray(y, float), places=np.asarray(places, float),
        sigungu_code=np.array([f.sigungu_code or "" for f in chosen], dtype=object),
        emd_code=np.array([f.emd_code or "" for f in chosen], dtype=object),
        service_areas=[f.service_area_sigungu_codes for f in chosen], unknown_places=unknown)
