"""XLSX: one sheet named after the table, a header row, native numbers and booleans.

Streaming, and written as openpyxl writes it: openpyxl makes the workbook (its parts, styles
and the sheet's frame with the header row) and the data rows are serialised here, cell by
cell exactly as openpyxl's write-only mode would (inline strings, `%.16g` numbers, `t="b"`
booleans, `xml:space="preserve"` where text starts or ends with blanks), into a temporary
file spliced into the sheet when the archive is written. openpyxl spent about 6 µs a cell
building and serialising an element per cell (190 s for 100,000 cases); this writes the
same bytes (a test compares them) several times faster. A value of another type than text,
number or boolean is written by openpyxl's own cell writer.

Byte-identical output, whatever `out` is (a file, a stream): openpyxl stamps the document
properties with the time of saving and zipfile stamps each entry with the current time. We
set the properties ourselves, call its `ExcelWriter` (not `save_workbook`, which overwrites
`modified` with now), give every zip entry a fixed date, and always write the archive as a
forward-only stream.
"""

from __future__ import annotations

import datetime
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any, BinaryIO
from xml.etree.ElementTree import tostring
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.writer.excel import ExcelWriter

from .columns import CODE, TEXT, ColumnSpec, as_number, iter_checked, neutralise

FIXED_TIME = datetime.datetime(2000, 1, 1)  # document properties: created and modified
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
SHEET_NAME_MAX = 31  # Excel's limit


def write_xlsx(
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence],
    out: BinaryIO,
    *,
    sheet_name: str = "data",
) -> int:
    """Write the header and `rows` as a one-sheet workbook to `out`; return the row count."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "registry"
    sheet = workbook.create_sheet(sheet_name[:SHEET_NAME_MAX])
    sheet.append([c.name for c in columns])  # the sheet's frame, with the header row
    with tempfile.TemporaryFile() as data_rows:
        count = _write_rows(sheet, columns, rows, data_rows)
        with _FixedTimeZipFile(_ForwardOnly(out), "w", ZIP_DEFLATED, allowZip64=True) as archive:
            archive.data_rows = data_rows
            ExcelWriter(workbook, archive).save()
    return count


ROWS_PER_WRITE = 500
MEMO_MAX = 50_000  # cells remembered by value (codes, small numbers repeat), then forgotten
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})  # as ElementTree's
_STRING_MAX = 32767  # openpyxl truncates longer text


def _write_rows(
    sheet, columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: IO[bytes]
) -> int:
    """The `<row>` elements of the data rows (from row 2) into `out`; returns the count.
    A cell is `<c r="B7"` and what follows the reference, which depends on the value only:
    that part is remembered by value (type included: True, 1 and 1.0 are different cells;
    a zero float is not remembered: 0.0 and -0.0 are equal keys but different cells)."""
    texts = [c.kind in (TEXT, CODE) for c in columns]
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    tails: dict[tuple[bool, type, object], str | None] = {}
    held: list[str] = []
    count = 0
    for count, row in enumerate(iter_checked(columns, rows), start=1):
        number = str(count + 1)
        cells = []
        for letter, text, value in zip(letters, texts, row, strict=True):
            if value is None:
                continue
            key = (text, type(value), value)
            tail = tails.get(key, _UNSEEN)
            if tail is _UNSEEN:
                tail = _tail(_text(value) if text else as_number(value))
                if len(tails) >= MEMO_MAX:
                    tails.clear()
                if value != 0 or isinstance(value, int):  # 0.0 equals -0.0, written "-0"
                    tails[key] = tail
            if tail is None:  # openpyxl's own kind of cell, its reference inside
                cell = _openpyxl_cell(
                    sheet, letter, number, _text(value) if text else as_number(value)
                )
            else:
                cell = f'<c r="{letter}{number}"{tail}'
            cells.append(cell)
        held.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(held) == ROWS_PER_WRITE:
            out.write("".join(held).encode())
            held.clear()
    out.write("".join(held).encode())
    return count


_UNSEEN: Any = object()  # a value not met yet (None is a tail: openpyxl's own cell)


def _tail(value: object) -> str | None:
    """What follows `<c r="…"` for this value, as openpyxl's `etree_write_cell` writes it;
    None for a value openpyxl writes differently (a date, error-code or formula-like text)."""
    kind = type(value)
    if kind is str:
        text = value[:_STRING_MAX]  # type: ignore[index]
        if not text:
            return ' t="inlineStr" />'
        if (text[0] == "=" and len(text) > 1) or text in ERROR_CODES:
            return None
        if "&" in text or "<" in text or ">" in text:
            escaped = text.translate(_XML_ESCAPES)
        else:
            escaped = text
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and stripped != text else ""
        return f' t="inlineStr"><is><t{space}>{escaped}</t></is></c>'
    if kind is bool:
        return f' t="b"><v>{int(value)}</v></c>'  # type: ignore[call-overload]
    if kind is int or kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return f' t="n"><v>{value:.16g}</v></c>'
        return ' t="n"><v /></c>'
    return None


def _openpyxl_cell(sheet, letter: str, number: str, value: object) -> str:
    """A cell of any other kind (a date, a formula-like or error text) by openpyxl itself."""
    cell = WriteOnlyCell(sheet, value)
    cell.row, cell.column = int(number), column_index_from_string(letter)
    written: list[str] = []

    class _Collect:
        def write(self, element) -> None:
            written.append(tostring(element, encoding="unicode"))

    etree_write_cell(_Collect(), sheet, cell, cell.has_style)
    return written[0]


def _text(value: object) -> str | None:
    if value is None:
        return None
    # openpyxl refuses control characters; a leading "=" would make it a formula.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


class _FixedTimeZipFile(ZipFile):
    """A ZipFile whose entries all carry the same date and permissions, and which splices
    `data_rows` into the write-only sheet openpyxl hands it."""

    data_rows: IO[bytes] | None = None  # the sheet's data rows (`_write_rows`)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = _entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl adds each write-only sheet from its temporary file: stream it in, with the
        # data rows written by `_write_rows` before the end of its sheetData.
        info = _entry(arcname or os.path.basename(filename))
        with open(filename, "rb") as source:
            frame = source.read()  # the header row only: small
        head, end, tail = frame.partition(b"</sheetData>")
        rows = self.data_rows
        if rows is None or not end:
            head, end, tail, rows = frame, b"", b"", None
        size = rows.seek(0, os.SEEK_END) if rows is not None else 0
        info.file_size = len(head) + size + len(end) + len(tail)
        with self.open(info, "w") as target:
            target.write(head)
            if rows is not None:
                rows.seek(0)
                shutil.copyfileobj(rows, target, 1 << 20)
            target.write(end + tail)


class _ForwardOnly:
    """`out` seen as a stream that cannot seek back.

    zipfile writes differently to a seekable file (it goes back to fill in sizes) and to a
    stream (sizes after each entry): this makes the bytes the same whatever `out` is.
    """

    def __init__(self, out: BinaryIO):
        self._out = out
        self._position = 0

    def write(self, data) -> int:
        self._out.write(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        self._out.flush()


def _entry(name: str) -> ZipInfo:
    info = ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info
