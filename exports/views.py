"""The statisticians' pages: exports (start, progress, history), the re-identification
report, downloads, and the study's tables computed from an export's files.

Thin: `crf.access.may_export` decides who gets in (anyone else: 404, as for a page that does
not exist); `exports.jobs` runs the exports; `exports.study` computes the tables.
"""

from __future__ import annotations

import html

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crf import access
from exports import analysis, deid, jobs, study
from exports.forms import StartExportForm
from exports.models import ExportJob
from exports.pipeline import pseudonym_key
from registry.gcpause import collector_paused

HISTORY_LENGTH = 50
POLL_SECONDS = 2
FIGURE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def _exporter(request: HttpRequest) -> access.Actor:
    actor = access.actor_for(request.user)
    if not access.may_export(actor):
        raise Http404("No such page.")
    return actor


def _analysis_reader(request: HttpRequest) -> access.Actor:
    """Exporters, and those who may follow the tables' numbers back to the cases."""
    actor = access.actor_for(request.user)
    if not (access.may_export(actor) or access.may_trace_export_ids(actor)):
        raise Http404("No such page.")
    return actor


def _job(job_id: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.select_related("profile", "requested_by"), pk=job_id)


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    _exporter(request)
    history = ExportJob.objects.select_related("profile", "requested_by")[:HISTORY_LENGTH]
    return render(request, "exports/export_list.html", {"form": StartExportForm(), "jobs": history})


@login_required
@require_POST
def start_export(request: HttpRequest) -> HttpResponse:
    _exporter(request)
    form = StartExportForm(request.POST)
    if not form.is_valid():
        history = ExportJob.objects.select_related("profile", "requested_by")[:HISTORY_LENGTH]
        return render(
            request, "exports/export_list.html", {"form": form, "jobs": history}, status=400
        )
    job = jobs.create_job(
        profile=form.cleaned_data["profile"],
        formats=form.cleaned_data["formats"],
        freeze=form.cleaned_data["freeze"],
        user=request.user,
        trigger=ExportJob.Trigger.PAGE,
    )
    jobs.enqueue(job)
    messages.success(request, _("Export %(id)s started: this page follows it.") % {"id": job.pk})
    return redirect("exports:detail", job_id=job.pk)


@login_required
@require_GET
def export_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    _exporter(request)
    job = _job(job_id)
    return render(request, "exports/export_detail.html", _detail_context(job, request.GET.get("k")))


