"""Age bands to programme ages; the 국가지점번호 grid."""

import numpy as np
import pytest

from app.geo.crs import to_metric
from app.planning import grid
from app.planning.ages import AgeRuleError, AgeSplitRule, children_in_range, year_fractions


class TestAgeSplit:
    def test_even_split_without_zero_counts(self):
        years = AgeSplitRule(use_zero_year_counts=False).single_years([100], [50])
        assert years.shape == (1, 20)
        assert np.allclose(years[0, :10], 10) and np.allclose(years[0, 10:], 5)

    def test_zero_year_count_taken_out_first(self):
        years = AgeSplitRule().single_years([100], [0], [19])
        assert years[0, 0] == 19
        assert np.allclose(years[0, 1:10], 9)  # (100 - 19) / 9

    def test_unknown_zero_count_falls_back_to_even(self):
        years = AgeSplitRule().single_years([100, 100], [0, 0], [np.nan, 28])
        assert years[0, 0] == 10 and years[1, 0] == 28

    def test_weights_are_a_parameter(self):
        rule = AgeSplitRule(within_band_weights=(2,) + (1,) * 9, use_zero_year_counts=False)
        years = rule.single_years([110], [0])
        assert years[0, 0] == 20 and years[0, 1] == 10

    @pytest.mark.parametrize("bad", [(1,) * 9, (-1,) + (1,) * 9, (0,) * 10])
    def test_bad_weights(self, bad):
        with pytest.raises(AgeRuleError, match="ten finite weights"):
            AgeSplitRule(within_band_weights=bad)

    def test_zero_count_above_band_is_refused(self):
        with pytest.raises(AgeRuleError, match="exceeds"):
            AgeSplitRule().single_years([10], [0], [11])

    def test_programme_ages(self):
        # 6 months to 7 years (83 months): half of age 0, ages 1-6 whole.
        f = year_fractions(6, 83)
        assert f[0] == 0.5 and np.all(f[1:7] == 1) and np.all(f[7:] == 0)
        # ages 6-12 (72-155 months) from the 0-9 and 10-19 bands: 4/10 + 3/10.
        years = AgeSplitRule(use_zero_year_counts=False).single_years([1000], [500])
        assert children_in_range(years, 72, 155)[0] == pytest.approx(400 + 150)
        assert year_fractions(3, 155)[0] == 0.75


class TestNationalGrid:
    def test_decode_example(self):
        assert grid.decode("다사642368") == (964_200, 1_936_800, 100)
        assert grid.decode("다사 6423 3680") == (964_230, 1_936_800, 10)
        assert grid.decode("가가11") == (710_000, 1_310_000, 10_000)

    def test_seoul_city_hall_is_in_dasa(self):
        x, y = to_metric(126.978, 37.5665)
        code = grid.encode(x, y, 2)
        assert code.startswith("다사")
        east, north, size = grid.decode(code)
        assert east <= x < east + size and north <= y < north + size and size == 1000

    @pytest.mark.parametrize("digits", [1, 2, 3, 4])
    def test_round_trip(self, digits):
        rng = np.random.default_rng(1)
        for x, y in rng.uniform([800_000, 1_800_000], [1_100_000, 2_100_000], (50, 2)):
            east, north, size = grid.decode(grid.encode(x, y, digits))
            assert east <= x < east + size and north <= y < north + size

    @pytest.mark.parametrize("bad, message", [
        ("다사64236", "2, 4, 6 or 8 digits"), ("하사6423", "first letter"), ("다자6423", "second letter"),
        ("XY1234", "two Hangul letters"), ("", "two Hangul letters"),
    ])
    def test_bad_codes_say_why(self, bad, message):
        with pytest.raises(grid.GridCodeError, match=message):
            grid.decode(bad)

    def test_cells_over_a_square(self):
        import shapely

        square = shapely.box(950_000, 1_950_000, 951_000, 1_950_750)
        gx, _gy, area = grid.cells_over(square, 500)
        assert len(gx) == 4 and area.sum() == pytest.approx(1_000 * 750)
        assert sorted(area) == [250 * 500, 250 * 500, 500 * 500, 500 * 500]
