"""Export file formats: CSV, XLSX, Stata .dta, SPSS .sav and Parquet.

Every writer has the signature `write(columns, rows, out) -> int`: `columns` are
`ColumnSpec`s (see `columns`), `rows` any iterable of tuples (one value per column, consumed
once, lazily), `out` a binary file object the caller owns; it returns the number of rows.
CSV, XLSX and Parquet stream (memory does not grow with the table); Stata and SPSS build one
DataFrame, because pyreadstat writes whole frames.

The four missing-data states stay distinguishable in every format:

| state          | CSV / XLSX            | Parquet          | Stata (.dta) | SPSS (.sav)      |
|----------------|-----------------------|------------------|--------------|------------------|
| not entered    | empty cell            | null             | . (sysmiss)  | sysmiss          |
| unknown        | code text `unknown`   | `unknown`        | .a           | -1 (user-missing)|
| not done       | `not_done`            | `not_done`       | .b           | -2 (user-missing)|
| not applicable | `not_applicable`      | `not_applicable` | .c           | -3 (user-missing)|

Coded variables hold the code text in CSV, XLSX and Parquet; in Stata and SPSS they are
numbered 1..n in the dictionary's order with value labels (the codebook gives the numbers).
A measured value `x` is a number or empty and its companion `x_missing` (a coded variable,
in every format) says why it is empty; in Stata and SPSS `x` itself also carries that reason
as .a/.b/.c or -1/-2/-3. Text variables are empty when not entered ("" in Stata/SPSS, which
have no missing string). Booleans: `true`/`false` in CSV, native in XLSX and Parquet, 0/1
labelled No/Yes in Stata and SPSS. A top-coded age is the text "90+" in CSV and XLSX and the
number 90 (labelled "90+") in Parquet, Stata and SPSS.

Variable names are checked by `validate_columns` (Stata and SPSS rules) before any writing.
Text cells that start with =, +, -, @, tab or CR get a leading apostrophe in CSV and XLSX so
a spreadsheet never runs them as formulas; numbers are untouched.

The same columns and rows give byte-identical files: no format records the time of writing
(see the XLSX and Stata/SPSS modules for how), and rows keep the order they are given in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO

from .columns import ColumnSpec, validate_columns
from .csv_file import write_csv
from .parquet_file import write_parquet
from .stata_spss import write_dta, write_sav
from .xlsx_file import write_xlsx

Writer = Callable[[Sequence[ColumnSpec], Iterable[Sequence], BinaryIO], int]

# Format code -> (file extension, writer).
WRITERS: dict[str, tuple[str, Writer]] = {
    "csv": ("csv", write_csv),
    "xlsx": ("xlsx", write_xlsx),
    "dta": ("dta", write_dta),
    "sav": ("sav", write_sav),
    "parquet": ("parquet", write_parquet),
}
FORMATS = tuple(WRITERS)


def write_table(
    fmt: str,
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence],
    out: BinaryIO,
    *,
    table: str = "data",
) -> int:
    """Validate the names, then write `rows` in format `fmt` to `out`; return the row count.

    `table` names the XLSX sheet.
    """
    if fmt not in WRITERS:
        raise ValueError(f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    validate_columns(columns)
    if fmt == "xlsx":
        return write_xlsx(columns, rows, out, sheet_name=table)
    return WRITERS[fmt][1](columns, rows, out)


__all__ = [
    "FORMATS",
    "WRITERS",
    "ColumnSpec",
    "validate_columns",
    "write_csv",
    "write_dta",
    "write_parquet",
    "write_sav",
    "write_table",
    "write_xlsx",
]
