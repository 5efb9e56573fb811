"""Validation of CRF rows: the rules every writer is judged by (pages, admin, API, import).

`validate(row, rows)` returns `Finding`s for one row about to be written, seen inside its
whole case (`rows`, a `crf.rows.CaseRows` that already holds the row): an error refuses the
save; a warning must be acknowledged by its rule code. The write services are the only
callers; forms and serializers show what the services raise.

Three layers, cheapest first, none of which queries the database:
1. the field checks Django knows (choices, lengths, validators) — `crf.validation.fields`;
2. the registered rules (`@rule(Model, codes=...)`, in `crf.validation.rules`): units,
   plausibility, cross-section consistency, each message naming the field and the fix;
3. the models' own database constraints, evaluated in memory on the case
   (`crf.validation.constraints`), so a constraint refusal reads like a rule's, on its
   field. Where a rule already refused a field, the constraint's wording is not repeated.
The database enforces the same constraints again at write time: the last line of defence.

Rule codes are stable (clients key on them): each rule declares the codes it may emit, and
`RULE_CODES` is derived from those declarations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from crf.codes import DatePrecision
from crf.models import Case
from crf.models.base import field as field_of
from crf.rows import CaseRows

ERROR: Literal["error"] = "error"
WARNING: Literal["warning"] = "warning"
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    field: str | None  # model field name; None when it concerns the row as a whole
    message: str
    severity: Severity
    rule: str  # stable code, e.g. "unit.hb_g_l"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass
class Context:
    """What a rule sees: the row being written, its whole case, and how to word a finding."""

    row: Model
    rows: CaseRows
    today: date
    codes: frozenset[str] = field(default_factory=frozenset)  # the running rule's codes

    @property
    def model(self) -> type[Model]:
        return type(self.row)

    @property
    def case(self) -> Case:
        return self.rows.case

    def get(self, name: str) -> Any:
        try:
            return getattr(self.row, name)
        except ObjectDoesNotExist:  # a link not set yet
            return None

    def number(self, name: str) -> float | None:
        value = self.get(name)
        is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        return float(value) if is_number else None

    def day(self, name: str) -> date | None:
        value = self.get(name)
        return value if isinstance(value, date) else None

    def precision(self, name: str) -> str:
        return getattr(self.row, f"{name}_precision", DatePrecision.DAY) or DatePrecision.DAY

    def label(self, name: str) -> str:
        return label(self.model, name)

    def quantity(self, name: str, value: float) -> str:
        """'Haemoglobin 108 g/dL': the label, the value and the unit."""
        return f"{self.label(name)} {with_unit(value, unit_of(self.model, name))}"

    def display(self, name: str, code: Any) -> str:
        return display(self.model, name, code)

    def error(self, field: str | None, rule: str, message: str) -> Finding:
        return self._finding(field, rule, message, ERROR)

    def warning(self, field: str | None, rule: str, message: str) -> Finding:
        return self._finding(field, rule, message, WARNING)

    def _finding(self, field: str | None, rule: str, message: str, severity: Severity) -> Finding:
        assert rule in self.codes, f"rule code {rule!r} is not declared by its rule"
        return Finding(field, message, severity, rule)


Rule = Callable[[Context], Iterable[Finding]]


@dataclass(frozen=True)
class _Registered:
    check: Rule
    codes: frozenset[str]


_RULES: dict[type[Model] | None, list[_Registered]] = defaultdict(list)


def rule(*models_: type[Model], codes: Iterable[str]) -> Callable[[Rule], Rule]:
    """Register a rule for these models (with none, every model) and the codes it emits."""

    def register(check: Rule) -> Rule:
        entry = _Registered(check, frozenset(codes))
        for model in models_ or (None,):
            _RULES[model].append(entry)
        return check

    return register


def rule_codes() -> frozenset[str]:
    """Every code a registered rule may emit (field and constraint checks included)."""
    from . import constraints, fields  # noqa: F401  (they register their codes)

    return frozenset(code for entries in _RULES.values() for e in entries for code in e.codes)


def validate(row: Model, rows: CaseRows, *, today: date | None = None) -> list[Finding]:
    """Every finding on `row` (already placed in `rows`), errors first."""
    layers = _layers()
    ctx = Context(row, rows, today or timezone.localdate())
    findings = layers.field_findings(ctx)
    findings += _rule_findings(ctx, refused={f.field for f in findings})
    errored = {f.field for f in findings if f.is_error and f.field}
    findings += layers.constraint_findings(ctx, errored)
    return _kept(findings)


def revalidate(row: Model, rows: CaseRows, *, today: date | None = None) -> list[Finding]:
    """What `validate` finds on a row stored and not changed since, with the rules alone.

    The field and CHECK layers read the row's own values and raise errors only, and a row
    with an error is never stored: on an unchanged row they find nothing. (A UNIQUE check
    reads the other rows, but the row that would break it is the one being written, and
    its error names no field, so it never hides a warning.) Only the rules, which read the
    rest of the case and today's date, can find something new. The case's open warnings
    are counted this way over its untouched rows (`crf.derive`)."""
    ctx = Context(row, rows, today or timezone.localdate())
    return _kept(_rule_findings(ctx, refused=set()))


def _rule_findings(ctx: Context, refused: set[str | None]) -> list[Finding]:
    findings = []
    for entry in _layers().rules_of(ctx.model):
        ctx.codes = entry.codes
        for f in entry.check(ctx):
            if f.field not in refused or f.field is None:
                findings.append(f)
    ctx.codes = frozenset()
    return findings


def _kept(findings: list[Finding]) -> list[Finding]:
    # A warning on a field that already has an error is noise: the error is fixed first.
    errored = {f.field for f in findings if f.is_error and f.field}
    kept = [f for f in findings if f.is_error or f.field not in errored]
    return sorted(kept, key=lambda f: not f.is_error)


@dataclass(frozen=True)
class _Layers:
    field_findings: Callable[[Context], list[Finding]]
    constraint_findings: Callable[[Context, set[str]], list[Finding]]
    rules_of: Callable[[type[Model]], tuple[_Registered, ...]]


@cache
def _layers() -> _Layers:
    """The three layers, once every rule is registered (the modules register on import)."""
    from . import rules  # noqa: F401
    from .constraints import constraint_findings
    from .fields import field_findings

    @cache
    def rules_of(model: type[Model]) -> tuple[_Registered, ...]:
        return (*_RULES[None], *_RULES[model])

    return _Layers(field_findings, constraint_findings, rules_of)


# ---- wording helpers ----


def label(model: type[Model], name: str) -> str:
    """The field's human label (its unit is printed beside a value, never in the label)."""
    field_ = field_of(model, name)
    text = str(getattr(field_, "verbose_name", name))
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def unit_of(model: type[Model], name: str) -> str:
    return getattr(field_of(model, name), "unit", "")


def display(model: type[Model], name: str, code: Any) -> str:
    """A coded value as the user saw it ('Negative'), or 'not entered'."""
    if code in (None, ""):
        return _("not entered")
    choices = dict(field_of(model, name).flatchoices)
    return str(choices.get(code, code))


def num(value: float) -> str:
    """108.0 → '108', 1.215 → '1.215': no float noise, no exponent."""
    return f"{round(value, 4):f}".rstrip("0").rstrip(".")


def with_unit(value: float, unit: str) -> str:
    if not unit:
        return num(value)
    return f"{num(value)}{'' if unit.startswith('%') else ' '}{unit}"
