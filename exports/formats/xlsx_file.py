"""XLSX: one sheet named after the table, a header row, native numbers and booleans.

Streaming: openpyxl's write-only mode spools the sheet to a temporary file row by row (cells
as inline strings, so no shared-string table grows in memory), then zips it into `out`.

Byte-identical output, whatever `out` is (a file, a stream): openpyxl stamps the document
properties with the time of saving and zipfile stamps each entry with the current time. We
set the properties ourselves, call its `ExcelWriter` (not `save_workbook`, which overwrites
`modified` with now), give every zip entry a fixed date, and always write the archive as a
forward-only stream.
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Iterable, Sequence
from typing import BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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
    sheet.append([c.name for c in columns])
    texts = [c.kind in (TEXT, CODE) for c in columns]
    count = 0
    for row in iter_checked(columns, rows):
        sheet.append([_text(v) if t else as_number(v) for t, v in zip(texts, row, strict=True)])
        count += 1
    with _FixedTimeZipFile(_ForwardOnly(out), "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return count


def _text(value: object) -> str | None:
    if value is None:
        return None
    # openpyxl refuses control characters; a leading "=" would make it a formula.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


class _FixedTimeZipFile(ZipFile):
    """A ZipFile whose entries all carry the same date and permissions."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = _entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl adds each write-only sheet from its temporary file: stream it in.
        info = _entry(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


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