def _detail_context(job: ExportJob, chosen: str | None = None) -> dict:
    """`chosen`: another threshold to list the groups under (the profile's decides the
    downloads)."""
    files = list(job.files.all()) if job.status == ExportJob.Status.DONE else []
    report = job.k_report or {}
    threshold = int(chosen) if chosen and chosen.isdigit() and int(chosen) >= 1 else None
    threshold = threshold or job.k_threshold
    groups = [g for g in report.get("groups", []) if g["size"] < threshold]
    return {
        "job": job,
        "files": files,
        "report": report,
        "threshold": threshold,
        "at_risk_groups": groups,
        "at_risk_cases": sum(g["size"] for g in groups),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@require_GET
def export_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment htmx polls; once the job has finished, the whole page reloads
    (HX-Refresh) to show the report and the files."""
    _exporter(request)
    job = _job(job_id)
    response = render(request, "exports/progress.html", _detail_context(job))
    if job.finished and request.headers.get("HX-Request") and request.GET.get("polling"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def accept_report(request: HttpRequest, job_id: int) -> HttpResponse:
    _exporter(request)
    with transaction.atomic():
        job = get_object_or_404(ExportJob.objects.select_for_update(), pk=job_id)
        if job.status != ExportJob.Status.DONE:
            messages.error(request, _("This export has not finished: there is no report yet."))
        elif job.report_accepted_at is None:
            job.report_accepted_by = request.user
            job.report_accepted_at = timezone.now()
            job.save(update_fields=["report_accepted_by", "report_accepted_at"])
            messages.success(
                request,
                _("Re-identification report accepted: the files can be downloaded."),
            )
    return redirect("exports:detail", job_id=job_id)


@login_required
@require_GET
def download(request: HttpRequest, job_id: int, name: str) -> HttpResponse:
    _exporter(request)
    job = _job(job_id)
    return jobs.file_download(job, name, request.user)


def _study_data(job: ExportJob) -> analysis.StudyData:
    if job.status != ExportJob.Status.DONE:
        raise study.NoAnalysableFiles(_("This export has not finished yet."))
    stored = {f.name: f.stored_as for f in job.files.all()}
    storage = jobs.export_storage()
    return study.read_export(lambda name: storage.open(stored[name], "rb"), stored)


@login_required
@require_GET
@collector_paused()  # the tables' millions of ids live until the response is made
def analysis_page(request: HttpRequest, job_id: int) -> HttpResponse:
    actor = _analysis_reader(request)
    job = _job(job_id)
    try:
        data = _study_data(job)
        tables = study.study_tables(data)
    except (study.NoAnalysableFiles, analysis.AnalysisInputError) as problem:
        return render(
            request, "exports/analysis.html", {"job": job, "problem": str(problem)}, status=409
        )
    tracing = access.may_trace_export_ids(actor)
    cases_url = reverse("exports:analysis_cases", args=[job.pk]) if tracing else ""
    return render(
        request,
        "exports/analysis.html",
        {
            "job": job,
            "tables": [_with_cells_html(t, cases_url) for t in tables.values()],
            "figure": analysis.to_html_context(tables["figure3"]),
            "tracing": tracing,
            "exporter": access.may_export(actor),
        },
    )


def _with_cells_html(table: analysis.AnalysisTable, cases_url: str) -> dict:
    """The table's HTML context, each row's cells as one piece of HTML made here: a template
    loop per cell took 2.5 s for Table 2's 120,000 cells at 100,000 cases, `format_html`
    per cell 2 s. With `cases_url` (the reader may trace numbers), a cell's first number
    links to the cases it counts. Every text is escaped (`html.escape`, as Django's
    `escape` does) before the row is marked safe."""
    context = analysis.to_html_context(table)
    key = context["key"]
    for row in context["rows"]:
        cells = (
            _cell_html(key, row["key"], column, cell, cases_url)
            for column, cell in enumerate(row["cells"])
        )
        row["cells_html"] = mark_safe("".join(cells))  # every text escaped in _cell_html
    return context


def _cell_html(table: str, row: str, column: int, cell: dict, cases_url: str) -> str:
    text = html.escape(cell["text"])
    if not (cases_url and cell["links"]):
        return f"<td>{text}</td>"
    query = urlencode(
        {"table": table, "row": row, "column": column, "number": cell["links"][0]["name"]}
    )
    return f'<td><a href="{html.escape(f"{cases_url}?{query}")}">{text}</a></td>'


@login_required
@require_GET
@collector_paused()
def analysis_cases(request: HttpRequest, job_id: int) -> HttpResponse:
    """The cases a number of the study's tables counts, for coordinators and registry
    administrators: the export ids it carries, mapped back to the case codes they may open
    (the pseudonym is recomputed with the key, which never leaves the registry)."""
    actor = access.actor_for(request.user)
    if not access.may_trace_export_ids(actor):
        raise Http404("No such page.")
    job = _job(job_id)
    try:
        tables = study.study_tables(_study_data(job))
        table = tables[request.GET["table"]]
        row = table.row(request.GET["row"])
        column = int(request.GET["column"])
        number = row.cells[column].number(request.GET["number"])
    except (KeyError, ValueError, IndexError, study.NoAnalysableFiles, analysis.AnalysisInputError):
        raise Http404("No such number.") from None
    if number is None:
        raise Http404("No such number.")
    of = deid.pseudonymiser(key=pseudonym_key(), profile=job.policy["name"])
    wanted = set(number.export_ids)
    codes = sorted(
        code
        for code in access.cases_visible(actor).values_list("code", flat=True).iterator()
        if of(code) in wanted
    )
    return render(
        request,
        "exports/analysis_cases.html",
        {
            "job": job,
            "table": table,
            "row": row,
            "column": table.columns[column],
            "cell": row.cells[column],
            "codes": codes,
            "counted": len(wanted),
        },
    )


@login_required
@require_GET
@collector_paused()
def figure3(request: HttpRequest, job_id: int, fmt: str) -> HttpResponse:
    _analysis_reader(request)
    if fmt not in FIGURE_TYPES:
        raise Http404("No such figure.")
    job = _job(job_id)
    try:
        counts = analysis.figure3_counts(_study_data(job))
    except (study.NoAnalysableFiles, analysis.AnalysisInputError):
        raise Http404("No such figure.") from None
    content = analysis.render_figure3(counts, format=fmt)  # type: ignore[arg-type]
    return HttpResponse(content, content_type=FIGURE_TYPES[fmt])
