"""De-identification as a policy: a `Profile` (data) and the plans built from it (functions).

For every field of the data dictionary a plan decides, from its class
(`crf.metadata.deid_class`), whether it is dropped, kept or transformed:

- direct identifiers never leave (Identity, who created or reviewed a case);
- the case code and the database ids are replaced: `export_id` is a keyed pseudonym,
  "P" + 12 base32 characters of HMAC-SHA-256(secret key, profile name, case code), stable
  for a profile and different between profiles; the key comes from the caller (a setting,
  never stored in the database or the export). Rows of repeating groups get `row_id`, a
  number per table in the order rows are met, and rows hanging off another row carry the
  parent's number as `<parent prefix>_row_id` (`tx_row_id`, `ngs_row_id`, `biopsy_row_id`,
  `sledai_row_id`);
- dates become, by profile, either whole days from the patient's index date (the earlier of
  the LE diagnosis and the MDS/CMML diagnosis dates; negative before it), or the year only.
  A date's `<name>_precision` column (day/month/year) is exported beside it, and in interval
  mode a boolean `<name>_approx` says the interval is approximate: true when the date or the
  index date is known only to the month or year (such dates are stored mid-period). An
  interval is empty when the date or the index date is missing;
- registry timestamps (created_at, updated_at: datetimes) are bookkeeping and are dropped;
- ages (quasi-identifying integers) of 90 and over become "90+"; or, by profile, every age
  becomes its 10-year band (`age_decade`: "70-80" holds 70 to 79, "90+" from 90);
- the centre is kept as its code unless the profile leaves it out; sex is kept;
- free text is dropped unless the profile lists the field (`table.field` codes);
- everything else (clinical values, codes, derived scores) is kept as recorded.

A quasi-identifier this module has no rule for makes building a plan fail, so a field added
later is never exported by default. `reidentification_report` gives the smallest group size k
over (sex, age decade, centre) and the rows in groups under a threshold.

The caller streams rows from the database: `Model.objects.values_list(*plan.sources)`, in a
stable order that says nothing about the patient (the random case code, then the row's pk),
and passes them through `Deidentifier(plan, key=...)`; each row carries its own case code and
diagnosis dates, so no table has to be held in memory. Years of dates are kept even for
patients of 90 and over (Safe Harbor would also coarsen those); use a decade profile for
strict Safe Harbor ages.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crf.metadata import export_name, export_prefix, wide_name
from crf.models import Case
from crf.models.base import case_lookup
from crf.models.fields import (
    DATE,
    DIRECT_IDENTIFIER,
    FREE_TEXT,
    MISSING_CODES,
    QUASI_IDENTIFIER,
    DatePrecision,
)
from crf.rows import ONE_PER_CASE, REPEATING
from exports import extensions
from exports.dictionary import MISSING_SUFFIX, DictionaryEntry, dictionary_rows
from exports.formats.columns import (
    BOOLEAN,
    CODE,
    INTEGER,
    NUMBER,
    TEXT,
    ColumnSpec,
    validate_columns,
)

DATE_INTERVAL = "interval"
DATE_YEAR = "year"
DATE_MODES = (DATE_INTERVAL, DATE_YEAR)
AGE_YEARS = "years"
AGE_DECADE = "decade"
AGE_MODES = (AGE_YEARS, AGE_DECADE)
AGE_TOP_CODE = 90
AGE_TOP_LABEL = f"{AGE_TOP_CODE}+"
# Band labels, youngest first: "0-10" … "80-90", "90+" (lower bound in, upper bound out).
AGE_BANDS: tuple[str, ...] = (
    *(f"{low}-{low + 10}" for low in range(0, AGE_TOP_CODE, 10)),
    AGE_TOP_LABEL,
)
PSEUDONYM_KEY_MIN_BYTES = 32
EXPORT_ID = "export_id"
ROW_ID = "row_id"
WIDE_TABLE = "cases"
WIDE_MODELS: tuple[type[models.Model], ...] = (Case, *ONE_PER_CASE)
# Quasi-identifiers exported as recorded (the k report measures them with age and centre).
KEPT_QUASI_IDENTIFIERS = frozenset({"demographics.sex"})
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

# What each treatment means, for the codebook.
TREATMENTS = {
    "kept": gettext_lazy("exported as recorded"),
    "export_id": gettext_lazy(
        "keyed pseudonym of the case (HMAC-SHA-256 with a secret key and the profile), "
        "replaces the case code"
    ),
    "row_id": gettext_lazy("number of the row in this export (replaces the database id)"),
    "parent_row_id": gettext_lazy("number, in this export, of the row this row belongs to"),
    "centre": gettext_lazy("centre code (quasi-identifier)"),
    "interval": gettext_lazy("whole days from the index date (first of LE and MDS/CMML diagnosis)"),
    "approx": gettext_lazy(
        "true when the interval comes from a date or an index date known only to the month or year"
    ),
    "year": gettext_lazy("year only"),
    "age": gettext_lazy("age in years, 90 and over exported as 90+"),
    "age_decade": gettext_lazy("10-year age band (70-80 holds 70 to 79; 90+ from 90)"),
    "free_text": gettext_lazy("free text exported because the profile allows this field"),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """A named de-identification policy; the name also keys the pseudonyms."""

    name: str
    date_mode: str = DATE_INTERVAL
    age_mode: str = AGE_YEARS
    allowed_free_text: frozenset[str] = frozenset()  # `table.field` dictionary codes
    keep_centre: bool = True

    def __post_init__(self) -> None:
        if not _PROFILE_NAME.match(self.name):
            raise ValueError(
                _(
                    "Profile name %(name)r: use 1 to 63 lower-case letters, digits, '-' or "
                    "'_', starting with a letter or digit."
                )
                % {"name": self.name}
            )
        if self.date_mode not in DATE_MODES:
            raise ValueError(
                _("Profile date mode %(mode)r: choose %(modes)s.")
                % {"mode": self.date_mode, "modes": " or ".join(DATE_MODES)}
            )
        if self.age_mode not in AGE_MODES:
            raise ValueError(
                _("Profile age mode %(mode)r: choose %(modes)s.")
                % {"mode": self.age_mode, "modes": " or ".join(AGE_MODES)}
            )
        object.__setattr__(self, "allowed_free_text", frozenset(self.allowed_free_text))

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "date_mode": self.date_mode,
            "age_mode": self.age_mode,
            "allowed_free_text": sorted(self.allowed_free_text),
            "keep_centre": self.keep_centre,
        }


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """What the plan does with one dictionary field."""

    source: str  # the dictionary code, `table.field`
    treatment: str  # a key of TREATMENTS, or "dropped"
    columns: tuple[str, ...]  # the variables it becomes (none when dropped)
    reason: str = ""  # why it was dropped


@dataclass(frozen=True, slots=True)
class IndexDate:
    """The patient's index date, and whether it is known only to the month or year."""

    date: date
    approximate: bool


