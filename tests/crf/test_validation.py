"""Validation (crf.validation): `validate(row, rows)` judges one row inside its whole case in
memory. Each rule fires on bad input, naming the field and the fix, and stays silent on
realistic good input (values from the study: Hb 10.8, ANC 1.215, monocytes 1.95, VAF 37);
the models' constraints are evaluated in memory with SQL's three-valued logic; every rule
code is declared, and every declared code is brought out by a test here (or listed, with the
reason no input can bring it out).

Most tests build the case from unsaved rows (`CaseRows`, no database); a few load a saved
case with `crf.snapshot.load_one`, as the services do."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import models
from django.db.models import F, Model, Q
from django.utils import timezone

from crf import snapshot
from crf.models import (
    CRF_MODELS,
    AdverseEvent,
    Case,
    CentralReview,
    CutaneousLesion,
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
    Treatment,
)
from crf.models.base import case_of, link_to_case
from crf.rows import CaseRows
from crf.validation import ERROR, WARNING, Finding, rule_codes, validate
from crf.validation.constraints import holds
from crf.validation.rules.ngs import HGVS_C, HGVS_P
from tests.factories import (
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
)

HD, HR = HaematologicalDisease, HaematologicalResponse
TODAY = date(2024, 6, 1)  # "in the future" must not depend on the day the tests run
BIRTH = date(1955, 3, 14)

# ---- building a case in memory ----

# The row a nested row hangs off when a test does not give one.
PARENTS: dict[type[Model], Callable[[Case], Model]] = {
    NgsTest: lambda case: NgsTest(case=case, tissue="bone_marrow", result="variants"),
    Treatment: lambda case: Treatment(
        case=case, agent="azacitidine", regimen="azacitidine", started_on=date(2018, 6, 1)
    ),
    SkinBiopsy: lambda case: SkinBiopsy(case=case, taken_on=date(2019, 2, 1)),
}


def new_row(model: type[Model], data: dict, *, case: Case | None = None) -> Model:
    """An unsaved `model` row holding `data`, in `case` (a new case by default), hanging off
    a new parent row when the model hangs off one (a variant off its NGS test…)."""
    case = case if case is not None else Case(group="case")
    if model is Case:
        return Case(**{"group": "case", **data})
    link = link_to_case(model)
    if link not in data:
        parent_model = model._meta.get_field(link).related_model
        data = {link: case if parent_model is Case else PARENTS[parent_model](case), **data}
    return model(**data)


def rows_of(row: Model, *others: Model) -> CaseRows:
    """The case of `row` in memory, as the services build it before judging: its other rows,
    then the row itself, each with the row it hangs off."""
    rows = CaseRows(case=case_of(row))
    for item in (*others, row):
        link = link_to_case(type(item))
        if link and link != "case":
            rows.put(getattr(item, link))
        rows.put(item)
    return rows


def check(row: Model, *others: Model, today: date = TODAY) -> list[Finding]:
    return validate(row, rows_of(row, *others), today=today)


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, findings
    return matching[0]


def identity(case: Case) -> Identity:
    return Identity(case=case, local_identifier="IPP1", initials="JD", date_of_birth=BIRTH)


# A CMML case as the study reports it (Table 1 medians, in the registry's units).
GOOD_CMML = {
    "disease": "cmml",
    "diagnosis_date": date(2018, 6, 1),
    "hb": 10.8,
    "anc": 1.215,
    "platelets": 130.0,
    "wbc": 8.2,
    "monocytes": 1.95,
    "monocytes_pct": 23.8,
    "lymphocytes": 1.4,
    "pb_blasts": 1.0,
    "bm_blasts": 3.0,
    "mcv": 98.0,
    "who2022_recorded": "cmml_1",
}


# ---- one row alone in its case: each rule fires, naming the field and the fix ----

# (id, model, data, field, rule, severity, words the message must contain: the field's
# label, the problem and the fix).
BAD = [
    # units and plausibility
    ("hb_in_g_l", HD, {"hb": 108}, "hb", "unit.hb_g_l", ERROR,
     ["Haemoglobin 108 g/dL is above 25", "g/L", "enter 10.8 (g/dL)"]),
    ("anc_per_mm3", HD, {"anc": 1215}, "anc", "unit.per_mm3", ERROR,
     ["Neutrophils (ANC) 1215 ×10⁹/L", "/mm³", "enter 1.215 (×10⁹/L)"]),
    ("monocytes_per_mm3", HD, {"monocytes": 1950}, "monocytes", "unit.per_mm3", ERROR,
     ["Monocytes 1950", "/mm³", "enter 1.95"]),
    ("platelets_per_mm3", HD, {"platelets": 130000}, "platelets", "unit.per_mm3", ERROR,
     ["Platelets 130000", "/mm³", "enter 130 (×10⁹/L)"]),
    ("wbc_per_mm3", HD, {"wbc": 8200}, "wbc", "unit.per_mm3", ERROR,
     ["White blood cells 8200", "enter 8.2"]),
    ("response_hb_in_g_l", HR, {"response_hb": 112}, "response_hb", "unit.hb_g_l", ERROR,
     ["Hb at assessment 112 g/dL", "g/L", "enter 11.2"]),
    ("c3_in_mg", SerologyPanel, {"c3": 120}, "c3", "unit.complement_mg", ERROR,
     ["C3 120 g/L is above 10", "mg/dL or mg/L", "enter 1.2 (if mg/dL) or 0.12 (if mg/L)"]),
    ("c4_in_mg", SerologyPanel, {"c4": 25}, "c4", "unit.complement_mg", ERROR,
     ["C4 25 g/L", "mg/dL or mg/L", "0.25 (if mg/dL)"]),
    ("c3_limit_in_mg", SerologyPanel, {"c3_lower_limit": 90}, "c3_lower_limit",
     "unit.complement_mg", ERROR, ["C3 lower limit of normal", "enter 0.9 (if mg/dL)"]),
    ("vaf_fraction", NgsVariant, {"gene": "TET2", "vaf": 0.37}, "vaf", "unit.vaf_fraction",
     WARNING, ["VAF 0.37%", "fraction", "enter 37 (%)", "confirm"]),
    ("hb_below_usual", HD, {"hb": 3.5}, "hb", "range.usual", WARNING,
     ["Haemoglobin 3.5 g/dL", "usual range 4–20", "check the value", "confirm"]),
    ("anc_above_usual", HD, {"anc": 60}, "anc", "range.usual", WARNING,
     ["Neutrophils (ANC) 60 ×10⁹/L", "0–15", "if that was /mm³, enter 0.06"]),
    ("platelets_above_usual", HD, {"platelets": 2500}, "platelets", "range.usual", WARNING,
     ["Platelets 2500", "0–2000 ×10⁹/L", "if that was /mm³, enter 2.5"]),
    ("bm_blasts_above_usual", HR, {"response_bm_blasts": 45}, "response_bm_blasts",
     "range.usual", WARNING, ["Marrow blasts at assessment 45%", "usual range 0–30%"]),
    ("value_and_reason", HD, {"hb": 10.8, "hb_missing": "unknown"}, "hb_missing",
     "measurement.value_and_reason", ERROR,
     ["Haemoglobin", "10.8 g/dL", "'Unknown'", "clear the reason", "clear the value"]),
    ("vaf_above_100", NgsVariant, {"gene": "TET2", "vaf": 137}, "vaf", "value.bounds", ERROR,
     ["VAF 137%", "outside 0–100", "enter a value in that range"]),
    ("negative_ki67", CentralReview, {"diagnosis": "cle", "ki67": -3}, "ki67", "value.bounds",
     ERROR, ["Ki67 -3%", "outside 0–100"]),
    # dates (partial dates: shown as entered, compared by their whole range)
    ("future_start", Treatment, {"agent": "hydroxychloroquine", "started_on": date(2100, 1, 1)},
     "started_on", "date.future", ERROR, ["Start date 2100-01-01 is in the future", "enter"]),
    ("future_month", Treatment,
     {"agent": "hydroxychloroquine", "started_on": date(2024, 7, 15),
      "started_on_precision": "month"},
     "started_on", "date.future", ERROR, ["Start date 2024-07 is in the future"]),
    ("year_slip", Treatment, {"agent": "hydroxychloroquine", "started_on": date(19, 3, 1)},
     "started_on", "date.too_early", ERROR, ["Start date 0019-03-01 is before 1900",
                                             "check the year"]),
    ("birth_year_1", Identity, {"date_of_birth": date(1, 1, 1)}, "date_of_birth",
     "date.too_early", ERROR, ["before 1900"]),
    ("end_before_start", Treatment,
     {"agent": "rituximab", "started_on": date(2019, 1, 10), "ended_on": date(2018, 12, 1)},
     "ended_on", "date.end_before_start", ERROR,
     ["End date 2018-12-01 is before the start date 2019-01-10", "check both dates"]),
    ("end_before_start_partial", Treatment,
     {"agent": "rituximab", "started_on": date(2019, 7, 1), "started_on_precision": "year",
      "ended_on": date(2018, 12, 15), "ended_on_precision": "month"},
     "ended_on", "date.end_before_start", ERROR,
     ["End date 2018-12 is before the start date 2019"]),
    ("death_before_le", Demographics,
     {"le_diagnosis_date": date(2018, 5, 2), "vital_status": "dead",
      "death_date": date(2017, 1, 1)}, "death_date", "date.death_before_diagnosis", ERROR,
     ["Date of death 2017-01-01 is before the date of LE diagnosis", "check both dates"]),
    ("followup_before_le", Demographics,
     {"le_diagnosis_date": date(2019, 1, 10), "last_followup_date": date(2018, 12, 1)},
     "last_followup_date", "date.followup_before_diagnosis", ERROR,
     ["Date of last follow-up 2018-12-01 is before the date of LE diagnosis 2019-01-10"]),
    ("followup_after_death", Demographics,
     {"vital_status": "dead", "death_date": date(2021, 1, 1),
      "last_followup_date": date(2022, 3, 1)}, "death_date", "date.followup_after_death",
     ERROR, ["Date of death 2021-01-01 is before the date of last follow-up 2022-03-01"]),
    ("response_not_after_start", LupusResponse, {"assessed_on": date(2018, 6, 1)},
     "assessed_on", "response.treatment_start", ERROR,
     ["Assessment date 2018-06-01 is not after the treatment start 2018-06-01",
      "check both dates"]),
    ("haem_response_in_month_before_start", HR,
     {"criteria": "iwg_2006", "assessed_on": date(2018, 5, 15), "assessed_on_precision": "month"},
     "assessed_on", "response.treatment_start", ERROR, ["is not after the treatment start"]),
    # section 5
    ("cmml_low_monocytes", HD, {**GOOD_CMML, "monocytes": 0.3}, "monocytes",
     "cmml.monocytosis", ERROR,
     ["Monocytes 0.3 ×10⁹/L is below 0.5", "CMML needs monocytosis", "set the disease to MDS"]),
    ("cmml_low_pct", HD, {**GOOD_CMML, "monocytes_pct": 6}, "monocytes_pct",
     "cmml.monocytosis", ERROR, ["Monocytes 6% of WBC is below 10%", "check the count"]),
    ("cmml_low_share_of_wbc", HD, {**GOOD_CMML, "monocytes_pct": None, "monocytes": 0.6,
                                   "wbc": 9.0}, "monocytes", "cmml.monocytosis", ERROR,
     ["Monocytes 0.6 ×10⁹/L is 6.7% of the white blood cells", "below 10%"]),
    ("bm_blasts_aml", HD, {"disease": "mds", "bm_blasts": 22}, "bm_blasts", "blasts.aml", ERROR,
     ["Marrow blasts 22% is 20% or more", "AML, not MDS/CMML", "check the value",
      "evolution event"]),
    ("pb_blasts_aml", HD, {"disease": "cmml", "pb_blasts": 20}, "pb_blasts", "blasts.aml",
     ERROR, ["Peripheral blasts 20%", "evolution event"]),
    # AML is no longer among the recorded classifications' choices: the field check refuses it
    # first (and the rules skip a refused field), so blasts.aml is not reached for it.
    ("recorded_aml", HD, {"disease": "mds", "who2022_recorded": "aml"}, "who2022_recorded",
     "field.invalid", ERROR, ["WHO 2022, as recorded", "is not a valid choice"]),
    ("override_without_reason", HD,
     {"cytogenetic_risk_override": "poor", "cytogenetic_risk_override_reason": "  "},
     "cytogenetic_risk_override_reason", "cytogenetics.override_reason", ERROR,
     ["Override justification is empty", "'Poor'", "explain it, or clear the override"]),
    # sections 2 and 4
    ("titre_without_positive_ana", SerologyPanel, {"ana": "negative", "ana_titre": 320},
     "ana_titre", "serology.ana_needs_positive", ERROR,
     ["ANA titre (reciprocal) 1:320", "'Negative'", "set ANA to positive, or clear the titre"]),
    ("pattern_without_positive_ana", SerologyPanel, {"ana": "", "ana_pattern": "speckled"},
     "ana_pattern", "serology.ana_needs_positive", ERROR,
     ["ANA pattern 'Speckled'", "'not entered'", "set ANA to positive"]),
    ("method_without_dsdna", SerologyPanel, {"anti_dsdna": "", "anti_dsdna_method": "elisa"},
     "anti_dsdna_method", "serology.method_needs_dsdna", ERROR,
     ["Anti-dsDNA method 'ELISA'", "enter the anti-dsDNA result, or clear the method"]),
    ("method_with_dsdna_not_done", SerologyPanel,
     {"anti_dsdna": "not_done", "anti_dsdna_method": "farr"}, "anti_dsdna_method",
     "serology.method_needs_dsdna", ERROR, ["'Farr'", "'Not done'"]),
    ("class_without_renal", LupusProfile, {"renal": "no", "nephritis_class": "IV"},
     "nephritis_class", "lupus.nephritis_needs_renal", ERROR,
     ["ISN/RPS class is 'Class IV'", "renal involvement is 'No'",
      "set renal involvement to yes, or clear this field"]),
    # section 6
    ("ngs_without_tissue", NgsTest, {"result": "variants"}, "tissue", "ngs.tissue", ERROR,
     ["Tissue: say which tissue was sequenced", "set the result to 'Not done'"]),
    ("skin_ngs_unlinked", NgsTest, {"tissue": "skin"}, "skin_biopsy", "ngs.skin_biopsy",
     WARNING, ["Skin biopsy is not linked for a skin sample", "link the biopsy that was sequenced",
               "confirm"]),
    ("hgvs_c_without_prefix", NgsVariant, {"gene": "TET2", "hgvs_c": "1234C>T"}, "hgvs_c",
     "hgvs.c_format", ERROR, ["HGVS c. '1234C>T' is not HGVS c. notation", "c.1234C>T"]),
    ("hgvs_p_without_change", NgsVariant, {"gene": "DNMT3A", "hgvs_p": "p.Arg882"}, "hgvs_p",
     "hgvs.p_format", ERROR, ["HGVS p. 'p.Arg882'", "p.Arg882His"]),
    ("gene_lower_case", NgsVariant, {"gene": "tet2"}, "gene", "gene.symbol", ERROR,
     ["Gene (HGNC symbol) 'tet2' is not an HGNC symbol", "in capitals: TET2."]),
    ("gene_not_a_symbol", NgsVariant, {"gene": "TET 2"}, "gene", "gene.symbol", ERROR,
     ["Gene (HGNC symbol) 'TET 2'", "e.g. TET2"]),
    ("gene_not_myeloid", NgsVariant, {"gene": "BRCA1"}, "gene", "gene.not_myeloid", WARNING,
     ["Gene (HGNC symbol) 'BRCA1'", "myeloid genes", "check the spelling", "confirm"]),
    ("gene_alias", NgsVariant, {"gene": "MLL"}, "gene", "gene.not_myeloid", WARNING,
     ["'MLL'", "enter KMT2A"]),
    # section 8
    ("iwg2023_marrow_cr", HR, {"criteria": "iwg_2023", "category": "marrow_cr"}, "category",
     "response.iwg2023_category", ERROR,
     ["Category 'Marrow CR' does not exist in IWG 2023", "choose an IWG 2023 category"]),
    ("iwg2023_stable", HR, {"criteria": "iwg_2023", "category": "stable_disease"}, "category",
     "response.iwg2023_category", ERROR, ["'Stable disease'"]),
    # the case
    ("consent_no", Case, {"consent": "no"}, "consent", "consent.no", WARNING,
     ["Non-opposition is recorded as 'No'", "Check the consent", "withdraw the case"]),
    # the field checks Django knows
    ("disease_not_a_code", HD, {"disease": "aml"}, "disease", "field.invalid", ERROR,
     ["Disease: Value 'aml' is not a valid choice."]),
    ("initials_too_long", Identity,
     {"local_identifier": "IPP1", "initials": "ABCDE", "date_of_birth": BIRTH}, "initials",
     "field.invalid", ERROR, ["Initials: Ensure this value has at most 4 characters"]),
    # the models' own constraints, on their field, where no rule refused it first
    ("case_withdrawn_without_reason", Case, {"status": "withdrawn"}, "status",
     "constraint.case_withdrawn_needs_reason", ERROR, ["A withdrawn case needs a reason."]),
    ("case_code_format", Case, {"code": "LE-0000000"}, "code", "constraint.case_code_format",
     ERROR, []),
    ("initials_lower_case", Identity,
     {"local_identifier": "IPP1", "initials": "jd", "date_of_birth": BIRTH}, "initials",
     "constraint.identity_initials_letters", ERROR, ["Initials are 1 to 4 capital letters."]),
    ("alive_with_death_date", Demographics,
     {"vital_status": "alive", "death_date": date(2023, 6, 1)}, "vital_status",
     "constraint.demographics_death_only_if_dead", ERROR,
     ["Death date and cause are only for a patient who died."]),
    ("lesion_not_named", CutaneousLesion, {"subtype": "le_nonspecific"}, "lesion_named",
     "constraint.cutaneouslesion_lesion_named_required", ERROR,
     ["This is required when the lesion is LE-non-specific."]),
    ("sledai_without_context", SledaiAssessment, {}, "context",
     "constraint.sledai_context_given", ERROR, ["Say when this SLEDAI-2K was assessed"]),
    ("sledai_score_above_105", SledaiAssessment, {"context": "response", "score": 106}, "score",
     "constraint.sledai_score_range", ERROR, []),
    ("disease_not_given", HD, {}, "disease", "constraint.haem_disease_given", ERROR,
     ["Say whether the disease is MDS or CMML."]),
    ("other_abnormality_not_named", HD, {"disease": "mds", "other": True}, "other_detail",
     "constraint.haematologicaldisease_other_detail_required", ERROR,
     ["This is required when another abnormality is ticked."]),
    ("uba1_result_untested", HD, {"disease": "mds", "uba1_result": "mutated"}, "uba1_result",
     "constraint.haematologicaldisease_uba1_result_only_when", ERROR,
     ["This is only recorded when UBA1 was tested; clear it."]),
    ("evolution_without_state", EvolutionEvent, {}, "new_state",
     "constraint.evolution_state_given", ERROR, ["Give the new state."]),
    ("evolution_other_unnamed", EvolutionEvent, {"new_state": "other"}, "detail",
     "constraint.evolutionevent_detail_required", ERROR,
     ["This is required when the new state is 'other'."]),
    ("hgvs_c_trailing_space", NgsVariant, {"gene": "TET2", "hgvs_c": "c.1234C>T "}, "hgvs_c",
     "constraint.variant_hgvs_c_format", ERROR, ["HGVS c. notation starts with 'c.'"]),
    ("hgvs_p_trailing_space", NgsVariant, {"gene": "TET2", "hgvs_p": "p.Arg882His "}, "hgvs_p",
     "constraint.variant_hgvs_p_format", ERROR, ["HGVS p. notation starts with 'p.'"]),
    ("review_without_diagnosis", CentralReview, {}, "diagnosis",
     "constraint.central_review_diagnosis_given", ERROR, ["Give the central diagnosis."]),
    ("review_other_unnamed", CentralReview, {"diagnosis": "other"}, "diagnosis_detail",
     "constraint.centralreview_diagnosis_detail_required", ERROR,
     ["This is required when the diagnosis is 'other'."]),
    ("band_without_dif", CentralReview, {"diagnosis": "cle", "lupus_band_positive": "yes"},
     "lupus_band_positive", "constraint.central_review_band_needs_dif", ERROR,
     ["A lupus band result needs direct immunofluorescence done."]),
    ("treatment_without_agent", Treatment, {"regimen": "hcq_alone"}, "agent",
     "constraint.treatment_agent_given", ERROR, ["Give the agent."]),
    ("other_agent_unnamed", Treatment, {"agent": "other", "regimen": "other"}, "agent_other",
     "constraint.treatment_agent_other_required", ERROR,
     ["This is required when the agent is 'other'."]),
    ("dose_without_unit", Treatment, {"agent": "hydroxychloroquine", "dose": 5}, "dose",
     "constraint.treatment_dose_has_unit", ERROR, ["A dose needs its unit."]),
    ("dose_zero", Treatment, {"agent": "hydroxychloroquine", "dose": 0, "dose_unit": "mg_day"},
     "dose", "constraint.treatment_dose_positive", ERROR, ["The dose must be positive."]),
    ("adverse_event_without_category", AdverseEvent, {}, "category",
     "constraint.adverse_event_category_given", ERROR, ["Give the adverse event category."]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "data", "field", "rule", "severity", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in BAD],
)
def test_rule_fires_naming_field_and_fix(model, data, field, rule, severity, words):
    finding = only(check(new_row(model, data)), rule)
    assert (finding.field, finding.severity) == (field, severity)
    for word in words:
        assert word in finding.message, finding.message


# (id, model, data, rule that must stay silent): the boundary and realistic values.
GOOD = [
    ("hb_10_8", HD, {"hb": 10.8}, "unit.hb_g_l"),
    ("hb_25_is_not_a_slip", HD, {"hb": 25}, "unit.hb_g_l"),
    ("anc_1_215", HD, {"anc": 1.215}, "unit.per_mm3"),
    ("monocytes_1_95", HD, {"monocytes": 1.95}, "unit.per_mm3"),
    ("platelets_3000", HD, {"platelets": 3000}, "unit.per_mm3"),
    ("wbc_150_in_mp_cmml", HD, {"wbc": 150}, "unit.per_mm3"),
    ("c3_0_9", SerologyPanel, {"c3": 0.9, "c4": 0.12}, "unit.complement_mg"),
    ("vaf_37", NgsVariant, {"gene": "TET2", "vaf": 37}, "unit.vaf_fraction"),
    ("vaf_1", NgsVariant, {"gene": "TET2", "vaf": 1}, "unit.vaf_fraction"),
    ("vaf_1_5", NgsVariant, {"gene": "TET2", "vaf": 1.5}, "unit.vaf_fraction"),
    ("hb_4", HD, {"hb": 4}, "range.usual"),
    ("platelets_2000", HD, {"platelets": 2000}, "range.usual"),
    ("response_blasts_30", HR, {"response_bm_blasts": 30}, "range.usual"),
    ("value_only", HD, {"hb": 10.8, "hb_missing": ""}, "measurement.value_and_reason"),
    ("reason_only", HD, {"hb": None, "hb_missing": "not_done"}, "measurement.value_and_reason"),
    ("vaf_100", NgsVariant, {"gene": "TET2", "vaf": 100}, "value.bounds"),
    ("today", Treatment, {"started_on": TODAY}, "date.future"),
    ("this_year", Treatment, {"started_on": date(2024, 7, 1), "started_on_precision": "year"},
     "date.future"),
    ("same_day", Treatment, {"started_on": date(2019, 1, 10), "ended_on": date(2019, 1, 10)},
     "date.end_before_start"),
    ("end_in_the_start_month", Treatment,
     {"started_on": date(2019, 1, 15), "started_on_precision": "month",
      "ended_on": date(2019, 1, 3)}, "date.end_before_start"),
    ("death_in_the_le_year", Demographics,
     {"le_diagnosis_date": date(2019, 7, 1), "le_diagnosis_date_precision": "year",
      "vital_status": "dead", "death_date": date(2019, 3, 10)}, "date.death_before_diagnosis"),
    ("assessed_after_start", LupusResponse, {"assessed_on": date(2018, 12, 1)},
     "response.treatment_start"),
    ("assessed_in_a_later_month", LupusResponse,
     {"assessed_on": date(2018, 7, 15), "assessed_on_precision": "month"},
     "response.treatment_start"),
    ("cmml_threshold", HD, {**GOOD_CMML, "monocytes": 0.5, "monocytes_pct": 10},
     "cmml.monocytosis"),
    ("cmml_share_from_wbc", HD, {**GOOD_CMML, "monocytes_pct": None}, "cmml.monocytosis"),
    ("mds_low_monocytes", HD, {"disease": "mds", "monocytes": 0.2, "monocytes_pct": 3},
     "cmml.monocytosis"),
    ("blasts_19_9", HD, {"disease": "mds", "bm_blasts": 19.9, "pb_blasts": 19.9}, "blasts.aml"),
    ("override_justified", HD, {"cytogenetic_risk_override": "poor",
                                "cytogenetic_risk_override_reason": "complex on FISH"},
     "cytogenetics.override_reason"),
    ("titre_positive", SerologyPanel, {"ana": "positive", "ana_titre": 320},
     "serology.ana_needs_positive"),
    ("method_positive", SerologyPanel, {"anti_dsdna": "positive", "anti_dsdna_method": "farr"},
     "serology.method_needs_dsdna"),
    ("method_unknown_result", SerologyPanel,
     {"anti_dsdna": "unknown", "anti_dsdna_method": "elisa"}, "serology.method_needs_dsdna"),
    ("class_with_renal", LupusProfile, {"renal": "yes", "nephritis_class": "IV"},
     "lupus.nephritis_needs_renal"),
    ("class_not_applicable", LupusProfile, {"renal": "no", "nephritis_class": "not_applicable"},
     "lupus.nephritis_needs_renal"),
    ("iwg2023_cr", HR, {"criteria": "iwg_2023", "category": "complete_response"},
     "response.iwg2023_category"),
    ("iwg2006_marrow_cr", HR, {"criteria": "iwg_2006", "category": "marrow_cr"},
     "response.iwg2023_category"),
    ("ngs_not_done_without_tissue", NgsTest, {"result": "not_done"}, "ngs.tissue"),
    ("bone_marrow_ngs", NgsTest, {"tissue": "bone_marrow"}, "ngs.skin_biopsy"),
    ("myeloid_gene", NgsVariant, {"gene": "SRSF2"}, "gene.not_myeloid"),
    ("hyphenated_symbol", NgsVariant, {"gene": "HLA-DRB1"}, "gene.symbol"),
    ("consent_yes", Case, {"consent": "yes"}, "consent.no"),
    ("consent_unknown", Case, {"consent": "unknown"}, "consent.no"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "data", "rule"), [pytest.param(*row[1:], id=row[0]) for row in GOOD]
)
def test_rule_silent_on_good_input(model, data, rule):
    assert [f for f in check(new_row(model, data)) if f.rule == rule] == []


def test_a_realistic_cmml_section_has_no_finding():
    assert check(new_row(HD, GOOD_CMML)) == []


def test_a_realistic_variant_has_no_finding():
    variant = {"gene": "TET2", "hgvs_c": "c.3500+1G>A", "hgvs_p": "p.?", "vaf": 37.0}
    assert check(new_row(NgsVariant, variant)) == []


def test_a_unit_slip_is_not_also_reported_as_out_of_bounds_or_range():
    findings = check(new_row(HD, {"disease": "mds", "hb": 108}))
    assert [(f.field, f.rule) for f in findings] == [("hb", "unit.hb_g_l")]


def test_warnings_on_a_field_with_an_error_are_dropped():
    # 35% marrow blasts: AML (error) and above the usual 30% (warning); the error is enough.
    findings = check(new_row(HD, {"disease": "mds", "bm_blasts": 35}))
    assert [(f.field, f.rule) for f in findings] == [("bm_blasts", "blasts.aml")]


def test_errors_come_before_warnings():
    findings = check(new_row(HD, {"disease": "mds", "hb": 3.5, "anc": 1215}))
    assert [(f.rule, f.severity) for f in findings] == [
        ("unit.per_mm3", ERROR),
        ("range.usual", WARNING),
    ]


def test_a_measurements_bounds_are_a_rule_not_a_field_check():
    # The field's validators would say "greater than or equal to 0"; the rule names the unit.
    findings = check(new_row(CentralReview, {"diagnosis": "cle", "ki67": -3}))
    assert [(f.field, f.rule) for f in findings] == [("ki67", "value.bounds")]


def test_a_field_refused_by_its_field_check_is_not_judged_by_the_rules():
    # AML is no longer a choice of the recorded WHO 2022 class: blasts.aml, which would word
    # the fix, is not run on the refused field.
    findings = check(new_row(HD, {"disease": "mds", "who2022_recorded": "aml"}))
    assert [(f.field, f.rule) for f in findings] == [("who2022_recorded", "field.invalid")]


def test_the_default_today_is_the_local_date():
    today = timezone.localdate()
    tomorrow = new_row(Treatment, {"agent": "rituximab", "started_on": today + timedelta(1)})
    assert only(validate(tomorrow, rows_of(tomorrow)), "date.future").field == "started_on"
    on_the_day = new_row(Treatment, {"agent": "rituximab", "started_on": today})
    assert validate(on_the_day, rows_of(on_the_day)) == []


def test_finding_is_frozen():
    finding = only(check(new_row(HD, {"hb": 108})), "unit.hb_g_l")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.message = "changed"


HGVS_C_VALID = [
    "c.1234C>T", "c.1234_1235del", "c.1934dupG", "c.860_863dupTCTG", "c.3500+1G>A",
    "c.124-2A>G", "c.-14G>A", "c.*5A>G", "c.1092_1143del", "c.1154_1155insTTGTC",
    "c.1234_1235delinsTT", "c.100_200inv", "c.1234del", "c.1234dup",
]  # fmt: skip
HGVS_C_INVALID = [
    "1234C>T", "c.", "c.1234", "c.C1234T", "c.1234C>", "c.1234_del", "c.1234ins",
    "c.1234_1235insat", "c.1234C>T ", "p.Arg882His", "c.12_13C>T",
]  # fmt: skip
HGVS_P_VALID = [
    "p.Arg882His", "p.R882H", "p.(Gly12Asp)", "p.G12D", "p.Gln100Ter", "p.Q100*", "p.?",
    "p.=", "p.0", "p.Arg882=", "p.Met1?", "p.Arg123GlyfsTer12", "p.R123Gfs*12", "p.Arg123fs",
    "p.Ter110GlnextTer17", "p.Lys23del", "p.Lys23_Val25del", "p.Lys2_Gly3insGlnSerLys",
    "p.Cys28delinsTrpVal", "p.(Arg882His)", "p.Gly646TrpfsTer12",
]  # fmt: skip
HGVS_P_INVALID = [
    "p.Arg882", "p.882His", "p.ArgHis", "Arg882His", "p.Ter", "p.arg882his", "p.R882H/C",
    "p.(Arg882His", "p.Xyz882His", "c.1234C>T", "p.",
]  # fmt: skip


@pytest.mark.parametrize("value", HGVS_C_VALID)
def test_hgvs_c_accepts(value):
    assert HGVS_C.match(value)


@pytest.mark.parametrize("value", HGVS_C_INVALID)
def test_hgvs_c_rejects(value):
    assert not HGVS_C.match(value)


@pytest.mark.parametrize("value", HGVS_P_VALID)
def test_hgvs_p_accepts(value):
    assert HGVS_P.match(value)


@pytest.mark.parametrize("value", HGVS_P_INVALID)
def test_hgvs_p_rejects(value):
    assert not HGVS_P.match(value)


# ---- rules that read the rest of the case ----


def test_dates_before_birth_are_errors_without_printing_the_birth_date():
    case = Case(group="case")
    early = new_row(Demographics, {"le_diagnosis_date": date(1950, 1, 1)}, case=case)
    finding = only(check(early, identity(case)), "date.before_birth")
    assert finding.field == "le_diagnosis_date"
    assert "Date of LE diagnosis 1950-01-01 is before the patient's date of birth" in (
        finding.message
    )
    assert "check this date" in finding.message
    assert "1955" not in finding.message
    ok = {"sex": "male", "le_diagnosis_date": date(2018, 5, 2),
          "last_followup_date": date(2023, 1, 10), "vital_status": "alive"}  # fmt: skip
    assert check(new_row(Demographics, ok, case=case), identity(case)) == []


def test_a_partial_date_is_before_birth_only_when_its_whole_range_is():
    case = Case(group="case")  # born 1955-03-14
    in_birth_year = {"le_diagnosis_date": date(1955, 7, 1), "le_diagnosis_date_precision": "year"}
    assert check(new_row(Demographics, in_birth_year, case=case), identity(case)) == []
    month_before = {"le_diagnosis_date": date(1955, 2, 15), "le_diagnosis_date_precision": "month"}
    finding = only(
        check(new_row(Demographics, month_before, case=case), identity(case)), "date.before_birth"
    )
    assert "Date of LE diagnosis 1955-02 is before the patient's date of birth" in finding.message


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Treatment, "started_on"),
        (Treatment, "ended_on"),
        (SkinBiopsy, "taken_on"),
        (HaematologicalDisease, "diagnosis_date"),
        (Demographics, "death_date"),
        (Demographics, "last_followup_date"),
        (EvolutionEvent, "occurred_on"),
        (NgsTest, "sampled_on"),
        (LupusResponse, "assessed_on"),
        (Case, "consent_date"),
    ],
)
def test_before_birth_covers_every_date_of_the_case(model, field):
    case = Case(group="case")
    row = case if model is Case else new_row(model, {}, case=case)
    setattr(row, field, date(1950, 1, 1))
    finding = only(check(row, identity(case)), "date.before_birth")
    assert finding.field == field


def test_no_birth_check_without_an_identity():
    early = new_row(Demographics, {"le_diagnosis_date": date(1900, 1, 1)})
    assert check(early) == []


def test_identity_birth_date_in_the_future_is_an_error():
    born = new_row(
        Identity, {"local_identifier": "IPP1", "initials": "JD", "date_of_birth": date(2100, 1, 1)}
    )
    finding = only(check(born), "date.future")
    assert finding.field == "date_of_birth"
    assert "Date of birth 2100-01-01 is in the future" in finding.message
    assert not [f for f in check(born) if f.rule == "date.before_birth"]  # not against itself


def dead_on(case: Case, day: date, **extra) -> Demographics:
    return Demographics(
        case=case, vital_status="dead", death_date=day, last_followup_date=day, **extra
    )


def test_death_before_mds_diagnosis_is_checked_from_both_sections():
    case = Case(group="case")
    late = new_row(HD, {"disease": "mds", "diagnosis_date": date(2019, 6, 1)}, case=case)
    finding = only(check(late, dead_on(case, date(2019, 1, 1))), "date.death_before_diagnosis")
    assert finding.field == "diagnosis_date"
    assert "The MDS/CMML diagnosis (2019-06-01) is after the date of death (2019-01-01)" in (
        finding.message
    )
    assert "check the date of death (section 1)" in finding.message
    assert "date of MDS/CMML diagnosis (section 5)" in finding.message
    before = new_row(HD, {"disease": "mds", "diagnosis_date": date(2018, 6, 1)}, case=case)
    assert check(before, dead_on(case, date(2019, 1, 1))) == []

    other = Case(group="case")
    disease = HD(case=other, disease="mds", diagnosis_date=date(2020, 2, 1))
    died = dead_on(other, date(2020, 1, 1))
    finding = only(check(died, disease), "date.death_before_diagnosis")
    assert finding.field == "death_date"
    assert "check the date of death" in finding.message


def test_mds_diagnosis_after_the_last_follow_up_is_an_error_from_both_sections():
    case = Case(group="case")
    seen = Demographics(
        case=case, le_diagnosis_date=date(2015, 1, 1), last_followup_date=date(2019, 12, 31)
    )
    late = new_row(HD, {"disease": "mds", "diagnosis_date": date(2020, 2, 1)}, case=case)
    findings = check(late, seen)
    assert [(f.field, f.rule, f.severity) for f in findings] == [
        ("diagnosis_date", "date.followup_before_diagnosis", ERROR)
    ]
    assert "after the date of last follow-up (2019-12-31)" in findings[0].message

    disease = HD(case=case, disease="mds", diagnosis_date=date(2020, 2, 1))
    finding = only(check(seen, disease), "date.followup_before_diagnosis")
    assert finding.field == "last_followup_date"


def test_an_mds_diagnosis_known_to_the_year_may_fall_in_the_last_follow_up_year():
    case = Case(group="case")
    seen = Demographics(case=case, last_followup_date=date(2019, 3, 1))
    in_that_year = {"disease": "mds", "diagnosis_date": date(2019, 7, 1),
                    "diagnosis_date_precision": "year"}  # fmt: skip
    assert check(new_row(HD, in_that_year, case=case), seen) == []
    next_year = {**in_that_year, "diagnosis_date": date(2020, 7, 1)}
    assert only(check(new_row(HD, next_year, case=case), seen), "date.followup_before_diagnosis")


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Demographics, {"le_diagnosis_date": date(2019, 7, 1), "le_diagnosis_date_precision":
                        "year", "vital_status": "dead", "death_date": date(2019, 3, 10)}),
        (Demographics, {"le_diagnosis_date": date(2019, 7, 1), "le_diagnosis_date_precision":
                        "year", "last_followup_date": date(2019, 3, 10)}),
        (Treatment, {"agent": "rituximab", "started_on": date(2019, 1, 15),
                     "started_on_precision": "month", "ended_on": date(2019, 1, 3)}),
    ],
)  # fmt: skip
def test_overlapping_partial_dates_are_accepted(model, data):
    assert check(new_row(model, data)) == []


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (HaematologicalDisease, {"disease": "mds", "hb": 10.8}),
        (EvolutionEvent, {"new_state": "aml"}),
        (NgsTest, {"tissue": "peripheral_blood"}),
        (NgsVariant, {"gene": "TET2", "vaf": 37}),
        (CentralReview, {"diagnosis": "cle"}),
        (HaematologicalResponse, {"criteria": "iwg_2006"}),
    ],
)
def test_control_cases_have_no_haematological_sections(model, data):
    # A variant or a review hangs off another row: the case is still found (a control).
    control = new_row(model, data, case=Case(group="control"))
    finding = only(check(control), "control.haematological_section")
    assert (finding.field, finding.severity) == (None, ERROR)
    name = str(model._meta.verbose_name)
    assert name[:1].upper() + name[1:] in finding.message
    assert "control (idiopathic SLE)" in finding.message
    assert "leave it empty, or record the patient as a case" in finding.message
    case_row = new_row(model, data, case=Case(group="case"))
    assert not [f for f in check(case_row) if f.rule.startswith("control.")]


def test_control_case_has_no_haematological_treatment():
    control = Case(group="control")
    bad = {"agent": "azacitidine", "regimen": "azacitidine", "target": "haematological"}
    finding = only(check(new_row(Treatment, bad, case=control)), "control.haematological_treatment")
    assert finding.field == "target"
    assert "Target is 'Haematological disease'" in finding.message
    assert "set the target to lupus" in finding.message
    good = {"agent": "hydroxychloroquine", "regimen": "hcq_alone", "target": "lupus"}
    assert check(new_row(Treatment, good, case=control)) == []
    assert check(new_row(Treatment, bad, case=Case(group="case"))) == []


def test_skin_ngs_linked_to_a_biopsy_of_its_case_has_no_finding():
    case = Case(group="case")
    own = SkinBiopsy(case=case, taken_on=date(2019, 2, 1))
    linked = new_row(NgsTest, {"tissue": "skin", "skin_biopsy": own}, case=case)
    assert check(linked, own) == []


def test_links_to_rows_of_another_case_are_errors():
    case, elsewhere = Case(group="case"), Case(group="case")
    foreign = SkinBiopsy(case=elsewhere)
    test = new_row(NgsTest, {"tissue": "skin", "skin_biopsy": foreign}, case=case)
    finding = only(check(test), "link.other_case")
    assert (finding.severity, finding.field) == (ERROR, "skin_biopsy")
    assert finding.message == (
        "Skin biopsy is not one of this case's rows: choose one of this case's skin biopsies."
    )

    treatment = PARENTS[Treatment](case)
    other_sledai = SledaiAssessment(case=elsewhere, context="response")
    response = new_row(LupusResponse, {"treatment": treatment, "sledai": other_sledai})
    assert only(check(response), "link.other_case").field == "sledai"
    own_sledai = SledaiAssessment(case=case, context="response")
    response.sledai = own_sledai
    assert check(response, own_sledai) == []

    event = new_row(AdverseEvent, {"category": "infection", "treatment": treatment}, case=case)
    assert only(check(event), "link.other_case").field == "treatment"  # not in the case
    assert check(event, treatment) == []


def test_a_response_of_a_treatment_without_a_start_date_is_accepted():
    # Retrospective data: a line recorded without dates may still carry its responses.
    case = Case(group="case")
    undated = Treatment(case=case, agent="azacitidine", regimen="azacitidine")
    for model, data in (
        (LupusResponse, {"recorded": "no_response", "assessed_on": date(2020, 5, 1)}),
        (HaematologicalResponse, {"criteria": "iwg_2006", "category": "complete_response"}),
    ):
        assert check(new_row(model, {"treatment": undated, **data})) == []


def test_the_response_rule_reads_its_own_treatment():
    case = Case(group="case")
    early = Treatment(case=case, agent="rituximab", regimen="rituximab",
                      started_on=date(2018, 1, 1))  # fmt: skip
    late = Treatment(case=case, agent="rituximab", regimen="rituximab",
                     started_on=date(2019, 1, 1))  # fmt: skip
    assessed = {"recorded": "no_response", "assessed_on": date(2018, 6, 1)}
    assert check(new_row(LupusResponse, {"treatment": early, **assessed}), late) == []
    response = new_row(LupusResponse, {"treatment": late, **assessed})
    assert (
        "treatment start 2019-01-01"
        in only(check(response, early), "response.treatment_start").message
    )


# ---- saved cases, loaded as the services load them ----


def test_a_saved_case_is_judged_from_its_snapshot_without_a_query(
    case_a, django_assert_num_queries
):
    DemographicsFactory(case=case_a, vital_status="dead", death_date=date(2019, 1, 1),
                        last_followup_date=date(2019, 1, 1))  # fmt: skip
    HaematologicalDiseaseFactory(case=case_a, diagnosis_date=date(2018, 6, 1))
    rows = snapshot.load_one(case_a)
    disease = rows.one(HD)
    disease.diagnosis_date = date(2019, 6, 1)
    with django_assert_num_queries(0):
        findings = validate(disease, rows, today=TODAY)
    assert [(f.field, f.rule) for f in findings] == [
        ("diagnosis_date", "date.death_before_diagnosis"),
        ("diagnosis_date", "date.followup_before_diagnosis"),
    ]
    # The identity of the snapshot gives the birth date (case_a: born 1955-03-14).
    disease.diagnosis_date = date(1950, 1, 1)
    assert only(validate(disease, rows, today=TODAY), "date.before_birth")


def test_a_partial_change_is_judged_with_the_rest_of_its_row(case_a):
    # An API PATCH of the titre alone: the row's saved ANA (negative) is still judged.
    SerologyPanelFactory(case=case_a, ana="negative", ana_titre=None)
    rows = snapshot.load_one(case_a)
    panel = rows.many(SerologyPanel)[0]
    panel.ana_titre = 320
    finding = only(validate(panel, rows, today=TODAY), "serology.ana_needs_positive")
    assert "'Negative'" in finding.message
    panel.ana = "positive"
    assert validate(panel, rows, today=TODAY) == []


def test_a_saved_row_of_another_case_is_not_a_row_of_this_one(case_a, case_b):
    foreign = SkinBiopsyFactory(case=case_b)
    rows = snapshot.load_one(case_a)
    test = NgsTest(case=rows.case, tissue="skin", skin_biopsy=foreign)
    rows.put(test)
    assert only(validate(test, rows, today=TODAY), "link.other_case").field == "skin_biopsy"


# ---- the models' constraints, evaluated in memory ----


def constraint_of(model: type[Model], code: str) -> models.BaseConstraint:
    names = {"class": model._meta.model_name, "app_label": model._meta.app_label}
    return next(c for c in model._meta.constraints if f"constraint.{c.name % names}" == code)


NO_DOSE = Treatment(agent="rituximab", dose=None, started_on=date(2019, 1, 1), ended_on=None)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Q(dose__gt=0), None),  # NULL > 0 is unknown
        (~Q(dose__gt=0), None),  # NOT unknown is unknown
        (Q(dose__isnull=True), True),
        (Q(dose=None), True),  # `exact` None is IS NULL
        (Q(dose__gt=0) | Q(dose__isnull=True), True),  # unknown OR true
        (Q(dose__gt=0) | Q(agent="azacitidine"), None),  # unknown OR false
        (Q(dose__gt=0) & Q(agent="azacitidine"), False),  # unknown AND false
        (Q(dose__gt=0) & Q(agent="rituximab"), None),  # unknown AND true
        (Q(agent="azacitidine") & Q(dose__gt=0), False),  # false first: decided at once
        (Q(dose__isnull=True) | Q(dose__gt=0), True),  # true first: decided at once
        (Q(agent="rituximab") & Q(dose__gt=0) & Q(agent="azacitidine"), False),  # unknown kept
        (~(Q(dose__gt=0) & Q(agent="azacitidine")), True),  # NOT false
        (Q(agent="azacitidine") | Q(dose__gt=0) | Q(agent="x"), None),  # unknown carried
        (Q(started_on__lte=F("ended_on")), None),  # a comparison with a NULL column
        (Q(dose__in=[1, 2]), None),
        (Q(agent__in=["rituximab"]), True),
        (Q(agent__regex=r"^rit"), True),
        (~Q(agent__regex=r"^rit"), False),
    ],
)
def test_conditions_follow_sql_three_valued_logic(condition, expected):
    assert holds(condition, NO_DOSE) is expected


def test_a_check_whose_condition_is_unknown_does_not_refuse():
    # sledai_score_range is `score <= 105`: unknown while no score is derived yet.
    code = "constraint.sledai_score_range"
    unscored = new_row(SledaiAssessment, {"context": "response"})
    assert holds(constraint_of(SledaiAssessment, code).condition, unscored) is None
    assert check(unscored) == []
    scored = new_row(SledaiAssessment, {"context": "response", "score": 106})
    assert only(check(scored), code).field == "score"


@pytest.mark.parametrize(
    ("model", "data", "elsewhen", "code"),
    [
        (SerologyPanel, {"at_le_diagnosis": True}, {"at_le_diagnosis": False},
         "constraint.serology_one_at_le_diagnosis"),
        (SledaiAssessment, {"context": "le_diagnosis"}, {"context": "follow_up"},
         "constraint.sledai_one_at_le_diagnosis"),
    ],
)  # fmt: skip
def test_a_conditional_unique_constraint_holds_within_the_case(model, data, elsewhen, code):
    case = Case(group="case")
    first, second = model(case=case, **data), model(case=case, **data)
    finding = only(check(second, first), code)
    assert (finding.field, finding.severity) == (None, ERROR)  # the row as a whole
    assert finding.message.startswith("A case has one ")
    assert check(first) == []  # alone in its case
    assert check(second, model(case=case, **elsewhen)) == []  # the condition does not hold


def test_a_second_panel_at_diagnosis_of_a_saved_case_is_refused(case_a):
    SerologyPanelFactory(case=case_a, at_le_diagnosis=True)
    rows = snapshot.load_one(case_a)
    saved = rows.many(SerologyPanel)[0]
    saved.anti_dsdna = "positive"  # editing the one panel at diagnosis: not a duplicate
    assert validate(saved, rows, today=TODAY) == []
    second = SerologyPanel(case=rows.case, at_le_diagnosis=True, ana="negative")
    rows.put(second)
    assert only(validate(second, rows, today=TODAY), "constraint.serology_one_at_le_diagnosis")


def test_a_skin_biopsy_link_is_only_for_skin_tests(case_a):
    biopsy = SkinBiopsyFactory(case=case_a)
    rows = snapshot.load_one(case_a)
    test = NgsTest(case=rows.case, tissue="bone_marrow", skin_biopsy=rows.many(SkinBiopsy)[0])
    rows.put(test)
    finding = only(validate(test, rows, today=TODAY), "constraint.ngstest_skin_biopsy_only_when")
    assert (finding.field, test.skin_biopsy_id) == ("skin_biopsy", biopsy.pk)
    assert finding.message == "This is only recorded when the tissue is skin; clear it."


def test_a_link_to_an_unsaved_row_is_judged_by_the_constraints():
    case = Case(group="case")
    own = SkinBiopsy(case=case)
    test = new_row(NgsTest, {"tissue": "bone_marrow", "skin_biopsy": own}, case=case)
    assert only(check(test, own), "constraint.ngstest_skin_biopsy_only_when")


MEASURED = [
    (model, field.name)
    for model in CRF_MODELS
    for field in model._meta.concrete_fields
    if hasattr(field, "bounds")
]


@pytest.mark.parametrize(
    ("model", "name"), MEASURED, ids=[f"{m.__name__}.{n}" for m, n in MEASURED]
)
def test_every_measurement_constraint_refuses_a_value_with_a_reason(model, name):
    low, _high = model._meta.get_field(name).bounds
    row = new_row(model, {name: low, f"{name}_missing": "unknown"})
    code = f"constraint.{model._meta.model_name}_{name}_valid"
    constraint = constraint_of(model, code)
    assert holds(constraint.condition, row) is False  # the database refuses
    assert "or a reason it is missing, not both" in str(constraint.violation_error_message)
    # The rule says it first, with the fix; the constraint reading the same pair is not repeated.
    findings = check(row)
    assert only(findings, "measurement.value_and_reason").field == f"{name}_missing"
    assert not [f for f in findings if f.rule == code]


# (model, data, constraint code, rule): the rule and the constraint refuse the same field.
SHADOWED = [
    (HD, {"disease": "mds", "hb": 108}, "constraint.haematologicaldisease_hb_valid",
     "unit.hb_g_l"),
    (NgsVariant, {"gene": "TET2", "vaf": 137}, "constraint.ngsvariant_vaf_valid", "value.bounds"),
    (NgsVariant, {"gene": "tet2"}, "constraint.variant_gene_symbol", "gene.symbol"),
    (NgsVariant, {"gene": "TET2", "hgvs_c": "1234C>T"}, "constraint.variant_hgvs_c_format",
     "hgvs.c_format"),
    (SerologyPanel, {"ana": "negative", "ana_titre": 320},
     "constraint.serologypanel_ana_titre_only_when", "serology.ana_needs_positive"),
    (SerologyPanel, {"anti_dsdna": "", "anti_dsdna_method": "elisa"},
     "constraint.serologypanel_anti_dsdna_method_only_when", "serology.method_needs_dsdna"),
    (HD, {"disease": "mds", "cytogenetic_risk_override": "poor"},
     "constraint.haematologicaldisease_cytogenetic_risk_override_reason_required",
     "cytogenetics.override_reason"),
    (LupusProfile, {"renal": "no", "nephritis_class": "IV"},
     "constraint.lupusprofile_class_needs_nephritis", "lupus.nephritis_needs_renal"),
    (NgsTest, {"result": "variants"}, "constraint.ngs_tissue_given", "ngs.tissue"),
    (HR, {"criteria": "iwg_2023", "category": "marrow_cr"}, "constraint.haem_response_mcr_not_2023",
     "response.iwg2023_category"),
    (SerologyPanel, {"ana": "positive", "ana_titre": 100}, "constraint.serology_ana_titre_known",
     "field.invalid"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "data", "code", "rule"), SHADOWED, ids=[row[2] for row in SHADOWED]
)
def test_when_a_rule_and_a_constraint_refuse_a_field_only_the_rule_is_kept(model, data, code, rule):
    row = new_row(model, data)
    assert holds(constraint_of(model, code).condition, row) is False  # the database refuses
    finding = only(check(row), rule)
    assert [f.rule for f in check(row) if f.field == finding.field] == [rule]
    assert not [f for f in check(row) if f.rule == code]


def test_a_constraint_without_its_own_message_is_named_in_it():
    finding = only(check(new_row(Case, {"code": "LE-0000000"})), "constraint.case_code_format")
    assert "%(name)s" not in finding.message and "case_code_format" in finding.message


# ---- rule codes: declared per rule, each brought out by a test ----

# Declared codes no input brings out of validate(): a rule (or the field check) refuses the
# same field first, with a message that names the fix; SHADOWED shows the constraint refuses
# too. The date-order constraints are also reached by overlapping partial dates, wrongly

NOT_EMITTED = {
    "constraint.variant_gene_symbol",
    "constraint.serologypanel_ana_titre_only_when",
    "constraint.serologypanel_anti_dsdna_method_only_when",
    "constraint.haematologicaldisease_cytogenetic_risk_override_reason_required",
    "constraint.lupusprofile_class_needs_nephritis",
    "constraint.ngs_tissue_given",
    "constraint.serology_ana_titre_known",
    "constraint.haem_response_mcr_not_2023",
    # Every measurement's check: the value-and-reason rule or the bounds rule speaks first.
    *(
        f"constraint.{model._meta.model_name}_{field.name}_valid"
        for model in CRF_MODELS
        for field in model._meta.concrete_fields
        if hasattr(field, "bounds")
    ),
}


def exercised() -> set[str]:
    """The codes the tests above assert as emitted."""
    return (
        {row[4] for row in BAD}
        | {f"constraint.{m._meta.model_name}_{n}_valid" for m, n in MEASURED}
        | {
            "date.before_birth",
            "date.death_before_diagnosis",
            "date.followup_before_diagnosis",
            "control.haematological_section",
            "control.haematological_treatment",
            "link.other_case",
            "constraint.serology_one_at_le_diagnosis",
            "constraint.sledai_one_at_le_diagnosis",
            "constraint.ngstest_skin_biopsy_only_when",
        }
    )


def test_every_code_a_test_brings_out_is_declared():
    assert exercised() - rule_codes() == set()


def test_every_declared_code_is_brought_out_by_a_test_or_shown_shadowed():
    assert rule_codes() - exercised() <= NOT_EMITTED
    # Shadowed constraints are shown refusing by SHADOWED, the measurements' by their own test.
    named = {code for code in NOT_EMITTED if not code.endswith("_valid")}
    assert named <= {row[2] for row in SHADOWED}


# ---- a stored row judged again (crf.validation.revalidate) ----


@pytest.mark.django_db
def test_a_stored_row_is_judged_again_by_the_rules_as_validate_judges_it():
    """The field and constraint layers find nothing on a stored row, so judging it again
    with the rules alone finds what `validate` finds: checked on realistic cases."""
    import io

    from django.core.management import call_command

    from crf.validation import revalidate

    call_command("generate_synthetic", cases=12, seed=11, stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    cases = snapshot.load(Case.objects.values_list("pk", flat=True))
    judged = [(row, rows) for rows in cases.values() for row in rows.all_rows()]
    assert len(judged) > 100
    past = date(2012, 1, 1)
    for today in (TODAY, past):
        for row, rows in judged:
            assert revalidate(row, rows, today=today) == validate(row, rows, today=today), row
    # Seen from 2012, many dates are in the future: the rules reading today found them, so
    # the comparison above covered findings, not only empty lists.
    assert any(validate(row, rows, today=past) for row, rows in judged)


def test_an_unchanged_rows_warning_nobody_confirmed_is_outstanding():
    """A case's open warnings count the rules' warnings on its rows the write did not touch
    (here: a refused consent stored before the rule existed, so never confirmed)."""
    from crf.derive import case_summary

    case = Case(group="case", consent="no")
    rows = rows_of(identity(case))
    assert case_summary(rows, {}, today=TODAY)["open_warnings"] == 1
    case.acknowledged_warnings = {"consent.no": ""}
    assert case_summary(rows, {}, today=TODAY)["open_warnings"] == 0
