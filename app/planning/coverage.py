"""Distance to the nearest provider and the share of children within set distances.

A batch nearest-neighbour query (scipy cKDTree) over points in metres: the floor for this
problem is the tree query itself, a few microseconds per demand point.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def nearest_distance_m(demand_xy: np.ndarray, supply_xy: np.ndarray) -> np.ndarray:
    """Straight-line distance (m) from each demand point to the nearest supply point; ``inf``
    for every point when there is no supply. Both arrays are (n, 2) in a metric CRS."""
    demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
    supply_xy = np.asarray(supply_xy, float).reshape(-1, 2)
    if len(supply_xy) == 0:
        return np.full(len(demand_xy), np.inf)
    dist, _ = cKDTree(supply_xy).query(demand_xy, k=1)
    return dist


def share_within(distance_m: np.ndarray, children: np.ndarray, threshold_m: float,
                 groups: np.ndarray | None = None, n_groups: int | None = None) -> np.ndarray:
    """Share of children within ``threshold_m`` (distance <= threshold), overall (a 1-element
    array) or per group (``groups``: integer group of each point). NaN where a group has no
    children."""
    children = np.asarray(children, float)
    near = children * (np.asarray(distance_m) <= threshold_m)
    if groups is None:
        total = children.sum()
        return np.array([near.sum() / total if total > 0 else np.nan])
    total = np.bincount(groups, weights=children, minlength=n_groups or 0)
    covered = np.bincount(groups, weights=near, minlength=n_groups or 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, covered / total, np.nan)


def estimate_pairs(from_xy: np.ndarray, to_xy: np.ndarray, radius_m: float,
                   sample: int = 512) -> float:
    """About how many (from, to) point pairs lie within ``radius_m`` of each other: the work
    of a site suggestion (candidates × demand, the coverage matrix's non-zeros) or of a floating
    catchment (demand × providers). Counted exactly for ``sample`` of the ``from`` points spread
    evenly over the array and scaled (deterministic; exact when there are no more points than
    ``sample``); takes milliseconds. Points (n, 2) in metres."""
    from_xy = np.asarray(from_xy, float).reshape(-1, 2)
    to_xy = np.asarray(to_xy, float).reshape(-1, 2)
    if len(from_xy) == 0 or len(to_xy) == 0:
        return 0.0
    pick = np.unique(np.linspace(0, len(from_xy) - 1, min(sample, len(from_xy))).astype(np.int64))
    counts = cKDTree(to_xy).query_ball_point(from_xy[pick], r=radius_m, return_length=True)
    return float(np.mean(counts)) * len(from_xy)
