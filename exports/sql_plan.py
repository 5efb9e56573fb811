"""Table plans compiled to SQL: the de-identification done by PostgreSQL, for the current data.

`SqlExport(plans, cases, ordinals, …).select(plan, target)` gives one SELECT per table plan
whose rows are the plan's export rows, in the export's order (case code, then the row's id),
ready for `COPY (…) TO STDOUT (FORMAT csv, HEADER)`:

- `target="csv"`: every cell already as the CSV writer (`exports.formats.csv_file`) spells it
  (booleans `true`/`false`, floats as Python's `repr`, the top-coded age "90+", text cells
  neutralised against spreadsheet formulas), so PostgreSQL's CSV is the file;
- `target="arrow"`: the values the Parquet writer stores (the top-coded age as 90, text as
  recorded), for `pyarrow.csv` to read with the Parquet schema's types.

What each column is made of comes from the plan's `CellRule`s (exports.deid), the same plan
the Python `Deidentifier` runs, and the two paths are tested to write the same bytes. The
pseudonyms are computed in Python (the key never reaches the database) and passed as
fixed-width bytes in case-code order; each case's place in that order, and its index date
(computed by `deid.index_date`), come as int arrays indexed by case id; rows sort by place.
Row numbers follow `deid.RowNumbering`: a table's rows are numbered in the order the export
first meets them (a child table written before its parent meets the parent's rows first),
so numbering a parent table here orders its "meetings" by (table order, place, row id) and
keeps each row's first one.

The application role runs these (no temporary table, no function of our own): plain SELECTs
over the tables, their joins built by Django from the plan's lookups.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

from django.db.models import F

from crf.codes import DatePrecision
from crf.models import Case
from crf.models.base import case_lookup
from exports import deid
from exports.formats.columns import BOOLEAN, CODE, INTEGER, NUMBER, TEXT, ColumnSpec

CSV, ARROW = "csv", "arrow"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # as exports.formats.columns.neutralise
_ORDER_KEY = "export_order_pk"
_PSEUDONYMS = "%%PSEUDONYMS%%"  # where the pseudonyms' parameter goes
PSEUDONYM_BYTES = 13  # "P" and 12 base32 characters (exports.deid.pseudonym)
T = TypeVar("T")


class NotCompilable(ValueError):
    """A plan holds a column SQL cannot produce (a case variable without an SQL form): the
    pipeline exports that table through Python."""


# The wide table joins each one-row section to its case (1:1, a unique index on case_id on
# both sides). Left to itself the planner takes the case side, filtered by place, for the
# smaller and hashes the growing row at every join. Without hash joins, nested loops and
# sorts to choose from, it merges index scans in case-id order: the row is joined as it
# streams and sorted once, by place, at the end. Measured on 100,000 cases: the whole wide
# table 2.4 -> 2.1 s, a half 1.28 -> 1.09 s. That sort holds every joined row: at 64 MB of
# work_mem it went to disk (61 MB at 100,000 cases); in memory the whole table took 4.29
# instead of 4.43 s (alone, on a slower machine than the figures above).
WIDE_TABLE_SETTINGS = MappingProxyType(
    {"enable_hashjoin": "off", "enable_nestloop": "off", "enable_sort": "off", "work_mem": "128MB"}
)


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple
    settings: Mapping[str, str] = field(default_factory=dict)  # for this statement only


def compilable(plan: deid.TablePlan) -> bool:
    return len(plan.rules) == len(plan.columns) and all(
        rule.op != "variable" or (rule.variable is not None and rule.variable.sql is not None)
        for rule in plan.rules
    )


class SqlExport:
    """The SELECTs of one export's tables.

    `cases`: how many cases are exported; `ordinals_literal`: an int array literal giving,
    at each case id, the case's place in case-code order, 1, 2, 3… (0: not exported, e.g.
    withdrawn); `index_dates_literal`: at each case id, twice its index date's ordinal, plus
    1 when approximate (0: none); then (`name`) the exported cases' pseudonyms in that
    order, PSEUDONYM_BYTES each. Rows are sorted by (the case's place, row id), the same
    order as (case code, row id): integers compare much faster than text under the
    database's collation, and no query joins the case table for its code or status."""

    def __init__(
        self,
        plans: Sequence[deid.TablePlan],
        cases: int,
        ordinals_literal: str,
        index_dates_literal: str,
    ):
        self.plans = list(plans)
        self.cases = cases
        self.ordinals = ordinals_literal
        self.index_dates = index_dates_literal
        self._position = {plan.name: i for i, plan in enumerate(self.plans)}
        self._pseudonyms = _Awaited[bytes]("The exported cases' pseudonyms")
        self._numbers = {
            table: _Awaited[str](f"The row numbers of {table}") for table in self._numbered_apart()
        }

    def name(self, pseudonyms: bytes | None) -> None:
        """The pseudonyms, once computed (None: they could not be). A statement that prints
        them waits for them; one that needs none (the k report) may run meanwhile."""
        wrong = pseudonyms is not None and len(pseudonyms) != PSEUDONYM_BYTES * self.cases
        self._pseudonyms.give(None if wrong else pseudonyms)
        if wrong:
            raise ValueError("A pseudonym of another length: the SQL reads fixed widths.")

    @property
    def pseudonyms(self) -> bytes:
        return self._pseudonyms.get()

    # ---- the rows of a plan, as Django selects them ----

    def _inner(self, plan: deid.TablePlan, lookups: Sequence[str]) -> tuple[str, tuple]:
        """SELECT of `lookups` then the row's id, for the plan's rows (withdrawn cases left
        out), unordered."""
        # Withdrawn cases are left out by their place (0): no join to the case for that.
        qs = plan.model._default_manager.order_by().annotate(**{_ORDER_KEY: F("pk")})
        sql, params = qs.values_list(*lookups, _ORDER_KEY).query.sql_with_params()
        return sql, tuple(params)

    def _ordered(
        self,
        plan: deid.TablePlan,
        lookups: Sequence[str],
        aliases: str,
        index: bool = False,
    ) -> tuple:
        """`_inner` with the case's place in code order, `ord`, after `aliases`, then `k`;
        with `index`, also the case's index date as `idx` and whether it is approximate,
        `idx_approx`."""
        sql, params = self._inner(plan, [*lookups, _case_id_lookup(plan)])
        dated = ""
        if index:  # `iv`: 2 x the date's ordinal (0001-01-01 is 1) + 1 if approximate; 0: none
            dated = ", (%s::int[])[o.cid] AS iv"
            params = (self.index_dates, *params)
        names = ", ".join(n for n in (aliases, "cid", "k") if n)
        return (
            f"SELECT * FROM (SELECT o.*, (%s::int[])[o.cid] AS ord{dated} FROM ({sql}) "
            f"AS o({names})) AS e WHERE e.ord > 0",
            (self.ordinals, *params),
        )

    def counts(self) -> Statement:
        """One row: the number of rows of each plan, in order."""
        parts, params = [], []
        for plan in self.plans:
            sql, more = self._ordered(plan, [], "")
            parts.append(f"(SELECT count(*) FROM ({sql}) AS t)")
            params.extend(more)
        return Statement(f"SELECT {', '.join(parts)}", tuple(params))

    # ---- row numbers ----

    def _meetings(self, table: str) -> list[tuple[int, deid.TablePlan, int]]:
        """(position, plan, source index of the key) of every plan, up to the table's own,
        that numbers rows of `table`, in the export's order."""
        own = self._position.get(table)
        found = []
        for plan in self.plans:
            position = self._position[plan.name]
            if own is not None and position > own:
                break
            for rule in plan.rules:
                if rule.op in ("row_id", "parent_row_id") and rule.table == table:
                    found.append((position, plan, rule.at[0]))
        return found

    def numbering(self, table: str) -> tuple[str, tuple]:
        """SELECT key, n: the row number of each row of `table`, as `deid.RowNumbering`
        gives it (first meeting first)."""
        meetings = self._meetings(table)
        if len(meetings) == 1:  # only its own rows: its own order
            _position, plan, at = meetings[0]
            sql, more = self._ordered(plan, [plan.sources[at]], "key")
            return (
                f"SELECT m.key, row_number() OVER (ORDER BY m.ord, m.k) AS n FROM ({sql}) AS m",
                more,
            )
        parts, params = [], []
        for position, plan, at in meetings:
            sql, more = self._ordered(plan, [plan.sources[at]], "key")
            parts.append(
                f"SELECT m.key, {position} AS position, m.ord, m.k FROM ({sql}) AS m "
                "WHERE m.key IS NOT NULL"
            )
            params.extend(more)
        union = " UNION ALL ".join(parts)
        sql = (
            "SELECT f.key, row_number() OVER (ORDER BY f.position, f.ord, f.k) AS n FROM ("
            f"SELECT DISTINCT ON (u.key) u.key, u.position, u.ord, u.k FROM ({union}) AS u "
            "ORDER BY u.key, u.position, u.ord, u.k) AS f"
        )
        return sql, tuple(params)

    def _numbered_in_own_order(self, table: str) -> bool:
        """No earlier table meets `table`'s rows: its numbers are its own order."""
        return all(plan.name == table for _p, plan, _at in self._meetings(table))

    def _numbered_apart(self) -> list[str]:
        """The tables whose row numbers several statements read: numbered once, apart
        (a table read by one statement is numbered in it, by a join: cheaper)."""
        readers = Counter(
            table
            for plan in self.plans
            for table in {
                rule.table
                for rule in plan.rules
                if rule.op == "parent_row_id"
                or (rule.op == "row_id" and not self._numbered_in_own_order(rule.table))
            }
        )
        return sorted(table for table, n in readers.items() if n > 1)

    @property
    def numbered_apart(self) -> list[str]:
        """The tables to `number` before the statements that read their row numbers."""
        return list(self._numbers)

    def number(self, cursor, table: str) -> None:
        """Number `table`'s rows once for the statements that read them (each would sort
        the whole table again: 0.2 s for 112,000 treatments): an int array literal of each
        row's number at its id (NULL: not exported), which those statements wait for."""
        numbers = None
        try:
            sql, params = self.numbering(table)
            # The literal spelled in key order, a NULL for each id between two rows'.
            cursor.execute(
                "SELECT '{' || coalesce(string_agg(repeat('NULL,', (x.key - x.before - 1)::int) "
                "|| x.n, ',' ORDER BY x.key), '') || '}' FROM (SELECT m.key, m.n, "
                f"coalesce(lag(m.key) OVER (ORDER BY m.key), 0) AS before FROM ({sql}) AS m) AS x",
                params,
            )
            numbers = cursor.fetchone()[0]
        finally:
            self._numbers[table].give(numbers)  # None on an error: no statement waits for ever

    # ---- the SELECT ----

    def select(
        self,
        plan: deid.TablePlan,
        target: str,
        names: Sequence[str] = (),
        *,
        for_grouping: bool = False,
    ) -> Statement:
        """The export rows of `plan` (only the columns `names`, when given), in order; with
        `for_grouping`, in no order and each with its case's place last (`place`), for a
        GROUP BY to read."""
        if not compilable(plan):
            raise NotCompilable(plan.name)
        columns = [
            (column, rule)
            for column, rule in zip(plan.columns, plan.rules, strict=True)
            if not names or column.name in names
        ]
        # Only the lookups these columns read (Django then joins only their tables); the
        # index date's four when a date becomes an interval.
        needed = {i for _c, rule in columns for i in rule.at if i >= 0 and rule.op != "export_id"}
        intervals = any(rule.op.startswith("interval_") for _c, rule in columns)
        read = sorted(needed)
        source = [f"c{i}" for i in range(len(plan.sources))]
        aliases = ", ".join(source[i] for i in read)
        lookups = [plan.sources[i] for i in read]
        inner, inner_params = self._ordered(plan, lookups, aliases, index=intervals)
        extra: list[str] = []
        if intervals:
            extra += [
                "CASE WHEN s.iv > 0 THEN DATE '0001-01-01' + (s.iv / 2 - 1) END AS idx",
                "mod(s.iv, 2) = 1 AS idx_approx",
            ]
        numbers: dict[int, str] = {}  # column position -> its number in the middle query
        numbered: list[str] = []  # the numbers read apart, in the order of their parameters
        joins, join_params = [], []
        for position, (_column, rule) in enumerate(columns):
            if rule.op == "row_id" and self._numbered_in_own_order(rule.table):
                numbers[position] = "s.rn"
            elif rule.op in ("row_id", "parent_row_id"):
                key, alias = f"s.{source[rule.at[0]]}", f"n{position}"
                numbers[position] = f"s.{alias}"
                if rule.table in self._numbers:  # numbered apart: its number at the row's id
                    extra.append(f"(%s::int[])[{key}] AS {alias}")
                    numbered.append(rule.table)
                else:  # read by this statement only: numbered in it
                    number_sql, more = self.numbering(rule.table)
                    joins.append(f"LEFT JOIN ({number_sql}) AS {alias} ON {alias}.key = {key}")
                    join_params.extend(more)
                    extra.append(f"{alias}.n AS {alias}")
        if "s.rn" in numbers.values():  # a window only where a row number is its own order
            extra.append("row_number() OVER (ORDER BY s.ord, s.k) AS rn")
        order = "" if for_grouping else " ORDER BY s.ord, s.k"
        middle = f"SELECT {', '.join(['s.*', *extra])} FROM ({inner}) AS s {' '.join(joins)}{order}"
        cells = [
            f"{numbers.get(i) or _cell(column, rule, source, target)} AS {column.name}"
            for i, (column, rule) in enumerate(columns)
        ]
        if for_grouping:
            cells.append("s.ord AS place")
        sql = f"SELECT {', '.join(cells)} FROM ({middle}) AS s{order}"
        # The cells come first in the text: the pseudonyms' parameter, if any, leads; then
        # the numbers read apart (the middle query's columns), the rows, the joins.
        printed = sql.count(_PSEUDONYMS)
        lead = (self.pseudonyms,) * printed if printed else ()
        row_numbers = tuple(self._numbers[table].get() for table in numbered)
        return Statement(
            sql.replace(_PSEUDONYMS, "%s"),
            (*lead, *row_numbers, *inner_params, *join_params),
            WIDE_TABLE_SETTINGS if plan.model is Case and not for_grouping else {},
        )

    def k_groups(self, plan: deid.TablePlan, threshold: int, *, sex: str, age: str,
                 centre: str) -> Statement:  # fmt: skip
        """Rows (sex, age band, centre, size, the case places of a group under `threshold`
        else NULL): the re-identification report's groups over the wide table as exported
        (`pseudonym(place)` names a case; rows unsorted, pseudonyms not spelled: a group
        needs neither)."""
        present = set(plan.column_names)
        rows = self.select(plan, ARROW, [sex, age, centre], for_grouping=True)
        sex_sql = f"NULLIF(w.{sex}::text, '')" if sex in present else "NULL::text"
        centre_sql = f"NULLIF(w.{centre}::text, '')" if centre in present else "NULL::text"
        age_sql = _band(f"w.{age}", plan, age) if age in present else "NULL::text"
        sql = (
            f"SELECT {sex_sql}, {age_sql}, {centre_sql}, count(*), "
            "CASE WHEN count(*) < %s THEN array_agg(w.place) END "
            f"FROM ({rows.sql}) AS w GROUP BY 1, 2, 3"
        )
        return Statement(sql, (threshold, *rows.params))

    def pseudonym(self, place: int) -> str:
        """The export id of the case at `place` (1, 2, 3… in case-code order)."""
        n = PSEUDONYM_BYTES
        return self.pseudonyms[(place - 1) * n : place * n].decode("ascii")


class _Awaited(Generic[T]):
    """A value one session computes and other sessions' statements wait for."""

    def __init__(self, what: str):
        self.what = what
        self._value: T | None = None
        self._given = threading.Event()

    def give(self, value: T | None) -> None:
        """The value (None: it could not be computed, and every waiting statement fails)."""
        self._value = value
        self._given.set()

    def get(self) -> T:
        self._given.wait()
        if self._value is None:
            raise RuntimeError(f"{self.what} could not be computed.")
        return self._value


# ---- cells ----


def _case_id_lookup(plan: deid.TablePlan) -> str:
    return "pk" if plan.model is Case else case_lookup(plan.model)


def _partial(precision: str) -> str:
    """SQL twin of deid._is_partial: a precision coarser than the day."""
    return f"(COALESCE({precision}, '') NOT IN ('', '{DatePrecision.DAY.value}'))"


def index_value(le_date: str, le_precision: str, mds_date: str, mds_precision: str) -> str:
    """SQL twin of deid.index_date, spelled as `SqlExport` reads it: 2 x the index date's
    ordinal (0001-01-01 is 1) + 1 when approximate; 0 when neither date is known. The LE
    date wins a tie, as in Python's `min`."""

    def spelled(day: str, precision: str) -> str:
        return f"(({day} - DATE '0001-01-01') + 1) * 2 + {_partial(precision)}::int"

    return (
        f"CASE WHEN {le_date} IS NOT NULL AND ({mds_date} IS NULL OR {le_date} <= {mds_date}) "
        f"THEN {spelled(le_date, le_precision)} "
        f"WHEN {mds_date} IS NOT NULL THEN {spelled(mds_date, mds_precision)} ELSE 0 END"
    )


def _cell(column: ColumnSpec, rule: deid.CellRule, source: list[str], target: str) -> str:
    """The SQL of one exported cell over the middle query's columns (`s.c<i>`)."""
    at = [f"s.{source[i]}" if i >= 0 else "NULL" for i in rule.at]
    op = rule.op
    if op == "export_id":
        # The case's pseudonym: PSEUDONYM_BYTES at its place in the pseudonyms' bytes.
        n = PSEUDONYM_BYTES
        at_place = f"substring({_PSEUDONYMS}::bytea FROM s.ord * {n} - {n - 1} FOR {n})"
        return f"convert_from({at_place}, 'UTF8')"
    if op == "centre":
        return _text(at[0], target)
    if op == "text":
        return _text(at[0], target, empty_is_null=True)
    if op == "number":
        return _number(at[0], target)
    if op == "raw":
        return _typed(at[0], column, target)
    if op == "age":
        top = deid.AGE_TOP_CODE
        if target == CSV:
            return f"CASE WHEN {at[0]} >= {top} THEN '{deid.AGE_TOP_LABEL}' ELSE {at[0]}::text END"
        return f"CASE WHEN {at[0]} >= {top} THEN {top} ELSE {at[0]} END"  # LEAST skips NULL
    if op == "age_decade":
        return _band(at[0], None, "")
    if op == "year":
        return f"EXTRACT(YEAR FROM {at[0]})::integer"
    if op == "interval_days":
        return f"({at[0]} - s.idx)"
    if op == "interval_approx":
        approx = f"({_partial(at[1])} OR s.idx_approx)"
        return (
            f"CASE WHEN {at[0]} IS NULL OR s.idx IS NULL THEN NULL "
            f"WHEN {approx} THEN 'true' ELSE 'false' END"
        )
    if op == "variable" and rule.variable is not None and rule.variable.sql is not None:
        return _typed(rule.variable.sql(*at), column, target)
    raise NotCompilable(f"{column.name}: {op}")


def _typed(value: str, column: ColumnSpec, target: str) -> str:
    if column.kind == BOOLEAN:
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    if column.kind == NUMBER:
        return _number(value, target)
    if column.kind in (TEXT, CODE):
        return _text(value, target)
    if column.kind == INTEGER:
        return value
    raise NotCompilable(column.name)


def _text(value: str, target: str, *, empty_is_null: bool = False) -> str:
    """CSV: a leading quote before text a spreadsheet would run as a formula (the first
    character compared by its code: no substring is built)."""
    if target != CSV:
        return f"NULLIF({value}, '')" if empty_is_null else value
    # Most text starts with a letter, after every formula character: one call decides
    # (ascii(), the first character's code: on the wide table at 100,000 cases 0.4 s less
    # than comparing the text with 'A'). Then the empty text, which blank fields hold, then
    # the formula characters.
    above = max(ord(c) for c in _FORMULA_START)
    starts = ", ".join(str(ord(c)) for c in _FORMULA_START)
    empty = "NULL" if empty_is_null else value
    return (
        f"CASE WHEN ascii({value}) > {above} THEN {value} "
        f"WHEN {value} = '' THEN {empty} "
        f"WHEN ascii({value}) IN ({starts}) THEN '''' || {value} ELSE {value} END"
    )


def _number(value: str, target: str) -> str:
    return csv_float(value) if target == CSV else value


def csv_float(value: str) -> str:
    """A float8 as Python's repr writes it: PostgreSQL's shortest exact digits, with ".0"
    after a whole number (nan / inf spelled as Python does). Whole numbers from 1e15 to 1e16
    would differ (PostgreSQL switches to an exponent sooner); no CRF value comes near."""
    return (
        f"CASE WHEN {value} = trunc({value}) AND abs({value}) < '1e15'::float8 "
        f"THEN {value}::text || '.0' "
        f"WHEN {value} = 'NaN'::float8 THEN 'nan' WHEN {value} = 'Infinity'::float8 THEN 'inf' "
        f"WHEN {value} = '-Infinity'::float8 THEN '-inf' ELSE {value}::text END"
    )


def _band(value: str, plan: deid.TablePlan | None, name: str) -> str:
    """The 10-year band of an age in years (deid.age_decade); a band label stays as it is."""
    if plan is not None:
        column = next(c for c in plan.columns if c.name == name)
        if column.kind == CODE:  # already a band
            return value
    top = deid.AGE_TOP_CODE
    low = f"(({value}) / 10 * 10)"
    return (
        f"CASE WHEN {value} IS NULL THEN NULL WHEN {value} >= {top} THEN '{deid.AGE_TOP_LABEL}' "
        f"ELSE {low}::text || '-' || ({low} + 10)::text END"
    )
