"""The write contract (crf.services): one judgement for every writer, conflict-safe, audited.

Every rule of the contract has its test here: warnings and acknowledgements, rule codes on
refusals, the version, the field whitelist, no re-parenting, 404 for what one may not see
and 403 for what one may not change, a reason in every status after submission, the
central reviewer and locked cases, and the derived values stored with their rule version.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from crf import access, scores
from crf.lifecycle import case_submit, case_withdraw
from crf.models import (
    Case,
    CentralReview,
    Demographics,
    HaematologicalDisease,
    Identity,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SkinBiopsy,
    SledaiAssessment,
    SliccCriteria,
    Treatment,
)
from crf.services import (
    EditConflict,
    SectionInvalid,
    WarningsToAcknowledge,
    case_create,
    section_delete,
    section_save,
)


def actor(user):
    return access.actor_for(user)


def save(user, case, model, data, **kwargs):
    """section_save with the case's current version (what a fresh form would carry)."""
    case.refresh_from_db()
    return section_save(
        actor=actor(user), case=case, model=model, data=data, based_on=case.version, **kwargs
    )


def set_status(case, status):
    Case.objects.filter(pk=case.pk).update(
        status=status, withdrawn_reason="x" if status == "withdrawn" else ""
    )
    case.refresh_from_db()


# ---- creating cases ----


def test_case_create_in_own_centre_with_identity(investigator_a, centre_a):
    case = case_create(
        actor=actor(investigator_a),
        centre_id=centre_a.pk,
        group="case",
        identity={"local_identifier": "IPP1", "initials": "AB", "date_of_birth": "1950-01-02"},
        data={"consent": "yes"},
    )
    identity = Identity.objects.get(case=case)
    assert (identity.initials, identity.date_of_birth) == ("AB", dt.date(1950, 1, 2))
    assert (case.created_by, case.consent, case.status) == (investigator_a, "yes", "draft")


def test_case_create_refused_in_another_centre(investigator_a, centre_b):
    with pytest.raises(PermissionDenied):
        case_create(actor=actor(investigator_a), centre_id=centre_b.pk, group="case")
    assert not Case.objects.filter(centre=centre_b).exists()


def test_case_create_refuses_bad_identity_and_writes_nothing(investigator_a, centre_a):
    with pytest.raises(SectionInvalid) as refused:
        case_create(
            actor=actor(investigator_a),
            centre_id=centre_a.pk,
            group="case",
            identity={"local_identifier": "IPP1", "initials": "ab1", "date_of_birth": None},
        )
    fields = {f.field for f in refused.value.findings}
    assert {"initials", "date_of_birth"} <= fields
    assert not Case.objects.exists()


# ---- 404 for what one may not see, 403 for what one may see but not change ----


def test_foreign_investigator_and_statistician_get_404(investigator_b, statistician, case_a):
    for user in (investigator_b, statistician):
        with pytest.raises(Http404):
            save(user, case_a, Demographics, {"sex": "male"})
    assert not Demographics.objects.exists()


def test_coordinator_sees_but_may_not_write_403(coordinator, case_a):
    with pytest.raises(PermissionDenied):
        save(coordinator, case_a, Demographics, {"sex": "male"})
    assert not Demographics.objects.exists()


def test_a_row_of_another_case_is_404(investigator_a, case_a, centre_a):
    other = case_create(actor=actor(investigator_a), centre_id=centre_a.pk, group="case")
    treatment = save(
        investigator_a, other, Treatment, {"agent": "rituximab", "regimen": "rituximab"}
    )
    with pytest.raises(Http404):
        save(investigator_a, case_a, Treatment, {"cycles": 4}, row_id=treatment.pk)
    assert Treatment.objects.get(pk=treatment.pk).cycles is None


def test_read_token_scope_may_not_write(investigator_a, case_a):
    reader = access.actor_for(investigator_a, access.Scope.READ)
    with pytest.raises(PermissionDenied):
        section_save(
            actor=reader, case=case_a, model=Demographics, data={}, based_on=case_a.version
        )


# ---- the whitelist: never centre, status, group or a row's parent ----


