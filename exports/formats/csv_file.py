"""CSV: UTF-8 without a byte-order mark, comma-separated, "\\n" line ends, a header row.

Streaming: each row is encoded and written as it arrives.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from .columns import BOOLEAN, CODE, TEXT, ColumnSpec, iter_checked, neutralise


def write_csv(columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """Write the header and `rows` to `out`; return the number of data rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    # Only text and booleans need work: csv writes None as "", ints with str, floats with
    # repr (their shortest exact form), and the "90+" of a top-coded age as it is.
    texts = [i for i, c in enumerate(columns) if c.kind in (TEXT, CODE)]
    booleans = [i for i, c in enumerate(columns) if c.kind == BOOLEAN]
    try:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        count = 0
        for row in iter_checked(columns, rows):
            cells = list(row)
            for i in texts:
                if cells[i] is not None:
                    cells[i] = neutralise(str(cells[i]))
            for i in booleans:
                if cells[i] is not None:
                    # The spelling exports.dictionary uses; pandas reads it back as booleans.
                    cells[i] = "true" if cells[i] else "false"
            writer.writerow(cells)
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # the caller owns `out`: leave it open
