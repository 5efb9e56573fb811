"""Stata .dta (format 119) and SPSS .sav, with variable labels, value labels and missing codes.

pyreadstat writes a whole DataFrame to a path, so the rows are gathered column by column into
typed arrays (8 bytes a numeric cell; text cells and Stata cells beside .a/.b/.c stay Python
objects), written to a temporary file, and copied into `out`. Measured for 100,000 rows x
50 columns: Python allocations peak at about 60 MB (SPSS) and 77 MB (Stata), the process at
about +90 and +120 MB.

Encoding (see `exports.formats` for the overview):
- CODE: the real answers are numbered 1..n in the dictionary's order, with value labels;
  BOOLEAN: 0/1 labelled No/Yes; INTEGER and NUMBER as they are (a top-coded age is its top
  code, labelled "90+"); TEXT as strings, "" when not entered (neither format has a missing
  string).
- Missing data: Stata uses extended missing values (.a unknown, .b not done, .c not
  applicable) and SPSS discrete user-missing values (-1, -2, -3), both labelled; system
  missing is "not entered". A measured value takes the missing code of its `_missing`
  companion column, which is also exported as a CODE variable.
- Numbers are stored as doubles (ReadStat reads a system-missing 32-bit integer back as 0
  when asked for user-missing values; doubles have no such trap).

Byte-identical output: ReadStat writes the time of writing into the file header and
pyreadstat offers no way to set it, so after writing we overwrite it with a fixed stamp, at
the same length, where each format keeps it (`stamp_dta`, `stamp_sav`).

Long names in Stata: pyreadstat names each value-label set `<variable><counter>`, which
ReadStat refuses past 32 characters (`dem_last_followup_date_precision` is 32 on its own).
So the .dta is written with placeholder names (`v0001`…) and the real names are then put in
its `<varnames>` section (fixed 129-byte slots, found through the file's `<map>`); the
label sets keep the placeholder-based names, which Stata users never type.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyreadstat

from .columns import (
    BOOLEAN,
    BOOLEAN_LABELS,
    CODE,
    INTEGER,
    MISSING_LABELS,
    NUMBER,
    SPSS_MISSING,
    STATA_LABEL_MAX,
    STATA_MISSING,
    TEXT,
    ColumnSpec,
    as_number,
    code_numbers,
    iter_checked,
    top_coded,
)

DTA = "dta"
SAV = "sav"
CHUNK_ROWS = 10_000
_NAN, _ZERO, _ONE = math.nan, 0.0, 1.0
_MISSING = {DTA: STATA_MISSING, SAV: SPSS_MISSING}

# What the fixed stamps say: ReadStat's own formats, at their own lengths.
DTA_STAMP = b"01 Jan 2000 00:00"  # "dd Mon yyyy hh:mm"
SAV_DATE, SAV_TIME = b"01 Jan 00", b"00:00:00"  # "dd Mon yy", "hh:mm:ss"
SAV_DATE_OFFSET, SAV_TIME_OFFSET = 92, 101  # in the 176-byte "$FL2" header record


def write_dta(columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """Write `rows` as a Stata 15+ .dta file to `out`; return the row count."""
    return _write(DTA, columns, rows, out)


def write_sav(columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out: BinaryIO) -> int:
    """Write `rows` as an SPSS .sav file to `out`; return the row count."""
    return _write(SAV, columns, rows, out)


def _write(fmt: str, columns: Sequence[ColumnSpec], rows: Iterable[Sequence], out) -> int:
    frame = build_frame(fmt, columns, rows)
    labels = {c.name: _label(fmt, c) for c in columns}
    value_labels = {c.name: v for c in columns if (v := value_labels_of(fmt, c))}
    fd, path = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(fd)
    try:
        if fmt == DTA:
            tagged = sorted(STATA_MISSING.values())
            short = {c.name: _placeholder(i) for i, c in enumerate(columns)}
            pyreadstat.write_dta(
                frame.rename(columns=short),
                path,
                column_labels={short[n]: label for n, label in labels.items()},
                version=15,
                variable_value_labels={short[n]: v for n, v in value_labels.items()},
                missing_user_values={short[c.name]: tagged for c in columns if _can_be_missing(c)},
            )

            def stamp(file):
                stamp_dta(file)
                file.seek(0)
                rename_dta_variables(file, [c.name for c in columns])

        else:
            missing = sorted(SPSS_MISSING.values(), reverse=True)
            pyreadstat.write_sav(
                frame,
                path,
                column_labels=labels,
                variable_value_labels=value_labels,
                missing_ranges={c.name: missing for c in columns if _can_be_missing(c)},
                variable_measure={c.name: _measure(c) for c in columns},
            )
            stamp = stamp_sav
        with open(path, "r+b") as written:
            stamp(written)
            written.seek(0)
            shutil.copyfileobj(written, out, 1 << 20)
    finally:
        os.unlink(path)
    return len(frame)


def build_frame(fmt: str, columns: Sequence[ColumnSpec], rows: Iterable[Sequence]) -> pd.DataFrame:
    """The DataFrame pyreadstat writes: every cell encoded for `fmt` (DTA or SAV).

    Cells are gathered CHUNK_ROWS at a time and turned into numpy arrays, so numbers cost
    8 bytes each rather than a Python object; encoders return shared objects (one float per
    code, one NaN) where an object column is unavoidable.
    """
    encoders = [_encoder(fmt, c, columns) for c in columns]
    buffers = [_ColumnBuffer(fmt, c) for c in columns]
    pending = 0
    for row in iter_checked(columns, rows):
        for buffer, encode in zip(buffers, encoders, strict=True):
            buffer.values.append(encode(row))
        pending += 1
        if pending == CHUNK_ROWS:
            for buffer in buffers:
                buffer.seal()
            pending = 0
    data = {c.name: buffer.finish() for c, buffer in zip(columns, buffers, strict=True)}
    return pd.DataFrame(data, columns=[c.name for c in columns], copy=False)


def value_labels_of(fmt: str, column: ColumnSpec) -> dict:
    """The value labels of a variable in `fmt`, missing codes included."""
    if column.kind == CODE:
        numbers = code_numbers(column)
        labels: dict = {float(numbers[str(code)]): label for code, label in column.value_labels}
    elif column.kind == BOOLEAN:
        labels = {float(v): label for v, label in BOOLEAN_LABELS}
    elif column.kind == INTEGER:
        labels = {float(v): label for v, label in column.value_labels}
    else:
        labels = {}
    if _can_be_missing(column):
        codes = column.missing_codes or tuple(MISSING_LABELS)
        labels.update({_MISSING[fmt][code]: MISSING_LABELS[code] for code in codes})
    return labels


# ---- helpers ----


def _can_be_missing(column: ColumnSpec) -> bool:
    return bool(column.missing_codes or column.missing_reason)


def _label(fmt: str, column: ColumnSpec) -> str:
    label = column.label
    if fmt == DTA and len(label) > STATA_LABEL_MAX:
        label = label[: STATA_LABEL_MAX - 1] + "…"  # the codebook has it in full
    return label


def _measure(column: ColumnSpec) -> str:
    return "scale" if column.kind in (INTEGER, NUMBER) and not column.value_labels else "nominal"


def _encoder(fmt: str, column: ColumnSpec, columns: Sequence[ColumnSpec]) -> Callable:
    index = next(i for i, c in enumerate(columns) if c is column)
    missing = _MISSING[fmt]
    if column.kind == TEXT:
        return lambda row: "" if row[index] is None else str(row[index])
    if column.kind == CODE:
        numbers = {code: float(n) for code, n in code_numbers(column).items()}  # shared floats
        numbers.update({code: missing[code] for code in column.missing_codes})

        def encode_code(row):
            value = row[index]
            if value is None:
                return _NAN
            try:
                return numbers[value]
            except KeyError:
                raise ValueError(
                    f"{column.name}: {value!r} is not one of its codes "
                    f"({', '.join(numbers)}); fix the data or the dictionary."
                ) from None

        return encode_code
    if column.kind == BOOLEAN:
        return lambda row: _NAN if row[index] is None else (_ONE if row[index] else _ZERO)
    if column.kind == INTEGER:
        return lambda row: _number(top_coded(column, row[index]))
    reason = (
        next(i for i, c in enumerate(columns) if c.name == column.missing_reason)
        if column.missing_reason
        else None
    )

    def encode_number(row):
        value = row[index]
        if value is None:
            return missing.get(row[reason], _NAN) if reason is not None else _NAN
        if fmt == SAV and reason is not None and value in SPSS_MISSING.values():
            raise ValueError(f"{column.name}: {value} collides with an SPSS missing code.")
        return float(as_number(value))

    return encode_number


def _number(value: object) -> float:
    return _NAN if value is None else float(as_number(value))


class _ColumnBuffer:
    """One column's encoded cells: numpy chunks, and the Python list being filled."""

    def __init__(self, fmt: str, column: ColumnSpec):
        self.values: list = []
        self.chunks: list[np.ndarray] = []
        self.text = column.kind == TEXT
        self.tagged = fmt == DTA and _can_be_missing(column)  # may hold the letters a, b, c

    def seal(self) -> None:
        if self.values:
            objects = self.text or (self.tagged and any(type(v) is str for v in self.values))
            self.chunks.append(np.array(self.values, dtype=object if objects else np.float64))
            self.values = []

    def finish(self) -> object:
        """The whole column; the chunks are let go, so memory holds each cell once."""
        self.seal()
        chunks, self.chunks = self.chunks, []
        if self.text or any(chunk.dtype == object for chunk in chunks):
            return pd.Series(_concatenate(chunks, object), dtype=object, copy=False)
        return _concatenate(chunks, np.float64)


