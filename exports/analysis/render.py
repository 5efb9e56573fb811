"""Renderers: an `AnalysisTable` as a DataFrame, CSV, HTML-ready structures, or its numbers.

The printed texts go to the DataFrame and CSV; the HTML structure also carries each
number's export ids, so a page can link a count back to the cases it counts.
"""

from __future__ import annotations

from typing import Any

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
                            {"name": n.name, "value": n.value, "export_ids": list(n.export_ids)}
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


def numbers_frame(table: AnalysisTable) -> pd.DataFrame:
    """Every raw number, long: row key, column, number name, value and the ids it counts."""
    records = []
    for row in table.rows:
        for column, cell in zip(table.columns, row.cells, strict=True):
            for number in cell.numbers:
                records.append(
                    {
                        "table": table.key,
                        "row": row.key,
                        "column": column,
                        "number": number.name,
                        "value": number.value,
                        "export_ids": " ".join(number.export_ids),
                    }
                )
    return pd.DataFrame(
        records, columns=["table", "row", "column", "number", "value", "export_ids"]
    )
