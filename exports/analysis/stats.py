"""The case-control tests, as the manuscript's methods state them (scipy.stats).

Categorical: Fisher's exact test (two-sided) when any expected count of the 2×2 table is
below 5, else Pearson's χ² without continuity correction (what JMP, the study's software,
reports as "Pearson"). Continuous: Mann–Whitney U, two-sided (scipy's default method: exact
for small samples without ties, else the normal approximation). Missing values are left
out of each test, so each row's proportions are over the patients with data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _
from scipy import stats
from scipy.stats.contingency import expected_freq

MIN_EXPECTED = 5


class Test(StrEnum):
    FISHER = "fisher"
    CHI2 = "chi2"
    MANN_WHITNEY = "mann_whitney"
    NONE = "none"  # a group without data: nothing to test


TEST_LABELS = {
    Test.FISHER: _("Fisher's exact test"),
    Test.CHI2: _("χ² test"),
    Test.MANN_WHITNEY: _("Mann–Whitney U test"),
    Test.NONE: _("not tested (no data in a group)"),
}


@dataclass(frozen=True)
class Comparison:
    test: Test
    p: float | None
    statistic: float | None = None

    @property
    def label(self) -> str:
        return str(TEST_LABELS[self.test])


def two_by_two(a: pd.Series, b: pd.Series) -> np.ndarray:
    """[[a yes, a no], [b yes, b no]] from True/False/None flags (None left out)."""

    def yes_no(flags: pd.Series) -> list[int]:
        values = flags.to_numpy(dtype=object)
        return [int((values == True).sum()), int((values == False).sum())]  # noqa: E712

    return np.array([yes_no(a), yes_no(b)])


def compare_flags(a: pd.Series, b: pd.Series) -> Comparison:
    table = two_by_two(a, b)
    if (table.sum(axis=1) == 0).any():
        return Comparison(Test.NONE, None)
    if (expected_freq(table) < MIN_EXPECTED).any():
        statistic, p = stats.fisher_exact(table, alternative="two-sided")
        return Comparison(Test.FISHER, float(p), float(statistic))
    result = stats.chi2_contingency(table, correction=False)
    return Comparison(Test.CHI2, float(result.pvalue), float(result.statistic))


def compare_values(a: pd.Series, b: pd.Series) -> Comparison:
    x, y = a.dropna().to_numpy(dtype=float), b.dropna().to_numpy(dtype=float)
    if len(x) == 0 or len(y) == 0:
        return Comparison(Test.NONE, None)
    result = stats.mannwhitneyu(x, y, alternative="two-sided")
    p = float(result.pvalue)
    return Comparison(Test.MANN_WHITNEY, None if math.isnan(p) else p, float(result.statistic))
