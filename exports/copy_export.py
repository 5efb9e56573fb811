"""Files straight from `COPY (SELECT …) TO STDOUT (FORMAT csv, HEADER)` (exports.sql_plan).

CSV: PostgreSQL's bytes are the file (buffered, through the caller's `DigestWriter`).
Parquet: pyarrow's CSV reader parses the same kind of stream (the "arrow" SELECT) with the
Parquet schema's types, a row group (`parquet_file.ROW_GROUP_SIZE` rows) at a time, each
written as contiguous arrays like the Python writer's, so both paths write the same bytes;
memory holds one row group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from registry.copy_out import CopyOut

WRITE_BLOCK = 1 << 20  # bytes gathered before each write to the file
Tick = Callable[[int], None]  # rows written so far
# Rows parsed at a time: the parser's scratch memory grows with what it is given.
PARSE_ROWS = 2_000
# For the export's queries only (restored after): no JIT, whose compilation of a SELECT of
# 170 expressions costs more than it saves on one pass; sorts and hashes in memory; no
# parallel workers: the export runs its own second session (exports.sql_files), and workers
# would compete with it for the same cores.
QUERY_SETTINGS = {"jit": "off", "work_mem": "64MB", "max_parallel_workers_per_gather": "0"}


@contextmanager
def query_settings(cursor, values: Mapping[str, str] = QUERY_SETTINGS) -> Iterator[None]:
    """`values` (QUERY_SETTINGS unless given) for the current transaction, the previous
    values given back after (an error rolls them back with the transaction or savepoint)."""
    if not values:
        yield
        return
    names = list(values)
    cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
    before = dict(zip(names, cursor.fetchone(), strict=True))
    _set(cursor, values)
    yield
    _set(cursor, before)


def _set(cursor, values: Mapping[str, str]) -> None:
    pairs = [item for pair in values.items() for item in pair]
    cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(values)), pairs)


def copy_statement(statement: Statement, *, header: bool = True) -> str:
    return f"COPY ({statement.sql}) TO STDOUT (FORMAT csv, HEADER {str(header).lower()})"


def write_csv(cursor, statement: Statement, out: BinaryIO, tick: Tick, every: int) -> int:
    """The CSV file of `statement` (a "csv" SELECT) into `out`; returns the data rows."""
    buffer = bytearray()
    messages = 0
    with (
        query_settings(cursor, statement.settings),
        CopyOut(cursor, copy_statement(statement), statement.params) as copy,
    ):
        for data in copy:  # one message per row, the header first
            buffer += data
            messages += 1
            if len(buffer) >= WRITE_BLOCK:
                out.write(buffer)
                buffer.clear()
            if messages % every == 0:
                tick(messages - 1)
    out.write(buffer)
    return copy.rows


def write_parquet(
    cursor,
    statement: Statement,
    columns: Sequence[ColumnSpec],
    out: BinaryIO,
    tick: Tick,
    *,
    row_group_size: int = ROW_GROUP_SIZE,
) -> int:
    """The Parquet file of `statement` (an "arrow" SELECT) into `out`; returns the rows.

    COPY sends one message per row, so rows are gathered as they come (CSV bytes), parsed
    PARSE_ROWS at a time by pyarrow in this thread (no file object, no read-ahead thread)
    and written in row groups of `row_group_size`: memory holds one row group."""
    schema = parquet_schema(columns)
    parse = pacsv.ParseOptions(newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types={field.name: field.type for field in schema},
        null_values=[""],  # PostgreSQL writes NULL as an empty, unquoted field
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["true"],
        false_values=["false"],
    )
    names = [field.name for field in schema]
    count = 0
    with (
        query_settings(cursor, statement.settings),
        CopyOut(cursor, copy_statement(statement, header=False), statement.params) as copy,
    ):
        with open_writer(out, schema) as writer:
            tables = (_parse(data, names, parse, convert) for data in _chunks(copy))
            for group in _row_groups(tables, row_group_size):
                _write(writer, schema, group)
                count += group.num_rows
                tick(count)
    return count


def _chunks(copy: CopyOut) -> Iterator[bytes]:
    """The CSV bytes of PARSE_ROWS rows at a time (fewer at the end)."""
    chunk, held = bytearray(), 0
    for data in copy:
        chunk += data
        held += 1
        if held == PARSE_ROWS:
            yield bytes(chunk)
            chunk, held = bytearray(), 0
    if held:
        yield bytes(chunk)


def _row_groups(tables: Iterable[pa.Table], size: int) -> Iterator[pa.Table]:
    """The rows of `tables` regrouped `size` at a time (the last group may be smaller)."""
    held: list[pa.Table] = []
    rows = 0
    for table in tables:
        while table.num_rows:
            take = min(size - rows, table.num_rows)
            held.append(table.slice(0, take))
            rows += take
            table = table.slice(take)
            if rows == size:
                yield pa.concat_tables(held)
                held, rows = [], 0
    if held:
        yield pa.concat_tables(held)


def _parse(chunk: bytes, names: list[str], parse, convert) -> pa.Table:
    read = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(chunk) + 1)
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(chunk)),
        read_options=read,
        parse_options=parse,
        convert_options=convert,
    )


def _write(writer, schema: pa.Schema, table: pa.Table) -> None:
    write_row_group(writer, schema, [column.combine_chunks() for column in table.columns])
