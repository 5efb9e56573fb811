"""The statisticians' panel of the home page (registered in ExportsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from exports.models import ExportJob

SHOWN = 5


def latest_exports(request: HttpRequest) -> dict[str, Any]:
    return {"jobs": list(ExportJob.objects.select_related("profile")[:SHOWN])}


def latest_study_tables(request: HttpRequest) -> dict[str, Any]:
    done = ExportJob.objects.filter(status=ExportJob.Status.DONE).select_related("profile")
    return {"jobs": list(done[:SHOWN])}
