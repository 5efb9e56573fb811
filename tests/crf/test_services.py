"""The write path: derived values stored with their rule version, conflict-safe, audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crf import scores
from crf.models import (
    Case,
    CentralReview,
    Demographics,
    HaematologicalDisease,
    NgsTest,
    NgsVariant,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from crf.services import (
    EditConflict,
    case_create,
    case_recompute,
    section_delete,
    section_save,
)
from tests.factories import (
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
)


def test_case_create_in_own_centre_with_identity(investigator_a, centre_a):
    case = case_create(
        user=investigator_a,
        case=Case(centre=centre_a, group="case"),
        identity={
            "local_identifier": "IPP1",
            "initials": "AB",
            "date_of_birth": dt.date(1950, 1, 2),
        },
    )
    assert case.identity.initials == "AB"
    assert case.created_by == investigator_a


def test_case_create_refused_in_another_centre(investigator_a, centre_b):
    with pytest.raises(PermissionDenied):
        case_create(user=investigator_a, case=Case(centre=centre_b, group="case"))
    assert not Case.objects.filter(centre=centre_b).exists()


def test_section_save_stores_ipssr_with_rule_version(investigator_a, case_a):
    # Manuscript-like MDS: Hb 8.2, ANC 0.72, PLT 239, blasts 0, normal karyotype → 2.5 (low).
    haem = HaematologicalDisease(
        case=case_a, disease="mds", hb=8.2, anc=0.72, platelets=239, bm_blasts=0,
        cytogenetics_done="yes", karyotype="normal",
    )  # fmt: skip
    section_save(user=investigator_a, instance=haem)
    haem.refresh_from_db()
    assert haem.cytogenetic_risk == "good"
    assert haem.ipssr_score == 2.5
    assert haem.ipssr_category == "low"
    assert haem.ipssr_lower_risk is True
    assert scores.IPSSR_VERSION in haem.rule_version


def test_ages_and_temporal_relation_derive_from_identity_and_both_diagnoses(investigator_a, case_a):
    # Identity: born 1955-03-14 (factory).
    HaematologicalDiseaseFactory(case=case_a, diagnosis_date=dt.date(2020, 3, 1))
    demo = Demographics(
        case=case_a, sex="male", le_diagnosis_date=dt.date(2020, 1, 15),
        last_followup_date=dt.date(2024, 1, 15), vital_status="alive",
    )  # fmt: skip
    section_save(user=investigator_a, instance=demo)
    demo.refresh_from_db()
    assert demo.age_at_le_diagnosis == 64
    assert demo.age_at_mds_diagnosis == 64
    assert demo.diagnosis_interval_days == 46
    assert demo.temporal_relation == "concomitant"
    assert demo.followup_years == pytest.approx(4.0, abs=0.01)


def test_ipssra_uses_age_at_mds_diagnosis(investigator_a, case_a):
    DemographicsFactory(case=case_a, le_diagnosis_date=dt.date(2018, 5, 2))
    haem = HaematologicalDiseaseFactory(
        case=case_a, diagnosis_date=dt.date(2025, 3, 14), hb=12, anc=2, platelets=150,
        bm_blasts=10, karyotype="abnormal", minus_y=True,
    )  # fmt: skip
    case_recompute(case=case_a)
    haem.refresh_from_db()
    # Very good cytogenetics (−Y alone), blasts 10 → 2.0; age 70 → IPSS-RA unchanged.
    assert haem.cytogenetic_risk == "very_good"
    assert haem.ipssr_score == 2.0
    assert haem.ipssra_score == pytest.approx(2.0)


def test_slicc_classification_stored(investigator_a, case_a):
    criteria = SliccCriteria(
        case=case_a, acute_or_subacute_cle="yes", synovitis="yes", ana="yes",
        anti_dsdna="yes", renal="no",
    )  # fmt: skip
    section_save(user=investigator_a, instance=criteria)
    criteria.refresh_from_db()
    assert (criteria.classification, criteria.clinical_count, criteria.immunological_count) == (
        "met", 2, 2,
    )  # fmt: skip


def test_sledai_and_lupus_response_derived_and_disagreement_flagged(investigator_a, case_a):
    from crf.models import LupusResponse

    treatment = TreatmentFactory(case=case_a)
    sledai = SledaiAssessment.objects.create(
        case=case_a, context="response", low_complement="yes", increased_dna_binding="yes"
    )
    response = LupusResponse.objects.create(
        treatment=treatment, recorded="complete_response", sledai=sledai
    )
    case_recompute(case=case_a)
    sledai.refresh_from_db()
    response.refresh_from_db()
    assert (sledai.score, sledai.clinical_score) == (4, 0)
    assert response.derived == "clinical_response"
    assert response.disagrees is True


def test_skin_ngs_concordance_with_blood(case_a):
    biopsy = SkinBiopsyFactory(case=case_a)
    blood = NgsTest.objects.create(case=case_a, tissue="peripheral_blood", result="variants")
    NgsVariant.objects.create(test=blood, gene="TET2", hgvs_c="c.3954G>A", vaf=45)
    skin = NgsTest.objects.create(case=case_a, tissue="skin", skin_biopsy=biopsy, result="variants")
    NgsVariant.objects.create(test=skin, gene="TET2", hgvs_c="c.3954G>A", vaf=12)
    NgsVariant.objects.create(test=skin, gene="KRAS", hgvs_c="c.35G>A", vaf=8)
    case_recompute(case=case_a)
    skin.refresh_from_db()
    assert (skin.concordance, skin.shared_genes) == ("concordant", "TET2")


def test_central_review_reclassification(case_a):
    biopsy = SkinBiopsyFactory(case=case_a, local_diagnosis="cle")
    review = CentralReview.objects.create(biopsy=biopsy, diagnosis="mds_cmml_cutis")
    case_recompute(case=case_a)
    review.refresh_from_db()
    assert review.reclassified is True


def test_stale_version_is_refused_and_nothing_saved(investigator_a, case_a):
    demo = DemographicsFactory(case=case_a, sex="male")
    stale = case_a.version
    demo.sex = "female"
    section_save(user=investigator_a, instance=demo, expected_version=stale)
    other_tab = Demographics.objects.get(pk=demo.pk)
    other_tab.vital_status = "dead"
    with pytest.raises(EditConflict, match="changed by someone else"):
        section_save(user=investigator_a, instance=other_tab, expected_version=stale)
    assert Demographics.objects.get(pk=demo.pk).vital_status == "alive"


def test_reason_required_after_submission(investigator_a, case_a):
    case_a.status = "submitted"
    case_a.save()
    demo = DemographicsFactory(case=case_a)
    demo.sex = "female"
    with pytest.raises(ValidationError, match="reason for change"):
        section_save(user=investigator_a, instance=demo)
    section_save(user=investigator_a, instance=demo, reason="typo in source document")
    assert Demographics.objects.get(pk=demo.pk).sex == "female"


@pytest.mark.parametrize("status", ["locked", "withdrawn"])
def test_locked_and_withdrawn_cases_are_read_only(investigator_a, case_a, status):
    case_a.status = status
    case_a.withdrawn_reason = "consent withdrawn" if status == "withdrawn" else ""
    case_a.save()
    with pytest.raises(PermissionDenied):
        section_save(user=investigator_a, instance=Demographics(case=case_a), reason="x")


def test_foreign_investigator_and_coordinator_cannot_write(investigator_b, coordinator, case_a):
    for user in (investigator_b, coordinator):
        with pytest.raises(PermissionDenied):
            section_save(user=user, instance=Demographics(case=case_a))
    assert not Demographics.objects.filter(case=case_a).exists()


def test_central_review_written_by_pathologist_only(central_reviewer, investigator_a, case_a):
    biopsy = SkinBiopsyFactory(case=case_a)
    with pytest.raises(PermissionDenied):
        section_save(user=investigator_a, instance=CentralReview(biopsy=biopsy, diagnosis="cle"))
    section_save(user=central_reviewer, instance=CentralReview(biopsy=biopsy, diagnosis="cle"))
    assert CentralReview.objects.get(biopsy=biopsy).reclassified is False


def test_validation_errors_refuse_the_save_for_every_writer(investigator_a, case_a):
    """Not only forms: the service itself applies crf.validation (API and import rely on it)."""
    haem = HaematologicalDisease(case=case_a, disease="cmml", monocytes=0.2, monocytes_pct=3)
    with pytest.raises(ValidationError) as refused:
        section_save(user=investigator_a, instance=haem)
    assert "monocytosis" in str(refused.value.message_dict["monocytes"])
    assert not HaematologicalDisease.objects.filter(case=case_a).exists()


def test_acknowledged_warnings_and_reason_are_audited(investigator_a, case_a):
    demo = DemographicsFactory(case=case_a)
    demo.sex = "female"
    section_save(user=investigator_a, instance=demo, acknowledged=["range.usual"])
    event = Demographics.pgh_event_model.objects.filter(pgh_obj=demo).latest("pgh_id")
    metadata = event.pgh_context.metadata
    assert metadata["acknowledged_warnings"] == ["range.usual"]
    assert (metadata["source"], metadata["username"]) == ("web", "inv_a")


def test_section_delete_is_audited_and_recomputes(investigator_a, case_a):
    treatment = TreatmentFactory(case=case_a)
    version, pk = Case.objects.get(pk=case_a.pk).version, treatment.pk
    section_delete(user=investigator_a, instance=treatment)
    assert not case_a.treatment_set.exists()
    assert Case.objects.get(pk=case_a.pk).version == version + 1
    deleted = Treatment.pgh_event_model.objects.get(pgh_obj_id=pk, pgh_label="delete")
    assert deleted.pgh_context.metadata["user"] == investigator_a.pk


def test_a_foreign_investigator_cannot_delete(investigator_b, case_a):
    treatment = TreatmentFactory(case=case_a)
    with pytest.raises(PermissionDenied):
        section_delete(user=investigator_b, instance=treatment)
    assert case_a.treatment_set.count() == 1


def test_cases_are_never_deleted(investigator_a, case_a):
    with pytest.raises(PermissionDenied, match="withdrawn"):
        section_delete(user=investigator_a, instance=case_a)
