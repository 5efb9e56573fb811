"""Files straight from `COPY (SELECT …) TO STDOUT (FORMAT csv, HEADER)` (exports.sql_plan).

CSV: PostgreSQL's bytes are the file (buffered, through the caller's `DigestWriter`).
Parquet: pyarrow's streaming CSV reader parses the same kind of stream (the "arrow" SELECT)
with the Parquet schema's types, and the rows are written in row groups of
`parquet_file.ROW_GROUP_SIZE` rows, each gathered into contiguous arrays like the Python
writer's, so both paths write the same bytes; memory holds a row group and a read block.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from exports.formats.columns import ColumnSpec
from exports.formats.parquet_file import (
    ROW_GROUP_SIZE,
    open_writer,
    parquet_schema,
    write_row_group,
)
from exports.sql_plan import Statement

WRITE_BLOCK = 1 << 20  # bytes gathered before each write to the file
READ_BLOCK = 1 << 20  # bytes pyarrow parses at a time
Tick = Callable[[int], None]  # rows written so far
# For the export's queries only (restored after): no JIT, whose compilation of a SELECT of
# 170 expressions costs more than it saves on one pass; sorts and hashes in memory.
QUERY_SETTINGS = {"jit": "off", "work_mem": "64MB"}


@contextmanager
def query_settings(cursor) -> Iterator[None]:
    """QUERY_SETTINGS for the current transaction, the previous values given back after (an
    error rolls them back with the transaction or savepoint)."""
    names = list(QUERY_SETTINGS)
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
    before = dict(zip(names, cursor.fetchone(), strict=True))
    _set(cursor, QUERY_SETTINGS)
    yield
    _set(cursor, before)


def _set(cursor, values: dict[str, str]) -> None:
    pairs = [item for pair in values.items() for item in pair]
    cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(values)), pairs)


def copy_statement(statement: Statement) -> str:
    return f"COPY ({statement.sql}) TO STDOUT (FORMAT csv, HEADER true)"


def write_csv(cursor, statement: Statement, out: BinaryIO, tick: Tick, every: int) -> int:
    """The CSV file of `statement` (an "csv" SELECT) into `out`; returns the data rows."""
    buffer = bytearray()
    messages = 0
    with cursor.copy(copy_statement(statement), statement.params) as copy:
        for data in copy:  # one message per row, the header first
            buffer += data
            messages += 1
            if len(buffer) >= WRITE_BLOCK:
                out.write(buffer)
                buffer.clear()
            if messages % every == 0:
                tick(messages - 1)
    out.write(buffer)
    return cursor.rowcount


class _CopyStream(io.RawIOBase):
    """The bytes of a running COPY as a readable file (what pyarrow reads)."""

    def __init__(self, copy) -> None:
        super().__init__()
        self._messages: Iterator = iter(copy)
        self._pending = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        size = len(target)
        while len(self._pending) < size and not self._done:
            data = next(self._messages, None)
            if data is None:
                self._done = True
            else:
                self._pending += data
        n = min(size, len(self._pending))
        target[:n] = self._pending[:n]
        del self._pending[:n]
        return n


def write_parquet(
    cursor,
    statement: Statement,
    columns: Sequence[ColumnSpec],
    out: BinaryIO,
    tick: Tick,
    *,
    row_group_size: int = ROW_GROUP_SIZE,
) -> int:
    """The Parquet file of `statement` (an "arrow" SELECT) into `out`; returns the rows."""
    schema = parquet_schema(columns)
    convert = pacsv.ConvertOptions(
        column_types={field.name: field.type for field in schema},
        null_values=[""],  # PostgreSQL writes NULL as an empty, unquoted field
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["true"],
        false_values=["false"],
    )
    count = 0
    with cursor.copy(copy_statement(statement), statement.params) as copy:
        reader = pacsv.open_csv(
            _CopyStream(copy),
            read_options=pacsv.ReadOptions(block_size=READ_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
        with open_writer(out, schema) as writer:
            pending: list[pa.RecordBatch] = []
            held = 0
            for batch in reader:
                pending.append(batch)
                held += batch.num_rows
                while held >= row_group_size:
                    table = pa.Table.from_batches(pending)
                    _write(writer, schema, table.slice(0, row_group_size))
                    pending = table.slice(row_group_size).to_batches()
                    held -= row_group_size
                    count += row_group_size
                    tick(count)
            if held:
                _write(writer, schema, pa.Table.from_batches(pending))
                count += held
    return count


def _write(writer, schema: pa.Schema, table: pa.Table) -> None:
    write_row_group(writer, schema, [column.combine_chunks() for column in table.columns])
