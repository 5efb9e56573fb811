"""What a case still lacks before it can be submitted, from the models' `Required`
declarations (crf.models.fields.Required), and its completeness in percent.

A required field is answered by a value or a missing-data code (`unknown`, `not_done`,
`not_applicable`): "not done" is an answer, a blank is not. A measurement is answered by its
value or by its `_missing` reason. A section a group must hold (`Required.groups`) counts all
its required fields as missing while it has no row (meeting `Required.rows`).
Pure: reads a `CaseRows`, queries nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Model

from crf.models import CRF_MODELS, Case
from crf.models.base import field as field_of
from crf.models.fields import Required
from crf.rows import CaseRows
from crf.validation.constraints import compile_condition


@dataclass(frozen=True)
class Gap:
    """A required answer not given yet: the row (None when the section has no row yet)."""

    model: type[Model]
    row: Model | None
    field: str | None  # None: the whole section is missing

    @property
    def section(self) -> str:
        return str(self.model._meta.model_name)  # the section's slug in the CRF pages

    @property
    def label(self) -> str:
        if self.field is None:
            return str(self.model._meta.verbose_name)
        return str(field_of(self.model, self.field).verbose_name)


@cache
def requirement(model: type[Model]) -> Required:
    return getattr(model, "required", Required())


@cache
def _conditions(model: type[Model]) -> dict[str, Any]:
    return {name: compile_condition(model, q) for name, q in requirement(model).when.items()}


@cache
def _row_filter(model: type[Model]) -> Any:
    rows = requirement(model).rows
    return compile_condition(model, rows) if rows is not None else None


def answered(row: Model, name: str) -> bool:
    value = getattr(row, name)
    if value not in (None, ""):
        return True
    reason = getattr(row, f"{name}_missing", "")
    return bool(reason)


def _fields_needed(row: Model) -> list[str]:
    model = type(row)
    need = list(requirement(model).fields)
    need += [name for name, test in _conditions(model).items() if test(row)]
    return need


def gaps(rows: CaseRows) -> list[Gap]:
    """Every required answer the case does not hold yet, in CRF order."""
    found: list[Gap] = []
    for model in CRF_MODELS:
        required = requirement(model)
        present: list[Model] = [rows.case] if model is Case else rows.many(model)
        if rows.case.group in required.groups:
            wanted = _row_filter(model)
            if not any(wanted is None or wanted(r) for r in present):
                found.append(Gap(model, None, None))
        for row in present:
            found += [
                Gap(model, row, name) for name in _fields_needed(row) if not answered(row, name)
            ]
    return found


def tally(rows: CaseRows) -> dict[type[Model], tuple[int, int]]:
    """(required answers given, required answers) per model: what the case pages show per
    section (a missing section counts all its fields)."""
    counts: dict[type[Model], tuple[int, int]] = {}
    for model in CRF_MODELS:
        given = total = 0
        required = requirement(model)
        present: list[Model] = [rows.case] if model is Case else rows.many(model)
        if rows.case.group in required.groups:
            wanted = _row_filter(model)
            if not any(wanted is None or wanted(r) for r in present):
                total += max(1, len(required.fields))
        for row in present:
            need = _fields_needed(row)
            total += len(need)
            given += sum(answered(row, name) for name in need)
        counts[model] = (given, total)
    return counts


def percent(given: int, total: int) -> int:
    return round(100 * given / total) if total else 100


def completeness(rows: CaseRows) -> int:
    """Required answers given, in percent (a missing section counts all its fields)."""
    counts = tally(rows).values()
    return percent(sum(g for g, _ in counts), sum(t for _, t in counts))


def submission_blockers(actor: Any, case: Case) -> list[str]:
    """The submit guard (crf.lifecycle): a draft is submitted once nothing required lacks."""
    from django.utils.translation import gettext as _

    from crf import snapshot

    missing = gaps(snapshot.load_one(case))
    if not missing:
        return []
    shown = ", ".join(
        f"{gap.label}" if gap.field is None else f"{gap.model._meta.verbose_name}: {gap.label}"
        for gap in missing[:8]
    )
    more = len(missing) - 8
    return [
        _(
            "Case {code} lacks {count} required answer(s): {shown}{more}. Answer them (a "
            "missing-data code such as 'Unknown' or 'Not done' counts), then submit."
        ).format(
            code=case.code,
            count=len(missing),
            shown=shown,
            more=_(" and {n} more").format(n=more) if more > 0 else "",
        )
    ]
