from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from registry.roles import roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if roles_of(request.user) - {"statistician"}:
        return redirect("crf:case_list")
    return render(request, "registry/home.html", {"roles": sorted(roles_of(request.user))})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"status": "ok"})
