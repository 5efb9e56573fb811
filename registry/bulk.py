"""Many rows in one statement, their values passed as one JSON document.

Django's `bulk_update` builds a `CASE WHEN id = … THEN …` per row and column (the SQL grows
with the rows, and PostgreSQL walks the branches row by row), and `bulk_create` on
PostgreSQL passes each column as an array that psycopg quotes value by value. Here the rows
travel as one JSON array read back with `jsonb_populate_recordset(NULL::<table>, …)`, which
types every value by the table's own columns: one statement and one parameter for any
number of rows. (jsonb: PostgreSQL parses the document once, where `json` would parse each
nested JSON value again. A temporary table and COPY would do too, but the application's
database role may not create temporary tables: `registry.dbroles`.)

The statements go through Django's cursor, so the audit context (pghistory) is applied and
the audit triggers record every row they change, like any UPDATE or INSERT.

`AnyOf` is the lookup side of the same idea: many values bound as one array.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Lookup, Model


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):  # datetimes too: ISO 8601, offset kept
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)  # exact: PostgreSQL parses the text
    raise TypeError(f"Cannot pass {type(value).__name__} {value!r} to the database as JSON.")


def _plain(value: Any) -> Any:
    # JSON has no infinity: PostgreSQL reads the text 'inf' / 'nan' into a float column.
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _document(rows: Sequence[Model], fields: Sequence[models.Field]) -> str:
    columns = [(f.column, f.attname, isinstance(f, models.FloatField)) for f in fields]
    data = [
        {
            column: _plain(getattr(row, attname)) if is_float else getattr(row, attname)
            for column, attname, is_float in columns
        }
        for row in rows
    ]
    return json.dumps(data, default=_encode, allow_nan=False, separators=(",", ":"))


def _quoted(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _fields(model: type[Model], attnames: Sequence[str]) -> list[models.Field]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [by_attname[a] for a in attnames]


def update_rows(model: type[Model], rows: Sequence[Model], attnames: Sequence[str]) -> int:
    """Write the in-memory values of `attnames` (not the key) of these saved rows: one
    UPDATE. Returns the number of rows updated."""
    if not rows or not attnames:
        return 0
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None and pk.attname not in attnames
    fields = _fields(model, [pk.attname, *attnames])
    table = _quoted(model)
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
    sql = (
        f"UPDATE {table} AS t SET {assignments} "
        f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) AS v "
        f"WHERE t.{qn(pk.column)} = v.{qn(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(rows, fields)])
        return cursor.rowcount


def upsert_statement(
    model: type[Model], rows: Sequence[Model], *, unique: Sequence[str], update: Sequence[str]
) -> tuple[str, list[str]]:
    """The statement inserting these rows (every concrete field but the key), or, where a
    row with the same `unique` attnames exists, updating its `update` attnames (one INSERT …
    ON CONFLICT), and its one parameter. Built without the database: a worker thread may
    build it while the caller writes (`registry.ahead`)."""
    qn = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    conflict = ", ".join(qn(f.column) for f in _fields(model, unique))
    assignments = ", ".join(
        f"{qn(f.column)} = EXCLUDED.{qn(f.column)}" for f in _fields(model, update)
    )
    table = _quoted(model)
    sql = (
        f"INSERT INTO {table} ({columns}) "
        f"SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
    )
    return sql, [_document(rows, fields)]


class AnyOf(Lookup):
    """`filter(AnyOf(F("code"), codes))`: `code = ANY(%s)`, the values bound as one array,
    where `code__in=codes` binds and prepares each value apart (for 10,000 codes, most of
    the query's time)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
