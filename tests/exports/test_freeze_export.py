"""Exporting a data freeze of the coordinators' app (cohorts.freezes): the rows as they were
at the freeze, byte for byte the same at every export, whatever was edited since.

Skipped where the cohorts app has no freezes yet (the exports branch alone)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

freezes = pytest.importorskip("cohorts.freezes")

from django.apps import apps  # noqa: E402

from crf import models as crf  # noqa: E402
from exports import deid, pipeline  # noqa: E402
from exports.sources import CurrentData, FreezeUnavailable, source_for  # noqa: E402
from tests.factories import CaseFactory, DemographicsFactory  # noqa: E402

KEY = b"f" * 40


def export(source, out):
    return pipeline.run_export(
        source=source,
        profile=deid.Profile("deidentified"),
        formats=["csv", "dta"],
        key=KEY,
        sink=pipeline.DirectorySink(out),
        k_threshold=1,
    )


def sexes(out) -> dict[str, str]:
    return {r["export_id"]: r["dem_sex"] for r in csv.DictReader((out / "cases.csv").open())}


def test_a_freeze_exports_its_rows_as_they_were(db, centre_a, coordinator, tmp_path):
    case = CaseFactory(centre=centre_a)
    DemographicsFactory(case=case, sex="female", le_diagnosis_date=dt.date(2019, 3, 1))
    control = CaseFactory(centre=centre_a, group="control")
    DemographicsFactory(case=control, sex="male")
    freeze = apps.get_model("cohorts", "Freeze").objects.create(
        name="Manuscript v1",
        case_ids=[case.pk],
        control_ids=[control.pk],
        position=freezes.position_now(),
        created_by=coordinator,
    )
    demographics = crf.Demographics.objects.get(case=case)
    demographics.sex = "male"  # edited after the freeze
    demographics.save()

    first = export(source_for("Manuscript v1"), tmp_path / "a")
    again = export(source_for(str(freeze.pk)), tmp_path / "b")
    live = export(CurrentData(), tmp_path / "live")

    pseudonym = deid.pseudonym(case.code, key=KEY, profile="deidentified")
    assert sexes(tmp_path / "a")[pseudonym] == "female"
    assert sexes(tmp_path / "live")[pseudonym] == "male"
    assert first.manifest["freeze"]["id"] == "Manuscript v1"
    data = [(f.name, f.sha256) for f in first.files if f.table]
    assert data == [(f.name, f.sha256) for f in again.files if f.table]
    assert data != [(f.name, f.sha256) for f in live.files if f.table]
    with pytest.raises(FreezeUnavailable, match="does not exist"):
        source_for("No such freeze")


def test_a_statistician_exports_a_freeze_from_the_page(
    db, centre_a, coordinator, statistician, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    from exports.models import ExportJob, ExportProfile

    case = CaseFactory(centre=centre_a)
    DemographicsFactory(case=case, sex="female")
    apps.get_model("cohorts", "Freeze").objects.create(
        name="Frozen", case_ids=[case.pk], control_ids=[], position=freezes.position_now(),
        created_by=coordinator,
    )  # fmt: skip
    profile = ExportProfile.objects.create(name="freeze-page", k_threshold=1)
    client = Client()
    client.force_login(statistician)
    assert b"Frozen" in client.get(reverse("exports:list")).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("exports:start"),
            {"profile": profile.pk, "freeze": "Frozen", "formats": ["csv"]},
        )
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.freeze == "Frozen"
    assert job.manifest["freeze"] == {"id": "Frozen", "data": "frozen snapshot Frozen"}
