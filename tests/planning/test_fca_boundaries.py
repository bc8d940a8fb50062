"""Boundaries of the planning measures that the hand examples do not reach (issue 12, item 24):
totals of 0 and 1 child, band weights of 0, repeated and tiny band edges, empty inputs, a
provider with no demand and one with no places. Every answer here is checkable by hand."""

from decimal import Decimal

import numpy as np
import pytest

from app.planning import coverage, fca


class TestShareWithin:
    def test_no_children_is_nan_not_zero(self):
        # 0 / 0 is no share at all (and must not warn: pytest turns warnings into errors).
        assert np.isnan(coverage.share_within([100.0], [0], 500)[0])
        assert np.isnan(coverage.share_within(np.zeros(0), np.zeros(0), 500)[0])

    def test_one_child(self):
        assert coverage.share_within([100.0], [1], 500)[0] == 1.0
        assert coverage.share_within([600.0], [1], 500)[0] == 0.0

    def test_groups_of_zero_and_one_child(self):
        dist = np.array([100.0, 900.0, 100.0, 100.0])
        kids = np.array([1, 0, 0, 3])
        groups = np.array([0, 0, 1, 2])
        share = coverage.share_within(dist, kids, 500, groups, 4)
        assert share[0] == 1.0  # one child, near
        assert np.isnan(share[1])  # a group whose only cell has no children
        assert share[2] == 1.0
        assert np.isnan(share[3])  # a group with no cells

    def test_one_child_far(self):
        share = coverage.share_within(np.array([900.0]), np.array([1]), 500, np.array([0]), 1)
        assert share.tolist() == [0.0]


class TestNearestDistance:
    def test_one_point_as_a_flat_pair(self):
        # A single (x, y) is one point, not two.
        assert coverage.nearest_distance_m([0, 0], [[3, 4], [30, 40]]).tolist() == [5.0]
        assert coverage.nearest_distance_m([[0, 0], [33, 44]], [3, 4]).tolist() == [5.0, 50.0]

    def test_no_demand(self):
        assert coverage.nearest_distance_m(np.zeros((0, 2)), [[1, 1]]).shape == (0,)


class TestStepWeights:
    def test_zero_weight_is_allowed_and_gives_zero(self):
        w = fca.step_weights([100, 700, 1200], (500, 1000, 1500), (1.0, 0.0, 0.22))
        assert w.tolist() == [1.0, 0.0, 0.22]
        assert fca.step_weights([10], (500,), (0,)).tolist() == [0.0]

    def test_repeated_band_edge_is_refused(self):
        # The whole message (anchored), so a changed message is noticed too.
        with pytest.raises(fca.FcaError, match=r"^bands_m must be increasing distances > 0$"):
            fca.step_weights([1.0], (500, 500, 1000), (1, 0.5, 0.2))

    def test_close_band_edges_and_a_first_edge_of_1_m_are_fine(self):
        # Increasing by half a metre is increasing; 1 m is a distance > 0.
        assert fca.step_weights([500.2, 500.5, 0.5], (1, 500, 500.5),
                                (1.0, 0.5, 0.25)).tolist() == [0.25, 0.25, 1.0]

    @pytest.mark.parametrize("bands", [(0, 500), (-1, 500)])
    def test_first_edge_must_be_positive(self, bands):
        with pytest.raises(fca.FcaError, match="bands_m must be increasing distances > 0"):
            fca.step_weights([1.0], bands, (1, 1))

    def test_unsigned_band_edges_are_checked_as_numbers(self):
        # 500 then 400 as uint16: np.diff would wrap around to 65,436 without the float cast.
        with pytest.raises(fca.FcaError, match="bands_m must be increasing"):
            fca.step_weights([1.0], np.array([500, 400], dtype=np.uint16), (1, 1))

    @pytest.mark.parametrize("bands, weights", [((), ()), ((500, 1000), (1,)), ((500,), (1, 1))])
    def test_lengths(self, bands, weights):
        with pytest.raises(fca.FcaError,
                           match=r"^bands_m and weights must be non-empty and of the same length$"):
            fca.step_weights([1.0], bands, weights)

    @pytest.mark.parametrize("weight", [-0.01, np.nan, np.inf])
    def test_weights_finite_and_not_negative(self, weight):
        with pytest.raises(fca.FcaError, match=r"^weights must be finite and >= 0$"):
            fca.step_weights([1.0], (500, 1000), (1.0, weight))


class TestCatchmentPairs:
    def test_pairs_within_max_inclusive(self):
        d = np.array([[0.0, 0.0], [1000.0, 0.0]])
        s = np.array([[300.0, 400.0], [0.0, 2000.0]])  # 500 m and 2,000 m from the first area
        i, j, dist = fca.catchment_pairs(d, s, 500)
        assert sorted(zip(i.tolist(), j.tolist(), dist.tolist(), strict=True)) == [(0, 0, 500.0)]
        i, j, dist = fca.catchment_pairs(d, s, np.inf)
        got = sorted(zip(i.tolist(), j.tolist(), np.round(dist, 6).tolist(), strict=True))
        assert got == [(0, 0, 500.0), (0, 1, 2000.0),
                       (1, 0, round(float(np.hypot(700, 400)), 6)),
                       (1, 1, round(float(np.hypot(1000, 2000)), 6))]

    def test_flat_pairs_are_one_point(self):
        i, j, dist = fca.catchment_pairs([0, 0], [3, 4], 10)
        assert (i.tolist(), j.tolist(), dist.tolist()) == ([0], [0], [5.0])

    def test_unsigned_coordinates(self):
        # Grid coordinates as uint16: differences must not wrap around.
        d = np.array([[0, 0]], dtype=np.uint16)
        s = np.array([[3, 4]], dtype=np.uint16)
        for max_m in (10, np.inf):
            assert fca.catchment_pairs(d, s, max_m)[2].tolist() == [5.0]

    @pytest.mark.parametrize("n_demand, n_supply", [(0, 2), (2, 0), (0, 0)])
    def test_empty(self, n_demand, n_supply):
        i, j, dist = fca.catchment_pairs(np.zeros((n_demand, 2)), np.ones((n_supply, 2)), 500)
        assert (len(i), len(j), len(dist)) == (0, 0, 0)
        assert i.dtype.kind == j.dtype.kind == "i"  # usable as indices
        assert fca.two_step_fca(np.ones(n_demand), np.ones(n_supply), np.zeros((n_demand, 2)),
                                np.ones((n_supply, 2))).tolist() == [0.0] * n_demand


