"""PostgreSQL's own speed on the same rows: the reference each timing is a ratio to."""

from __future__ import annotations

import time

from django.db import connection
from django.db.models import Model

from registry.copy_out import CopyOut


def _pk(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.pk.column)


def copy_out(model: type[Model], where: str = "TRUE") -> tuple[bytes, int, float]:
    """`COPY (SELECT * …) TO STDOUT` of the model's rows: (data, rows, seconds)."""
    table = connection.ops.quote_name(model._meta.db_table)
    chunks: list[bytes] = []
    started = time.perf_counter()
    with connection.connection.cursor() as cursor:  # psycopg's own cursor: COPY
        with CopyOut(cursor, f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT") as copy:
            for data in copy:
                chunks.append(bytes(data))
    return b"".join(chunks), copy.rows, time.perf_counter() - started


def copy_in(model: type[Model], data: bytes) -> float:
    """`COPY … FROM STDIN` of `data` into a bare copy of the model's table (no triggers,
    constraints or indexes: the physical limit). Seconds."""
    table = connection.ops.quote_name(model._meta.db_table)
    bare = connection.ops.quote_name(f"bench_bare_{model._meta.db_table}")
    with connection.connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {bare} (LIKE {table})")
        cursor.execute(f"TRUNCATE {bare}")
        started = time.perf_counter()
        with cursor.copy(f"COPY {bare} FROM STDIN") as copy:
            copy.write(data)
        return time.perf_counter() - started


def newer_than(model: type[Model], last_id: int) -> str:
    return f"{_pk(model)} > {int(last_id)}"


def last_id(model: type[Model]) -> int:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT coalesce(max({_pk(model)}), 0) FROM {table}")
        return cursor.fetchone()[0]
