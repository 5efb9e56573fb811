"""Load cases into memory (`crf.rows.CaseRows`): every row of a case in one query.

One SQL statement returns, per case, the case row and a JSON array of its rows for every
CRF model (rows hanging off another row are reached through their parent: a variant through
its test, a review through its biopsy). The rows are turned back into model instances and
linked to each other in memory, so the services, the overview and the API read a whole case
without any further query, whatever its number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, cast

import psycopg
from django.db import connection, models
from django.db.models import Model

from crf.models import CRF_MODELS, Case
from crf.models.base import field as field_of
from crf.models.base import link_to_case, related
from crf.rows import CaseRows

CHUNK = 500  # cases per statement: bounded memory, few round trips


def _rows_of(model: type[Model]) -> str:
    """SQL selecting `model`'s rows of the case `c` (through parents when nested)."""
    table = connection.ops.quote_name(model._meta.db_table)
    link = link_to_case(model)
    assert link is not None
    column = connection.ops.quote_name(field_of(model, link).column)
    parent = related(model, link)
    if parent is Case:
        where = f"t.{column} = c.id"
    else:
        where = f"t.{column} IN (SELECT p.id FROM ({_rows_of(parent)}) p)"
    return f"SELECT * FROM {table} t WHERE {where}"


@cache  # the same text for every load: a subquery per model, spelled from its links
def _statement() -> str:
    columns = ", ".join(
        f"(SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.id), '[]'::jsonb) "
        f"FROM ({_rows_of(model)}) r) AS {model._meta.model_name}"
        for model in CRF_MODELS
        if model is not Case
    )
    table = connection.ops.quote_name(Case._meta.db_table)
    return f"SELECT to_jsonb(c), {columns} FROM {table} c WHERE c.id = ANY(%s)"


# Fields whose `to_python` returns a value of this type unchanged: a JSON value already of
# that type is taken as it is (a date, a decimal or a float still goes through to_python).
_AS_IS: tuple[tuple[type[models.Field], type], ...] = (
    (models.CharField, str),
    (models.TextField, str),
    (models.BooleanField, bool),
    (models.IntegerField, int),  # the auto keys too
)


@cache
def _reader(model: type[Model]) -> tuple[list[str], list[tuple[str, Any, Any, type | None]]]:
    """The model's attnames, and per field: its column, how to get its default, its
    `to_python` (None for a link: the id as stored) and the JSON type it keeps as it is."""
    attnames, fields = [], []
    for f in model._meta.concrete_fields:
        attnames.append(f.attname)
        as_is = next((kind for cls, kind in _AS_IS if isinstance(f, cls)), None)
        fields.append((f.column, f.get_default, None if f.is_relation else f.to_python, as_is))
    return attnames, fields


def _instance(model: type[Model], data: dict[str, Any], alias: str | None = None) -> Model:
    attnames, fields = _reader(model)
    values = []
    for column, default, to_python, as_is in fields:
        if column not in data:  # a column the audit does not keep (a version counter)
            values.append(default())
            continue
        raw = data[column]
        if raw is None or to_python is None or type(raw) is as_is:
            values.append(raw)
        else:
            values.append(to_python(raw))
    return _from_db(model, alias or connection.alias, attnames, values)


def _from_db(model: type[Model], alias: str, attnames: list[str], values: list[Any]) -> Model:
    """What `model.from_db` makes of a whole row, without Model.__init__'s per-field work
    (like `crf.models.base.new_row`: a batch loads thousands of rows)."""
    row = model.__new__(model)
    row._state = models.base.ModelState()
    row._state.adding, row._state.db = False, alias
    row.__dict__.update(zip(attnames, values, strict=True))
    return row


