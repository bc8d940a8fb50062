"""The numeric core: nearest distances, 2SFCA/E2SFCA (invariants, PySAL access), deserts."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.planning import coverage, deserts, fca

points = st.lists(st.tuples(st.floats(0, 5_000), st.floats(0, 5_000)), min_size=1, max_size=25)


class TestNearest:
    @settings(max_examples=60, deadline=None)
    @given(points, points)
    def test_equals_brute_force(self, demand, supply):
        d, s = np.array(demand), np.array(supply)
        brute = np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(-1)).min(axis=1)
        assert np.allclose(coverage.nearest_distance_m(d, s), brute, atol=1e-6)

    def test_no_supply_is_infinitely_far(self):
        assert np.isinf(coverage.nearest_distance_m([[0, 0]], np.zeros((0, 2)))).all()

    def test_share_within_by_hand(self):
        dist = np.array([100, 600, 1500, 2500])
        kids = np.array([10, 20, 30, 40])
        assert coverage.share_within(dist, kids, 500)[0] == pytest.approx(0.1)
        assert coverage.share_within(dist, kids, 600)[0] == pytest.approx(0.3)  # edge counts
        groups = np.array([0, 0, 1, 1])
        assert np.allclose(coverage.share_within(dist, kids, 1000, groups, 3)[:2], [1.0, 0.0])
        assert np.isnan(coverage.share_within(dist, kids, 1000, groups, 3)[2])


class TestFca:
    def test_hand_example(self):
        # Two areas of 100 and 300 children, one provider of 40 places within reach of both:
        # R = 40 / 400 = 0.1 places per child for everyone.
        a = fca.two_step_fca([100, 300], [40], [[0, 0], [1000, 0]], [[500, 0]], (600,), (1,))
        assert np.allclose(a, [0.1, 0.1])
        # E2SFCA with bands 0-500 (1.0), 500-1000 (0.5): the far area weighs half.
        a = fca.two_step_fca([100, 300], [40], [[0, 0], [1000, 0]], [[400, 0]], (500, 1000),
                             (1.0, 0.5))
        r = 40 / (100 * 1.0 + 300 * 0.5)
        assert np.allclose(a, [r * 1.0, r * 0.5])

    def test_band_edges_are_inclusive(self):
        assert list(fca.step_weights([0, 500, 500.01, 1500, 1500.01], (500, 1000, 1500),
                                     (1, 0.68, 0.22))) == [1, 1, 0.68, 0.22, 0]

    @pytest.mark.parametrize("bands, weights, rule", [
        ((), (), "non-empty and of the same length"),
        ((500, 400), (1, 1), "increasing distances > 0"),
        ((500,), (-1,), "weights must be finite and >= 0"),
    ])
    def test_bad_bands(self, bands, weights, rule):
        with pytest.raises(fca.FcaError, match=rule):
            fca.step_weights([1.0], bands, weights)

    @settings(max_examples=50, deadline=None)
    @given(points, points, st.integers(0, 2**31))
    def test_invariant_weight_one(self, demand_xy, supply_xy, seed):
        # With weight 1 and every provider having demand in its catchment, Σ P_i·A_i = Σ S_j.
        rng = np.random.default_rng(seed)
        pop = rng.integers(1, 200, len(demand_xy)).astype(float)
        sup = rng.integers(1, 80, len(supply_xy)).astype(float)
        d, s = np.array(demand_xy), np.array(supply_xy)
        i, j, _dist = fca.catchment_pairs(d, s, 3000)
        reached = np.isin(np.arange(len(s)), j)
        a = fca.from_cost_pairs(pop, sup, i, j, np.ones(len(i)))
        assert (pop * a).sum() == pytest.approx(sup[reached].sum())

    @settings(max_examples=50, deadline=None)
    @given(points, points, st.integers(0, 2**31))
    def test_invariant_unlimited_catchment(self, demand_xy, supply_xy, seed):
        rng = np.random.default_rng(seed)
        pop = rng.integers(1, 200, len(demand_xy)).astype(float)
        sup = rng.integers(1, 80, len(supply_xy)).astype(float)
        i, j, _ = fca.catchment_pairs(np.array(demand_xy), np.array(supply_xy), np.inf)
        a = fca.from_cost_pairs(pop, sup, i, j, np.ones(len(i)))
        assert np.allclose(a, sup.sum() / pop.sum())

    @pytest.mark.parametrize("seed", range(5))
    @pytest.mark.filterwarnings("ignore:The inplace keyword")
    def test_matches_pysal_access(self, seed):
        access = pytest.importorskip("access")
        rng = np.random.default_rng(seed)
        d = rng.uniform(0, 3000, (30, 2))
        s = rng.uniform(0, 3000, (8, 2))
        pop = rng.integers(10, 300, 30).astype(float)
        sup = rng.integers(5, 60, 8).astype(float)
        i, j, dist = fca.catchment_pairs(d, s, np.inf)
        cost = pd.DataFrame({"origin": i, "dest": j, "cost": dist})
        a = access.Access(demand_df=pd.DataFrame({"i": np.arange(30), "pop": pop}),
                          demand_index="i", demand_value="pop",
                          supply_df=pd.DataFrame({"j": np.arange(8), "places": sup}),
                          supply_index="j", supply_value="places",
                          cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
        theirs = a.two_stage_fca(name="t", max_cost=1500, normalize=False)["t_places"]
        theirs = theirs.reindex(range(30)).to_numpy()
        ours = fca.two_step_fca(pop, sup, d, s, (1500,), (1,))
        assert np.allclose(np.nan_to_num(theirs), ours)
        bands, weights = (500, 1000, 1500), (1.0, 0.68, 0.22)
        theirs = a.enhanced_two_stage_fca(
            name="e", max_cost=1500, normalize=False,
            weight_fn=access.weights.step_fn(dict(zip(bands, weights, strict=True)))
        )["e_places"].reindex(range(30)).to_numpy()
        ours = fca.two_step_fca(pop, sup, d, s, bands, weights)
        assert np.allclose(np.nan_to_num(theirs), ours)


class TestDeserts:
    @pytest.mark.parametrize("children, places, desert", [
        (50, 0, False),   # not more than 50 children
        (51, 0, True),    # no places
        (51, 17, False),  # 51 = 3 x 17: not more than three per place
        (52, 17, True),
        (1000, 400, False),
    ])
    def test_cap_rule_by_hand(self, children, places, desert):
        assert deserts.is_desert([children], [places])[0] == desert

    def test_thresholds_are_parameters(self):
        assert deserts.is_desert([30], [5], min_children=20, max_children_per_place=5)[0]
        assert not deserts.is_desert([30], [5], min_children=20, max_children_per_place=6)[0]
