"""Export jobs (tasks eager here), the statisticians' pages, downloads and their audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from pghistory.models import Events

from exports import jobs
from exports.models import ExportDownload, ExportFile, ExportJob, ExportProfile
from tests.factories import CaseFactory, DemographicsFactory, IdentityFactory


@pytest.fixture
def cases(db, centre_a, centre_b):
    made = []
    for centre, sex, age in ((centre_a, "female", 71), (centre_b, "male", 64)):
        case = CaseFactory(centre=centre)
        IdentityFactory(case=case)
        DemographicsFactory(
            case=case, sex=sex, age_at_le_diagnosis=age, le_diagnosis_date=dt.date(2019, 1, 2)
        )
        made.append(case)
    return made


@pytest.fixture
def profile(db):
    return ExportProfile.objects.create(name="jobs-test", k_threshold=2)


def stored_bytes(file: ExportFile) -> bytes:
    with jobs.export_storage().open(file.stored_as, "rb") as handle:
        return handle.read()


def test_a_job_runs_stores_its_files_and_is_idempotent(cases, profile):
    job = jobs.create_job(profile=profile, formats=["parquet", "csv"])
    assert job.formats == ["csv", "parquet"]  # the registry's order

    done = jobs.run_job(job.pk)

    assert done.status == ExportJob.Status.DONE and done.attempts == 1
    assert done.rows_done == done.rows_total > 0
    files = {f.name: f for f in done.files.all()}
    assert {"cases.csv", "cases.parquet", "manifest.json", "codebook.csv"} <= set(files)
    for file in files.values():
        assert hashlib.sha256(stored_bytes(file)).hexdigest() == file.sha256
    assert done.manifest["row_counts"]["cases"] == 2
    assert done.k_report["k"] == 1 and not done.k_report["passes"]
    assert jobs.run_job(job.pk) is None  # done: nothing happens again
    assert ExportJob.objects.get(pk=job.pk).attempts == 1


def test_a_job_left_running_by_a_dead_worker_restarts_with_the_same_checksums(cases, profile):
    reference = jobs.run_job(jobs.create_job(profile=profile, formats=["csv", "dta"]).pk)
    job = jobs.create_job(profile=profile, formats=["csv", "dta"])
    # What a killed worker leaves: running, one attempt, a half-written file in the storage.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, attempts=1)
    storage = jobs.export_storage()
    storage.save(job.storage_prefix + "cases.csv", io.BytesIO(b"export_id,hal"))

    done = jobs.run_job(job.pk)

    assert done.status == ExportJob.Status.DONE and done.attempts == 2
    checksums = {f.name: f.sha256 for f in done.files.exclude(name="manifest.json")}
    assert checksums == {f.name: f.sha256 for f in reference.files.exclude(name="manifest.json")}
    _dirs, names = storage.listdir(job.storage_prefix)
    assert sorted(names) == sorted(f.name for f in done.files.all())  # nothing stray


def test_a_job_held_by_another_process_is_left_to_it(cases, profile):
    job = jobs.create_job(profile=profile, formats=["csv"])
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [jobs._LOCK_NAMESPACE, job.pk])
        with pytest.raises(jobs.JobBusy):
            jobs.run_job(job.pk, wait_seconds=0.3)
        assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.QUEUED
    finally:
        other.close()  # the lock goes with the connection, as with a killed worker
    assert jobs.run_job(job.pk).status == ExportJob.Status.DONE


def test_a_failing_export_is_recorded_with_its_reason(cases, profile):
    job = jobs.create_job(profile=profile, formats=["csv"])
    ExportJob.objects.filter(pk=job.pk).update(freeze="F-404")

    failed = jobs.run_job(job.pk)

    assert failed.status == ExportJob.Status.FAILED
    assert "F-404 does not exist" in failed.error
    assert not failed.files.exists()


def test_the_profile_is_copied_into_the_job(cases, profile):
    job = jobs.create_job(profile=profile, formats=["csv"])
    profile.date_mode = "year"
    profile.save()
    done = jobs.run_job(job.pk)
    assert done.manifest["profile"]["date_mode"] == "interval"


# ---- pages ----


def test_statistician_starts_follows_accepts_the_report_and_downloads(
    cases, profile, statistician, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(statistician)
    page = client.get(reverse("exports:list"))
    assert page.status_code == 200 and b"jobs-test" in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:start"), {"profile": profile.pk, "formats": ["csv", "sav"]}
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "exports:detail", args=[job.pk]
    )
    assert job.status == ExportJob.Status.DONE and job.requested_by == statistician

    progress = client.get(reverse("exports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b'value="100"' in progress.content and b"hx-trigger" not in progress.content
    polled = client.get(
        reverse("exports:progress", args=[job.pk]) + "?polling=1", HTTP_HX_REQUEST="true"
    )
    assert polled["HX-Refresh"] == "true"

    url = reverse("exports:download", args=[job.pk, "cases.csv"])
    # k = 1 under the threshold 2: no download before the report is accepted.
    detail = client.get(reverse("exports:detail", args=[job.pk]))
    assert b"Re-identification report" in detail.content and url.encode() not in detail.content
    assert b"2 cases are in groups smaller than 2." in detail.content
    # Another threshold lists other groups (downloads stay under the profile's).
    chosen = client.get(reverse("exports:detail", args=[job.pk]), {"k": "1"})
    assert b"Every group has at least 1 cases." in chosen.content
    assert client.get(url).status_code == 404
    client.post(reverse("exports:accept_report", args=[job.pk]))
    job.refresh_from_db()
    assert job.report_accepted_by == statistician
    detail = client.get(reverse("exports:detail", args=[job.pk]))
    assert url.encode() in detail.content

    download = client.get(url)
    content = b"".join(download.streaming_content)
    file = job.files.get(name="cases.csv")
    assert download.status_code == 200 and hashlib.sha256(content).hexdigest() == file.sha256
    assert "attachment" in download["Content-Disposition"]
    logged = ExportDownload.objects.get()
    assert (logged.user, logged.file, logged.sha256) == (statistician, file, file.sha256)
    event = Events.objects.tracks(logged).get()
    assert event.pgh_context["username"] == "stats"


def test_a_start_without_a_format_names_the_fix(profile, statistician):
    client = Client()
    client.force_login(statistician)
    response = client.post(reverse("exports:start"), {"profile": profile.pk})
    assert response.status_code == 400
    assert b"Tick at least one format." in response.content
    assert not ExportJob.objects.exists()


def test_pages_for_exporters_only_and_no_record_page_for_statisticians(
    cases, profile, statistician, investigator_a, coordinator
):
    for user in (investigator_a, coordinator):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("exports:list")).status_code == 404
    client = Client()
    client.force_login(statistician)
    assert client.get(reverse("crf:case_detail", args=[cases[0].code])).status_code == 404


def test_the_study_page_and_figure_come_from_the_exports_files(cases, profile, statistician):
    job = jobs.run_job(jobs.create_job(profile=profile, formats=["csv"]).pk)
    client = Client()
    client.force_login(statistician)
    page = client.get(reverse("exports:analysis", args=[job.pk]))
    assert page.status_code == 200
    assert "MDS/CMML associated LE" in page.content.decode()
    svg = client.get(reverse("exports:figure3", args=[job.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<?xml")
    png = client.get(reverse("exports:figure3", args=[job.pk, "png"]))
    assert png.content.startswith(b"\x89PNG")
    # Without a CSV or Parquet file there is nothing to read: said, not crashed.
    sav_only = jobs.run_job(jobs.create_job(profile=profile, formats=["sav"]).pk)
    page = client.get(reverse("exports:analysis", args=[sav_only.pk]))
    assert page.status_code == 409 and b"CSV or Parquet" in page.content


def test_the_study_page_escapes_every_cell_as_django_would():
    from django.utils.html import escape

    from exports.analysis import AnalysisTable, Cell, Number, Row
    from exports.views import _with_cells_html

    text = "<script>alert('x')</script> & \"quoted\""
    linked = Cell(text, (Number("n", 1, ("P1",)),))
    table = AnalysisTable("t&1", "T", "", ("a", "b"), (Row("r'1", "R", (Cell(text), linked)),))

    plain = _with_cells_html(table, "")["rows"][0]["cells_html"]
    traced = _with_cells_html(table, "/exports/1/analysis/cases/")["rows"][0]["cells_html"]

    assert plain == f"<td>{escape(text)}</td>" * 2
    assert "<script>" not in traced and traced.startswith(f"<td>{escape(text)}</td><td><a href=")
    href = html.unescape(re.search(r'href="([^"]*)"', traced).group(1))
    assert href == "/exports/1/analysis/cases/?table=t%261&row=r%271&column=1&number=n"


# ---- the API ----


def test_the_api_starts_polls_accepts_and_downloads(
    cases, profile, statistician, investigator_a, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(statistician)
    refused = client.post(
        reverse("exports_api:jobs"), {"profile": "nope", "formats": ["csv"]}, "application/json"
    )
    assert refused.status_code == 400 and "jobs-test" in refused.json()["profile"]
    refused = client.post(
        reverse("exports_api:jobs"),
        {"profile": "jobs-test", "formats": ["pdf"]},
        "application/json",
    )
    assert refused.status_code == 400 and "csv" in refused.json()["formats"]
    refused = client.post(
        reverse("exports_api:jobs"),
        {"profile": "jobs-test", "formats": ["csv"], "freeze": "F9"},
        "application/json",
    )
    assert refused.status_code == 400 and "current data" in refused.json()["freeze"]
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("exports_api:jobs"),
            {"profile": "jobs-test", "formats": ["csv", "dta"]},
            "application/json",
        )
    assert started.status_code == 202
    job_url = started.json()["url"]
    polled = client.get(job_url).json()
    assert polled["status"] == "done" and polled["percent"] == 100
    assert polled["reidentification"]["k"] == 1 and polled["files"] == []  # not accepted yet
    accepted = client.post(reverse("exports_api:accept_report", args=[polled["id"]])).json()
    assert accepted["downloadable"] and accepted["report_accepted"]
    file = next(f for f in accepted["files"] if f["name"] == "cases.dta")
    download = client.get(file["url"])
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == file["sha256"]
    assert ExportDownload.objects.get().file.name == "cases.dta"
    assert [j["id"] for j in client.get(reverse("exports_api:jobs")).json()] == [polled["id"]]

    other = Client()
    other.force_login(investigator_a)
    assert other.get(job_url).status_code == 404
    assert other.get(file["url"]).status_code == 404


# ---- schedule and profiles ----


def test_the_nightly_export_is_scheduled_and_runs_as_a_job(cases):
    import importlib
    import json

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from exports.tasks import scheduled_export

    migration = importlib.import_module(
        "exports.migrations.0002_default_profile_and_nightly_export"
    )
    migration.create(apps, None)  # what migrate did (idempotent)
    task = PeriodicTask.objects.get(name=migration.TASK_NAME)
    assert task.task == "exports.tasks.scheduled_export" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")
    kwargs = json.loads(task.kwargs)

    job_id = scheduled_export.apply(kwargs=kwargs).get()

    job = ExportJob.objects.get(pk=job_id)
    assert job.trigger == ExportJob.Trigger.SCHEDULE and job.requested_by is None
    assert job.profile.name == "deidentified" and job.status == ExportJob.Status.DONE
    assert job.formats == ["csv", "xlsx", "dta", "sav", "parquet"]


def test_a_profile_allowing_a_field_that_is_not_free_text_is_refused(db):
    from django.core.exceptions import ValidationError

    profile = ExportProfile(name="leaky", allowed_free_text=["demographics.sex"])
    with pytest.raises(ValidationError) as refused:
        profile.full_clean()
    assert "not a free-text field" in str(refused.value.message_dict["allowed_free_text"])
    profile.allowed_free_text = ["demographics.death_cause_detail"]
    profile.full_clean()  # a free-text field a registry administrator allows
    with pytest.raises(ValidationError) as refused:
        ExportProfile(name="Bad Name!").full_clean()
    assert "name" in refused.value.message_dict


# ---- numbers back to cases ----


def test_coordinators_follow_a_number_back_to_the_cases_it_counts(
    cases, profile, coordinator, statistician, investigator_a
):
    job = jobs.run_job(jobs.create_job(profile=profile, formats=["csv"]).pk)
    female = next(c for c in cases if c.demographics.sex == "female")
    query = {"table": "table1", "row": "female_male", "column": 0, "number": "female_n"}
    url = reverse("exports:analysis_cases", args=[job.pk])

    client = Client()
    client.force_login(coordinator)
    page = client.get(reverse("exports:analysis", args=[job.pk])).content.decode()
    link = re.search(r'href="([^"]*[?&;]row=female_male[^"]*)"', page)  # the numbers are links
    assert link and link.group(1).startswith(url)
    followed = client.get(html.unescape(link.group(1))).content.decode()
    listed = client.get(url, query).content.decode()
    assert female.code in listed and cases[1].code not in listed
    assert female.code in followed
    assert client.get(url, {**query, "number": "nope"}).status_code == 404
    assert client.get(url, {**query, "column": "x"}).status_code == 404
    assert client.get(reverse("exports:list")).status_code == 404  # no files for them

    stats = Client()
    stats.force_login(statistician)
    assert url not in stats.get(reverse("exports:analysis", args=[job.pk])).content.decode()
    assert stats.get(url, query).status_code == 404
    investigator = Client()
    investigator.force_login(investigator_a)
    assert investigator.get(url, query).status_code == 404