@dataclass(frozen=True, slots=True)
class CellRule:
    """What a column's cell is made of, as data (the SQL compiler, `exports.sql_export`,
    reads it; the Python `Deidentifier` runs the plan's cells, built beside it).

    `op`: "export_id", "centre", "text" (empty is not entered), "number", "raw", "row_id",
    "parent_row_id" (`table`: the numbered table), "age", "age_decade", "year",
    "interval_days", "interval_approx" (`at`: the date, then its precision or -1), or
    "variable" (`variable`: an `extensions.CaseVariable` over `at`).
    """

    op: str
    at: tuple[int, ...]
    table: str = ""
    variable: extensions.CaseVariable | None = None


@dataclass(frozen=True)
class TablePlan:
    """One exported table: what to select, and what each output column is made of."""

    name: str  # WIDE_TABLE or the repeating group's prefix
    model: type[models.Model]  # `sources` are ORM lookups starting from this model
    profile: Profile
    sources: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    decisions: tuple[FieldDecision, ...]
    _cells: tuple[Callable, ...] = field(repr=False, compare=False)
    _context: tuple[int, int, int, int, int] = field(repr=False, compare=False)
    rules: tuple[CellRule, ...] = field(default=(), repr=False, compare=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# ---- the pure rules ----


def pseudonym(case_code: str, *, key: bytes, profile: str) -> str:
    """The case's export identifier: "P" + 12 base32 characters of a keyed HMAC-SHA-256."""
    return pseudonymiser(key=key, profile=profile)(case_code)


def _context(profile: str) -> bytes:
    """What the HMAC reads before the case code: one key, a pseudonym per profile."""
    return b"registry-export-id\x00" + profile.encode() + b"\x00"


def pseudonymiser(*, key: bytes, profile: str) -> Callable[[str], str]:
    """`pseudonym` with the key and profile bound (the keyed state is prepared once)."""
    check_key(key)
    keyed = hmac.new(key, _context(profile), hashlib.sha256)

    def of(case_code: str) -> str:
        mac = keyed.copy()
        mac.update(case_code.encode())
        # The first 12 base32 characters of the digest are its first 60 bits, spelled here
        # two characters (10 bits) at a time: 3x faster than base64.b32encode, same text.
        bits = int.from_bytes(mac.digest()[:8], "big") >> 4
        pairs = _BASE32_PAIRS
        return (
            f"P{pairs[bits >> 50]}{pairs[(bits >> 40) & 1023]}{pairs[(bits >> 30) & 1023]}"
            f"{pairs[(bits >> 20) & 1023]}{pairs[(bits >> 10) & 1023]}{pairs[bits & 1023]}"
        )

    return of


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648, the alphabet of base64.b32encode
_BASE32_PAIRS = tuple(a + b for a in _BASE32 for b in _BASE32)
_BASE32_CODES = np.frombuffer(_BASE32.encode(), dtype=np.uint8)
_FIVE_BIT_SHIFTS = np.arange(55, -1, -5, dtype=np.uint64)  # 60 bits, the first 5 first


def pseudonyms(case_codes: Sequence[str], *, key: bytes, profile: str) -> bytes:
    """Each code's `pseudonym`, in order, as one ASCII string (13 bytes each): the SQL
    export's parameter, every exported case's before the first row (0.56 -> 0.24 s at
    100,000 cases). The same HMAC-SHA-256 (RFC 2104) from the key's two padded SHA-256
    states, copied per code (`hmac`'s own copy costs about twice as much); the 60 bits of
    every code spelled in base32 at once."""
    check_key(key)
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded) + _context(profile))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    heads = bytearray()  # the first 8 bytes of each code's MAC
    for code in case_codes:
        mac = inner.copy()
        mac.update(code.encode())
        keyed = outer.copy()
        keyed.update(mac.digest())
        heads += keyed.digest()[:8]
    bits = np.frombuffer(heads, dtype=">u8").astype(np.uint64) >> np.uint64(4)
    spelled = np.full((len(case_codes), 13), ord("P"), dtype=np.uint8)
    spelled[:, 1:] = _BASE32_CODES[(bits[:, None] >> _FIVE_BIT_SHIFTS) & np.uint64(31)]
    return spelled.tobytes()


