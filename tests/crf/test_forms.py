"""Section forms (crf.forms.SectionForm): a page form turns what a person typed into typed
values, then `save()` hands them to `crf.services.section_save`. The service's judgement comes
back on the form: errors on the fields they name (with the rule's message and code), warnings
as choices to acknowledge, the reason for change, the version the page was read at; and
`preview()` shows the same judgement without writing."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import Http404

from crf import access, services
from crf.forms import SectionForm, section_form
from crf.models import (
    CRF_MODELS,
    Case,
    CentralReview,
    Demographics,
    HaematologicalDisease,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
)
from crf.models.base import link_to_case
from crf.services import EditConflict, SectionInvalid, WarningsToAcknowledge
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
)

HD = HaematologicalDisease
FORM_FIELDS = {"based_on", "reason_for_change", "acknowledged", "acknowledgement_comment"}


def fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def post(model: type[Model], case: Case, instance: Model | None = None, **changes) -> dict:
    """What a browser posts: the row's current values (a new row's defaults), the version the
    page was read at, then what the user changed."""
    fields = [name for name in section_form(model).base_fields if name not in FORM_FIELDS]
    values = model_to_dict(instance if instance is not None else model(), fields=fields)
    values["based_on"] = fresh(case).version
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def bound(model: type[Model], user, case: Case, data: dict, **kwargs) -> SectionForm:
    form_class = kwargs.pop("form_class", None) or section_form(model)
    return form_class(data, actor=access.actor_for(user), case=fresh(case), **kwargs)


def latest_event(row: Model):
    return type(row).pgh_event_model.objects.filter(pgh_obj_id=row.pk).latest("pgh_id")


@pytest.fixture
def haem(case_a):
    return HaematologicalDiseaseFactory(case=case_a, hb=9.5, anc=1.215, platelets=130)


# ---- parsing, then the service ----


def test_the_form_parses_typed_text_then_saves_through_the_service(investigator_a, case_a):
    version = fresh(case_a).version
    typed = {"disease": "mds", "diagnosis_date": "2018-06-01", "hb": "8.2", "anc": "0.72",
             "platelets": "239", "bm_blasts": "0", "cytogenetics_done": "yes",
             "karyotype": "normal"}  # fmt: skip
    form = bound(HD, investigator_a, case_a, post(HD, case_a, **typed))
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["hb"], form.cleaned_data["diagnosis_date"]) == (
        8.2,
        date(2018, 6, 1),
    )

    saved = form.save()

    saved.refresh_from_db()
    assert (saved.case, saved.hb, saved.diagnosis_date) == (case_a, 8.2, date(2018, 6, 1))
    assert (saved.ipssr_score, saved.ipssr_category) == (2.5, "low")  # derived by the service
    assert fresh(case_a).version == version + 1
    assert latest_event(saved).pgh_context["source"] == "web"


def test_text_that_does_not_parse_is_a_form_error_and_nothing_is_saved(investigator_a, case_a):
    form = bound(HD, investigator_a, case_a, post(HD, case_a, disease="mds", hb="ten"))
    assert not form.is_valid()
    assert form.errors["hb"] == ["Enter a number."]
    assert not HD.objects.exists()


def test_a_rule_error_lands_on_its_field_with_the_rules_message(haem, investigator_a, case_a):
    version = fresh(case_a).version
    form = bound(HD, investigator_a, case_a, post(HD, case_a, haem, hb="108"), instance=haem)
    assert form.is_valid(), form.errors  # 108 is a number: the rules are the service's

    with pytest.raises(SectionInvalid):
        form.save()

    assert form.errors["hb"] == [
        "Haemoglobin 108 g/dL is above 25: it looks like g/L — enter 10.8 (g/dL)."
    ]
    assert form.has_error("hb", "unit.hb_g_l")
    assert (HD.objects.get(pk=haem.pk).hb, fresh(case_a).version) == (9.5, version)


def test_an_error_on_a_field_not_on_the_form_is_a_non_field_error(investigator_a, case_a):
    HaematologicalDiseaseFactory(
        case=case_a, disease="cmml", monocytes=1.95, monocytes_pct=6, wbc=8.2
    )
    narrow = forms.modelform_factory(HD, form=SectionForm, fields=["hb"])
    form = bound(HD, investigator_a, case_a, {"hb": "10.8", "based_on": fresh(case_a).version},
                 form_class=narrow)  # fmt: skip
    assert form.is_valid(), form.errors

    with pytest.raises(SectionInvalid):
        form.save()

    [message] = form.errors[NON_FIELD_ERRORS]
    assert message.startswith("Monocytes 6% of WBC is below 10%: CMML needs monocytosis")
    assert HD.objects.get(case=case_a).hb == 9.5


def test_a_finding_on_the_whole_section_is_a_non_field_error(investigator_a, centre_a):
    control = CaseFactory(centre=centre_a, group="control")
    form = bound(HD, investigator_a, control, post(HD, control, disease="mds", hb="10.8"))
    assert form.is_valid(), form.errors

    with pytest.raises(SectionInvalid):
        form.save()

    assert "not recorded for a control (idiopathic SLE)" in form.errors[NON_FIELD_ERRORS][0]
    assert not HD.objects.filter(case=control).exists()


def test_a_constraint_refusal_lands_on_its_field(investigator_a, case_a):
    demo = DemographicsFactory(case=case_a)
    # Alive, with a death date: only the model's constraint objects.
    data = post(Demographics, case_a, demo, death_date="2023-06-01")
    form = bound(Demographics, investigator_a, case_a, data, instance=demo)
    assert form.is_valid(), form.errors

    with pytest.raises(SectionInvalid):
        form.save()

    assert form.errors["vital_status"] == ["Death date and cause are only for a patient who died."]
    assert Demographics.objects.get(pk=demo.pk).death_date is None


def test_a_duplicate_of_a_row_unique_in_its_case_is_a_non_field_error(investigator_a, case_a):
    SerologyPanelFactory(case=case_a, at_le_diagnosis=True)
    data = post(SerologyPanel, case_a, at_le_diagnosis="on", ana="positive", ana_titre="320")
    form = bound(SerologyPanel, investigator_a, case_a, data)
    assert form.is_valid(), form.errors

    with pytest.raises(SectionInvalid):
        form.save()

    assert form.errors[NON_FIELD_ERRORS] == ["A case has one serology panel at LE diagnosis."]
    assert SerologyPanel.objects.filter(case=case_a).count() == 1

    data = {**post(SerologyPanel, case_a, ana="positive", ana_titre="320")}
    later = bound(SerologyPanel, investigator_a, case_a, data)
    assert later.is_valid(), later.errors
    assert later.save().case == case_a
    assert SerologyPanel.objects.filter(case=case_a).count() == 2


def test_a_one_per_case_section_form_edits_the_cases_row(investigator_a, case_a):
    demo = DemographicsFactory(case=case_a, sex="male")
    form = bound(Demographics, investigator_a, case_a, post(Demographics, case_a, sex="female"))
    assert form.is_valid(), form.errors
    assert form.save().pk == demo.pk
    assert list(Demographics.objects.filter(case=case_a).values_list("sex", flat=True)) == [
        "female"
    ]


def test_a_nested_row_is_saved_under_its_parent(investigator_a, case_a):
    test = NgsTest.objects.create(case=case_a, tissue="bone_marrow", result="variants")
    data = post(NgsVariant, case_a, gene="DNMT3A", hgvs_c="c.2645G>A", hgvs_p="p.Arg882His",
                vaf="37")  # fmt: skip
    form = bound(NgsVariant, investigator_a, case_a, data, parent_id=test.pk)
    assert form.is_valid(), form.errors
    assert form.save().test == test


# ---- warnings to acknowledge ----


def test_warnings_come_back_as_choices_to_acknowledge(haem, investigator_a, case_a):
    form = bound(HD, investigator_a, case_a, post(HD, case_a, haem, hb="3.5"), instance=haem)
    assert form.is_valid(), form.errors

    with pytest.raises(WarningsToAcknowledge):
        form.save()

    [warning] = form.warnings
    assert (warning.field, warning.rule) == ("hb", "range.usual")
    assert "Haemoglobin 3.5 g/dL is outside the usual range 4–20 g/dL" in warning.message
    assert form.fields["acknowledged"].choices == [("range.usual", warning.message)]
    assert 'value="range.usual"' in str(form["acknowledged"])  # the page offers the box
    assert "hb" not in form.errors  # a warning is not an error
    assert HD.objects.get(pk=haem.pk).hb == 9.5


def test_a_skin_test_without_its_biopsy_is_a_warning(investigator_a, case_a):
    data = post(NgsTest, case_a, tissue="skin", panel_name="Myeloid 40", result="no_variant")
    form = bound(NgsTest, investigator_a, case_a, data)
    assert form.is_valid(), form.errors
    with pytest.raises(WarningsToAcknowledge):
        form.save()
    assert [w.rule for w in form.warnings] == ["ngs.skin_biopsy"]
    assert not NgsTest.objects.exists()


def test_saving_again_with_the_warnings_acknowledged_saves_and_audits_the_comment(
    haem, investigator_a, case_a
):
    data = post(HD, case_a, haem, hb="3.5")
    first = bound(HD, investigator_a, case_a, data, instance=haem)
    assert first.is_valid()
    with pytest.raises(WarningsToAcknowledge):
        first.save()

    comment = "checked in the laboratory report"
    acknowledged = {**data, "acknowledged": ["range.usual"], "acknowledgement_comment": comment}
    second = bound(HD, investigator_a, case_a, acknowledged, instance=haem)
    assert second.is_valid(), second.errors
    second.save()

    assert HD.objects.get(pk=haem.pk).hb == 3.5
    assert latest_event(haem).pgh_context["acknowledged_warnings"] == {"range.usual": comment}


# ---- reason for change, version, who may write ----


def test_a_reason_is_required_after_submission(haem, investigator_a, case_a):
    draft = section_form(HD)(actor=access.actor_for(investigator_a), case=fresh(case_a))
    assert not draft.fields["reason_for_change"].required
    Case.objects.filter(pk=case_a.pk).update(status="submitted")
    data = post(HD, case_a, haem, hb="10.8")

    form = bound(HD, investigator_a, case_a, data, instance=haem)
    assert not form.is_valid()
    assert form.errors["reason_for_change"] == ["This field is required."]
    blank = bound(HD, investigator_a, case_a, {**data, "reason_for_change": "  "}, instance=haem)
    assert not blank.is_valid()  # blank after stripping is no reason
    assert HD.objects.get(pk=haem.pk).hb == 9.5

    reason = "Corrected from the laboratory report"
    form = bound(HD, investigator_a, case_a, {**data, "reason_for_change": reason}, instance=haem)
    assert form.is_valid(), form.errors
    form.save()
    assert HD.objects.get(pk=haem.pk).hb == 10.8
    context = latest_event(haem).pgh_context
    assert (context["reason"], context["source"]) == (reason, "web")
    assert "acknowledged_warnings" not in context


def test_based_on_carries_the_version_and_a_stale_one_is_a_conflict(haem, investigator_a, case_a):
    user = access.actor_for(investigator_a)
    page = section_form(HD)(actor=user, case=fresh(case_a), instance=haem)
    read_at = case_a.version
    assert page["based_on"].value() == read_at
    assert f'type="hidden" name="based_on" value="{read_at}"' in str(page["based_on"])

    # Someone else saves the case after the page was read.
    services.section_save(actor=user, case=case_a, model=HD, data={"anc": 1.3}, based_on=read_at)
    stale = bound(HD, investigator_a, case_a, {**post(HD, case_a, haem, hb="10.8"),
                                               "based_on": read_at}, instance=haem)  # fmt: skip
    assert stale.is_valid(), stale.errors

    with pytest.raises(EditConflict):
        stale.save()

    assert HD.objects.get(pk=haem.pk).hb == 9.5
    assert fresh(case_a).version == read_at + 1


def test_a_locked_case_cannot_be_saved_or_previewed(haem, investigator_a, case_a):
    Case.objects.filter(pk=case_a.pk).update(status="locked")
    data = {**post(HD, case_a, haem, hb="10.8"), "reason_for_change": "late fix"}
    form = bound(HD, investigator_a, case_a, data, instance=haem)
    assert form.is_valid(), form.errors
    with pytest.raises(PermissionDenied):
        form.save()
    with pytest.raises(PermissionDenied):
        form.preview()
    assert HD.objects.get(pk=haem.pk).hb == 9.5


def test_another_centres_case_is_not_found(haem, investigator_b, case_a):
    form = bound(HD, investigator_b, case_a, post(HD, case_a, haem, hb="10.8"), instance=haem)
    assert form.is_valid(), form.errors
    with pytest.raises(Http404):
        form.save()
    assert HD.objects.get(pk=haem.pk).hb == 9.5


# ---- what the form offers ----


def test_the_form_never_offers_the_link_to_its_case_or_parent_nor_derived_fields():
    for model in CRF_MODELS:
        offered = set(section_form(model).base_fields) - FORM_FIELDS
        derived = {f.name for f in model._meta.concrete_fields if not f.editable}
        assert offered.isdisjoint(derived | {link_to_case(model), "id"}), model
    assert set(section_form(Case).base_fields) - FORM_FIELDS == {"consent", "consent_date"}
    haem_fields = set(section_form(HD).base_fields)
    assert {"hb", "hb_missing", "cytogenetic_risk_override", "disease"} <= haem_fields
    assert haem_fields.isdisjoint(
        {"case", "cytogenetic_risk", "ipssr_score", "ipssr_category", "who2022_computed",
         "who2016_computed", "cmml_subtype_computed", "classification_disagrees",
         "rule_version", "updated_at"}
    )  # fmt: skip
    assert FORM_FIELDS <= haem_fields
    assert "test" not in section_form(NgsVariant).base_fields
    assert {"treatment", "derived", "disagrees"}.isdisjoint(section_form(LupusResponse).base_fields)
    assert {"biopsy", "reviewed_by", "reclassified"}.isdisjoint(
        section_form(CentralReview).base_fields
    )
    assert {"concordance", "shared_genes"}.isdisjoint(section_form(NgsTest).base_fields)
    assert section_form(NgsTest) is section_form(NgsTest)


def test_a_links_choices_are_the_cases_own_rows(investigator_a, case_a, case_b):
    own, _foreign = SkinBiopsyFactory(case=case_a), SkinBiopsyFactory(case=case_b)
    form = section_form(NgsTest)(actor=access.actor_for(investigator_a), case=fresh(case_a))
    assert list(form.fields["skin_biopsy"].queryset) == [own]


def test_a_link_to_another_cases_row_is_neither_offered_nor_accepted(
    investigator_a, case_a, case_b
):
    own, foreign = SkinBiopsyFactory(case=case_a), SkinBiopsyFactory(case=case_b)
    blank = bound(NgsTest, investigator_a, case_a, None)
    assert list(blank.fields["skin_biopsy"].queryset) == [own]
    data = post(NgsTest, case_a, tissue="skin", skin_biopsy=str(foreign.pk), result="variants")
    form = bound(NgsTest, investigator_a, case_a, data)
    assert not form.is_valid()
    assert form.has_error("skin_biopsy", "invalid_choice")
    assert not NgsTest.objects.exists()


# ---- preview: the same judgement, nothing written ----


def test_preview_shows_errors_and_warnings_without_writing(haem, investigator_a, case_a):
    version = fresh(case_a).version
    data = post(HD, case_a, haem, hb="108", platelets="2500")
    form = bound(HD, investigator_a, case_a, data, instance=haem)
    assert form.is_valid(), form.errors

    plan = form.preview()

    assert [(f.field, f.rule) for f in plan.errors] == [("hb", "unit.hb_g_l")]
    assert form.errors["hb"] == [plan.errors[0].message]
    assert [(w.field, w.rule) for w in form.warnings] == [("platelets", "range.usual")]
    haem.refresh_from_db()
    assert (haem.hb, haem.platelets, fresh(case_a).version) == (9.5, 130, version)
    assert HD.pgh_event_model.objects.filter(pgh_obj_id=haem.pk).count() == 1  # the insert


def test_preview_computes_the_derived_values_without_storing_them(haem, investigator_a, case_a):
    # Hb 8.2, ANC 0.72, PLT 239, blasts 0, normal karyotype → IPSS-R 2.5 (low).
    data = post(HD, case_a, haem, hb="8.2", anc="0.72", platelets="239", bm_blasts="0",
                cytogenetics_done="yes", karyotype="normal")  # fmt: skip
    form = bound(HD, investigator_a, case_a, data, instance=haem)
    assert form.is_valid(), form.errors

    plan = form.preview()

    assert plan.errors == [] and form.warnings == []
    assert (plan.row.ipssr_score, plan.row.ipssr_category) == (2.5, "low")
    haem.refresh_from_db()
    assert (haem.hb, haem.ipssr_score) == (9.5, None)


def test_preview_of_a_variant_shows_format_errors_and_the_vaf_warning(investigator_a, case_a):
    test = NgsTest.objects.create(case=case_a, tissue="bone_marrow", result="variants")
    data = post(NgsVariant, case_a, gene="DNMT3A", hgvs_c="2645G>A", hgvs_p="p.Arg882His",
                vaf="0.37")  # fmt: skip
    form = bound(NgsVariant, investigator_a, case_a, data, parent_id=test.pk)
    assert form.is_valid(), form.errors

    form.preview()

    assert form.errors["hgvs_c"][0].startswith("HGVS c. '2645G>A' is not HGVS c. notation")
    assert [w.rule for w in form.warnings] == ["unit.vaf_fraction"]
    assert not NgsVariant.objects.exists()
