"""The de-identified export as the analysis reads it, and readers that keep "missing" apart.

`StudyData` is the export's fixed layout: `cases`, one row per case indexed by `export_id`
(the wide table), and `long`, one DataFrame per repeating group named by its prefix (`sero`,
`tx`, …), each with `export_id`, `row_id` and, for a row hanging off another, the parent's
row id (`tx_row_id`). Everything here is pandas: no ORM, so the same code runs on the page,
in the command and on a statistician's own copy of the export.

Missing data: blank ("" = not entered), `unknown`, `not_done`, `not_applicable`, None and
NaN all read as missing, never as "no". A value that is none of the field's codes is an
input error that names the column, the case and the codes expected.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crf.models.fields import MISSING_CODES

from . import columns as col

T = TypeVar("T")
P = ParamSpec("P")
MISSING_TEXT = frozenset({"", *MISSING_CODES})
_TOP_CODED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*\+\s*$")
_TRUE_TEXT = frozenset({"true", "1", "yes"})
_FALSE_TEXT = frozenset({"false", "0", "no"})


class AnalysisInputError(ValueError):
    """The export cannot be read as the registry's layout; the message says how to fix it."""


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() in MISSING_TEXT


@dataclass(frozen=True)
class Measure:
    """A per-case quantity: numbers (NaN = missing) and, for ages exported as "90+", the
    top code (such values read as the code itself and print as "90+")."""

    values: pd.Series
    top_code: float | None = None


