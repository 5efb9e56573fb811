"""What a writer needs to know about a column, and the rules every format shares.

A `ColumnSpec` describes one exported variable: its name, label, kind, value labels and how
its missing data are represented. `exports.deid` builds them from the data dictionary; the
writers only read them, so this module knows nothing about Django models.

Values handed to the writers are plain Python: `None` means "not entered" for every kind;
a CODE column holds the code text (a real code or a missing-data code); a NUMBER column holds
a float (or None, its reason being in the companion column named by `missing_reason`); an
INTEGER column holds an int, or the text "<top_code>+" for a top-coded age.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from crf.codes import Missing

# Column kinds.
TEXT = "text"
CODE = "code"
INTEGER = "integer"
NUMBER = "number"
BOOLEAN = "boolean"
KINDS = (TEXT, CODE, INTEGER, NUMBER, BOOLEAN)

MISSING_CODES: tuple[str, ...] = tuple(Missing.values)  # unknown, not_done, not_applicable
MISSING_LABELS: dict[str, str] = dict(Missing.choices)
# Stata: extended missing values; system missing (.) is "not entered".
STATA_MISSING: dict[str, str] = {"unknown": "a", "not_done": "b", "not_applicable": "c"}
# SPSS: discrete user-missing values (SPSS allows at most three); system missing is
# "not entered". Negative, so they never collide with a measurement (bounds start at 0).
SPSS_MISSING: dict[str, int] = {"unknown": -1, "not_done": -2, "not_applicable": -3}
BOOLEAN_LABELS: tuple[tuple[int, str], ...] = ((0, "No"), (1, "Yes"))

STATA_NAME_MAX = 32
STATA_LABEL_MAX = 80
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Words Stata or SPSS refuse as variable names.
RESERVED_NAMES = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _pi _pred _rc _skip str strl "
    "using with all and by eq ge gt le lt ne not or to".split()
)  # compared in lower case: SPSS ignores case
# Cells a spreadsheet would read as a formula (CSV injection): see `neutralise`.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One exported variable."""

    name: str
    label: str
    kind: str
    # CODE: (code, label) of the real answers, in order (Stata/SPSS number them 1..n);
    # INTEGER: (value, label) for labelled values (ANA titres, the top-coded age).
    value_labels: tuple[tuple[str | int, str], ...] = ()
    missing_codes: tuple[str, ...] = ()  # CODE: which missing-data codes it may hold
    missing_reason: str = ""  # NUMBER: the companion column saying why a value is absent
    top_code: int | None = None  # INTEGER: "<top_code>+" stands for top_code and above
    unit: str = ""
    # For the codebook: where it comes from and what de-identification did to it.
    source: str = ""
    treatment: str = ""
    derived: bool = False

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert set(self.missing_codes) <= set(MISSING_CODES), self.missing_codes

    @property
    def top_label(self) -> str:
        return f"{self.top_code}+" if self.top_code is not None else ""


def validate_columns(columns: Sequence[ColumnSpec]) -> None:
    """Refuse names Stata or SPSS would reject or silently change, and dangling companions."""
    seen: set[str] = set()
    names = {c.name for c in columns}
    for column in columns:
        name = column.name
        if len(name) > STATA_NAME_MAX or not _NAME.match(name):
            raise ValueError(
                f"Variable name {name!r}: use at most {STATA_NAME_MAX} lower-case letters, "
                "digits or underscores, starting with a letter (declare a shorter export_name "
                "beside the field with crf.models.fields.export_as)."
            )
        if name.lower() in RESERVED_NAMES:
            raise ValueError(f"Variable name {name!r} is reserved in Stata or SPSS: rename it.")
        if name.lower() in seen:
            raise ValueError(f"Variable name {name!r} appears twice: names must be unique.")
        seen.add(name.lower())
        if column.missing_reason and column.missing_reason not in names:
            raise ValueError(
                f"{name}: its missing-reason column {column.missing_reason!r} is not exported "
                "with it; export both or neither."
            )


def neutralise(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def as_number(value: object) -> object:
    """Decimals from the database become floats; everything else is left alone."""
    return float(value) if isinstance(value, Decimal) else value


def code_numbers(column: ColumnSpec) -> dict[str, int]:
    """Stata/SPSS numbering of a CODE column's real answers: 1..n in the dictionary's order."""
    return {str(code): i for i, (code, _) in enumerate(column.value_labels, start=1)}


def top_coded(column: ColumnSpec, value: object) -> object:
    """The number standing for a top-coded value ("90+" -> 90); other values unchanged."""
    if column.top_code is not None and value == column.top_label:
        return column.top_code
    return value


def iter_checked(columns: Sequence[ColumnSpec], rows: Iterable[Sequence]) -> Iterable[Sequence]:
    """Rows, each checked to have one value per column (a short row is a caller's bug)."""
    width = len(columns)
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise ValueError(f"Row {number} has {len(row)} values for {width} columns.")
        yield row
