"""CRF section forms (crf.forms): shared validation, acknowledged warnings, reason for change,
and Django's own constraint validation still reaching the user."""

from __future__ import annotations

from datetime import date

import pghistory.models
import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.models import model_to_dict

from crf.forms import CrfModelForm, section_form_for
from crf.models import (
    Case,
    CentralReview,
    Demographics,
    HaematologicalDisease,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
)
from crf.validation import validate
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
)


def post_data(form_class: type[CrfModelForm], instance=None, **changes) -> dict:
    """What a browser would post for this form: the row's current values, then the changes."""
    values = model_to_dict(instance, fields=list(form_class.base_fields)) if instance else {}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


HaemForm = section_form_for(HaematologicalDisease)


def last_context(row) -> dict:
    """The audit context metadata of the row's latest change."""
    event = type(row).pgh_event_model.objects.filter(pgh_obj=row).latest("pgh_id")
    return pghistory.models.Context.objects.get(pk=event.pgh_context_id).metadata


def constraint_message(model, name: str) -> str:
    [constraint] = [c for c in model._meta.constraints if c.name == name]
    return str(constraint.violation_error_message)


@pytest.fixture
def haem(case_a):
    return HaematologicalDiseaseFactory(case=case_a, hb=9.5, anc=1.215, platelets=130)


def test_unit_slip_makes_the_form_invalid_and_saves_nothing(haem, investigator_a):
    form = HaemForm(post_data(HaemForm, haem, hb=108), instance=haem)
    assert not form.is_valid()
    assert form.errors["hb"] == [
        "Haemoglobin 108 g/dL is above 25: it looks like g/L — enter 10.8 (g/dL)."
    ]
    with pytest.raises(ValueError):  # Django refuses to save an invalid form
        form.save_as(investigator_a)
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 9.5


def test_a_clean_form_saves_the_corrected_value(haem, investigator_a):
    form = HaemForm(post_data(HaemForm, haem, hb=10.8), instance=haem)
    assert form.is_valid(), form.errors
    assert form.warnings == []
    form.save_as(investigator_a)
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 10.8


def test_warnings_block_the_first_submit_until_acknowledged(haem, investigator_a):
    data = post_data(HaemForm, haem, hb=3.5)
    first = HaemForm(data, instance=haem)
    assert not first.is_valid()
    assert [w.rule for w in first.warnings] == ["range.usual"]
    assert "Haemoglobin 3.5 g/dL is outside the usual range 4–20 g/dL" in first.warnings[0].message
    assert "hb" not in first.errors  # a warning is not a field error
    assert "tick this box and save again" in first.errors["acknowledge_warnings"][0]
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 9.5

    second = HaemForm({**data, "acknowledge_warnings": "on"}, instance=haem)
    assert second.is_valid(), second.errors
    assert [w.rule for w in second.warnings] == ["range.usual"]
    second.save_as(investigator_a)
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 3.5
    assert last_context(haem)["acknowledged_warnings"] == ["range.usual"]


def test_reason_for_change_is_required_once_submitted(haem, investigator_a):
    haem.case.status = "submitted"
    haem.case.save()
    haem = HaematologicalDisease.objects.get(pk=haem.pk)  # its case read back from the database
    data = post_data(HaemForm, haem, hb=10.8)
    form = HaemForm(data, instance=haem)
    assert not form.is_valid()
    [message] = form.errors["reason_for_change"]
    assert f"case {haem.case.code} is submitted" in message
    assert "every edit is audited with its reason" in message
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 9.5

    form = HaemForm({**data, "reason_for_change": "  "}, instance=haem)
    assert "reason_for_change" in form.errors  # blank after stripping is no reason

    reason = "Corrected from the laboratory report"
    form = HaemForm({**data, "reason_for_change": reason}, instance=haem)
    assert form.is_valid(), form.errors
    form.save_as(investigator_a)
    assert HaematologicalDisease.objects.get(pk=haem.pk).hb == 10.8
    metadata = last_context(haem)
    assert (metadata["reason"], metadata["source"]) == (reason, "web")
    assert "acknowledged_warnings" not in metadata


def test_draft_case_needs_no_reason(haem):
    assert haem.case.status == "draft"
    form = HaemForm(post_data(HaemForm, haem, hb=10.8), instance=haem)
    assert form.is_valid(), form.errors
    assert not form.fields["reason_for_change"].required


def test_locked_case_cannot_be_edited(haem):
    haem.case.status = "locked"
    haem.case.save()
    form = HaemForm(post_data(HaemForm, haem, hb=10.8, reason_for_change="late fix"),
                    instance=haem)  # fmt: skip
    assert not form.is_valid()
    assert "is locked: it can no longer be edited" in form.errors[NON_FIELD_ERRORS][0]


def test_error_on_a_field_not_on_the_form_is_a_non_field_error(case_a):
    haem = HaematologicalDiseaseFactory(
        case=case_a, disease="cmml", monocytes=1.95, monocytes_pct=6, wbc=8.2
    )
    narrow = forms.modelform_factory(HaematologicalDisease, form=CrfModelForm, fields=["hb"])
    form = narrow({"hb": "10.8"}, instance=haem)
    assert not form.is_valid()
    [message] = form.errors[NON_FIELD_ERRORS]
    assert message.startswith("Monocytes 6% of WBC is below 10%: CMML needs monocytosis")