@pytest.mark.parametrize("field", ["centre", "status", "group", "code", "version", "case"])
def test_case_bookkeeping_cannot_be_written(investigator_a, case_a, field):
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, Case, {field: "x", "consent": "yes"})
    assert [(f.field, f.rule) for f in refused.value.findings] == [(field, "field.not_writable")]
    case_a.refresh_from_db()
    assert (case_a.status, case_a.group, case_a.consent) == ("draft", "case", "")


def test_a_section_row_cannot_be_given_another_case(investigator_a, case_a, case_b):
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, Demographics, {"sex": "male", "case": case_b.pk})
    assert refused.value.findings[0].rule == "field.not_writable"


def test_a_nested_row_is_never_reparented(investigator_a, case_a):
    first = save(investigator_a, case_a, NgsTest, {"tissue": "peripheral_blood"})
    second = save(investigator_a, case_a, NgsTest, {"tissue": "bone_marrow"})
    variant = save(
        investigator_a, case_a, NgsVariant, {"gene": "TET2", "vaf": 40}, parent_id=first.pk
    )
    with pytest.raises(SectionInvalid) as refused:
        save(
            investigator_a, case_a, NgsVariant, {"vaf": 41}, row_id=variant.pk, parent_id=second.pk
        )
    assert refused.value.findings[0].rule == "row.reparent"
    assert NgsVariant.objects.get(pk=variant.pk).test_id == first.pk


def test_the_case_lifecycle_is_not_a_field_edit(investigator_a, case_a):
    with pytest.raises(SectionInvalid):
        save(investigator_a, case_a, Case, {"status": "locked"})
    # An incomplete draft is not submitted (crf.completeness); it can be withdrawn.
    with pytest.raises(ValidationError, match="required answer"):
        case_submit(actor=actor(investigator_a), case=case_a, based_on=case_a.version)
    withdrawn = case_withdraw(
        actor=actor(investigator_a),
        case=case_a,
        based_on=case_a.version,
        reason="consent withdrawn",
    )
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "consent withdrawn")


# ---- the version ----


def test_stale_version_is_refused_and_nothing_saved(investigator_a, case_a):
    demo = save(investigator_a, case_a, Demographics, {"sex": "male"})
    stale = Case.objects.get(pk=case_a.pk).version
    save(investigator_a, case_a, Demographics, {"sex": "female"})
    with pytest.raises(EditConflict, match="changed by someone else"):
        section_save(
            actor=actor(investigator_a),
            case=case_a,
            model=Demographics,
            data={"vital_status": "dead"},
            based_on=stale,
        )
    demo.refresh_from_db()
    assert (demo.sex, demo.vital_status) == ("female", "")


def test_each_save_bumps_the_version_once(investigator_a, case_a):
    before = Case.objects.get(pk=case_a.pk).version
    save(investigator_a, case_a, HaematologicalDisease, {"disease": "mds", "hb": 9.5})
    assert Case.objects.get(pk=case_a.pk).version == before + 1


# ---- reasons for change ----


@pytest.mark.parametrize("status", ["submitted", "in_review", "queried", "answered", "verified"])
def test_reason_required_in_every_status_after_submission(investigator_a, case_a, status):
    set_status(case_a, status)
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, Demographics, {"sex": "female"})
    assert refused.value.findings[0].rule == "reason.required"
    save(investigator_a, case_a, Demographics, {"sex": "female"}, reason="source document")
    assert Demographics.objects.get(case=case_a).sex == "female"


@pytest.mark.parametrize("status", ["locked", "withdrawn"])
def test_locked_and_withdrawn_cases_are_read_only(investigator_a, case_a, status):
    set_status(case_a, status)
    with pytest.raises(PermissionDenied):
        save(investigator_a, case_a, Demographics, {"sex": "male"}, reason="x")


# ---- the central review ----


def test_central_review_written_by_central_reviewers_only(central_reviewer, investigator_a, case_a):
    biopsy = save(investigator_a, case_a, SkinBiopsy, {"local_diagnosis": "cle"})
    with pytest.raises(PermissionDenied):
        save(investigator_a, case_a, CentralReview, {"diagnosis": "cle"}, parent_id=biopsy.pk)
    review = save(
        central_reviewer, case_a, CentralReview, {"diagnosis": "cle"}, parent_id=biopsy.pk
    )
    assert (review.reclassified, review.reviewed_by) == (False, central_reviewer)


