"""Reading an uploaded sheet: XLSX or CSV bytes → the header and the rows, or the reasons
the file cannot be read (each saying what to do). Nothing here knows the CRF's rules.

Refused: a file over the size limit; a CSV neither UTF-8 nor Windows-1252 (the encodings
French hospital systems export); a workbook that is not one; formula cells (only values
are imported: a formula's result is whatever the last program to save it computed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "REGISTRY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class Sheet:
    """`rows`: (line number in the file, {column: raw value}) for every non-empty row."""

    title: str  # the XLSX sheet's name; "" for a CSV
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    encoding: str = ""


class Unreadable(Exception):
    """The file cannot be imported at all; `messages` say why and what to do."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def read(name: str, data: bytes) -> Sheet:
    if len(data) > max_bytes():
        raise Unreadable(
            [
                _("The file is {size} MB, over the limit of {limit} MB: split it.").format(
                    size=round(len(data) / 1e6, 1), limit=round(max_bytes() / 1e6, 1)
                )
            ]
        )
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _read_xlsx(data)
    return _read_csv(data)


def _decode(data: bytes) -> tuple[str, str]:
    if b"\x00" in data[:4096]:
        raise Unreadable(
            [_("The file is not UTF-8 or Windows-1252 text (UTF-16?): save it as CSV UTF-8.")]
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise Unreadable(
            [
                _(
                    "The file is neither UTF-8 nor Windows-1252 text (byte {byte} at position "
                    "{pos}): save it as CSV UTF-8."
                ).format(byte=hex(data[exc.start]), pos=exc.start)
            ]
        ) from exc


def _read_csv(data: bytes) -> Sheet:
    text, encoding = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # French Excel: ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise Unreadable([_("The file is empty: start from the section's template.")]) from exc
    sheet = Sheet(title="", header=header, encoding=encoding)
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise Unreadable(
                    [
                        _("Row {row} has {n} cells but the header has {m} columns.").format(
                            row=line, n=len(values), m=len(header)
                        )
                    ]
                )
            sheet.rows.append((line, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        raise Unreadable([_("The file is not a valid CSV: {error}").format(error=exc)]) from exc
    return sheet


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unreadable(
            [_("The file is not a readable XLSX workbook: save it again from Excel as .xlsx.")]
        ) from exc
    ws = book.worksheets[0]
    rows = ws.iter_rows(values_only=False)
    try:
        header_cells = next(rows)
    except StopIteration as exc:
        raise Unreadable([_("The sheet is empty: start from the section's template.")]) from exc
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells]
    while header and not header[-1]:
        header.pop()
    sheet = Sheet(title=ws.title, header=header, encoding="xlsx")
    formulas: list[str] = []
    for cells in rows:
        values: dict[str, Any] = {}
        line = None
        for col, cell in zip(header, cells, strict=False):
            line = getattr(cell, "row", line)
            value = cell.value
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                formulas.append(
                    _("Row {row}, column {column}: a formula ({value}); paste its value.").format(
                        row=cell.row, column=col, value=value
                    )
                )
                continue
            if isinstance(value, dt.datetime) and value.time() == dt.time(0):
                value = value.date()
            values[col] = value
        if any(v not in (None, "") for v in values.values()) and line is not None:
            sheet.rows.append((line, values))
    book.close()
    if formulas:
        raise Unreadable(formulas)
    return sheet
