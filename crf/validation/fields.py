"""The checks Django's field definitions carry: a known code, a length, a value where one is
required. Run on the row in memory, before the rules reason on its values. (A measurement's
bounds are left to the rules, whose messages name the likely unit slip.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from . import Context, Finding, rule

CODE = "field.invalid"


@rule(codes=(CODE,))
def _declared(ctx: Context) -> list[Finding]:
    return []  # registers CODE; field_findings below does the work (it runs first)


def field_findings(ctx: Context) -> list[Finding]:
    ctx.codes = frozenset({CODE})
    findings = []
    for field in ctx.model._meta.concrete_fields:
        if not field.editable or field.is_relation or field.primary_key:
            continue
        try:
            value = field.to_python(getattr(ctx.row, field.attname))
            field.validate(value, ctx.row)
            if not hasattr(field, "bounds"):  # a measurement's bounds are rules with the fix
                field.run_validators(value)
        except ValidationError as exc:
            for message in exc.messages:
                findings.append(ctx.error(field.name, CODE, f"{ctx.label(field.name)}: {message}"))
    return findings
