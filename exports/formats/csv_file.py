"""CSV: UTF-8 without a byte-order mark, comma-separated, "\\n" line ends, a header row.

Quoting is PostgreSQL's (`COPY … (FORMAT csv)`), so that the files `exports.copy_export`
streams from the database and the files written here are the same bytes: a field is quoted
when it holds a comma, a double quote (doubled inside), a line feed or a carriage return,
or when it is an empty text (an empty field is "not entered"). Python's csv module leaves a
carriage return unquoted, hence this writer.

Streaming: each row is encoded and written as it arrives.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from .columns import BOOLEAN, CODE, TEXT, ColumnSpec, iter_checked, neutralise

_NEEDS_QUOTES = re.compile(r'[,"\n\r]')


def write_csv(columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """Write the header and `rows` to `out`; return the number of data rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    # Text is neutralised and quoted; booleans are spelled; other values are written with
    # str: None as "", ints as digits, floats as their repr (shortest exact form), the "90+"
    # of a top-coded age as it is.
    texts = frozenset(i for i, c in enumerate(columns) if c.kind in (TEXT, CODE))
    booleans = frozenset(i for i, c in enumerate(columns) if c.kind == BOOLEAN)
    try:
        text.write(",".join(quoted(c.name) for c in columns) + "\n")
        count = 0
        for row in iter_checked(columns, rows):
            cells = []
            for i, value in enumerate(row):
                if value is None:
                    cells.append("")
                elif i in texts:
                    cells.append(quoted(neutralise(str(value))))
                elif i in booleans:
                    # The spelling exports.dictionary uses; pandas reads it back as booleans.
                    cells.append("true" if value else "false")
                else:
                    cells.append(quoted(str(value)))
            text.write(",".join(cells) + "\n")
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # the caller owns `out`: leave it open


def quoted(field: str) -> str:
    """A field as PostgreSQL's CSV writes it (see the module's docstring)."""
    if field == "" or _NEEDS_QUOTES.search(field):
        return '"' + field.replace('"', '""') + '"'
    return field