def test_central_reviewer_cannot_write_on_a_locked_case(central_reviewer, investigator_a, case_a):
    biopsy = save(investigator_a, case_a, SkinBiopsy, {"local_diagnosis": "cle"})
    set_status(case_a, "locked")
    with pytest.raises(PermissionDenied):
        save(
            central_reviewer,
            case_a,
            CentralReview,
            {"diagnosis": "mds_cmml_cutis"},
            parent_id=biopsy.pk,
            reason="central review",
        )
    assert not CentralReview.objects.exists()


# ---- the rules: codes, fields, warnings ----


def test_errors_keep_their_rule_code_and_field(investigator_a, case_a):
    with pytest.raises(SectionInvalid) as refused:
        save(
            investigator_a,
            case_a,
            HaematologicalDisease,
            {"disease": "cmml", "monocytes": 0.2, "monocytes_pct": 3},
        )
    found = {(f.field, f.rule) for f in refused.value.findings}
    assert found == {("monocytes", "cmml.monocytosis"), ("monocytes_pct", "cmml.monocytosis")}
    assert "monocytosis" in refused.value.message_dict["monocytes"][0]
    assert refused.value.error_dict["monocytes"][0].code == "cmml.monocytosis"
    assert not HaematologicalDisease.objects.exists()


def test_a_rule_and_a_constraint_refusing_the_same_value_show_the_rule(investigator_a, case_a):
    # Hb 108 breaks the database bound (<= 25) and the unit-slip rule: the rule names the fix.
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, HaematologicalDisease, {"disease": "mds", "hb": 108})
    assert [(f.field, f.rule) for f in refused.value.findings] == [("hb", "unit.hb_g_l")]
    assert "looks like g/L — enter 10.8" in refused.value.findings[0].message


def test_a_constraint_without_a_rule_is_reported_on_its_field(investigator_a, case_a):
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, Treatment, {"agent": "other", "regimen": "other"})
    (finding,) = refused.value.findings
    assert (finding.field, finding.rule) == (
        "agent_other",
        "constraint.treatment_agent_other_required",
    )


def test_unacknowledged_warning_refuses_then_acknowledgement_saves(investigator_a, case_a):
    data = {"disease": "mds", "hb": 22}  # outside the usual range 4-20: a warning
    with pytest.raises(WarningsToAcknowledge) as warned:
        save(investigator_a, case_a, HaematologicalDisease, data)
    assert [(f.field, f.rule) for f in warned.value.findings] == [("hb", "range.usual")]
    assert not HaematologicalDisease.objects.exists()
    haem = save(
        investigator_a,
        case_a,
        HaematologicalDisease,
        data,
        acknowledged={"range.usual": "checked in the lab report"},
    )
    event = HaematologicalDisease.pgh_event_model.objects.get(pgh_obj_id=haem.pk)
    assert event.pgh_context["acknowledged_warnings"] == {
        "range.usual": "checked in the lab report"
    }


def test_acknowledging_a_warning_that_is_not_there_is_refused(investigator_a, case_a):
    with pytest.raises(SectionInvalid) as refused:
        save(
            investigator_a,
            case_a,
            HaematologicalDisease,
            {"disease": "mds", "hb": 9},
            acknowledged=["range.usual"],
        )
    assert refused.value.findings[0].rule == "acknowledgement.unmatched"


def test_mds_diagnosis_after_the_last_follow_up_is_refused(investigator_a, case_a):
    save(
        investigator_a,
        case_a,
        Demographics,
        {"le_diagnosis_date": "2015-01-01", "last_followup_date": "2019-12-31"},
    )
    with pytest.raises(SectionInvalid) as refused:
        save(
            investigator_a,
            case_a,
            HaematologicalDisease,
            {"disease": "mds", "diagnosis_date": "2020-02-01"},
        )
    assert [(f.field, f.rule) for f in refused.value.findings] == [
        ("diagnosis_date", "date.followup_before_diagnosis")
    ]


def test_a_bad_value_type_names_the_field(investigator_a, case_a):
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, HaematologicalDisease, {"disease": "mds", "hb": "ten"})
    assert [(f.field, f.rule) for f in refused.value.findings] == [("hb", "field.invalid")]


# ---- derived values, stored with their rule versions ----


