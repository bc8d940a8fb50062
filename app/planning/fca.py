"""Two-step floating catchment area measures (2SFCA and enhanced 2SFCA).

Step 1, per provider j: R_j = S_j / Σ_i P_i·W(d_ij) over demand i in j's catchment.
Step 2, per demand point i: A_i = Σ_j R_j·W(d_ij) over providers in i's catchment.
A_i is places per child. W is a step function over distance bands, upper edges included
(d <= edge), 0 beyond the last edge: 2SFCA is one band with weight 1; E2SFCA (Luo & Qi 2009)
uses 1.00 / 0.68 / 0.22 over three bands. A provider with no demand in its catchment offers
its places to nobody (R_j = 0).

Functions take plain arrays (``from_cost_pairs``) or points (``catchment_pairs`` builds the
pairs with a k-d tree), after pysal/access's ``fca.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from app.domain import DomainError


class FcaError(DomainError):
    """Bands and weights that do not describe a step function."""


def step_weights(distance_m: np.ndarray, bands_m: Sequence[float],
                 weights: Sequence[float]) -> np.ndarray:
    """W(d): the weight of the first band whose upper edge is >= d; 0 beyond the last."""
    bands = np.asarray(bands_m, float)
    w = np.asarray(weights, float)
    if len(bands) == 0 or len(bands) != len(w):
        raise FcaError("bands_m and weights must be non-empty and of the same length")
    if np.any(np.diff(bands) <= 0) or bands[0] <= 0:
        raise FcaError("bands_m must be increasing distances > 0")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise FcaError("weights must be finite and >= 0")
    idx = np.searchsorted(bands, np.asarray(distance_m, float), side="left")
    out = np.zeros(len(idx))
    inside = idx < len(bands)
    out[inside] = w[idx[inside]]
    return out


def catchment_pairs(demand_xy: np.ndarray, supply_xy: np.ndarray, max_m: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (demand i, supply j, distance m) with distance <= ``max_m`` (``inf``: all pairs)."""
    demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
    supply_xy = np.asarray(supply_xy, float).reshape(-1, 2)
    if len(demand_xy) == 0 or len(supply_xy) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    if not np.isfinite(max_m):
        i, j = (a.ravel() for a in np.meshgrid(np.arange(len(demand_xy)), np.arange(len(supply_xy)),
                                                indexing="ij"))
        return i, j, np.hypot(*(demand_xy[i] - supply_xy[j]).T)
    hits = cKDTree(supply_xy).query_ball_point(demand_xy, r=max_m, return_sorted=False)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    i = np.repeat(np.arange(len(demand_xy)), counts)
    j = np.fromiter((x for h in hits for x in h), dtype=np.int64, count=int(counts.sum()))
    d = np.hypot(*(demand_xy[i] - supply_xy[j]).T)
    return i, j, d


def from_cost_pairs(demand: np.ndarray, supply: np.ndarray, i: np.ndarray, j: np.ndarray,
                    weight: np.ndarray) -> np.ndarray:
    """Accessibility A_i (places per child) from demand P_i, supply S_j and weighted pairs
    (i, j, W(d_ij)); pairs with weight 0 are outside the catchment."""
    demand = np.asarray(demand, float)
    supply = np.asarray(supply, float)
    weighted_demand = np.bincount(j, weights=demand[i] * weight, minlength=len(supply))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(weighted_demand > 0, supply / weighted_demand, 0.0)
    return np.bincount(i, weights=ratio[j] * weight, minlength=len(demand))


def two_step_fca(demand: np.ndarray, supply: np.ndarray, demand_xy: np.ndarray,
                 supply_xy: np.ndarray, bands_m: Sequence[float] = (1500.0,),
                 weights: Sequence[float] = (1.0,)) -> np.ndarray:
    """2SFCA (one band, weight 1) or E2SFCA (several bands) from points in metres."""
    i, j, d = catchment_pairs(demand_xy, supply_xy, float(bands_m[-1]))
    return from_cost_pairs(demand, supply, i, j, step_weights(d, bands_m, weights))