def check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < PSEUDONYM_KEY_MIN_BYTES:
        raise ValueError(
            _(
                "The export pseudonym key must be at least %(n)d bytes of secret random data "
                "(e.g. secrets.token_bytes(32)), kept outside the database and the export."
            )
            % {"n": PSEUDONYM_KEY_MIN_BYTES}
        )


def index_date(
    le_date: date | None,
    le_precision: str | None,
    mds_date: date | None,
    mds_precision: str | None,
) -> IndexDate | None:
    """The earlier of the two diagnosis dates (LE first on a tie), or None if neither."""
    known = [(d, p) for d, p in ((le_date, le_precision), (mds_date, mds_precision)) if d]
    if not known:
        return None
    first, precision = min(known, key=lambda pair: pair[0])
    return IndexDate(first, approximate=_is_partial(precision))


def days_from_index(
    value: date | None, precision: str | None, index: IndexDate | None
) -> tuple[int | None, bool | None]:
    """(whole days from the index date, approximate?), or (None, None) if either is missing."""
    if value is None or index is None:
        return None, None
    return (value - index.date).days, _is_partial(precision) or index.approximate


def top_code_age(age: int | None) -> int | str | None:
    """Ages of 90 and over become "90+"."""
    if age is None:
        return None
    return AGE_TOP_LABEL if age >= AGE_TOP_CODE else age


