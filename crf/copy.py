"""Insert many new rows with PostgreSQL's COPY: the batch path's fast write.

`bulk_create` builds an INSERT with every value adapted by Django, field by field; COPY
streams the rows through psycopg's C adapters. Row ids are taken from the table's sequence
first, so the rows pointing at new parents get their links before they are copied. The
audit triggers fire for COPY like for INSERT; the audit context (registry.audit, set on
the connection by pghistory before each statement Django runs) is applied by one no-op
statement first, since COPY does not pass through Django's cursor wrapper.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models import Model
from psycopg.types.json import Jsonb


@cache
def _columns(model: type[Model]) -> tuple[tuple[str, str, Any], ...]:
    """(attname, column, how to adapt) for each concrete field, the key first."""
    out = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.JSONField):
            adapt = Jsonb
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            adapt = "now"
        else:
            adapt = None
        out.append((f.attname, f.column, adapt))
    return tuple(out)


def _allocate_ids(model: type[Model], count: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _apply_audit_context() -> None:
    # pghistory sets its context variables (local to the transaction) in front of every
    # statement Django runs: one no-op statement sets them for the COPY that follows.
    with connection.cursor() as cursor:
        cursor.execute("DO $$ BEGIN END $$")


def copy_rows(model: type[Model], rows: Sequence[Model], *, now: datetime) -> None:
    """Insert the new `rows` of `model` (ids given here), links to parents resolved."""
    if not rows:
        return
    for row, pk in zip(rows, _allocate_ids(model, len(rows)), strict=True):
        row.pk = pk
        row._state.adding = False
        row._prepare_related_fields_for_save(operation_name="copy_rows")
    columns = _columns(model)
    names = ", ".join(connection.ops.quote_name(column) for _, column, _ in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    _apply_audit_context()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's cursor: COPY is not part of Django's API
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for attname, _, adapt in columns:
                    if adapt == "now":
                        setattr(row, attname, now)
                        values.append(now)
                        continue
                    value = getattr(row, attname)
                    values.append(adapt(value) if adapt is not None else value)
                copy.write_row(values)
