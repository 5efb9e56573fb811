"""Import pages: choose a section and a file → the dry run's report → confirm → imported
(all rows or none). Investigators import into their own centre's cases only."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from crf import access
from exports.imports import columns, sheet_import
from exports.imports.reader import max_bytes

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def upload_root() -> Path:
    return Path(getattr(settings, "REGISTRY_IMPORT_ROOT", settings.EXPORT_ROOT.parent / "imports"))


class UploadForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), choices=[])
    file = forms.FileField(label=_("File (XLSX or CSV)"))
    reason = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=500,
        help_text=_("Needed when a case is already submitted."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = section_choices()  # type: ignore[attr-defined]


def section_choices() -> list[tuple[str, str]]:
    return [(name, str(m._meta.verbose_name).capitalize()) for name, m in columns.SECTIONS.items()]


def _importer(request: HttpRequest) -> access.Actor:
    actor = access.actor_for(request.user)
    if not access.may_import(actor):
        raise PermissionDenied(gettext("Only a centre's investigators import its data."))
    return actor


def _stored(request: HttpRequest, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise Http404
    return upload_root() / str(request.user.pk) / sha256


KEEP_SECONDS = 24 * 3600  # an upload not confirmed within a day is dropped


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


@login_required
def start(request: HttpRequest) -> HttpResponse:
    actor = _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > max_bytes():
            form.add_error(
                "file",
                gettext("The file is over the limit of {limit} MB: split it.").format(
                    limit=round(max_bytes() / 1e6, 1)
                ),
            )
        else:
            data = upload.read()
            report = sheet_import.check(
                actor=actor,
                section=form.cleaned_data["section"],
                filename=upload.name,
                data=data,
                reason=form.cleaned_data["reason"],
            )
            if report.ok:  # kept until confirmed, in the user's own folder
                path = _stored(request, hashlib.sha256(data).hexdigest())
                path.parent.mkdir(parents=True, exist_ok=True)
                _forget_old(path.parent)
                path.write_bytes(data)
            return render(
                request,
                "exports/import_report.html",
                {"report": report, "reason": form.cleaned_data["reason"]},
            )
    return render(
        request, "exports/import_start.html", {"form": form, "sections": section_choices()}
    )


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    actor = _importer(request)
    path = _stored(request, request.POST.get("sha256", ""))
    section = request.POST.get("section", "")
    if not path.is_file() or section not in columns.SECTIONS:
        messages.error(request, gettext("This upload is no longer available: upload it again."))
        return redirect("imports:start")
    reason = request.POST.get("reason", "")
    report = sheet_import.apply(
        actor=actor,
        section=section,
        filename=request.POST.get("filename", path.name),
        data=path.read_bytes(),
        reason=reason,
        acknowledged=request.POST.getlist("acknowledge"),
    )
    if not report.applied:
        return render(request, "exports/import_report.html", {"report": report, "reason": reason})
    path.unlink(missing_ok=True)
    messages.success(
        request,
        gettext(
            "Imported {name}: {created} rows created, {updated} updated, {unchanged} unchanged."
        ).format(
            name=report.filename,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        ),
    )
    return redirect("imports:start")


@login_required
def template(request: HttpRequest, section: str, fmt: str) -> HttpResponse:
    model = columns.SECTIONS.get(section)
    if model is None or fmt not in FORMATS:
        raise Http404
    content = columns.xlsx_template(model) if fmt == "xlsx" else columns.csv_template(model)
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{section}.{fmt}"'
    return response