def age_decade(age: int | None) -> str | None:
    """The 10-year band of an age: 74 -> "70-80" (70 to 79), 80 -> "80-90", 93 -> "90+"."""
    if age is None:
        return None
    if age < 0:
        raise ValueError(_("An age cannot be negative (got %(age)s).") % {"age": age})
    if age >= AGE_TOP_CODE:
        return AGE_TOP_LABEL
    low = age // 10 * 10
    return f"{low}-{low + 10}"


def _is_partial(precision: str | None) -> bool:
    return bool(precision) and precision != DatePrecision.DAY


# ---- plans ----


def wide_plan(profile: Profile, entries: list[DictionaryEntry] | None = None) -> TablePlan:
    """The one-row-per-case table: the case and its one-per-case sections."""
    return _build(WIDE_TABLE, WIDE_MODELS, profile, wide=True, entries=entries)


def long_plan(
    model: type[models.Model], profile: Profile, entries: list[DictionaryEntry] | None = None
) -> TablePlan:
    """The table of one repeating group (treatments, NGS variants…), one row per row."""
    if model not in REPEATING:
        raise ValueError(f"{model.__name__} is not a repeating group: it is in the wide table.")
    return _build(export_prefix(model), (model,), profile, wide=False, entries=entries)


def export_plans(profile: Profile, entries: list[DictionaryEntry] | None = None) -> list[TablePlan]:
    """Every table of an export: the wide table, then each repeating group in CRF order.
    `entries`: the data dictionary, when the caller has it (it translates every label)."""
    entries = dictionary_rows() if entries is None else entries
    return [wide_plan(profile, entries), *(long_plan(m, profile, entries) for m in REPEATING)]


class _Builder:
    def __init__(self, name: str, model: type[models.Model], profile: Profile, wide: bool):
        self.name, self.model, self.profile, self.wide = name, model, profile, wide
        self.sources: list[str] = []
        self.columns: list[ColumnSpec] = []
        self.cells: list[Callable] = []
        self.rules: list[CellRule] = []
        self.decisions: list[FieldDecision] = []
        # Every row carries its case code and the two diagnosis dates (for the index date).
        to_case = "" if wide else case_lookup(model) + "__"
        self.context = (
            self.source(f"{to_case}code"),
            self.source(f"{to_case}demographics__le_diagnosis_date"),
            self.source(f"{to_case}demographics__le_diagnosis_date_precision"),
            self.source(f"{to_case}haematologicaldisease__diagnosis_date"),
            self.source(f"{to_case}haematologicaldisease__diagnosis_date_precision"),
        )

    def source(self, lookup: str) -> int:
        if lookup not in self.sources:
            self.sources.append(lookup)
        return self.sources.index(lookup)

    def add(self, column: ColumnSpec, cell: Callable, rule: CellRule) -> str:
        self.columns.append(column)
        self.cells.append(cell)
        self.rules.append(rule)
        return column.name

    def decide(self, code: str, treatment: str, names: Sequence[str], reason: str = "") -> None:
        self.decisions.append(FieldDecision(code, treatment, tuple(names), reason))

    def drop(self, code: str, reason: str) -> None:
        self.decide(code, "dropped", (), reason)

    def plan(self) -> TablePlan:
        validate_columns(self.columns)
        return TablePlan(
            name=self.name,
            model=self.model,
            profile=self.profile,
            sources=tuple(self.sources),
            columns=tuple(self.columns),
            decisions=tuple(self.decisions),
            _cells=tuple(self.cells),
            _context=self.context,  # type: ignore[arg-type]
            rules=tuple(self.rules),
        )


def _build(
    name: str,
    table_models: Sequence[type[models.Model]],
    profile: Profile,
    *,
    wide: bool,
    entries: list[DictionaryEntry] | None = None,
) -> TablePlan:
    entries = dictionary_rows() if entries is None else entries
    _check_allowed_free_text(profile, entries)
    builder = _Builder(name, table_models[0], profile, wide)
    builder.add(
        ColumnSpec(EXPORT_ID, _("export identifier (pseudonym)"), TEXT, treatment="export_id"),
        lambda row, ctx: ctx[0],
        CellRule("export_id", (builder.context[0],)),
    )
    by_table = {m._meta.model_name: m for m in table_models}
    for entry in entries:
        model = by_table.get(entry.table)
        if model is not None:
            _plan_field(builder, model, entry)
    if wide:
        for group in extensions.groups():
            for variable in group.variables:
                _plan_case_variable(builder, group, variable)
    return builder.plan()


