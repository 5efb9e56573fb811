"""How numbers print in every analysis table: the one place for the formatting rules.

- n (%): the percentage rounded half up to an integer ("9 (38)" for 9/24 = 37.5 %).
- median [min – max]: each printed with at most one decimal, rounded half up
  ("66.5 [32 – 85]", "10.8 [5.2 – 14.3]"); a top-coded value prints as "90+".
- p: "<0.001", else three decimals ("0.008").
"""

from __future__ import annotations

import functools
import math
from decimal import ROUND_HALF_UP, Decimal

DASH = "–"  # an en dash: ranges and empty cells


def percent(n: int, denominator: int) -> int | None:
    """n / denominator × 100, rounded half up to an integer (exact integer arithmetic)."""
    if denominator <= 0:
        return None
    return (200 * n + denominator) // (2 * denominator)


def n_percent(n: int, denominator: int) -> str:
    pct = percent(n, denominator)
    return f"{n} ({DASH})" if pct is None else f"{n} ({pct})"


def n_of_percent(n: int, denominator: int) -> str:
    """ "6/19 (32)": where denominators differ from row to row (the case-control table)."""
    pct = percent(n, denominator)
    return f"{n}/{denominator} ({DASH if pct is None else pct})"


def number(value: float | None, *, top_code: float | None = None) -> str:
    """At most one decimal, rounded half up, no trailing ".0"; "90+" at or above a top code."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if top_code is not None and value >= top_code:
        return f"{number(top_code)}+"
    return _one_decimal(float(value))


@functools.lru_cache(maxsize=4096)  # Table 2 prints the same few values thousands of times
def _one_decimal(value: float) -> str:
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text[:-2] if text.endswith(".0") else text


def median_range(
    median: float | None, low: float | None, high: float | None, *, top_code: float | None = None
) -> str:
    if median is None:
        return DASH
    m, lo, hi = (number(v, top_code=top_code) for v in (median, low, high))
    return f"{m} [{lo} {DASH} {hi}]"


def p_value(p: float | None) -> str:
    if p is None or math.isnan(p):
        return DASH
    if p < 0.001:
        return "<0.001"
    return f"{Decimal(repr(p)).quantize(Decimal('0.001'), rounding=ROUND_HALF_UP):f}"