def _concatenate(chunks: list[np.ndarray], dtype) -> np.ndarray:
    if not chunks:
        return np.array([], dtype=dtype)
    if len(chunks) == 1 and chunks[0].dtype == dtype:
        return chunks[0]
    return np.concatenate([chunk.astype(dtype, copy=False) for chunk in chunks])


def _placeholder(index: int) -> str:
    return f"v{index + 1:04d}"  # fixed width: "<name><counter>" label-set names never clash


DTA_NAME_SLOT = 129  # bytes per variable name in formats 118 and 119


def rename_dta_variables(file: BinaryIO, names: Sequence[str]) -> None:
    """Write `names` into the <varnames> section of a format 118/119 .dta, in order."""
    head = file.read(1024)
    order = "<" if b"<byteorder>LSF" in head else ">"
    at = head.find(b"<map>")
    if at < 0:
        raise ValueError("No <map> in the .dta header: is this a format 118/119 file?")
    offsets = struct.unpack(f"{order}14Q", head[at + 5 : at + 5 + 14 * 8])
    varnames = offsets[3]  # the map's fourth entry: where <varnames> starts
    file.seek(varnames)
    if file.read(len(b"<varnames>")) != b"<varnames>":
        raise ValueError("The .dta map does not point at <varnames>.")
    for name in names:
        encoded = name.encode("utf-8")
        if len(encoded) >= DTA_NAME_SLOT:
            raise ValueError(f"{name}: too long for a .dta variable name.")
        file.write(encoded.ljust(DTA_NAME_SLOT, b"\0"))
    if file.read(len(b"</varnames>")) != b"</varnames>":
        raise ValueError("The .dta has a different number of variables than names given.")


def stamp_dta(file: BinaryIO) -> None:
    """Overwrite the header's <timestamp> (dta 117+) with `DTA_STAMP`."""
    head = file.read(4096)
    start = head.find(b"<timestamp>", head.find(b"</label>"))
    if start < 0 or head.find(b"</header>") < start:
        raise ValueError("No <timestamp> in the .dta header: is this a format 117+ file?")
    length = head[start + len(b"<timestamp>")]
    if length not in (0, len(DTA_STAMP)):
        raise ValueError(f"Unexpected .dta timestamp length {length}.")
    if length:
        file.seek(start + len(b"<timestamp>") + 1)
        file.write(DTA_STAMP)


def stamp_sav(file: BinaryIO) -> None:
    """Overwrite the header record's creation date and time with fixed values."""
    if file.read(4) not in (b"$FL2", b"$FL3"):
        raise ValueError("Not an SPSS .sav file (no $FL2/$FL3 record).")
    file.seek(SAV_DATE_OFFSET)
    file.write(SAV_DATE)
    file.seek(SAV_TIME_OFFSET)
    file.write(SAV_TIME)
