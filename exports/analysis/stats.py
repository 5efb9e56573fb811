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


class StatTest(StrEnum):
    FISHER = "fisher"
    CHI2 = "chi2"
    MANN_WHITNEY = "mann_whitney"
    NONE = "none"  # a group without data: nothing to test


TEST_LABELS = {
    StatTest.FISHER: _("Fisher's exact test"),
    StatTest.CHI2: _("χ² test"),
    StatTest.MANN_WHITNEY: _("Mann–Whitney U test"),
    StatTest.NONE: _("not tested (no data in a group)"),
}


@dataclass(frozen=True)
class Comparison:
    test: StatTest
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
        return Comparison(StatTest.NONE, None)
    if (expected_freq(table) < MIN_EXPECTED).any():
        statistic, p = stats.fisher_exact(table, alternative="two-sided")
        return Comparison(StatTest.FISHER, float(p), float(statistic))
    result = stats.chi2_contingency(table, correction=False)
    return Comparison(StatTest.CHI2, float(result.pvalue), float(result.statistic))


def compare_values(a: pd.Series, b: pd.Series) -> Comparison:
    x, y = a.dropna().to_numpy(dtype=float), b.dropna().to_numpy(dtype=float)
    if len(x) == 0 or len(y) == 0:
        return Comparison(StatTest.NONE, None)
    result = stats.mannwhitneyu(x, y, alternative="two-sided")
    p = float(result.pvalue)
    return Comparison(StatTest.MANN_WHITNEY, None if math.isnan(p) else p, float(result.statistic))