def test_section_save_stores_ipssr_with_rule_version(investigator_a, case_a):
    # Hb 8.2, ANC 0.72, PLT 239, blasts 0, normal karyotype → 2.5 (low).
    haem = save(
        investigator_a,
        case_a,
        HaematologicalDisease,
        {"disease": "mds", "hb": 8.2, "anc": 0.72, "platelets": 239, "bm_blasts": 0,
         "cytogenetics_done": "yes", "karyotype": "normal"},
    )  # fmt: skip
    haem.refresh_from_db()
    assert (haem.cytogenetic_risk, haem.ipssr_score, haem.ipssr_category) == ("good", 2.5, "low")
    assert haem.ipssr_lower_risk is True
    assert scores.IPSSR_VERSION in haem.rule_version


def test_ages_and_temporal_relation_derive_from_identity_and_both_diagnoses(investigator_a, case_a):
    # Identity: born 1955-03-14 (factory).
    save(
        investigator_a,
        case_a,
        HaematologicalDisease,
        {"disease": "mds", "diagnosis_date": "2020-03-01"},
    )
    demo = save(
        investigator_a,
        case_a,
        Demographics,
        {"sex": "male", "le_diagnosis_date": "2020-01-15", "last_followup_date": "2024-01-15",
         "vital_status": "alive"},
    )  # fmt: skip
    demo.refresh_from_db()
    assert (demo.age_at_le_diagnosis, demo.age_at_mds_diagnosis) == (64, 64)
    assert (demo.diagnosis_interval_days, demo.temporal_relation) == (46, "concomitant")
    assert demo.followup_years == pytest.approx(4.0, abs=0.01)
    assert demo.dates_approximate is False


def test_a_date_known_to_the_month_is_stored_mid_month_and_flagged(investigator_a, case_a):
    demo = save(
        investigator_a,
        case_a,
        Demographics,
        {"le_diagnosis_date": "2019-03-01", "le_diagnosis_date_precision": "month"},
    )
    demo.refresh_from_db()
    assert demo.le_diagnosis_date == dt.date(2019, 3, 15)
    assert demo.dates_approximate is True


def test_changing_the_mds_diagnosis_recomputes_the_demographics(investigator_a, case_a):
    save(investigator_a, case_a, Demographics, {"le_diagnosis_date": "2020-01-15"})
    save(
        investigator_a,
        case_a,
        HaematologicalDisease,
        {"disease": "mds", "diagnosis_date": "2021-01-15"},
    )
    demo = Demographics.objects.get(case=case_a)
    assert (demo.temporal_relation, demo.diagnosis_interval_days) == ("le_before", 366)


def test_sledai_and_lupus_response_derived_and_disagreement_flagged(investigator_a, case_a):
    treatment = save(
        investigator_a, case_a, Treatment, {"agent": "hydroxychloroquine", "regimen": "hcq_alone"}
    )
    sledai = save(
        investigator_a,
        case_a,
        SledaiAssessment,
        {"context": "response", "low_complement": "yes", "increased_dna_binding": "yes"},
    )
    response = save(
        investigator_a,
        case_a,
        LupusResponse,
        {"recorded": "complete_response", "sledai": sledai.pk},
        parent_id=treatment.pk,
    )
    sledai.refresh_from_db()
    response.refresh_from_db()
    assert (sledai.score, sledai.clinical_score) == (4, 0)
    assert (response.derived, response.disagrees) == ("clinical_response", True)


def test_slicc_classification_stored(investigator_a, case_a):
    criteria = save(
        investigator_a,
        case_a,
        SliccCriteria,
        {"acute_or_subacute_cle": "yes", "synovitis": "yes", "ana": "yes", "anti_dsdna": "yes",
         "renal": "no"},
    )  # fmt: skip
    criteria.refresh_from_db()
    assert (criteria.classification, criteria.clinical_count, criteria.immunological_count) == (
        "met", 2, 2,
    )  # fmt: skip