@dataclass
class StudyData:
    """The export: `cases` (wide, index `export_id`) and `long` tables by prefix."""

    cases: pd.DataFrame
    long: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Columns the analysis asked for that the export does not have (read as all missing).
    absent: set[str] = field(default_factory=set, init=False, repr=False)
    _readers: list[set[str]] = field(default_factory=list, init=False, repr=False)
    # key -> (value, the absent columns its computation noted)
    _memo: dict[Hashable, tuple[object, frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _sorted: set[str] = field(default_factory=set, init=False, repr=False)
    # id(selection) -> (the selection, its positions in the cases table)
    _positions: dict[int, tuple[pd.Index, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False
    )
    # id(rows) -> (the rows, the position of each row's case in the cases table)
    _row_cases: dict[int, tuple[pd.DataFrame, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False
    )
    _groups: dict[str, pd.Index] = field(default_factory=dict, init=False, repr=False)
    _arrow_ids: pa.Array | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        cases = self.cases
        if col.EXPORT_ID in cases.columns:
            cases = cases.set_index(col.EXPORT_ID)
        elif cases.index.name != col.EXPORT_ID:
            raise AnalysisInputError(
                f"The cases table needs an '{col.EXPORT_ID}' column or index: "
                "export it with the registry's exporter, which names each case's pseudonym."
            )
        cases = cases.copy()
        # Plain Python strings (object dtype): pandas' Arrow-backed strings are slow to
        # look up one by one and to test for membership.
        cases.index = pd.Index(cases.index.astype(str).tolist(), dtype=object, name=col.EXPORT_ID)
        # Kept in export_id order: every selection and id list comes out sorted. (Arrow's
        # stable sort of the ids: the order sort_index(kind="stable") gives, without
        # comparing Python strings one pair at a time.)
        ids = pa.array(cases.index.to_numpy(dtype=object), type=pa.string())
        cases = cases.take(pc.sort_indices(ids).to_numpy())
        duplicated = cases.index[cases.index.duplicated()].unique().tolist()
        if duplicated:
            raise AnalysisInputError(
                f"The cases table has several rows for {', '.join(duplicated)}: "
                "keep one row per case (repeating groups belong in the long tables)."
            )
        if col.GROUP not in cases.columns:
            raise AnalysisInputError(
                f"The cases table has no '{col.GROUP}' column: it tells cases from "
                "controls; export it with the case table's fields."
            )
        self.cases = cases
        for name, frame in self.long.items():
            if col.EXPORT_ID not in frame.columns:
                raise AnalysisInputError(
                    f"The long table '{name}' has no '{col.EXPORT_ID}' column: every row must "
                    "name the case it belongs to."
                )
        positions = self._case_positions_of(list(self.long.values()))
        self.long = {
            name: self._checked(frame, found)
            for (name, frame), found in zip(self.long.items(), positions, strict=True)
        }

    def _case_positions_of(self, frames: list[pd.DataFrame]) -> list[np.ndarray]:
        """Each row's case position (-1: unknown), for every frame at once: looked up in
        Arrow (no Python string per row to hash), the cases' ids hashed once."""
        ids = [pa.array(f[col.EXPORT_ID].astype(str).array).cast(pa.string()) for f in frames]
        if not ids:
            return []
        chunks = [c for a in ids for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
        found = pc.index_in(pa.chunked_array(chunks, type=pa.string()), value_set=self._case_ids())
        every = pc.fill_null(found, -1).to_numpy().astype(np.intp)
        return np.split(every, np.cumsum([len(a) for a in ids])[:-1])

    def _checked(self, frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        # A subset of cases with unfiltered long tables is legitimate: keep the known cases.
        known = positions >= 0
        frame = frame[known].reset_index(drop=True)
        positions = positions[known]
        # The cases table's own strings (plain Python objects, hashes already computed).
        frame[col.EXPORT_ID] = pd.Series(
            self.cases.index.to_numpy(dtype=object)[positions], index=frame.index, dtype=object
        )
        self._row_cases[id(frame)] = (frame, positions)
        return frame

    def _case_ids(self) -> pa.Array:
        if self._arrow_ids is None:
            self._arrow_ids = pa.array(self.cases.index.to_numpy(dtype=object), type=pa.string())
        return self._arrow_ids

    @contextmanager
    def reading(self) -> Iterator[set[str]]:
        """Collect the absent columns and tables read inside the block (for a footnote)."""
        seen: set[str] = set()
        self._readers.append(seen)
        try:
            yield seen
        finally:
            # By identity: two readers holding the same names are equal sets.
            self._readers[:] = [r for r in self._readers if r is not seen]

    def _note_absent(self, name: str) -> None:
        self.absent.add(name)
        for seen in self._readers:
            seen.add(name)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per export (the export is not changed after it is read). The
        absent columns it noted are noted again on every later use, so that each table's
        footnote still names what it read."""
        if key not in self._memo:
            with self.reading() as absent:
                value = compute()
            self._memo[key] = (value, frozenset(absent))
        value, absent = self._memo[key]
        for name in absent:
            self._note_absent(name)
        return value  # type: ignore[return-value]

    # ---- selections ----

    def ids(self, group: str | None = None) -> pd.Index:
        """Export ids of every case, or of one group (`case`, `control`), in export order."""
        if group is None:
            return self.cases.index
        if group not in self._groups:  # the same Index each time: `pick` knows it
            self._groups[group] = self.cases.index[self.cases[col.GROUP].astype(str) == group]
        return self._groups[group]

    def pick(self, values: pd.Series, ids: pd.Index) -> pd.Series:
        """`values.loc[ids]`. For a per-case series (indexed by the cases table, as every
        variable is) by position: a selection's ids are looked up once, not once per
        variable (a lookup of 40,000 ids costs as much as the rest of a row)."""
        if not values.index.is_(self.cases.index):
            return values.loc[ids]
        known = self._positions.get(id(ids))
        if known is None or known[0] is not ids:
            positions = self.cases.index.get_indexer(ids)
            if (positions < 0).any():
                return values.loc[ids]  # raises the KeyError .loc raises
            known = self._positions[id(ids)] = (ids, positions)
        picked = values.take(known[1])
        # Indexed by the selection itself: its properties (is_monotonic_increasing…) are
        # computed once, not once per variable.
        picked.index = ids
        return picked

    def column(self, name: str) -> pd.Series:
        """A wide-table column; an absent one reads as all missing (and is reported)."""
        if name not in self.cases.columns:
            self._note_absent(name)
            return pd.Series([None] * len(self.cases), index=self.cases.index, dtype=object)
        return self.cases[name]

    def table(self, prefix: str, *needed: str) -> pd.DataFrame:
        """A long table; absent tables are empty and absent columns all missing."""
        if prefix in self.long and prefix not in self._sorted:
            frame = self.long[prefix]
            if col.ROW_ID in frame.columns:
                self.long[prefix] = self._sorted_rows(frame)
            self._sorted.add(prefix)
        frame = self.long.get(prefix)
        if frame is None:
            self._note_absent(prefix)
            frame = pd.DataFrame({col.EXPORT_ID: pd.Series(dtype=str)})
        for name in needed:
            if name not in frame.columns:
                if prefix in self.long:
                    self._note_absent(f"{prefix}.{name}")
                frame = frame.assign(**{name: pd.Series([None] * len(frame), dtype=object)})
        return frame

    def _sorted_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame.sort_values([export_id, row_id], kind="stable")`, with the row's case
        position for its export_id (the cases table is in export_id order)."""
        cases = self.case_positions(frame)
        try:  # Arrow's stable sort (row ids as text compare as Python compares them)
            keys = pa.table({"case": cases, "row": pa.array(frame[col.ROW_ID].array)})
            # (Missing row ids last, Arrow's default, as sort_values puts them.)
            order = pc.sort_indices(keys, sort_keys=[("case", "ascending"), ("row", "ascending")])
            order = order.to_numpy()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # mixed types
            row_rank, _uniques = pd.factorize(frame[col.ROW_ID], sort=True, use_na_sentinel=True)
            row_rank = np.where(row_rank < 0, row_rank.max(initial=0) + 1, row_rank)  # NaN last
            order = np.lexsort((row_rank, cases))  # stable, last key first
        rows = frame.iloc[order]
        self._row_cases[id(rows)] = (rows, cases[order])
        return rows

    def case_positions(self, rows: pd.DataFrame) -> np.ndarray:
        """The position in the cases table of each row's case (-1: not a known case); looked
        up once per frame (a frame is not changed after it is made)."""
        known = self._row_cases.get(id(rows))
        if known is None or known[0] is not rows:
            ids = rows[col.EXPORT_ID].to_numpy(dtype=object)
            known = self._row_cases[id(rows)] = (rows, self.cases.index.get_indexer(ids))
        return known[1]

    def has_row(self, rows: pd.DataFrame, where: np.ndarray | None = None) -> np.ndarray:
        """Per case: whether it has a row in `rows` (among those `where` is True)."""
        positions = self.case_positions(rows)
        if where is not None:
            positions = positions[where]
        out = np.zeros(len(self.cases), dtype=bool)
        out[positions[positions >= 0]] = True
        return out

    def per_case(self, rows: pd.DataFrame, name: str) -> pd.Series:
        """One value per case from a long table holding at most one row per case (the first
        row when there are several), aligned on every case; missing where none."""
        positions = self.case_positions(rows)
        known = np.flatnonzero(positions >= 0)
        cases_with_rows, first = np.unique(positions[known], return_index=True)
        first_rows = np.full(len(self.cases), -1, dtype=np.intp)
        first_rows[cases_with_rows] = known[first]
        column = rows[name].array
        # What reindex does: NaN (or the dtype's own missing value) where a case has no row.
        values = pd.api.extensions.take(column, first_rows, allow_fill=True)
        return pd.Series(values, index=self.cases.index, name=name)


# ---- readers: each keeps missing as None / NaN ----
# Vectorised: each distinct value is checked and converted once (`pd.factorize`, one hash
# pass), then spread over the column by its codes (looping value by value over a pandas
# column is ~100 times slower).


def per_export(
    read: Callable[Concatenate[StudyData, P], T],
) -> Callable[Concatenate[StudyData, P], T]:
    """Memoise a per-case reading of the export: Table 1, the comparison, Table 2 and the
    Results read the same variables; each is computed once per `StudyData`. The value is
    shared: callers must not change it in place."""

    @functools.wraps(read)
    def memoised(data: StudyData, *args: P.args, **kwargs: P.kwargs) -> T:
        key = (read.__module__, read.__qualname__, read.__name__, args, tuple(kwargs.items()))
        return data.memo(key, lambda: read(data, *args, **kwargs))

    return memoised


class _Refused(ValueError):
    """A value a reader refuses; `_convert` adds the column and the case to the message."""


def _is_missing_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() in MISSING_TEXT


def missing_mask(series: pd.Series) -> np.ndarray:
    """True where the value is missing: None/NaN, blank, unknown, not_done, not_applicable."""
    na = series.isna().to_numpy(dtype=bool)
    if series.dtype.kind in "biufc":
        return na
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    missing = np.array([_is_missing_text(u) for u in np.asarray(uniques)] + [True], dtype=bool)
    return missing[codes]


def _convert(
    series: pd.Series,
    convert: Callable[[object], object],
    missing: object,
    column: str,
    dtype: type = object,
) -> np.ndarray:
    """`convert` applied to every present value, `missing` elsewhere, as a `dtype` array."""
    # Factorised as it is (Arrow strings in Arrow); the distinct values as numpy gives them.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted: list[object] = []
    for k, value in enumerate(np.asarray(uniques)):
        if _is_missing_text(value):
            converted.append(missing)
            continue
        try:
            converted.append(convert(value))
        except _Refused as refused:
            export_id = series.index[np.flatnonzero(codes == k)[0]]
            raise AnalysisInputError(f"{column}: {value!r} (case {export_id}) {refused}") from None
    converted.append(missing)  # code -1: None / NaN
    table = np.empty(len(converted), dtype=dtype)
    table[:] = converted
    return table[codes]


def _valid_code(valid: Collection[str]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = str(value)
        if text not in valid:
            expected = ", ".join(sorted(c for c in valid if c not in MISSING_TEXT))
            raise _Refused(
                f"is not a code of this field; use one of {expected}, a missing-data code "
                "(unknown, not_done, not_applicable) or leave it blank."
            )
        return text

    return convert


def coded_values(series: pd.Series, *, valid: Collection[str], column: str) -> pd.Series:
    """The real codes, None for missing data; an unknown code is an input error."""
    values = _convert(series, _valid_code(valid), None, column)
    return pd.Series(values, index=series.index, dtype=object)


def coded_flag(
    series: pd.Series, *, yes: Collection[str], valid: Collection[str], column: str
) -> pd.Series:
    """True for a code in `yes`, False for another real code, None for missing data."""
    code = _valid_code(valid)
    values = _convert(series, lambda value: code(value) in yes, None, column)
    return pd.Series(values, index=series.index, dtype=object)


def bool_flag(series: pd.Series, *, column: str) -> pd.Series:
    """A boolean column (True/False, or "true"/"false"/1/0 from a text file), None if missing."""

    def convert(value: object) -> bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer | float | np.floating) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT | _FALSE_TEXT:
            return value.strip().lower() in _TRUE_TEXT
        raise _Refused("is not a yes/no value; use true or false, or leave it blank when unknown.")

    return pd.Series(_convert(series, convert, None, column), index=series.index, dtype=object)


def numbers(series: pd.Series, *, column: str) -> Measure:
    """Numbers, NaN for missing; a top-coded value such as "90+" reads as 90."""
    if series.dtype.kind in "iuf":
        return Measure(series.astype(float))
    top_codes: set[float] = set()

    def convert(value: object) -> float:
        if isinstance(value, bool | np.bool_):
            raise _Refused("is not a number.")
        if isinstance(value, int | float | np.integer | np.floating):
            return float(value)
        text = str(value).strip()
        top = _TOP_CODED.match(text)
        if top:
            top_codes.add(float(top.group(1)))
            return float(top.group(1))
        try:
            return float(text)
        except ValueError:
            raise _Refused(
                "is not a number; give a number, a top-coded value such as 90+, a "
                "missing-data code, or leave it blank."
            ) from None

    values = _convert(series, convert, math.nan, column, dtype=float)
    return Measure(pd.Series(values, index=series.index), min(top_codes) if top_codes else None)


def any_true(flags: Iterable[pd.Series]) -> pd.Series:
    """True if any is True; False if all are False; else None (unknown could change it)."""
    columns = list(flags)
    values = np.vstack([c.to_numpy(dtype=object) for c in columns])
    any_yes = (values == True).any(axis=0)  # noqa: E712 (elementwise)
    all_no = (values == False).all(axis=0)  # noqa: E712
    out = np.where(any_yes, True, np.where(all_no, False, None)).astype(object)
    return pd.Series(out, index=columns[0].index, dtype=object)


def among(values: pd.Series, candidates: pd.Series | pd.Index) -> np.ndarray:
    """`values.isin(candidates)` as a bool array, hashing Python objects: Arrow strings'
    own isin converts the candidates one by one (a row-id lookup took 40 ms)."""
    objects = pd.Series(values.to_numpy(dtype=object), dtype=object)
    return objects.isin(candidates.to_numpy(dtype=object)).to_numpy(dtype=bool)


_PY_BOOL = np.array([False, True], dtype=object)


def yes_no(index: pd.Index, yes: np.ndarray, known: np.ndarray) -> pd.Series:
    """A flag series: True / False (Python bools) where `known`, None elsewhere."""
    out = _PY_BOOL[np.asarray(yes, dtype=bool).astype(np.intp)]
    out[~np.asarray(known, dtype=bool)] = None
    return pd.Series(out, index=index, dtype=object)


def equals_code(values: pd.Series, code: str) -> pd.Series:
    """For codes read by `coded_values` (None when missing): == `code`, None when missing."""
    known = values.notna().to_numpy()
    return yes_no(values.index, (values == code).to_numpy(dtype=bool) & known, known)
