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

from crf.codes import Missing
from crf.models import CRF_MODELS, Case
from crf.models.base import field as field_of
from crf.models.fields import Required
from crf.rows import CaseRows
from crf.validation.constraints import compile_condition

UNKNOWN = Missing.UNKNOWN.value


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


@dataclass(frozen=True)
class _Section:
    """A model's requirements, compiled once: the walk below runs for every case a batch
    writes, so nothing per model is looked up or compiled again per case."""

    model: type[Model]
    fields: tuple[tuple[str, str], ...]  # (field, its `_missing` reason's name)
    conditions: tuple[tuple[str, str, Any], ...]  # (field, reason's name, compiled condition)
    groups: frozenset[str]
    row_filter: Any  # the compiled `Required.rows`, or None: any row will do
    size: int  # what a missing section counts (at least one answer)


@cache
def _sections() -> tuple[_Section, ...]:
    sections = []
    for model in CRF_MODELS:
        required = requirement(model)
        fields = tuple((name, f"{name}_missing") for name in required.fields)
        conditions = tuple(
            (name, f"{name}_missing", compile_condition(model, q))
            for name, q in required.when.items()
        )
        rows = required.rows
        row_filter = compile_condition(model, rows) if rows is not None else None
        size = max(1, len(required.fields))
        sections.append(
            _Section(model, fields, conditions, frozenset(required.groups), row_filter, size)
        )
    return tuple(sections)


def answered(row: Model, name: str) -> bool:
    return _answered(getattr(row, name), getattr(row, f"{name}_missing", ""))


def _answered(value: Any, reason: Any) -> bool:
    """A value, or the reason it is missing (a measurement's `_missing`)."""
    return value not in (None, "") or bool(reason)


@dataclass(frozen=True)
class Survey:
    """One walk of a case's requirements: the gaps, (given, total) per model, and the
    (model, field) of each answer required on every row that is given as 'unknown'."""

    gaps: list[Gap]
    counts: dict[type[Model], tuple[int, int]]
    unknown: list[tuple[type[Model], str]]


def survey(rows: CaseRows) -> Survey:
    """Every required answer the case does not hold yet, in CRF order, and the tally of
    answers given per model (a missing section counts all its fields)."""
    found: list[Gap] = []
    counts: dict[type[Model], tuple[int, int]] = {}
    unknown: list[tuple[type[Model], str]] = []
    group = rows.case.group
    for section in _sections():
        model = section.model
        present: list[Model] = [rows.case] if model is Case else rows.rows.get(model, [])
        given = total = 0
        if group in section.groups:
            wanted = section.row_filter
            if not any(wanted is None or wanted(r) for r in present):
                found.append(Gap(model, None, None))
                total = section.size
        for row in present:
            for name, reason_name in section.fields:
                value, reason = getattr(row, name), getattr(row, reason_name, "")
                if UNKNOWN in (value, reason):
                    unknown.append((model, name))
                total += 1
                if _answered(value, reason):
                    given += 1
                else:
                    found.append(Gap(model, row, name))
            for name, reason_name, test in section.conditions:
                if not test(row):
                    continue
                total += 1
                if _answered(getattr(row, name), getattr(row, reason_name, "")):
                    given += 1
                else:
                    found.append(Gap(model, row, name))
        counts[model] = (given, total)
    return Survey(found, counts, unknown)


def gaps(rows: CaseRows) -> list[Gap]:
    """Every required answer the case does not hold yet, in CRF order."""
    return survey(rows).gaps


def tally(rows: CaseRows) -> dict[type[Model], tuple[int, int]]:
    """(required answers given, required answers) per model: what the case pages show per
    section (a missing section counts all its fields)."""
    return survey(rows).counts


def percent(given: int, total: int) -> int:
    return round(100 * given / total) if total else 100


def completeness(rows: CaseRows) -> int:
    """Required answers given, in percent (a missing section counts all its fields)."""
    return percent_of(survey(rows))


def percent_of(found: Survey) -> int:
    given = total = 0
    for g, t in found.counts.values():
        given, total = given + g, total + t
    return percent(given, total)


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
