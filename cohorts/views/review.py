"""The coordinator's review of one case: the criteria with the values they rest on, the
discrepancies (each one click from a query), the queries, the workflow, the adjudication."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts import adjudication, assessment, workflow
from cohorts.extensions import biopsy_reviews
from cohorts.models import Adjudication, Decision, Query
from cohorts.quality import discrepancies
from cohorts.queries import describe, raise_query
from cohorts.views.common import actor_of, int_or_none, require, run
from crf import access, lifecycle, snapshot
from crf.models.case import READ_ONLY_STATUSES

TRANSITION_SERVICES = {
    "start_review": workflow.case_start_review,
    "verify": workflow.case_verify,
    "lock": workflow.case_lock,
    "unlock": workflow.case_unlock,
}


@login_required
def case_review(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    case = access.case_for(actor, code)
    require(access.may_review_cases(actor))
    rows = snapshot.load_one(case)
    current = assessment.current(rows)
    found = assessment.stored_discrepancies(current)
    queries = list(Query.objects.filter(case=case).select_related("raised_by"))
    for query in queries:
        query.where = describe(query)  # type: ignore[attr-defined]
    queried_keys = {q.discrepancy_key for q in queries if q.is_open and q.discrepancy_key}
    transitions = [t for t in lifecycle.available(actor, case) if t.name in TRANSITION_SERVICES]
    read_only = case.status in READ_ONLY_STATUSES
    context = {
        "case": case,
        "verdict": assessment.stored_verdict(current),
        "open_discrepancies": found[: current.open_discrepancies],
        "confirmed_discrepancies": found[current.open_discrepancies :],
        "queried_keys": queried_keys,
        "queries": queries,
        "transitions": transitions,
        "blockers": {t.name: lifecycle.blockers(actor, case, t.name) for t in transitions},
        "adjudication": Adjudication.objects.filter(case=case).select_related("decided_by").first(),
        "decisions": Decision.choices,
        "may_adjudicate": access.may_adjudicate(actor) and not read_only,
        "may_raise": access.may_raise_query(actor, case) and not read_only,
        "biopsies": biopsy_reviews(rows),
    }
    return render(request, "cohorts/case_review.html", context)


@login_required
@require_POST
def transition(request: HttpRequest, code: str, name: str) -> HttpResponse:
    actor = actor_of(request)
    case = access.case_for(actor, code)
    service = TRANSITION_SERVICES.get(name)
    require(service is not None and access.may_review_cases(actor))
    based_on = int_or_none(request.POST.get("based_on")) or 0
    reason = request.POST.get("reason", "")
    kwargs = {"reason": reason} if name in ("verify", "lock", "unlock") else {}
    label = lifecycle.TRANSITIONS[name].label
    run(
        request,
        lambda: service(actor=actor, case=case, based_on=based_on, **kwargs),  # type: ignore[misc]
        _("Case {code}: {action} done.").format(code=case.code, action=str(label).lower()),
    )
    return redirect("cohorts:case_review", code=case.code)


@login_required
@require_POST
def adjudicate(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    case = access.case_for(actor, code)
    require(access.may_adjudicate(actor))
    run(
        request,
        lambda: adjudication.adjudicate(
            actor=actor,
            case=case,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            justification=request.POST.get("justification", ""),
        ),
        _("Decision recorded for case {code}.").format(code=case.code),
    )
    return redirect("cohorts:case_review", code=case.code)


@login_required
@require_POST
def discrepancy(request: HttpRequest, code: str) -> HttpResponse:
    """One click on a discrepancy: raise it as a query, or confirm it as true."""
    actor = actor_of(request)
    case = access.case_for(actor, code)
    key = request.POST.get("key", "")
    rows = snapshot.load_one(case)
    found = next((d for d in discrepancies(rows) if d.key == key), None)
    if request.POST.get("action") == "confirm":
        require(access.may_adjudicate(actor))
        run(
            request,
            lambda: adjudication.confirm_discrepancy(
                actor=actor, case=case, key=key, comment=request.POST.get("comment", "")
            ),
            _("Discrepancy confirmed."),
        )
        return redirect("cohorts:case_review", code=case.code)
    require(access.may_raise_query(actor, case))
    if found is None:
        run(request, lambda: _gone(), "")
        return redirect("cohorts:case_review", code=case.code)
    first = found.values[0] if found.values else None
    run(
        request,
        lambda: raise_query(
            actor=actor,
            case=case,
            text=found.message,
            model=first.model_name if first else "",
            row_id=first.pk if first and first.model_name != "case" else None,
            field=first.field if first else "",
            rule=found.rule,
            discrepancy_key=found.key,
            base_url=request.build_absolute_uri("/"),
        ),
        _("Query raised; the centre's investigators are told."),
    )
    return redirect("cohorts:case_review", code=case.code)


def _gone() -> None:
    from django.core.exceptions import ValidationError

    raise ValidationError(_("This discrepancy is no longer found: the data changed."))
