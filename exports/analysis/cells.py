"""The shape of every analysis table, and the cell builders that fill it.

A table is rows; a row is a label and cells; a cell is its printed text and the raw
numbers behind it, each number carrying the export ids of the cases it counts, so a page
can link every number back to its cases (`Cell.ids["n"]`).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from . import formatting as fmt
from .data import Measure


class Kind(StrEnum):
    HEADER = "header"  # a section title ("Demographics")
    ITEM = "item"
    SUBITEM = "subitem"  # indented under the item above ("Chilblain CLE")


class Denominator(StrEnum):
    ALL = "all"  # every case of the group, as the manuscript divides
    WITH_DATA = "with_data"  # the cases in which the item was recorded


@dataclass(frozen=True)
class Number:
    name: str  # "n", "denominator", "with_data", "percent", "median", "min", "max", "p"…
    value: float | int | None
    export_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cell:
    text: str
    numbers: tuple[Number, ...] = ()

    def number(self, name: str) -> Number | None:
        return next((n for n in self.numbers if n.name == name), None)

    @property
    def values(self) -> dict[str, float | int | None]:
        return {n.name: n.value for n in self.numbers}

    @property
    def ids(self) -> dict[str, tuple[str, ...]]:
        return {n.name: n.export_ids for n in self.numbers}


EMPTY = Cell("")


@dataclass(frozen=True)
class Row:
    key: str  # stable, language-independent ("female_male", "who_mds_lb_mld")
    label: str  # the manuscript's wording, in the active language
    cells: tuple[Cell, ...]
    kind: Kind = Kind.ITEM


@dataclass(frozen=True)
class AnalysisTable:
    key: str
    title: str
    label_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[str, ...] = field(default=())

    def row(self, key: str) -> Row:
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"{self.key}: no row {key!r}")

    def has_row(self, key: str) -> bool:
        return any(row.key == key for row in self.rows)


def header(key: str, label: str, width: int) -> Row:
    return Row(key, label, (EMPTY,) * width, Kind.HEADER)


def _ids(ids: pd.Index | np.ndarray | list[str], *, in_order: bool = False) -> tuple[str, ...]:
    """The ids, sorted; `in_order`: they are already (taken in order from a sorted index)."""
    listed = np.asarray(ids, dtype=object).tolist()
    return tuple(listed if in_order else sorted(listed))


# id(selection) -> (a weak reference to it, its ids): a group's ids are every row's
# denominator, made into one tuple that `write_numbers_csv` then joins once.
_every: dict[int, tuple[weakref.ref, tuple[str, ...]]] = {}


def _every_id(selection: pd.Index) -> tuple[str, ...]:
    """Every id of a sorted selection, the same tuple for as long as the selection lives."""
    known = _every.get(id(selection))
    if known is None or known[0]() is not selection:
        for key in [k for k, (ref, _ids) in _every.items() if ref() is None]:
            del _every[key]
        known = _every[id(selection)] = (weakref.ref(selection), _ids(selection, in_order=True))
    return known[1]


# ---- counts ----


def count_numbers(
    flags: pd.Series, denominator: Denominator
) -> tuple[int, int, tuple[Number, ...]]:
    """n, the denominator, and the numbers of a yes/no/missing series over one group."""
    values = flags.to_numpy(dtype=object)
    index = flags.index.to_numpy(dtype=object)
    # Flags hold True, False and None (NaN, too, reads as missing): two comparisons are a
    # third of `pd.notna`'s time on objects.
    yes = values == True  # noqa: E712 (elementwise)
    known = yes | (values == False)  # noqa: E712
    n, with_data = int(yes.sum()), int(known.sum())
    d = len(index) if denominator is Denominator.ALL else with_data
    pct = None if d == 0 else 100 * n / d
    in_order = flags.index.is_monotonic_increasing  # selections of the (sorted) cases
    every = _every_id(flags.index) if in_order else _ids(index)
    yes_ids = _ids(index[yes], in_order=in_order)
    known_ids = every if with_data == len(index) else _ids(index[known], in_order=in_order)
    base_ids = every if denominator is Denominator.ALL else known_ids
    return (
        n,
        d,
        (
            Number("n", n, yes_ids),
            Number("denominator", d, base_ids),
            Number("with_data", with_data, known_ids),
            Number("percent", pct, yes_ids),
        ),
    )


def _recorded(numbers: tuple[Number, ...]) -> bool:
    return any(x.name == "with_data" and x.value for x in numbers)


def count_cell(flags: pd.Series, *, denominator: Denominator = Denominator.ALL) -> Cell:
    """n (%), "9 (38)": the cases flagged True among the group's cases (`flags` index);
    "–" when no case has the item recorded (zero would claim an answer)."""
    n, d, numbers = count_numbers(flags, denominator)
    return Cell(fmt.n_percent(n, d) if _recorded(numbers) else fmt.DASH, numbers)


def count_of_cell(flags: pd.Series) -> Cell:
    """n/N (%), "6/19 (32)": over the cases with data (the comparison's denominators)."""
    n, d, numbers = count_numbers(flags, Denominator.WITH_DATA)
    return Cell(fmt.n_of_percent(n, d) if _recorded(numbers) else fmt.DASH, numbers)


def n_cell(flags: pd.Series) -> Cell:
    """A bare count ("6"), as Table 1 prints the CLE subtypes."""
    n, _d, numbers = count_numbers(flags, Denominator.WITH_DATA)
    kept = tuple(x for x in numbers if x.name in ("n", "with_data"))
    return Cell(str(n) if _recorded(numbers) else fmt.DASH, kept)


def ratio_cell(numerator: pd.Index, denominator: pd.Index) -> Cell:
    """n/N, "6/8": `numerator` among `denominator` (ids repeat when rows are counted)."""
    n, d = len(numerator), len(denominator)
    return Cell(
        f"{n}/{d}",
        (Number("n", n, _ids(numerator)), Number("denominator", d, _ids(denominator))),
    )


# ---- summaries ----


def summary_numbers(measure: Measure) -> tuple[Number, ...]:
    values = measure.values.dropna().astype(float)
    if values.empty:
        return (
            Number("with_data", 0),
            Number("median", None),
            Number("min", None),
            Number("max", None),
        )
    if not values.index.is_monotonic_increasing:  # (selections of the cases already are)
        values = values.sort_index(kind="stable")
    ordered = values.sort_values(kind="stable")
    k = len(ordered)
    middle = ordered.index[[(k - 1) // 2, k // 2]].unique()
    low, high = float(ordered.iloc[0]), float(ordered.iloc[-1])
    return (
        Number("with_data", k, _ids(values.index, in_order=True)),  # the same ids, in order
        Number("median", float(np.median(ordered.to_numpy())), _ids(middle)),
        Number("min", low, _ids(ordered.index[ordered == low])),
        Number("max", high, _ids(ordered.index[ordered == high])),
    )


def summary_cell(measure: Measure) -> Cell:
    """median [min – max], "66.5 [32 – 85]", of the group's known values; the median's ids
    are the case(s) in the middle, the min's and max's every case at that value."""
    numbers = summary_numbers(measure)
    v = {n.name: n.value for n in numbers}
    return Cell(
        fmt.median_range(v["median"], v["min"], v["max"], top_code=measure.top_code), numbers
    )


def p_cell(p: float | None) -> Cell:
    value = None if p is None or math.isnan(p) else float(p)
    return Cell(fmt.p_value(value), (Number("p", value),))


def absent_footnote(absent: set[str]) -> tuple[str, ...]:
    """A footnote naming what the export lacks (read as missing), if anything."""
    if not absent:
        return ()
    return (
        _("Not in the export, counted as missing: %(names)s.")
        % {"names": ", ".join(sorted(absent))},
    )