class TestTwoStep:
    def test_one_child(self):
        # One child and one centre of 3 places: 3 places per child.
        assert fca.two_step_fca([1], [3], [[0, 0]], [[100, 0]]).tolist() == [3.0]

    def test_area_without_children_next_to_a_lonely_centre(self):
        # The centre's catchment holds only an area of 0 children: its places go to nobody
        # (R = 0), so the empty area scores 0, not infinity or NaN.
        a = fca.two_step_fca([0, 50], [10, 5], [[0, 0], [10_000, 0]], [[100, 0], [10_000, 100]])
        assert a.tolist() == [0.0, 0.1]

    def test_centre_with_no_places_and_no_children(self):
        # 0 places / 0 children is 0 (not NaN, and no warning).
        a = fca.two_step_fca([0, 20], [0, 4], [[0, 0], [10_000, 0]], [[100, 0], [10_000, 100]])
        assert a.tolist() == [0.0, 0.2]

    def test_zero_weight_band_is_outside_the_catchment(self):
        # Bands 500 (weight 1) and 1,000 (weight 0): the area at 800 m neither takes places nor
        # counts as demand; the near area of 20 children shares all 10 places.
        a = fca.two_step_fca([20, 30], [10], [[0, 0], [800, 0]], [[0, 0]], (500, 1000), (1, 0))
        assert a.tolist() == [0.5, 0.0]

    def test_default_catchment_is_1500_m_inclusive(self):
        a = fca.two_step_fca([10, 10], [4], [[0, 0], [0, 3000.5]], [[0, 1500]])
        assert a.tolist() == [0.4, 0.0]  # 1,500 m in; 1,500.5 m out


class TestEstimatePairs:
    FROM = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 0.0]])
    TO = np.array([[0.0, 5.0], [10.0, 5.0]])

    def test_exact_when_every_point_is_sampled(self):
        # Each of the first two points has one partner at exactly 5 m (inclusive); the third none.
        assert coverage.estimate_pairs(self.FROM, self.TO, 5.0) == 2.0
        assert coverage.estimate_pairs(self.FROM, self.TO, 4.99) == 0.0
        assert coverage.estimate_pairs(self.FROM, self.TO, 12.0) == 4.0

    def test_sample_spread_evenly_and_scaled(self):
        # A sample of 2 of the 3 points takes the first and the last: (1 + 0) / 2 x 3 points.
        assert coverage.estimate_pairs(self.FROM, self.TO, 5.0, sample=2) == 1.5
        assert coverage.estimate_pairs(self.FROM, self.TO, 5.0, sample=1) == 3.0

    def test_flat_pairs_and_empty_sides(self):
        assert coverage.estimate_pairs([0, 0], [3, 4], 5) == 1.0
        assert coverage.estimate_pairs(np.zeros((0, 2)), self.TO, 5.0) == 0.0
        assert coverage.estimate_pairs(self.FROM, np.zeros((0, 2)), 5.0) == 0.0


class TestDecimalInputs:
    """Counts and coordinates read from a database's NUMERIC columns arrive as Decimal (psycopg
    does this): the measures take them as numbers and answer in floats."""

    def test_share_within(self):
        share = coverage.share_within([100.0, 900.0], [Decimal(1), Decimal(3)], 500)
        assert share.dtype == np.float64 and share.tolist() == [0.25]

    def test_two_step_fca(self):
        a = fca.two_step_fca([Decimal(20), Decimal(30)], [Decimal(10)], [[0, 0], [400, 0]],
                             [[0, 0]])
        assert a.dtype == np.float64 and a.tolist() == [0.2, 0.2]

    def test_catchment_pairs(self):
        d = [[Decimal(0), Decimal(0)]]
        s = [[Decimal(3), Decimal(4)]]
        for max_m in (10, np.inf):
            assert fca.catchment_pairs(d, s, max_m)[2].tolist() == [5.0]

    def test_step_weights(self):
        assert fca.step_weights([Decimal(600)], (500, 1000),
                                (Decimal(1), Decimal("0.5"))).tolist() == [0.5]

    def test_default_sample_is_512_points(self):
        # 1,000 points on a line, every third with a partner: the default samples 512 of them.
        line = np.column_stack([np.arange(1000.0) * 10, np.zeros(1000)])
        partners = line[::3] + np.array([0.0, 1.0])
        default = coverage.estimate_pairs(line, partners, 1.0)
        assert default == coverage.estimate_pairs(line, partners, 1.0, sample=512)
        assert default != coverage.estimate_pairs(line, partners, 1.0, sample=513)
        assert coverage.estimate_pairs(line, partners, 1.0, sample=1000) == 334.0
