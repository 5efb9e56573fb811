"""`registry.copy_out.CopyOut`: the rows psycopg's own COPY reader gives, its errors, its
cancellation, and its waits with the GIL released (the export's other session and its
progress thread keep running)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from registry.copy_out import CopyOut

pytestmark = pytest.mark.django_db


@pytest.fixture
def conn():
    """A connection of its own, out of the test's transaction: a failed or cancelled COPY
    is seen as a caller outside a test sees it."""
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True,
    ) as own:  # fmt: skip
        yield own


def test_reads_the_rows_psycopg_reads_and_their_count(conn):
    sql = (
        "COPY (SELECT n, repeat(md5(n::text), n % 40), 'a,\"b\"' FROM generate_series(1, 20000)"
        " AS n) TO STDOUT (FORMAT csv, HEADER)"
    )
    with conn.cursor() as cursor, cursor.copy(sql) as theirs:
        expected = [bytes(data) for data in theirs]
    with conn.cursor() as cursor, CopyOut(cursor, sql) as copy:
        assert copy.rows == 0  # not before the end
        read = [bytes(data) for data in copy]
    assert read == expected
    assert read[0] == b"n,repeat,?column?\n"
    assert copy.rows == 20000


def test_binds_parameters_like_psycopg(conn):
    with conn.cursor() as cursor, CopyOut(cursor, "COPY (SELECT %s::int + 1) TO STDOUT", [41]) as c:
        assert [bytes(data) for data in c] == [b"42\n"]


def test_an_error_during_the_rows_is_raised_and_the_connection_stays_usable(conn):
    read = 0
    with pytest.raises(psycopg.errors.DivisionByZero), conn.cursor() as cursor:
        sql = "COPY (SELECT 1 / (n - 15000) FROM generate_series(1, 20000) AS n) TO STDOUT"
        with CopyOut(cursor, sql) as copy:
            for _data in copy:
                read += 1
    assert read > 0  # the rows before the failing one came first
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_leaving_by_an_exception_cancels_the_copy(conn):
    conn.execute("SET statement_timeout = '60s'")  # had it not been cancelled: fails, not hangs
    started = time.monotonic()
    with pytest.raises(OSError, match="disk full"), conn.cursor() as cursor:
        # In the select list, the series streams (in FROM it would be gathered first).
        endless = "COPY (SELECT generate_series(1, 1000000000000)) TO STDOUT"
        with CopyOut(cursor, endless) as copy:
            for n, _data in enumerate(copy):
                if n == 10:
                    raise OSError("disk full")  # what a writer may meet half-way
    assert conn.execute("SELECT 1").fetchone() == (1,)
    # Cancelled at once; had it been read to the statement timeout, 60 s.
    assert time.monotonic() - started < 30


def test_waits_for_rows_without_holding_the_gil(conn):
    """Rows that come slowly (20 kB, 0.1 s apart): another thread runs meanwhile. Waiting
    in libpq (PQgetCopyData blocking) would hold the GIL: that thread would stall."""
    ticks, stop = [0], threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        with conn.cursor() as cursor:
            slow = (
                "COPY (SELECT repeat('x', 20000), pg_sleep(0.1) FROM generate_series(1, 6))"
                " TO STDOUT"
            )
            with CopyOut(cursor, slow) as copy:
                before, started = ticks[0], time.monotonic()
                rows = sum(1 for _data in copy)
                waited, ticked = time.monotonic() - started, ticks[0] - before
    finally:
        stop.set()
        ticker.join()
    assert rows == 6 and waited > 0.3
    assert ticked > 50  # ~1 a ms when the GIL is free; a handful when it is held
