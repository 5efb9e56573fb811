"""On the demo cohort (seed_demo, built to the study's figures, written through the batch
path): every case is assessed on the way in, the central pathology summary tells the study's
story, and each coordinating role finds its work from its pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from cohorts import pathology
from cohorts.models import CaseAssessment
from crf import access
from crf.models import Case
from registry.models import User


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_every_demo_case_is_assessed_by_the_batch_hook(demo):
    assert CaseAssessment.objects.count() == Case.objects.count() == 62
    outcomes = set(CaseAssessment.objects.values_list("eligibility", flat=True))
    assert outcomes <= {"eligible", "not_eligible", "undetermined"} and "eligible" in outcomes


def test_the_pathology_summary_tells_the_study_story(demo):
    summary = pathology.summary(access.actor_for(User.objects.get(username="pathologist")))
    assert summary.reviewed == summary.biopsies >= 12
    assert (summary.skin_ngs_concordant, summary.skin_ngs) == (6, 8)
    assert summary.cutis >= 6 and summary.reclassified >= summary.lupus_to_cutis


def test_coordinator_and_pathologist_find_their_work(demo, client):
    client.force_login(User.objects.get(username="coordinator"))
    home = client.get(reverse("home")).content.decode()
    assert "Cases to review" in home and "Review case LE-" in home
    assert client.get(reverse("cohorts:dashboard")).status_code == 200
    client.force_login(User.objects.get(username="pathologist"))
    listing = client.get(reverse("cohorts:pathology_list")).content.decode()
    assert "6 of 8 comparable tests" in listing