def _plan_case_variable(
    b: _Builder, group: extensions.CaseVariables, variable: extensions.CaseVariable
) -> None:
    """A variable another app declares (exports.extensions), read by its lookups."""
    if variable.free_text and variable.code not in b.profile.allowed_free_text:
        return b.drop(variable.code, _("free text: not allowed by the profile"))
    at = [b.source(f"{group.accessor}__{lookup}") for lookup in variable.lookups]
    treatment = "free_text" if variable.free_text else "kept"
    column = replace(variable.column(), source=variable.code, treatment=treatment)

    def cell(row, ctx):
        return variable.value(*(row[i] for i in at))

    rule = CellRule("variable", tuple(at), variable=variable)
    b.decide(variable.code, treatment, [b.add(column, cell, rule)])


def _check_allowed_free_text(profile: Profile, entries: list[DictionaryEntry]) -> None:
    classes = {e.code: e.deid_class for e in entries}
    for group in extensions.groups():
        classes.update({v.code: FREE_TEXT for v in group.variables if v.free_text})
    for code in sorted(profile.allowed_free_text):
        if classes.get(code) != FREE_TEXT:
            raise ValueError(
                _(
                    "Profile %(profile)s allows free text %(code)r, which is not a free-text "
                    "field of the data dictionary: give `table.field` codes of free-text "
                    "fields only."
                )
                % {"profile": profile.name, "code": code}
            )


def _plan_field(b: _Builder, model: type[models.Model], entry: DictionaryEntry) -> None:
    f = model._meta.get_field(entry.code.split(".", 1)[1])
    lookup = _lookup(b, model, f)
    name = wide_name(model, f) if b.wide else export_name(f)
    label = str(f.verbose_name)
    common = {"source": entry.code, "derived": entry.derived, "unit": entry.unit}

    if entry.deid_class == DIRECT_IDENTIFIER:
        return b.drop(entry.code, _("direct identifier: never exported"))
    if entry.type == "datetime":
        return b.drop(entry.code, _("registry timestamp, not study data"))
    if entry.type == "reference" or entry.code == "case.code":
        return _plan_key(b, model, f, entry)
    if entry.deid_class == QUASI_IDENTIFIER:
        if entry.code.split(".")[1].startswith("age_") and entry.type == "integer":
            return _plan_age(b, entry, name, label, lookup, common)
        if entry.code not in KEPT_QUASI_IDENTIFIERS:
            raise ValueError(
                f"{entry.code} is a quasi-identifier with no export rule: add one to "
                "exports.deid before it can be exported."
            )
    if entry.deid_class == FREE_TEXT and entry.code not in b.profile.allowed_free_text:
        return b.drop(entry.code, _("free text: not allowed by the profile"))
    if entry.deid_class == DATE:
        return _plan_date(b, model, f, entry, name, label, lookup)

    treatment = "free_text" if entry.deid_class == FREE_TEXT else "kept"
    i = b.source(lookup)
    column = _kept_column(b, model, f, entry, name, label, treatment, common)
    if column.kind in (TEXT, CODE):
        cell = lambda row, ctx, i=i: row[i] or None  # noqa: E731 - "" is "not entered"
        op = "text"
    elif column.kind == NUMBER:
        cell = lambda row, ctx, i=i: None if row[i] is None else float(row[i])  # noqa: E731
        op = "number"
    else:
        cell = lambda row, ctx, i=i: row[i]  # noqa: E731
        op = "raw"
    b.decide(entry.code, treatment, [b.add(column, cell, CellRule(op, (i,)))])


