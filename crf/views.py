"""Case pages. Thin: they ask `registry.access` what the user may see, then render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.access import case_for_user, cases_visible_to, identities_visible_to


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = cases_visible_to(request.user).select_related("centre", "demographics")
    return render(request, "crf/case_list.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    case = case_for_user(request.user, code, lookup="code")
    identity = identities_visible_to(request.user).filter(case=case).first()
    return render(request, "crf/case_detail.html", {"case": case, "identity": identity})
