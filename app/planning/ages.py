"""From published age bands to single years of age, and from single years to a programme's ages.

Population tables give 10-year bands (0–9, 10–19) and, separately, the count of 0-year-olds.
The rule that spreads a band over its ten single years is a parameter (:class:`AgeSplitRule`);
the default spreads it evenly, after taking out the 0-year-olds when their count is known.
A programme's demand then sums the single years its age range covers, counting a year in part
when the range starts or ends inside it (6 months to 7 years = half of age 0, ages 1–6 whole).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.domain import DomainError

MAX_AGE_YEARS = 19  # the single years kept: 0..19, the two youngest 10-year bands
N_YEARS = MAX_AGE_YEARS + 1
BANDS = ("0_9", "10_19")


class AgeRuleError(DomainError):
    """An age split rule or an age range that cannot be applied."""


@dataclass(frozen=True)
class AgeSplitRule:
    """How a 10-year band is spread over its single years.

    ``within_band_weights``: ten relative weights for the years of a band (ages 0–9 of the
    first band, 10–19 of the second), evenly by default. ``use_zero_year_counts``: when the
    count of 0-year-olds is known, age 0 gets exactly that and the rest of the 0–9 band is
    spread over ages 1–9 by their weights.
    """

    within_band_weights: tuple[float, ...] = (1.0,) * 10
    use_zero_year_counts: bool = True

    def __post_init__(self) -> None:
        w = self.within_band_weights
        if len(w) != 10 or any(not np.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
            raise AgeRuleError("within_band_weights must be ten finite weights >= 0, not all 0")

    def single_years(self, band_0_9: npt.ArrayLike, band_10_19: npt.ArrayLike,
                     zero_year: npt.ArrayLike | None = None) -> np.ndarray:
        """Children per single year of age 0..19, shape (n, 20), from band counts per area.

        ``zero_year`` (optional, NaN where unknown) is the count of 0-year-olds per area.
        """
        b0 = np.asarray(band_0_9, dtype=float)
        b1 = np.asarray(band_10_19, dtype=float)
        w = np.asarray(self.within_band_weights, dtype=float)
        out = np.empty((len(b0), N_YEARS))
        out[:, :10] = b0[:, None] * (w / w.sum())
        out[:, 10:] = b1[:, None] * (w / w.sum())
        if self.use_zero_year_counts and zero_year is not None:
            z = np.asarray(zero_year, dtype=float)
            known = np.isfinite(z)
            if np.any(z[known] > b0[known]):
                raise AgeRuleError("a 0-year-old count exceeds its area's 0–9 band")
            rest = w[1:] / w[1:].sum() if w[1:].sum() > 0 else np.full(9, 1 / 9)
            out[known, 0] = z[known]
            out[known, 1:10] = (b0[known] - z[known])[:, None] * rest
        return out


def year_fractions(age_min_months: int, age_max_months: int) -> np.ndarray:
    """For each single year 0..19, the share of it inside ``[age_min_months, age_max_months]``
    (whole months, both ends included; ages spread evenly within a year)."""
    if not 0 <= age_min_months <= age_max_months:
        raise AgeRuleError("ages must satisfy 0 <= age_min_months <= age_max_months")
    lo, hi = age_min_months, min(age_max_months + 1, 12 * N_YEARS)
    starts = np.arange(N_YEARS) * 12
    covered = np.clip(np.minimum(starts + 12, hi) - np.maximum(starts, lo), 0, 12)
    return covered / 12.0


def children_in_range(years: np.ndarray, age_min_months: int, age_max_months: int) -> np.ndarray:
    """Children per area aged ``age_min_months``..``age_max_months``, from single years."""
    return np.asarray(years, dtype=float) @ year_fractions(age_min_months, age_max_months)
