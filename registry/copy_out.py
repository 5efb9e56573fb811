"""`COPY … TO STDOUT` read from libpq's buffer: one call a row.

psycopg's own iterator (`for data in cursor.copy(…)`) drives a generator through its wait
loop for every row: about 2 µs a row here, half the export's Python time, taken on the
cores PostgreSQL needs for the rows. `CopyOut` asks libpq for each buffered row directly
(about 0.5 µs) and waits on the socket, the GIL released, only when the buffer is empty.
psycopg still starts the COPY (its parameters bound client-side) and, when the block is
left by an exception before the rows end, cancels it and drains the connection.
"""

from __future__ import annotations

import select
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from psycopg import errors, pq

ROWS_DONE = -1  # what PQgetCopyData returns after the last row (-2: it failed)


class CopyOut:
    """`with CopyOut(cursor, "COPY (…) TO STDOUT …", params) as copy: for data in copy:`
    each row's bytes (a memoryview, valid until the next row), the header first when the
    COPY has one; then `copy.rows`, the rows PostgreSQL counted (0 until the end). Read to
    the end or leave by an exception (psycopg's `Copy` asks the same). `cursor`: a psycopg
    cursor (`connection.connection.cursor()` under Django)."""

    def __init__(self, cursor: Any, sql: str, params: Sequence[Any] | None = None):
        self.cursor, self.sql, self.params = cursor, sql, params
        self.rows = 0
        self._copy: AbstractContextManager[Any] | None = None

    def __enter__(self) -> CopyOut:
        self._copy = self.cursor.copy(self.sql, self.params)
        self._copy.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        assert self._copy is not None
        return self._copy.__exit__(kind, error, traceback)

    def __iter__(self) -> Iterator[memoryview]:
        if self._copy is None:
            raise TypeError("Read a CopyOut inside its `with` block: that starts the COPY.")
        pgconn = self.cursor.connection.pgconn
        readable = select.poll()
        readable.register(pgconn.socket, select.POLLIN)
        while True:
            size, data = pgconn.get_copy_data(1)  # 1: never blocks (it would hold the GIL)
            if size > 0:
                yield data
            elif size == 0:  # nothing buffered yet
                readable.poll()
                pgconn.consume_input()
            elif size == ROWS_DONE:
                break
            else:
                raise errors.OperationalError(pgconn.get_error_message())
        self.rows = self._result(pgconn, readable).command_tuples or 0

    def _result(self, pgconn: Any, readable: select.poll) -> pq.abc.PGresult:
        """The COPY's final result (its row count, or the error that ended the rows), the
        connection then idle."""
        results = []
        while True:
            while pgconn.is_busy():
                readable.poll()
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                break
            results.append(result)
        final = results[0]
        if final.status != pq.ExecStatus.COMMAND_OK:
            raise errors.error_from_result(final, encoding=self.cursor.connection.info.encoding)
        return final
