"""Case pages. Thin: they ask `crf.access` what the user may see, then render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crf import access


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    actor = access.actor_for(request.user)
    cases = access.cases_visible(actor).select_related("centre", "demographics")
    return render(request, "crf/case_list.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = access.actor_for(request.user)
    case = access.case_for(actor, code)
    identity = access.identities_visible(actor).filter(case=case).first()
    return render(request, "crf/case_detail.html", {"case": case, "identity": identity})
