"""The checks Django's field definitions carry: a known code, a length, a value where one is
required. Run on the row in memory, before the rules reason on its values. (A measurement's
bounds are left to the rules, whose messages name the likely unit slip.)"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Model

from . import Context, Finding, rule

CODE = "field.invalid"


@rule(codes=(CODE,))
def _declared(ctx: Context) -> list[Finding]:
    return []  # registers CODE; field_findings below does the work (it runs first)


@cache
def _checked(model: type[Model]) -> list[tuple[Any, frozenset[Any]]]:
    """The fields a writer fills, each with the values known valid without Django's checks:
    its codes (a coded field), and emptiness where the field allows it."""
    fields = []
    for field in model._meta.concrete_fields:
        if not field.editable or field.is_relation or field.primary_key:
            continue
        fine: set[Any] = set()
        if isinstance(field, models.CharField) and field.choices:
            fine |= {c for c, _ in field.flatchoices}
        if field.blank:
            fine |= {"", None} if field.null else {""}
        fields.append((field, frozenset(fine)))
    return fields


def field_findings(ctx: Context) -> list[Finding]:
    ctx.codes = frozenset({CODE})
    findings = []
    for field, codes in _checked(ctx.model):
        value = getattr(ctx.row, field.attname)
        try:
            if value in codes:
                continue  # a known code or an allowed blank: most fields, checked at no cost
        except TypeError:  # an unhashable value (a list typed for a date…): Django says why
            pass
        try:
            value = field.to_python(value)
            field.validate(value, ctx.row)
            if not hasattr(field, "bounds"):
                field.run_validators(value)
        except ValidationError as exc:
            for message in exc.messages:
                findings.append(ctx.error(field.name, CODE, f"{ctx.label(field.name)}: {message}"))
    ctx.codes = frozenset()
    return findings
