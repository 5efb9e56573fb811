"""Where cohorts plugs into the layers below, from `CohortsConfig.ready()`:

- `crf.services.cases_changed` → the stored assessment (eligibility, discrepancies);
- `crf.lifecycle.guard` → open queries block verifying and locking;
- `crf.extensions` → on the CRF pages: "open queries" and "eligibility" columns of the case
  list, a panel on the case overview (eligibility, discrepancies, queries, workflow,
  adjudication), an open query beside its field on a section form;
- `registry.home` → home panels: queries to answer, cases to review, biopsies to review.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from cohorts import assessment
from cohorts.models import OPEN_QUERY_STATUSES, Adjudication, CaseAssessment, Query, QueryStatus
from crf import access, lifecycle
from crf import extensions as crf_extensions
from crf.access import Actor
from crf.codes import Status
from crf.models import Case, CentralReview, SkinBiopsy
from crf.rows import CaseRows
from crf.services import cases_changed
from registry import home, i18n
from registry.models import Role

PANEL_ROWS = 10  # items a home panel lists (then a link to the whole list)


# ---- the case list ----


def with_open_queries(cases: QuerySet[Case], actor: Actor) -> QuerySet[Case]:
    counted = (
        Query.objects.filter(case=OuterRef("pk"), status__in=OPEN_QUERY_STATUSES)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return cases.annotate(
        open_queries=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
    )


def open_queries_cell(case: Case) -> str:
    n = case.open_queries  # type: ignore[attr-defined]
    if not n:
        return "—"
    text = ngettext("%(n)s open query", "%(n)s open queries", n) % {"n": n}
    return format_html('<span class="badge text-bg-warning">{}</span>', text)


def with_eligibility(cases: QuerySet[Case], actor: Actor) -> QuerySet[Case]:
    stored = CaseAssessment.objects.filter(case=OuterRef("pk"))
    decided = Adjudication.objects.filter(case=OuterRef("pk"))
    return cases.annotate(
        eligibility=Subquery(stored.values("eligibility")[:1]),
        adjudicated=Subquery(decided.values("decision")[:1]),
    )


_VERDICTS = {
    "eligible": gettext_noop("Eligible"),
    "not_eligible": gettext_noop("Not eligible"),
    "undetermined": gettext_noop("Undetermined"),
}
_DECISIONS = {"include": gettext_noop("included"), "exclude": gettext_noop("excluded")}


def eligibility_cell(case: Case) -> str:
    """The stored verdict ("—" before the first assessment), then the adjudication."""
    verdict = _VERDICTS.get(case.eligibility)  # type: ignore[attr-defined]
    decision = _DECISIONS.get(case.adjudicated)  # type: ignore[attr-defined]
    text = i18n.gettext(verdict) if verdict else "—"
    return f"{text} · {i18n.gettext(decision)}" if decision else text


# ---- the case overview and the section forms ----


def overview_panel(actor: Actor, case: Case, rows: CaseRows) -> dict[str, Any]:
    current = assessment.current(rows)
    return {
        "case": case,
        "verdict": assessment.stored_verdict(current),
        "discrepancies": assessment.stored_discrepancies(current)[: current.open_discrepancies],
        "open_queries": list(
            Query.objects.filter(case=case, status__in=OPEN_QUERY_STATUSES).order_by("raised_at")
        ),
        "adjudication": Adjudication.objects.filter(case=case).first(),
        "may_review": access.may_review_cases(actor),
        "transitions": lifecycle.available(actor, case),
        "biopsies": biopsy_reviews(rows),
    }


def biopsy_reviews(rows: CaseRows) -> list[dict[str, Any]]:
    """Each skin biopsy of the case with its central review and whether it was reclassified
    (from the rows in memory: no query)."""
    from cohorts.pathology import is_reclassified

    found = []
    for biopsy in rows.many(SkinBiopsy):
        review = rows.review_of(biopsy)
        found.append(
            {"biopsy": biopsy, "review": review, "reclassified": is_reclassified(biopsy, review)}
        )
    return found


def field_notes(
    actor: Actor, case: Case, model: type[Model], row: Model | None
) -> dict[str, dict[str, Any]]:
    queries = Query.objects.filter(
        case=case, model=model._meta.model_name, status__in=OPEN_QUERY_STATUSES
    ).exclude(field="")
    if row is not None and row.pk is not None and model is not Case:
        queries = queries.filter(Q(row_id=row.pk) | Q(row_id__isnull=True))
    return {q.field: {"query": q} for q in queries}


# ---- home panels ----


def _actor(request: HttpRequest) -> Actor:
    return access.actor_for(request.user)


def queries_to_answer(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    waiting = Query.objects.filter(
        case__centre_id__in=actor.centre_ids, status=QueryStatus.OPEN
    ).select_related("case")
    return {"queries": list(waiting.order_by("raised_at")[:PANEL_ROWS]), "total": waiting.count()}


def cases_to_review(request: HttpRequest) -> dict[str, Any]:
    waiting = Case.objects.filter(status__in=(Status.SUBMITTED, Status.ANSWERED)).select_related(
        "centre"
    )
    answered = Query.objects.filter(status=QueryStatus.ANSWERED).select_related("case")
    return {
        "cases": list(waiting.order_by("updated_at")[:PANEL_ROWS]),
        "total": waiting.count(),
        "answered": list(answered.order_by("updated_at")[:PANEL_ROWS]),
        "answered_total": answered.count(),
    }


def biopsies_to_review(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    waiting = access.rows_visible(actor, SkinBiopsy).filter(central_review__isnull=True)
    mine = Query.objects.filter(raised_by_id=request.user.pk, status=QueryStatus.ANSWERED)
    return {
        "total": waiting.count(),
        "reviewed": access.rows_visible(actor, CentralReview).count(),
        "answered": list(mine.select_related("case")[:PANEL_ROWS]),
    }


def register_all() -> None:
    cases_changed.connect(assessment.on_cases_changed, dispatch_uid="cohorts.assessment")
    from cohorts import export_variables

    export_variables.register()  # the exports' wide table: eligibility and adjudication
    from cohorts.workflow import open_queries_block

    for name in ("verify", "lock"):
        lifecycle.guard(name)(open_queries_block)
    crf_extensions.register(
        crf_extensions.CaseColumn(_("Open queries"), open_queries_cell, with_open_queries, order=60)
    )
    crf_extensions.register(
        crf_extensions.CaseColumn(_("Eligibility"), eligibility_cell, with_eligibility, order=61)
    )
    crf_extensions.register(
        crf_extensions.CasePanel("cohorts/ext/overview_panel.html", overview_panel, order=60)
    )
    crf_extensions.register(
        crf_extensions.FieldNotes("cohorts/ext/field_note.html", field_notes, order=60)
    )
    home.register(home.Panel(Role.INVESTIGATOR, "cohorts/home/queries.html", queries_to_answer, 60))
    home.register(home.Panel(Role.COORDINATOR, "cohorts/home/review.html", cases_to_review, 60))
    home.register(
        home.Panel(Role.CENTRAL_REVIEWER, "cohorts/home/pathology.html", biopsies_to_review, 60)
    )
