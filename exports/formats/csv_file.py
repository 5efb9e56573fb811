"""CSV: UTF-8 without a byte-order mark, comma-separated, "\\n" line ends, a header row.

Streaming: each row is encoded and written as it arrives.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from .columns import BOOLEAN, CODE, TEXT, ColumnSpec, as_number, iter_checked, neutralise


def write_csv(columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """Write the header and `rows` to `out`; return the number of data rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        cells = [_cell_function(c) for c in columns]
        count = 0
        for row in iter_checked(columns, rows):
            writer.writerow([cell(value) for cell, value in zip(cells, row, strict=True)])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # the caller owns `out`: leave it open


def _cell_function(column: ColumnSpec):
    if column.kind in (TEXT, CODE):
        return _text_cell
    if column.kind == BOOLEAN:
        return _boolean_cell
    return _number_cell  # INTEGER (with "90+" passing through) and NUMBER


def _text_cell(value: object) -> str:
    return "" if value is None else neutralise(str(value))


def _boolean_cell(value: object) -> str:
    # The spelling exports.dictionary uses; pandas reads it back as booleans.
    return "" if value is None else ("true" if value else "false")


def _number_cell(value: object) -> str:
    # repr of a float is its shortest exact form (12.5, not 12.500000000000002).
    return "" if value is None else str(as_number(value))
