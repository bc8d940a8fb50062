"""Site suggestion (MCLP): hand cases and spopt's exact answer on small cases."""

import numpy as np
import pytest

from app.planning.sites import SiteError, suggest_sites


def test_hand_case_respects_existing_centres():
    # Three clusters of children; an existing centre already covers the biggest one.
    demand = np.array([[0, 0], [10, 0], [5000, 0], [5010, 0], [10000, 0]])
    kids = np.array([100, 100, 60, 60, 50])
    existing = np.array([[0, 5]])
    candidates = np.array([[5, 0], [5005, 0], [10000, 10]])
    s = suggest_sites(demand, kids, existing, candidates, radius_m=100, p=2)
    assert list(s.chosen) == [1, 2]  # the first candidate would add no one
    assert list(s.newly_covered) == [120, 50]
    assert s.covered_before == 200 and s.covered_after == 370
    assert s.share_before == pytest.approx(200 / 370) and s.share_after == 1.0


def test_weights_not_counts():
    demand = np.array([[0, 0], [1000, 0], [1001, 0], [1002, 0]])
    kids = np.array([500, 1, 1, 1])
    s = suggest_sites(demand, kids, np.zeros((0, 2)), np.array([[0, 0], [1001, 0]]), 50, 1)
    assert list(s.chosen) == [0]


@pytest.mark.parametrize("kwargs, message", [
    ({"p": 0}, "p must be"), ({"p": 5}, "p must be"), ({"radius_m": -1}, "radius_m"),
    ({"radius_m": float("nan")}, "radius_m"),
])
def test_bad_input(kwargs, message):
    args = dict(demand_xy=[[0, 0]], children=[1], existing_xy=np.zeros((0, 2)),
                candidate_xy=[[0, 0], [1, 1]], radius_m=10, p=1)
    args.update(kwargs)
    with pytest.raises(SiteError, match=message):
        suggest_sites(**args)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("method", ["greedy", "exact", "auto"])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # spopt uses PuLP 3 calls PuLP 4 drops
def test_matches_spopt_exact_mclp(seed, method):
    spopt = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 4000, (60, 2))
    kids = rng.integers(1, 100, 60).astype(float)
    existing = rng.uniform(0, 4000, (2, 2))
    candidates = rng.uniform(0, 4000, (25, 2))
    radius, p = 700.0, 3
    ours = suggest_sites(demand, kids, existing, candidates, radius, p, method=method)

    sites = np.vstack([existing, candidates])
    cost = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    fixed = np.r_[np.ones(2), np.zeros(25)].astype(int)
    model = spopt.MCLP.from_cost_matrix(cost, kids, service_radius=radius, p_facilities=p + 2,
                                        predefined_facilities_arr=fixed)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    chosen = [k for k in range(len(sites)) if model.fac_vars[k].value() > 0.5]
    exact = float(kids[(cost[:, chosen] <= radius).any(axis=1)].sum())
    if method == "greedy":  # a heuristic: never above the optimum, and close to it here
        assert exact * 0.95 <= ours.covered_after <= exact + 1e-9
    else:
        assert ours.covered_after == pytest.approx(exact)
        assert ours.proven_optimal



# Instances (seed, p) of the generator below whose greedy answer (with swaps) is NOT optimal,
# found by trying seeds 0-399 against the brute force: there the exact step must find what the
# greedy one missed, so a candidate wrongly left out of the programme shows.
GREEDY_MISSES = [(10, 2), (76, 2), (76, 3), (87, 2), (110, 3), (138, 3), (294, 3), (317, 3)]


@pytest.mark.parametrize("seed,p", GREEDY_MISSES)
def test_exact_equals_every_choice_tried_where_greedy_falls_short(seed, p):
    """The exact answer covers what the best of every p-subset covers (brute force, distances
    computed here), on instances where the greedy answer covers less: leaving out candidates
    that cannot beat the greedy answer (``_exact``) loses nothing."""
    import itertools

    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 3000, (30, 2))
    kids = rng.integers(1, 60, 30).astype(float)
    candidates = rng.uniform(0, 3000, (10, 2))
    radius = 700.0
    within = np.sqrt(((demand[:, None, :] - candidates[None, :, :]) ** 2).sum(-1)) <= radius
    best = max(float(kids[within[:, list(c)].any(axis=1)].sum())
               for c in itertools.combinations(range(len(candidates)), p))
    greedy = suggest_sites(demand, kids, np.empty((0, 2)), candidates, radius, p, method="greedy")
    assert greedy.covered_after < best  # the instance is one the exact step must improve on
    ours = suggest_sites(demand, kids, np.empty((0, 2)), candidates, radius, p, method="exact")
    assert ours.covered_after == pytest.approx(best)
    assert ours.proven_optimal
