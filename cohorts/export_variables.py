"""The computed eligibility and the coordinator's adjudication in the exports' wide table,
declared through `exports.extensions` (registered from `CohortsConfig.ready()`).

Current data: the stored assessment (kept current on every CRF write) and the current
adjudication. A freeze: the eligibility recomputed by the engine from the frozen rows (the
rules' current version, which the `elig_rule_version` column names), and the adjudication
as it was recorded when the freeze was taken (its audit trail up to `Freeze.taken_at`).
Reason and justification are free text: exported only when a profile allows their codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cohorts.eligibility import ELIGIBLE, evaluate
from cohorts.models import (
    VERDICT_CHOICES,
    Adjudication,
    CaseAssessment,
    Decision,
    Freeze,
    overrules,
)
from crf.rows import CaseRows
from exports import extensions
from exports.formats.columns import BOOLEAN, CODE, TEXT, ColumnSpec


def _text(value: Any) -> Any:
    return value or None  # "" is "not recorded"


def _text_sql(value: str) -> str:
    return f"NULLIF({value}, '')"


def _overrules_sql(decision: str, computed: str) -> str:
    """`_overrules` in SQL."""
    eligible, include = ELIGIBLE, Decision.INCLUDE.value
    return (
        f"CASE WHEN COALESCE({decision}, '') = '' OR COALESCE({computed}, '') = '' THEN NULL "
        f"WHEN {decision} = '{include}' THEN {computed} <> '{eligible}' "
        f"ELSE {computed} = '{eligible}' END"
    )


def _verdicts() -> tuple[tuple[str | int, str], ...]:
    return tuple((code, str(label)) for code, label in VERDICT_CHOICES)


def _overrules(decision: str | None, computed: str | None) -> bool | None:
    return None if not decision or not computed else overrules(decision, computed)


def assessment_as_of(freeze: Any, loaded: Mapping[int, CaseRows]) -> dict[int, Model | None]:
    """The verdict of each frozen case, recomputed from its rows as of the freeze."""
    found: dict[int, Model | None] = {}
    for pk, rows in loaded.items():
        verdict = evaluate(rows)
        found[pk] = CaseAssessment(
            case_id=pk, eligibility=verdict.status, eligibility_version=verdict.rule_version
        )
    return found


def adjudication_as_of(freeze: Freeze, loaded: Mapping[int, CaseRows]) -> dict[int, Model | None]:
    """Each case's adjudication as recorded when the freeze was taken (its latest audit event
    up to then; none if it did not exist yet)."""
    events = (
        Adjudication.pgh_event_model.objects.filter(  # type: ignore[attr-defined]
            case_id__in=list(loaded), pgh_created_at__lte=_taken_at(freeze)
        )
        .order_by("case_id", "-pgh_id")
        .distinct("case_id")
    )
    return {
        event.case_id: Adjudication(
            case_id=event.case_id,
            decision=event.decision,
            reason=event.reason,
            justification=event.justification,
            computed=event.computed,
            computed_version=event.computed_version,
        )
        for event in events
        if event.pgh_label != "delete"
    }


def _taken_at(freeze: Freeze) -> datetime:
    """When the freeze was taken, by the database's clock (its audit event), as the
    adjudication's events are stamped; `taken_at` (the application's clock) otherwise."""
    recorded = (
        Freeze.pgh_event_model.objects.filter(  # type: ignore[attr-defined]
            pgh_obj_id=freeze.pk, pgh_label="insert"
        )
        .values_list("pgh_created_at", flat=True)
        .first()
    )
    return recorded or freeze.taken_at


ELIGIBILITY = extensions.CaseVariables(
    model=CaseAssessment,
    variables=(
        extensions.CaseVariable(
            code="eligibility.computed",
            column=lambda: ColumnSpec(
                "elig_computed",
                _("computed eligibility"),
                CODE,
                value_labels=_verdicts(),
                derived=True,
            ),
            lookups=("eligibility",),
            value=_text,
            sql=_text_sql,
        ),
        extensions.CaseVariable(
            code="eligibility.rule_version",
            column=lambda: ColumnSpec("elig_rule_version", _("eligibility rules version"), TEXT),
            lookups=("eligibility_version",),
            value=_text,
            sql=_text_sql,
        ),
    ),
    as_of=assessment_as_of,
    freeze_note=gettext_lazy(
        "recomputed from the frozen rows by the eligibility rules named in elig_rule_version"
    ),
)

ADJUDICATION = extensions.CaseVariables(
    model=Adjudication,
    variables=(
        extensions.CaseVariable(
            code="adjudication.decision",
            column=lambda: ColumnSpec(
                "adj_decision",
                _("adjudication decision"),
                CODE,
                value_labels=tuple((c, str(label)) for c, label in Decision.choices),
            ),
            lookups=("decision",),
            value=_text,
            sql=_text_sql,
        ),
        extensions.CaseVariable(
            code="adjudication.computed",
            column=lambda: ColumnSpec(
                "adj_verdict_at_decision",
                _("computed eligibility when adjudicated"),
                CODE,
                value_labels=_verdicts(),
            ),
            lookups=("computed",),
            value=_text,
            sql=_text_sql,
        ),
        extensions.CaseVariable(
            code="adjudication.overrules",
            column=lambda: ColumnSpec(
                "adj_overrules", _("adjudication overrules the computed eligibility"), BOOLEAN
            ),
            lookups=("decision", "computed"),
            value=_overrules,
            sql=_overrules_sql,
        ),
        extensions.CaseVariable(
            code="adjudication.reason",
            column=lambda: ColumnSpec("adj_reason", _("adjudication reason"), TEXT),
            lookups=("reason",),
            value=_text,
            sql=_text_sql,
            free_text=True,
        ),
        extensions.CaseVariable(
            code="adjudication.justification",
            column=lambda: ColumnSpec("adj_justification", _("justification for overruling"), TEXT),
            lookups=("justification",),
            value=_text,
            sql=_text_sql,
            free_text=True,
        ),
    ),
    as_of=adjudication_as_of,
    freeze_note=gettext_lazy(
        "the adjudication as recorded when the freeze was taken (its audit trail up to the "
        "freeze's time)"
    ),
)


def register() -> None:
    extensions.register(ELIGIBILITY)
    extensions.register(ADJUDICATION)
