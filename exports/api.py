"""The exports through the API (JSON): start an export, poll it, read its re-identification
report, accept it, download its files. Same rules as the pages (crf.access.may_export),
through whatever authentication the API uses (a session, or a personal token: a `read`
token is enough, an export writes no record).

    GET  /api/v1/exports/jobs/                         the history
    POST /api/v1/exports/jobs/  {"profile": "deidentified", "formats": ["csv", "dta"],
                              "freeze": "Manuscript v1"}      (no freeze: the current data)
    GET  /api/v1/exports/jobs/<id>/                    status, progress, report, files
    POST /api/v1/exports/jobs/<id>/accept-report/      when k is under the threshold
    GET  /api/v1/exports/jobs/<id>/files/<name>        the file (audited)
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crf import access
from exports import jobs
from exports.forms import freeze_choices
from exports.models import ExportFile, ExportJob, ExportProfile
from exports.pipeline import check_formats
from exports.views import HISTORY_LENGTH


def _actor(request: Request) -> access.Actor:
    """The caller, through the scope of their token (if any), else their session."""
    scope = getattr(request.auth, "scope", None) or access.Scope.SESSION
    actor = access.actor_for(request.user, access.Scope(scope))
    if not access.may_export(actor):
        raise Http404("No such page.")
    return actor


def job_json(job: ExportJob, request: Request) -> dict[str, Any]:
    files = job.files.all() if job.downloadable else ExportFile.objects.none()
    return {
        "id": job.pk,
        "url": request.build_absolute_uri(reverse("exports_api:job", args=[job.pk])),
        "profile": job.profile.name,
        "formats": job.formats,
        "freeze": job.freeze or None,
        "status": job.status,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "requested_by": job.requested_by.get_username() if job.requested_by else None,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "error": job.error or None,
        "reidentification": job.k_report or None,
        "report_accepted": job.report_accepted_at is not None,
        "downloadable": job.downloadable,
        "files": [
            {
                "name": f.name,
                "table": f.table or None,
                "format": f.format,
                "rows": f.rows,
                "sha256": f.sha256,
                "bytes": f.size,
                "url": request.build_absolute_uri(
                    reverse("exports_api:download", args=[job.pk, f.name])
                ),
            }
            for f in files
        ],
    }


# ---- the schema's description of the JSON above (the views build it with job_json) ----


class ExportFileSchema(serializers.Serializer):
    name = serializers.CharField()
    table = serializers.CharField(allow_null=True)
    format = serializers.CharField()
    rows = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField()
    bytes = serializers.IntegerField()
    url = serializers.URLField()


class ExportJobSchema(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    profile = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    freeze = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=ExportJob.Status.choices)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    requested_by = serializers.CharField(allow_null=True)
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField()
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    reidentification = serializers.JSONField(allow_null=True)
    report_accepted = serializers.BooleanField()
    downloadable = serializers.BooleanField()
    files = ExportFileSchema(many=True)


class ExportStartSchema(serializers.Serializer):
    profile = serializers.CharField(help_text="An export profile's name, e.g. deidentified.")
    formats = serializers.ListField(child=serializers.CharField(), help_text="csv, xlsx, ...")
    freeze = serializers.CharField(required=False, help_text="Left out: the current data.")


def _job(job_id: int) -> ExportJob:
    job = ExportJob.objects.select_related("profile", "requested_by").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such export.")
    return job


class JobList(APIView):
    @extend_schema(operation_id="exports_jobs_list", responses=ExportJobSchema(many=True))
    def get(self, request: Request) -> Response:
        _actor(request)
        history = ExportJob.objects.select_related("profile", "requested_by")[:HISTORY_LENGTH]
        return Response([job_json(job, request) for job in history])

    @extend_schema(request=ExportStartSchema, responses={202: ExportJobSchema})
    def post(self, request: Request) -> Response:
        _actor(request)
        data = request.data if isinstance(request.data, dict) else {}
        name = str(data.get("profile", ""))
        # PostgreSQL refuses NUL in text: such a name is unknown, not a server error.
        profile = None if "\x00" in name else ExportProfile.objects.filter(name=name).first()
        if profile is None:
            known = ", ".join(ExportProfile.objects.values_list("name", flat=True))
            return Response(
                {"profile": _("Unknown profile: give one of %(known)s.") % {"known": known}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        formats = data.get("formats") or []
        try:
            formats = check_formats([str(f) for f in formats] if isinstance(formats, list) else [])
        except ValueError as error:
            return Response({"formats": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        freeze = str(data.get("freeze") or "")
        if freeze not in dict(freeze_choices()):
            return Response(
                {"freeze": _("Unknown freeze: leave it out for the current data.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        job = jobs.create_job(
            profile=profile,
            formats=formats,
            freeze=freeze,
            user=request.user,
            trigger=ExportJob.Trigger.API,
        )
        jobs.enqueue(job)
        return Response(job_json(job, request), status=status.HTTP_202_ACCEPTED)


class JobDetail(APIView):
    @extend_schema(responses=ExportJobSchema)
    def get(self, request: Request, job_id: int) -> Response:
        _actor(request)
        return Response(job_json(_job(job_id), request))


class AcceptReport(APIView):
    @extend_schema(request=None, responses=ExportJobSchema)
    def post(self, request: Request, job_id: int) -> Response:
        _actor(request)
        job = _job(job_id)
        if job.status != ExportJob.Status.DONE:
            return Response(
                {"detail": _("This export has not finished: there is no report yet.")},
                status=status.HTTP_409_CONFLICT,
            )
        if job.report_accepted_at is None:
            job.report_accepted_by = request.user
            job.report_accepted_at = timezone.now()
            job.save(update_fields=["report_accepted_by", "report_accepted_at"])
        return Response(job_json(job, request))


class Download(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, job_id: int, name: str) -> FileResponse:
        _actor(request)
        job = _job(job_id)
        return jobs.file_download(job, name, request.user)