def test_django_check_constraint_messages_still_reach_the_form(case_a):
    DemoForm = section_form_for(Demographics)
    demo = DemographicsFactory(case=case_a)
    # Alive, with a death date after the last follow-up: only the database constraint objects.
    form = DemoForm(post_data(DemoForm, demo, death_date=date(2023, 6, 1)), instance=demo)
    assert not form.is_valid()
    assert form.errors[NON_FIELD_ERRORS] == [
        constraint_message(Demographics, "demographics_death_only_if_dead")
    ]
    assert "died" in form.errors[NON_FIELD_ERRORS][0]
    assert Demographics.objects.get(pk=demo.pk).death_date is None


def test_constraints_on_the_case_link_are_checked_for_a_new_row(case_a, investigator_a):
    SerologyPanelFactory(case=case_a, at_le_diagnosis=True)
    SeroForm = section_form_for(SerologyPanel)
    data = {"at_le_diagnosis": "on", "ana": "positive", "ana_titre": "320"}
    form = SeroForm(data, case=case_a)
    assert not form.is_valid()
    assert form.errors[NON_FIELD_ERRORS] == [
        constraint_message(SerologyPanel, "serology_one_at_le_diagnosis")
    ]
    assert "one serology panel at LE diagnosis" in form.errors[NON_FIELD_ERRORS][0]
    assert SerologyPanel.objects.filter(case=case_a).count() == 1

    form = SeroForm({**data, "at_le_diagnosis": ""}, case=case_a)
    assert form.is_valid(), form.errors
    assert form.save_as(investigator_a).case == case_a


def test_a_second_one_per_case_section_is_a_non_field_error(case_a):
    DemographicsFactory(case=case_a)
    form = section_form_for(Demographics)({"sex": "female"}, case=case_a)
    assert not form.is_valid()
    assert form.errors[NON_FIELD_ERRORS] == ["Demographics with this Case already exists."]


def test_section_form_excludes_the_case_link_and_derived_fields():
    haem_fields = set(section_form_for(HaematologicalDisease).base_fields)
    assert {"hb", "hb_missing", "cytogenetic_risk_override", "disease"} <= haem_fields
    assert haem_fields.isdisjoint(
        {"case", "cytogenetic_risk", "ipssr_score", "ipssr_category", "who2022_computed",
         "who2016_computed", "cmml_subtype_computed", "classification_disagrees",
         "rule_version", "updated_at"}
    )  # fmt: skip
    assert {"reason_for_change", "acknowledge_warnings"} <= haem_fields
    assert "test" not in section_form_for(NgsVariant).base_fields
    assert "treatment" not in section_form_for(LupusResponse).base_fields
    assert "derived" not in section_form_for(LupusResponse).base_fields
    assert {"biopsy", "reviewed_by"}.isdisjoint(section_form_for(CentralReview).base_fields)
    assert "concordance" not in section_form_for(NgsTest).base_fields
    assert section_form_for(NgsTest) is section_form_for(NgsTest)


def test_related_choices_come_from_the_case_only(case_a, case_b):
    own, foreign = SkinBiopsyFactory(case=case_a), SkinBiopsyFactory(case=case_b)
    form = section_form_for(NgsTest)(case=case_a)
    assert list(form.fields["skin_biopsy"].queryset) == [own]
    bad = section_form_for(NgsTest)({"tissue": "skin", "skin_biopsy": foreign.pk}, case=case_a)
    assert not bad.is_valid()
    assert "skin_biopsy" in bad.errors and NgsTest.objects.count() == 0


def test_skin_test_without_biopsy_is_a_warning_to_acknowledge(case_a, investigator_a):
    NgsForm = section_form_for(NgsTest)
    form = NgsForm({"tissue": "skin", "panel_name": "Myeloid 40"}, case=case_a)
    assert not form.is_valid()
    assert [w.rule for w in form.warnings] == ["ngs.skin_biopsy"]
    form = NgsForm({"tissue": "skin", "acknowledge_warnings": "on"}, case=case_a)
    assert form.is_valid(), form.errors
    assert form.save_as(investigator_a).case == case_a


def test_control_case_form_rejects_haematological_section(db):
    control = CaseFactory(group="control")
    form = HaemForm({"disease": "mds", "hb": "10.8"}, case=control)
    assert not form.is_valid()
    assert "not recorded for a control (idiopathic SLE)" in form.errors[NON_FIELD_ERRORS][0]
    assert not HaematologicalDisease.objects.filter(case=control).exists()


def test_variant_form_reports_format_errors_on_their_fields(case_a, investigator_a):
    test = NgsTest.objects.create(case=case_a, tissue="bone_marrow")
    VariantForm = section_form_for(NgsVariant)
    form = VariantForm(
        {"gene": "DNMT3A", "hgvs_c": "2645G>A", "hgvs_p": "p.Arg882His", "vaf": "0.37"},
        instance=NgsVariant(test=test),
    )
    assert not form.is_valid()
    assert form.errors["hgvs_c"][0].startswith("HGVS c. '2645G>A' is not HGVS c. notation")
    assert [w.rule for w in form.warnings] == ["unit.vaf_fraction"]
    form = VariantForm(
        {"gene": "DNMT3A", "hgvs_c": "c.2645G>A", "hgvs_p": "p.Arg882His", "vaf": "37"},
        instance=NgsVariant(test=test),
    )
    assert form.is_valid(), form.errors
    assert form.save_as(investigator_a).test == test


def test_rules_cost_at_most_two_queries(haem, django_assert_max_num_queries):
    # The case's identity (birth date) and demographics (death date), nothing per field.
    # Django's own constraint checks add one query per CheckConstraint on top (see report).
    case = Case.objects.get(pk=haem.case_id)
    data = model_to_dict(haem, fields=list(HaemForm.base_fields))
    with django_assert_max_num_queries(2):
        assert validate(HaematologicalDisease, data, case=case, instance=haem) == []
