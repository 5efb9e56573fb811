"""The models' database constraints, evaluated in memory on the case before any write.

A `CheckConstraint`'s condition is evaluated on the row with SQL's three-valued logic (a
comparison with NULL is unknown, and a CHECK passes unless its condition is false); a
conditional `UniqueConstraint` ("one SLEDAI-2K at LE diagnosis per case") is checked against
the other rows of the case. Each refusal is reported on the constraint's field
(`crf.models.fields.check(..., field=...)`, else the first field it names) with the
constraint's message and the code `constraint.<name>`. No query: the case is in memory.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import F, Model, Q

from crf.models import CRF_MODELS
from crf.models.fields import CONSTRAINT_FIELDS

from . import _RULES, Context, Finding, _Registered

Tri = bool | None


def _name(constraint: models.BaseConstraint, model: type[Model]) -> str:
    return constraint.name % {
        "class": model._meta.model_name,
        "app_label": model._meta.app_label,
    }


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Tri]:
    return lambda left, right: None if left is None or right is None else op(left, right)


_LOOKUPS: dict[str, Callable[[Any, Any], Tri]] = {
    "exact": lambda left, right: (
        (left is None) if right is None else _compare(operator.eq)(left, right)
    ),
    "isnull": lambda left, right: (left is None) == bool(right),
    "in": lambda left, right: None if left is None else left in right,
    "gt": _compare(operator.gt),
    "gte": _compare(operator.ge),
    "lt": _compare(operator.lt),
    "lte": _compare(operator.le),
    "regex": lambda left, right: None if left is None else re.search(right, left) is not None,
}


def _value(row: Model, name: str) -> Any:
    return getattr(row, row._meta.get_field(name).attname)


def _leaf(row: Model, lookup: str, right: Any) -> Tri:
    name, _, op = lookup.partition("__")
    if isinstance(right, F):
        right = _value(row, right.name)
    return _LOOKUPS[op or "exact"](_value(row, name), right)


def holds(condition: Q, row: Model) -> Tri:
    """The condition on the row: True, False, or None (unknown, as SQL NULL)."""
    results = [
        holds(child, row) if isinstance(child, Q) else _leaf(row, *child)
        for child in condition.children
    ]
    if condition.connector == Q.AND:
        value: Tri = False if False in results else (None if None in results else True)
    else:
        value = True if True in results else (None if None in results else False)
    if condition.negated:
        value = None if value is None else not value
    return value


def _first_field(condition: Q) -> str | None:
    for child in condition.children:
        found = _first_field(child) if isinstance(child, Q) else child[0].partition("__")[0]
        if found:
            return found
    return None


def _check_findings(ctx: Context) -> list[Finding]:
    findings = []
    for constraint in ctx.model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            violated = holds(constraint.condition, ctx.row) is False
        elif isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            violated = _duplicate(ctx, constraint)
        else:
            continue
        if violated:
            field = _FIELDS[ctx.model].get(constraint.name) or _field_of(constraint)
            code = f"constraint.{_name(constraint, ctx.model)}"
            findings.append(ctx.error(field, code, str(constraint.violation_error_message)))
    return findings


def _field_of(constraint: models.BaseConstraint) -> str | None:
    if isinstance(constraint, models.CheckConstraint):
        return _first_field(constraint.condition)
    return None  # a duplicate concerns the row as a whole


def _duplicate(ctx: Context, constraint: models.UniqueConstraint) -> bool:
    row = ctx.row
    if constraint.condition is not None and not holds(constraint.condition, row):
        return False
    key = [_value(row, name) for name in constraint.fields]
    for other in ctx.rows.many(ctx.model):
        if other is row or (row.pk is not None and other.pk == row.pk):
            continue
        if constraint.condition is not None and not holds(constraint.condition, other):
            continue
        if [_value(other, name) for name in constraint.fields] == key:
            return True
    return False


def constraint_findings(ctx: Context) -> list[Finding]:
    ctx.codes = _CODES[ctx.model]
    try:
        return _check_findings(ctx)
    finally:
        ctx.codes = frozenset()


def _codes(model: type[Model]) -> frozenset[str]:
    return frozenset(
        f"constraint.{_name(c, model)}"
        for c in model._meta.constraints
        if isinstance(c, models.CheckConstraint | models.UniqueConstraint)
    )


_CODES = {model: _codes(model) for model in CRF_MODELS}
_FIELDS = {
    model: {
        template % {"class": model._meta.model_name, "app_label": model._meta.app_label}: field
        for template, field in CONSTRAINT_FIELDS.items()
    }
    for model in CRF_MODELS
}
for _model, _model_codes in _CODES.items():  # declared like any rule's codes
    _RULES[_model].append(_Registered(lambda ctx: (), _model_codes))
