"""Where the next centres should go: the maximal covering location problem (MCLP).

Given demand points with weights (children), the centres that exist (kept fixed), candidate
sites and a service radius, choose ``p`` candidates that maximise the children newly covered
(within the radius of a chosen site and of no existing centre).

Two methods: ``greedy`` (each step takes the site adding the most children, then single swaps
until no swap improves the total; fast, usually within a few per cent of the optimum) and
``exact`` (the MCLP integer programme solved by CBC through PuLP, started from the greedy
answer, stopped at a time limit with the best answer found). ``auto`` runs both and keeps the
better. The tests compare both with spopt's exact MCLP on small cases. Coverage is reported
weighted by children, not as a count of points.

Cost: the work grows with the candidate–demand pairs within the radius (the non-zeros of the
coverage matrix) times ``p``; :func:`estimate_pairs` predicts the pairs from a sample of
candidates in milliseconds, so a caller can refuse or defer a request before building anything.
``deadline_s`` bounds the whole run: swap passes stop and CBC's time limit shrinks to fit it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from app.domain import DomainError
from app.planning.coverage import estimate_pairs  # noqa: F401  (part of this module's API)

if TYPE_CHECKING:
    import pulp


class SiteError(DomainError):
    """Inputs the site suggestion cannot use (the message says which and what is allowed)."""


@dataclass
class SiteSuggestion:
    """The chosen candidates (indices into the candidate array) and what they add."""

    chosen: np.ndarray  # candidate indices, in the order each adds the most
    newly_covered: np.ndarray  # children newly covered by each chosen site, in that order
    covered_before: float  # children within the radius of an existing centre
    covered_after: float
    total_children: float
    method: str = "greedy"  # which method's answer this is
    proven_optimal: bool = False  # CBC proved no choice covers more

    stopped_early: bool = False  # the deadline ended the swap passes before they settled

    @property
    def share_before(self) -> float:
        """Demand-weighted coverage before (share of all children)."""
        return self.covered_before / self.total_children if self.total_children else float("nan")

    @property
    def share_after(self) -> float:
        """Demand-weighted coverage with the chosen sites added."""
        return self.covered_after / self.total_children if self.total_children else float("nan")


#: candidates queried at a time when building the coverage matrix (bounds the Python lists
#: ``query_ball_point`` makes to one chunk's pairs)
_CHUNK = 2048


def coverage_matrix(candidate_xy: np.ndarray, demand_xy: np.ndarray, radius_m: float
                    ) -> sparse.csr_matrix:
    """A (candidates × demand) 0/1 matrix: demand point within ``radius_m`` of the candidate."""
    candidate_xy = np.asarray(candidate_xy, float).reshape(-1, 2)
    demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
    if len(candidate_xy) == 0 or len(demand_xy) == 0:
        return sparse.csr_matrix((len(candidate_xy), len(demand_xy)))
    tree = cKDTree(demand_xy)
    counts, indices = [], []
    for start in range(0, len(candidate_xy), _CHUNK):
        hits = tree.query_ball_point(candidate_xy[start:start + _CHUNK], r=radius_m,
                                     return_sorted=False)
        n = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        counts.append(n)
        indices.append(np.fromiter((x for h in hits for x in h), dtype=np.int64,
                                   count=int(n.sum())))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    idx = np.concatenate(indices)
    return sparse.csr_matrix((np.ones(len(idx)), idx, indptr),
                             shape=(len(candidate_xy), len(demand_xy)))


METHODS = ("auto", "greedy", "exact")

#: ``progress(fraction_done, note)``, called now and then during a long suggestion
Progress = Callable[[float, str], None]


def suggest_sites(demand_xy: np.ndarray, children: np.ndarray, existing_xy: np.ndarray,
                  candidate_xy: np.ndarray, radius_m: float, p: int, method: str = "auto",
                  time_limit_s: float = 40.0, max_swap_passes: int = 20,
                  deadline_s: float | None = None, progress: Progress | None = None,
                  exact_max_pairs: float = float("inf")) -> SiteSuggestion:
    """Choose ``p`` of the candidates (see the module docstring). Arrays are EPSG:5179 m.

    ``time_limit_s``: CBC's time limit (seconds) for ``exact``/``auto``; ``deadline_s``: a
    bound (seconds from now) on the whole run, which ends the swap passes early and shortens
    CBC's limit (the best answer found so far is returned, ``stopped_early`` set);
    ``progress``: called with the share done and a note; ``exact_max_pairs``: the most
    candidate–demand pairs CBC is given (PuLP needs about a minute per million to write the
    model, outside CBC's time limit): ``exact`` beyond it is a :class:`SiteError`, ``auto``
    keeps the greedy answer. Raises :class:`SiteError`.
    """
    started = time.monotonic()
    report = progress or (lambda share, note: None)
    if method not in METHODS:
        raise SiteError(f"method must be one of {', '.join(METHODS)}", "method")
    demand_xy = np.asarray(demand_xy, float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, float).reshape(-1, 2)
    existing_xy = np.asarray(existing_xy, float).reshape(-1, 2)
    w = np.asarray(children, float)
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise SiteError("radius_m must be a distance > 0", "radius_m")
    if p < 1 or p > len(candidate_xy):
        raise SiteError(f"p must be between 1 and the number of candidates ({len(candidate_xy)})", "p")
    if len(existing_xy):
        d, _ = cKDTree(existing_xy).query(demand_xy, k=1, distance_upper_bound=radius_m)
        already = d <= radius_m
    else:
        already = np.zeros(len(demand_xy), bool)
    free = np.where(already, 0.0, w)
    report(0.02, "building the coverage matrix")
    cover = coverage_matrix(candidate_xy, demand_xy, radius_m)
    if method == "exact" and cover.nnz > exact_max_pairs:
        raise SiteError(f"method exact takes at most {exact_max_pairs:,.0f} candidate–demand "
                        f"pairs within radius_m; this suggestion has {cover.nnz:,}: use greedy "
                        "or auto, a smaller radius_m or fewer candidates", "method")

    def left_s() -> float:
        return float("inf") if deadline_s is None else deadline_s - (time.monotonic() - started)

    greedy_share = 0.9 if method == "greedy" else 0.4
    chosen, settled = _greedy_with_swaps(cover, free, p, max_swap_passes, left_s,
                                         lambda f: report(0.05 + greedy_share * f, "greedy"))
    found_by, optimal = "greedy", False
    if method in ("auto", "exact") and left_s() > 1.0 and cover.nnz <= exact_max_pairs:
        report(0.05 + greedy_share, "exact (CBC)")
        exact, optimal = _exact(cover, free, p, chosen, min(time_limit_s, left_s()))
        if method == "exact" or _covered(cover, free, exact) > _covered(cover, free, chosen) + 1e-9:
            chosen, found_by = exact, "exact"
    result = _report(cover, free, w, already, chosen, found_by, optimal)
    result.stopped_early = not settled
    report(1.0, "done")
    return result


def _covered(cover: sparse.csr_matrix, free: np.ndarray, chosen: list[int]) -> float:
    hit = np.asarray(cover[chosen].sum(axis=0)).ravel() > 0
    return float(free @ hit)


def _row(cover: sparse.csr_matrix, k: int) -> np.ndarray:
    """The demand points candidate ``k`` covers (indices, each once)."""
    return cover.indices[cover.indptr[k]:cover.indptr[k + 1]]


def _greedy_with_swaps(cover: sparse.csr_matrix, free: np.ndarray, p: int,
                       max_swap_passes: int, left_s: Callable[[], float],
                       progress: Callable[[float], None]) -> tuple[list[int], bool]:
    """Greedy choice then single swaps; also whether the swaps settled (no deadline hit)."""
    chosen: list[int] = []
    count = np.zeros(cover.shape[1])  # chosen sites covering each point
    for step in range(p):
        gain = cover @ (free * (count == 0))
        gain[chosen] = -1
        best = int(np.argmax(gain))  # the lowest index among equal gains: deterministic
        chosen.append(best)
        count[_row(cover, best)] += 1
        progress(0.5 * (step + 1) / p)

    for done in range(max_swap_passes):
        improved = False
        for slot, s in enumerate(list(chosen)):
            if left_s() <= 0:
                return chosen, False
            without = count.copy()
            without[_row(cover, s)] -= 1
            loss = float(free @ ((count > 0) & (without == 0)))
            gain = cover @ (free * (without == 0))
            gain[chosen] = -1
            t = int(np.argmax(gain))
            if gain[t] > loss + 1e-9:
                chosen[slot] = t
                without[_row(cover, t)] += 1
                count = without
                improved = True
        progress(0.5 + 0.5 * (done + 1) / max_swap_passes)
        if not improved:
            break
    return chosen, True


def _exact(cover: sparse.csr_matrix, free: np.ndarray, p: int, start: list[int],
           time_limit_s: float) -> tuple[list[int], bool]:
    """The MCLP integer programme over the points some candidate can newly cover; points with
    the same set of covering candidates are merged first (same answer, smaller programme).

    Only candidates that can be in an answer as good as ``start`` are given to CBC: ``p`` sites
    cover at most the sum of their own coverages, so a candidate whose coverage plus the ``p −
    1`` largest falls short of ``start``'s total is in no better answer (for a few sites that
    leaves tens of thousands of candidates at tens: the programme is built, written and solved
    in a fraction of the time, and its optimum is the whole programme's)."""
    import pulp

    alone = np.asarray(cover @ free).ravel()  # what each candidate covers by itself
    floor = _covered(cover, free, start)
    best_others = float(np.sort(alone)[::-1][:p - 1].sum())
    keep = alone + best_others >= floor - 1e-9 * max(1.0, floor)
    keep[start] = True
    kept = np.flatnonzero(keep)
    cols = cover[kept].tocsc()
    useful = np.flatnonzero((free > 0) & (np.diff(cols.indptr) > 0))
    groups: dict[tuple[int, ...], float] = {}
    for i in useful:
        key = tuple(cols.indices[cols.indptr[i]:cols.indptr[i + 1]])
        groups[key] = groups.get(key, 0.0) + float(free[i])
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, cat="Integer") for j in kept]
    y = [prob.add_variable(f"y{g}", 0, 1) for g in range(len(groups))]
    prob += pulp.lpSum(w * y[g] for g, w in enumerate(groups.values()))
    for g, key in enumerate(groups):
        prob += y[g] <= pulp.lpSum(x[k] for k in key)
    prob += pulp.lpSum(x) == p
    first = set(start)
    for j, var in zip(kept, x, strict=True):
        var.setInitialValue(1 if j in first else 0)
    status = prob.solve(_cbc(time_limit_s))
    chosen = [int(j) for j, var in zip(kept, x, strict=True) if (var.value() or 0) > 0.5]
    if len(chosen) != p:  # no integer answer within the time limit
        return start, False
    optimal = status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
    return chosen, bool(optimal)


def _cbc(time_limit_s: float) -> pulp.COIN_CMD:
    """CBC from the ``cbcbox`` wheel (``pulp[cbc]``): nothing to install from the OS."""
    import cbcbox
    import pulp

    return pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False, timeLimit=time_limit_s,
                         warmStart=True)


def _report(cover: sparse.csr_matrix, free: np.ndarray, w: np.ndarray, already: np.ndarray,
            chosen: list[int], method: str, optimal: bool) -> SiteSuggestion:
    order: list[int] = []
    newly: list[float] = []
    covered = np.zeros(cover.shape[1], bool)
    remaining = list(chosen)
    while remaining:
        gains = []
        for c in remaining:
            idx = _row(cover, c)
            gains.append(float(free[idx[~covered[idx]]].sum()))
        k = int(np.argmax(gains))
        c = remaining.pop(k)
        order.append(c)
        newly.append(gains[k])
        covered[_row(cover, c)] = True
    before = float(w[already].sum())
    return SiteSuggestion(chosen=np.array(order, dtype=np.int64), newly_covered=np.array(newly),
                          covered_before=before, covered_after=before + float(np.sum(newly)),
                          total_children=float(w.sum()), method=method, proven_optimal=optimal)
