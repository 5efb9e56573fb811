"""Completeness, the submit check and the outstanding warnings, from the models' Required
declarations (crf.models.fields.Required, read by crf.completeness)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from crf import access, completeness
from crf.codes import SledaiItem, SliccClinical, SliccImmunological
from crf.lifecycle import case_submit
from crf.models import (
    Case,
    Demographics,
    HaematologicalDisease,
    Identity,
    LupusProfile,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SledaiAssessment,
    SliccCriteria,
)
from crf.rows import CaseRows
from crf.services import section_save


def gap_keys(rows):
    return {(g.model.__name__, g.field) for g in completeness.gaps(rows)}


def test_a_new_case_lacks_its_required_sections():
    rows = CaseRows(case=Case(group="control"))
    keys = gap_keys(rows)
    assert ("Case", "consent") in keys
    for model in (Identity, Demographics, LupusProfile, SliccCriteria):
        assert (model.__name__, None) in keys
    assert ("SerologyPanel", None) in keys and ("SledaiAssessment", None) in keys
    assert ("HaematologicalDisease", None) not in keys  # controls have no haematology
    assert completeness.completeness(rows) == 0


def test_cases_also_need_their_haematological_disease():
    assert ("HaematologicalDisease", None) in gap_keys(CaseRows(case=Case(group="case")))


def test_a_missing_data_code_answers_a_required_field_and_a_blank_does_not():
    case = Case(group="control")
    demo = Demographics(case=case, sex="unknown", le_diagnosis_date=dt.date(2020, 1, 1))
    keys = gap_keys(CaseRows(case=case, rows={Demographics: [demo]}))
    assert ("Demographics", "sex") not in keys
    assert ("Demographics", "vital_status") in keys and (
        "Demographics",
        "last_followup_date",
    ) in keys


def test_conditional_requirements_follow_the_row():
    case = Case(group="control")
    alive = Demographics(case=case, vital_status="alive")
    dead = Demographics(case=case, vital_status="dead")
    assert ("Demographics", "death_date") not in gap_keys(CaseRows(case, {Demographics: [alive]}))
    assert ("Demographics", "death_date") in gap_keys(CaseRows(case, {Demographics: [dead]}))


def test_a_measurement_is_answered_by_its_value_or_its_reason():
    case = Case(group="control")
    panel = SerologyPanel(case=case, at_le_diagnosis=True, c3=0.8, c4_missing="not_done")
    keys = gap_keys(CaseRows(case, {SerologyPanel: [panel]}))
    assert ("SerologyPanel", "c3") not in keys and ("SerologyPanel", "c4") not in keys
    assert ("SerologyPanel", "ana") in keys


def test_a_required_row_must_meet_its_condition():
    case = Case(group="control")
    follow_up = SledaiAssessment(case=case, context="follow_up")
    assert ("SledaiAssessment", None) in gap_keys(CaseRows(case, {SledaiAssessment: [follow_up]}))


def complete_control(case: Case) -> CaseRows:
    demo = Demographics(case=case, sex="female", le_diagnosis_date=dt.date(2015, 1, 1),
                        last_followup_date=dt.date(2020, 1, 1), vital_status="alive")  # fmt: skip
    profile = LupusProfile(
        case=case, le_type="sle", cutaneous="yes", articular="arthritis", pleuritis="no",
        pericarditis="no", renal="no", neurological="no", autoimmune_haemolytic_anaemia="no",
        antiphospholipid_syndrome="no", drug_induced_suspected="no", haematological_malignancy="no",
    )  # fmt: skip
    items = (*SliccClinical.values, *SliccImmunological.values)
    slicc = SliccCriteria(case=case, biopsy_proven_nephritis="no", **dict.fromkeys(items, "no"))
    sledai = SledaiAssessment(
        case=case, context="le_diagnosis", **{c: "no" for c in SledaiItem.values}
    )
    panel = SerologyPanel(case=case, at_le_diagnosis=True, ana="negative", c3=0.9, c4=0.2,
                          **{f: "not_done" for f in ("anti_dsdna", "anti_ssa", "anti_ssb",
                             "anti_nucleosome", "anti_rnp", "anti_sm", "anti_cardiolipin",
                             "anti_b2gpi", "lupus_anticoagulant")})  # fmt: skip
    identity = Identity(
        case=case, local_identifier="X", initials="AB", date_of_birth=dt.date(1990, 1, 1)
    )
    return CaseRows(case, {Identity: [identity], Demographics: [demo], LupusProfile: [profile],
                           SliccCriteria: [slicc], SledaiAssessment: [sledai],
                           SerologyPanel: [panel]})  # fmt: skip


def test_a_complete_control_has_no_gap_and_is_100_percent():
    rows = complete_control(Case(group="control", consent="yes"))
    assert completeness.gaps(rows) == []
    assert completeness.completeness(rows) == 100


def test_completeness_counts_answers_given():
    rows = complete_control(Case(group="control", consent="yes"))
    rows.one(Demographics).sex = ""
    assert 0 < completeness.completeness(rows) < 100


@pytest.mark.django_db
def test_submission_is_refused_until_complete_and_the_list_fields_are_stored(
    investigator_a, case_a
):
    actor = access.actor_for(investigator_a)
    with pytest.raises(ValidationError, match="required answer"):
        case_submit(actor=actor, case=case_a, based_on=case_a.version)
    case_a.refresh_from_db()
    assert case_a.status == "draft"
    section_save(
        actor=actor, case=case_a, model=HaematologicalDisease, based_on=case_a.version,
        data={"disease": "mds", "hb": 22}, acknowledged=["range.usual"],
    )  # fmt: skip
    case_a.refresh_from_db()
    assert 0 < case_a.completeness < 100
    assert case_a.open_warnings == 0  # the one warning was confirmed


@pytest.mark.django_db
def test_a_confirmed_warning_is_kept_on_its_row_and_not_outstanding(investigator_a, case_a):
    actor = access.actor_for(investigator_a)

    def save(model, data, **kwargs):
        case_a.refresh_from_db()
        return section_save(actor=actor, case=case_a, model=model, data=data,
                            based_on=case_a.version, **kwargs)  # fmt: skip

    test = save(NgsTest, {"tissue": "peripheral_blood"})
    # A VAF of 0.4 looks like a fraction: a warning, confirmed with a comment.
    save(NgsVariant, {"gene": "TET2", "vaf": 0.4}, parent_id=test.pk,
         acknowledged={"unit.vaf_fraction": "0.4% in the report"})  # fmt: skip
    case_a.refresh_from_db()
    assert case_a.open_warnings == 0
    variant = NgsVariant.objects.get()
    assert variant.acknowledged_warnings == {"unit.vaf_fraction": "0.4% in the report"}
    # Saving the variant again with another VAF drops the confirmation with the warning.
    save(NgsVariant, {"vaf": 40}, row_id=variant.pk)
    variant.refresh_from_db()
    assert variant.acknowledged_warnings == {}


def test_requirements_read_entered_fields_only_never_a_derived_one():
    """The batch path takes a case's survey while deriving and hands it to the assessment
    after the derived values are set: that holds because no requirement reads a value the
    registry derives (those fields are not editable)."""
    from crf.models import CRF_MODELS
    from crf.validation.constraints import _names

    for model in CRF_MODELS:
        required = completeness.requirement(model)
        conditions = [
            *required.when.values(),
            *([required.rows] if required.rows is not None else []),
        ]
        read = {*required.fields, *required.when, *(n for q in conditions for n in _names(q))}
        read |= {f"{name}_missing" for name in read if hasattr(model, f"{name}_missing")}
        derived = {f.name for f in model._meta.concrete_fields if not f.editable}
        assert not read & derived, model


def test_one_survey_gives_the_gaps_the_tally_and_the_unknown_answers():
    demo = Demographics(sex="unknown", le_diagnosis_date=dt.date(2015, 1, 1))
    rows = CaseRows(case=Case(group="control", consent="yes"), rows={Demographics: [demo]})
    found = completeness.survey(rows)
    assert found.gaps == completeness.gaps(rows)
    assert found.counts == completeness.tally(rows)
    assert found.unknown == [(Demographics, "sex")]  # given as 'unknown': answered, reported
    assert not [g for g in found.gaps if g.row is demo and g.field == "sex"]
