"""The models' database constraints, evaluated in memory on the case before any write.

A `CheckConstraint`'s condition is evaluated on the row with SQL's three-valued logic (a
comparison with NULL is unknown, and a CHECK passes unless its condition is false); a
conditional `UniqueConstraint` ("one SLEDAI-2K at LE diagnosis per case") is checked against
the other rows of the case. Each refusal is reported on the constraint's field
(`crf.models.fields.check(..., field=...)`, else the first field it names) with the
constraint's message and the code `constraint.<name>`. No query: the case is in memory.
Each model's conditions are compiled once into Python closures (the batch path judges
thousands of rows a second).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, Model, Q

from crf.models import CRF_MODELS
from crf.models.base import field as field_of
from crf.models.fields import CONSTRAINT_FIELDS

from . import _RULES, Context, Finding, _Registered

Tri = bool | None
Test = Callable[[Model], Tri]


def _name(constraint: models.BaseConstraint, model: type[Model]) -> str:
    return constraint.name % {
        "class": model._meta.model_name,
        "app_label": model._meta.app_label,
    }


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Tri]:
    return lambda left, right: None if left is None or right is None else op(left, right)


def _exact(left: Any, right: Any) -> Tri:
    return (left is None) if right is None else _compare(operator.eq)(left, right)


_LOOKUPS: dict[str, Callable[[Any, Any], Tri]] = {
    "exact": _exact,
    "isnull": lambda left, right: (left is None) == bool(right),
    "in": lambda left, right: None if left is None else left in right,
    "gt": _compare(operator.gt),
    "gte": _compare(operator.ge),
    "lt": _compare(operator.lt),
    "lte": _compare(operator.le),
    "regex": lambda left, right: None if left is None else re.search(right, left) is not None,
}


def _reader(model: type[Model], name: str) -> Callable[[Model], Any]:
    """How to read a field as the database will: a link to a row not saved yet (the batch
    path) is not NULL, though its id is still empty."""
    field: Any = field_of(model, name)
    attname = field.attname
    if not field.is_relation:
        return lambda row: getattr(row, attname)

    def read(row: Model) -> Any:
        value = getattr(row, attname)
        if value is None and field.is_cached(row) and field.get_cached_value(row) is not None:
            return _UNSAVED
        return value

    return read


_UNSAVED = object()  # a linked row without an id yet: NOT NULL, equal to nothing


def _leaf(model: type[Model], lookup: str, right: Any) -> Test:
    name, _, op = lookup.partition("__")
    compare, read = _LOOKUPS[op or "exact"], _reader(model, name)
    if isinstance(right, F):
        other = _reader(model, right.name)
        return lambda row: compare(read(row), other(row))
    if op == "in":
        right = frozenset(right)
    return lambda row: compare(read(row), right)


def compile_condition(model: type[Model], condition: Any) -> Test:
    """A Q over `model` as a function of a row: True, False, or None (unknown, SQL NULL)."""
    children: list[Any] = list(condition.children)
    tests = [
        compile_condition(model, c) if isinstance(c, Q) else _leaf(model, c[0], c[1])
        for c in children
    ]
    # AND: false as soon as one is false; OR: true as soon as one is true; else unknown if
    # one is unknown (the tests are pure: stopping early changes nothing).
    decisive = condition.connector != Q.AND
    negated = condition.negated

    def test(row: Model) -> Tri:
        value: Tri = not decisive
        for t in tests:
            result = t(row)
            if result is None:
                value = None
            elif result == decisive:
                value = decisive
                break
        return (None if value is None else not value) if negated else value

    return test


def holds(condition: Any, row: Model) -> Tri:
    """The condition on the row (compiled on the fly; the checks below compile once)."""
    return compile_condition(type(row), condition)(row)


def _names(condition: Any) -> list[str]:
    """The fields a condition reads, in order."""
    names: list[str] = []
    for child in list(condition.children):
        for name in _names(child) if isinstance(child, Q) else [child[0].partition("__")[0]]:
            if name not in names:
                names.append(name)
        if isinstance(child, tuple) and isinstance(child[1], F) and child[1].name not in names:
            names.append(child[1].name)
    return names


@dataclass(frozen=True)
class _Check:
    code: str
    field: str | None
    message: object
    condition: Test | None  # a CHECK's condition, or a UNIQUE's (None: always applies)
    reads: frozenset[str] = frozenset()  # fields the condition reads
    unique: tuple[str, ...] = ()  # the attnames a UNIQUE compares within the case

    def violated(self, ctx: Context) -> bool:
        if not self.unique:
            assert self.condition is not None
            return self.condition(ctx.row) is False
        return self._duplicate(ctx)

    def _duplicate(self, ctx: Context) -> bool:
        row = ctx.row
        if self.condition is not None and not self.condition(row):
            return False
        key = [getattr(row, a) for a in self.unique]
        for other in ctx.rows.many(ctx.model):
            if other is row or (row.pk is not None and other.pk == row.pk):
                continue
            if self.condition is not None and not self.condition(other):
                continue
            if [getattr(other, a) for a in self.unique] == key:
                return True
        return False


def _checks(model: type[Model]) -> list[_Check]:
    fields = {
        template % {"class": model._meta.model_name, "app_label": model._meta.app_label}: field
        for template, field in CONSTRAINT_FIELDS.items()
    }
    checks = []
    for constraint in model._meta.constraints:
        code = f"constraint.{_name(constraint, model)}"
        message = constraint.get_violation_error_message()
        if isinstance(constraint, models.CheckConstraint):
            reads = _names(constraint.condition)
            field = fields.get(constraint.name) or reads[0]
            test = compile_condition(model, constraint.condition)
            checks.append(_Check(code, field, message, test, frozenset(reads)))
        elif isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            condition = constraint.condition
            when = compile_condition(model, condition) if condition is not None else None
            unique = tuple(field_of(model, name).attname for name in constraint.fields)
            # A duplicate concerns the row as a whole (no field).
            checks.append(_Check(code, None, message, when, frozenset(), unique))
    return checks


_CHECKS = {model: _checks(model) for model in CRF_MODELS}
_CODES = {model: frozenset(c.code for c in checks) for model, checks in _CHECKS.items()}
for _model, _model_codes in _CODES.items():  # declared like any rule's codes
    _RULES[_model].append(_Registered(lambda ctx: (), _model_codes))


def constraint_findings(ctx: Context, refused: set[str]) -> list[Finding]:
    """The constraints the row breaks, except those reading a field a rule already refused
    (the rule's message names the fix; the constraint would say the same less well)."""
    ctx.codes = _CODES[ctx.model]
    try:
        return [
            ctx.error(check.field, check.code, str(check.message))
            for check in _CHECKS[ctx.model]
            if not (check.reads & refused) and check.field not in refused and check.violated(ctx)
        ]
    finally:
        ctx.codes = frozenset()