def _kept_column(b, model, f, entry, name, label, treatment, common) -> ColumnSpec:
    if entry.type == "coded":
        choices = [(c, str(lbl)) for c, lbl in f.flatchoices]
        return ColumnSpec(
            name,
            label,
            CODE,
            value_labels=tuple((c, lbl) for c, lbl in choices if c not in MISSING_CODES),
            missing_codes=tuple(c for c, _lbl in choices if c in MISSING_CODES),
            treatment=treatment,
            **common,
        )
    if entry.type == "boolean":
        return ColumnSpec(name, label, BOOLEAN, treatment=treatment, **common)
    if entry.type == "integer":
        labels = tuple((c, str(lbl)) for c, lbl in f.flatchoices)
        return ColumnSpec(name, label, INTEGER, value_labels=labels, treatment=treatment, **common)
    if entry.type == "decimal":
        reason = _missing_companion(model, f)
        reason_name = ""
        if reason is not None:
            reason_name = wide_name(model, reason) if b.wide else export_name(reason)
        return ColumnSpec(
            name, label, NUMBER, missing_reason=reason_name, treatment=treatment, **common
        )
    return ColumnSpec(name, label, TEXT, treatment=treatment, **common)


def _plan_key(b: _Builder, model, f: models.Field, entry: DictionaryEntry) -> None:
    if entry.code == "case.centre":
        if not b.profile.keep_centre:
            return b.drop(entry.code, _("quasi-identifier: the profile leaves out the centre"))
        i = b.source("centre__code")
        column = ColumnSpec(
            wide_name(model, f), _("centre"), TEXT, source=entry.code, treatment="centre"
        )
        rule = CellRule("centre", (i,))
        return b.decide(entry.code, "centre", [b.add(column, lambda row, ctx: row[i], rule)])
    if entry.code in ("case.id", "case.code"):
        return b.drop(entry.code, _("replaced by export_id"))
    if not f.primary_key and f.related_model is Case:
        return b.drop(entry.code, _("the case is given by export_id"))
    i = b.source(_lookup(b, model, f))
    if f.primary_key:  # a repeating row's own id
        table = export_prefix(model)
        column = ColumnSpec(ROW_ID, _("row number"), INTEGER, source=entry.code, treatment="row_id")
        cell = lambda row, ctx: ctx[2].number(table, row[i])  # noqa: E731
        rule = CellRule("row_id", (i,), table=table)
        return b.decide(entry.code, "row_id", [b.add(column, cell, rule)])
    target = f.related_model
    parent = export_prefix(target)
    column = ColumnSpec(
        f"{parent}_{ROW_ID}",
        _("row number of the %(parent)s row") % {"parent": target._meta.verbose_name},
        INTEGER,
        source=entry.code,
        treatment="parent_row_id",
    )
    cell = lambda row, ctx: ctx[2].number(parent, row[i])  # noqa: E731
    rule = CellRule("parent_row_id", (i,), table=parent)
    b.decide(entry.code, "parent_row_id", [b.add(column, cell, rule)])


def _plan_age(b: _Builder, entry, name: str, label: str, lookup: str, common: dict) -> None:
    i = b.source(lookup)
    common = {**common, "unit": "years"}
    if b.profile.age_mode == AGE_DECADE:
        bands = tuple((band, band) for band in AGE_BANDS)
        column = ColumnSpec(name, label, CODE, value_labels=bands, treatment="age_decade", **common)
        cell = lambda row, ctx: age_decade(row[i])  # noqa: E731
        rule = CellRule("age_decade", (i,))
        return b.decide(entry.code, "age_decade", [b.add(column, cell, rule)])
    column = ColumnSpec(
        name,
        label,
        INTEGER,
        value_labels=((AGE_TOP_CODE, AGE_TOP_LABEL),),
        top_code=AGE_TOP_CODE,
        treatment="age",
        **common,
    )
    cell = lambda row, ctx: top_code_age(row[i])  # noqa: E731
    b.decide(entry.code, "age", [b.add(column, cell, CellRule("age", (i,)))])