def _link(rows: CaseRows) -> None:
    """Point every foreign key between rows of the case at the in-memory parent."""
    by_pk: dict[type[Model], dict[int, Model]] = {
        model: {row.pk: row for row in rows.many(model)} for model in rows.rows
    }
    by_pk[Case] = {rows.case.pk: rows.case}
    for model, instances in rows.rows.items():
        relations: list[Any] = [f for f in model._meta.concrete_fields if f.is_relation]
        for field in relations:
            targets = by_pk.get(field.related_model)
            if targets is None:
                continue  # a user or a centre: not part of the case
            for row in instances:
                target = targets.get(getattr(row, field.attname))
                if target is not None:
                    field.set_cached_value(row, target)


def _order(model: type[Model], instances: list[Model]) -> list[Model]:
    """The model's Meta ordering (dates may be missing: those rows come first)."""
    keys = [k for k in model._meta.ordering or () if k not in ("case", "test", "pk")]
    if not keys:
        return instances

    def key(row: Model) -> tuple:
        values = []
        for name in keys:
            value = getattr(row, name.lstrip("-"))
            values.append((value is not None, value if value is not None else 0))
        return (*values, row.pk)

    return sorted(instances, key=key)


def load(case_ids: Iterable[int]) -> dict[int, CaseRows]:
    """CaseRows of the given cases, by case id (missing ids are simply absent)."""
    ids = list(dict.fromkeys(case_ids))
    result: dict[int, CaseRows] = {}
    if not ids:
        return result
    models_in_order = [m for m in CRF_MODELS if m is not Case]
    alias = connection.alias  # read once: each read goes through the connection proxy
    chunks = [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
    for fetched in _fetched(_statement(), chunks):
        for case_json, *per_model in fetched:
            case = cast(Case, _instance(Case, _json(case_json), alias))
            rows = CaseRows(case=case)
            for model, items in zip(models_in_order, per_model, strict=True):
                instances = [_instance(model, item, alias) for item in _json(items)]
                if instances:
                    rows.rows[model] = _order(model, instances)
            _link(rows)
            result[case.pk] = rows
    return result


def _fetched(sql: str, chunks: list[list[int]]) -> Iterator[list[tuple]]:
    """The statement's rows for each chunk of case ids. With several chunks, the next
    chunk's statement runs in PostgreSQL while the caller turns this chunk into rows
    (psycopg's pipeline mode, same connection and transaction); one chunk (a page, a save)
    is one plain query, counted by the query guards like any other."""
    if len(chunks) == 1:
        with connection.cursor() as cursor:
            cursor.execute(sql, [chunks[0]])
            yield cursor.fetchall()
        return
    connection.ensure_connection()
    raw = connection.connection
    with raw.pipeline():
        pending = psycopg.Cursor(raw)
        pending.execute(sql, [chunks[0]])
        for following in [*chunks[1:], None]:
            fetched = pending.fetchall()
            if following is not None:
                pending = psycopg.Cursor(raw)
                pending.execute(sql, [following])
            yield fetched


def assemble(case_data: dict[str, Any], per_model: dict[type[Model], list[dict]]) -> CaseRows:
    """CaseRows from rows given as column → value dicts (JSON as PostgreSQL's to_jsonb
    gives them): what `load` does with its query's result, for rows read elsewhere (a data
    freeze rebuilds them from the audit's event tables). Missing columns take defaults."""
    case = cast(Case, _instance(Case, case_data))
    rows = CaseRows(case=case)
    for model, items in per_model.items():
        instances = [_instance(model, item) for item in items]
        if instances:
            rows.rows[model] = _order(model, instances)
    _link(rows)
    return rows


def load_one(case: Case) -> CaseRows:
    """The CaseRows of one case; the given instance (possibly locked) stands for the case."""
    rows = load([case.pk])[case.pk]
    rows.case = case
    _link(rows)
    return rows


def _json(value: Any) -> Any:
    # psycopg returns jsonb as Python objects already; a text value would need parsing.
    # Most sections of most cases are empty: their '[]' needs no parser.
    if value == "[]":
        return []
    return json.loads(value) if isinstance(value, str) else value
