"""Renderers: an `AnalysisTable` as a DataFrame, CSV, HTML-ready structures, or its numbers.

The printed texts go to the DataFrame and CSV; the HTML structure also carries each
number's export ids, so a page can link a count back to the cases it counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import pandas as pd

from .cells import AnalysisTable, Kind

INDENT = "    "


def to_dataframe(table: AnalysisTable, *, indent: bool = False) -> pd.DataFrame:
    """One row per table row: the label, then the printed cells under the table's columns."""
    label = table.label_header or table.key
    records = []
    for row in table.rows:
        text = f"{INDENT}{row.label}" if indent and row.kind is Kind.SUBITEM else row.label
        records.append([text, *(cell.text for cell in row.cells)])
    return pd.DataFrame(records, columns=[label, *table.columns])


def to_csv(table: AnalysisTable) -> str:
    """The printed table as CSV (UTF-8 text; the title and footnotes are left out)."""
    return to_dataframe(table).to_csv(index=False, lineterminator="\n")


def to_html_context(table: AnalysisTable) -> dict[str, Any]:
    """What a template needs: title, headers, rows (kind for styling), cells with links."""
    return {
        "key": table.key,
        "title": table.title,
        "headers": [table.label_header, *table.columns],
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                "kind": str(row.kind),
                "cells": [
                    {
                        "text": cell.text,
                        "links": [
                            {"name": n.name, "value": n.value, "export_ids": n.export_ids}
                            for n in cell.numbers
                            if n.export_ids
                        ],
                    }
                    for cell in row.cells
                ],
            }
            for row in table.rows
        ],
        "footnotes": list(table.footnotes),
    }


NUMBER_COLUMNS = ["table", "row", "column", "number", "value", "export_ids"]
_NEEDS_QUOTES = (",", '"', "\r", "\n")  # what makes the csv module quote a field
RECENT_IDS = 16


def _numbers(table: AnalysisTable) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """Every raw number as a record of `NUMBER_COLUMNS` but the last, and the ids it counts."""
    for row in table.rows:
        for column, cell in zip(table.columns, row.cells, strict=True):
            for number in cell.numbers:
                record = {
                    "table": table.key,
                    "row": row.key,
                    "column": column,
                    "number": number.name,
                    "value": number.value,
                }
                yield record, number.export_ids


def numbers_frame(table: AnalysisTable) -> pd.DataFrame:
    """Every raw number, long: row key, column, number name, value and the ids it counts."""
    records = [{**record, "export_ids": " ".join(ids)} for record, ids in _numbers(table)]
    return pd.DataFrame(records, columns=NUMBER_COLUMNS)


def write_numbers_csv(tables: Iterable[AnalysisTable], handle: TextIO) -> None:
    """The tables' `numbers_frame`s, concatenated, as CSV: byte for byte what pandas'
    `to_csv(index=False, lineterminator="\n")` writes, several times faster. The export ids
    are most of the file (~170 MB at 100,000 cases) and never need quoting: they are written
    as they are instead of being scanned by the csv module; pandas still formats the other
    columns (the values' dtype is inferred per table, then concatenated, as before)."""
    tables = list(tables)
    frames: list[pd.DataFrame] = []
    ids: list[tuple[str, ...]] = []
    for table in tables:
        numbered = list(_numbers(table))
        frames.append(pd.DataFrame([r for r, _ids in numbered], columns=NUMBER_COLUMNS[:-1]))
        ids.extend(i for _r, i in numbered)
    head = pd.concat(frames, ignore_index=True).to_csv(
        index=False, header=False, lineterminator="\n"
    )
    if "\r" in head:  # an unquoted \r would not read back as one field: the plain way
        numbers = pd.concat([numbers_frame(t) for t in tables], ignore_index=True)
        numbers.to_csv(handle, index=False, lineterminator="\n")
        return
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\n")  # pandas' own dialect

    def csv_line(fields: list[str]) -> str:
        line.seek(0)
        line.truncate()
        writer.writerow(fields)
        return line.getvalue()

    handle.write(csv_line(NUMBER_COLUMNS))
    if '"' in head:  # quoted fields (a comma or a line break in a label): read them back
        heads: Iterable[tuple[list[str], str]] = (
            (fields, csv_line([*fields, ""])[:-1]) for fields in csv.reader(io.StringIO(head))
        )
    else:  # nothing quoted: pandas' lines are the fields as written, one per line
        heads = ((line.split(","), f"{line},") for line in head.split("\n")[:-1])
    # id(ids) -> (their text, whether it needs quoting), for the last few tuples: a cell's
    # numbers share tuples (n and percent…), and a group's ids are every row's denominator.
    joined: dict[int, tuple[str, bool]] = {}
    for (fields, start), export_ids in zip(heads, ids, strict=True):
        key = id(export_ids)  # (the tuples outlive the loop: `ids` holds them)
        known = joined.pop(key, None)
        if known is None:
            text = " ".join(export_ids)
            known = (text, any(c in text for c in _NEEDS_QUOTES))
            if len(joined) >= RECENT_IDS:
                del joined[next(iter(joined))]  # the least recently written
        joined[key] = known
        text, quoted = known
        if quoted:
            handle.write(csv_line([*fields, text]))
        else:  # the ids as they are, where the csv module would have put them
            handle.write(start)
            handle.write(text)
            handle.write("\n")