def _plan_date(b: _Builder, model, f, entry, name: str, label: str, lookup: str) -> None:
    i = b.source(lookup)
    common = {"source": entry.code, "derived": entry.derived}
    if b.profile.date_mode == DATE_YEAR:
        year_label = _("%(label)s (year)") % {"label": label}
        column = ColumnSpec(name, year_label, INTEGER, treatment="year", **common)
        cell = lambda row, ctx: None if row[i] is None else row[i].year  # noqa: E731
        return b.decide(entry.code, "year", [b.add(column, cell, CellRule("year", (i,)))])
    p = b.source(f"{lookup}_precision") if getattr(f, "partial", False) else None

    def interval(row, ctx):
        return days_from_index(row[i], row[p] if p is not None else None, ctx[1])

    days = ColumnSpec(
        name,
        _("%(label)s (days from index date)") % {"label": label},
        INTEGER,
        unit="days",
        treatment="interval",
        **common,
    )
    approx = ColumnSpec(
        f"{name}_approx",
        _("%(label)s: interval approximate") % {"label": label},
        BOOLEAN,
        treatment="approx",
        **common,
    )
    at = (i, -1 if p is None else p)
    names = [
        b.add(days, lambda row, ctx: interval(row, ctx)[0], CellRule("interval_days", at)),
        b.add(approx, lambda row, ctx: interval(row, ctx)[1], CellRule("interval_approx", at)),
    ]
    b.decide(entry.code, "interval", names)


def _lookup(b: _Builder, model: type[models.Model], f: models.Field) -> str:
    """The ORM lookup of field `f` of `model`, from the plan's base model."""
    if model is b.model:
        return f.name
    # A one-per-case section, reached from Case by its reverse one-to-one.
    return f"{model._meta.get_field('case').related_query_name()}__{f.name}"


def _missing_companion(model: type[models.Model], f: models.Field) -> models.Field | None:
    """`x_missing` of a measured value `x` (`measurement()` gives `x` its bounds), else None."""
    if not hasattr(f, "bounds"):
        return None
    try:
        return model._meta.get_field(f.name + MISSING_SUFFIX)
    except FieldDoesNotExist:
        return None


# ---- applying a plan to rows ----


class RowNumbering:
    """Row numbers of one export: per table, 1, 2, 3… in the order the rows are first met.

    Share one between the tables of an export, so a child's `<parent>_row_id` matches the
    parent's `row_id` whichever table is written first. Only the tables other tables point
    at (`remembered`; None: every table) keep each row's number; a table nobody points at is
    numbered by a counter that starts again with each pass over it (`start`): every pass
    reads its rows in the same order, so the numbers are the same and memory stays flat.
    """

    def __init__(self, remembered: Collection[str] | None = None) -> None:
        self._numbers: dict[str, dict[object, int]] = {}
        self._remembered = None if remembered is None else frozenset(remembered)
        self._counters: dict[str, int] = {}

    def start(self, table: str) -> None:
        """A pass over `table`'s rows begins."""
        if self._remembered is not None and table not in self._remembered:
            self._counters[table] = 0

    def number(self, table: str, key: object) -> int | None:
        if key is None:
            return None
        if table in self._counters:
            self._counters[table] += 1
            return self._counters[table]
        numbers = self._numbers.setdefault(table, {})
        return numbers.setdefault(key, len(numbers) + 1)


def referenced_tables(plans: Iterable[TablePlan]) -> frozenset[str]:
    """The tables whose row numbers other tables point at (`<parent>_row_id` columns)."""
    suffix = f"_{ROW_ID}"
    return frozenset(
        column.name.removesuffix(suffix)
        for plan in plans
        for column in plan.columns
        if column.treatment == "parent_row_id"
    )


class Deidentifier:
    """Turns source rows (selected with `plan.sources`) into export rows (`plan.columns`)."""

    def __init__(self, plan: TablePlan, *, key: bytes, numbering: RowNumbering | None = None):
        self.plan = plan
        self.numbering = numbering if numbering is not None else RowNumbering()
        self._pseudonym = pseudonymiser(key=key, profile=plan.profile.name)

    def row(self, source: Sequence) -> tuple:
        if len(source) != len(self.plan.sources):
            raise ValueError(
                f"{self.plan.name}: a source row has {len(source)} values; select "
                f"{len(self.plan.sources)} (plan.sources)."
            )
        code, le, le_p, mds, mds_p = (source[i] for i in self.plan._context)
        ctx = (self._pseudonym(code), index_date(le, le_p, mds, mds_p), self.numbering)
        return tuple(cell(source, ctx) for cell in self.plan._cells)

    def rows(self, sources: Iterable[Sequence]) -> Iterator[tuple]:
        """Lazily: one export row per source row, as they are read (one pass of the table)."""
        self.numbering.start(self.plan.name)
        for source in sources:
            yield self.row(source)