def test_skin_ngs_concordance_with_blood(investigator_a, case_a):
    biopsy = save(investigator_a, case_a, SkinBiopsy, {"local_diagnosis": "cle"})
    blood = save(
        investigator_a, case_a, NgsTest, {"tissue": "peripheral_blood", "result": "variants"}
    )
    save(investigator_a, case_a, NgsVariant, {"gene": "TET2", "hgvs_c": "c.3954G>A", "vaf": 45},
         parent_id=blood.pk)  # fmt: skip
    skin = save(
        investigator_a,
        case_a,
        NgsTest,
        {"tissue": "skin", "skin_biopsy": biopsy.pk, "result": "variants"},
    )
    for gene, hgvs in (("TET2", "c.3954G>A"), ("KRAS", "c.35G>A")):
        save(investigator_a, case_a, NgsVariant, {"gene": gene, "hgvs_c": hgvs, "vaf": 12},
             parent_id=skin.pk)  # fmt: skip
    skin.refresh_from_db()
    assert (skin.concordance, skin.shared_genes) == ("concordant", "TET2")


def test_a_link_to_a_row_of_another_case_is_refused(investigator_a, case_a, centre_a):
    other = case_create(actor=actor(investigator_a), centre_id=centre_a.pk, group="case")
    foreign_biopsy = save(investigator_a, other, SkinBiopsy, {"local_diagnosis": "cle"})
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, NgsTest, {"tissue": "skin", "skin_biopsy": foreign_biopsy.pk})
    assert refused.value.findings[0].rule == "link.other_case"


def test_an_ngs_test_not_performed_needs_no_tissue(investigator_a, case_a):
    test = save(investigator_a, case_a, NgsTest, {"result": "not_done"})
    assert (test.tissue, test.result) == ("", "not_done")
    with pytest.raises(SectionInvalid) as refused:
        save(investigator_a, case_a, NgsTest, {"result": "variants"})
    assert refused.value.findings[0].rule == "ngs.tissue"


def test_responses_of_a_line_without_dates_can_be_recorded(investigator_a, case_a):
    treatment = save(
        investigator_a, case_a, Treatment, {"agent": "azacitidine", "regimen": "azacitidine"}
    )
    response = save(
        investigator_a,
        case_a,
        LupusResponse,
        {"recorded": "no_response", "assessed_on": "2020-05-01"},
        parent_id=treatment.pk,
    )
    assert response.pk


# ---- deleting ----


def test_section_delete_is_audited_and_recomputes(investigator_a, case_a):
    treatment = save(
        investigator_a, case_a, Treatment, {"agent": "rituximab", "regimen": "rituximab"}
    )
    version = Case.objects.get(pk=case_a.pk).version
    section_delete(
        actor=actor(investigator_a), case=case_a, model=Treatment, row_id=treatment.pk,
        based_on=version,
    )  # fmt: skip
    assert not Treatment.objects.exists()
    assert Case.objects.get(pk=case_a.pk).version == version + 1
    deleted = Treatment.pgh_event_model.objects.get(pgh_obj_id=treatment.pk, pgh_label="delete")
    assert deleted.pgh_context["user"] == investigator_a.pk


def test_a_foreign_investigator_cannot_delete(investigator_a, investigator_b, case_a):
    treatment = save(
        investigator_a, case_a, Treatment, {"agent": "rituximab", "regimen": "rituximab"}
    )
    with pytest.raises(Http404):
        section_delete(
            actor=actor(investigator_b), case=case_a, model=Treatment, row_id=treatment.pk,
            based_on=Case.objects.get(pk=case_a.pk).version,
        )  # fmt: skip
    assert Treatment.objects.count() == 1


def test_cases_are_never_deleted(investigator_a, case_a):
    with pytest.raises(PermissionDenied, match="withdrawn"):
        section_delete(
            actor=actor(investigator_a), case=case_a, model=Case, row_id=case_a.pk,
            based_on=case_a.version,
        )  # fmt: skip


# ---- cost ----


def test_a_section_save_runs_under_15_queries(
    investigator_a, case_a, django_assert_max_num_queries
):
    save(investigator_a, case_a, Demographics, {"le_diagnosis_date": "2018-05-02"})
    save(investigator_a, case_a, HaematologicalDisease, {"disease": "mds", "hb": 9.5})
    case_a.refresh_from_db()
    user = actor(investigator_a)
    with django_assert_max_num_queries(14):
        section_save(
            actor=user,
            case=case_a,
            model=HaematologicalDisease,
            data={"anc": 1.2, "platelets": 130, "bm_blasts": 3},
            based_on=case_a.version,
        )
