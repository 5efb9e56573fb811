"""seed_demo: six demo accounts, 13 centres, 24 cases and 38 controls; idempotent; dev/test only."""

import io
import statistics

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from crf import snapshot
from crf.models import (
    CRF_MODELS,
    Case,
    CentralReview,
    Demographics,
    EvolutionEvent,
    HaematologicalDisease,
    HaematologicalResponse,
    Identity,
    LupusProfile,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from crf.validation import validate
from demo import cohort as demo
from registry.models import Centre, Membership, Role, User

pytestmark = pytest.mark.django_db

EXPECTED_ACCOUNTS = {
    "investigator1": (Role.INVESTIGATOR, "c01"),
    "investigator2": (Role.INVESTIGATOR, "c02"),
    "coordinator": (Role.COORDINATOR, None),
    "pathologist": (Role.CENTRAL_REVIEWER, None),
    "statistician": (Role.STATISTICIAN, None),
    "admin": (Role.REGISTRY_ADMIN, None),
    "admin2": (Role.REGISTRY_ADMIN, None),
}
# Everything the seed writes, to prove that a second run writes nothing.
SEEDED_MODELS = (Centre, User, Membership, *CRF_MODELS)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def login(client, username: str, password: str) -> bool:
    # django-axes needs the request that authenticate() is given.
    return client.login(request=RequestFactory().post("/"), username=username, password=password)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


@pytest.fixture
def output(db) -> str:
    return seed()


def test_seven_accounts_with_their_roles_centres_and_the_demo_password(output, client):
    for username, (role, centre) in EXPECTED_ACCOUNTS.items():
        user = User.objects.get(username=username)
        memberships = list(user.memberships.values_list("role", "centre__code"))
        assert memberships == [(role, centre)], username
        assert login(client, username, "registry-demo"), username
        assert username in output
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()
    assert "registry-demo" in output and "Central reviewer" in output


def test_24_cases_and_38_controls_spread_over_13_centres(output):
    assert sorted(Centre.objects.values_list("code", flat=True)) == [
        f"c{i:02d}" for i in range(1, 14)
    ]
    assert Case.objects.filter(group="case").count() == 24
    assert Case.objects.filter(group="control").count() == 38
    per_centre = {
        c.code: c.cases.filter(group="case").count() for c in Centre.objects.all()
    }  # fmt: skip
    assert per_centre["c01"] >= 3 and per_centre["c02"] >= 3
    assert sum(1 for n in per_centre.values() if n) >= 10
    assert set(Case.objects.filter(group="control").values_list("centre__code", flat=True)) == {
        demo.CONTROL_CENTRE
    }
    ids = Identity.objects.values_list("local_identifier", flat=True)
    assert len(set(ids)) == 62 and all(i.startswith("DEMO-") for i in ids)
    statuses = list(Case.objects.values_list("status", flat=True))
    assert statuses.count("draft") + statuses.count("submitted") > 0.7 * len(statuses)
    assert {"verified", "locked"} <= set(statuses)


def test_controls_carry_sections_1_to_4_only(output):
    controls = Case.objects.filter(group="control")
    for model, path in (
        (HaematologicalDisease, "case"), (EvolutionEvent, "case"), (NgsTest, "case"),
        (NgsVariant, "test__case"), (SkinBiopsy, "case"), (CentralReview, "biopsy__case"),
        (Treatment, "case"), (LupusResponse, "treatment__case"),
        (HaematologicalResponse, "treatment__case"),
    ):  # fmt: skip
        assert not model.objects.filter(**{f"{path}__in": controls}).exists(), model.__name__
    for model in (Demographics, LupusProfile, SliccCriteria, SerologyPanel):
        assert model.objects.filter(case__in=controls).count() == 38, model.__name__


def test_every_patient_has_demographics_and_derived_ages(output):
    assert Demographics.objects.count() == 62
    assert not Demographics.objects.filter(age_at_le_diagnosis__isnull=True).exists()
    cases = Demographics.objects.filter(case__group="case")
    assert not cases.filter(age_at_mds_diagnosis__isnull=True).exists()
    assert not cases.filter(temporal_relation="").exists()
    assert not cases.filter(followup_years__isnull=True).exists()
    # Every SLE meets SLICC 2012 (an inclusion criterion); no isolated CLE does.
    slicc = SliccCriteria.objects.values_list("case__lupusprofile__le_type", "classification")
    assert {le_type: c for le_type, c in slicc} == {"sle": "met", "isolated_cle": "not_met"}
    assert not SledaiAssessment.objects.filter(score__isnull=True).exists()


def test_most_cases_have_an_ipssr_and_most_are_lower_risk(output):
    haem = HaematologicalDisease.objects.all()
    assert haem.count() == 24
    scored = haem.exclude(ipssr_score__isnull=True)
    assert scored.count() >= 20
    assert scored.filter(ipssr_lower_risk=True).count() / scored.count() >= 0.85
    assert scored.filter(ipssr_lower_risk=False).exists()  # not all: the study had 2 of 24
    assert haem.filter(disease="mds").count() == 16 and haem.filter(del20q=True).count() >= 4
    cmml = haem.filter(disease="cmml")
    assert not cmml.filter(monocytes__lt=1).exists() and not cmml.filter(monocytes_pct__lt=10)
    # The recorded WHO classifications agree with what the registry computes.
    assert set(haem.values_list("classification_disagrees", flat=True)) == {False}


def test_cases_and_controls_differ_as_in_the_study(output):
    def ages(group: str) -> list[int]:
        return list(
            Demographics.objects.filter(case__group=group).values_list(
                "age_at_le_diagnosis", flat=True
            )
        )

    def share(model, group: str, **match) -> float:
        rows = model.objects.filter(case__group=group)
        return rows.filter(**match).count() / rows.count()

    assert statistics.median(ages("case")) > 55 > 35 > statistics.median(ages("control"))
    assert (
        share(Demographics, "case", sex="male")
        > 0.4
        > 0.15
        > share(Demographics, "control", sex="male")
    )
    assert (
        share(LupusProfile, "control", renal="yes") > 0.5 > share(LupusProfile, "case", renal="yes")
    )
    assert (
        share(SerologyPanel, "control", anti_dsdna="positive")
        > 0.5
        > share(SerologyPanel, "case", anti_dsdna="positive")
    )

    def median_titre(group: str) -> float:
        panels = SerologyPanel.objects.filter(case__group=group, ana_titre__isnull=False)
        return statistics.median(panels.values_list("ana_titre", flat=True))

    assert median_titre("control") > median_titre("case")


def test_skin_ngs_biopsies_and_responses_tell_the_study_story(output):
    skin = NgsTest.objects.filter(tissue="skin")
    assert skin.count() == 8 and not skin.filter(skin_biopsy__isnull=True).exists()
    assert skin.filter(concordance="concordant").count() == 6
    reviews = CentralReview.objects.all()
    assert reviews.count() == SkinBiopsy.objects.count() >= 12
    cutis = reviews.filter(diagnosis="mds_cmml_cutis").values("biopsy__case").distinct()
    assert cutis.count() == 6
    # Lupus responses backed by a SLEDAI-2K: the derived category agrees with the recorded one.
    responses = LupusResponse.objects.exclude(sledai__isnull=True)
    assert responses.count() >= 40
    assert set(responses.values_list("disagrees", flat=True)) == {False}
    haem_regimens = set(HaematologicalResponse.objects.values_list("treatment__regimen", flat=True))
    assert {"azacitidine", "aza_venetoclax", "allo_hsct"} <= haem_regimens
    assert Demographics.objects.filter(vital_status="dead").count() == 7


def test_every_row_passes_the_validation_rules(output):
    # No error and no warning: values stay inside the plausibility ranges, no unit slips.
    cases = snapshot.load(Case.objects.values_list("pk", flat=True))
    findings = [
        (type(row).__name__, finding.rule, finding.field)
        for rows in cases.values()
        for row in rows.all_rows()
        for finding in validate(row, rows)
    ]
    assert len(cases) == 62
    assert findings == []


def test_second_run_adds_nothing_and_keeps_changed_passwords(output, client):
    before = row_counts()
    user = User.objects.get(username="investigator1")
    user.set_password("changed-by-the-developer")
    user.save()

    again = seed()

    assert row_counts() == before
    assert "Nothing new" in again
    assert login(client, "investigator1", "changed-by-the-developer")

    seed("--reset-passwords")

    assert row_counts() == before
    assert login(client, "investigator1", "registry-demo")


def test_audited_as_synthetic_demo_data(output):
    case = Case.objects.first()
    metadata = Case.pgh_event_model.objects.filter(pgh_obj_id=case.pk).first().pgh_context
    assert metadata["source"] == "system"
    assert metadata["reason"] == "synthetic demo data"


def test_refused_when_demo_data_is_not_allowed(db, settings):
    settings.ALLOW_DEMO_DATA = False

    with pytest.raises(CommandError, match="ALLOW_DEMO_DATA"):
        seed()

    assert not Centre.objects.exists() and not User.objects.exists()
    assert not Case.objects.exists()
