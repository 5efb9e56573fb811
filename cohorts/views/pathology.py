"""Central pathology pages: every centre's skin biopsies for the central reviewers, and the
central review of one biopsy recorded through the CRF's write contract."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cohorts import pathology
from cohorts.models import Query
from cohorts.queries import describe
from cohorts.views.common import actor_of, refusal_text, require
from crf import access
from crf.forms import section_form
from crf.models import CentralReview, NgsTest, SkinBiopsy
from crf.services import EditConflict, SectionInvalid

PAGE_SIZE = 25


@login_required
def biopsy_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    require(access.may_review_pathology(actor))
    biopsies = pathology.biopsies_visible(actor)
    if request.GET.get("show") == "waiting":
        biopsies = biopsies.filter(central_review__isnull=True)
    page = Paginator(biopsies, PAGE_SIZE).get_page(request.GET.get("page"))
    for biopsy in page:
        review = getattr(biopsy, "central_review", None)
        biopsy.review = review  # type: ignore[attr-defined]
        biopsy.reclassified = pathology.is_reclassified(biopsy, review)  # type: ignore[attr-defined]
    context = {"page": page, "summary": pathology.summary(actor), "show": request.GET.get("show")}
    return render(request, "cohorts/pathology_list.html", context)


def _described(queries: Any) -> list[Query]:
    found = list(queries.select_related("case"))
    for query in found:
        query.where = describe(query)  # type: ignore[attr-defined]
    return found


def _biopsy(request: HttpRequest, pk: int) -> SkinBiopsy:
    actor = actor_of(request)
    try:
        biopsy = pathology.biopsies_visible(actor).get(pk=pk)
    except SkinBiopsy.DoesNotExist as exc:
        raise Http404("No such biopsy.") from exc
    require(access.may_review_pathology(actor))
    return biopsy


@login_required
def biopsy_review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    biopsy = _biopsy(request, pk)
    case = biopsy.case
    review = CentralReview.objects.filter(biopsy=biopsy).first()
    form_class = section_form(CentralReview)
    kwargs = {
        "actor": actor,
        "case": case,
        "row_id": review.pk if review else None,
        "parent_id": biopsy.pk,
        "instance": review,
    }
    writable = access.may_write(actor, case, CentralReview)
    if request.method == "POST":
        require(writable)
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            try:
                form.save()
            except SectionInvalid:
                pass  # the form shows the errors, warnings to acknowledge included
            except EditConflict as conflict:
                messages.error(request, refusal_text(conflict))
            else:
                messages.success(request, _("Central review saved."))
                return redirect("cohorts:pathology_biopsy", pk=biopsy.pk)
    else:
        form = form_class(**kwargs)
    context = {
        "biopsy": biopsy,
        "case": case,
        "review": review,
        "reclassified": pathology.is_reclassified(biopsy, review),
        "form": form if writable else None,
        "skin_ngs": NgsTest.objects.filter(skin_biopsy=biopsy),
        "queries": _described(
            Query.objects.filter(case=case, model__in=("skinbiopsy", "centralreview"))
        ),
    }
    return render(request, "cohorts/pathology_biopsy.html", context)