def deidentify_row(
    plan: TablePlan, source: Sequence, *, key: bytes, numbering: RowNumbering | None = None
) -> tuple:
    """One export row from one source row (see `Deidentifier` for a stream)."""
    return Deidentifier(plan, key=key, numbering=numbering).row(source)


# ---- re-identification risk ----


@dataclass(frozen=True, slots=True)
class ReidentificationReport:
    """Group sizes over (sex, age band, centre): k is the smallest."""

    k: int  # 0 when there are no rows
    threshold: int
    groups: tuple[tuple[tuple[str | None, str | None, str | None], int], ...]  # sorted
    at_risk: tuple[str, ...]  # export ids of the rows in groups smaller than the threshold

    @property
    def rows(self) -> int:
        return sum(size for _key, size in self.groups)

    @property
    def passes(self) -> bool:
        return not self.at_risk


def reidentification_report(
    records: Iterable[tuple[str, object, object, object]], *, threshold: int
) -> ReidentificationReport:
    """k-anonymity over (sex, age decade, centre) of `(export_id, sex, age, centre)` records.

    An age may be given in years, as "90+" or as a band already; a missing value is a value
    of its own (a group of patients whose sex is unknown is still a group).
    """
    if threshold < 1:
        raise ValueError(_("The k threshold must be at least 1 (got %(k)s).") % {"k": threshold})
    members: dict[tuple, list[str]] = {}
    for export_id, sex, age, centre in records:
        key = (_text(sex), _band(age), _text(centre))
        members.setdefault(key, []).append(export_id)
    sizes = Counter({key: len(ids) for key, ids in members.items()})
    groups = tuple(sorted(sizes.items(), key=lambda item: tuple(v or "" for v in item[0])))
    at_risk = sorted(i for key, ids in members.items() if sizes[key] < threshold for i in ids)
    return ReidentificationReport(
        k=min(sizes.values(), default=0), threshold=threshold, groups=groups, at_risk=tuple(at_risk)
    )


def report_from_groups(
    groups: Iterable[tuple[tuple[str | None, str | None, str | None], int, Sequence[str] | None]],
    *,
    threshold: int,
) -> ReidentificationReport:
    """The report from groups already counted (the SQL path's GROUP BY): each group's key
    (sex, age band, centre), size, and its export ids when it is under the threshold."""
    if threshold < 1:
        raise ValueError(_("The k threshold must be at least 1 (got %(k)s).") % {"k": threshold})
    sizes: dict[tuple, int] = {}
    at_risk: list[str] = []
    for key, size, ids in groups:
        sizes[key] = size
        if size < threshold:
            at_risk.extend(ids or ())
    ordered = tuple(sorted(sizes.items(), key=lambda item: tuple(v or "" for v in item[0])))
    return ReidentificationReport(
        k=min(sizes.values(), default=0),
        threshold=threshold,
        groups=ordered,
        at_risk=tuple(sorted(at_risk)),
    )


def report_for_table(
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence],
    *,
    threshold: int,
    sex: str = "dem_sex",
    age: str = "dem_age_at_le_diagnosis",
    centre: str = "case_centre",
) -> ReidentificationReport:
    """The report over de-identified wide-table rows (a column left out counts as empty)."""
    names = [c.name for c in columns]
    at = {n: names.index(n) if n in names else None for n in (EXPORT_ID, sex, age, centre)}

    def pick(row, name):
        return None if at[name] is None else row[at[name]]

    records = ((pick(r, EXPORT_ID), pick(r, sex), pick(r, age), pick(r, centre)) for r in rows)
    return reidentification_report(records, threshold=threshold)


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _band(age: object) -> str | None:
    if age is None or age == "":
        return None
    if isinstance(age, int):
        return age_decade(age)
    return str(age)  # "90+" or a band label
